//! The spec as data: its transcription, its loader, the schemas derived from it.

mod errata;
mod loading;
mod schemas;
mod source_text;
mod transcription;
