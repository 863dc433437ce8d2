//! Client certification against the reference client, faithful and with one
//! flaw at a time: each flaw is refused by the case meant to catch it, by the
//! check that names the rule.

use std::sync::Arc;

use cdm_conformance::certify::{CertifyOptions, certify};
use cdm_conformance::client::{
    ClientFuture, ClientOutcome, ClientRun, ClientUnderTest, Flaw, Invocation, ReferenceClient,
};
use cdm_conformance::simulator::test_signing_key;
use cdm_conformance::verdict::Verdict;
use rstest::rstest;

fn options(cases: &str) -> CertifyOptions {
    CertifyOptions {
        cases: Some(cases.to_owned()),
        ..CertifyOptions::test_defaults(cdm_conformance::Contract::embedded())
    }
}

#[tokio::test]
async fn the_reference_client_is_certified() {
    let client = Arc::new(ReferenceClient::new(
        cdm_conformance::Contract::embedded(),
        test_signing_key(),
    ));
    let report = certify(
        client,
        &CertifyOptions::test_defaults(cdm_conformance::Contract::embedded()),
    )
    .await
    .unwrap();
    let not_ok: Vec<String> = report
        .cases
        .iter()
        .filter(|c| c.verdict != Verdict::Pass)
        .map(|c| format!("{} {}: {}", c.verdict, c.id, c.message))
        .collect();
    assert!(not_ok.is_empty(), "{not_ok:#?}");
    assert_eq!(report.cases.len(), 30);
    assert_eq!(report.exit_code(), 0);
    crate::power::assert_rejudged(&report);
}

#[rstest]
#[case::utc_timestamp(
    Flaw::UtcTimestamp,
    "code.2009000",
    "x_timestamp",
    "must end in +07:00"
)]
#[case::millisecond_timestamp(
    Flaw::MillisecondTimestamp,
    "code.2009000",
    "x_timestamp",
    "must have no fraction of a second"
)]
#[case::wrong_signing_text(
    Flaw::WrongSigningText,
    "code.2009000",
    "x_signature",
    "(X-PARTNER-ID signed in place of the client key)"
)]
#[case::wrong_hash(
    Flaw::WrongHash,
    "code.2009000",
    "x_signature",
    "with SHA-512 instead of SHA-256"
)]
#[case::no_partner_id_header(
    Flaw::NoPartnerIdHeader,
    "code.2009000",
    "x_partner_id",
    "got in request 1, no X-PARTNER-ID"
)]
#[case::retries_forever(
    Flaw::RetriesForever,
    "unexpected.html_502.every_attempt",
    "client_outcome",
    "the client was stopped after 13 requests"
)]
#[case::never_retries(
    Flaw::NeverRetries,
    "unexpected.empty_body.every_attempt",
    "attempts",
    "got 1 attempt"
)]
#[case::succeeds_on_malformed(
    Flaw::SucceedsOnMalformed,
    "unexpected.success_without_qrcode.every_attempt",
    "client_outcome",
    "expected outcome failed (never success from this answer)"
)]
#[case::crashes_on_unexpected(
    Flaw::CrashesOnUnexpected,
    "unexpected.invalid_json.every_attempt",
    "client_outcome",
    "the client crashed"
)]
#[case::wrong_qrcode(
    Flaw::WrongSuccessValue,
    "code.2009000",
    "client_outcome",
    "expected success with cdmReferenceId"
)]
#[case::new_reference_on_retry(
    Flaw::NewReferenceOnRetry,
    "unexpected.html_502.once_then_success",
    "same_reference_on_retry",
    "-retry2"
)]
#[case::resends_after_4xx(Flaw::ResendsAfter4xx, "code.4009001", "attempts", "got 2 attempts")]
#[case::no_attempt_timeout(
    Flaw::NoAttemptTimeout,
    "timeout.every_attempt",
    "client_outcome",
    "never success from this answer"
)]
#[case::reports_the_late_answer(
    Flaw::NoAttemptTimeout,
    "timeout.once_then_success",
    "client_outcome",
    "expected a success only from a 2009000 that came in time (the one sent was held past the 8000 ms expected timeout"
)]
#[case::stale_retry_timestamp(
    Flaw::StaleRetryTimestamp,
    "timeout.every_attempt",
    "fresh_timestamp_on_retry",
    "to carry an X-TIMESTAMP later than"
)]
#[case::changes_json_types(
    Flaw::ChangesJsonTypes,
    "code.2009000",
    "body",
    "additionalInfo.regionNo: expected \"12356\" (a string of 5 characters), got 12356 (the number 12356)"
)]
#[tokio::test]
async fn a_faulty_client_is_refused(
    #[case] flaw: Flaw,
    #[case] case_id: &str,
    #[case] check: &str,
    #[case] seen: &str,
) {
    let client = Arc::new(
        ReferenceClient::new(cdm_conformance::Contract::embedded(), test_signing_key())
            .with_flaw(flaw),
    );
    let report = certify(client, &options(case_id)).await.unwrap();
    crate::power::assert_caught(&report, &format!("{flaw:?}"), case_id, check, seen);
    // The refusal follows from the evidence the report keeps.
    crate::power::assert_rejudged(&report);
}

#[test]
fn every_flaw_is_tried_above() {
    let source = std::fs::read_to_string(
        crate::common::root().join("tests/integration/power/faulty_clients.rs"),
    )
    .unwrap();
    for flaw in Flaw::ALL {
        assert!(
            [",", ")"]
                .iter()
                .any(|end| source.contains(&format!("Flaw::{flaw:?}{end}"))),
            "no case runs Flaw::{flaw:?}"
        );
    }
}

/// A Rust vendor certifies in-process through the public trait.
struct GivesUpAtOnce;

impl ClientUnderTest for GivesUpAtOnce {
    fn name(&self) -> String {
        "gives-up-at-once".into()
    }

    fn run<'a>(&'a self, _: &'a Invocation) -> ClientFuture<'a> {
        Box::pin(async {
            ClientRun {
                outcome: Some(Ok(ClientOutcome::Failed {
                    response_code: None,
                })),
                ..ClientRun::default()
            }
        })
    }
}

#[tokio::test]
async fn an_in_process_client_that_never_calls_is_refused() {
    let report = certify(Arc::new(GivesUpAtOnce), &options("code.2009000"))
        .await
        .unwrap();
    assert_eq!(report.target, "gives-up-at-once");
    let case = &report.cases[0];
    assert_eq!(case.verdict, Verdict::Fail);
    assert!(
        case.message.contains("no request at all"),
        "{}",
        case.message
    );
}

/// `bearer x`: RFC 9110 makes the scheme case-insensitive and the API text
/// prints `Bearer`: a warning, not a refusal; the case does not fail.
#[tokio::test]
async fn a_lower_case_bearer_scheme_is_a_warning() {
    let client = Arc::new(
        ReferenceClient::new(cdm_conformance::Contract::embedded(), test_signing_key())
            .with_flaw(Flaw::LowercaseBearer),
    );
    let report = certify(client, &options("code.2009000")).await.unwrap();
    let case = &report.cases[0];
    assert_eq!(case.verdict, Verdict::Warn, "{}", case.message);
    assert_eq!(report.exit_code(), 0);
    assert!(
        case.message
            .contains("authorization: expected Authorization: Bearer"),
        "{}",
        case.message
    );
    crate::power::assert_rejudged(&report);
}

/// A client signing with any key pair that ships with the project is a
/// trial, whatever --public-key says: its private half is published.
#[tokio::test]
async fn a_published_key_pair_never_certifies() {
    let other = cdm_conformance::SigningKey::from_pem_or_base64(
        cdm_conformance::testkeys::OTHER_PRIVATE_KEY_PEM,
    )
    .unwrap();
    let client = Arc::new(ReferenceClient::new(
        cdm_conformance::Contract::embedded(),
        other.clone(),
    ));
    let report = certify(
        client,
        &CertifyOptions {
            public_key: other.verifying_key(),
            ..options("code.2009000")
        },
    )
    .await
    .unwrap();
    assert_eq!(report.summary.failed, 0, "{:?}", report.failures());
    assert_eq!(report.certification.as_deref(), Some("partial"));
    assert!(report.headline().contains("TRIAL"), "{}", report.headline());
    assert!(report.settings["public_key"].contains("private half published"));
}

/// A client that waits out an attempt's answer past the 8 s expected
/// timeout is warned; ending its run within the timeout and the tolerance
/// of its last attempt is not (the judge read again on edited evidence).
#[tokio::test]
async fn a_client_waiting_past_the_expected_timeout_is_warned() {
    let contract = cdm_conformance::Contract::embedded();
    let client = Arc::new(
        ReferenceClient::new(contract.clone(), test_signing_key())
            .with_flaw(Flaw::NoAttemptTimeout),
    );
    let report = certify(client, &options("timeout.every_attempt"))
        .await
        .unwrap();
    let case = &report.cases[0];
    let warning = case
        .checks
        .iter()
        .find(|f| f.check.as_str() == "give_up_in_time")
        .unwrap_or_else(|| panic!("no give_up_in_time warning: {:#?}", case.checks));
    assert_eq!(warning.verdict, Verdict::Warn);
    assert!(
        warning
            .to_string()
            .contains("within the 8000 ms expected timeout"),
        "{warning}"
    );
    // The same evidence, the run ending 9.4 s after the last attempt (8 s
    // and 1.5 s of tolerance): no warning; at 9.6 s: a warning.
    let scenario = cdm_conformance::certify::scenarios(&contract)
        .into_iter()
        .find(|s| s.id == "timeout.every_attempt")
        .unwrap();
    let mut evidence = case.evidence.clone().unwrap();
    let last = evidence.arrivals.last().unwrap().after_us;
    let key = test_signing_key().verifying_key();
    let run = case.client.clone().unwrap();
    for (ended_ms, warned) in [(9_400, false), (9_600, true)] {
        evidence.ended_after_us = last + ended_ms * 1000;
        let findings =
            cdm_conformance::certify::judge::judge(&contract, &scenario, &evidence, &key, &run);
        assert_eq!(
            findings
                .iter()
                .any(|f| f.check.as_str() == "give_up_in_time"),
            warned,
            "run ending {ended_ms} ms after the last attempt"
        );
    }
}
