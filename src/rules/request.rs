//! What a request must be: method and path, every header of the request
//! header table, the signature over the text as received, the timestamp's
//! drift, the body.
//!
//! One set of rules for every mode: the simulator answers the first
//! [`Breached`] rule with the code its [`Breach`] maps to; client
//! certification reports every one as a finding. Header names,
//! formats and limits come from the header table; the signing text,
//! authorization prefix and drift from the interpretations.

use serde_json::Value;
use time::OffsetDateTime;

use super::CheckId;
use super::body::{Rule, describe, request_body};
use crate::contract::Contract;
use crate::spec::{HeaderFormat, HeaderRow, SpecRef, Table};
use crate::verdict::{Finding, Verdict};
use crate::wire::{Timestamp, VerifyingKey};

/// A received request, reduced to what the rules read.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Incoming {
    /// The method.
    pub method: String,
    /// The path.
    pub path: String,
    /// Header names and values as received; a value that is not UTF-8 is `None`.
    pub headers: Vec<(String, Option<String>)>,
    /// The body.
    #[serde(with = "crate::evidence::bytes")]
    pub body: Vec<u8>,
}

impl Incoming {
    /// A header by case-insensitive name: `None` when absent, `Some(None)`
    /// when its value is not UTF-8.
    pub fn header(&self, name: &str) -> Option<Option<&str>> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_deref())
    }
}

/// What a request is judged against.
#[derive(Debug, Clone, Copy)]
pub struct Expected<'a> {
    /// The path prefix the endpoint path must follow (`""`, or
    /// certification's `/case/<id>`).
    pub prefix: &'a str,
    /// How a message shows that prefix (`$CDM_BASE_URL`).
    pub prefix_shown: &'a str,
    /// The partner id the request must carry, when it is known (a proxy
    /// may not know it: then any value is taken).
    pub partner_id: Option<&'a str>,
    /// The client key the signature must cover.
    pub client_key: &'a str,
    /// The access token Authorization must carry, when it is known (a
    /// proxy may not know it: then only the scheme is judged).
    pub access_token: Option<&'a str>,
    /// The key the signature must verify with.
    pub public_key: &'a VerifyingKey,
    /// The body the request must carry, as JSON, when one was asked for.
    pub body: Option<&'a Value>,
    /// The clock the timestamp is held to, and the limit in seconds, when
    /// drift is judged.
    pub drift: Option<(OffsetDateTime, u64)>,
}

/// Which rule a request broke: what the simulator's answer is chosen by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Breach {
    /// Another method or path.
    MethodOrPath,
    /// A header of the table is absent.
    HeaderMissing,
    /// A header's value is not UTF-8 text.
    HeaderNotText,
    /// A header's value is over its limit.
    HeaderTooLong,
    /// The content type is not JSON.
    NotJsonMediaType,
    /// The timestamp is malformed.
    MalformedTimestamp,
    /// The timestamp is far from the harness's clock.
    TimestampDrift,
    /// The partner id is not the expected one.
    UnknownPartner,
    /// Authorization lacks the prefix.
    NoAuthorizationPrefix,
    /// Authorization carries another token.
    UnknownToken,
    /// The authorization scheme in another case (a warning, never a refusal).
    SchemeCase,
    /// The signature does not verify.
    BadSignature,
    /// The body is not JSON.
    BodyNotJson,
    /// The body is not a JSON object.
    BodyNotObject,
    /// A body field breaks its row.
    BodyField(Rule),
    /// The body is not the one asked for.
    BodyDiffers,
}

/// A broken rule: which, about what, and the finding that reports it.
#[derive(Debug, Clone)]
pub struct Breached {
    /// The rule.
    pub breach: Breach,
    /// The header or field concerned, if any.
    pub subject: Option<String>,
    /// The finding: check, row, expected and seen.
    pub finding: Finding,
}

fn check_of(format: HeaderFormat) -> CheckId {
    match format {
        HeaderFormat::ContentTypeJson => CheckId::ContentType,
        HeaderFormat::BearerToken => CheckId::Authorization,
        HeaderFormat::JakartaTimestamp => CheckId::XTimestamp,
        HeaderFormat::RsaSignature => CheckId::XSignature,
        HeaderFormat::Identifier => CheckId::XPartnerId,
    }
}

fn breached(
    breach: Breach,
    subject: Option<&str>,
    check: CheckId,
    spec_ref: SpecRef,
    expected: impl Into<String>,
    actual: impl Into<String>,
) -> Breached {
    Breached {
        breach,
        subject: subject.map(str::to_owned),
        finding: Finding::new(check, Verdict::Fail, spec_ref, expected, actual),
    }
}

/// The method and path.
pub fn request_line(contract: &Contract, req: &Incoming, expected: &Expected) -> Option<Breached> {
    let endpoint = contract.endpoint();
    let path = format!("{}{}", expected.prefix, endpoint.path);
    if req.path == path && req.method.eq_ignore_ascii_case(&endpoint.method) {
        return None;
    }
    Some(breached(
        Breach::MethodOrPath,
        None,
        CheckId::MethodAndPath,
        SpecRef::item(Table::Specification, "Method, URL"),
        format!(
            "{} {}{}",
            endpoint.method, expected.prefix_shown, endpoint.path
        ),
        format!("{} {}", req.method, req.path),
    ))
}

/// Why a refused signature was refused, when a common mistake explains it.
fn diagnose_signature(
    contract: &Contract,
    key: &VerifyingKey,
    expected: &Expected,
    ts: &str,
    sig: &str,
) -> String {
    let text = contract.signing_text(expected.client_key, ts);
    if let Some(hash) = key.other_hash_matching(&text, sig) {
        return format!("; it is a signature of that text with {hash} instead of SHA-256");
    }
    let separator = &contract.wire().signing_text_separator;
    let partner = expected.partner_id.map(|p| {
        (
            contract.signing_text(p, ts),
            format!(
                "{} signed in place of the client key",
                contract
                    .header(HeaderFormat::Identifier)
                    .unwrap_or("the partner id")
            ),
        )
    });
    let candidates = [
        partner,
        Some((
            contract.signing_text(ts, expected.client_key),
            "the timestamp and the client key swapped".to_owned(),
        )),
        Some((
            format!("{}{ts}", expected.client_key),
            format!("no {separator:?} between client key and timestamp"),
        )),
        Some((format!("{text}\n"), "a newline after the text".to_owned())),
        Some((ts.to_owned(), "the timestamp alone".to_owned())),
        Some((
            expected.client_key.to_owned(),
            "the client key alone".to_owned(),
        )),
    ];
    for (candidate, mistake) in candidates.into_iter().flatten() {
        if key.verify(&candidate, sig).is_ok() {
            return format!("; it is a valid signature of {candidate:?} ({mistake})");
        }
    }
    String::new()
}

/// Every header rule, in the order the simulator decides by: presence and
/// length of each header, then the content type, the timestamp, the
/// partner, the token, the signature.
pub fn headers(contract: &Contract, req: &Incoming, expected: &Expected) -> Vec<Breached> {
    let spec = &contract.spec;
    let mut out = Vec::new();
    let value = |format: HeaderFormat| -> Option<(&HeaderRow, &str)> {
        let row = spec.request_header_of(format)?;
        req.header(&row.name).flatten().map(|v| (row, v))
    };
    for row in &spec.request_headers {
        let check = check_of(row.format);
        match req.header(&row.name) {
            None => out.push(breached(
                Breach::HeaderMissing,
                Some(&row.name),
                check,
                row.spec_ref(),
                format!("the {} header", row.name),
                format!("no {}", row.name),
            )),
            Some(None) => out.push(breached(
                Breach::HeaderNotText,
                Some(&row.name),
                check,
                row.spec_ref(),
                format!("the {} header in UTF-8 text", row.name),
                "a value that is not UTF-8".to_owned(),
            )),
            Some(Some(v)) => {
                let chars = v.chars().count();
                let limited = row.format != HeaderFormat::JakartaTimestamp;
                if limited && row.length.max().is_some_and(|m| chars > m) {
                    out.push(breached(
                        Breach::HeaderTooLong,
                        Some(&row.name),
                        check,
                        row.spec_ref(),
                        format!("{} of {}", row.name, row.length),
                        format!("{chars} characters"),
                    ));
                }
            }
        }
    }
    if let Some((row, v)) = value(HeaderFormat::ContentTypeJson)
        && !super::response::is_json_media_type(v)
    {
        out.push(breached(
            Breach::NotJsonMediaType,
            Some(&row.name),
            CheckId::ContentType,
            row.spec_ref(),
            format!("{}: {}", row.name, spec.endpoint.content_type),
            format!("{v:?}"),
        ));
    }
    let timestamp = value(HeaderFormat::JakartaTimestamp);
    if let Some((row, v)) = timestamp {
        match Timestamp::parse(v) {
            Err(e) => out.push(breached(
                Breach::MalformedTimestamp,
                Some(&row.name),
                CheckId::XTimestamp,
                row.spec_ref(),
                format!("{} of the form {}", row.name, crate::wire::timestamp::FORM),
                e.to_string(),
            )),
            Ok(ts) => {
                if let Some((clock, limit)) = expected.drift {
                    let drift = (ts.unix_seconds() - clock.unix_timestamp()).unsigned_abs();
                    if drift > limit {
                        let rule = format!(
                            "{} within {} minutes of the harness's clock",
                            row.name,
                            limit / 60
                        );
                        out.push(breached(
                            Breach::TimestampDrift,
                            Some(&row.name),
                            CheckId::XTimestampDrift,
                            SpecRef::item(Table::Interpretation, rule),
                            format!("{} within {limit} s of the harness's clock", row.name),
                            format!("{ts} is {drift} s away"),
                        ));
                    }
                }
            }
        }
    }
    if let Some((row, v)) = value(HeaderFormat::Identifier)
        && let Some(partner_id) = expected.partner_id
        && v != partner_id
    {
        out.push(breached(
            Breach::UnknownPartner,
            Some(&row.name),
            CheckId::XPartnerId,
            row.spec_ref(),
            format!("{}: {partner_id}", row.name),
            format!("{v:?}"),
        ));
    }
    if let Some((row, v)) = value(HeaderFormat::BearerToken) {
        let shown = match expected.access_token {
            Some(token) => format!(
                "{}: {}",
                row.name,
                crate::redact::authorization(&contract.wire().authorization(token))
            ),
            None => format!(
                "{}: {}<token>",
                row.name,
                contract.wire().authorization_prefix
            ),
        };
        let prefix = &contract.wire().authorization_prefix;
        // The scheme in another case (`bearer x`): RFC 9110 makes it
        // case-insensitive, the API text prints `Bearer`: a warning.
        let other_case = v
            .get(..prefix.len())
            .filter(|head| *head != prefix.as_str() && head.eq_ignore_ascii_case(prefix))
            .map(|_| &v[prefix.len()..]);
        if other_case.is_some() {
            let mut warning = breached(
                Breach::SchemeCase,
                Some(&row.name),
                CheckId::Authorization,
                row.spec_ref(),
                format!("{shown} (the scheme as the API text prints it)"),
                format!("{:?}", crate::redact::authorization(v)),
            );
            warning.finding.verdict = Verdict::Warn;
            out.push(warning);
        }
        match other_case.or_else(|| v.strip_prefix(prefix.as_str())) {
            None => out.push(breached(
                Breach::NoAuthorizationPrefix,
                Some(&row.name),
                CheckId::Authorization,
                row.spec_ref(),
                shown,
                format!("{:?}", crate::redact::authorization(v)),
            )),
            Some(token) if expected.access_token.is_some_and(|t| t != token) => out.push(breached(
                Breach::UnknownToken,
                Some(&row.name),
                CheckId::Authorization,
                row.spec_ref(),
                shown,
                format!("{:?}", crate::redact::authorization(v)),
            )),
            Some(_) => {}
        }
    }
    if let (Some((row, sig)), Some((_, ts))) = (value(HeaderFormat::RsaSignature), timestamp) {
        let text = contract.signing_text(expected.client_key, ts);
        if let Err(e) = expected.public_key.verify(&text, sig) {
            let why = diagnose_signature(contract, expected.public_key, expected, ts, sig);
            out.push(breached(
                Breach::BadSignature,
                Some(&row.name),
                CheckId::XSignature,
                row.spec_ref(),
                format!("SHA256withRSA over {text:?}, verified with --public-key"),
                format!(
                    "{e}{why} ({} {})",
                    row.name,
                    crate::redact::shorten(sig, 16)
                ),
            ));
        }
    }
    out
}

/// Where two JSON values first differ, as `path: expected …, got …`.
pub fn first_difference(expected: &Value, actual: &Value, path: &str) -> Option<String> {
    let join = |k: &str| {
        if path.is_empty() {
            k.to_owned()
        } else {
            format!("{path}.{k}")
        }
    };
    match (expected, actual) {
        (Value::Object(e), Value::Object(a)) => {
            for (k, ev) in e {
                let p = join(k);
                match a.get(k) {
                    None => return Some(format!("{p}: expected {ev}, got no such field")),
                    Some(av) => {
                        if let Some(d) = first_difference(ev, av, &p) {
                            return Some(d);
                        }
                    }
                }
            }
            a.keys()
                .find(|k| !e.contains_key(*k))
                .map(|k| format!("{}: not in CDM_REQUEST, got {}", join(k), a[k]))
        }
        (e, a) if e == a => None,
        (e, a) => Some(format!(
            "{}: expected {e} ({}), got {a} ({})",
            if path.is_empty() { "body" } else { path },
            describe(e),
            describe(a)
        )),
    }
}

/// The body: JSON, an object, every row of the request body table, and,
/// when one was asked for, equal to it as JSON with its types kept. The
/// parsed body comes back too, for the caller's own business rules.
pub fn body(
    contract: &Contract,
    req: &Incoming,
    wanted: Option<&Value>,
) -> (Option<Value>, Vec<Breached>) {
    let body_ref = SpecRef::item(Table::RequestBody, "body");
    let value: Value = match serde_json::from_slice(&req.body) {
        Ok(v) => v,
        Err(e) => {
            let breach = breached(
                Breach::BodyNotJson,
                None,
                CheckId::Body,
                body_ref,
                match wanted {
                    Some(_) => "the body of CDM_REQUEST, as JSON",
                    None => "a JSON object body",
                },
                format!("a body that is not JSON ({e})"),
            );
            return (None, vec![breach]);
        }
    };
    if !value.is_object() {
        let breach = breached(
            Breach::BodyNotObject,
            None,
            CheckId::Body,
            body_ref,
            "a JSON object body",
            describe(&value),
        );
        return (Some(value), vec![breach]);
    }
    let mut out = Vec::new();
    if let Some(wanted) = wanted
        && let Some(d) = first_difference(wanted, &value, "")
    {
        out.push(breached(
            Breach::BodyDiffers,
            None,
            CheckId::Body,
            body_ref,
            "the body equal, as JSON, to CDM_REQUEST, types kept",
            d,
        ));
    }
    for v in request_body(&contract.spec, &value) {
        out.push(Breached {
            breach: Breach::BodyField(v.rule),
            subject: Some(v.field.clone()),
            finding: Finding::new(
                CheckId::Body,
                Verdict::Fail,
                v.spec_ref.clone(),
                format!("{} {}", v.field, v.expected),
                v.actual.clone(),
            ),
        });
    }
    (Some(value), out)
}

/// Every rule at once, in order: what certification and the proxy report.
pub fn check_request(contract: &Contract, req: &Incoming, expected: &Expected) -> Vec<Breached> {
    let mut out: Vec<Breached> = request_line(contract, req, expected).into_iter().collect();
    out.extend(headers(contract, req, expected));
    out.extend(body(contract, req, expected.body).1);
    out
}
