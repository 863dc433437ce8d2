//! The spec as data: its transcription, its loader, the schemas derived from it.

mod catalog;
mod compile;
mod errata;
mod generic;
mod loading;
mod rulebook;
mod schemas;
mod source_text;
mod transcription;
