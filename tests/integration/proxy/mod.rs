//! The validating proxy: between the reference client (faithful and
//! faulty) and the simulator (faithful and quirky), and against hostile
//! peers on either side. Each fault is named on the side that answers for
//! it; faithful peers pass and get what they would get directly.

mod cli;
mod hostile;
mod through;

use std::sync::Arc;
use std::time::Duration;

use cdm_conformance::client::{ClientRun, ClientUnderTest, Flaw, Invocation, ReferenceClient};
use cdm_conformance::proxy::{Proxy, ProxyOptions};
use cdm_conformance::report::{CaseReport, Report};
use cdm_conformance::simulator::{Quirk, SimConfig, Simulator, test_signing_key};
use cdm_conformance::verdict::Verdict;
use cdm_conformance::{Contract, Credentials};
use serde_json::Value;

/// A simulator (with these quirks) and a proxy in front of it that knows
/// every credential.
pub struct Setup {
    pub contract: Arc<Contract>,
    pub sim: Simulator,
    pub proxy: Proxy,
}

/// Proxy options for `upstream` with the built-in credentials.
pub fn options(contract: &Arc<Contract>, upstream: &str) -> ProxyOptions {
    let creds = Credentials::test_defaults();
    let mut options = ProxyOptions::new(
        contract.clone(),
        upstream,
        test_signing_key().verifying_key(),
        &creds.client_key,
    )
    .with_access_token(&creds.access_token);
    options.known.partner_id = Some(creds.partner_id);
    options
}

pub async fn setup(quirks: &[Quirk]) -> Setup {
    setup_at(quirks, "").await
}

/// The same, the proxy's upstream being the simulator's base URL + `path`
/// (a scripted case: `/case/ID`).
pub async fn setup_at(quirks: &[Quirk], path: &str) -> Setup {
    let contract = Contract::embedded();
    let mut config = SimConfig::for_contract(contract.clone());
    config.quirks = quirks.to_vec();
    let sim = Simulator::start(config).await.unwrap();
    let upstream = format!("{}{path}", sim.base_url());
    let proxy = Proxy::start(options(&contract, &upstream)).await.unwrap();
    Setup {
        contract,
        sim,
        proxy,
    }
}

/// A body to send, with a fresh reference.
pub fn body(contract: &Contract, reference: &str) -> Value {
    contract.sample_body(reference, &Credentials::test_defaults().merchant_id)
}

/// Runs the reference client (with a flaw, if any) against `base_url`.
pub async fn run_client(
    contract: &Arc<Contract>,
    flaw: Option<Flaw>,
    base_url: &str,
    request: Value,
) -> ClientRun {
    let creds = Credentials::test_defaults();
    let mut client = ReferenceClient::new(contract.clone(), test_signing_key());
    if let Some(flaw) = flaw {
        client = client.with_flaw(flaw);
    }
    let invocation = Invocation {
        case_id: "proxy".into(),
        base_url: base_url.to_owned(),
        partner_id: creds.partner_id,
        client_key: creds.client_key,
        access_token: creds.access_token,
        request,
        success_fields: contract
            .spec
            .success_fields()
            .map(|f| f.name.clone())
            .collect(),
        deadline: Duration::from_secs(60),
    };
    client.run(&invocation).await
}

/// Every exchange's findings by side: `request` (the client's) or `answer`.
pub fn failing(report: &Report, verdict: Verdict) -> Vec<(String, String, String)> {
    report
        .cases
        .iter()
        .flat_map(|c| {
            c.message
                .split("; ")
                .filter(|_| c.verdict == verdict)
                .filter_map(|part| {
                    let (side, rest) = part.split_once(' ')?;
                    let (check, _) = rest.split_once(':')?;
                    Some((c.id.clone(), side.to_owned(), check.to_owned()))
                })
                .collect::<Vec<_>>()
        })
        .collect()
}

/// Asserts that `check` failed (or warned) on `side` in some exchange.
pub fn assert_named(report: &Report, verdict: Verdict, side: &str, check: &str, fault: &str) {
    let seen = failing(report, verdict);
    assert!(
        seen.iter().any(|(_, s, c)| s == side && c == check),
        "{fault}: expected {side} {check} at {verdict}, got {seen:?}\n{}",
        messages(&report.cases)
    );
}

pub fn messages(cases: &[CaseReport]) -> String {
    cases
        .iter()
        .map(|c| format!("{} {}: {}", c.id, c.verdict, c.message))
        .collect::<Vec<_>>()
        .join("\n")
}

/// Asserts the proxy's report is judged again to its own verdicts.
pub fn assert_rejudged(report: &Report) {
    let key = test_signing_key().verifying_key();
    let judged =
        cdm_conformance::rejudge::rejudge(&Contract::embedded(), &report.to_json(), &key).unwrap();
    assert!(
        judged.unsupported.is_empty(),
        "the proxy's report is not supported by its evidence: {:#?}",
        judged.unsupported
    );
    assert_eq!(judged.cases, report.cases.len());
}
