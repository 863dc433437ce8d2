//! The signed wire format: timestamp, signature, and the request itself.
//!
//! - [`timestamp`]: X-TIMESTAMP in Jakarta time, made and parsed strictly;
//! - [`signature`]: keys in their three forms, SHA256withRSA sign and verify;
//! - [`request`]: the exact signed HTTP request, headers in table order.

pub mod request;
pub mod signature;
pub mod timestamp;

pub use request::{Credentials, SignedRequest};
pub use signature::{KeyError, KeyKind, SignatureError, SigningKey, VerifyingKey};
pub use timestamp::{JAKARTA, TIMESTAMP_LEN, Timestamp, TimestampError};
