//! Evidence: what a verdict was given on, kept in the JSON report so that
//! `rejudge` can give it again ([`crate::rejudge`]).
//!
//! The live judge and `rejudge` read the same values: a certification
//! case is judged from its [`Evidence`] (the requests as recorded, with
//! the `Authorization` credential already redacted to its fingerprinted
//! form), never from richer data that a report could not carry. So a
//! report whose evidence is untouched is judged again to the same
//! verdicts, with the same rules, and an edited one is not.
//!
//! Bodies are kept whole (up to the harness's caps): as text when they are
//! UTF-8, as `{"base64": "..."}` when not, so that no byte is lost.
//!
//! ```
//! use cdm_conformance::evidence::Bytes;
//! let text = serde_json::to_string(&Bytes(b"{\"a\":1}".to_vec())).unwrap();
//! assert_eq!(text, r#""{\"a\":1}""#);
//! let binary = serde_json::to_string(&Bytes(vec![0xff, 0x00])).unwrap();
//! assert_eq!(binary, r#"{"base64":"/wA="}"#);
//! let back: Bytes = serde_json::from_str(&binary).unwrap();
//! assert_eq!(back.0, vec![0xff, 0x00]);
//! ```

use base64::Engine as _;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use time::OffsetDateTime;

use crate::rules::request::Incoming;

/// Bytes as JSON: a string when they are UTF-8, else `{"base64": "..."}`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Bytes(pub Vec<u8>);

#[derive(Serialize, Deserialize)]
#[serde(untagged)]
enum BytesRepr {
    Text(String),
    Base64 { base64: String },
}

impl Serialize for Bytes {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match std::str::from_utf8(&self.0) {
            Ok(text) => BytesRepr::Text(text.to_owned()),
            Err(_) => BytesRepr::Base64 {
                base64: base64::engine::general_purpose::STANDARD.encode(&self.0),
            },
        }
        .serialize(s)
    }
}

impl<'de> Deserialize<'de> for Bytes {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        match BytesRepr::deserialize(d)? {
            BytesRepr::Text(t) => Ok(Bytes(t.into_bytes())),
            BytesRepr::Base64 { base64 } => base64::engine::general_purpose::STANDARD
                .decode(base64)
                .map(Bytes)
                .map_err(serde::de::Error::custom),
        }
    }
}

/// `serde(with)` for a `Vec<u8>` kept as [`Bytes`].
pub mod bytes {
    use serde::{Deserialize, Serialize};

    /// Serialises as [`super::Bytes`].
    pub fn serialize<S: serde::Serializer>(v: &[u8], s: S) -> Result<S::Ok, S::Error> {
        super::Bytes(v.to_vec()).serialize(s)
    }

    /// Deserialises from [`super::Bytes`].
    pub fn deserialize<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Vec<u8>, D::Error> {
        super::Bytes::deserialize(d).map(|b| b.0)
    }
}

/// An answer the harness gave (certification), as recorded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GivenAnswer {
    /// HTTP status.
    pub status: u16,
    /// The reason phrase, when it was not the harness's own.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// Headers.
    pub headers: Vec<(String, String)>,
    /// Header values byte for byte, when they came from an upstream (what
    /// the proxy writes); not kept in reports.
    #[serde(skip)]
    pub raw_headers: Option<Vec<(String, Vec<u8>)>>,
    /// The body.
    #[serde(with = "bytes")]
    pub body: Vec<u8>,
    /// How long the answer was held before it went out, in milliseconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub held_ms: Option<u64>,
}

impl GivenAnswer {
    /// The headers as they go on the wire: the raw values when kept.
    pub fn wire_headers(&self) -> Vec<(String, Vec<u8>)> {
        match &self.raw_headers {
            Some(raw) => raw.clone(),
            None => self
                .headers
                .iter()
                .map(|(n, v)| (n.clone(), v.clone().into_bytes()))
                .collect(),
        }
    }
}

/// A request that reached the harness, and what it was answered.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Arrival {
    /// When it arrived, on the harness's wall clock (the clock timestamps
    /// are held to).
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
    /// When it arrived, in microseconds since the case began, on the
    /// harness's monotonic clock (what gaps between attempts are
    /// measured on).
    pub after_us: u64,
    /// The request, `Authorization` redacted ([`crate::redact::authorization`]).
    pub request: Incoming,
    /// Whether it was a POST to the endpoint path (an attempt).
    pub on_endpoint: bool,
    /// The answer.
    pub answer: GivenAnswer,
}

/// What the client was handed: the credentials and the body to send.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Handed {
    /// The path prefix of the case's base URL (`/case/<id>`).
    pub prefix: String,
    /// `CDM_PARTNER_ID`.
    pub partner_id: String,
    /// `CDM_CLIENT_KEY` (no secret: it is signed, not signed with).
    pub client_key: String,
    /// `CDM_ACCESS_TOKEN`, redacted ([`crate::redact::token`]).
    pub access_token: String,
    /// `CDM_REQUEST`.
    pub request: Value,
}

/// A certification case's evidence: everything its judge reads besides
/// the contract, the public key and the client's outcome.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Evidence {
    /// What the client was handed.
    pub handed: Handed,
    /// Every request under the case's base URL, in order of arrival.
    pub arrivals: Vec<Arrival>,
    /// When the client's run ended, in microseconds since the case began.
    pub ended_after_us: u64,
    /// Requests of the whole run that arrived outside every case's base URL.
    pub strays: usize,
}

/// A request with its `Authorization` credential redacted to the form
/// reports keep (a prefix, the length and a fingerprint): what the
/// evidence records, and so what the judge reads.
pub fn redacted(request: &Incoming) -> Incoming {
    let mut request = request.clone();
    for (name, value) in &mut request.headers {
        if let Some(v) = value {
            *v = crate::redact::header(name, v);
        }
    }
    request
}

/// What came back from the upstream a request was forwarded to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Upstream {
    /// The answer, or why there was none.
    pub outcome: Result<crate::transport::Received, crate::transport::TransportError>,
    /// Milliseconds from forwarding to the end of the answer.
    pub elapsed_ms: u64,
    /// The harness's wall clock at the end of the answer.
    #[serde(with = "time::serde::rfc3339")]
    pub received_at: OffsetDateTime,
}

/// Why the proxy answered a request itself instead of forwarding it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum Refused {
    /// The body was longer than the cap (answered 413).
    BodyTooLarge {
        /// The cap, in bytes.
        cap: usize,
    },
    /// The bytes were not an HTTP/1.1 request (answered 400).
    NotHttp {
        /// What was wrong.
        reason: String,
    },
}

/// One exchange through the proxy: the request as received, the answer
/// the client got, and what the upstream said.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Proxied {
    /// Its number, in order of arrival from 1 (the case id's).
    #[serde(default)]
    pub seq: u64,
    /// The request, when it came and what the client was answered.
    pub arrival: Arrival,
    /// The upstream's answer; `None` when the proxy refused the request.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub upstream: Option<Upstream>,
    /// Why the proxy answered itself.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refused: Option<Refused>,
}
