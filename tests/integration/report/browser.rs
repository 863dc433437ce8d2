//! The HTML report, opened in headless Chromium: it renders every case, with
//! no script and no console error; a server answering markup in every field
//! it controls runs no script in it, and the page's Content-Security-Policy
//! stops a script even where escaping would have failed. Under CI a missing
//! browser fails the test (`.ci/run` installs Debian's chromium); elsewhere
//! the test says it skipped.

use std::process::Command;

use cdm_conformance::runner::{RunOptions, Target, run_suite};
use cdm_conformance::simulator::test_signing_key;
use wiremock::{Mock, MockServer, ResponseTemplate, matchers::any};

use crate::report::peer_text::CSP;
use crate::report::sample_report;

/// What a hostile peer answers in every field: a script, and an image whose
/// error handler is a script. Either, run, renames the page.
const PAYLOAD: &str =
    r#"<script>document.title='PWNED'</script><img src=x onerror="document.title='PWNED'">"#;

fn chromium() -> Option<&'static str> {
    let found = ["chromium", "chromium-browser", "google-chrome"]
        .into_iter()
        .find(|b| {
            Command::new(b)
                .arg("--version")
                .output()
                .is_ok_and(|o| o.status.success())
        });
    if found.is_none() {
        assert!(
            std::env::var_os("CI").is_none(),
            "chromium is required under CI (.ci/run installs it)"
        );
        eprintln!("skipped: no chromium on this machine");
    }
    found
}

/// The page as Chromium leaves it once loaded (`--dump-dom`), and its log.
fn open(browser: &str, html: &str) -> (String, String) {
    let dir = tempfile::tempdir().unwrap();
    let page = dir.path().join("report.html");
    std::fs::write(&page, html).unwrap();
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
    let log = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(out.status.success(), "chromium failed: {log}");
    (String::from_utf8_lossy(&out.stdout).into_owned(), log)
}

/// The loaded page's title.
fn title(dom: &str) -> &str {
    let start = dom.find("<title>").expect("a title") + "<title>".len();
    let end = dom[start..].find("</title>").expect("a closed title");
    &dom[start..start + end]
}

#[test]
fn the_html_report_renders_in_chromium() {
    let Some(browser) = chromium() else { return };
    let (dom, log) = open(browser, &sample_report().to_html());
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

/// A server answering [`PAYLOAD`] in every field it controls: each text
/// field of the success body, the `X-TIMESTAMP` header and another header.
async fn hostile_server() -> MockServer {
    let server = MockServer::start().await;
    let body = serde_json::json!({
        "responseCode": "2009000",
        "responseMessage": PAYLOAD,
        "cdmReferenceId": PAYLOAD,
        "cdmQrcode": PAYLOAD,
        "status": PAYLOAD,
        "additionalInfo": { "note": PAYLOAD },
    });
    Mock::given(any())
        .respond_with(
            ResponseTemplate::new(200)
                .insert_header("X-TIMESTAMP", PAYLOAD)
                .insert_header("X-Note", PAYLOAD)
                .set_body_raw(body.to_string(), "application/json"),
        )
        .mount(&server)
        .await;
    server
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_servers_markup_runs_no_script_in_the_report() {
    let server = hostile_server().await;
    let target = Target {
        contract: cdm_conformance::Contract::embedded(),
        base_url: server.uri(),
        credentials: cdm_conformance::Credentials::test_defaults(),
        key: test_signing_key(),
        simulated: false,
    };
    let options = RunOptions {
        preflight: false,
        ..RunOptions::local(&cdm_conformance::Contract::embedded())
    };
    let report = run_suite(&target, &options).await.expect("the run is made");
    // The payload reached the findings, not only the recorded bodies.
    assert!(
        report
            .cases
            .iter()
            .flat_map(|c| &c.checks)
            .any(|f| f.actual.contains("<script>")),
        "the findings quote the server's markup"
    );
    let markdown = report.to_markdown();
    for raw in ["<script", "<img"] {
        assert!(!markdown.contains(raw), "a raw {raw} in the markdown");
    }
    assert!(
        markdown.contains("&lt;script&gt;"),
        "the markdown shows the markup as text"
    );
    let html = report.to_html();
    let Some(browser) = chromium() else { return };
    let (dom, log) = open(browser, &html);
    assert_eq!(
        title(&dom),
        title(&html),
        "a script renamed the page: {log}"
    );
    for element in ["<script", "<img"] {
        assert!(!dom.contains(element), "a {element} element in the page");
    }
    assert!(
        dom.contains("&lt;script&gt;document.title='PWNED'&lt;/script&gt;"),
        "the markup is shown as text"
    );
}

/// The second wall: the same payload spliced into the page unescaped, as a
/// renderer's bug would leave it, renames a page without the policy (the
/// probe works) and not the report (the policy holds).
#[test]
fn the_content_security_policy_stops_what_escaping_would_miss() {
    let Some(browser) = chromium() else { return };
    let html = sample_report().to_html();
    let spliced = html.replacen("<body>", &format!("<body>{PAYLOAD}"), 1);
    assert_ne!(spliced, html, "the payload is in the page");
    assert!(html.contains(CSP), "the page carries the policy");
    let (dom, log) = open(browser, &spliced);
    assert_ne!(title(&dom), "PWNED", "a script ran despite the policy");
    assert!(
        log.contains("Content Security Policy"),
        "chromium reports the refusal: {log}"
    );
    let without: String = spliced
        .lines()
        .filter(|l| !l.contains(CSP))
        .collect::<Vec<_>>()
        .join("\n");
    let (dom, _) = open(browser, &without);
    assert_eq!(title(&dom), "PWNED", "without the policy the probe runs");
}
