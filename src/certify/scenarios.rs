//! Certification's scenarios, derived from the contract: one per row of the
//! response code table, the two timeout scenarios of the total-timeout row,
//! each unexpected answer of the interpretations on every attempt and once
//! before a success, and successes a client must still read (every other
//! value of a closed-set success field, an extra field).

use std::ops::RangeInclusive;
use std::time::Duration;

use serde_json::{Map, Value, json};

use crate::contract::Contract;
use crate::runner::CaseMeta;
use crate::simulator::Step;
use crate::spec::{
    ClientPolicy, ConditionKind, FieldType, ResponseCode, SpecRef, Table, UnexpectedKind,
};

/// What the client must report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reaction {
    /// Success, with the fields of the success it was sent.
    Success,
    /// Failed, with this code.
    FailedWith(ResponseCode),
    /// Failed, whatever the code.
    Failed,
}

/// One certification scenario.
#[derive(Debug, Clone)]
pub struct Scenario {
    /// A stable id: `code.4009001`, `timeout.every_attempt`, `unexpected.html_502.once_then_success`.
    pub id: String,
    /// The row of the API text it comes from.
    pub spec_ref: SpecRef,
    /// What the client must do, in words.
    pub rule: String,
    /// The simulator's answers, attempt by attempt (the last repeats).
    pub steps: Vec<Step>,
    /// The reaction expected.
    pub reaction: Reaction,
    /// How many attempts are allowed.
    pub attempts: RangeInclusive<u32>,
}

impl CaseMeta for Scenario {
    fn id(&self) -> &str {
        &self.id
    }

    fn spec_ref(&self) -> &SpecRef {
        &self.spec_ref
    }

    fn rule(&self) -> &str {
        &self.rule
    }

    /// A scenario that holds answers past the timeout waits them out.
    fn slow(&self) -> bool {
        self.steps.iter().any(|s| matches!(s, Step::Delay(..)))
    }
}

fn raw_json(content_type: &str, status: u16, body: &Map<String, Value>) -> Step {
    Step::Raw {
        status,
        content_type: Some(content_type.to_owned()),
        body: serde_json::to_vec(body).unwrap_or_default(),
    }
}

/// A full success body whose values carry `tag`, so that a client that
/// reports them is seen to report this answer.
fn success_body(contract: &Contract, tag: &str) -> Map<String, Value> {
    let roles = contract.roles();
    let row = contract.spec.success_code();
    let mut body = Map::new();
    body.insert(roles.response_code.clone(), json!(row.code.as_str()));
    body.insert(roles.response_message.clone(), json!(row.message_prefix()));
    body.extend(contract.success_values(&format!("-{tag}-"), 1));
    body
}

/// The unexpected answers of the interpretations, by name.
fn unexpected_answers(contract: &Contract) -> Vec<(String, Step)> {
    let spec = &contract.spec;
    let ct = spec.endpoint.content_type.as_str();
    spec.interpretations
        .unexpected_answers
        .iter()
        .map(|u| {
            let tag = u.name.to_uppercase();
            let step = match u.kind {
                UnexpectedKind::EmptyBody => Step::Raw {
                    status: 200,
                    content_type: Some(ct.to_owned()),
                    body: Vec::new(),
                },
                // A proper prefix of an object's text is never valid JSON.
                UnexpectedKind::TruncatedJson => {
                    let full = serde_json::to_string(&success_body(contract, &tag))
                        .unwrap_or_default();
                    let mut cut = full.len() * 2 / 3;
                    while !full.is_char_boundary(cut) {
                        cut -= 1;
                    }
                    Step::Raw {
                        status: 200,
                        content_type: Some(ct.to_owned()),
                        body: full.as_bytes()[..cut].to_vec(),
                    }
                }
                UnexpectedKind::SuccessWithout => {
                    let mut body = success_body(contract, &tag);
                    if let Some(field) = &u.field {
                        body.shift_remove(field);
                    }
                    raw_json(ct, 200, &body)
                }
                UnexpectedKind::UndefinedCode => {
                    let mut body = success_body(contract, &tag);
                    let undefined = contract.success_code().with_case(*b"99");
                    body.insert(
                        contract.roles().response_code.clone(),
                        json!(undefined.as_str()),
                    );
                    raw_json(ct, 200, &body)
                }
                UnexpectedKind::Html502 => Step::Raw {
                    status: 502,
                    content_type: Some("text/html".into()),
                    body: b"<html><head><title>502 Bad Gateway</title></head><body><h1>502 Bad Gateway</h1></body></html>".to_vec(),
                },
            };
            (u.name.clone(), step)
        })
        .collect()
}

/// Every scenario, derived from the contract.
pub fn scenarios(contract: &Contract) -> Vec<Scenario> {
    let spec = &contract.spec;
    let ct = spec.endpoint.content_type.as_str();
    let c = &spec.interpretations.client;
    let max = c.max_retries + 1;
    let min_retry = c.min_retries_when_required + 1;
    let success = contract.success_code();
    let fields: Vec<&str> = spec.success_fields().map(|f| f.name.as_str()).collect();
    let fields = match fields.split_last() {
        Some((last, [])) => (*last).to_owned(),
        Some((last, rest)) => format!("{} and {last}", rest.join(", ")),
        None => "the success".to_owned(),
    };
    let mut out = Vec::new();
    for row in &spec.response_codes {
        let policy = spec
            .client_policy(&row.code)
            .unwrap_or(ClientPolicy::NoResend);
        let (reaction, attempts, rule) = match policy {
            ClientPolicy::Done => (
                Reaction::Success,
                1..=1,
                format!("report success with the {fields} it was sent"),
            ),
            ClientPolicy::NoResend => (
                Reaction::FailedWith(row.code),
                1..=1,
                format!(
                    "report failed with {}, and not resend the same request",
                    row.code
                ),
            ),
            // A 4xx that may be retried is still reported with its code;
            // after a 5xx, "report failed" is enough.
            ClientPolicy::MayRetry | ClientPolicy::MustRetry if row.http_status < 500 => (
                Reaction::FailedWith(row.code),
                1..=max,
                format!(
                    "report failed with {}; retrying is allowed, at most {} times",
                    row.code, c.max_retries
                ),
            ),
            ClientPolicy::MayRetry | ClientPolicy::MustRetry => (
                Reaction::Failed,
                1..=max,
                format!(
                    "report failed; retrying is allowed, at most {} times",
                    c.max_retries
                ),
            ),
        };
        // A reading that departs from the row's own action names its erratum.
        let rule = match spec
            .interpretations
            .client_policy_overrides
            .iter()
            .find(|o| o.code == row.code)
        {
            Some(o) => format!("{rule} (the project's reading, erratum {})", o.erratum),
            None => rule,
        };
        out.push(Scenario {
            id: format!("code.{}", row.code),
            spec_ref: row.spec_ref(),
            rule,
            steps: vec![Step::Code(row.code)],
            reaction,
            attempts,
        });
    }
    let timeout_ref = spec.condition_ref(ConditionKind::TotalTimeout);
    let hold = Duration::from_millis(c.timeout_hold_ms);
    let held = Step::Delay(hold, Box::new(Step::Code(success)));
    out.push(Scenario {
        id: "timeout.every_attempt".into(),
        spec_ref: timeout_ref.clone(),
        rule: format!(
            "no answer within {} ms on any attempt: give up on each, retry at least {} and at most {} times, then report failed",
            spec.endpoint.expected_timeout_ms, c.min_retries_when_required, c.max_retries
        ),
        steps: vec![held.clone()],
        reaction: Reaction::Failed,
        attempts: min_retry..=max,
    });
    out.push(Scenario {
        id: "timeout.once_then_success".into(),
        spec_ref: timeout_ref,
        rule: format!("no answer in time once, then {success}: retry and report success"),
        steps: vec![held, Step::Code(success)],
        reaction: Reaction::Success,
        attempts: 2..=2,
    });
    let unexpected_ref = spec.condition_ref(ConditionKind::UnexpectedResponse);
    for (name, step) in unexpected_answers(contract) {
        let words = name.replace('_', " ");
        out.push(Scenario {
            id: format!("unexpected.{name}.every_attempt"),
            spec_ref: unexpected_ref.clone(),
            rule: format!(
                "an unexpected answer ({words}) on every attempt: never report success, never crash, retry at least {} and at most {} times, then report failed",
                c.min_retries_when_required, c.max_retries
            ),
            steps: vec![step.clone()],
            reaction: Reaction::Failed,
            attempts: min_retry..=max,
        });
        out.push(Scenario {
            id: format!("unexpected.{name}.once_then_success"),
            spec_ref: unexpected_ref.clone(),
            rule: format!(
                "an unexpected answer ({words}) once, then {success}: retry and report success"
            ),
            steps: vec![step, Step::Code(success)],
            reaction: Reaction::Success,
            attempts: 2..=2,
        });
    }
    for field in spec.success_fields().filter(|f| f.ty == FieldType::Enum) {
        let usual = spec
            .response_sample
            .get(&field.name)
            .and_then(Value::as_str);
        for value in field.values.iter().filter(|v| Some(v.as_str()) != usual) {
            let mut body = success_body(contract, &value.to_uppercase());
            body.insert(field.name.clone(), json!(value));
            out.push(Scenario {
                id: format!("success.{}", value.to_lowercase()),
                spec_ref: field.spec_ref(),
                rule: format!(
                    "{success} with {} {value}: report success with {} {value}",
                    field.name, field.name
                ),
                steps: vec![raw_json(ct, 200, &body)],
                reaction: Reaction::Success,
                attempts: 1..=1,
            });
        }
    }
    let mut extra = success_body(contract, "EXTRA");
    extra.insert("promoCode".into(), json!("unlisted"));
    out.push(Scenario {
        id: "success.extra_field".into(),
        spec_ref: SpecRef::item(Table::Interpretation, "unknown extra fields"),
        rule: format!(
            "{success} with a field the API text does not name: report success all the same"
        ),
        steps: vec![raw_json(ct, 200, &extra)],
        reaction: Reaction::Success,
        attempts: 1..=1,
    });
    out
}
