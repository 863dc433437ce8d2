//! Runs the server suite: builds each case's requests, sends them, judges the answers.
//!
//! Against a real endpoint every case uses a fresh `partnerReferenceNo` with
//! a recognisable prefix, and requests are paced (at most `concurrency` in
//! flight, at most `rate` per second). Against the built-in simulator nothing
//! is paced.
//!
//! ```
//! # tokio::runtime::Runtime::new().unwrap().block_on(async {
//! use cdm_conformance::runner::{RunOptions, Target, run_suite};
//! use cdm_conformance::simulator::{SimConfig, Simulator};
//!
//! let sim = Simulator::start(SimConfig::test_defaults()).await.unwrap();
//! let target = Target::for_simulator(&sim);
//! let report = run_suite(&target, &RunOptions::local()).await.unwrap();
//! assert_eq!(report.summary.failed, 0, "{:?}", report.failures());
//! # });
//! ```

use std::num::NonZeroU32;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

use governor::{DefaultDirectRateLimiter, Quota, RateLimiter};
use serde_json::{Value, json};
use time::OffsetDateTime;
use tokio::sync::Semaphore;

use crate::cases::{Case, CatalogOptions, Expect, JsonType, catalog, matches};
use crate::checks::{self, ParsedResponse};
use crate::report::{CaseReport, Report};
use crate::simulator::{Simulator, test_signing_key};
use crate::spec::{FaultKind, FaultTarget, ResponseCode, Spec};
use crate::transport::{ClientError, Exchange, Transport, TransportError};
use crate::verdict::{Finding, Verdict};
use crate::wire::timestamp::render_at_offset;
use crate::wire::{
    Credentials, GenerateRequest, SignedRequest, SigningKey, Timestamp, signing_text,
};

/// Where the suite runs and with what credentials.
#[derive(Debug, Clone)]
pub struct Target {
    /// The base URL; the endpoint path is appended.
    pub base_url: String,
    /// The partner's credentials.
    pub credentials: Credentials,
    /// The partner's private key.
    pub key: SigningKey,
    /// Whether this is the built-in simulator (no pacing, fixed prefix).
    pub simulated: bool,
}

impl Target {
    /// The built-in simulator, with its own test credentials.
    pub fn for_simulator(sim: &Simulator) -> Target {
        Target {
            base_url: sim.base_url(),
            credentials: sim.config().credentials.clone(),
            key: test_signing_key(),
            simulated: true,
        }
    }
}

/// How to run.
#[derive(Debug, Clone)]
pub struct RunOptions {
    /// At most this many requests in flight.
    pub concurrency: usize,
    /// At most this many requests per second; `None` for no limit.
    pub rate: Option<NonZeroU32>,
    /// Only cases whose id matches (see [`crate::cases::matches`]).
    pub cases: Option<String>,
    /// Which optional cases to include.
    pub catalog: CatalogOptions,
    /// The HTTP timeout, above the 8 s expected timeout.
    pub http_timeout: Duration,
    /// A private CA bundle (PEM) for TLS.
    pub ca_bundle: Option<std::path::PathBuf>,
    /// How many requests the rate-limit burst sends at most.
    pub burst: u32,
    /// Called as each case finishes.
    pub on_case: Option<crate::console::OnCase>,
}

impl RunOptions {
    /// The defaults for a real endpoint, from `specs/interpretations.toml`.
    pub fn staging() -> RunOptions {
        let s = &Spec::embedded().interpretations.server;
        RunOptions {
            concurrency: s.default_concurrency,
            rate: NonZeroU32::new(s.default_rate_per_second),
            cases: None,
            catalog: CatalogOptions::default(),
            http_timeout: Duration::from_millis(s.http_timeout_ms),
            ca_bundle: None,
            burst: 300,
            on_case: None,
        }
    }

    /// For a target on this machine: no pacing.
    pub fn local() -> RunOptions {
        RunOptions {
            concurrency: 64,
            rate: None,
            ..RunOptions::staging()
        }
    }
}

/// Why the suite could not run at all.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RunError {
    /// The HTTP client could not be made.
    #[error(transparent)]
    Client(#[from] ClientError),
    /// No case matches `--cases`.
    #[error("--cases {pattern:?} matches no case (ids look like header.x_timestamp.utc_z)")]
    NoCases {
        /// The pattern.
        pattern: String,
    },
    /// The target never answered: every request failed to connect.
    #[error("cannot reach {target}: {reason}")]
    Unreachable {
        /// The base URL.
        target: String,
        /// The first connection error.
        reason: String,
    },
}

struct Pacer {
    slots: Semaphore,
    limiter: Option<DefaultDirectRateLimiter>,
}

impl Pacer {
    async fn send(
        &self,
        transport: &Transport,
        base_url: &str,
        request: &SignedRequest,
    ) -> Exchange {
        // The semaphore is never closed.
        let _permit = self.slots.acquire().await.ok();
        if let Some(limiter) = &self.limiter {
            limiter.until_ready().await;
        }
        transport.send(base_url, request).await
    }
}

/// What every case shares in one run.
struct Ctx {
    spec: &'static Spec,
    target: Target,
    transport: Transport,
    pacer: Pacer,
    run_id: String,
    counter: AtomicU32,
    burst: u32,
}

impl Ctx {
    fn prefix(&self) -> &str {
        &self.spec.interpretations.server.reference_prefix
    }

    /// A fresh partnerReferenceNo: `CDMCONF-<run>-<n>`.
    fn reference(&self) -> String {
        let n = self.counter.fetch_add(1, Ordering::Relaxed);
        format!("{}-{}-{n:05}", self.prefix(), self.run_id)
    }

    fn body(&self, reference: &str) -> Value {
        GenerateRequest::sample(reference, &self.target.credentials.merchant_id).to_json()
    }

    fn signed(&self, body: &Value) -> SignedRequest {
        SignedRequest::build(
            &self.target.credentials,
            &self.target.key,
            body,
            &Timestamp::now(),
        )
    }

    fn resign(
        &self,
        request: &mut SignedRequest,
        client_key: &str,
        timestamp: &str,
        key: &SigningKey,
    ) {
        request.set_header("X-TIMESTAMP", timestamp);
        request.set_header(
            "X-SIGNATURE",
            key.sign(&signing_text(client_key, timestamp)),
        );
    }

    async fn send(&self, request: &SignedRequest) -> Exchange {
        self.pacer
            .send(&self.transport, &self.target.base_url, request)
            .await
    }
}

fn pad(base: &str, len: usize) -> String {
    let mut s: String = base.chars().take(len).collect();
    while s.chars().count() < len {
        s.push('X');
    }
    s
}

fn value_of_type(t: JsonType) -> Value {
    match t {
        JsonType::String => json!("not-an-object"),
        JsonType::Number => json!(12345),
        JsonType::Boolean => json!(true),
        JsonType::Array => json!(["a"]),
        JsonType::Object => json!({"value": "x"}),
    }
}

/// The one request of a single-request case: a valid request with the fault applied.
fn faulty_request(ctx: &Ctx, case: &Case) -> SignedRequest {
    let creds = &ctx.target.credentials;
    let reference = ctx.reference();
    let mut body = ctx.body(&reference);
    let fault = &case.fault;
    // Body faults change the JSON; the signature does not cover the body.
    if let FaultTarget::Body(field) = &fault.target {
        let o = body.as_object_mut().map(std::mem::take).unwrap_or_default();
        let mut o = o;
        match fault.kind {
            FaultKind::Missing => {
                o.remove(field);
            }
            FaultKind::Null => {
                o.insert(field.clone(), Value::Null);
            }
            FaultKind::Empty if field == "additionalInfo" => {
                o.insert(field.clone(), json!({}));
            }
            FaultKind::Empty => {
                o.insert(field.clone(), json!(""));
            }
            FaultKind::WrongType => {
                o.insert(
                    field.clone(),
                    value_of_type(case.json_type.unwrap_or(JsonType::Number)),
                );
            }
            FaultKind::OverLimit | FaultKind::AtLimit => {
                let max = ctx
                    .spec
                    .request_field(field)
                    .and_then(|f| f.length.max())
                    .unwrap_or(0);
                let len = if fault.kind == FaultKind::OverLimit {
                    max + 1
                } else {
                    max
                };
                let base = match field.as_str() {
                    "merchantId" => format!("{}-UNKNOWN-MERCHANT-{}-", ctx.prefix(), ctx.run_id),
                    _ => format!("{reference}-"),
                };
                o.insert(field.clone(), json!(pad(&base, len)));
            }
            FaultKind::Unknown => {
                o.insert(
                    field.clone(),
                    json!(format!("{}-UNKNOWN-MERCHANT-{}", ctx.prefix(), ctx.run_id)),
                );
            }
            _ => {}
        }
        body = Value::Object(o);
    }
    if fault.target == FaultTarget::Request
        && fault.kind == FaultKind::ExtraField
        && let Some(o) = body.as_object_mut()
    {
        o.insert("cdmConformanceExtra".into(), json!("an unknown field"));
    }
    let mut request = ctx.signed(&body);
    let now = Timestamp::now();
    match (&fault.target, fault.kind) {
        (FaultTarget::Header(h), FaultKind::Missing) => request.remove_header(h),
        (FaultTarget::Header(h), FaultKind::WrongValue) => request.set_header(h, "text/plain"),
        (FaultTarget::Header(h), FaultKind::NoBearerPrefix) => {
            request.set_header(h, creds.access_token.clone())
        }
        (FaultTarget::Header(h), FaultKind::Unknown) if h.eq_ignore_ascii_case("Authorization") => {
            request.set_header(
                h,
                format!("Bearer {}-unknown-token-{}", ctx.prefix(), ctx.run_id),
            )
        }
        (FaultTarget::Header(h), FaultKind::Unknown) => request.set_header(
            h,
            format!("{}-UNKNOWN-PARTNER-{}", ctx.prefix(), ctx.run_id),
        ),
        (FaultTarget::Header(h), FaultKind::OverLimit) => {
            let max = ctx
                .spec
                .request_header(h)
                .and_then(|r| r.length.max())
                .unwrap_or(0);
            request.set_header(h, pad(&creds.partner_id, max + 1));
        }
        (
            FaultTarget::Header(_),
            kind @ (FaultKind::UtcZ
            | FaultKind::Fraction
            | FaultKind::NoOffset
            | FaultKind::OtherOffset
            | FaultKind::NotADate
            | FaultKind::Drift),
        ) => {
            let ts = malformed_timestamp(kind, &now);
            ctx.resign(&mut request, &creds.client_key, &ts, &ctx.target.key);
        }
        (FaultTarget::Header(h), FaultKind::NotBase64) => {
            request.set_header(h, "not*base64!signature")
        }
        (FaultTarget::Header(_), FaultKind::OtherKey) => {
            let other = SigningKey::from_pem_or_base64(crate::testkeys::OTHER_PRIVATE_KEY_PEM)
                .unwrap_or_else(|e| unreachable!("embedded test key: {e}"));
            ctx.resign(&mut request, &creds.client_key, now.as_str(), &other);
        }
        (FaultTarget::Header(h), FaultKind::OtherText) => {
            // The two parts swapped: always another text, whatever the credentials.
            let text = format!("{}|{}", now.as_str(), creds.client_key);
            request.set_header("X-TIMESTAMP", now.as_str());
            request.set_header(h, ctx.target.key.sign(&text));
        }
        (FaultTarget::Header(h), FaultKind::OtherTimestamp) => {
            let earlier =
                Timestamp::from_unix_seconds(now.unix_seconds() - 1).unwrap_or(now.clone());
            request.set_header("X-TIMESTAMP", now.as_str());
            request.set_header(
                h,
                ctx.target
                    .key
                    .sign(&signing_text(&creds.client_key, earlier.as_str())),
            );
        }
        (FaultTarget::Request, FaultKind::BodyNotJson) => {
            request.body = br#"{"partnerReferenceNo": "#.to_vec();
        }
        (FaultTarget::Request, FaultKind::BodyEmpty) => request.body.clear(),
        (FaultTarget::Request, FaultKind::BodyNotObject) => {
            request.body = serde_json::to_vec(&json!([body])).unwrap_or_default();
        }
        (FaultTarget::Request, FaultKind::OtherMethod) => request.method = "GET".into(),
        (FaultTarget::Request, FaultKind::OtherPath) => {
            request.path = format!("{}-unknown", request.path)
        }
        _ => {}
    }
    request
}

fn malformed_timestamp(kind: FaultKind, now: &Timestamp) -> String {
    let local = now.as_str();
    let head = &local[..19];
    match kind {
        FaultKind::UtcZ => render_at_offset(now.instant(), time::UtcOffset::UTC),
        FaultKind::Fraction => format!("{head}.123+07:00"),
        FaultKind::NoOffset => head.to_owned(),
        FaultKind::OtherOffset => render_at_offset(now.instant(), time::macros::offset!(+08:00)),
        FaultKind::NotADate => format!("{}-13-45T25:61:61+07:00", &local[..4]),
        // Ten minutes behind: well formed, but far from the server's clock.
        FaultKind::Drift => Timestamp::from_unix_seconds(now.unix_seconds() - 600)
            .map(|t| t.to_string())
            .unwrap_or_else(|_| local.to_owned()),
        _ => local.to_owned(),
    }
}

/// Judges one exchange: the response rules, and the code against `expected`.
fn judge(
    spec: &Spec,
    case: &Case,
    exchange: &Exchange,
    expected: Option<&[ResponseCode]>,
) -> Vec<Finding> {
    let received = match &exchange.outcome {
        Ok(r) => r,
        Err(e) => {
            let row = match e {
                TransportError::Timeout { .. } => {
                    spec.response_condition(crate::spec::ConditionKind::TotalTimeout)
                }
                _ => spec.response_condition(crate::spec::ConditionKind::UnexpectedResponse),
            };
            let spec_ref = row
                .map(|r| r.spec_ref())
                .unwrap_or_else(|| case.spec_ref.clone());
            return vec![Finding::new(
                "http_answer",
                Verdict::Fail,
                spec_ref,
                "an HTTP answer",
                e.to_string(),
            )];
        }
    };
    let parsed = checks::parse_response(spec, received);
    let mut findings = checks::response_rules(spec, received, &parsed, exchange.elapsed_ms);
    if let Some(codes) = expected {
        findings.insert(0, expected_code(case, codes, &parsed));
    }
    findings
}

fn code_and_message(parsed: &Result<ParsedResponse, Finding>) -> String {
    match parsed {
        Ok(p) => {
            let code =
                p.body
                    .get("responseCode")
                    .map_or("no responseCode".to_owned(), |c| match c {
                        Value::String(s) => s.clone(),
                        other => other.to_string(),
                    });
            match p.body.get("responseMessage").and_then(Value::as_str) {
                Some(m) => format!("{code} ({m})"),
                None => code,
            }
        }
        Err(f) => format!("absent: no JSON object body ({})", f.actual),
    }
}

fn expected_code(
    case: &Case,
    codes: &[ResponseCode],
    parsed: &Result<ParsedResponse, Finding>,
) -> Finding {
    let want = codes
        .iter()
        .map(ResponseCode::as_str)
        .collect::<Vec<_>>()
        .join(", ");
    let expected = format!(
        "responseCode {} for {}",
        if codes.len() == 1 {
            want
        } else {
            format!("one of {want}")
        },
        case.describe()
    );
    let got = parsed.as_ref().ok().and_then(|p| p.code);
    let verdict = match got {
        Some(c) if codes.contains(&c) => Verdict::Pass,
        _ => Verdict::Fail,
    };
    Finding::new(
        "response_code_expected",
        verdict,
        case.spec_ref.clone(),
        expected,
        format!("responseCode {}", code_and_message(parsed)),
    )
}

async fn run_business(ctx: &Ctx, case: &Case) -> (Vec<Exchange>, Vec<Finding>) {
    let spec = ctx.spec;
    let success = [spec.success_code().code];
    let reference = ctx.reference();
    let first_body = ctx.body(&reference);
    let first = ctx.send(&ctx.signed(&first_body)).await;
    let mut findings = judge(spec, case, &first, Some(&success));
    if let Some(f) = findings.first_mut() {
        f.check = "setup_first_request_succeeds";
    }
    let second_body = match case.fault.kind {
        FaultKind::ReusedReference => {
            let mut b = first_body.clone();
            b["additionalInfo"]["regionNo"] = json!("99999");
            b
        }
        _ => first_body.clone(),
    };
    let second = ctx.send(&ctx.signed(&second_body)).await;
    match &case.expect {
        Expect::Codes { codes } => findings.extend(judge(spec, case, &second, Some(codes))),
        _ => {
            // What the answer says is info; how it is formed is still judged.
            findings.extend(judge(spec, case, &second, None));
            let describe = |e: &Exchange| match &e.outcome {
                Ok(r) => {
                    let parsed = checks::parse_response(spec, r);
                    let id = parsed
                        .as_ref()
                        .ok()
                        .and_then(|p| p.body.get("cdmReferenceId").cloned());
                    format!(
                        "{} cdmReferenceId {}",
                        code_and_message(&parsed),
                        id.map_or("absent".into(), |v| v.to_string())
                    )
                }
                Err(e) => e.to_string(),
            };
            let same = match (&first.outcome, &second.outcome) {
                (Ok(a), Ok(b)) if a.body == b.body => " (the same body)",
                _ => "",
            };
            findings.push(Finding::new(
                "identical_replay",
                Verdict::Info,
                case.spec_ref.clone(),
                "",
                format!(
                    "first answer {}; identical replay answered {}{same}",
                    describe(&first),
                    describe(&second)
                ),
            ));
        }
    }
    (vec![first, second], findings)
}

async fn run_burst(
    ctx: &Ctx,
    case: &Case,
    codes: &[ResponseCode],
) -> (Vec<Exchange>, Vec<Finding>) {
    // The burst is opt-in and deliberately unpaced: it must reach the limit.
    let requests: Vec<SignedRequest> = (0..ctx.burst)
        .map(|_| ctx.signed(&ctx.body(&ctx.reference())))
        .collect();
    let mut set = tokio::task::JoinSet::new();
    for (i, request) in requests.into_iter().enumerate() {
        let transport = ctx.transport.clone();
        let base = ctx.target.base_url.clone();
        set.spawn(async move { (i, transport.send(&base, &request).await) });
    }
    let mut exchanges: Vec<(usize, Exchange)> = set.join_all().await;
    exchanges.sort_by_key(|(i, _)| *i);
    let exchanges: Vec<Exchange> = exchanges.into_iter().map(|(_, e)| e).collect();
    let mut counts = std::collections::BTreeMap::<String, u32>::new();
    for e in &exchanges {
        let key = match &e.outcome {
            Ok(r) => checks::parse_response(ctx.spec, r)
                .ok()
                .and_then(|p| p.code)
                .map_or("unreadable".to_owned(), |c| c.to_string()),
            Err(e) => e.to_string(),
        };
        *counts.entry(key).or_default() += 1;
    }
    let seen = counts
        .iter()
        .map(|(k, n)| format!("{n}× {k}"))
        .collect::<Vec<_>>()
        .join(", ");
    let hit = codes.iter().any(|c| counts.contains_key(c.as_str()));
    let want = codes
        .iter()
        .map(ResponseCode::as_str)
        .collect::<Vec<_>>()
        .join(", ");
    let finding = Finding::new(
        "rate_limit_reached",
        if hit { Verdict::Pass } else { Verdict::Fail },
        case.spec_ref.clone(),
        format!(
            "at least one {want} among {} requests sent at once",
            ctx.burst
        ),
        seen,
    );
    // Keep the report readable: the first few exchanges and any limited one.
    let kept: Vec<Exchange> = exchanges.into_iter().take(5).collect();
    (kept, vec![finding])
}

async fn run_case(ctx: Arc<Ctx>, case: Case) -> CaseReport {
    let started = Instant::now();
    let spec = ctx.spec;
    let (exchanges, findings) = match (&case.fault.target, case.fault.kind, &case.expect) {
        (FaultTarget::Business, FaultKind::ReusedReference | FaultKind::IdenticalReplay, _) => {
            run_business(&ctx, &case).await
        }
        (_, _, Expect::SomeOf { codes }) => run_burst(&ctx, &case, codes).await,
        (_, _, Expect::Codes { codes }) => {
            let exchange = ctx.send(&faulty_request(&ctx, &case)).await;
            let findings = judge(spec, &case, &exchange, Some(codes));
            (vec![exchange], findings)
        }
        (_, _, Expect::Info) => {
            let exchange = ctx.send(&faulty_request(&ctx, &case)).await;
            let seen = match &exchange.outcome {
                Ok(r) => format!(
                    "HTTP {}, responseCode {}",
                    r.status,
                    code_and_message(&checks::parse_response(spec, r))
                ),
                Err(e) => e.to_string(),
            };
            // The code is info; how the answer is formed is still judged,
            // but for another method or path, which the API does not define.
            let mut findings = match case.fault.kind {
                FaultKind::OtherMethod | FaultKind::OtherPath => vec![],
                _ => judge(spec, &case, &exchange, None),
            };
            findings.push(Finding::new(
                "not_stated",
                Verdict::Info,
                case.spec_ref.clone(),
                "",
                format!("{}: {seen}", case.describe()),
            ));
            (vec![exchange], findings)
        }
    };
    CaseReport::new(&case, findings, exchanges, started.elapsed())
}

fn run_id() -> String {
    let mut bytes = [0u8; 4];
    if getrandom::fill(&mut bytes).is_err() {
        let nanos = OffsetDateTime::now_utc().unix_timestamp_nanos();
        bytes = (nanos as u32).to_be_bytes();
    }
    bytes.iter().map(|b| format!("{b:02X}")).collect()
}

/// Runs the suite (or the cases matching `options.cases`) against `target`.
pub async fn run_suite(target: &Target, options: &RunOptions) -> Result<Report, RunError> {
    let mut cases = catalog(Spec::embedded(), &options.catalog);
    if let Some(pattern) = &options.cases {
        cases.retain(|c| matches(pattern, &c.id));
        if cases.is_empty() {
            return Err(RunError::NoCases {
                pattern: pattern.clone(),
            });
        }
    }
    run_cases(target, options, cases).await
}

/// Runs cases against one target, sharing one HTTP client and one pacer:
/// what the `cargo test` harness holds while it runs one test per case.
#[derive(Clone)]
pub struct Runner {
    ctx: Arc<Ctx>,
}

impl std::fmt::Debug for Runner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Runner")
            .field("target", &self.ctx.target.base_url)
            .finish()
    }
}

impl Runner {
    /// A runner for `target` with these options.
    pub fn new(target: &Target, options: &RunOptions) -> Result<Runner, RunError> {
        let transport = Transport::new(options.http_timeout, options.ca_bundle.as_deref())?;
        // Evenly spaced, no burst: never more than `rate` in any second.
        let limiter = options
            .rate
            .map(|r| RateLimiter::direct(Quota::per_second(r).allow_burst(NonZeroU32::MIN)));
        Ok(Runner {
            ctx: Arc::new(Ctx {
                spec: Spec::embedded(),
                target: target.clone(),
                transport,
                pacer: Pacer {
                    slots: Semaphore::new(options.concurrency.max(1)),
                    limiter,
                },
                run_id: run_id(),
                counter: AtomicU32::new(1),
                burst: options.burst,
            }),
        })
    }

    /// Runs one case. The result carries no access token, even one the
    /// server echoed.
    pub async fn run(&self, case: Case) -> CaseReport {
        let mut report = run_case(self.ctx.clone(), case).await;
        report.scrub(&[&self.ctx.target.credentials.access_token]);
        report
    }
}

/// Runs exactly these cases against `target`.
pub async fn run_cases(
    target: &Target,
    options: &RunOptions,
    cases: Vec<Case>,
) -> Result<Report, RunError> {
    let runner = Runner::new(target, options)?;
    let started_at = OffsetDateTime::now_utc();
    let started = Instant::now();
    // The rate-limit burst runs alone, after every other case: a limit it
    // reaches must not spill into their answers.
    let (bursts, others): (Vec<_>, Vec<_>) = cases
        .into_iter()
        .enumerate()
        .partition(|(_, c)| matches!(c.expect, Expect::SomeOf { .. }));
    let mut results = Vec::new();
    for batch in [others, bursts] {
        let mut tasks = tokio::task::JoinSet::new();
        for (i, case) in batch {
            let runner = runner.clone();
            let hook = options.on_case.clone();
            tasks.spawn(async move {
                let report = runner.run(case).await;
                if let Some(hook) = hook {
                    (hook.0)(&report);
                }
                (i, report)
            });
        }
        while let Some(joined) = tasks.join_next().await {
            match joined {
                Ok(r) => results.push(r),
                Err(e) => std::panic::resume_unwind(e.into_panic()),
            }
        }
    }
    results.sort_by_key(|(i, _)| *i);
    let reports: Vec<CaseReport> = results.into_iter().map(|(_, r)| r).collect();
    if reports.iter().all(CaseReport::unreachable) {
        let reason = reports
            .iter()
            .flat_map(|r| &r.exchanges)
            .find_map(|e| e.error.clone())
            .unwrap_or_else(|| "no answer".into());
        return Err(RunError::Unreachable {
            target: target.base_url.clone(),
            reason,
        });
    }
    let mut report = Report::new(
        "server",
        &target.base_url,
        reports,
        started_at,
        started.elapsed(),
    );
    let pacing = match options.rate {
        Some(rate) => format!(
            "at most {} in flight, {rate} per second",
            options.concurrency
        ),
        None => format!("at most {} in flight, unpaced", options.concurrency),
    };
    let settings = [
        ("pacing", pacing),
        (
            "cases",
            options.cases.clone().unwrap_or_else(|| "all".into()),
        ),
        (
            "http_timeout_ms",
            options.http_timeout.as_millis().to_string(),
        ),
        (
            "rate_limit_burst",
            options.catalog.include_rate_limit.to_string(),
        ),
        ("partner_id", target.credentials.partner_id.clone()),
    ];
    report
        .settings
        .extend(settings.map(|(k, v)| (k.to_owned(), v)));
    Ok(report)
}
