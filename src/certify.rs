//! Client certification: the harness plays PayCools and drives a client
//! through every response-code row, timeout and unexpected answer.
//!
//! Scenarios are derived from `specs/`: one per row of the response code
//! table (the simulator answers that code, its message and its HTTP status),
//! the two timeout scenarios of row 16, each unexpected answer of row 17 on
//! every attempt and once before a success, and two successes a client must
//! still read (status `INACTIVE`, an extra field). All run at once, each under
//! its own base URL (`/case/<id>`) on one simulator, which records every
//! request. Each request of each attempt is checked (method, path, every
//! header, the signature over the text exactly as received, the timestamp's
//! drift, the body against `CDM_REQUEST`), then the attempts between them,
//! then the client's reaction.
//!
//! ```no_run
//! # tokio::runtime::Runtime::new().unwrap().block_on(async {
//! use std::sync::Arc;
//! use cdm_conformance::certify::{certify, CertifyOptions};
//! use cdm_conformance::client::ReferenceClient;
//! use cdm_conformance::simulator::test_signing_key;
//!
//! let client = Arc::new(ReferenceClient::new(test_signing_key()));
//! let report = certify(client, &CertifyOptions::test_defaults()).await.unwrap();
//! assert_eq!(report.summary.failed, 0);
//! # });
//! ```

use std::num::NonZeroU32;
use std::ops::RangeInclusive;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use time::OffsetDateTime;

use crate::checks;
use crate::client::{ClientOutcome, ClientRun, ClientUnderTest, Invocation};
use crate::redact;
use crate::report::{CaseReport, ExchangeRecord, Report};
use crate::simulator::{Engine, Recorded, SimConfig, SimError, Simulator, Step, test_signing_key};
use crate::spec::{ClientPolicy, ConditionKind, ResponseCode, Spec, SpecRef, Table};
use crate::verdict::{Finding, Verdict};
use crate::wire::{Credentials, GenerateRequest, Timestamp, VerifyingKey, signing_text};

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
    /// What the client must do, in the contract's words.
    pub rule: String,
    /// The simulator's answers, attempt by attempt (the last repeats).
    pub steps: Vec<Step>,
    /// The reaction expected.
    pub reaction: Reaction,
    /// How many attempts are allowed.
    pub attempts: RangeInclusive<u32>,
}

fn raw_json(status: u16, body: Value) -> Step {
    Step::Raw {
        status,
        content_type: Some("application/json".into()),
        body: serde_json::to_vec(&body).unwrap_or_default(),
    }
}

/// The unexpected answers of row 17, by name.
fn unexpected_answers() -> Vec<(&'static str, Step)> {
    vec![
        (
            "empty_body",
            Step::Raw {
                status: 200,
                content_type: Some("application/json".into()),
                body: Vec::new(),
            },
        ),
        (
            "invalid_json",
            Step::Raw {
                status: 200,
                content_type: Some("application/json".into()),
                body: br#"{"responseCode": "2009000", "responseMessage": "Successful", "cdmQrcode": "#.to_vec(),
            },
        ),
        ("no_response_code", raw_json(200, json!({"responseMessage": "Successful", "cdmReferenceId": "CDM-NOCODE", "cdmQrcode": "QR-NOCODE", "status": "ACTIVE"}))),
        ("undefined_code", raw_json(200, json!({"responseCode": "2009099", "responseMessage": "Successful", "cdmReferenceId": "CDM-UNDEF", "cdmQrcode": "QR-UNDEF", "status": "ACTIVE"}))),
        ("success_without_qrcode", raw_json(200, json!({"responseCode": "2009000", "responseMessage": "Successful", "cdmReferenceId": "CDM-NOQR", "status": "ACTIVE"}))),
        (
            "html_502",
            Step::Raw {
                status: 502,
                content_type: Some("text/html".into()),
                body: b"<html><head><title>502 Bad Gateway</title></head><body><h1>502 Bad Gateway</h1></body></html>".to_vec(),
            },
        ),
    ]
}

/// Every scenario, derived from `specs/`.
pub fn scenarios(spec: &Spec) -> Vec<Scenario> {
    let c = &spec.interpretations.client;
    let max = c.max_retries + 1;
    let min_retry = c.min_retries_when_required + 1;
    let success = spec.success_code().code;
    let mut out = Vec::new();
    for row in &spec.response_codes {
        let policy = spec
            .client_policy(&row.code)
            .unwrap_or(ClientPolicy::NoResend);
        let (reaction, attempts, rule) = match policy {
            ClientPolicy::Done => (
                Reaction::Success,
                1..=1,
                "report success with the cdmReferenceId, cdmQrcode and status it was sent"
                    .to_owned(),
            ),
            ClientPolicy::NoResend => (
                Reaction::FailedWith(row.code),
                1..=1,
                format!(
                    "report failed with {}, and not resend the same request",
                    row.code
                ),
            ),
            // Contract §5: after 4299000, "report failed with that code"
            // (it is a 4xx); after 5009000 and 5009001, "report failed".
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
        out.push(Scenario {
            id: format!("code.{}", row.code),
            spec_ref: row.spec_ref(),
            rule,
            steps: vec![Step::Code(row.code)],
            reaction,
            attempts,
        });
    }
    let timeout_ref = spec
        .response_condition(ConditionKind::TotalTimeout)
        .map(|r| r.spec_ref())
        .unwrap_or_else(|| SpecRef::item(Table::ResponseCode, "Total Timeout"));
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
        rule: "no answer in time once, then 2009000: retry and report success".into(),
        steps: vec![held, Step::Code(success)],
        reaction: Reaction::Success,
        attempts: 2..=2,
    });
    let unexpected_ref = spec
        .response_condition(ConditionKind::UnexpectedResponse)
        .map(|r| r.spec_ref())
        .unwrap_or_else(|| SpecRef::item(Table::ResponseCode, "Unexpected response"));
    for (name, step) in unexpected_answers() {
        out.push(Scenario {
            id: format!("unexpected.{name}.every_attempt"),
            spec_ref: unexpected_ref.clone(),
            rule: format!(
                "an unexpected answer ({}) on every attempt: never report success, never crash, retry at least {} and at most {} times, then report failed",
                name.replace('_', " "),
                c.min_retries_when_required,
                c.max_retries
            ),
            steps: vec![step.clone()],
            reaction: Reaction::Failed,
            attempts: min_retry..=max,
        });
        out.push(Scenario {
            id: format!("unexpected.{name}.once_then_success"),
            spec_ref: unexpected_ref.clone(),
            rule: format!(
                "an unexpected answer ({}) once, then 2009000: retry and report success",
                name.replace('_', " ")
            ),
            steps: vec![step, Step::Code(success)],
            reaction: Reaction::Success,
            attempts: 2..=2,
        });
    }
    let status_ref = spec
        .response_field("status")
        .map(|f| f.spec_ref())
        .unwrap_or_else(|| SpecRef::item(Table::ResponseBody, "status"));
    out.push(Scenario {
        id: "success.inactive".into(),
        spec_ref: status_ref,
        rule: "2009000 with status INACTIVE: report success with status INACTIVE".into(),
        steps: vec![raw_json(200, json!({"responseCode": "2009000", "responseMessage": "Successful", "cdmReferenceId": "CDM-INACTIVE-1", "cdmQrcode": "QR-INACTIVE-1", "status": "INACTIVE"}))],
        reaction: Reaction::Success,
        attempts: 1..=1,
    });
    out.push(Scenario {
        id: "success.extra_field".into(),
        spec_ref: SpecRef::item(Table::Contract, "unknown extra fields"),
        rule: "2009000 with a field the API text does not name: report success all the same".into(),
        steps: vec![raw_json(200, json!({"responseCode": "2009000", "responseMessage": "Successful", "cdmReferenceId": "CDM-EXTRA-1", "cdmQrcode": "QR-EXTRA-1", "status": "ACTIVE", "promoCode": "unlisted"}))],
        reaction: Reaction::Success,
        attempts: 1..=1,
    });
    out
}

/// How to certify.
#[derive(Debug, Clone)]
pub struct CertifyOptions {
    /// The credentials handed to the client.
    pub credentials: Credentials,
    /// The key the client's signatures must verify with.
    pub public_key: VerifyingKey,
    /// How long one client run may take (90 s by the contract).
    pub deadline: Duration,
    /// The most requests one case may send before the client is stopped.
    pub request_cap: usize,
    /// Only scenarios whose id matches (see [`crate::cases::matches`]).
    pub cases: Option<String>,
    /// Called as each case finishes.
    pub on_case: Option<crate::console::OnCase>,
}

impl CertifyOptions {
    /// The built-in test credentials and the test partner's public key.
    pub fn test_defaults() -> CertifyOptions {
        CertifyOptions {
            credentials: Credentials::test_defaults(),
            public_key: test_signing_key().verifying_key(),
            deadline: Duration::from_millis(
                Spec::embedded().interpretations.client.adapter_deadline_ms,
            ),
            request_cap: 12,
            cases: None,
            on_case: None,
        }
    }
}

/// Why certification could not run.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CertifyError {
    /// The simulator could not start.
    #[error(transparent)]
    Simulator(#[from] SimError),
    /// No scenario matches `--cases`.
    #[error(
        "--cases {pattern:?} matches no case (ids look like code.4009001, timeout.every_attempt)"
    )]
    NoCases {
        /// The pattern.
        pattern: String,
    },
}

/// Certifies `client`: every scenario at once, each judged on its own.
pub async fn certify(
    client: Arc<dyn ClientUnderTest>,
    options: &CertifyOptions,
) -> Result<Report, CertifyError> {
    let spec = Spec::embedded();
    let mut list = scenarios(spec);
    if let Some(pattern) = &options.cases {
        list.retain(|s| crate::cases::matches(pattern, &s.id));
        if list.is_empty() {
            return Err(CertifyError::NoCases {
                pattern: pattern.clone(),
            });
        }
    }
    let mut config = SimConfig::test_defaults();
    config.credentials = options.credentials.clone();
    config.public_key = options.public_key.clone();
    // Every scenario scripts its own answers: no shared rate limit.
    config.rate_burst = NonZeroU32::new(1_000_000).unwrap_or(NonZeroU32::MIN);
    config.rate_per_second = config.rate_burst;
    let sim = Arc::new(Simulator::start(config).await?);
    let counter = Arc::new(AtomicU32::new(1));
    let run_id = OffsetDateTime::now_utc().unix_timestamp() % 1_000_000;
    let started_at = OffsetDateTime::now_utc();
    let started = Instant::now();
    let mut tasks = tokio::task::JoinSet::new();
    for (i, scenario) in list.into_iter().enumerate() {
        let sim = sim.clone();
        let client = client.clone();
        let options = options.clone();
        let n = counter.fetch_add(1, Ordering::Relaxed);
        let reference = format!(
            "{}-C{run_id:06}-{n:03}",
            spec.interpretations.server.reference_prefix
        );
        tasks.spawn(async move {
            let (id, spec_ref, rule) = (
                scenario.id.clone(),
                scenario.spec_ref.clone(),
                scenario.rule.clone(),
            );
            let inner_options = options.clone();
            // A panic in one scenario fails that case; it is never dropped.
            let inner = tokio::spawn(async move {
                run_scenario(&sim, client, &inner_options, scenario, reference).await
            });
            let report = match inner.await {
                Ok(r) => r,
                Err(e) => CaseReport::from_parts(
                    &id,
                    spec_ref.clone(),
                    &rule,
                    vec![],
                    vec![Finding::new(
                        "harness",
                        Verdict::Fail,
                        spec_ref,
                        "the case to run to its end",
                        format!("the harness failed on it: {e}"),
                    )],
                    vec![],
                    Duration::ZERO,
                ),
            };
            if let Some(hook) = &options.on_case {
                (hook.0)(&report);
            }
            (i, report)
        });
    }
    let mut results = Vec::new();
    while let Some(joined) = tasks.join_next().await {
        if let Ok(r) = joined {
            results.push(r);
        }
    }
    results.sort_by_key(|(i, _)| *i);
    let cases: Vec<CaseReport> = results.into_iter().map(|(_, r)| r).collect();
    let mut report = Report::new(
        "client",
        &client.name(),
        cases,
        started_at,
        started.elapsed(),
    );
    report.scrub(&[&options.credentials.access_token]);
    let test_key = test_signing_key().verifying_key().fingerprint();
    let fingerprint = options.public_key.fingerprint();
    let key = if fingerprint == test_key {
        format!("sha256:{fingerprint} (the built-in test key: a trial, not a certification)")
    } else {
        format!("sha256:{fingerprint}")
    };
    report.settings.insert("public_key".into(), key);
    report
        .settings
        .insert("deadline_s".into(), options.deadline.as_secs().to_string());
    report
        .settings
        .insert("request_cap".into(), options.request_cap.to_string());
    report.settings.insert(
        "cases".into(),
        options.cases.clone().unwrap_or_else(|| "all".into()),
    );
    report
        .settings
        .insert("partner_id".into(), options.credentials.partner_id.clone());
    Ok(report)
}

async fn run_scenario(
    sim: &Simulator,
    client: Arc<dyn ClientUnderTest>,
    options: &CertifyOptions,
    scenario: Scenario,
    reference: String,
) -> CaseReport {
    let started = Instant::now();
    let engine = sim.engine();
    engine.script(&scenario.id, scenario.steps.clone());
    let invocation = Invocation {
        case_id: scenario.id.clone(),
        base_url: format!("{}/case/{}", sim.base_url(), scenario.id),
        partner_id: options.credentials.partner_id.clone(),
        client_key: options.credentials.client_key.clone(),
        access_token: options.credentials.access_token.clone(),
        request: GenerateRequest::sample(&reference, &options.credentials.merchant_id).to_json(),
        deadline: options.deadline,
    };
    let run = drive(engine, client, &invocation, options).await;
    // A flood is judged on its first requests past the cap; the rest add nothing.
    let mut records = engine.records(&scenario.id);
    records.truncate(options.request_cap + 1);
    let findings = judge(
        Spec::embedded(),
        &scenario,
        &invocation,
        options,
        &records,
        &run,
        engine.strays(),
    );
    let exchanges = records.iter().map(exchange_record).collect();
    let mut report = CaseReport::from_parts(
        &scenario.id,
        scenario.spec_ref.clone(),
        &scenario.rule,
        match &scenario.reaction {
            Reaction::FailedWith(c) => vec![c.to_string()],
            _ => vec![],
        },
        findings,
        exchanges,
        started.elapsed(),
    );
    report.client = Some(run);
    report
}

/// Runs the client, stopping it at the deadline or when it floods the case.
async fn drive(
    engine: &Engine,
    client: Arc<dyn ClientUnderTest>,
    invocation: &Invocation,
    options: &CertifyOptions,
) -> ClientRun {
    let inv = invocation.clone();
    let mut task = tokio::spawn(async move { client.run(&inv).await });
    let deadline = tokio::time::sleep(options.deadline + Duration::from_secs(5));
    tokio::pin!(deadline);
    let mut tick = tokio::time::interval(Duration::from_millis(50));
    loop {
        tokio::select! {
            joined = &mut task => {
                return match joined {
                    Ok(run) => run,
                    Err(e) => {
                        let reason = match e.try_into_panic() {
                            Ok(p) => p
                                .downcast_ref::<&str>()
                                .map(|s| (*s).to_owned())
                                .or_else(|| p.downcast_ref::<String>().cloned())
                                .unwrap_or_else(|| "a panic".into()),
                            Err(_) => "cancelled".into(),
                        };
                        ClientRun {
                            outcome: Some(Err(format!("the client crashed: {reason}"))),
                            exit: "panicked".into(),
                            ..ClientRun::default()
                        }
                    }
                };
            }
            _ = &mut deadline => {
                task.abort();
                return ClientRun {
                    outcome: Some(Err(format!("the client did not finish within {} s", options.deadline.as_secs()))),
                    exit: "stopped at the deadline".into(),
                    ..ClientRun::default()
                };
            }
            _ = tick.tick() => {
                let sent = engine.requests(&invocation.case_id);
                if sent > options.request_cap {
                    task.abort();
                    return ClientRun {
                        outcome: Some(Err(format!("the client was stopped after {sent} requests (the cap per case is {})", options.request_cap))),
                        exit: "stopped for flooding".into(),
                        ..ClientRun::default()
                    };
                }
            }
        }
    }
}

fn exchange_record(r: &Recorded) -> ExchangeRecord {
    let body = String::from_utf8_lossy(&r.answer.body).into_owned();
    ExchangeRecord {
        method: r.request.method.clone(),
        url: r.request.path.clone(),
        request_headers: r
            .request
            .headers
            .iter()
            .map(|(n, v)| {
                (
                    n.clone(),
                    redact::header(n, v.as_deref().unwrap_or("<not UTF-8>")),
                )
            })
            .collect(),
        request_body: redact::shorten(
            &String::from_utf8_lossy(&r.request.body),
            crate::report::BODY_SHOWN,
        ),
        status: Some(r.answer.status),
        response_headers: r.answer.headers.clone(),
        response_body: Some(redact::shorten(&body, crate::report::BODY_SHOWN)),
        error: r
            .answer
            .delay
            .map(|d| format!("answer held {} ms", d.as_millis())),
        elapsed_ms: 0,
        connect_failed: false,
    }
}

fn header<'a>(r: &'a Recorded, name: &str) -> Option<&'a str> {
    r.request
        .headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(name))
        .and_then(|(_, v)| v.as_deref())
}

fn request_row(spec: &Spec, name: &str) -> SpecRef {
    spec.request_header(name)
        .map(|h| h.spec_ref())
        .unwrap_or_else(|| SpecRef::item(Table::RequestHeader, name))
}

/// Where two JSON values first differ, as `path: expected …, got …`.
pub fn first_difference(expected: &Value, actual: &Value, path: &str) -> Option<String> {
    match (expected, actual) {
        (Value::Object(e), Value::Object(a)) => {
            for (k, ev) in e {
                let p = if path.is_empty() {
                    k.clone()
                } else {
                    format!("{path}.{k}")
                };
                match a.get(k) {
                    None => return Some(format!("{p}: expected {ev}, got no such field")),
                    Some(av) => {
                        if let Some(d) = first_difference(ev, av, &p) {
                            return Some(d);
                        }
                    }
                }
            }
            a.keys().find(|k| !e.contains_key(*k)).map(|k| {
                format!(
                    "{}: not in CDM_REQUEST, got {}",
                    if path.is_empty() {
                        k.clone()
                    } else {
                        format!("{path}.{k}")
                    },
                    a[k]
                )
            })
        }
        (e, a) if e == a => None,
        (e, a) => Some(format!(
            "{}: expected {e} ({}), got {a} ({})",
            if path.is_empty() { "body" } else { path },
            checks::describe(e),
            checks::describe(a)
        )),
    }
}

/// Why a refused signature was refused, when a common mistake explains it.
fn diagnose_signature(key: &VerifyingKey, inv: &Invocation, ts: &str, sig: &str) -> String {
    let text = signing_text(&inv.client_key, ts);
    if let Some(hash) = key.other_hash_matching(&text, sig) {
        return format!("; it is a signature of that text with {hash} instead of SHA-256");
    }
    let candidates = [
        (
            signing_text(&inv.partner_id, ts),
            "X-PARTNER-ID signed in place of the client key",
        ),
        (
            format!("{ts}|{}", inv.client_key),
            "the timestamp and the client key swapped",
        ),
        (
            format!("{}{ts}", inv.client_key),
            "no \"|\" between client key and timestamp",
        ),
        (format!("{text}\n"), "a newline after the text"),
        (ts.to_owned(), "the timestamp alone"),
        (inv.client_key.clone(), "the client key alone"),
    ];
    for (candidate, mistake) in candidates {
        if key.verify(&candidate, sig).is_ok() {
            return format!("; it is a valid signature of {candidate:?} ({mistake})");
        }
    }
    String::new()
}

/// Every check of one attempt's request.
fn check_request(
    spec: &Spec,
    inv: &Invocation,
    options: &CertifyOptions,
    n: usize,
    r: &Recorded,
) -> Vec<Finding> {
    let mut out = Vec::new();
    let mut fail = |check: &'static str, spec_ref: SpecRef, expected: String, actual: String| {
        out.push(Finding::new(
            check,
            Verdict::Fail,
            spec_ref,
            expected,
            format!("in request {n}, {actual}"),
        ));
    };
    let endpoint = &spec.endpoint;
    if !r.on_endpoint {
        fail(
            "method_and_path",
            SpecRef::item(Table::Specification, "Method, URL"),
            format!("{} $CDM_BASE_URL{}", endpoint.method, endpoint.path),
            format!("{} {}", r.request.method, r.request.path),
        );
    }
    match header(r, "Content-Type") {
        Some(v) if checks::is_json_media_type(v) => {}
        other => fail(
            "content_type",
            request_row(spec, "Content-Type"),
            "Content-Type: application/json".into(),
            other.map_or("no Content-Type".into(), |v| format!("{v:?}")),
        ),
    }
    let bearer = format!("Bearer {}", inv.access_token);
    match header(r, "Authorization") {
        Some(v) if v == bearer => {}
        other => fail(
            "authorization",
            request_row(spec, "Authorization"),
            format!("Authorization: {}", redact::authorization(&bearer)),
            other.map_or("no Authorization".into(), |v| {
                format!("{:?}", redact::authorization(v))
            }),
        ),
    }
    match header(r, "X-PARTNER-ID") {
        Some(v) if v == inv.partner_id => {}
        other => fail(
            "x_partner_id",
            request_row(spec, "X-PARTNER-ID"),
            format!("X-PARTNER-ID: {}", inv.partner_id),
            other.map_or("no X-PARTNER-ID".into(), |v| format!("{v:?}")),
        ),
    }
    let ts_ref = request_row(spec, "X-TIMESTAMP");
    let timestamp = header(r, "X-TIMESTAMP");
    match timestamp.map(Timestamp::parse) {
        None => fail(
            "x_timestamp",
            ts_ref,
            "an X-TIMESTAMP header".into(),
            "no X-TIMESTAMP".into(),
        ),
        Some(Err(e)) => fail(
            "x_timestamp",
            ts_ref,
            "X-TIMESTAMP of the form YYYY-MM-DDTHH:mm:ss+07:00".into(),
            e.to_string(),
        ),
        Some(Ok(ts)) => {
            let drift = (ts.unix_seconds() - r.arrived_at.unix_timestamp()).abs();
            let limit = spec.interpretations.client.timestamp_drift_seconds as i64;
            if drift > limit {
                fail(
                    "x_timestamp_drift",
                    SpecRef::item(
                        Table::Contract,
                        "X-TIMESTAMP within 5 minutes of the harness's clock",
                    ),
                    format!("X-TIMESTAMP within {limit} s of the harness's clock"),
                    format!("{} is {drift} s away", ts),
                );
            }
        }
    }
    let sig_ref = request_row(spec, "X-SIGNATURE");
    match (header(r, "X-SIGNATURE"), timestamp) {
        (None, _) => fail(
            "x_signature",
            sig_ref,
            "an X-SIGNATURE header".into(),
            "no X-SIGNATURE".into(),
        ),
        (Some(_), None) => {}
        (Some(sig), Some(ts)) => {
            let text = signing_text(&inv.client_key, ts);
            if let Err(e) = options.public_key.verify(&text, sig) {
                let why = diagnose_signature(&options.public_key, inv, ts, sig);
                fail(
                    "x_signature",
                    sig_ref,
                    format!("SHA256withRSA over {text:?}, verified with --public-key"),
                    format!("{e}{why} (X-SIGNATURE {})", redact::shorten(sig, 16)),
                );
            }
        }
    }
    match serde_json::from_slice::<Value>(&r.request.body) {
        Err(e) => fail(
            "body",
            SpecRef::item(Table::RequestBody, "body"),
            "the body of CDM_REQUEST, as JSON".into(),
            format!("a body that is not JSON ({e})"),
        ),
        Ok(body) => {
            if let Some(d) = first_difference(&inv.request, &body, "") {
                fail(
                    "body",
                    SpecRef::item(Table::RequestBody, "body"),
                    "the body equal, as JSON, to CDM_REQUEST, types kept".into(),
                    d,
                );
            }
        }
    }
    out
}

/// The rules between attempts: same body and reference, a fresh timestamp.
fn check_retries(attempts: &[&Recorded]) -> Vec<Finding> {
    let mut out = Vec::new();
    let rule = SpecRef::item(
        Table::Contract,
        "a retry resends the same body with its own timestamp and signature",
    );
    for pair in attempts.windows(2) {
        let (a, b) = (pair[0], pair[1]);
        let reference = |r: &Recorded| {
            serde_json::from_slice::<Value>(&r.request.body)
                .ok()
                .and_then(|v| v.get("partnerReferenceNo").cloned())
        };
        if reference(a) != reference(b) {
            out.push(Finding::new(
                "same_reference_on_retry",
                Verdict::Fail,
                rule.clone(),
                format!(
                    "partnerReferenceNo {} again",
                    reference(a).unwrap_or(Value::Null)
                ),
                format!("partnerReferenceNo {}", reference(b).unwrap_or(Value::Null)),
            ));
        }
        let ts = |r: &Recorded| header(r, "X-TIMESTAMP").and_then(|t| Timestamp::parse(t).ok());
        let gap = b.arrived.duration_since(a.arrived);
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
                    "fresh_timestamp_on_retry",
                    verdict,
                    rule.clone(),
                    format!(
                        "a retry {} ms after the attempt before to carry an X-TIMESTAMP later than {ta}",
                        gap.as_millis()
                    ),
                    format!("X-TIMESTAMP {tb}"),
                ));
            }
        }
    }
    out
}

/// The success fields the client was last sent.
fn success_sent(spec: &Spec, records: &[Recorded]) -> Option<(String, String, String)> {
    // An answer held past the expected timeout came too late to be reported.
    let late = std::time::Duration::from_millis(spec.endpoint.expected_timeout_ms);
    records
        .iter()
        .rev()
        .filter(|r| r.answer.delay.is_none_or(|d| d < late))
        .find_map(|r| {
            let body: Value = serde_json::from_slice(&r.answer.body).ok()?;
            let ok = body["responseCode"] == spec.success_code().code.as_str()
                && checks::response_body(spec, &body).is_empty();
            let get = |k: &str| body[k].as_str().map(str::to_owned);
            ok.then(|| Some((get("cdmReferenceId")?, get("cdmQrcode")?, get("status")?)))
                .flatten()
        })
}

/// Judges one scenario: every request, the attempts, the reaction.
pub fn judge(
    spec: &Spec,
    scenario: &Scenario,
    inv: &Invocation,
    options: &CertifyOptions,
    records: &[Recorded],
    run: &ClientRun,
    strays: usize,
) -> Vec<Finding> {
    let mut findings = Vec::new();
    for (i, r) in records.iter().enumerate() {
        findings.extend(check_request(spec, inv, options, i + 1, r));
    }
    let attempts: Vec<&Recorded> = records.iter().filter(|r| r.on_endpoint).collect();
    findings.extend(check_retries(&attempts));

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
            "attempts",
            if range.contains(&n) {
                Verdict::Pass
            } else {
                Verdict::Fail
            },
            SpecRef::item(Table::Contract, "retry limits"),
            format!("{want} ({})", scenario.rule),
            format!("{n} attempt{}", if n == 1 { "" } else { "s" }),
        ));
    }

    let outcome_ref = scenario.spec_ref.clone();
    let (verdict, expected, actual) = match (&run.outcome, &scenario.reaction) {
        (None, _) => (Verdict::Fail, "an outcome".to_owned(), "none".to_owned()),
        (Some(Err(reason)), _) => (Verdict::Fail, "an outcome line".into(), reason.clone()),
        (Some(Ok(outcome)), reaction) => {
            let seen = serde_json::to_string(outcome).unwrap_or_default();
            match (reaction, outcome) {
                (
                    Reaction::Success,
                    ClientOutcome::Success {
                        cdm_reference_id,
                        cdm_qrcode,
                        status,
                    },
                ) => match success_sent(spec, records) {
                    Some((r, q, s)) if (&r, &q, &s) == (cdm_reference_id, cdm_qrcode, status) => {
                        (Verdict::Pass, String::new(), seen)
                    }
                    Some((r, q, s)) => (
                        Verdict::Fail,
                        format!(
                            "success with cdmReferenceId {r:?}, cdmQrcode {q:?}, status {s:?} as sent"
                        ),
                        seen,
                    ),
                    None => (
                        Verdict::Fail,
                        "a success only after a 2009000 was sent".into(),
                        seen,
                    ),
                },
                (Reaction::Success, _) => (Verdict::Fail, "outcome success".into(), seen),
                (Reaction::FailedWith(code), ClientOutcome::Failed { response_code })
                    if response_code.as_deref() == Some(code.as_str()) =>
                {
                    (Verdict::Pass, String::new(), seen)
                }
                (Reaction::FailedWith(code), _) => (
                    Verdict::Fail,
                    format!("outcome failed with responseCode {code}"),
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
        Finding::new("client_outcome", verdict, outcome_ref, expected, actual),
    );
    if records.is_empty() {
        findings.push(Finding::new(
            "attempts",
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
