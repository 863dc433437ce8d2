//! Client certification: the harness plays the API and drives a client
//! through every response-code row, timeout and unexpected answer.
//!
//! - [`scenarios`]: the catalog, derived from the contract;
//! - `drive`: one client run per scenario, stopped at its deadline or when
//!   it floods;
//! - [`judge`]: every request with the request rules, the attempts, the
//!   reaction.
//!
//! All scenarios run at once through the shared run loop
//! ([`crate::runner::run_all`]), each under its own base URL (`/case/<id>`)
//! on one simulator, which records every request.
//!
//! ```no_run
//! # tokio::runtime::Runtime::new().unwrap().block_on(async {
//! use std::sync::Arc;
//! use cdm_conformance::Contract;
//! use cdm_conformance::certify::{certify, CertifyOptions};
//! use cdm_conformance::client::ReferenceClient;
//! use cdm_conformance::simulator::test_signing_key;
//!
//! let contract = Contract::embedded();
//! let client = Arc::new(ReferenceClient::new(contract.clone(), test_signing_key()));
//! let report = certify(client, &CertifyOptions::test_defaults(contract)).await.unwrap();
//! assert_eq!(report.summary.failed, 0);
//! # });
//! ```

mod drive;
pub mod judge;
pub mod scenarios;

use std::num::NonZeroU32;
use std::sync::Arc;
use std::time::{Duration, Instant};

use time::OffsetDateTime;

pub use scenarios::{Reaction, Scenario, scenarios};

use crate::client::{ClientUnderTest, Invocation};
use crate::contract::Contract;
use crate::evidence::{Arrival, Evidence, GivenAnswer, Handed};
use crate::report::{CaseReport, ExchangeRecord, Report};
use crate::runner::{RunId, run_all, select};
use crate::simulator::{SimConfig, SimError, Simulator, test_signing_key};
use crate::wire::{Credentials, VerifyingKey};

/// Client runs at once by default: enough that the scenarios which wait out
/// timeouts (started first) bound the wall time, few enough that 30 heavy
/// adapters (a JVM each) never start together on a small machine.
pub const DEFAULT_JOBS: usize = 8;

/// How to certify.
#[derive(Debug, Clone)]
pub struct CertifyOptions {
    /// The API the client is certified against.
    pub contract: Arc<Contract>,
    /// The credentials handed to the client.
    pub credentials: Credentials,
    /// The key the client's signatures must verify with.
    pub public_key: VerifyingKey,
    /// How long one client run may take.
    pub deadline: Duration,
    /// The most requests one case may send before the client is stopped.
    pub request_cap: usize,
    /// Only scenarios whose id matches (see [`crate::runner::matches`]).
    pub cases: Option<String>,
    /// At most this many client runs at once.
    pub jobs: usize,
    /// Which client is certified (name, version, artifacts).
    pub identity: crate::report::ClientIdentity,
    /// Called as each case finishes.
    pub on_case: Option<crate::console::OnCase>,
}

impl CertifyOptions {
    /// The built-in test credentials and the test partner's public key.
    pub fn test_defaults(contract: Arc<Contract>) -> CertifyOptions {
        let deadline =
            Duration::from_millis(contract.spec.interpretations.client.adapter_deadline_ms);
        CertifyOptions {
            contract,
            credentials: Credentials::test_defaults(),
            public_key: test_signing_key().verifying_key(),
            deadline,
            request_cap: 12,
            cases: None,
            jobs: DEFAULT_JOBS,
            identity: Default::default(),
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
    #[error("--cases {pattern:?} matches no case (ids look like code.CODE, timeout.every_attempt)")]
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
    let contract = options.contract.clone();
    let list = select(scenarios(&contract), options.cases.as_deref()).ok_or_else(|| {
        CertifyError::NoCases {
            pattern: options.cases.clone().unwrap_or_default(),
        }
    })?;
    let mut config = SimConfig::for_contract(contract.clone());
    config.credentials = options.credentials.clone();
    config.public_key = options.public_key.clone();
    // Every scenario scripts its own answers: no shared rate limit.
    config.rate_burst = NonZeroU32::new(1_000_000).unwrap_or(NonZeroU32::MIN);
    config.rate_per_second = config.rate_burst;
    let sim = Arc::new(Simulator::start(config).await?);
    let run = Arc::new(RunId::new());
    let started_at = OffsetDateTime::now_utc();
    let started = Instant::now();
    let cases = run_all(list, options.jobs, options.on_case.clone(), |scenario| {
        let (sim, client, options, run) =
            (sim.clone(), client.clone(), options.clone(), run.clone());
        async move { run_scenario(&sim, client, &options, scenario, &run).await }
    })
    .await;
    let mut report = Report::new(
        "client",
        &client.name(),
        &contract.spec.digest,
        cases,
        started_at,
        started.elapsed(),
    );
    report.scrub(&[&options.credentials.access_token]);
    // Every key pair whose private half ships with the project is public:
    // signatures it verifies prove nothing about who signed.
    let fingerprint = options.public_key.fingerprint();
    let published = crate::testkeys::is_published(&options.public_key);
    report.run = Some(run.tag().to_owned());
    report.complete = options.cases.is_none();
    report.test_key = published;
    report.client = Some(options.identity.clone());
    report.certification = Some(
        certification(
            report.verdict == crate::verdict::Verdict::Fail,
            report.complete,
            published,
        )
        .to_owned(),
    );
    let key = if published {
        format!(
            "sha256:{fingerprint} (a built-in test key, its private half published: a trial, not a certification)"
        )
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
    report
        .settings
        .insert("jobs".into(), options.jobs.to_string());
    report.settings.insert(
        "cases".into(),
        options.cases.clone().unwrap_or_else(|| "all".into()),
    );
    report
        .settings
        .insert("partner_id".into(), options.credentials.partner_id.clone());
    Ok(report)
}

/// A certification's word: never a full pass from a subset or a published
/// test key.
pub fn certification(failed: bool, complete: bool, test_key: bool) -> &'static str {
    match (failed, complete, test_key) {
        (true, ..) => "not certified",
        (false, false, _) => "partial",
        (false, true, true) => "trial",
        (false, true, false) => "certified",
    }
}

async fn run_scenario(
    sim: &Simulator,
    client: Arc<dyn ClientUnderTest>,
    options: &CertifyOptions,
    scenario: Scenario,
    run: &RunId,
) -> CaseReport {
    let contract = &options.contract;
    let started = Instant::now();
    let engine = sim.engine();
    engine.script(&scenario.id, scenario.steps.clone());
    let reference = run.reference(&contract.spec.interpretations.server.reference_prefix);
    let prefix = format!("/case/{}", scenario.id);
    let invocation = Invocation {
        case_id: scenario.id.clone(),
        base_url: format!("{}{prefix}", sim.base_url()),
        partner_id: options.credentials.partner_id.clone(),
        client_key: options.credentials.client_key.clone(),
        access_token: options.credentials.access_token.clone(),
        request: contract.sample_body(&reference, &options.credentials.merchant_id),
        success_fields: contract
            .spec
            .success_fields()
            .map(|f| f.name.clone())
            .collect(),
        deadline: options.deadline,
    };
    let client_run = drive::drive(engine, client, &invocation, options).await;
    let ended = started.elapsed();
    // A flood is judged on its first requests past the cap; the rest add nothing.
    let mut records = engine.records(&scenario.id);
    records.truncate(options.request_cap + 1);
    // The judge reads the evidence the report keeps, nothing richer: what
    // `rejudge` reads back is what the verdict was given on.
    let mut evidence = Evidence {
        handed: Handed {
            prefix,
            partner_id: invocation.partner_id.clone(),
            client_key: invocation.client_key.clone(),
            access_token: crate::redact::token(&invocation.access_token),
            request: invocation.request.clone(),
        },
        arrivals: records
            .iter()
            .map(|r| Arrival {
                at: r.arrived_at,
                after_us: r.arrived.saturating_duration_since(started).as_micros() as u64,
                request: crate::evidence::redacted(&r.request),
                on_endpoint: r.on_endpoint,
                answer: GivenAnswer {
                    status: r.answer.status,
                    reason: None,
                    raw_headers: None,
                    headers: r.answer.headers.clone(),
                    body: r.answer.body.clone(),
                    held_ms: r.answer.delay.map(|d| d.as_millis() as u64),
                },
            })
            .collect(),
        ended_after_us: ended.as_micros() as u64,
        strays: engine.strays(),
    };
    crate::report::scrub_evidence(&mut evidence, &[&options.credentials.access_token]);
    let findings = judge::judge(
        contract,
        &scenario,
        &evidence,
        &options.public_key,
        &client_run,
    );
    let exchanges = evidence.arrivals.iter().map(ExchangeRecord::from).collect();
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
    report.client = Some(client_run);
    report.evidence = Some(evidence);
    report
}
