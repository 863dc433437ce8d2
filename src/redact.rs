//! Shortening secrets before they reach any output.
//!
//! Reports, logs, snapshots and console lines never carry a private key or a
//! full access token. Everything that prints a credential or a signature goes
//! through here.
//!
//! ```
//! use cdm_conformance::redact;
//!
//! assert_eq!(redact::token("eyJhbGciOiJIUzI1NiJ9.payload.sig"), "eyJhbG…(32 chars, sha256 0ff1b43a)");
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

/// How many hex digits of a token's SHA-256 its redacted form shows.
pub const FINGERPRINT_HEX: usize = 8;

/// An access token as it may be shown: a short prefix, its length and the
/// first [`FINGERPRINT_HEX`] hex digits of its SHA-256. The fingerprint
/// tells two tokens apart (so a report's evidence can be judged again)
/// without giving either away: 32 bits of a hash confirm a guess, they do
/// not reveal a token.
pub fn token(value: &str) -> String {
    use sha2::Digest as _;
    if is_redacted(value) {
        return value.to_owned();
    }
    let len = value.chars().count();
    let head: String = value.chars().take(TOKEN_PREFIX.min(len / 2)).collect();
    let digest = sha2::Sha256::digest(value.as_bytes());
    let hex: String = digest
        .iter()
        .take(FINGERPRINT_HEX / 2)
        .map(|b| format!("{b:02x}"))
        .collect();
    format!("{head}…({len} chars, sha256 {hex})")
}

/// Whether `value` is already a redacted token (`…(N chars, sha256 X)`):
/// redacting it again would hide its length and fingerprint.
pub fn is_redacted(value: &str) -> bool {
    value
        .rsplit_once("…(")
        .and_then(|(_, tail)| tail.strip_suffix(')'))
        .and_then(|tail| tail.split_once(" chars, sha256 "))
        .is_some_and(|(len, hex)| {
            len.bytes().all(|b| b.is_ascii_digit())
                && hex.len() == FINGERPRINT_HEX
                && hex.bytes().all(|b| b.is_ascii_hexdigit())
        })
}

/// An `Authorization` header value as it may be shown: its scheme, and the
/// credential after it shortened.
///
/// ```
/// assert_eq!(cdm_conformance::redact::authorization("Bearer abcdefghijklmnop"), "Bearer abcdef…(16 chars, sha256 f39dac6c)");
/// assert_eq!(cdm_conformance::redact::authorization("abcdefghijklmnop"), "abcdef…(16 chars, sha256 f39dac6c)");
/// ```
pub fn authorization(value: &str) -> String {
    if is_redacted(value) {
        return value.to_owned();
    }
    match value.split_once(' ') {
        Some((scheme, t)) => format!("{scheme} {}", token(t)),
        None => token(value),
    }
}

/// A request header's value as it may be shown: the HTTP `Authorization`
/// header shortened, anything else as it is. A signature is no secret: it
/// is kept whole, so that a report's evidence can be verified again.
pub fn header(name: &str, value: &str) -> String {
    if name.eq_ignore_ascii_case("Authorization") {
        authorization(value)
    } else {
        value.to_owned()
    }
}

/// How long a run of base64 starting `MII` must be to be taken for DER key
/// material: an RSA private key of 1024 bits or more is over 800
/// characters; a signature of an RSA-4096 key is 684 (and starts `MII`
/// once in 262,144), so signatures are never taken for keys.
pub const KEY_MATERIAL_CHARS: usize = 700;

/// `text` with every PEM private key block, and every long run of base64
/// that looks like DER key material (`MII…`, [`KEY_MATERIAL_CHARS`] or
/// more), replaced by a marker. For text a client or server produced.
///
/// ```
/// let log = "key:\n-----BEGIN PRIVATE KEY-----\nMIIEv\n-----END PRIVATE KEY-----\nok";
/// assert_eq!(cdm_conformance::redact::key_material(log), "key:\n[private key redacted]\nok");
/// ```
pub fn key_material(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find("-----BEGIN ") {
        let label = rest[start + 11..]
            .find("-----")
            .map(|i| &rest[start + 11..start + 11 + i]);
        match label {
            Some(label) if label.contains("PRIVATE KEY") => {
                out.push_str(&rest[..start]);
                let end_marker = format!("-----END {label}-----");
                match rest[start..].find(&end_marker) {
                    Some(e) => rest = &rest[start + e + end_marker.len()..],
                    None => rest = "",
                }
                out.push_str("[private key redacted]");
            }
            _ => {
                out.push_str(&rest[..start + 11]);
                rest = &rest[start + 11..];
            }
        }
    }
    out.push_str(rest);
    long_base64(&out)
}

fn long_base64(text: &str) -> String {
    let is_b64 = |c: char| c.is_ascii_alphanumeric() || c == '+' || c == '/' || c == '=';
    let mut out = String::with_capacity(text.len());
    let mut run = String::new();
    let flush = |run: &mut String, out: &mut String| {
        if run.len() >= KEY_MATERIAL_CHARS && run.starts_with("MII") {
            out.push_str("[key material redacted]");
        } else {
            out.push_str(run);
        }
        run.clear();
    };
    for c in text.chars() {
        if is_b64(c) {
            run.push(c);
        } else {
            flush(&mut run, &mut out);
            out.push(c);
        }
    }
    flush(&mut run, &mut out);
    out
}
