//! `cdm-conformance proxy` as a user runs it: it says where it listens,
//! prints one line per exchange, and on SIGINT, SIGTERM or
//! `--max-exchanges` writes every report and exits 0 or 1.

use std::io::{BufRead as _, BufReader, Read as _};
use std::process::{Command, Stdio};
use std::time::Duration;

use cdm_conformance::client::Flaw;
use cdm_conformance::simulator::{SimConfig, Simulator};
use cdm_conformance::{Contract, Credentials};

use super::{body, run_client};
use crate::common::{ChildGuard, testkey};

struct Running {
    child: ChildGuard,
    base_url: String,
    dir: tempfile::TempDir,
}

/// Starts the binary in front of `upstream`, with the built-in credentials.
fn start(upstream: &str, extra: &[&str]) -> Running {
    let dir = tempfile::tempdir().unwrap();
    let creds = Credentials::test_defaults();
    let path = |name: &str| dir.path().join(name).to_str().unwrap().to_owned();
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_cdm-conformance"));
    cmd.args(["proxy", "--upstream", upstream, "--port", "0"])
        .args([
            "--public-key",
            testkey("partner-public.pem").to_str().unwrap(),
        ])
        .args(["--client-key", &creds.client_key])
        .args(["--partner-id", &creds.partner_id])
        .args(["--report-json", &path("r.json"), "--junit", &path("r.xml")])
        .args([
            "--report-html",
            &path("r.html"),
            "--report-md",
            &path("r.md"),
        ])
        .args(extra)
        .env("CDM_ACCESS_TOKEN", &creds.access_token)
        .env_remove("CDM_BASE_URL")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = ChildGuard(cmd.spawn().expect("the binary runs"));
    let mut err = BufReader::new(child.0.stderr.take().unwrap());
    let mut line = String::new();
    err.read_line(&mut line).unwrap();
    let base_url = line
        .split_whitespace()
        .find(|w| w.starts_with("http://127.0.0.1:"))
        .unwrap_or_else(|| panic!("no address in {line:?}"))
        .to_owned();
    Running {
        child,
        base_url,
        dir,
    }
}

/// Waits for the process to exit: its code and standard output.
fn wait(mut running: Running) -> (i32, String, tempfile::TempDir) {
    let mut out = String::new();
    running
        .child
        .0
        .stdout
        .take()
        .unwrap()
        .read_to_string(&mut out)
        .unwrap();
    let status = running.child.0.wait().unwrap();
    (status.code().unwrap_or(-1), out, running.dir)
}

fn signal(running: &Running, sig: i32) {
    let pid = running.child.0.id() as i32;
    // SAFETY: kill(2) on our own child's pid.
    unsafe {
        libc::kill(pid, sig);
    }
}

fn assert_reports(dir: &std::path::Path, verdict: &str) -> serde_json::Value {
    for name in ["r.json", "r.xml", "r.html", "r.md"] {
        assert!(dir.join(name).exists(), "no {name}");
    }
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("r.json")).unwrap()).unwrap();
    assert_eq!(report["mode"], "proxy");
    assert_eq!(report["verdict"], verdict);
    let text = std::fs::read_to_string(dir.join("r.json")).unwrap();
    assert!(
        !text.contains(&Credentials::test_defaults().access_token),
        "the token is in the report"
    );
    report
}

#[rstest::rstest]
#[case::sigint(libc::SIGINT)]
#[case::sigterm(libc::SIGTERM)]
#[tokio::test]
async fn a_signal_writes_every_report(#[case] sig: i32) {
    let contract = Contract::embedded();
    let sim = Simulator::start(SimConfig::for_contract(contract.clone()))
        .await
        .unwrap();
    let running = start(&sim.base_url(), &[]);
    let run = run_client(&contract, None, &running.base_url, body(&contract, "CLI-1")).await;
    assert!(run.outcome.is_some());
    tokio::time::sleep(Duration::from_millis(200)).await;
    signal(&running, sig);
    let (code, out, dir) = wait(running);
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains("PASS  exchange.0001  POST /v2.0/cdm/cdm-mpm-generate  2009000"),
        "{out}"
    );
    assert!(out.contains("proxy PASS (TRIAL"), "{out}");
    assert_reports(dir.path(), "pass");
    // The report can be judged again by anyone with the public key.
    let again = crate::cli::run(
        &[
            "rejudge",
            dir.path().join("r.json").to_str().unwrap(),
            "--public-key",
            testkey("partner-public.pem").to_str().unwrap(),
        ],
        &[],
    );
    assert_eq!(again.code, 0, "{}{}", again.stdout, again.stderr);
}

#[tokio::test]
async fn max_exchanges_stops_it_and_a_broken_rule_is_exit_1() {
    let contract = Contract::embedded();
    let sim = Simulator::start(SimConfig::for_contract(contract.clone()))
        .await
        .unwrap();
    let running = start(&sim.base_url(), &["--max-exchanges", "1"]);
    run_client(
        &contract,
        Some(Flaw::UtcTimestamp),
        &running.base_url,
        body(&contract, "CLI-2"),
    )
    .await;
    let (code, out, dir) = wait(running);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("FAIL  exchange.0001"), "{out}");
    assert!(out.contains("request x_timestamp"), "{out}");
    let report = assert_reports(dir.path(), "fail");
    assert_eq!(report["cases"].as_array().unwrap().len(), 1);
}

/// Both sides independent of the project: the Node.js example adapter as
/// the client, the Python staging stand-in (written from the API text) as
/// the server. Through the proxy the client gets what it gets directly,
/// every exchange passes, and the run exits 0.
#[test]
fn an_independent_client_and_server_pass_through_the_proxy() {
    if !crate::common::required_under_ci("node") {
        eprintln!("skipped: no node on this machine");
        return;
    }
    let staging = crate::cli::staging::staging(&[]);
    let running = start(&staging.base_url, &[]);
    let creds = Credentials::test_defaults();
    let contract = Contract::embedded();
    let adapter = |base: &str, request: &serde_json::Value| -> String {
        let out = Command::new("node")
            .arg(crate::common::root().join("examples/node/adapter.js"))
            .env("CDM_BASE_URL", base)
            .env("CDM_PARTNER_ID", &creds.partner_id)
            .env("CDM_CLIENT_KEY", &creds.client_key)
            .env("CDM_ACCESS_TOKEN", &creds.access_token)
            .env("CDM_REQUEST", request.to_string())
            .env("CDM_CASE_ID", "proxy")
            .output()
            .expect("node runs");
        let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
        let last = stdout.lines().last().unwrap_or_default().to_owned();
        // The outcome without its per-transaction ids: success or the code.
        let v: serde_json::Value = serde_json::from_str(&last)
            .unwrap_or_else(|e| panic!("{e}: {stdout} {}", String::from_utf8_lossy(&out.stderr)));
        format!("{} {}", v["outcome"], v["responseCode"])
    };
    let mut n = 0;
    for merchant in [creds.merchant_id.as_str(), "no-such-merchant"] {
        let mut request = || {
            n += 1;
            let mut b = body(&contract, &format!("NODE-{n}"));
            b["merchantId"] = merchant.into();
            b
        };
        let direct = adapter(&staging.base_url, &request());
        let proxied = adapter(&running.base_url, &request());
        assert_eq!(proxied, direct, "merchant {merchant}");
    }
    signal(&running, libc::SIGINT);
    let (code, out, dir) = wait(running);
    assert_eq!(code, 0, "{out}");
    let report = assert_reports(dir.path(), "pass");
    assert_eq!(report["cases"].as_array().unwrap().len(), 2, "{out}");
}

/// SIGTERM while a request waits for its answer: the proxy stops taking
/// requests, lets the answer through, records it, then writes the reports.
#[tokio::test]
async fn a_request_in_flight_at_sigterm_is_answered_and_recorded() {
    let contract = Contract::embedded();
    let sim = Simulator::start(SimConfig::for_contract(contract.clone()))
        .await
        .unwrap();
    let success = contract.success_code();
    sim.engine().script(
        "slow",
        vec![cdm_conformance::simulator::Step::Delay(
            Duration::from_millis(1500),
            Box::new(cdm_conformance::simulator::Step::Code(success)),
        )],
    );
    let running = start(&format!("{}/case/slow", sim.base_url()), &[]);
    let url = running.base_url.clone();
    let client = {
        let contract = contract.clone();
        tokio::spawn(
            async move { run_client(&contract, None, &url, body(&contract, "CLI-SLOW")).await },
        )
    };
    tokio::time::sleep(Duration::from_millis(500)).await;
    signal(&running, libc::SIGTERM);
    let run = client.await.unwrap();
    assert!(
        matches!(
            run.outcome,
            Some(Ok(cdm_conformance::client::ClientOutcome::Success { .. }))
        ),
        "{run:?}"
    );
    let (code, out, dir) = wait(running);
    assert_eq!(code, 0, "{out}");
    let report = assert_reports(dir.path(), "pass");
    assert_eq!(report["cases"].as_array().unwrap().len(), 1, "{out}");
}
