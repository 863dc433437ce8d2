//! The suite against a staging stand-in written from the API text alone
//! (`tests/fixtures/servers/staging.py`, Python's standard library and the
//! openssl command line; independent of the project's simulator), as QA
//! would run it: faithful, slow-paced against a strict clock, hostile to
//! keep-alive, with header names checked as printed, over a self-signed TLS
//! certificate, and with every setup mistake an operator makes.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::cli::{Run, run_within};
use crate::common::{fixture, testkey};

/// A staging stand-in process, killed when dropped.
pub struct Staging {
    _child: crate::common::ChildGuard,
    /// Its base URL.
    pub base_url: String,
    _dir: tempfile::TempDir,
}

/// Starts the stand-in with these flags.
pub fn staging(extra: &[&str]) -> Staging {
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("state.json");
    let mut child = Command::new("python3")
        .arg(fixture("servers/staging.py"))
        .args(["--port", "0", "--state-file", state.to_str().unwrap()])
        .args(extra)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("python3 runs (.ci/run installs it)");
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let state: serde_json::Value = serde_json::from_str(line.trim())
        .unwrap_or_else(|e| panic!("staging.py said {line:?}: {e}"));
    Staging {
        _child: crate::common::ChildGuard(child),
        base_url: state["base_url"].as_str().unwrap().to_owned(),
        _dir: dir,
    }
}

/// `server` against the stand-in with the test credentials it accepts by
/// default; a flag in `extra` replaces the default one.
fn server(staging: &Staging, extra: &[&str]) -> (Run, Duration) {
    let key = testkey("partner-private.pem");
    let creds = cdm_conformance::Credentials::test_defaults();
    let defaults = [
        ("--base-url", staging.base_url.clone()),
        ("--partner-id", creds.partner_id),
        ("--client-key", creds.client_key),
        ("--access-token", creds.access_token),
        ("--merchant-id", creds.merchant_id),
        ("--private-key", key.display().to_string()),
    ];
    let mut args: Vec<String> = vec!["server".into()];
    for (flag, value) in defaults {
        if !extra.contains(&flag) {
            args.extend([flag.to_owned(), value]);
        }
    }
    args.extend(extra.iter().map(|a| (*a).to_owned()));
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let started = Instant::now();
    let r = run_within(&args, &[], Duration::from_secs(300));
    (r, started.elapsed())
}

fn not_passing(r: &Run) -> Vec<&str> {
    r.stdout
        .lines()
        .filter(|l| l.starts_with("FAIL") || l.starts_with("WARN"))
        .collect()
}

#[test]
fn a_faithful_staging_server_passes_the_whole_suite() {
    let s = staging(&[]);
    let (r, _) = server(&s, &[]);
    assert_eq!(r.code, 0, "{:#?}\n{}", not_passing(&r), r.stderr);
}

#[test]
fn a_slow_run_against_a_strict_clock_passes_every_request_signed_on_the_wire() {
    // 20 s of clock skew allowed; about 30 requests at one per second: a
    // request signed when the run started would be refused after 20 s.
    let s = staging(&["--skew", "20"]);
    let (r, took) = server(
        &s,
        &[
            "--rate",
            "1",
            "--concurrency",
            "1",
            "--cases",
            "header.,request.valid",
        ],
    );
    assert_eq!(r.code, 0, "{:#?}\n{}", not_passing(&r), r.stderr);
    assert!(
        took > Duration::from_secs(20),
        "the run took {took:?}: not paced"
    );
}

#[test]
fn a_server_that_leaves_a_get_body_unread_poisons_no_other_case() {
    let s = staging(&["--ignore-get-body"]);
    let (r, _) = server(&s, &[]);
    assert_eq!(r.code, 0, "{:#?}\n{}", not_passing(&r), r.stderr);
}

#[test]
fn header_names_go_out_as_printed_and_lower_case_is_probed() {
    let s = staging(&["--exact-header-case"]);
    let (r, _) = server(&s, &["--cases", "request.valid,lowercase"]);
    // The valid request passes: its names were sent exactly as the API text prints them.
    assert_eq!(r.code, 1, "{}{}", r.stdout, r.stderr);
    assert!(!r.stdout.contains("FAIL  request.valid "), "{}", r.stdout);
    let line = r
        .stdout
        .lines()
        .find(|l| l.starts_with("FAIL  request.lowercase_header_names"))
        .expect("the lower-case probe fails on a case-sensitive server");
    assert!(
        line.contains("the names' case is the only difference"),
        "{line}"
    );
}

fn openssl(args: &[&str]) {
    let ok = Command::new("openssl")
        .args(args)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .expect("openssl runs (.ci/run installs it)");
    assert!(ok.success(), "openssl {args:?}");
}

/// A self-signed certificate for 127.0.0.1 (a CA certificate, as
/// `openssl req -x509` makes by default).
fn self_signed(dir: &Path) -> (PathBuf, PathBuf) {
    let (cert, key) = (dir.join("cert.pem"), dir.join("key.pem"));
    openssl(&[
        "req",
        "-x509",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-days",
        "2",
        "-subj",
        "/CN=staging.test",
        "-addext",
        "subjectAltName=IP:127.0.0.1",
        "-keyout",
        key.to_str().unwrap(),
        "-out",
        cert.to_str().unwrap(),
    ]);
    (cert, key)
}

#[test]
fn a_self_signed_staging_certificate_is_named_then_pinned() {
    let dir = tempfile::tempdir().unwrap();
    let (cert, key) = self_signed(dir.path());
    let s = staging(&[
        "--tls-cert",
        cert.to_str().unwrap(),
        "--tls-key",
        key.to_str().unwrap(),
    ]);
    assert!(s.base_url.starts_with("https://"), "{}", s.base_url);
    // Untrusted: one line, what to try, no case run.
    let (r, _) = server(&s, &[]);
    assert_eq!(r.code, 2, "{}{}", r.stdout, r.stderr);
    assert_eq!(r.stderr.lines().count(), 1, "{}", r.stderr);
    assert!(r.stderr.contains("TLS with"), "{}", r.stderr);
    assert!(r.stderr.contains("--ca-bundle"), "{}", r.stderr);
    // Another self-signed certificate pinned: this server's is still refused.
    let other = tempfile::tempdir().unwrap();
    let (other_cert, _) = self_signed(other.path());
    let (r, _) = server(&s, &["--ca-bundle", other_cert.to_str().unwrap()]);
    assert_eq!(r.code, 2, "{}{}", r.stdout, r.stderr);
    assert!(r.stderr.contains("TLS with"), "{}", r.stderr);
    // The tester trusts this very certificate: pinned, the suite runs.
    let (r, _) = server(
        &s,
        &[
            "--ca-bundle",
            cert.to_str().unwrap(),
            "--cases",
            "request.valid",
        ],
    );
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    // --insecure: runs, and the report says so.
    let json = dir.path().join("r.json");
    let (r, _) = server(
        &s,
        &[
            "--insecure",
            "--cases",
            "request.valid",
            "--report-json",
            json.to_str().unwrap(),
        ],
    );
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    let report = std::fs::read_to_string(&json).unwrap();
    assert!(
        report.contains("INSECURE: any certificate (--insecure)"),
        "{report}"
    );
    assert!(
        r.stdout.contains("INSECURE TLS: any certificate trusted)"),
        "{}",
        r.stdout
    );
}

#[rstest::rstest]
#[case::another_private_key(&["--private-key", "src/testkeys/other-private.pem"], "refused the credentials")]
#[case::another_client_key(&["--client-key", "another-client-key"], "refused the credentials")]
#[case::another_token(&["--access-token", "another-token"], "refused the credentials")]
#[case::another_merchant(&["--merchant-id", "MERCHANT-NOT-AT-STAGING"], "does not know merchant")]
fn a_setup_mistake_is_one_line_naming_it(#[case] wrong: &[&str], #[case] says: &str) {
    let s = staging(&[]);
    let (r, took) = server(&s, wrong);
    assert_eq!(r.code, 2, "{}{}", r.stdout, r.stderr);
    assert_eq!(r.stderr.lines().count(), 1, "{}", r.stderr);
    assert!(r.stderr.contains(says), "{}", r.stderr);
    assert!(!r.stdout.contains("FAIL"), "no case line: {}", r.stdout);
    assert!(took < Duration::from_secs(60), "{took:?}");
}

#[test]
fn a_wrong_base_path_is_named_not_blamed_on_the_server() {
    let s = staging(&["--prefix", "/api"]);
    let without_prefix = s.base_url.trim_end_matches("/api").to_owned();
    let (r, _) = server(&s, &["--base-url", &without_prefix]);
    assert_eq!(r.code, 2, "{}{}", r.stdout, r.stderr);
    assert!(r.stderr.contains("HTTP 404"), "{}", r.stderr);
    assert!(
        r.stderr.contains("check the base URL and its path prefix"),
        "{}",
        r.stderr
    );
    // With the prefix, the same server passes.
    let (r, _) = server(&s, &["--cases", "request.valid"]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
}

#[test]
fn a_dripping_server_ends_the_run_within_a_minute() {
    let s = staging(&["--drip"]);
    let (r, took) = server(&s, &[]);
    assert_eq!(r.code, 2, "{}{}", r.stdout, r.stderr);
    assert!(r.stderr.contains("no complete answer from"), "{}", r.stderr);
    assert!(took < Duration::from_secs(60), "{took:?}");
}

#[test]
fn no_preflight_judges_every_case_even_on_a_setup_mistake() {
    let s = staging(&[]);
    let (r, _) = server(
        &s,
        &[
            "--merchant-id",
            "MERCHANT-NOT-AT-STAGING",
            "--no-preflight",
            "--cases",
            "request.valid",
        ],
    );
    assert_eq!(r.code, 1, "{}{}", r.stdout, r.stderr);
    assert!(r.stdout.contains("FAIL  request.valid"), "{}", r.stdout);
    assert!(r.stdout.contains("4049008"), "{}", r.stdout);
}
