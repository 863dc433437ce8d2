//! The HTML report, opened in headless Chromium: it renders every case, with
//! no script and no console error. Under CI a missing browser fails the test
//! (`.ci/run` installs Debian's chromium); elsewhere the test says it skipped.

use std::process::Command;

use crate::report::sample_report;

fn chromium() -> Option<&'static str> {
    ["chromium", "chromium-browser", "google-chrome"]
        .into_iter()
        .find(|b| {
            Command::new(b)
                .arg("--version")
                .output()
                .is_ok_and(|o| o.status.success())
        })
}

#[test]
fn the_html_report_renders_in_chromium() {
    let Some(browser) = chromium() else {
        assert!(
            std::env::var_os("CI").is_none(),
            "chromium is required under CI (.ci/run installs it)"
        );
        eprintln!("skipped: no chromium on this machine");
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let page = dir.path().join("report.html");
    std::fs::write(&page, sample_report().to_html()).unwrap();
    let profile = dir.path().join("profile");
    let out = Command::new(browser)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--enable-logging=stderr",
            "--v=0",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .arg("--dump-dom")
        .arg(format!("file://{}", page.display()))
        .output()
        .unwrap();
    let dom = String::from_utf8_lossy(&out.stdout);
    let log = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "chromium failed: {log}");
    for id in [
        "request.valid",
        "header.x_timestamp.utc_z",
        "header.x_partner_id.unknown",
        "request.other_path",
    ] {
        assert!(dom.contains(id), "the rendered page lacks {id}");
    }
    assert_eq!(dom.matches("<tr class=\"").count(), 4, "one row per case");
    assert!(dom.contains("1 failed"), "the summary is rendered");
    for bad in ["Uncaught", "CONSOLE(", "SyntaxError", "Refused to load"] {
        assert!(!log.contains(bad), "console error {bad:?}: {log}");
    }
}
