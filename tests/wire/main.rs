//! The signed wire format: timestamps, signatures, keys, the request.

#[path = "../common/mod.rs"]
mod common;

mod keys;
mod request;
mod signature;
mod timestamp;
