//! The rules every answer must keep, and the code a case expects.
//!
//! Used by the server suite on every exchange, by the reference client to
//! tell an answer it can act on from an unexpected one, and by the proxy.
//! Header and field names come from the response tables and the spec's
//! roles, never from this file.

use serde_json::{Map, Value};

use super::CheckId;
use super::body::{describe, response_body};
use crate::contract::Contract;
use crate::spec::{
    ConditionKind, HeaderFormat, MessageMismatch, ResponseCode, Spec, SpecRef, Table,
};
use crate::transport::{Exchange, Received, TransportError};
use crate::verdict::{Finding, Verdict};

/// A response body that parsed as a JSON object, with its code if it has a valid one.
#[derive(Debug, Clone)]
pub struct ParsedResponse {
    /// The body.
    pub body: Map<String, Value>,
    /// The response code, when it is a 7-digit string.
    pub code: Option<ResponseCode>,
}

fn header_row(spec: &Spec, format: HeaderFormat) -> (String, SpecRef) {
    match spec.response_header_of(format) {
        Some(h) => (h.name.clone(), h.spec_ref()),
        None => (
            format.name().to_owned(),
            SpecRef::item(Table::ResponseHeader, format.name()),
        ),
    }
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
/// use cdm_conformance::rules::response::is_json_media_type;
/// assert!(is_json_media_type("Application/JSON; charset=UTF-8"));
/// assert!(!is_json_media_type("text/json"));
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
            CheckId::BodyIsJsonObject,
            Verdict::Fail,
            spec.condition_ref(ConditionKind::UnexpectedResponse),
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
        .get(&spec.interpretations.roles.response_code)
        .and_then(Value::as_str)
        .and_then(|c| c.parse().ok());
    Ok(ParsedResponse { body, code })
}

/// Checks every rule a response must keep, whatever was asked. `parsed` is
/// the result of [`parse_response`]; `received_at` is the harness's clock
/// when the answer came (what its X-TIMESTAMP is held to).
pub fn response_rules(
    spec: &Spec,
    received: &Received,
    parsed: &Result<ParsedResponse, Finding>,
    elapsed_ms: u64,
    received_at: time::OffsetDateTime,
) -> Vec<Finding> {
    let mut out = Vec::new();
    let pass = |check, spec_ref: SpecRef, what: String| {
        Finding::new(check, Verdict::Pass, spec_ref, "", what)
    };

    // Headers.
    let (ct_name, ct_ref) = header_row(spec, HeaderFormat::ContentTypeJson);
    let expected_ct = format!("{ct_name} {}", spec.endpoint.content_type);
    out.push(match received.header(&ct_name) {
        Some(v) if is_json_media_type(v) => {
            pass(CheckId::ContentTypeJson, ct_ref, format!("{ct_name} {v}"))
        }
        Some(v) => Finding::new(
            CheckId::ContentTypeJson,
            Verdict::Fail,
            ct_ref,
            expected_ct,
            format!("{ct_name} {v:?}"),
        ),
        None => Finding::new(
            CheckId::ContentTypeJson,
            Verdict::Fail,
            ct_ref,
            expected_ct,
            format!("no {ct_name} header"),
        ),
    });
    let (ts_name, ts_ref) = header_row(spec, HeaderFormat::JakartaTimestamp);
    let mut fresh = None;
    out.push(match received.header(&ts_name) {
        Some(v) => match crate::wire::Timestamp::parse(v) {
            Ok(ts) => {
                // Well formed; and from a clock that is not stale or frozen.
                let limit = spec.interpretations.server.response_timestamp_drift_seconds;
                let now = received_at.unix_timestamp();
                let drift = (ts.unix_seconds() - now).unsigned_abs();
                fresh = Some(if drift <= limit {
                    pass(
                        CheckId::XTimestampFresh,
                        ts_ref.clone(),
                        format!("{drift} s from the harness's clock"),
                    )
                } else {
                    Finding::new(
                        CheckId::XTimestampFresh,
                        Verdict::Fail,
                        SpecRef::item(
                            Table::Interpretation,
                            format!(
                                "response {ts_name} within {} minutes of the harness's clock",
                                limit / 60
                            ),
                        ),
                        format!("{ts_name} within {limit} s of the harness's clock (a live clock)"),
                        format!("{ts_name} {v}, {drift} s away"),
                    )
                });
                pass(
                    CheckId::XTimestampWellFormed,
                    ts_ref,
                    format!("{ts_name} {v}"),
                )
            }
            Err(e) => Finding::new(
                CheckId::XTimestampWellFormed,
                Verdict::Fail,
                ts_ref,
                format!("{ts_name} of the form {}", crate::wire::timestamp::FORM),
                e.to_string(),
            ),
        },
        None => Finding::new(
            CheckId::XTimestampWellFormed,
            Verdict::Fail,
            ts_ref,
            format!("an {ts_name} response header"),
            format!("no {ts_name} header"),
        ),
    });
    out.extend(fresh);

    // Timing.
    let limit = spec.endpoint.expected_timeout_ms;
    let timing_ref = SpecRef::item(Table::Specification, "Expected Timeout");
    out.push(if elapsed_ms <= limit {
        pass(
            CheckId::WithinExpectedTimeout,
            timing_ref,
            format!("answered in {elapsed_ms} ms"),
        )
    } else {
        Finding::new(
            CheckId::WithinExpectedTimeout,
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
    let roles = &spec.interpretations.roles;
    let unexpected = spec.condition_ref(ConditionKind::UnexpectedResponse);
    let code_ref = field_row(spec, &roles.response_code);
    let code_name = &roles.response_code;
    let raw_code = parsed.body.get(code_name);
    match (raw_code, parsed.code) {
        (_, Some(code)) => {
            let service = &spec.endpoint.service_code;
            if code.service_code() != service {
                out.push(Finding::new(
                    CheckId::ResponseCodeService,
                    Verdict::Fail,
                    code_ref.clone(),
                    format!("service code {service} in digits 4-5"),
                    format!("{code_name} {code}"),
                ));
            }
            out.push(match spec.response_code(code.as_str()) {
                Some(row) => pass(
                    CheckId::ResponseCodeInTable,
                    row.spec_ref(),
                    format!("{code_name} {code}"),
                ),
                None => Finding::new(
                    CheckId::ResponseCodeInTable,
                    Verdict::Fail,
                    unexpected.clone(),
                    format!("a {code_name} of the response code table"),
                    format!("{code_name} {code}, which the table does not define"),
                ),
            });
            out.push(if received.status == code.http_status() {
                pass(
                    CheckId::HttpStatusMatchesCode,
                    code_ref.clone(),
                    format!("HTTP {} for {code}", received.status),
                )
            } else {
                Finding::new(
                    CheckId::HttpStatusMatchesCode,
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
                    .get(&roles.response_message)
                    .and_then(Value::as_str)
                    .unwrap_or_default();
                if !message.is_empty() && !message.starts_with(row.message_prefix()) {
                    let verdict = match spec.interpretations.server.message_mismatch {
                        MessageMismatch::Warn => Verdict::Warn,
                    };
                    out.push(Finding::new(
                        CheckId::MessageMatchesTable,
                        verdict,
                        row.spec_ref(),
                        format!(
                            "{} beginning {:?}",
                            roles.response_message,
                            row.message_prefix()
                        ),
                        format!("{message:?}"),
                    ));
                }
            }
        }
        (None, None) => {}
        (Some(other), None) => out.push(Finding::new(
            CheckId::ResponseCodeInTable,
            Verdict::Fail,
            unexpected,
            format!("a 7-digit {code_name} of the response code table"),
            match other {
                Value::String(s) => format!("{code_name} {s:?}"),
                other => format!("{code_name} {}", describe(other)),
            },
        )),
    }
    for v in response_body(spec, &Value::Object(parsed.body.clone())) {
        out.push(Finding::new(
            CheckId::ResponseBodyFields,
            Verdict::Fail,
            v.spec_ref.clone(),
            format!("{} {}", v.field, v.expected),
            v.actual.clone(),
        ));
    }
    out
}

/// The code and message of an answer, for messages: `4009001 (Invalid Field Format)`.
pub fn code_and_message(spec: &Spec, parsed: &Result<ParsedResponse, Finding>) -> String {
    let roles = &spec.interpretations.roles;
    match parsed {
        Ok(p) => {
            let code = p.body.get(&roles.response_code).map_or(
                format!("no {}", roles.response_code),
                |c| match c {
                    Value::String(s) => s.clone(),
                    other => other.to_string(),
                },
            );
            match p.body.get(&roles.response_message).and_then(Value::as_str) {
                Some(m) => format!("{code} ({m})"),
                None => code,
            }
        }
        Err(f) => format!("absent: no JSON object body ({})", f.actual),
    }
}

/// Whether the answer carries one of `codes`, as a finding citing `spec_ref`.
pub fn expected_code(
    spec: &Spec,
    spec_ref: &SpecRef,
    describe_request: &str,
    codes: &[ResponseCode],
    parsed: &Result<ParsedResponse, Finding>,
) -> Finding {
    let code_name = &spec.interpretations.roles.response_code;
    let want = codes
        .iter()
        .map(ResponseCode::as_str)
        .collect::<Vec<_>>()
        .join(", ");
    let expected = format!(
        "{code_name} {} for {describe_request}",
        if codes.len() == 1 {
            want
        } else {
            format!("one of {want}")
        },
    );
    let got = parsed.as_ref().ok().and_then(|p| p.code);
    let verdict = match got {
        Some(c) if codes.contains(&c) => Verdict::Pass,
        _ => Verdict::Fail,
    };
    Finding::new(
        CheckId::ResponseCodeExpected,
        verdict,
        spec_ref.clone(),
        expected,
        format!("{code_name} {}", code_and_message(spec, parsed)),
    )
}

/// Judges one exchange: the response rules, and the code against
/// `expected` when the case expects codes. No answer at all is row 16 (a
/// timeout) or row 17 (anything else).
pub fn judge_exchange(
    contract: &Contract,
    spec_ref: &SpecRef,
    describe_request: &str,
    exchange: &Exchange,
    expected: Option<&[ResponseCode]>,
) -> Vec<Finding> {
    let spec = &contract.spec;
    let received = match &exchange.outcome {
        Ok(r) => r,
        Err(e) => {
            let kind = match e {
                TransportError::Timeout { .. } => ConditionKind::TotalTimeout,
                _ => ConditionKind::UnexpectedResponse,
            };
            return vec![Finding::new(
                CheckId::HttpAnswer,
                Verdict::Fail,
                spec.condition_ref(kind),
                "an HTTP answer",
                e.to_string(),
            )];
        }
    };
    let parsed = parse_response(spec, received);
    let mut findings = response_rules(
        spec,
        received,
        &parsed,
        exchange.elapsed_ms,
        exchange.received_at,
    );
    if let Some(codes) = expected {
        findings.insert(
            0,
            expected_code(spec, spec_ref, describe_request, codes, &parsed),
        );
    }
    findings
}

/// The code and success id of an answer, and how a message shows it.
pub fn code_and_id(
    contract: &Contract,
    e: &Exchange,
) -> (Option<ResponseCode>, Option<String>, String) {
    let spec = &contract.spec;
    let id_field = &contract.roles().success_id;
    match &e.outcome {
        Ok(r) => {
            let parsed = parse_response(spec, r);
            // Compared as JSON: a number or an absent id counts too.
            let id = parsed
                .as_ref()
                .ok()
                .and_then(|p| p.body.get(id_field))
                .map(|v| v.to_string());
            let code = parsed.as_ref().ok().and_then(|p| p.code);
            let shown = format!(
                "{} {id_field} {}",
                code_and_message(spec, &parsed),
                id.as_deref().unwrap_or("absent")
            );
            (code, id, shown)
        }
        Err(err) => (None, None, err.to_string()),
    }
}

/// An identical replay may get the first answer again or a refusal; a
/// second, different success is a duplicate of the transaction.
pub fn no_duplicate(
    contract: &Contract,
    spec_ref: &SpecRef,
    first: &Exchange,
    second: &Exchange,
) -> Finding {
    let success = contract.success_code();
    let id_field = &contract.roles().success_id;
    let (c1, id1, shown1) = code_and_id(contract, first);
    let (c2, id2, shown2) = code_and_id(contract, second);
    let duplicate = c1 == Some(success) && c2 == Some(success) && (id1 != id2 || id1.is_none());
    Finding::new(
        CheckId::IdenticalReplay,
        if duplicate {
            Verdict::Fail
        } else {
            Verdict::Pass
        },
        spec_ref.clone(),
        format!(
            "the first answer again (the same {id_field}) or a refusal: every client retries with the same request, so a second {id_field} is a duplicate"
        ),
        format!("first answer {shown1}; identical replay answered {shown2}"),
    )
}
