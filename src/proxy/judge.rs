//! Judging exchanges through the proxy: each request with the request
//! rules (the simulator's and certification's), each answer with the
//! response rules (the server suite's), and each transaction, followed by
//! its idempotency key, with the rules that bind both sides: a client's
//! retries (allowed after that answer, within the limit, with a fresh
//! timestamp), a reused key with another body (the client's fault, and
//! the server must refuse it), an identical replay (never a second
//! success id).
//!
//! [`judge_all`] is a pure function of the recorded exchanges, so the
//! proxy's live verdicts and `rejudge` give the same ones.

use serde_json::Value;

use crate::contract::{Contract, Mutation};
use crate::evidence::{Proxied, Refused};
use crate::rules::CheckId;
use crate::rules::body::response_body;
use crate::rules::conduct::retries;
use crate::rules::request::{Expected, check_request};
use crate::rules::response::{code_and_id, judge_exchange, no_duplicate};
use crate::spec::{ClientPolicy, ConditionKind, ResponseCode, SpecRef, Table};
use crate::transport::{Exchange, RequestRecord};
use crate::verdict::{Finding, Verdict};
use crate::wire::VerifyingKey;

/// What the proxy knows of the partner: the key signatures are verified
/// with, the client key they cover, and what it was told of the partner id
/// and token (each judged only when given).
#[derive(Debug, Clone)]
pub struct Known {
    /// The partner's public key.
    pub public_key: VerifyingKey,
    /// The client key every signature covers.
    pub client_key: String,
    /// The partner id requests must carry, if given.
    pub partner_id: Option<String>,
    /// The access token, redacted ([`crate::redact::token`]), if given:
    /// requests are judged in the redacted form the evidence keeps.
    pub access_token: Option<String>,
}

/// One exchange's findings, by the side that answers for them.
#[derive(Debug, Clone, Default)]
pub struct Judged {
    /// The client's: the request, and its conduct across attempts.
    pub client: Vec<Finding>,
    /// The server's: the answer, and its duties across attempts.
    pub server: Vec<Finding>,
}

impl Judged {
    /// Every finding, the client's first.
    pub fn all(&self) -> Vec<Finding> {
        self.client.iter().chain(&self.server).cloned().collect()
    }

    /// The first failing finding and its side (`request` or `answer`).
    pub fn first_failure(&self) -> Option<(&'static str, &Finding)> {
        fn worst(list: &[Finding]) -> Option<&Finding> {
            list.iter().find(|f| f.verdict == Verdict::Fail)
        }
        worst(&self.client)
            .map(|f| ("request", f))
            .or_else(|| worst(&self.server).map(|f| ("answer", f)))
    }
}

/// The upstream's side of a proxied exchange, as the response rules read it.
fn exchange_of(p: &Proxied) -> Option<Exchange> {
    let up = p.upstream.as_ref()?;
    Some(Exchange {
        request: RequestRecord {
            method: p.arrival.request.method.clone(),
            url: p.arrival.request.path.clone(),
            headers: vec![],
            body: String::new(),
        },
        outcome: up.outcome.clone(),
        elapsed_ms: up.elapsed_ms,
        received_at: up.received_at,
    })
}

/// The codes a reused key with another body must get.
fn reuse_codes(contract: &Contract) -> Vec<ResponseCode> {
    contract
        .spec
        .interpretations
        .expectations
        .iter()
        .filter(|e| {
            e.faults
                .iter()
                .any(|f| contract.mutation(f) == Some(&Mutation::ReusedReference))
        })
        .flat_map(|e| e.codes.iter().cloned())
        .collect()
}

/// What a client may do after this answer: the row's policy; no answer in
/// time, or one the API does not define, requires a retry (rows Total
/// Timeout and Unexpected response).
fn policy_after(contract: &Contract, e: &Exchange) -> (ClientPolicy, SpecRef, String) {
    let spec = &contract.spec;
    let late = e.elapsed_ms > spec.endpoint.expected_timeout_ms;
    let (code, _, shown) = code_and_id(contract, e);
    // A success without its fields is an unexpected answer (row
    // Unexpected response: "empty field/field does not exist"), not a
    // success: the client must not take it for one.
    let broken_success = code == Some(contract.success_code())
        && e.outcome.as_ref().is_ok_and(|r| {
            serde_json::from_slice::<Value>(&r.body)
                .map_or(true, |body| !response_body(spec, &body).is_empty())
        });
    let row = code
        .as_ref()
        .filter(|_| !broken_success)
        .and_then(|c| spec.response_code(c.as_str()));
    match (late, row, &e.outcome) {
        (false, Some(row), Ok(_)) => (
            spec.client_policy(&row.code)
                .unwrap_or(ClientPolicy::NoResend),
            row.spec_ref(),
            format!("{} ({})", row.code, row.partner_action),
        ),
        (true, ..) | (_, _, Err(_)) => (
            ClientPolicy::MustRetry,
            spec.condition_ref(ConditionKind::TotalTimeout),
            format!("no answer within {} ms", spec.endpoint.expected_timeout_ms),
        ),
        _ => (
            ClientPolicy::MustRetry,
            spec.condition_ref(ConditionKind::UnexpectedResponse),
            format!("an unexpected answer ({shown})"),
        ),
    }
}

fn refusal(contract: &Contract, refused: &Refused) -> Finding {
    match refused {
        Refused::BodyTooLarge { cap } => Finding::new(
            CheckId::Body,
            Verdict::Fail,
            SpecRef::item(Table::RequestBody, "body"),
            format!("a body within the proxy's cap of {cap} bytes"),
            "a longer body (answered 413, not forwarded)",
        ),
        Refused::NotHttp { reason } => Finding::new(
            CheckId::MethodAndPath,
            Verdict::Fail,
            SpecRef::item(Table::Specification, "Method, URL"),
            format!(
                "an HTTP/1.1 request: {} {}",
                contract.endpoint().method,
                contract.endpoint().path
            ),
            format!("{reason} (answered 400, not forwarded)"),
        ),
    }
}

/// What judging reads of each exchange, worked out once.
struct Facts {
    /// The idempotency key, as JSON text.
    key: Option<String>,
    /// The body as JSON.
    body: Option<Value>,
    /// The body without its idempotency key, as JSON text.
    rest: Option<String>,
    /// When its answer came back, on the proxy's monotonic clock (µs).
    answered_us: Option<u64>,
}

impl Facts {
    fn of(contract: &Contract, p: &Proxied) -> Facts {
        let body: Option<Value> = serde_json::from_slice(&p.arrival.request.body).ok();
        let key_name = &contract.roles().idempotency_key;
        let key = body
            .as_ref()
            .and_then(Value::as_object)
            .and_then(|o| crate::spec::value_at(o, key_name))
            .map(Value::to_string);
        let rest = body.clone().and_then(|mut v| {
            crate::contract::remove_at(v.as_object_mut()?, key_name);
            Some(v.to_string())
        });
        let answered_us = p.upstream.as_ref().map(|u| {
            p.arrival
                .after_us
                .saturating_add(u.elapsed_ms.saturating_mul(1000))
        });
        Facts {
            key,
            body,
            rest,
            answered_us,
        }
    }

    /// Whether this exchange's answer came back before `after_us`.
    fn settled_before(&self, after_us: u64) -> bool {
        self.answered_us.is_some_and(|a| a <= after_us)
    }
}

/// An exchange's idempotency key and its body without it, as JSON text:
/// what ties it to the exchanges its judgement reads.
pub fn marks(contract: &Contract, p: &Proxied) -> (Option<String>, Option<String>) {
    let facts = Facts::of(contract, p);
    (facts.key, facts.rest)
}

/// Whether an answer carries the success code.
fn succeeded(contract: &Contract, e: &Exchange) -> bool {
    code_and_id(contract, e).0 == Some(contract.success_code())
}

/// A new key on what looks like a retry: the request is identical to an
/// earlier one but for its idempotency key, came within
/// `[client] retry_under_new_key_window_seconds` after that one's answer, and that answer called for a retry (no answer in
/// time, an unexpected answer, a 5xx). A warning: it may as well be a new
/// transaction with the same contents.
fn retry_with_new_key(
    contract: &Contract,
    exchanges: &[Proxied],
    facts: &[Facts],
    same_rest: &[usize],
    i: usize,
) -> Option<Finding> {
    let p = &exchanges[i];
    let key_name = &contract.roles().idempotency_key;
    let window_us = contract
        .spec
        .interpretations
        .client
        .retry_under_new_key_window_seconds
        .saturating_mul(1_000_000);
    let j = same_rest.iter().rev().copied().find(|&j| {
        let q = &exchanges[j];
        q.arrival.on_endpoint
            && q.upstream.is_some()
            && facts[j].key != facts[i].key
            && facts[j].settled_before(p.arrival.after_us)
            && facts[j]
                .answered_us
                .is_some_and(|a| p.arrival.after_us - a <= window_us)
    })?;
    let q = &exchanges[j];
    let before = exchange_of(q)?;
    let (policy, row, after) = policy_after(contract, &before);
    let server_error = before.outcome.as_ref().is_ok_and(|r| r.status >= 500);
    let calls_for_retry =
        policy == ClientPolicy::MustRetry || (policy == ClientPolicy::MayRetry && server_error);
    if !calls_for_retry {
        return None;
    }
    let shown = |f: &Facts| f.key.clone().unwrap_or_else(|| "null".into());
    Some(Finding::new(
        CheckId::SameReferenceOnRetry,
        Verdict::Warn,
        row,
        format!(
            "a retry after {after} to keep {key_name} {} (a new key makes a second transaction when the first went through)",
            shown(&facts[j])
        ),
        format!(
            "a request identical but for {key_name} {}, {} ms after that answer (or a new transaction with the same contents)",
            shown(&facts[i]),
            (p.arrival.after_us - facts[j].answered_us.unwrap_or(p.arrival.after_us)) / 1000
        ),
    ))
}

/// The request broke rules whose breach the server must refuse; the
/// server's answer is judged against that: a success is the server's
/// fault, or (for the rules that depend on the credentials the proxy was
/// given) maybe the operator's; a 400-class refusal of a request that
/// keeps every rule is a warning.
fn answer_deserved(contract: &Contract, request: &[Finding], e: &Exchange) -> Option<Finding> {
    let spec = &contract.spec;
    let refusable: Vec<&Finding> = request
        .iter()
        .filter(|f| f.verdict == Verdict::Fail)
        .filter(|f| !matches!(f.check, CheckId::XTimestampDrift | CheckId::MethodAndPath))
        .collect();
    let (code, _, shown) = code_and_id(contract, e);
    let code_name = &spec.interpretations.roles.response_code;
    if let Some(first) = refusable.first()
        && code == Some(contract.success_code())
    {
        let credential = refusable.iter().all(|f| {
            matches!(
                f.check,
                CheckId::XSignature | CheckId::Authorization | CheckId::XPartnerId
            )
        });
        return Some(Finding::new(
            CheckId::ResponseCodeExpected,
            if credential {
                Verdict::Warn
            } else {
                Verdict::Fail
            },
            first.spec_ref.clone(),
            match credential {
                true => format!(
                    "a refusal of a request that breaks {} (unless --public-key, --client-key, --partner-id or --access-token is not the partner's: then the proxy, not the server, is wrong)",
                    first.check
                ),
                false => format!("a refusal of a request that breaks {}", first.check),
            },
            format!("{code_name} {shown}"),
        ));
    }
    let row = code
        .as_ref()
        .and_then(|c| spec.response_code(c.as_str()))
        .filter(|row| row.http_status == 400)?;
    if !refusable.is_empty() {
        return None;
    }
    Some(Finding::new(
        CheckId::ResponseCodeExpected,
        Verdict::Warn,
        row.spec_ref(),
        "no 400-class refusal of a request that keeps every rule of the request tables (a server that reads a rule the API text does not state, or one the proxy does not judge)",
        format!("{code_name} {shown}"),
    ))
}

/// The request rules' findings on an exchange's request.
fn request_findings(contract: &Contract, known: &Known, p: &Proxied) -> Vec<Finding> {
    let expected = Expected {
        prefix: "",
        prefix_shown: "",
        partner_id: known.partner_id.as_deref(),
        client_key: &known.client_key,
        access_token: known.access_token.as_deref(),
        public_key: &known.public_key,
        body: None,
        drift: Some((
            p.arrival.at,
            contract.spec.interpretations.client.timestamp_drift_seconds,
        )),
    };
    check_request(contract, &p.arrival.request, &expected)
        .into_iter()
        .map(|b| b.finding)
        .collect()
}

/// How a resend after a refusal differs from the refused request, when it
/// does: the client corrected what the refusal's action asks it to ("Retry
/// request with proper parameter"), which makes it another request.
fn corrected(
    contract: &Contract,
    known: &Known,
    before: &Proxied,
    now: &[Finding],
    p: &Proxied,
) -> Option<String> {
    use crate::spec::HeaderFormat;
    for format in [HeaderFormat::BearerToken, HeaderFormat::Identifier] {
        let Some(name) = contract.header(format) else {
            continue;
        };
        if before.arrival.request.header(name) != p.arrival.request.header(name) {
            return Some(format!("its {name} changed"));
        }
    }
    let failing = |list: &[Finding]| -> Vec<CheckId> {
        list.iter()
            .filter(|f| f.verdict == Verdict::Fail)
            .map(|f| f.check)
            .collect()
    };
    let was = failing(&request_findings(contract, known, before));
    let is = failing(now);
    was.iter()
        .find(|c| !is.contains(c))
        .map(|c| format!("it no longer breaks {c}"))
}

/// Judges every exchange, in the order they arrived (as recorded).
pub fn judge_all(contract: &Contract, known: &Known, exchanges: &[Proxied]) -> Vec<Judged> {
    judge_where(contract, known, exchanges, |_| true)
        .into_iter()
        .map(Option::unwrap_or_default)
        .collect()
}

/// Judges the last exchange only, with the ones before it as its history.
pub fn judge_last(contract: &Contract, known: &Known, exchanges: &[Proxied]) -> Judged {
    let last = exchanges.len().saturating_sub(1);
    judge_where(contract, known, exchanges, |i| i == last)
        .pop()
        .flatten()
        .unwrap_or_default()
}

/// Judges the exchanges `want` names, every one before them read as history.
fn judge_where(
    contract: &Contract,
    known: &Known,
    exchanges: &[Proxied],
    want: impl Fn(usize) -> bool,
) -> Vec<Option<Judged>> {
    let spec = &contract.spec;
    let c = &spec.interpretations.client;
    let endpoint_ref = SpecRef::item(Table::Specification, "Method, URL");
    let key_name = &contract.roles().idempotency_key;
    let facts: Vec<Facts> = exchanges.iter().map(|p| Facts::of(contract, p)).collect();
    // The forwarded attempts on the endpoint seen so far under each key
    // (a transaction's history, in order of arrival).
    let mut history: std::collections::HashMap<&str, Vec<usize>> = Default::default();
    // Earlier exchanges by their body without the key (a retry under a new
    // key looks for its original among them).
    let mut by_rest: std::collections::HashMap<&str, Vec<usize>> = Default::default();
    let mut out = Vec::with_capacity(exchanges.len());
    for (i, p) in exchanges.iter().enumerate() {
        // The history first, for every exchange: earlier attempts with the
        // same key, answered before this one arrived (settled) or still in
        // flight; earlier requests with the same body but for the key.
        let attempt = p.refused.is_none() && p.upstream.is_some() && p.arrival.on_endpoint;
        let earlier: Vec<usize> = match (attempt, facts[i].key.as_deref()) {
            (true, Some(key)) => {
                let seen = history.entry(key).or_default();
                let earlier = seen.clone();
                seen.push(i);
                earlier
            }
            _ => vec![],
        };
        let same_rest = match (attempt, facts[i].rest.as_deref()) {
            (true, Some(rest)) => {
                let seen = by_rest.entry(rest).or_default();
                let earlier = seen.clone();
                seen.push(i);
                earlier
            }
            _ => vec![],
        };
        if !want(i) {
            out.push(None);
            continue;
        }
        let mut judged = Judged::default();
        if let Some(refused) = &p.refused {
            judged.client.push(refusal(contract, refused));
            out.push(Some(judged));
            continue;
        }
        judged.client.extend(request_findings(contract, known, p));
        let Some(this) = exchange_of(p) else {
            out.push(Some(judged));
            continue;
        };
        if !p.arrival.on_endpoint {
            // Another method or path: the API defines no answer to judge.
            out.push(Some(judged));
            continue;
        }
        if let Some(f) = answer_deserved(contract, &judged.client, &this) {
            judged.server.push(f);
        }
        let now = p.arrival.after_us;
        let other_body: Vec<usize> = earlier
            .iter()
            .copied()
            .filter(|&j| facts[j].body != facts[i].body)
            .collect();
        let mut codes = None;
        let key_shown = facts[i].key.clone().unwrap_or_else(|| "null".into());
        if !other_body.is_empty() {
            let row = spec.request_field(key_name).map_or_else(
                || SpecRef::item(Table::RequestBody, key_name),
                |f| f.spec_ref(),
            );
            let settled: Vec<Exchange> = other_body
                .iter()
                .filter(|&&j| facts[j].settled_before(now))
                .filter_map(|&j| exchange_of(&exchanges[j]))
                .collect();
            let in_flight = settled.len() < other_body.len();
            let took = settled.iter().any(|e| succeeded(contract, e));
            // After a refusal, a corrected body under the same key is what
            // "retry request with proper parameter" may mean: a warning.
            // After a success, or beside another body in flight, the key
            // names two transactions: the client's fault.
            let only_refused = !took && !in_flight;
            judged.client.push(Finding::new(
                CheckId::UniqueReference,
                if only_refused { Verdict::Warn } else { Verdict::Fail },
                row,
                format!("a new {key_name} for a new transaction"),
                match only_refused {
                    true => format!(
                        "{key_name} {key_shown} again, with another body, after the other body was refused (a corrected request, or a second transaction: a new key is safer)"
                    ),
                    false => format!("{key_name} {key_shown} again, with another body"),
                },
            ));
            if took {
                // The server took the other body first: this one must be
                // refused.
                codes = Some(reuse_codes(contract));
            } else if in_flight && succeeded(contract, &this) {
                // Both in flight at once: which the server took first is
                // unknown; at most one may succeed.
                let both = other_body
                    .iter()
                    .filter_map(|&j| exchange_of(&exchanges[j]))
                    .any(|e| succeeded(contract, &e));
                judged.server.push(Finding::new(
                    CheckId::ReuseIsAtomic,
                    if both { Verdict::Fail } else { Verdict::Pass },
                    reuse_codes(contract)
                        .first()
                        .and_then(|c| spec.response_code(c.as_str()))
                        .map_or_else(|| endpoint_ref.clone(), |r| r.spec_ref()),
                    format!("at most one success of requests in flight at once with one {key_name} and two bodies"),
                    match both {
                        true => format!("{key_name} {key_shown} succeeded with both bodies"),
                        false => "only this one of them succeeded".to_owned(),
                    },
                ));
            }
        } else if let Some(&j) = earlier.last() {
            // An identical resend: a retry.
            let previous = &exchanges[j];
            let Some(before) = exchange_of(previous) else {
                out.push(Some(judged));
                continue;
            };
            let waited_us = now.saturating_sub(previous.arrival.after_us);
            let timeout_us = spec.endpoint.expected_timeout_ms * 1000;
            let (allowed, row, after) = if facts[j].settled_before(now) {
                let (policy, row, after) = policy_after(contract, &before);
                let allowed = matches!(policy, ClientPolicy::MayRetry | ClientPolicy::MustRetry);
                let fixed = (policy == ClientPolicy::NoResend)
                    .then(|| corrected(contract, known, previous, &judged.client, p))
                    .flatten();
                match fixed {
                    Some(how) => (
                        Verdict::Pass,
                        row,
                        format!("{after}, a corrected request: {how}"),
                    ),
                    None => (
                        if allowed {
                            Verdict::Pass
                        } else {
                            Verdict::Fail
                        },
                        row,
                        after,
                    ),
                }
            } else if waited_us >= timeout_us {
                (
                    Verdict::Pass,
                    spec.condition_ref(ConditionKind::TotalTimeout),
                    format!("no answer within {} ms", spec.endpoint.expected_timeout_ms),
                )
            } else {
                (
                    Verdict::Warn,
                    spec.condition_ref(ConditionKind::TotalTimeout),
                    format!(
                        "no answer yet, {} ms into the {} ms expected timeout",
                        waited_us / 1000,
                        spec.endpoint.expected_timeout_ms
                    ),
                )
            };
            judged.client.push(Finding::new(
                CheckId::RetryAllowed,
                allowed,
                row,
                format!(
                    "a resend only after an answer whose partner action allows it, or the expected timeout; after {after}"
                ),
                format!("a resend of the same request ({key_name} {key_shown})"),
            ));
            let attempts = earlier.len() + 1;
            let max = c.max_retries as usize + 1;
            if allowed != Verdict::Fail && attempts > max {
                judged.client.push(Finding::new(
                    CheckId::Attempts,
                    Verdict::Fail,
                    SpecRef::item(Table::Interpretation, "retry limits"),
                    format!("at most {max} attempts ({} retries)", c.max_retries),
                    format!("attempt {attempts}"),
                ));
            }
            judged
                .client
                .extend(retries(contract, &[&previous.arrival, &p.arrival]));
            judged.server.push(no_duplicate(
                contract,
                &spec.condition_ref(ConditionKind::TotalTimeout),
                &before,
                &this,
            ));
        }
        if earlier.is_empty()
            && let Some(f) = retry_with_new_key(contract, exchanges, &facts, &same_rest, i)
        {
            judged.client.push(f);
        }
        let describe = format!(
            "{} {} through the proxy",
            p.arrival.request.method, p.arrival.request.path
        );
        let code_ref = match &codes {
            Some(codes) => codes
                .first()
                .and_then(|c| spec.response_code(c.as_str()))
                .map_or_else(|| endpoint_ref.clone(), |r| r.spec_ref()),
            None => endpoint_ref.clone(),
        };
        judged.server.extend(judge_exchange(
            contract,
            &code_ref,
            &describe,
            &this,
            codes.as_deref(),
        ));
        out.push(Some(judged));
    }
    out
}
