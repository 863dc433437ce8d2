//! `client`, run as a vendor runs it: the reference client, the Python
//! example adapter, and adapters that misbehave.

use crate::cli::run;

fn report_of(dir: &tempfile::TempDir) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(dir.path().join("r.json")).unwrap()).unwrap()
}

#[test]
fn the_reference_client_passes_every_code_row_and_a_subset_reads_partial_everywhere() {
    let dir = tempfile::tempdir().unwrap();
    let artifact = dir.path().join("client.jar");
    std::fs::write(&artifact, b"the client's bytes").unwrap();
    let path = |name: &str| dir.path().join(name).display().to_string();
    let (json, junit, html, md) = (path("r.json"), path("r.xml"), path("r.html"), path("r.md"));
    let r = run(
        &[
            "client",
            "--cases",
            "code.2,code.4,code.5",
            "--client-name",
            "acme-pay",
            "--client-version",
            "4.2.0",
            "--artifact",
            artifact.to_str().unwrap(),
            "--report-json",
            &json,
            "--junit",
            &junit,
            "--report-html",
            &html,
            "--report-md",
            &md,
        ],
        &[],
    );
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    assert!(
        r.stdout.contains(
            "client PARTIAL (TRIAL: a built-in test key): 14 cases against the reference client"
        ),
        "{}",
        r.stdout
    );
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    assert_eq!(report["certification"], "partial");
    assert_eq!(report["complete"], false);
    assert_eq!(report["client"]["name"], "acme-pay");
    assert_eq!(report["client"]["version"], "4.2.0");
    let digest = report["client"]["artifacts"][0]["sha256"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(digest.len(), 64);
    let commit = report["harness"]["commit"].as_str().unwrap().to_owned();
    let sha = commit.trim_end_matches("-dirty");
    assert!(
        commit == "unknown" || (sha.len() == 40 && sha.bytes().all(|b| b.is_ascii_hexdigit())),
        "{commit}"
    );
    assert_eq!(report["specs_digest"].as_str().map(str::len), Some(64));
    // Every format carries the identity and the headline.
    for (name, file) in [("junit", &junit), ("html", &html), ("markdown", &md)] {
        let text = std::fs::read_to_string(file).unwrap();
        for needle in [
            "PARTIAL",
            "acme-pay",
            "4.2.0",
            digest.as_str(),
            commit.as_str(),
            env!("CARGO_PKG_VERSION"),
        ] {
            assert!(text.contains(needle), "{name} lacks {needle}");
        }
        if name == "html" {
            assert!(
                text.contains("client report: <span class=\"warn\">PARTIAL"),
                "{name}"
            );
        }
    }
    assert!(r.stdout.contains("acme-pay 4.2.0"), "{}", r.stdout);
    let missing = run(
        &["client", "--artifact", "no/such/file", "--cases", "code.2"],
        &[],
    );
    assert_eq!(missing.code, 2, "{}", missing.stderr);
}

#[test]
fn the_node_example_adapter_is_certified_and_its_flaw_named() {
    if !crate::common::required_under_ci("node") {
        return;
    }
    let r = run(&["client", "--cmd", "node examples/node/adapter.js"], &[]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    assert!(r.stdout.contains("30 passed, 0 failed"), "{}", r.stdout);
    let r = run(
        &[
            "client",
            "--cmd",
            "node examples/node/adapter.js",
            "--cases",
            "code.2009000",
        ],
        &[("CDM_ADAPTER_FLAW", "utc-timestamp")],
    );
    assert_eq!(r.code, 1, "{}{}", r.stdout, r.stderr);
    assert!(
        r.stdout.contains("FAIL  code.2009000  x_timestamp:"),
        "{}",
        r.stdout
    );
}

#[test]
fn the_python_example_adapter_is_certified() {
    let dir = tempfile::tempdir().unwrap();
    let json = dir.path().join("r.json");
    let r = run(
        &[
            "client",
            "--cmd",
            "python3 examples/python/adapter.py",
            "--report-json",
            json.to_str().unwrap(),
            "--report-html",
            dir.path().join("r.html").to_str().unwrap(),
        ],
        &[],
    );
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    // ...and beside its case in the HTML report.
    let html = std::fs::read_to_string(dir.path().join("r.html")).unwrap();
    assert!(
        html.contains("[code.4009001] attempt 1 failed 4009001"),
        "no stderr in the HTML"
    );
    let report = report_of(&dir);
    assert_eq!(report["mode"], "client");
    assert_eq!(report["summary"]["passed"], 30);
    // Every case passed, with the built-in test key: a trial, not a certificate.
    assert_eq!(report["certification"], "trial");
    assert_eq!(report["complete"], true);
    assert!(r.stdout.contains("client TRIAL: 30 cases"), "{}", r.stdout);
    // The adapter's standard error is in the report.
    let case = report["cases"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == "code.4009001")
        .unwrap();
    assert!(
        case["client"]["stderr"]
            .as_str()
            .unwrap()
            .contains("[code.4009001] attempt 1 failed 4009001"),
        "{case}"
    );
    // Anyone with the partner's public key can judge the report again...
    let key = "src/testkeys/partner-public.pem";
    let again = run(
        &["rejudge", json.to_str().unwrap(), "--public-key", key],
        &[],
    );
    assert_eq!(again.code, 0, "{}{}", again.stdout, again.stderr);
    assert!(
        again.stdout.contains(
            "rejudged 30 case(s) of a report whose headline reads TRIAL: every verdict follows"
        ),
        "{}",
        again.stdout
    );
    // ...and a verdict changed by hand is named.
    let text = std::fs::read_to_string(&json).unwrap();
    let edited = text.replacen("\"verdict\": \"pass\"", "\"verdict\": \"fail\"", 2);
    std::fs::write(&json, edited).unwrap();
    let again = run(
        &["rejudge", json.to_str().unwrap(), "--public-key", key],
        &[],
    );
    assert_eq!(again.code, 1, "{}{}", again.stdout, again.stderr);
    assert!(
        again.stdout.contains("UNSUPPORTED code.") && again.stdout.contains("the report says fail"),
        "{}",
        again.stdout
    );
}

#[test]
fn an_adapter_breaking_one_rule_is_refused_naming_it() {
    let r = run(
        &[
            "client",
            "--cmd",
            "python3 examples/python/adapter.py",
            "--cases",
            "code.2009000",
        ],
        &[("CDM_ADAPTER_FLAW", "utc-timestamp")],
    );
    assert_eq!(r.code, 1, "{}{}", r.stdout, r.stderr);
    let line = r
        .stdout
        .lines()
        .find(|l| l.starts_with("FAIL  code.2009000"))
        .expect("the case fails");
    assert!(
        line.contains(
            "x_timestamp: expected X-TIMESTAMP of the form YYYY-MM-DDTHH:mm:ss+07:00, got in request 1, timestamp"
        ),
        "{line}"
    );
    assert!(
        line.contains("must end in +07:00 (request header row 3 (X-TIMESTAMP))"),
        "{line}"
    );
}

#[test]
fn a_hanging_adapter_is_stopped_at_its_deadline_with_its_whole_group() {
    // A background child: the whole process group must go, not only the shell.
    let dir = tempfile::tempdir().unwrap();
    let pidfile = dir.path().join("pid");
    let cmd = format!("sleep 600 & echo $! > {}; sleep 600", pidfile.display());
    let r = crate::cli::run_within(
        &[
            "client",
            "--cmd",
            &cmd,
            "--deadline",
            "2",
            "--cases",
            "code.4009000",
        ],
        &[],
        std::time::Duration::from_secs(60),
    );
    assert_eq!(r.code, 1, "{}{}", r.stdout, r.stderr);
    assert!(
        r.stdout.contains("the client did not finish within 2 s"),
        "{}",
        r.stdout
    );
    let pid = std::fs::read_to_string(&pidfile).unwrap().trim().to_owned();
    // Gone, or a zombie waiting for an init that does not reap: not running.
    let state = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    let running = state
        .lines()
        .any(|l| l.starts_with("State:") && !l.contains("Z (zombie)"));
    assert!(
        !running,
        "the background child {pid} outlived the case: {state}"
    );
}

#[test]
fn an_adapter_that_exits_leaves_no_background_process_and_is_judged() {
    // It answers in time, but leaves a child holding its output open.
    let r = crate::cli::run_within(
        &[
            "client",
            "--cmd",
            "sleep 600 & python3 examples/python/adapter.py",
            "--deadline",
            "20",
            "--cases",
            "code.4009001",
        ],
        &[],
        std::time::Duration::from_secs(60),
    );
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
}

#[test]
fn what_the_contract_allows_is_certified() {
    // Content-Type with a charset, extra headers, no retry and a null code after 5xx.
    let r = run(
        &[
            "client",
            "--cmd",
            "python3 tests/fixtures/adapters/variant.py",
            "--cases",
            "code.",
        ],
        &[],
    );
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
}

#[test]
fn a_private_key_an_adapter_logs_never_reaches_the_report() {
    let dir = tempfile::tempdir().unwrap();
    let json = dir.path().join("r.json");
    let cmd = "cat src/testkeys/partner-private.pem >&2; python3 examples/python/adapter.py";
    let r = run(
        &[
            "client",
            "--cmd",
            cmd,
            "--cases",
            "code.4009000",
            "--report-json",
            json.to_str().unwrap(),
        ],
        &[],
    );
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    let text = std::fs::read_to_string(&json).unwrap();
    let key = std::fs::read_to_string(crate::common::testkey("partner-private.pem")).unwrap();
    for line in key.lines().filter(|l| !l.starts_with("-----")) {
        assert!(!text.contains(line), "the report carries key material");
    }
    assert!(text.contains("[private key redacted]"));
}

#[test]
fn a_flooding_adapter_is_stopped_at_the_cap() {
    let flood = "python3 -c \"import os,urllib.request\nfor i in range(500):\n  try: urllib.request.urlopen(urllib.request.Request(os.environ['CDM_BASE_URL']+'/v2.0/cdm/cdm-mpm-generate', data=b'{}', method='POST'))\n  except Exception: pass\"";
    let r = crate::cli::run_within(
        &["client", "--cmd", flood, "--cases", "code.4009000"],
        &[],
        std::time::Duration::from_secs(60),
    );
    assert_eq!(r.code, 1, "{}{}", r.stdout, r.stderr);
    // How many got through before the stop depends on the client's speed;
    // that it was stopped, and why, does not.
    assert!(
        r.stdout.contains("the client was stopped after "),
        "{}",
        r.stdout
    );
    assert!(
        r.stdout.contains(" requests (the cap per case is 12)"),
        "{}",
        r.stdout
    );
}

#[rstest::rstest]
#[case::crashes("kill -SEGV $$", "standard output is empty (killed by signal 11)")]
#[case::not_found(
    "no-such-adapter-command",
    "standard output is empty (exit 127; stderr: "
)]
#[case::prints_garbage(
    "echo hello; echo '{not json'",
    "the last line of standard output is not JSON"
)]
#[case::prints_another_object(
    "echo '{\"result\":\"ok\"}'",
    "\"outcome\" must be \"success\" or \"failed\""
)]
#[case::never_calls(
    "echo '{\"outcome\":\"failed\",\"responseCode\":null}'",
    "no request at all"
)]
fn a_misbehaving_adapter_gets_a_clear_verdict(#[case] cmd: &str, #[case] says: &str) {
    let dir = tempfile::tempdir().unwrap();
    let json = dir.path().join("r.json");
    let r = crate::cli::run_within(
        &[
            "client",
            "--cmd",
            cmd,
            "--cases",
            "code.4009000",
            "--report-json",
            json.to_str().unwrap(),
        ],
        &[],
        std::time::Duration::from_secs(60),
    );
    assert_eq!(r.code, 1, "{}{}", r.stdout, r.stderr);
    let line = r
        .stdout
        .lines()
        .find(|l| l.starts_with("FAIL  code.4009000"))
        .expect("the case fails");
    assert!(line.contains(says), "{line}");
    let exit = report_of(&dir)["cases"][0]["client"]["exit"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(
        exit.starts_with("exit ") || exit.starts_with("killed by signal"),
        "{exit}"
    );
}

#[test]
fn requests_to_a_wrong_path_are_reported() {
    let wrong = "python3 -c \"import os,urllib.request\ntry: urllib.request.urlopen(urllib.request.Request(os.environ['CDM_BASE_URL']+'/v2.0/cdm/generate', data=os.environ['CDM_REQUEST'].encode(), method='POST'))\nexcept Exception: pass\nprint('{\"outcome\":\"failed\",\"responseCode\":\"4009000\"}')\"";
    let r = run(&["client", "--cmd", wrong, "--cases", "code.4009000"], &[]);
    assert_eq!(r.code, 1, "{}{}", r.stdout, r.stderr);
    assert!(r.stdout.contains("method_and_path: expected POST $CDM_BASE_URL/v2.0/cdm/cdm-mpm-generate, got in request 1, POST /case/code.4009000/v2.0/cdm/generate"), "{}", r.stdout);
}

#[test]
fn jobs_bounds_the_adapters_running_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("log");
    let cmd = format!(
        "echo start >> {0}; sleep 0.4; echo end >> {0}; echo '{{\"outcome\":\"failed\",\"responseCode\":null}}'",
        log.display()
    );
    let r = run(
        &["client", "--cmd", &cmd, "--cases", "code.4", "--jobs", "2"],
        &[],
    );
    assert_eq!(r.code, 1, "{}{}", r.stdout, r.stderr);
    let text = std::fs::read_to_string(&log).unwrap();
    let (mut now, mut most) = (0i32, 0i32);
    for line in text.lines() {
        now += if line == "start" { 1 } else { -1 };
        most = most.max(now);
    }
    assert_eq!(text.lines().filter(|l| *l == "start").count(), 11, "{text}");
    assert_eq!(most, 2, "at most 2 at once, and 2 used: {text}");
}
