//! The synthetic sibling endpoint (`tests/fixtures/sibling-api/`, a test
//! fixture of our own design): another path, service code, body with a
//! nested object, success fields. With no line of code specific to it, the
//! server suite passes its faithful simulator and catches its faulty ones,
//! and certification passes the reference client and refuses faulty ones.

use std::sync::Arc;

use cdm_conformance::Contract;
use cdm_conformance::certify::{CertifyOptions, certify};
use cdm_conformance::client::{Flaw, ReferenceClient};
use cdm_conformance::report::Report;
use cdm_conformance::runner::{RunOptions, Target, run_suite};
use cdm_conformance::simulator::{Quirk, SimConfig, Simulator, test_signing_key};
use cdm_conformance::verdict::Verdict;
use rstest::rstest;

fn sibling() -> Arc<Contract> {
    Contract::from_dir(&crate::common::fixture("sibling-api")).expect("the sibling spec compiles")
}

async fn suite(quirk: Option<Quirk>) -> Report {
    let contract = sibling();
    let mut config = SimConfig::for_contract(contract.clone());
    config.quirks.extend(quirk);
    let sim = Simulator::start(config).await.expect("simulator starts");
    let target = Target::for_simulator(&sim);
    run_suite(&target, &RunOptions::local(&contract))
        .await
        .expect("the suite runs")
}

fn not_ok(report: &Report) -> Vec<String> {
    report
        .cases
        .iter()
        .filter(|c| !matches!(c.verdict, Verdict::Pass | Verdict::Info))
        .map(|c| format!("{} {}: {}", c.verdict, c.id, c.message))
        .collect()
}

#[tokio::test]
async fn the_sibling_suite_passes_its_faithful_simulator_on_its_own_path() {
    let report = suite(None).await;
    assert!(not_ok(&report).is_empty(), "{:#?}", not_ok(&report));
    // Its own cases, nested fields included...
    for id in [
        "body.amount.value.missing",
        "body.amount.currency.over_limit",
        "body.amount.empty",
        "body.store_id.at_limit",
        "body.merchant_trade_no.at_limit",
    ] {
        let case = report.cases.iter().find(|c| c.id == id);
        assert_eq!(case.map(|c| c.verdict), Some(Verdict::Pass), "{id}");
    }
    // ...none of the built-in API's...
    assert!(report.cases.iter().all(|c| !c.id.contains("merchant_id")));
    // ...and every request went to the sibling's path, with its service code back.
    for case in &report.cases {
        for e in &case.exchanges {
            let other = case.id.contains("other_");
            assert!(
                other || e.url.ends_with("/v1.0/fixture/payment-link"),
                "{}: {}",
                case.id,
                e.url
            );
        }
    }
    let valid = report
        .cases
        .iter()
        .find(|c| c.id == "request.valid")
        .unwrap();
    assert!(valid.message.contains("2004700"), "{}", valid.message);
    let reuse = report
        .cases
        .iter()
        .find(|c| c.id == "business.reused_reference")
        .unwrap();
    assert!(reuse.message.contains("4044718"), "{}", reuse.message);
}

#[rstest]
#[case::reference_limit_off_by_one(
    Quirk::ReferenceLimitOffByOne,
    "body.merchant_trade_no.over_limit",
    "response_code_expected",
    "2004700"
)]
#[case::merchant_limit_off_by_one(
    Quirk::MerchantLimitOffByOne,
    "body.store_id.over_limit",
    "response_code_expected",
    "got responseCode 4044708"
)]
#[case::lax_signature(
    Quirk::LaxSignature,
    "header.x_signature.other_key",
    "response_code_expected",
    "2004700"
)]
#[case::no_idempotency(
    Quirk::NoIdempotency,
    "business.reused_reference",
    "response_code_expected",
    "2004700"
)]
#[case::success_missing_field(
    Quirk::SuccessMissingField,
    "request.valid",
    "response_body_fields",
    "paymentUrl"
)]
#[case::lowercase_enum(Quirk::LowercaseEnum, "request.valid", "response_body_fields", "open")]
#[case::utc_response_timestamp(
    Quirk::UtcResponseTimestamp,
    "request.valid",
    "x_timestamp_well_formed",
    "X-TIMESTAMP"
)]
#[case::message_too_long(
    Quirk::MessageTooLong,
    "request.valid",
    "response_body_fields",
    "at most 120 characters"
)]
#[case::slow_success(
    Quirk::SlowSuccess,
    "request.valid",
    "within_expected_timeout",
    "within 2000 ms"
)]
#[tokio::test]
async fn a_faulty_sibling_simulator_is_caught_by_name(
    #[case] quirk: Quirk,
    #[case] case_id: &str,
    #[case] check: &str,
    #[case] seen: &str,
) {
    let report = suite(Some(quirk)).await;
    crate::power::assert_caught(&report, &format!("{quirk:?}"), case_id, check, seen);
}

fn options(cases: Option<&str>) -> CertifyOptions {
    CertifyOptions {
        cases: cases.map(str::to_owned),
        ..CertifyOptions::test_defaults(sibling())
    }
}

#[tokio::test]
async fn the_reference_client_is_certified_on_the_sibling() {
    let client = Arc::new(ReferenceClient::new(sibling(), test_signing_key()));
    let report = certify(client, &options(None)).await.unwrap();
    let failed: Vec<String> = report
        .cases
        .iter()
        .filter(|c| c.verdict != Verdict::Pass)
        .map(|c| format!("{} {}: {}", c.verdict, c.id, c.message))
        .collect();
    assert!(failed.is_empty(), "{failed:#?}");
    for id in [
        "code.2004700",
        "code.4294700",
        "success.expired",
        "unexpected.no_url.every_attempt",
    ] {
        assert!(report.cases.iter().any(|c| c.id == id), "no scenario {id}");
    }
    // The client was asked for the sibling's body, and posted it to the sibling's path.
    let exchange = &report.cases[0].exchanges[0];
    assert!(
        exchange.url.ends_with("/v1.0/fixture/payment-link"),
        "{}",
        exchange.url
    );
    assert!(
        exchange.request_body.contains("\"amount\":{\"value\""),
        "{}",
        exchange.request_body
    );
    // The success line carries the sibling's success fields by name.
    let client = report.cases[0].client.as_ref().unwrap();
    for field in ["paymentLinkId", "paymentUrl", "linkStatus"] {
        assert!(client.stdout_tail.contains(field), "{}", client.stdout_tail);
    }
}

#[rstest]
#[case::wrong_signing_text(
    Flaw::WrongSigningText,
    "code.2004700",
    "x_signature",
    "X-PARTNER-ID signed in place of the client key"
)]
#[case::new_reference_on_retry(
    Flaw::NewReferenceOnRetry,
    "code.5004701",
    "same_reference_on_retry",
    "merchantTradeNo"
)]
#[case::wrong_success_value(
    Flaw::WrongSuccessValue,
    "code.2004700",
    "client_outcome",
    "paymentUrl"
)]
#[case::changes_json_types(Flaw::ChangesJsonTypes, "code.2004700", "body", "amount")]
#[case::succeeds_on_malformed(
    Flaw::SucceedsOnMalformed,
    "unexpected.no_url.every_attempt",
    "client_outcome",
    "never success"
)]
#[tokio::test]
async fn a_faulty_client_is_refused_on_the_sibling(
    #[case] flaw: Flaw,
    #[case] case_id: &str,
    #[case] check: &str,
    #[case] seen: &str,
) {
    let mut client = ReferenceClient::new(sibling(), test_signing_key()).with_flaw(flaw);
    client.retry_pause = std::time::Duration::from_millis(1100);
    let report = certify(Arc::new(client), &options(Some(case_id)))
        .await
        .unwrap();
    crate::power::assert_caught(&report, &format!("{flaw:?}"), case_id, check, seen);
}
