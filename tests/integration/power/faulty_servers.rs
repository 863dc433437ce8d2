//! The server suite against simulators that each break one rule of the contract.

use cdm_conformance::report::Report;
use cdm_conformance::runner::{RunOptions, Target, run_suite};
use cdm_conformance::simulator::{Quirk, SimConfig, Simulator};
use cdm_conformance::verdict::Verdict;
use rstest::rstest;

async fn suite_against(config: SimConfig) -> Report {
    let sim = Simulator::start(config).await.expect("simulator starts");
    let target = Target::for_simulator(&sim);
    run_suite(
        &target,
        &RunOptions::local(&cdm_conformance::Contract::embedded()),
    )
    .await
    .expect("the suite runs")
}

#[tokio::test]
async fn the_faithful_simulator_passes_every_case() {
    let report = suite_against(SimConfig::test_defaults()).await;
    let not_ok: Vec<String> = report
        .cases
        .iter()
        .filter(|c| !matches!(c.verdict, Verdict::Pass | Verdict::Info))
        .map(|c| format!("{} {}: {}", c.verdict, c.id, c.message))
        .collect();
    assert!(not_ok.is_empty(), "{not_ok:#?}");
    assert_eq!(report.exit_code(), 0);
    assert!(report.summary.passed >= 45, "{:?}", report.summary);
}

#[tokio::test]
async fn the_rate_limit_burst_reaches_4299000() {
    let sim = Simulator::start(SimConfig::test_defaults()).await.unwrap();
    let target = Target::for_simulator(&sim);
    let mut options = RunOptions::local(&cdm_conformance::Contract::embedded());
    options.catalog.include_rate_limit = true;
    options.cases = Some("rate_limit".into());
    let report = run_suite(&target, &options).await.unwrap();
    assert_eq!(report.cases.len(), 1);
    assert_eq!(
        report.cases[0].verdict,
        Verdict::Pass,
        "{}",
        report.cases[0].message
    );
    assert!(
        report.cases[0].message.contains("4299000"),
        "{}",
        report.cases[0].message
    );
}

/// Each quirk must fail the run through the case built to catch it, by the
/// check that names the rule, with what was seen.
#[rstest]
#[case::wrong_code_for_missing_field(
    Quirk::WrongCodeForMissingField,
    "body.partner_reference_no.missing",
    "response_code_expected",
    "got responseCode 4009001"
)]
#[case::lax_timestamp(
    Quirk::LaxTimestamp,
    "header.x_timestamp.utc_z",
    "response_code_expected",
    "got responseCode 2009000"
)]
#[case::lax_signature(
    Quirk::LaxSignature,
    "header.x_signature.other_key",
    "response_code_expected",
    "got responseCode 2009000"
)]
#[case::rejects_reference_at_limit(
    Quirk::RejectsReferenceAtLimit,
    "body.partner_reference_no.at_limit",
    "response_code_expected",
    "got responseCode 4009001"
)]
#[case::reference_limit_off_by_one(
    Quirk::ReferenceLimitOffByOne,
    "body.partner_reference_no.over_limit",
    "response_code_expected",
    "got responseCode 2009000"
)]
#[case::merchant_id_limit_off_by_one(
    Quirk::MerchantLimitOffByOne,
    "body.merchant_id.over_limit",
    "response_code_expected",
    "got responseCode 4049008"
)]
#[case::accepts_unknown_merchant(
    Quirk::AcceptsUnknownMerchant,
    "body.merchant_id.unknown",
    "response_code_expected",
    "got responseCode 2009000"
)]
#[case::accepts_unknown_token(
    Quirk::AcceptsUnknownToken,
    "header.authorization.unknown",
    "response_code_expected",
    "got responseCode 2009000"
)]
#[case::no_response_timestamp(
    Quirk::NoResponseTimestamp,
    "request.valid",
    "x_timestamp_well_formed",
    "got no X-TIMESTAMP header"
)]
#[case::utc_response_timestamp(
    Quirk::UtcResponseTimestamp,
    "request.valid",
    "x_timestamp_well_formed",
    "must end in +07:00"
)]
#[case::wrong_content_type(
    Quirk::WrongContentType,
    "request.valid",
    "content_type_json",
    "got Content-Type \"text/plain\""
)]
#[case::status_mismatch(
    Quirk::StatusMismatch,
    "header.content_type.missing",
    "http_status_matches_code",
    "got HTTP 200"
)]
#[case::success_without_qrcode(
    Quirk::SuccessMissingField,
    "request.valid",
    "response_body_fields",
    "expected cdmQrcode a string, got no such field"
)]
#[case::lowercase_status(
    Quirk::LowercaseEnum,
    "request.valid",
    "response_body_fields",
    "got \"active\""
)]
#[case::no_idempotency(
    Quirk::NoIdempotency,
    "business.reused_reference",
    "response_code_expected",
    "got responseCode 2009000"
)]
#[case::undefined_code(
    Quirk::UndefinedCode,
    "body.merchant_id.over_limit",
    "response_code_in_table",
    "got responseCode 4009099, which the table does not define"
)]
#[case::message_too_long(
    Quirk::MessageTooLong,
    "request.valid",
    "response_body_fields",
    "expected responseMessage a string of at most 150 characters"
)]
#[case::html_errors(
    Quirk::HtmlErrors,
    "header.x_partner_id.missing",
    "body_is_json_object",
    "got a body that is not JSON"
)]
#[case::slow_success(
    Quirk::SlowSuccess,
    "request.valid",
    "within_expected_timeout",
    "got an answer after"
)]
#[case::duplicate_on_replay(
    Quirk::DuplicateOnReplay,
    "business.identical_replay",
    "identical_replay",
    "identical replay answered 2009000 (Successful) cdmReferenceId"
)]
#[case::racy_reuse(
    Quirk::RacyReuse,
    "business.concurrent_reuse",
    "reuse_is_atomic",
    "5 of 5 pairs succeeded twice"
)]
#[case::stale_response_timestamp(
    Quirk::StaleResponseTimestamp,
    "request.valid",
    "x_timestamp_fresh",
    "s away"
)]
#[tokio::test]
async fn a_faulty_simulator_is_caught(
    #[case] quirk: Quirk,
    #[case] case_id: &str,
    #[case] check: &str,
    #[case] seen: &str,
) {
    let report = suite_against(SimConfig::test_defaults().with_quirk(quirk)).await;
    crate::power::assert_caught(&report, &format!("{quirk:?}"), case_id, check, seen);
}

#[tokio::test]
async fn a_server_echoing_the_token_never_gets_it_into_a_report() {
    let report =
        suite_against(SimConfig::test_defaults().with_quirk(Quirk::EchoesAuthorization)).await;
    let token = cdm_conformance::Credentials::test_defaults().access_token;
    for (name, text) in [
        ("json", report.to_json()),
        ("junit", report.to_junit()),
        ("html", report.to_html()),
    ] {
        assert!(
            !text.contains(&token),
            "the {name} report carries the access token"
        );
    }
    // And the server did echo it: the redacted form is there instead.
    assert!(
        report
            .to_json()
            .contains(&cdm_conformance::redact::token(&token))
    );
}

#[test]
fn every_quirk_is_tried_above() {
    // Keeps Quirk::ALL and the tests above in step: a new quirk needs a test.
    let source = std::fs::read_to_string(
        crate::common::root().join("tests/integration/power/faulty_servers.rs"),
    )
    .unwrap();
    for quirk in Quirk::ALL {
        let name = format!("Quirk::{quirk:?}");
        let used = source.contains(&format!("{name},")) || source.contains(&format!("{name})"));
        assert!(used, "no test runs {name}");
    }
}
