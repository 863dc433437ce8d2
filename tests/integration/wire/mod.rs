//! The signed wire format: timestamps, signatures, keys, the request.

mod keys;
mod request;
mod signature;
mod timestamp;
