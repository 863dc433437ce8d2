//! Shortening secrets before they reach any output.
//!
//! Reports, logs, snapshots and console lines never carry a private key or a
//! full access token. Everything that prints a credential or a signature goes
//! through here.
//!
//! ```
//! use cdm_conformance::redact;
//!
//! assert_eq!(redact::token("eyJhbGciOiJIUzI1NiJ9.payload.sig"), "eyJhbG…(32 chars)");
//! assert_eq!(redact::shorten("short", 8), "short");
//! ```

/// How many leading characters of an access token may be shown.
pub const TOKEN_PREFIX: usize = 6;

/// `value` unchanged when it has at most `keep` characters, else its first
/// `keep` characters, an ellipsis and its length.
pub fn shorten(value: &str, keep: usize) -> String {
    let len = value.chars().count();
    if len <= keep {
        return value.to_owned();
    }
    let head: String = value.chars().take(keep).collect();
    format!("{head}…({len} chars)")
}

/// An access token as it may be shown: a short prefix and its length.
pub fn token(value: &str) -> String {
    let len = value.chars().count();
    let head: String = value.chars().take(TOKEN_PREFIX.min(len / 2)).collect();
    format!("{head}…({len} chars)")
}

/// An `Authorization` header value as it may be shown.
pub fn authorization(value: &str) -> String {
    match value.strip_prefix("Bearer ") {
        Some(t) => format!("Bearer {}", token(t)),
        None => token(value),
    }
}

/// A request header's value as it may be shown: `Authorization` and
/// `X-SIGNATURE` shortened, anything else as it is.
pub fn header(name: &str, value: &str) -> String {
    if name.eq_ignore_ascii_case("Authorization") {
        authorization(value)
    } else if name.eq_ignore_ascii_case("X-SIGNATURE") {
        shorten(value, 16)
    } else {
        value.to_owned()
    }
}
