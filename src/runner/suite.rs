//! The server suite's execution: builds each case's requests from its
//! compiled [`Mutation`], sends them, judges the answers with the response
//! rules.
//!
//! Against a real endpoint every case uses a fresh idempotency key with a
//! recognisable prefix, and requests are paced (at most `concurrency` in
//! flight, at most `rate` per second). Against the built-in simulator nothing
//! is paced.

use std::num::NonZeroU32;
use std::sync::Arc;
use std::time::{Duration, Instant};

use governor::{DefaultDirectRateLimiter, Quota, RateLimiter};
use serde_json::{Value, json};
use time::OffsetDateTime;
use tokio::sync::Semaphore;

use super::{RunId, run_all};
use crate::cases::{Case, CatalogOptions, Expect, JsonType, catalog};
use crate::contract::{
    BodyForm, Contract, FieldChange, Mutation, PadBase, SignatureForm, TimestampForm, remove_at,
    set_at,
};
use crate::report::{CaseReport, Report};
use crate::rules::CheckId;
use crate::rules::response::{
    code_and_id, code_and_message, judge_exchange, no_duplicate, parse_response,
};
use crate::simulator::{Simulator, test_signing_key};
use crate::spec::{FieldType, HeaderFormat, ResponseCode};
use crate::transport::{ClientError, Exchange, Transport};
use crate::verdict::{Finding, Verdict};
use crate::wire::timestamp::render_at_offset;
use crate::wire::{Credentials, SignedRequest, SigningKey, Timestamp};

/// Where the suite runs and with what credentials.
#[derive(Debug, Clone)]
pub struct Target {
    /// The API under test.
    pub contract: Arc<Contract>,
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
    /// The built-in simulator, with its own API and test credentials.
    pub fn for_simulator(sim: &Simulator) -> Target {
        Target {
            contract: sim.config().contract.clone(),
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
    /// Only cases whose id matches (see [`super::matches`]).
    pub cases: Option<String>,
    /// Which optional cases to include.
    pub catalog: CatalogOptions,
    /// The HTTP timeout, above the expected timeout.
    pub http_timeout: Duration,
    /// Whom to trust over TLS.
    pub trust: crate::transport::Trust,
    /// How many requests the rate-limit burst sends at most.
    pub burst: u32,
    /// Called as each case finishes.
    pub on_case: Option<crate::console::OnCase>,
    /// Against a real endpoint, one valid request first to find setup
    /// mistakes (see [`super::preflight`]); off only to judge every case of
    /// a server the preflight would stop at.
    pub preflight: bool,
}

impl RunOptions {
    /// The defaults for a real endpoint, from the contract's interpretations.
    pub fn staging(contract: &Contract) -> RunOptions {
        let s = &contract.spec.interpretations.server;
        RunOptions {
            concurrency: s.default_concurrency,
            rate: NonZeroU32::new(s.default_rate_per_second),
            cases: None,
            catalog: CatalogOptions::default(),
            http_timeout: Duration::from_millis(s.http_timeout_ms),
            trust: crate::transport::Trust::System,
            burst: 300,
            on_case: None,
            preflight: true,
        }
    }

    /// For a target on this machine: no pacing.
    pub fn local(contract: &Contract) -> RunOptions {
        RunOptions {
            concurrency: 64,
            rate: None,
            ..RunOptions::staging(contract)
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
    #[error(
        "--cases {pattern:?} matches no case (ids look like header.NAME.KIND, body.FIELD.KIND)"
    )]
    NoCases {
        /// The pattern.
        pattern: String,
    },
    /// The preflight found a setup mistake.
    #[error(transparent)]
    Setup(#[from] super::SetupError),
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
    width: u32,
    limiter: Option<DefaultDirectRateLimiter>,
}

/// What every case shares in one run.
struct Ctx {
    target: Target,
    transport: Transport,
    pacer: Pacer,
    run: RunId,
    burst: u32,
}

impl Ctx {
    fn contract(&self) -> &Contract {
        &self.target.contract
    }

    fn prefix(&self) -> &str {
        &self.contract().spec.interpretations.server.reference_prefix
    }

    /// A fresh idempotency key: `CDMCONF-<run>-<n>`.
    fn reference(&self) -> String {
        self.run.reference(self.prefix())
    }

    fn unknown(&self, what: &str) -> String {
        format!("{}-UNKNOWN-{what}-{}", self.prefix(), self.run.tag())
    }

    fn body(&self, reference: &str) -> Value {
        self.contract()
            .sample_body(reference, &self.target.credentials.merchant_id)
    }

    fn signed(&self, body: &Value) -> SignedRequest {
        SignedRequest::build(
            self.contract(),
            &self.target.credentials,
            &self.target.key,
            body,
            &Timestamp::now(),
        )
    }

    /// Waits its turn (concurrency, rate), then builds the request, so that
    /// it is signed when it goes on the wire, never before a pacing wait.
    async fn send_built(&self, build: impl FnOnce() -> SignedRequest) -> Exchange {
        // The semaphore is never closed.
        let _permit = self.pacer.slots.acquire().await.ok();
        if let Some(limiter) = &self.pacer.limiter {
            limiter.until_ready().await;
        }
        let request = build();
        self.transport.send(&self.target.base_url, &request).await
    }

    /// Two requests at the same instant: both wait their turns first, then
    /// both are built, signed and sent together.
    async fn send_pair(
        &self,
        a: impl FnOnce() -> SignedRequest,
        b: impl FnOnce() -> SignedRequest,
    ) -> (Exchange, Exchange) {
        // The semaphore is never closed.
        let _permits = self.pacer.slots.acquire_many(self.pacer.width).await.ok();
        if let Some(limiter) = &self.pacer.limiter {
            limiter.until_ready().await;
            limiter.until_ready().await;
        }
        let (a, b) = (a(), b());
        tokio::join!(
            self.transport.send(&self.target.base_url, &a),
            self.transport.send(&self.target.base_url, &b)
        )
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

fn malformed_timestamp(form: TimestampForm, now: &Timestamp) -> String {
    let local = now.as_str();
    let head = &local[..19];
    match form {
        TimestampForm::UtcZ => render_at_offset(now.instant(), time::UtcOffset::UTC),
        TimestampForm::Fraction => format!("{head}.123{}", &local[19..]),
        TimestampForm::NoOffset => head.to_owned(),
        TimestampForm::OtherOffset => {
            render_at_offset(now.instant(), time::macros::offset!(+08:00))
        }
        TimestampForm::NotADate => format!("{}-13-45T25:61:61{}", &local[..4], &local[19..]),
        // Ten minutes behind: well formed, but far from the server's clock.
        TimestampForm::Drift => Timestamp::from_unix_seconds(now.unix_seconds() - 600)
            .map(|t| t.to_string())
            .unwrap_or_else(|_| local.to_owned()),
    }
}

/// The one request of a single-request case: a valid request with the
/// case's mutation applied. Every mutation is handled; none sends the
/// request unchanged but [`Mutation::Valid`].
fn faulty_request(ctx: &Ctx, case: &Case, mutation: &Mutation) -> SignedRequest {
    let contract = ctx.contract();
    let creds = &ctx.target.credentials;
    let reference = ctx.reference();
    let mut body = ctx.body(&reference);
    // Body changes first; the signature does not cover the body.
    if let Mutation::Field { path, change } = mutation
        && let Some(o) = body.as_object_mut()
    {
        match change {
            FieldChange::Remove => remove_at(o, path),
            FieldChange::Null => {
                set_at(o, path, Value::Null);
            }
            FieldChange::Empty(FieldType::Object) => {
                set_at(o, path, json!({}));
            }
            FieldChange::Empty(_) => {
                set_at(o, path, json!(""));
            }
            FieldChange::WrongType => {
                set_at(
                    o,
                    path,
                    value_of_type(case.json_type.unwrap_or(JsonType::Number)),
                );
            }
            FieldChange::Padded { len, base } => {
                let base = match base {
                    PadBase::UnknownMerchant => format!("{}-", ctx.unknown("MERCHANT")),
                    PadBase::Reference => format!("{reference}-"),
                };
                set_at(o, path, json!(pad(&base, *len)));
            }
            FieldChange::UnknownMerchant => {
                set_at(o, path, json!(ctx.unknown("MERCHANT")));
            }
        }
    }
    if let Mutation::Body(BodyForm::ExtraField) = mutation
        && let Some(o) = body.as_object_mut()
    {
        o.insert("cdmConformanceExtra".into(), json!("an unknown field"));
    }
    let mut request = ctx.signed(&body);
    let now = Timestamp::now();
    let ts_header = contract.header(HeaderFormat::JakartaTimestamp);
    match mutation {
        Mutation::Valid
        | Mutation::Field { .. }
        | Mutation::Body(BodyForm::ExtraField)
        | Mutation::ReusedReference
        | Mutation::IdenticalReplay
        | Mutation::ConcurrentReuse
        | Mutation::RateLimitBurst => {}
        Mutation::RemoveHeader { header } => request.remove_header(header),
        Mutation::ContentTypeNotJson { header } => request.set_header(header, "text/plain"),
        Mutation::BearerWithoutPrefix { header } => {
            request.set_header(header, creds.access_token.clone())
        }
        Mutation::UnknownToken { header } => request.set_header(
            header,
            contract.wire().authorization(&format!(
                "{}-unknown-token-{}",
                ctx.prefix(),
                ctx.run.tag()
            )),
        ),
        Mutation::UnknownPartner { header } => request.set_header(header, ctx.unknown("PARTNER")),
        Mutation::HeaderOverLimit { header, len } => {
            request.set_header(header, pad(&creds.partner_id, *len))
        }
        Mutation::Timestamp { form, .. } => {
            let ts = malformed_timestamp(*form, &now);
            request.sign_at(contract, &creds.client_key, &ctx.target.key, &ts);
        }
        Mutation::Signature { header, form } => {
            if let Some(ts_header) = ts_header {
                request.set_header(ts_header, now.as_str());
            }
            let signature = match form {
                SignatureForm::NotBase64 => "not*base64!signature".to_owned(),
                SignatureForm::OtherKey => {
                    let other =
                        SigningKey::from_pem_or_base64(crate::testkeys::OTHER_PRIVATE_KEY_PEM)
                            .unwrap_or_else(|e| unreachable!("embedded test key: {e}"));
                    other.sign(&contract.signing_text(&creds.client_key, now.as_str()))
                }
                // The two parts swapped: always another text, whatever the credentials.
                SignatureForm::OtherText => ctx
                    .target
                    .key
                    .sign(&contract.signing_text(now.as_str(), &creds.client_key)),
                SignatureForm::OtherTimestamp => {
                    let earlier =
                        Timestamp::from_unix_seconds(now.unix_seconds() - 1).unwrap_or(now.clone());
                    ctx.target
                        .key
                        .sign(&contract.signing_text(&creds.client_key, earlier.as_str()))
                }
            };
            request.set_header(header, signature);
        }
        Mutation::Body(BodyForm::NotJson) => {
            let key = &contract.roles().idempotency_key;
            request.body = format!("{{\"{key}\": ").into_bytes();
        }
        Mutation::Body(BodyForm::Empty) => request.body.clear(),
        Mutation::Body(BodyForm::NotObject) => {
            request.body = serde_json::to_vec(&json!([body])).unwrap_or_default();
        }
        Mutation::LowercaseHeaderNames => {
            for (name, _) in &mut request.headers {
                *name = name.to_ascii_lowercase();
            }
        }
        Mutation::OtherMethod => request.method = "GET".into(),
        Mutation::OtherPath => request.path = format!("{}-unknown", request.path),
    }
    request
}

/// The case's mutation; the catalog only makes cases of compiled faults.
fn mutation_of<'a>(contract: &'a Contract, case: &Case) -> &'a Mutation {
    contract
        .mutation(&case.fault)
        .unwrap_or_else(|| unreachable!("case {} of an uncompiled fault", case.id))
}

async fn run_business(ctx: &Ctx, case: &Case) -> (Vec<Exchange>, Vec<Finding>) {
    let contract = ctx.contract();
    let describe = case.describe();
    let success = [contract.success_code()];
    let reference = ctx.reference();
    let first_body = ctx.body(&reference);
    let first = ctx.send_built(|| ctx.signed(&first_body)).await;
    let mut findings = judge_exchange(contract, &case.spec_ref, &describe, &first, Some(&success));
    if let Some(f) = findings.first_mut() {
        f.check = CheckId::SetupFirstRequestSucceeds;
    }
    let mut second_body = first_body.clone();
    if *mutation_of(contract, case) == Mutation::ReusedReference
        && let Some(o) = second_body.as_object_mut()
    {
        let variant = &contract.roles().reuse_variant;
        set_at(o, &variant.field, json!(variant.value));
    }
    let second = ctx.send_built(|| ctx.signed(&second_body)).await;
    match &case.expect {
        Expect::Codes { codes } => findings.extend(judge_exchange(
            contract,
            &case.spec_ref,
            &describe,
            &second,
            Some(codes),
        )),
        _ => {
            // How the answer is formed is judged; then whether it made a duplicate.
            findings.extend(judge_exchange(
                contract,
                &case.spec_ref,
                &describe,
                &second,
                None,
            ));
            findings.push(no_duplicate(contract, &case.spec_ref, &first, &second));
        }
    }
    (vec![first, second], findings)
}

/// Pairs with one key and two bodies, each pair sent at once: at most one
/// of a pair may succeed.
async fn run_pairs(ctx: &Ctx, case: &Case, pairs: u32) -> (Vec<Exchange>, Vec<Finding>) {
    let contract = ctx.contract();
    let success = contract.success_code();
    let variant = &contract.roles().reuse_variant;
    let describe = case.describe();
    let mut exchanges = Vec::new();
    let mut findings = Vec::new();
    let mut seen = Vec::new();
    let mut both = 0;
    let mut any_success = false;
    for k in 1..=pairs {
        let reference = ctx.reference();
        let first = ctx.body(&reference);
        let mut second = first.clone();
        if let Some(o) = second.as_object_mut() {
            set_at(o, &variant.field, json!(variant.value));
        }
        let (a, b) = ctx
            .send_pair(|| ctx.signed(&first), || ctx.signed(&second))
            .await;
        let (ca, _, _) = code_and_id(contract, &a);
        let (cb, _, _) = code_and_id(contract, &b);
        let show = |c: Option<ResponseCode>| c.map_or("no code".to_owned(), |c| c.to_string());
        if ca == Some(success) && cb == Some(success) {
            both += 1;
        }
        any_success |= ca == Some(success) || cb == Some(success);
        seen.push(format!("pair {k}: {} and {}", show(ca), show(cb)));
        for e in [&a, &b] {
            findings.extend(judge_exchange(contract, &case.spec_ref, &describe, e, None));
        }
        exchanges.extend([a, b]);
    }
    // No success at all proves nothing about atomicity: a warning, never a pass.
    let verdict = match (both, any_success) {
        (0, true) => Verdict::Pass,
        (0, false) => Verdict::Warn,
        _ => Verdict::Fail,
    };
    findings.insert(
        0,
        Finding::new(
            CheckId::ReuseIsAtomic,
            verdict,
            case.spec_ref.clone(),
            format!(
                "at most one success in each of {pairs} pairs sent at once with one {} and two bodies (the reuse check is atomic)",
                contract.roles().idempotency_key
            ),
            match (both, any_success) {
                (0, false) => format!("inconclusive, no request of any pair succeeded: {}", seen.join("; ")),
                (0, true) => seen.join("; "),
                (n, _) => format!("{n} of {pairs} pairs succeeded twice: {}", seen.join("; ")),
            },
        ),
    );
    (exchanges, findings)
}

async fn run_burst(
    ctx: &Ctx,
    case: &Case,
    codes: &[ResponseCode],
) -> (Vec<Exchange>, Vec<Finding>) {
    let spec = &ctx.contract().spec;
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
            Ok(r) => parse_response(spec, r)
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
        CheckId::RateLimitReached,
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
    let contract = ctx.contract();
    let spec = &contract.spec;
    let mutation = mutation_of(contract, &case);
    let describe = match mutation {
        Mutation::LowercaseHeaderNames =>             "the valid request with every header name in lower case (field names are case-insensitive, RFC 9110 section 5.1; the names' case is the only difference from request.valid, which the suite sends with the names as the API text prints them)".to_owned(),
        _ => case.describe(),
    };
    let (exchanges, findings) = match (mutation, &case.expect) {
        (Mutation::ReusedReference | Mutation::IdenticalReplay, _) => {
            run_business(&ctx, &case).await
        }
        (Mutation::ConcurrentReuse, Expect::AtMostOneOfEachPair { pairs }) => {
            run_pairs(&ctx, &case, *pairs).await
        }
        (_, Expect::SomeOf { codes }) => run_burst(&ctx, &case, codes).await,
        (_, Expect::Codes { codes }) => {
            let exchange = ctx
                .send_built(|| faulty_request(&ctx, &case, mutation))
                .await;
            let findings =
                judge_exchange(contract, &case.spec_ref, &describe, &exchange, Some(codes));
            (vec![exchange], findings)
        }
        (_, Expect::Info | Expect::NoDuplicate | Expect::AtMostOneOfEachPair { .. }) => {
            let exchange = ctx
                .send_built(|| faulty_request(&ctx, &case, mutation))
                .await;
            let seen = match &exchange.outcome {
                Ok(r) => format!(
                    "HTTP {}, {} {}",
                    r.status,
                    spec.interpretations.roles.response_code,
                    code_and_message(spec, &parse_response(spec, r))
                ),
                Err(e) => e.to_string(),
            };
            // The code is info; how the answer is formed is still judged,
            // but for another method or path, which the API does not define.
            let mut findings = match mutation {
                Mutation::OtherMethod | Mutation::OtherPath => vec![],
                _ => judge_exchange(contract, &case.spec_ref, &describe, &exchange, None),
            };
            findings.push(Finding::new(
                CheckId::NotStated,
                Verdict::Info,
                case.spec_ref.clone(),
                "",
                format!("{describe}: {seen}"),
            ));
            (vec![exchange], findings)
        }
    };
    // A case's duration is its own exchanges' time, not its pacing waits;
    // the burst's requests overlap, so its wall time is its duration.
    let duration = match mutation {
        Mutation::RateLimitBurst => started.elapsed(),
        // Each pair's two requests overlap.
        Mutation::ConcurrentReuse => Duration::from_millis(
            exchanges
                .chunks(2)
                .map(|pair| pair.iter().map(|e| e.elapsed_ms).max().unwrap_or(0))
                .sum(),
        ),
        _ => Duration::from_millis(exchanges.iter().map(|e| e.elapsed_ms).sum()),
    };
    CaseReport::new(&case, findings, exchanges, duration)
}

/// Runs the suite (or the cases matching `options.cases`) against `target`.
pub async fn run_suite(target: &Target, options: &RunOptions) -> Result<Report, RunError> {
    let cases = catalog(&target.contract, &options.catalog);
    let cases =
        super::select(cases, options.cases.as_deref()).ok_or_else(|| RunError::NoCases {
            pattern: options.cases.clone().unwrap_or_default(),
        })?;
    let mut report = run_cases(target, options, cases).await?;
    report.complete = options.cases.is_none();
    Ok(report)
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
        let transport = Transport::exact(options.http_timeout, &options.trust)?;
        // Evenly spaced, no burst: never more than `rate` in any second.
        let limiter = options
            .rate
            .map(|r| RateLimiter::direct(Quota::per_second(r).allow_burst(NonZeroU32::MIN)));
        Ok(Runner {
            ctx: Arc::new(Ctx {
                target: target.clone(),
                transport,
                pacer: Pacer {
                    slots: Semaphore::new(options.concurrency.max(1)),
                    width: options.concurrency.clamp(1, 2) as u32,
                    limiter,
                },
                run: RunId::new(),
                burst: options.burst,
            }),
        })
    }

    /// One valid request, to find the operator's setup mistakes before any
    /// case runs (see [`super::preflight`]).
    pub async fn preflight(&self) -> Result<(), super::SetupError> {
        let ctx = &self.ctx;
        let reference = ctx.reference();
        // Paced like any request: at --rate 1 the first case waits its second.
        let exchange = ctx.send_built(|| ctx.signed(&ctx.body(&reference))).await;
        super::preflight::judge(&ctx.target, &exchange)
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
    if options.preflight && !target.simulated {
        runner.preflight().await?;
    }
    let started_at = OffsetDateTime::now_utc();
    let started = Instant::now();
    // Requests are paced by the runner; every case may wait its turn at once.
    let jobs = cases.len().max(1);
    let reports = run_all(cases, jobs, options.on_case.clone(), |case| {
        let runner = runner.clone();
        async move { runner.run(case).await }
    })
    .await;
    if !reports.is_empty() && reports.iter().all(CaseReport::unreachable) {
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
        &target.contract.spec.digest,
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
        ("tls", options.trust.to_string()),
    ];
    report.insecure_tls = options.trust == crate::transport::Trust::Insecure;
    report
        .settings
        .extend(settings.map(|(k, v)| (k.to_owned(), v)));
    Ok(report)
}
