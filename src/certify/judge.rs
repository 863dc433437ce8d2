//! Judging one scenario: every request with the request rules, the attempts
//! between them, and the client's reaction.

use serde_json::{Map, Value};

use super::scenarios::{Reaction, Scenario};
use crate::client::{ClientOutcome, ClientRun};
use crate::contract::Contract;
use crate::evidence::{Arrival, Evidence, Handed};
use crate::rules::CheckId;
use crate::rules::body::response_body;
use crate::rules::request::{Breach, Expected, check_request};
use crate::spec::{SpecRef, Table};
use crate::verdict::{Finding, Verdict};
use crate::wire::VerifyingKey;

/// Every rule of one attempt's request, each finding saying which request.
fn check_one(
    contract: &Contract,
    handed: &Handed,
    public_key: &VerifyingKey,
    n: usize,
    r: &Arrival,
) -> Vec<Finding> {
    // The evidence keeps the token redacted, in the request and as
    // handed: both sides of the comparison in the same form.
    let expected = Expected {
        prefix: &handed.prefix,
        prefix_shown: "$CDM_BASE_URL",
        partner_id: Some(&handed.partner_id),
        client_key: &handed.client_key,
        access_token: Some(&handed.access_token),
        public_key,
        body: Some(&handed.request),
        drift: Some((
            r.at,
            contract.spec.interpretations.client.timestamp_drift_seconds,
        )),
    };
    let breaches = check_request(contract, &r.request, &expected);
    // What the harness handed the client (its credentials, CDM_REQUEST) is
    // the operator's: a body equal to CDM_REQUEST is not judged against the
    // tables, nor a header against its length, only what the client changed.
    let changed_body = breaches.iter().any(|b| b.breach == Breach::BodyDiffers);
    breaches
        .into_iter()
        .filter(|b| match b.breach {
            Breach::HeaderTooLong => false,
            Breach::BodyField(_) => changed_body,
            _ => true,
        })
        .map(|b| {
            let mut f = b.finding;
            f.actual = format!("in request {n}, {}", f.actual);
            f
        })
        .collect()
}

/// A client whose last attempt got no answer in time should give up
/// about the expected timeout after it: a warning when it waited longer
/// (measured from the attempt's arrival to the end of the client's run,
/// with the tolerance of `[client] give_up_tolerance_ms`). Earlier
/// attempts are not measured: a pause before a retry is allowed.
fn check_give_up(contract: &Contract, attempts: &[&Arrival], ended_after_us: u64) -> Vec<Finding> {
    let Some(last) = attempts.last().filter(|a| is_late(contract, a)) else {
        return vec![];
    };
    let expected = contract.spec.endpoint.expected_timeout_ms;
    let tolerance = contract.spec.interpretations.client.give_up_tolerance_ms;
    let waited_ms = ended_after_us.saturating_sub(last.after_us) / 1000;
    if waited_ms <= expected + tolerance {
        return vec![];
    }
    vec![Finding::new(
        CheckId::GiveUpInTime,
        Verdict::Warn,
        SpecRef::item(
            Table::Interpretation,
            "a client gives up on an attempt at the expected timeout",
        ),
        format!(
            "the client to give up within the {expected} ms expected timeout of its last attempt (and {tolerance} ms to report and exit)"
        ),
        format!("its run ended {waited_ms} ms after its last attempt, which got no answer in time"),
    )]
}

/// Whether an answer was held past the expected timeout (too late to report).
fn is_late(contract: &Contract, r: &Arrival) -> bool {
    r.answer
        .held_ms
        .is_some_and(|d| d >= contract.spec.endpoint.expected_timeout_ms)
}

/// An answer's body, when it carries the success code.
fn success_body(contract: &Contract, r: &Arrival) -> Option<Value> {
    let body: Value = serde_json::from_slice(&r.answer.body).ok()?;
    (body.get(&contract.roles().response_code)
        == Some(&Value::from(contract.success_code().as_str())))
    .then_some(body)
}

/// The success fields the client was last sent in time, from a well-formed success.
fn success_sent(contract: &Contract, records: &[Arrival]) -> Option<Map<String, Value>> {
    let spec = &contract.spec;
    records
        .iter()
        .rev()
        .filter(|r| !is_late(contract, r))
        .filter_map(|r| success_body(contract, r))
        .find(|body| response_body(spec, body).is_empty())
        .and_then(|body| {
            spec.success_fields()
                .map(|f| Some((f.name.clone(), Value::from(body.get(&f.name)?.as_str()?))))
                .collect()
        })
}

/// Whether a success was sent, but only held past the expected timeout.
fn late_success(contract: &Contract, records: &[Arrival]) -> bool {
    records
        .iter()
        .any(|r| is_late(contract, r) && success_body(contract, r).is_some())
}

fn fields_text(fields: &Map<String, Value>) -> String {
    fields
        .iter()
        .map(|(k, v)| format!("{k} {v}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Judges one scenario from its evidence: every request, the attempts,
/// the reaction. The same function judges a live run and `rejudge`.
pub fn judge(
    contract: &Contract,
    scenario: &Scenario,
    evidence: &Evidence,
    public_key: &VerifyingKey,
    run: &ClientRun,
) -> Vec<Finding> {
    let spec = &contract.spec;
    let records = &evidence.arrivals;
    let strays = evidence.strays;
    let mut findings = Vec::new();
    for (i, r) in records.iter().enumerate() {
        findings.extend(check_one(contract, &evidence.handed, public_key, i + 1, r));
    }
    let attempts: Vec<&Arrival> = records.iter().filter(|r| r.on_endpoint).collect();
    findings.extend(crate::rules::conduct::retries(contract, &attempts));
    findings.extend(check_give_up(contract, &attempts, evidence.ended_after_us));

    let n = attempts.len() as u32;
    let range = &scenario.attempts;
    let want = if range.start() == range.end() {
        format!(
            "exactly {} attempt{}",
            range.start(),
            if *range.start() == 1 { "" } else { "s" }
        )
    } else {
        format!("{} to {} attempts", range.start(), range.end())
    };
    if !records.is_empty() {
        findings.push(Finding::new(
            CheckId::Attempts,
            if range.contains(&n) {
                Verdict::Pass
            } else {
                Verdict::Fail
            },
            SpecRef::item(Table::Interpretation, "retry limits"),
            format!("{want} ({})", scenario.rule),
            format!("{n} attempt{}", if n == 1 { "" } else { "s" }),
        ));
    }

    let outcome_ref = scenario.spec_ref.clone();
    let success = contract.success_code();
    let (verdict, expected, actual) = match (&run.outcome, &scenario.reaction) {
        (None, _) => (Verdict::Fail, "an outcome".to_owned(), "none".to_owned()),
        (Some(Err(reason)), _) => (
            Verdict::Fail,
            "a valid outcome line (one JSON object, the last line of standard output)".into(),
            reason.clone(),
        ),
        (Some(Ok(outcome)), reaction) => {
            let seen = serde_json::to_string(outcome).unwrap_or_default();
            match (reaction, outcome) {
                (Reaction::Success, ClientOutcome::Success { fields }) => {
                    match success_sent(contract, records) {
                        Some(sent) if sent == *fields => (Verdict::Pass, String::new(), seen),
                        Some(sent) => (
                            Verdict::Fail,
                            format!("success with {} as sent", fields_text(&sent)),
                            seen,
                        ),
                        None => (
                            Verdict::Fail,
                            match late_success(contract, records) {
                                true => format!(
                                    "a success only from a {success} that came in time (the one sent was held past the {} ms expected timeout, after the client should have given up)",
                                    spec.endpoint.expected_timeout_ms
                                ),
                                false => format!("a success only after a {success} was sent"),
                            },
                            seen,
                        ),
                    }
                }
                (Reaction::Success, _) => (Verdict::Fail, "outcome success".into(), seen),
                (Reaction::FailedWith(code), ClientOutcome::Failed { response_code })
                    if response_code.as_deref() == Some(code.as_str()) =>
                {
                    (Verdict::Pass, String::new(), seen)
                }
                (Reaction::FailedWith(code), _) => (
                    Verdict::Fail,
                    format!(
                        "outcome failed with {} {code}",
                        crate::client::OUTCOME_CODE_KEY
                    ),
                    seen,
                ),
                (Reaction::Failed, ClientOutcome::Failed { .. }) => {
                    (Verdict::Pass, String::new(), seen)
                }
                (Reaction::Failed, _) => (
                    Verdict::Fail,
                    "outcome failed (never success from this answer)".into(),
                    seen,
                ),
            }
        }
    };
    findings.insert(
        0,
        Finding::new(
            CheckId::ClientOutcome,
            verdict,
            outcome_ref,
            expected,
            actual,
        ),
    );
    if records.is_empty() {
        findings.push(Finding::new(
            CheckId::Attempts,
            Verdict::Fail,
            SpecRef::item(Table::Specification, "Method, URL"),
            format!("a request to $CDM_BASE_URL{}", spec.endpoint.path),
            match strays {
                0 => "no request at all".to_owned(),
                n => format!(
                    "no request at all under this case's base URL ({n} request(s) of the run arrived outside every case's base URL: post to $CDM_BASE_URL followed by the path, keeping its /case/<id> part)"
                ),
            },
        ));
    }
    findings
}
