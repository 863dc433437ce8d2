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
use crate::rules::conduct::{idempotency_key, retries};
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

/// How long after an answer that calls for a retry a request identical
/// but for its idempotency key looks like that retry, in microseconds.
const RETRY_WINDOW_US: u64 = 60_000_000;

/// The body without its idempotency key, to compare two requests by.
fn without_key(contract: &Contract, body: &[u8]) -> Option<Value> {
    let mut value: Value = serde_json::from_slice(body).ok()?;
    let key = &contract.roles().idempotency_key;
    crate::contract::remove_at(value.as_object_mut()?, key);
    Some(value)
}

/// A new key on what looks like a retry: the request is identical to an
/// earlier one but for its idempotency key, and came within a minute of an
/// answer that calls for a retry (no answer in time, an unexpected answer,
/// a code whose action is to retry). A warning: it may as well be a new
/// transaction with the same contents.
fn retry_with_new_key(contract: &Contract, exchanges: &[Proxied], i: usize) -> Option<Finding> {
    let p = &exchanges[i];
    let this = without_key(contract, &p.arrival.request.body)?;
    let key_name = &contract.roles().idempotency_key;
    let q = exchanges[..i].iter().rev().find(|q| {
        q.arrival.on_endpoint
            && q.upstream.is_some()
            && p.arrival.after_us.saturating_sub(q.arrival.after_us) <= RETRY_WINDOW_US
            && without_key(contract, &q.arrival.request.body).as_ref() == Some(&this)
    })?;
    let before = exchange_of(q)?;
    let (policy, row, after) = policy_after(contract, &before);
    if !matches!(policy, ClientPolicy::MayRetry | ClientPolicy::MustRetry) {
        return None;
    }
    let key_of = |x: &Proxied| {
        idempotency_key(contract, &x.arrival.request.body)
            .unwrap_or(Value::Null)
            .to_string()
    };
    Some(Finding::new(
        CheckId::SameReferenceOnRetry,
        Verdict::Warn,
        row,
        format!(
            "a retry after {after} to keep {key_name} {} (a new key makes a second transaction when the first went through)",
            key_of(q)
        ),
        format!(
            "a request identical but for {key_name} {}, {} ms later (or a new transaction with the same contents)",
            key_of(p),
            p.arrival.after_us.saturating_sub(q.arrival.after_us) / 1000
        ),
    ))
}

/// Judges every exchange, in the order they arrived (as recorded).
pub fn judge_all(contract: &Contract, known: &Known, exchanges: &[Proxied]) -> Vec<Judged> {
    let spec = &contract.spec;
    let c = &spec.interpretations.client;
    let endpoint_ref = SpecRef::item(Table::Specification, "Method, URL");
    let mut out = Vec::with_capacity(exchanges.len());
    // Each exchange's key, and the forwarded attempts on the endpoint seen
    // so far under each key (a transaction's history, in order).
    let keys: Vec<Option<Value>> = exchanges
        .iter()
        .map(|p| idempotency_key(contract, &p.arrival.request.body))
        .collect();
    let mut history: std::collections::HashMap<String, Vec<usize>> = Default::default();
    for (i, p) in exchanges.iter().enumerate() {
        let mut judged = Judged::default();
        if let Some(refused) = &p.refused {
            judged.client.push(refusal(contract, refused));
            out.push(judged);
            continue;
        }
        let expected = Expected {
            prefix: "",
            prefix_shown: "",
            partner_id: known.partner_id.as_deref(),
            client_key: &known.client_key,
            access_token: known.access_token.as_deref(),
            public_key: &known.public_key,
            body: None,
            drift: Some((p.arrival.at, c.timestamp_drift_seconds)),
        };
        judged.client.extend(
            check_request(contract, &p.arrival.request, &expected)
                .into_iter()
                .map(|b| b.finding),
        );
        let Some(this) = exchange_of(p) else {
            out.push(judged);
            continue;
        };
        if !p.arrival.on_endpoint {
            // Another method or path: the API defines no answer to judge.
            out.push(judged);
            continue;
        }
        // The transaction so far: earlier attempts with the same key.
        let key = keys[i].clone();
        let earlier: Vec<&Proxied> = match &key {
            Some(key) => {
                let seen = history.entry(key.to_string()).or_default();
                let earlier = seen.iter().map(|&j| &exchanges[j]).collect();
                seen.push(i);
                earlier
            }
            None => vec![],
        };
        let body = |q: &Proxied| serde_json::from_slice::<Value>(&q.arrival.request.body).ok();
        let mut codes = None;
        let reused_with_other_body = earlier.iter().any(|q| body(q) != body(p));
        let key_name = &contract.roles().idempotency_key;
        if let (true, Some(key)) = (reused_with_other_body, &key) {
            let row = spec.request_field(key_name).map_or_else(
                || SpecRef::item(Table::RequestBody, key_name),
                |f| f.spec_ref(),
            );
            judged.client.push(Finding::new(
                CheckId::UniqueReference,
                Verdict::Fail,
                row,
                format!("a new {key_name} for a new transaction"),
                format!("{key_name} {key} again, with another body"),
            ));
            codes = Some(reuse_codes(contract));
        } else if let Some((previous, before)) =
            earlier.last().and_then(|q| Some((*q, exchange_of(q)?)))
        {
            // An identical resend: a retry.
            let (policy, row, after) = policy_after(contract, &before);
            let attempts = earlier.len() + 1;
            let allowed = matches!(policy, ClientPolicy::MayRetry | ClientPolicy::MustRetry);
            judged.client.push(Finding::new(
                CheckId::RetryAllowed,
                if allowed {
                    Verdict::Pass
                } else {
                    Verdict::Fail
                },
                row,
                format!(
                    "a resend only after an answer whose partner action allows it; after {after}"
                ),
                format!(
                    "a resend of the same request ({key_name} {})",
                    key.clone().unwrap_or(Value::Null)
                ),
            ));
            let max = c.max_retries as usize + 1;
            if allowed && attempts > max {
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
            && let Some(f) = retry_with_new_key(contract, exchanges, i)
        {
            judged.client.push(f);
        }
        let describe = format!(
            "{} {} through the proxy",
            p.arrival.request.method, p.arrival.request.path
        );
        judged.server.extend(judge_exchange(
            contract,
            &endpoint_ref,
            &describe,
            &this,
            codes.as_deref(),
        ));
        out.push(judged);
    }
    out
}
