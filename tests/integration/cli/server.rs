//! `server` and `simulate`, run as a new user would: a separate simulator
//! process on loopback, faithful or deviating, and the suite against it.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

use crate::cli::run;

/// A `simulate` process, killed when dropped.
struct SimProcess {
    _child: crate::common::ChildGuard,
    banner: String,
    env: Vec<(String, String)>,
    _dir: tempfile::TempDir,
}

fn simulate(extra: &[&str]) -> SimProcess {
    let dir = tempfile::tempdir().unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_cdm-conformance"))
        .args([
            "simulate",
            "--port",
            "0",
            "--state-dir",
            dir.path().to_str().unwrap(),
        ])
        .args(extra)
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    // The banner ends with "Ctrl-C stops it." once the simulator listens.
    let mut banner = String::new();
    let mut out = BufReader::new(child.stdout.take().unwrap());
    while !banner.contains("Ctrl-C stops it.") {
        let mut line = String::new();
        assert!(
            out.read_line(&mut line).unwrap() > 0,
            "simulate ended early: {banner}"
        );
        banner.push_str(&line);
    }
    let creds = std::fs::read_to_string(dir.path().join("credentials.env")).unwrap();
    let env = creds
        .lines()
        .filter_map(|l| l.split_once('='))
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect::<Vec<_>>();
    // The banner names the base URL and never the full token.
    let token = &env.iter().find(|(k, _)| k == "CDM_ACCESS_TOKEN").unwrap().1;
    assert!(
        !banner.contains(token.as_str()),
        "banner shows the full token"
    );
    let base = &env.iter().find(|(k, _)| k == "CDM_BASE_URL").unwrap().1;
    assert!(
        banner.contains(base.as_str()) && base.starts_with("http://127.0.0.1:"),
        "{banner}"
    );
    SimProcess {
        _child: crate::common::ChildGuard(child),
        banner,
        env,
        _dir: dir,
    }
}

fn server_against(sim: &SimProcess, args: &[&str]) -> crate::cli::Run {
    let env: Vec<(&str, &str)> = sim
        .env
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let mut all = vec!["server"];
    all.extend_from_slice(args);
    run(&all, &env)
}

#[test]
fn no_flags_runs_against_the_built_in_simulator_and_passes() {
    let dir = tempfile::tempdir().unwrap();
    let json = dir.path().join("report.json");
    let junit = dir.path().join("report.xml");
    let html = dir.path().join("report.html");
    let r = run(
        &[
            "server",
            "--report-json",
            json.to_str().unwrap(),
            "--junit",
            junit.to_str().unwrap(),
            "--report-html",
            html.to_str().unwrap(),
        ],
        &[],
    );
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    assert!(r.stdout.contains("server PASS"), "{}", r.stdout);
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    assert_eq!(report["mode"], "server");
    assert_eq!(report["verdict"], "pass");
    assert_eq!(report["summary"]["failed"], 0);
    for case in report["cases"].as_array().unwrap() {
        for field in ["id", "spec_ref", "verdict", "message", "duration_ms"] {
            assert!(!case[field].is_null(), "case lacks {field}: {case}");
        }
    }
    let token = cdm_conformance::Credentials::test_defaults().access_token;
    let key_line = std::fs::read_to_string(crate::common::testkey("partner-private.pem")).unwrap();
    let key_line = key_line.lines().nth(1).unwrap();
    for path in [&json, &junit, &html] {
        let text = std::fs::read_to_string(path).unwrap();
        assert!(
            !text.contains(&token),
            "{} carries the access token",
            path.display()
        );
        assert!(
            !text.contains(key_line),
            "{} carries the private key",
            path.display()
        );
    }
    assert!(
        std::fs::read_to_string(&junit)
            .unwrap()
            .contains("<testcase name=\"header.x_timestamp.utc_z\"")
    );
    assert!(
        std::fs::read_to_string(&html)
            .unwrap()
            .contains("header.x_timestamp.utc_z")
    );
}

#[test]
fn a_faithful_simulator_process_passes() {
    let sim = simulate(&[]);
    let r = server_against(&sim, &[]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
}

#[test]
fn a_simulator_process_of_another_endpoint_and_the_suite_agree() {
    let spec = crate::common::fixture("sibling-api").display().to_string();
    let sim = simulate(&["--spec", &spec]);
    assert!(
        sim.banner.contains("Create Payment Link (test fixture)"),
        "{}",
        sim.banner
    );
    assert!(sim.banner.contains("storeId"), "{}", sim.banner);
    let r = server_against(&sim, &["--spec", &spec]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    // credentials.env carries CDM_SPEC: sourcing it runs the sibling's suite.
    assert!(
        sim.env.iter().any(|(k, _)| k == "CDM_SPEC"),
        "{:?}",
        sim.env
    );
    let r = server_against(&sim, &["-v", "--cases", "amount"]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    assert!(
        r.stdout.contains("PASS  body.amount.value.missing"),
        "{}",
        r.stdout
    );
}

#[test]
fn a_deviating_simulator_process_fails_naming_the_header() {
    let sim = simulate(&["--quirk", "lax-timestamp"]);
    let r = server_against(&sim, &[]);
    assert_eq!(r.code, 1, "{}{}", r.stdout, r.stderr);
    let line = r
        .stdout
        .lines()
        .find(|l| l.starts_with("FAIL  header.x_timestamp.fraction"))
        .expect("the fraction case fails");
    assert!(line.contains("X-TIMESTAMP"), "{line}");
}

#[test]
fn cases_filter_runs_a_subset() {
    let r = run(&["server", "--cases", "x_partner_id"], &[]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stdout.contains(": 3 cases against"), "{}", r.stdout);
    let none = run(&["server", "--cases", "no-such-case"], &[]);
    assert_eq!(none.code, 2);
    assert!(
        none.stderr
            .starts_with("error: --cases \"no-such-case\" matches no case"),
        "{}",
        none.stderr
    );
}

#[test]
fn an_unreachable_target_is_one_line_and_exit_2() {
    // A port nothing listens on: bind one, then free it.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let key = crate::common::testkey("partner-private.pem");
    let r = run(
        &[
            "server",
            "--base-url",
            &format!("http://127.0.0.1:{port}"),
            "--partner-id",
            "p",
            "--client-key",
            "c",
            "--access-token",
            "secret-token-value",
            "--merchant-id",
            "m",
            "--private-key",
            key.to_str().unwrap(),
        ],
        &[],
    );
    assert_eq!(r.code, 2, "{}{}", r.stdout, r.stderr);
    assert_eq!(r.stderr.lines().count(), 1, "{}", r.stderr);
    assert!(
        r.stderr
            .starts_with(&format!("error: cannot reach http://127.0.0.1:{port}: "))
            && r.stderr.contains("check the address in --base-url"),
        "{}",
        r.stderr
    );
    assert!(!r.stderr.contains("secret-token-value"));
}

#[test]
fn a_real_endpoint_needs_every_credential() {
    let r = run(
        &[
            "server",
            "--base-url",
            "http://127.0.0.1:9",
            "--partner-id",
            "p",
        ],
        &[],
    );
    assert_eq!(r.code, 2);
    assert_eq!(
        r.stderr,
        "error: --base-url needs --client-key, --access-token, --merchant-id, --private-key (or their CDM_* variables)\n"
    );
}

#[test]
fn a_malformed_base_url_is_refused() {
    let r = run(&["server", "--base-url", "ftp://example"], &[]);
    assert_eq!(r.code, 2);
    assert_eq!(
        r.stderr,
        "error: --base-url: \"ftp://example\" must be an http:// or https:// URL\n"
    );
}

#[test]
fn a_real_endpoint_is_paced_and_gets_fresh_prefixed_references() {
    let sim = simulate(&[]);
    let dir = tempfile::tempdir().unwrap();
    let json = dir.path().join("r.json");
    // 7 cases, one request each, evenly spaced at 5 per second: the run cannot
    // take less than 6 × 200 ms, however fast the machine (a lower bound only).
    let r = server_against(
        &sim,
        &[
            "--cases",
            "x_timestamp",
            "--rate",
            "5",
            "--report-json",
            json.to_str().unwrap(),
        ],
    );
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    assert!(
        report["duration_ms"].as_u64().unwrap() >= 1_200,
        "not paced: {}",
        report["duration_ms"]
    );
    let mut references = std::collections::BTreeSet::new();
    for case in report["cases"].as_array().unwrap() {
        for e in case["exchanges"].as_array().unwrap() {
            let body: serde_json::Value =
                serde_json::from_str(e["request_body"].as_str().unwrap()).unwrap();
            let reference = body["partnerReferenceNo"].as_str().unwrap().to_owned();
            assert!(reference.starts_with("CDMCONF-"), "{reference}");
            assert!(
                references.insert(reference.clone()),
                "{reference} used twice"
            );
        }
    }
    assert_eq!(references.len(), 7);
}

#[test]
fn list_prints_every_case_id_and_its_row_and_runs_nothing() {
    let r = run(
        &["server", "--list", "--base-url", "http://127.0.0.1:9"],
        &[],
    );
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    let lines: Vec<&str> = r.stdout.lines().collect();
    assert!(lines.len() >= 55, "{}", r.stdout);
    assert!(
        lines.contains(&"header.x_timestamp.utc_z\trequest header row 3 (X-TIMESTAMP)"),
        "{}",
        r.stdout
    );
    let subset = run(&["server", "--list", "--cases", "x_timestamp"], &[]);
    assert!(
        subset.stdout.lines().all(|l| l.contains("x_timestamp")),
        "{}",
        subset.stdout
    );
    let client = run(&["client", "--list"], &[]);
    assert_eq!(client.code, 0);
    assert!(
        client
            .stdout
            .contains("code.4039015\tresponse code row 10 (4039015)"),
        "{}",
        client.stdout
    );
}

#[test]
fn known_deviations_pass_listed_failures_and_fail_stale_entries() {
    let sim = simulate(&["--quirk", "lax-timestamp"]);
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("known.toml");
    let write = |text: &str| std::fs::write(&file, text).unwrap();
    let path = file.to_str().unwrap().to_owned();
    // Every failure of the quirk listed: the run passes, each shown as known.
    write(
        "[[known]]\ncase = \"header.x_timestamp.*\"\nreason = \"staging takes any timestamp until 4.2\"\nticket = \"PAY-1\"\n",
    );
    // A wildcard: its failing cases are known, its passing ones just pass.
    let r = server_against(
        &sim,
        &["--expect-failures", &path, "--cases", "x_timestamp"],
    );
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    assert!(
        r.stdout.contains("KNOWN  header.x_timestamp.fraction"),
        "{}",
        r.stdout
    );
    assert!(!r.stdout.contains("STALE"), "{}", r.stdout);
    // A listed case that passes: the entry is stale, the run fails.
    write(
        "[[known]]\ncase = \"header.x_timestamp.missing\"\nreason = \"r\"\n\n[[known]]\ncase = \"header.x_timestamp.*\"\nreason = \"r\"\n",
    );
    let r = server_against(
        &sim,
        &["--expect-failures", &path, "--cases", "x_timestamp"],
    );
    assert_eq!(r.code, 1, "{}{}", r.stdout, r.stderr);
    assert!(
        r.stdout.contains("STALE  header.x_timestamp.missing"),
        "{}",
        r.stdout
    );
    assert!(
        r.stdout.contains("KNOWN  header.x_timestamp.utc_z"),
        "{}",
        r.stdout
    );
    // An unlisted failure still fails.
    write("[[known]]\ncase = \"header.x_timestamp.utc_z\"\nreason = \"r\"\n");
    let r = server_against(
        &sim,
        &["--expect-failures", &path, "--cases", "x_timestamp"],
    );
    assert_eq!(r.code, 1, "{}{}", r.stdout, r.stderr);
    assert!(
        r.stdout.contains("FAIL  header.x_timestamp.fraction"),
        "{}",
        r.stdout
    );
    // An entry naming no case is a mistake in the file.
    write("[[known]]\ncase = \"header.x_timestmp.utc_z\"\nreason = \"r\"\n");
    let r = server_against(
        &sim,
        &["--expect-failures", &path, "--cases", "x_timestamp"],
    );
    assert_eq!(r.code, 2, "{}{}", r.stdout, r.stderr);
    assert!(
        r.stderr.contains("names no case of the suite"),
        "{}",
        r.stderr
    );
    assert!(r.stdout.is_empty(), "refused before the run: {}", r.stdout);
}

#[test]
fn diff_names_new_failures_and_fixes() {
    let dir = tempfile::tempdir().unwrap();
    let old = dir.path().join("old.json");
    let new = dir.path().join("new.json");
    let good = run(
        &[
            "server",
            "--cases",
            "x_timestamp",
            "--report-json",
            old.to_str().unwrap(),
        ],
        &[],
    );
    assert_eq!(good.code, 0, "{}", good.stderr);
    let sim = simulate(&["--quirk", "lax-timestamp"]);
    let bad = server_against(
        &sim,
        &[
            "--cases",
            "x_timestamp",
            "--report-json",
            new.to_str().unwrap(),
        ],
    );
    assert_eq!(bad.code, 1);
    let d = run(&["diff", old.to_str().unwrap(), new.to_str().unwrap()], &[]);
    assert_eq!(d.code, 1, "{}{}", d.stdout, d.stderr);
    assert!(
        d.stdout
            .contains("FAIL     header.x_timestamp.fraction (was pass)"),
        "{}",
        d.stdout
    );
    let back = run(&["diff", new.to_str().unwrap(), old.to_str().unwrap()], &[]);
    assert_eq!(back.code, 0, "{}{}", back.stdout, back.stderr);
    assert!(
        back.stdout
            .contains("fixed    header.x_timestamp.fraction (now pass)"),
        "{}",
        back.stdout
    );
    let broken = run(&["diff", "no/such.json", new.to_str().unwrap()], &[]);
    assert_eq!(broken.code, 2);
}
