//! Reports: each rendering snapshotted, opened in a browser, scanned for
//! secrets, and held to the rule that peer text never becomes markup.

mod browser;
mod peer_text;
mod renderings;
mod secrets;

use std::time::Duration;

use cdm_conformance::report::{CaseReport, ExchangeRecord, Report};
use cdm_conformance::spec::{SpecRef, Table};
use cdm_conformance::verdict::{Finding, Verdict};

/// A report with one case of each verdict, fixed clocks, fixed ports and a
/// fixed digest: what the snapshots hold.
pub fn sample_report() -> Report {
    let header = SpecRef::row(Table::RequestHeader, 3, "X-TIMESTAMP");
    let exchange = ExchangeRecord {
        method: "POST".into(),
        url: "http://127.0.0.1:8080/v2.0/cdm/cdm-mpm-generate".into(),
        request_headers: vec![
            ("Content-Type".into(), "application/json".into()),
            ("Authorization".into(), "Bearer cdmcon…(63 chars)".into()),
            ("X-TIMESTAMP".into(), "2023-09-25T10:57:35Z".into()),
            ("X-SIGNATURE".into(), "O82QkrRQBVg5uY12…(344 chars)".into()),
            ("X-PARTNER-ID".into(), "cdmconf0partner0000000000000000001".into()),
        ],
        request_body: r#"{"partnerReferenceNo":"CDMCONF-00000000-00001","merchantId":"M","additionalInfo":{}}"#.into(),
        status: Some(200),
        response_headers: vec![
            ("content-type".into(), "application/json".into()),
            ("x-timestamp".into(), "2023-09-25T17:57:36+07:00".into()),
        ],
        response_body: Some(r#"{"responseCode":"2009000","responseMessage":"Successful <b>&</b>"}"#.into()),
        error: None,
        elapsed_ms: 12,
        connect_failed: false,
    };
    let case = |id: &str, spec_ref: SpecRef, findings: Vec<Finding>| {
        CaseReport::from_parts(
            id,
            spec_ref,
            "X-TIMESTAMP malformed (UTC Z, fraction, no offset, another offset, not a date)",
            vec!["4009001".into(), "4009002".into(), "4019000".into()],
            findings,
            vec![exchange.clone()],
            Duration::from_millis(12),
        )
    };
    let cases = vec![
        case(
            "request.valid",
            SpecRef::item(Table::Specification, "Method, URL"),
            vec![Finding::new(
                cdm_conformance::CheckId::ResponseCodeExpected,
                Verdict::Pass,
                SpecRef::item(Table::Specification, "Method, URL"),
                "responseCode 2009000",
                "responseCode 2009000 (Successful)",
            )],
        ),
        case(
            "header.x_timestamp.utc_z",
            header.clone(),
            vec![Finding::new(
                cdm_conformance::CheckId::ResponseCodeExpected,
                Verdict::Fail,
                header.clone(),
                "responseCode one of 4009001, 4009002, 4019000 for X-TIMESTAMP utc z",
                "responseCode 2009000 (Successful | piped)",
            )],
        ),
        case(
            "header.x_partner_id.unknown",
            SpecRef::row(Table::RequestHeader, 5, "X-PARTNER-ID"),
            vec![Finding::new(
                cdm_conformance::CheckId::MessageMatchesTable,
                Verdict::Warn,
                SpecRef::row(Table::ResponseCode, 6, "4019000"),
                "responseMessage beginning \"Unauthorized.\"",
                "\"Partner unknown\"",
            )],
        ),
        case(
            "request.other_path",
            SpecRef::item(Table::Specification, "Method, URL"),
            vec![Finding::new(
                cdm_conformance::CheckId::NotStated,
                Verdict::Info,
                SpecRef::item(Table::Specification, "Method, URL"),
                "",
                "other path: HTTP 404, responseCode absent",
            )],
        ),
    ];
    let started = time::macros::datetime!(2026-01-01 00:00:00 UTC);
    let mut report = Report::new(
        "server",
        "http://127.0.0.1:8080",
        &"0".repeat(64),
        cases,
        started,
        Duration::from_millis(48),
    );
    report.harness.version = "0.0.0-snapshot";
    report.harness.commit = "0123456789abcdef0123456789abcdef01234567";
    report
}
