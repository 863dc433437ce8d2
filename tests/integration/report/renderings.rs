//! Every rendering of one fixed report, snapshotted: a change shows in review.

use cdm_conformance::console::{Console, Verbosity};

use crate::report::sample_report;
use crate::snap;

#[test]
fn json_report() {
    snap!("report_json", sample_report().to_json());
}

#[test]
fn junit_report() {
    snap!("report_junit", sample_report().to_junit());
}

#[test]
fn html_report() {
    snap!("report_html", sample_report().to_html());
}

#[test]
fn markdown_report() {
    snap!("report_markdown", sample_report().to_markdown());
}

#[rstest::rstest]
#[case::quiet(Verbosity::Quiet)]
#[case::normal(Verbosity::Normal)]
#[case::verbose(Verbosity::Verbose)]
fn console_summary(#[case] verbosity: Verbosity) {
    let console = Console {
        verbosity,
        color: false,
    };
    snap!(
        format!("console_{verbosity:?}").to_lowercase(),
        console.render(&sample_report())
    );
}

#[test]
fn console_colours_only_when_asked() {
    let report = sample_report();
    let plain = Console {
        verbosity: Verbosity::Normal,
        color: false,
    }
    .render(&report);
    let coloured = Console {
        verbosity: Verbosity::Normal,
        color: true,
    }
    .render(&report);
    assert!(!plain.contains('\u{1b}'));
    assert!(coloured.contains("\u{1b}["));
}

#[test]
fn junit_is_well_formed_with_one_testcase_per_case() {
    let xml = sample_report().to_junit();
    assert_eq!(xml.matches("<testcase ").count(), 4);
    assert_eq!(xml.matches("<failure").count(), 1);
    assert!(xml.contains("tests=\"4\""));
}

#[test]
fn html_escapes_what_servers_send() {
    let html = sample_report().to_html();
    assert!(
        html.contains("Successful &lt;b&gt;&amp;&lt;/b&gt;"),
        "response bodies are escaped"
    );
    assert!(!html.contains("<b>&</b>"));
    assert!(!html.contains("<script"), "no script");
    for asset in ["<link", "src=", "@import", "url("] {
        assert!(!html.contains(asset), "a network asset: {asset}");
    }
}
