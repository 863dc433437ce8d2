//! The server suite against simulators that each break one rule of the contract.

use cdm_conformance::report::Report;
use cdm_conformance::runner::{RunOptions, Target, run_suite};
use cdm_conformance::simulator::{Quirk, SimConfig, Simulator};
use cdm_conformance::verdict::Verdict;
use rstest::rstest;

async fn suite_against(config: SimConfig) -> Report {
    let sim = Simulator::start(config).await.expect("simulator starts");
    let target = Target::for_simulator(&sim);
    run_suite(&target, &RunOptions::local())
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
    let mut options = RunOptions::local();
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

/// Each quirk must fail the run through a case whose id or message names the
/// header, field, code or rule involved.
#[rstest]
#[case::wrong_code_for_missing_field(
    Quirk::WrongCodeForMissingField,
    "body.partner_reference_no.missing",
    "4009002"
)]
#[case::lax_timestamp(Quirk::LaxTimestamp, "header.x_timestamp.utc_z", "X-TIMESTAMP")]
#[case::lax_signature(Quirk::LaxSignature, "header.x_signature.other_key", "X-SIGNATURE")]
#[case::rejects_reference_at_limit(
    Quirk::RejectsReferenceAtLimit,
    "body.partner_reference_no.at_limit",
    "partnerReferenceNo"
)]
#[case::reference_limit_off_by_one(
    Quirk::ReferenceLimitOffByOne,
    "body.partner_reference_no.over_limit",
    "partnerReferenceNo"
)]
#[case::merchant_id_limit_off_by_one(
    Quirk::MerchantIdLimitOffByOne,
    "body.merchant_id.over_limit",
    "merchantId"
)]
#[case::accepts_unknown_merchant(
    Quirk::AcceptsUnknownMerchant,
    "body.merchant_id.unknown",
    "4049008"
)]
#[case::accepts_unknown_token(
    Quirk::AcceptsUnknownToken,
    "header.authorization.unknown",
    "4019001"
)]
#[case::no_response_timestamp(Quirk::NoResponseTimestamp, "request.valid", "no X-TIMESTAMP header")]
#[case::utc_response_timestamp(Quirk::UtcResponseTimestamp, "request.valid", "must end in +07:00")]
#[case::wrong_content_type(
    Quirk::WrongContentType,
    "request.valid",
    "Content-Type \"text/plain\""
)]
#[case::status_mismatch(
    Quirk::StatusMismatch,
    "header.content_type.missing",
    "http_status_matches_code"
)]
#[case::success_without_qrcode(Quirk::SuccessWithoutQrcode, "request.valid", "cdmQrcode")]
#[case::lowercase_status(Quirk::LowercaseStatus, "request.valid", "status")]
#[case::no_idempotency(Quirk::NoIdempotency, "business.reused_reference", "4049018")]
#[case::undefined_code(Quirk::UndefinedCode, "body.merchant_id.over_limit", "4009099")]
#[case::message_too_long(Quirk::MessageTooLong, "request.valid", "responseMessage")]
#[case::html_errors(Quirk::HtmlErrors, "header.x_partner_id.missing", "not JSON")]
#[case::slow_success(Quirk::SlowSuccess, "request.valid", "within_expected_timeout")]
#[tokio::test]
async fn a_faulty_simulator_is_caught(
    #[case] quirk: Quirk,
    #[case] case_id: &str,
    #[case] names: &str,
) {
    let report = suite_against(SimConfig::test_defaults().with_quirk(quirk)).await;
    assert_eq!(report.exit_code(), 1, "{quirk:?} went unnoticed");
    let case = report
        .cases
        .iter()
        .find(|c| c.id == case_id)
        .unwrap_or_else(|| panic!("no case {case_id}"));
    assert_eq!(
        case.verdict,
        Verdict::Fail,
        "{quirk:?}: {case_id} did not fail: {}",
        case.message
    );
    assert!(
        case.message.contains(names),
        "{quirk:?}: {case_id} fails, but its message does not name {names:?}: {}",
        case.message
    );
}

#[test]
fn every_quirk_has_a_case_above() {
    // Keeps Quirk::ALL and the cases above in step: a new quirk needs a named case.
    let source =
        std::fs::read_to_string(crate::common::root().join("tests/power/faulty_servers.rs"))
            .unwrap();
    for quirk in Quirk::ALL {
        let name = format!("Quirk::{quirk:?},");
        assert!(source.contains(&name), "no case runs {name}");
    }
}
