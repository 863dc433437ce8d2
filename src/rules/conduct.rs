//! A client's conduct across attempts: what certification and the proxy
//! judge between requests of one transaction (one idempotency key).

use std::time::Duration;

use serde_json::Value;

use crate::contract::Contract;
use crate::evidence::Arrival;
use crate::rules::CheckId;
use crate::spec::{HeaderFormat, SpecRef, Table};
use crate::verdict::{Finding, Verdict};
use crate::wire::Timestamp;

/// The value at the idempotency key's path in a request's body, whatever
/// its JSON type; `None` when the body is not a JSON object or lacks it.
pub fn idempotency_key(contract: &Contract, body: &[u8]) -> Option<Value> {
    let key = &contract.roles().idempotency_key;
    serde_json::from_slice::<Value>(body).ok().and_then(|v| {
        v.as_object()
            .and_then(|o| crate::spec::value_at(o, key))
            .cloned()
    })
}

/// The rules between attempts: same idempotency key, a fresh timestamp.
pub fn retries(contract: &Contract, attempts: &[&Arrival]) -> Vec<Finding> {
    let mut out = Vec::new();
    let rule = SpecRef::item(
        Table::Interpretation,
        "a retry resends the same body with its own timestamp and signature",
    );
    let key = &contract.roles().idempotency_key;
    let ts_header = contract.header(HeaderFormat::JakartaTimestamp);
    for pair in attempts.windows(2) {
        let (a, b) = (pair[0], pair[1]);
        let reference = |r: &Arrival| idempotency_key(contract, &r.request.body);
        if reference(a) != reference(b) {
            let shown = |r: Option<Value>| r.unwrap_or(Value::Null).to_string();
            out.push(Finding::new(
                CheckId::SameReferenceOnRetry,
                Verdict::Fail,
                rule.clone(),
                format!("{key} {} again", shown(reference(a))),
                format!("{key} {}", shown(reference(b))),
            ));
        }
        let ts = |r: &Arrival| {
            ts_header
                .and_then(|h| r.request.header(h).flatten())
                .and_then(|t| Timestamp::parse(t).ok())
        };
        let gap = Duration::from_micros(b.after_us.saturating_sub(a.after_us));
        // Timestamps have whole seconds. An earlier one is always wrong. An
        // equal one is wrong when the retry came 5 s or more later (a stale
        // timestamp reused); between 2 and 5 s it is a warning, since a slow
        // signer (an HSM, say) may take that long after making it.
        if let (Some(ta), Some(tb)) = (ts(a), ts(b)) {
            let verdict = if tb.unix_seconds() < ta.unix_seconds()
                || (gap >= Duration::from_secs(5) && tb.unix_seconds() == ta.unix_seconds())
            {
                Some(Verdict::Fail)
            } else if gap >= Duration::from_secs(2) && tb.unix_seconds() == ta.unix_seconds() {
                Some(Verdict::Warn)
            } else {
                None
            };
            if let Some(verdict) = verdict {
                out.push(Finding::new(
                    CheckId::FreshTimestampOnRetry,
                    verdict,
                    rule.clone(),
                    format!(
                        "a retry {} ms after the attempt before to carry an {} later than {ta}",
                        gap.as_millis(),
                        ts_header.unwrap_or_default()
                    ),
                    format!("{} {tb}", ts_header.unwrap_or_default()),
                ));
            }
        }
    }
    out
}
