//! Typed checks of request and response bodies against the body tables.
//!
//! Each check is a small function named for what it checks; a failed check is
//! a [`Violation`]: the field, the rule, what was expected, what was seen and
//! the row of the API text, rendered in one place ([`Violation`]'s `Display`).
//! The JSON Schemas of [`crate::schema`] are derived from the same rows, and a
//! test holds the two to the same judgement on generated bodies.
//!
//! ```
//! use cdm_conformance::{checks, Spec};
//! use serde_json::json;
//!
//! let body = json!({"partnerReferenceNo": "", "merchantId": "M1", "additionalInfo": {}});
//! let found = checks::request_body(Spec::embedded(), &body);
//! assert_eq!(
//!     found[0].to_string(),
//!     "partnerReferenceNo: expected a non-empty string, found an empty string (request body row 1 (partnerReferenceNo))"
//! );
//! ```

use std::fmt;

use serde::Serialize;
use serde_json::{Map, Value};

use crate::spec::{FieldRow, FieldType, Required, Spec, SpecRef, Table};

/// The rule a value broke.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Rule {
    /// The body is not a JSON object.
    NotAnObject,
    /// A required field is absent.
    Missing,
    /// A field is `null`.
    Null,
    /// A field has another JSON type.
    WrongType,
    /// A required string is empty.
    Empty,
    /// A string is longer than its limit, or not of its fixed length.
    Length,
    /// A value outside the field's closed set.
    NotAllowed,
}

/// A failed check: data, rendered in one place.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Violation {
    /// The row of the API text the rule comes from.
    pub spec_ref: SpecRef,
    /// The field (or `body`).
    pub field: String,
    /// The rule broken.
    pub rule: Rule,
    /// What the row asks for.
    pub expected: String,
    /// What was seen.
    pub actual: String,
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}: expected {}, found {} ({})",
            self.field, self.expected, self.actual, self.spec_ref
        )
    }
}

/// How a JSON value is described in a message.
pub fn describe(value: &Value) -> String {
    match value {
        Value::Null => "null".into(),
        Value::Bool(b) => format!("the boolean {b}"),
        Value::Number(n) => format!("the number {n}"),
        Value::String(s) if s.is_empty() => "an empty string".into(),
        Value::String(s) => format!("a string of {} characters", s.chars().count()),
        Value::Array(a) => format!("an array of {} items", a.len()),
        Value::Object(o) => format!("an object with {} keys", o.len()),
    }
}

fn expected_type(row: &FieldRow) -> String {
    match row.ty {
        FieldType::String => "a string".into(),
        FieldType::Object => "a JSON object".into(),
        FieldType::Enum => format!("one of {}", row.values.join(", ")),
    }
}

/// Checks that the body is a JSON object.
pub fn body_is_object(table: Table, value: &Value) -> Result<&Map<String, Value>, Violation> {
    value.as_object().ok_or_else(|| Violation {
        spec_ref: SpecRef::item(table, "body"),
        field: "body".into(),
        rule: Rule::NotAnObject,
        expected: "a JSON object".into(),
        actual: describe(value),
    })
}

/// Checks one field against its row: presence, null, JSON type, emptiness,
/// length, allowed values. `required` says whether the row applies as
/// mandatory here (conditional rows are mandatory on success).
pub fn field_matches_row(
    row: &FieldRow,
    value: Option<&Value>,
    required: bool,
) -> Option<Violation> {
    let violation = |rule, expected: String, actual: String| {
        Some(Violation {
            spec_ref: row.spec_ref(),
            field: row.name.clone(),
            rule,
            expected,
            actual,
        })
    };
    let value = match value {
        None if required => {
            return violation(Rule::Missing, expected_type(row), "no such field".into());
        }
        None => return None,
        Some(v) => v,
    };
    match (row.ty, value) {
        (_, Value::Null) => violation(Rule::Null, expected_type(row), "null".into()),
        (FieldType::Object, Value::Object(_)) => None,
        (FieldType::String | FieldType::Enum, Value::String(s)) => {
            string_matches_row(row, s, required)
                .and_then(|(rule, expected, actual)| violation(rule, expected, actual))
        }
        _ => violation(Rule::WrongType, expected_type(row), describe(value)),
    }
}

fn string_matches_row(row: &FieldRow, s: &str, required: bool) -> Option<(Rule, String, String)> {
    if row.ty == FieldType::Enum {
        return (!row.values.iter().any(|v| v == s))
            .then(|| (Rule::NotAllowed, expected_type(row), format!("{s:?}")));
    }
    let chars = s.chars().count();
    if required && chars == 0 {
        return Some((
            Rule::Empty,
            "a non-empty string".into(),
            "an empty string".into(),
        ));
    }
    if !row.length.admits(chars) {
        return Some((
            Rule::Length,
            format!("a string of {}", row.length),
            format!("{chars} characters"),
        ));
    }
    None
}

/// Checks a request body against the request body table.
pub fn request_body(spec: &Spec, value: &Value) -> Vec<Violation> {
    let object = match body_is_object(Table::RequestBody, value) {
        Ok(o) => o,
        Err(v) => return vec![v],
    };
    spec.request_fields
        .iter()
        .filter_map(|row| {
            field_matches_row(
                row,
                object.get(&row.name),
                row.required == Required::Mandatory,
            )
        })
        .collect()
}

/// Checks a response body against the response body table. Rows required
/// "on success" are required when `responseCode` is the success code.
pub fn response_body(spec: &Spec, value: &Value) -> Vec<Violation> {
    let object = match body_is_object(Table::ResponseBody, value) {
        Ok(o) => o,
        Err(v) => return vec![v],
    };
    let success = object.get("responseCode").and_then(Value::as_str)
        == Some(spec.success_code().code.as_str());
    spec.response_fields
        .iter()
        .filter_map(|row| {
            let required = match row.required {
                Required::Mandatory => true,
                Required::OnSuccess => success,
            };
            field_matches_row(row, object.get(&row.name), required)
        })
        .collect()
}

// ---------------------------------------------------------------------------
// The rules every response must keep (contract §5), as findings.
// ---------------------------------------------------------------------------

use crate::spec::{ConditionKind, ResponseCode};
use crate::transport::Received;
use crate::verdict::{Finding, Verdict};

/// A response body that parsed as a JSON object, with its code if it has a valid one.
#[derive(Debug, Clone)]
pub struct ParsedResponse {
    /// The body.
    pub body: Map<String, Value>,
    /// `responseCode`, when it is a 7-digit string.
    pub code: Option<ResponseCode>,
}

fn unexpected_row(spec: &Spec) -> SpecRef {
    spec.response_condition(ConditionKind::UnexpectedResponse)
        .map(|r| r.spec_ref())
        .unwrap_or_else(|| SpecRef::item(Table::ResponseCode, "Unexpected response"))
}

fn header_row(spec: &Spec, name: &str) -> SpecRef {
    spec.response_header(name)
        .map(|h| h.spec_ref())
        .unwrap_or_else(|| SpecRef::item(Table::ResponseHeader, name))
}

fn field_row(spec: &Spec, name: &str) -> SpecRef {
    spec.response_field(name)
        .map(|f| f.spec_ref())
        .unwrap_or_else(|| SpecRef::item(Table::ResponseBody, name))
}

/// Whether a Content-Type value is the media type `application/json`
/// (case-insensitive; parameters such as `; charset=utf-8` allowed).
///
/// ```
/// assert!(cdm_conformance::checks::is_json_media_type("Application/JSON; charset=UTF-8"));
/// assert!(!cdm_conformance::checks::is_json_media_type("text/json"));
/// ```
pub fn is_json_media_type(value: &str) -> bool {
    value
        .split(';')
        .next()
        .is_some_and(|m| m.trim().eq_ignore_ascii_case("application/json"))
}

/// Parses a response body, or says why it is not a JSON object.
pub fn parse_response(spec: &Spec, received: &Received) -> Result<ParsedResponse, Finding> {
    let fail = |actual: String| {
        Finding::new(
            "body_is_json_object",
            Verdict::Fail,
            unexpected_row(spec),
            "a JSON object body",
            actual,
        )
    };
    if received.truncated {
        return Err(fail(format!(
            "a body over {} bytes",
            crate::transport::BODY_CAP
        )));
    }
    let value: Value = match serde_json::from_slice(&received.body) {
        Ok(v) => v,
        Err(_) if received.body.is_empty() => return Err(fail("an empty body".into())),
        Err(e) => {
            let head: String = String::from_utf8_lossy(&received.body)
                .chars()
                .take(60)
                .collect();
            return Err(fail(format!("a body that is not JSON ({e}): {head:?}")));
        }
    };
    let Value::Object(body) = value else {
        return Err(fail(describe(&value)));
    };
    let code = body
        .get("responseCode")
        .and_then(Value::as_str)
        .and_then(|c| c.parse().ok());
    Ok(ParsedResponse { body, code })
}

/// Checks every rule a response must keep, whatever was asked. `parsed` is
/// the result of [`parse_response`].
pub fn response_rules(
    spec: &Spec,
    received: &Received,
    parsed: &Result<ParsedResponse, Finding>,
    elapsed_ms: u64,
) -> Vec<Finding> {
    let mut out = Vec::new();
    let pass = |check, spec_ref: SpecRef, what: String| {
        Finding::new(check, Verdict::Pass, spec_ref, "", what)
    };

    // Headers.
    let ct_ref = header_row(spec, "Content-Type");
    out.push(match received.header("content-type") {
        Some(v) if is_json_media_type(v) => {
            pass("content_type_json", ct_ref, format!("Content-Type {v}"))
        }
        Some(v) => Finding::new(
            "content_type_json",
            Verdict::Fail,
            ct_ref,
            "Content-Type application/json",
            format!("Content-Type {v:?}"),
        ),
        None => Finding::new(
            "content_type_json",
            Verdict::Fail,
            ct_ref,
            "Content-Type application/json",
            "no Content-Type header",
        ),
    });
    let ts_ref = header_row(spec, "X-TIMESTAMP");
    out.push(match received.header("x-timestamp") {
        Some(v) => match crate::wire::Timestamp::parse(v) {
            Ok(_) => pass(
                "x_timestamp_well_formed",
                ts_ref,
                format!("X-TIMESTAMP {v}"),
            ),
            Err(e) => Finding::new(
                "x_timestamp_well_formed",
                Verdict::Fail,
                ts_ref,
                "X-TIMESTAMP of the form YYYY-MM-DDTHH:mm:ss+07:00",
                e.to_string(),
            ),
        },
        None => Finding::new(
            "x_timestamp_well_formed",
            Verdict::Fail,
            ts_ref,
            "an X-TIMESTAMP response header",
            "no X-TIMESTAMP header",
        ),
    });

    // Timing.
    let limit = spec.endpoint.expected_timeout_ms;
    let timing_ref = SpecRef::item(Table::Specification, "Expected Timeout");
    out.push(if elapsed_ms <= limit {
        pass(
            "within_expected_timeout",
            timing_ref,
            format!("answered in {elapsed_ms} ms"),
        )
    } else {
        Finding::new(
            "within_expected_timeout",
            Verdict::Fail,
            timing_ref,
            format!("an answer within {limit} ms"),
            format!("an answer after {elapsed_ms} ms"),
        )
    });

    // Body.
    let parsed = match parsed {
        Ok(p) => p,
        Err(finding) => {
            out.push(finding.clone());
            return out;
        }
    };
    let code_ref = field_row(spec, "responseCode");
    let raw_code = parsed.body.get("responseCode");
    match (raw_code, parsed.code) {
        (_, Some(code)) => {
            let service = &spec.endpoint.service_code;
            if code.service_code() != service {
                out.push(Finding::new(
                    "response_code_service",
                    Verdict::Fail,
                    code_ref.clone(),
                    format!("service code {service} in digits 4-5"),
                    format!("responseCode {code}"),
                ));
            }
            out.push(match spec.response_code(code.as_str()) {
                Some(row) => pass(
                    "response_code_in_table",
                    row.spec_ref(),
                    format!("responseCode {code}"),
                ),
                None => Finding::new(
                    "response_code_in_table",
                    Verdict::Fail,
                    unexpected_row(spec),
                    "a responseCode of the response code table",
                    format!("responseCode {code}, which the table does not define"),
                ),
            });
            out.push(if received.status == code.http_status() {
                pass(
                    "http_status_matches_code",
                    code_ref.clone(),
                    format!("HTTP {} for {code}", received.status),
                )
            } else {
                Finding::new(
                    "http_status_matches_code",
                    Verdict::Fail,
                    code_ref.clone(),
                    format!(
                        "HTTP status {} (the first three digits of {code})",
                        code.http_status()
                    ),
                    format!("HTTP {}", received.status),
                )
            });
            if let Some(row) = spec.response_code(code.as_str()) {
                let message = parsed
                    .body
                    .get("responseMessage")
                    .and_then(Value::as_str)
                    .unwrap_or_default();
                if !message.is_empty() && !message.starts_with(row.message_prefix()) {
                    out.push(Finding::new(
                        "message_matches_table",
                        Verdict::Warn,
                        row.spec_ref(),
                        format!("responseMessage beginning {:?}", row.message_prefix()),
                        format!("{message:?}"),
                    ));
                }
            }
        }
        (None, None) => {}
        (Some(other), None) => out.push(Finding::new(
            "response_code_in_table",
            Verdict::Fail,
            unexpected_row(spec),
            "a 7-digit responseCode of the response code table",
            describe_code(other),
        )),
    }
    for v in response_body(spec, &Value::Object(parsed.body.clone())) {
        out.push(Finding::new(
            "response_body_fields",
            Verdict::Fail,
            v.spec_ref.clone(),
            format!("{} {}", v.field, v.expected),
            v.actual.clone(),
        ));
    }
    out
}

fn describe_code(v: &Value) -> String {
    match v {
        Value::String(s) => format!("responseCode {s:?}"),
        other => format!("responseCode {}", describe(other)),
    }
}
