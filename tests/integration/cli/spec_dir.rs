//! `--spec DIR` on every command: another SNAP endpoint is a directory of
//! data. A directory that cannot work is refused before anything runs, in
//! one line naming the file and the entry.

use crate::cli::run;
use crate::common::fixture;

fn sibling() -> String {
    fixture("sibling-api").display().to_string()
}

#[test]
fn the_server_suite_runs_on_another_endpoint() {
    let out = run(&["--spec", &sibling(), "server", "-v"], &[]);
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
    assert!(
        out.stdout.contains("PASS  body.amount.value.missing"),
        "{}",
        out.stdout
    );
    assert!(out.stdout.contains("2004700"), "{}", out.stdout);
    assert!(!out.stdout.contains("merchantId"), "{}", out.stdout);
}

#[test]
fn certification_runs_on_another_endpoint() {
    let out = run(
        &[
            "client",
            "--spec",
            &sibling(),
            "--cases",
            "code.2004700,code.4044708",
        ],
        &[],
    );
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
    assert!(out.stdout.contains("2 passed"), "{}", out.stdout);
}

#[test]
fn a_missing_directory_is_one_line_and_exit_2() {
    let out = run(&["--spec", "/nonexistent/specs", "server"], &[]);
    assert_eq!(out.code, 2);
    assert_eq!(out.stderr.lines().count(), 1, "{}", out.stderr);
    assert!(
        out.stderr
            .starts_with("error: --spec: cannot read /nonexistent/specs/api.toml"),
        "{}",
        out.stderr
    );
}

#[test]
fn a_fault_that_cannot_be_applied_is_refused_before_any_case_runs() {
    let dir = tempfile::tempdir().unwrap();
    for name in ["api.toml", "interpretations.toml", "errata.toml"] {
        let mut text = std::fs::read_to_string(fixture("sibling-api").join(name)).unwrap();
        if name == "interpretations.toml" {
            text = text.replacen(
                "\"header.X-PARTNER-ID.unknown\"",
                "\"header.X-PARTNER-ID.empty\"",
                1,
            );
        }
        std::fs::write(dir.path().join(name), text).unwrap();
    }
    let out = run(
        &["server", "--spec", &dir.path().display().to_string()],
        &[],
    );
    assert_eq!(out.code, 2, "{}{}", out.stdout, out.stderr);
    assert_eq!(out.stderr.lines().count(), 1, "{}", out.stderr);
    assert!(
        out.stderr.contains(
            "interpretations.toml: expectation \"X-PARTNER-ID unknown or over 40\": fault header.X-PARTNER-ID.empty cannot be applied"
        ),
        "{}",
        out.stderr
    );
    assert!(out.stdout.is_empty(), "no case ran: {}", out.stdout);
}
