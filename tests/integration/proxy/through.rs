//! Clients and servers through the proxy: faithful ones pass and get what
//! they get directly; each fault is named on its own side.

use std::time::Duration;

use cdm_conformance::client::{ClientOutcome, Flaw};
use cdm_conformance::simulator::{Quirk, Step};
use cdm_conformance::verdict::Verdict;
use cdm_conformance::wire::{SignedRequest, Timestamp};
use cdm_conformance::{Credentials, ResponseCode};
use rstest::rstest;

use super::{assert_named, assert_rejudged, body, messages, run_client, setup, setup_at};

#[tokio::test]
async fn a_faithful_client_gets_through_the_proxy_what_it_gets_directly() {
    let s = setup(&[]).await;
    let unknown_merchant = {
        let mut b = body(&s.contract, "PROXY-FAITHFUL-2");
        b["merchantId"] = "no-such-merchant".into();
        b
    };
    // The same request directly, then through the proxy: an identical
    // replay, so the same answer both ways.
    for request in [body(&s.contract, "PROXY-FAITHFUL-1"), unknown_merchant] {
        let direct = run_client(&s.contract, None, &s.sim.base_url(), request.clone()).await;
        let proxied = run_client(&s.contract, None, &s.proxy.base_url(), request).await;
        assert!(direct.outcome.is_some(), "{direct:?}");
        assert_eq!(proxied.outcome, direct.outcome);
    }
    let report = s.proxy.report().await;
    assert_eq!(report.cases.len(), 2, "{}", messages(&report.cases));
    assert!(
        report.cases.iter().all(|c| c.verdict == Verdict::Pass),
        "{}",
        messages(&report.cases)
    );
    assert_eq!(report.exit_code(), 0);
    assert_eq!(report.mode, "proxy");
    assert_rejudged(&report);
}

/// A client fault, named on the request side.
#[rstest]
#[case::utc_timestamp(Flaw::UtcTimestamp, false, "x_timestamp")]
#[case::wrong_signing_text(Flaw::WrongSigningText, false, "x_signature")]
#[case::no_partner_id(Flaw::NoPartnerIdHeader, false, "x_partner_id")]
#[case::resends_after_4xx(Flaw::ResendsAfter4xx, true, "retry_allowed")]
#[tokio::test]
async fn a_faulty_client_is_named_on_the_request_side(
    #[case] flaw: Flaw,
    #[case] unknown_merchant: bool,
    #[case] check: &str,
) {
    let s = setup(&[]).await;
    let mut request = body(&s.contract, &format!("PROXY-{flaw:?}"));
    if unknown_merchant {
        request["merchantId"] = "no-such-merchant".into();
    }
    run_client(&s.contract, Some(flaw), &s.proxy.base_url(), request).await;
    let report = s.proxy.report().await;
    assert_eq!(report.exit_code(), 1, "{}", messages(&report.cases));
    assert_named(
        &report,
        Verdict::Fail,
        "request",
        check,
        &format!("{flaw:?}"),
    );
    assert_rejudged(&report);
}

/// A client that retries a 5009001 under a new key: a warning, since it
/// may as well be a new transaction with the same contents.
#[tokio::test]
async fn a_new_reference_on_a_retry_is_named() {
    let s = setup_at(&[], "/case/five").await;
    let code: ResponseCode = "5009001".parse().unwrap();
    s.sim.engine().script("five", vec![Step::Code(code)]);
    let request = body(&s.contract, "PROXY-NEWREF");
    run_client(
        &s.contract,
        Some(Flaw::NewReferenceOnRetry),
        &s.proxy.base_url(),
        request.clone(),
    )
    .await;
    let report = s.proxy.report().await;
    assert_named(
        &report,
        Verdict::Warn,
        "request",
        "same_reference_on_retry",
        "NewReferenceOnRetry",
    );
    assert_rejudged(&report);
    // The faithful client retries under the same key: no such warning, and
    // its retries are allowed after 5009001.
    let s = setup_at(&[], "/case/five").await;
    s.sim.engine().script("five", vec![Step::Code(code)]);
    run_client(&s.contract, None, &s.proxy.base_url(), request).await;
    let report = s.proxy.report().await;
    assert!(report.cases.len() > 1, "{}", messages(&report.cases));
    assert!(
        report.cases.iter().all(|c| c.verdict == Verdict::Pass),
        "{}",
        messages(&report.cases)
    );
}

/// A server fault, named on the answer side.
#[rstest]
#[case::utc_timestamp(Quirk::UtcResponseTimestamp, false, "x_timestamp_well_formed")]
#[case::http_200_for_errors(Quirk::StatusMismatch, true, "http_status_matches_code")]
#[case::message_too_long(Quirk::MessageTooLong, true, "response_body_fields")]
#[case::text_plain(Quirk::WrongContentType, false, "content_type_json")]
#[case::missing_success_field(Quirk::SuccessMissingField, false, "response_body_fields")]
#[tokio::test]
async fn a_faulty_server_is_named_on_the_answer_side(
    #[case] quirk: Quirk,
    #[case] unknown_merchant: bool,
    #[case] check: &str,
) {
    let s = setup(&[quirk]).await;
    let mut request = body(&s.contract, &format!("PROXY-{quirk:?}"));
    if unknown_merchant {
        request["merchantId"] = "no-such-merchant".into();
    }
    run_client(&s.contract, None, &s.proxy.base_url(), request).await;
    let report = s.proxy.report().await;
    assert_eq!(report.exit_code(), 1, "{}", messages(&report.cases));
    assert_named(
        &report,
        Verdict::Fail,
        "answer",
        check,
        &format!("{quirk:?}"),
    );
    assert!(
        super::failing(&report, Verdict::Fail)
            .iter()
            .all(|(_, side, _)| side == "answer"),
        "the faithful client was blamed: {}",
        messages(&report.cases)
    );
    assert_rejudged(&report);
}

/// An identical replay that makes a second success: the server's fault,
/// seen only by following the transaction.
#[tokio::test]
async fn a_duplicate_on_replay_is_named_on_the_answer_side() {
    let s = setup(&[Quirk::DuplicateOnReplay]).await;
    let request = body(&s.contract, "PROXY-REPLAY");
    for _ in 0..2 {
        let run = run_client(&s.contract, None, &s.proxy.base_url(), request.clone()).await;
        assert!(matches!(
            run.outcome,
            Some(Ok(ClientOutcome::Success { .. }))
        ));
    }
    let report = s.proxy.report().await;
    assert_named(
        &report,
        Verdict::Fail,
        "answer",
        "identical_replay",
        "DuplicateOnReplay",
    );
    assert_rejudged(&report);
}

/// An answer later than the expected timeout: measured (the proxy waits
/// for it), and named. One request, sent by a patient sender.
#[tokio::test]
async fn a_slow_answer_is_named_on_the_answer_side() {
    let s = setup(&[Quirk::SlowSuccess]).await;
    let creds = Credentials::test_defaults();
    let key = cdm_conformance::simulator::test_signing_key();
    let request = SignedRequest::build(
        &s.contract,
        &creds,
        &key,
        &body(&s.contract, "PROXY-SLOW"),
        &Timestamp::now(),
    );
    let transport = cdm_conformance::transport::Transport::exact(
        Duration::from_secs(30),
        &cdm_conformance::transport::Trust::System,
    )
    .unwrap();
    let exchange = transport.send(&s.proxy.base_url(), &request).await;
    assert_eq!(exchange.outcome.unwrap().status, 200);
    let report = s.proxy.report().await;
    assert_named(
        &report,
        Verdict::Fail,
        "answer",
        "within_expected_timeout",
        "SlowSuccess",
    );
}

/// Another endpoint described by data alone (`--spec`): the proxy judges
/// its path, headers, body and answers from that spec, with no code of its
/// own; a faithful client passes and a faulty one is named.
#[tokio::test]
async fn the_proxy_judges_a_sibling_endpoint_from_its_spec() {
    let contract = cdm_conformance::Contract::from_dir(&crate::common::fixture("sibling-api"))
        .expect("the sibling spec compiles");
    let sim = cdm_conformance::Simulator::start(
        cdm_conformance::simulator::SimConfig::for_contract(contract.clone()),
    )
    .await
    .unwrap();
    for (flaw, verdict) in [
        (None, Verdict::Pass),
        (Some(Flaw::UtcTimestamp), Verdict::Fail),
    ] {
        let proxy =
            cdm_conformance::proxy::Proxy::start(super::options(&contract, &sim.base_url()))
                .await
                .unwrap();
        let request = contract.sample_body(
            &format!("SIB-{flaw:?}"),
            &Credentials::test_defaults().merchant_id,
        );
        let run = run_client(&contract, flaw, &proxy.base_url(), request).await;
        assert!(run.outcome.is_some());
        let report = proxy.report().await;
        assert!(!report.cases.is_empty());
        assert!(
            report.cases.iter().all(|c| c.verdict == verdict),
            "{flaw:?}: {}",
            messages(&report.cases)
        );
        assert!(
            report.cases[0].exchanges[0].url == contract.endpoint().path,
            "{}",
            report.cases[0].exchanges[0].url
        );
        if flaw.is_some() {
            assert_named(
                &report,
                Verdict::Fail,
                "request",
                "x_timestamp",
                "UtcTimestamp",
            );
        }
    }
}

/// The whole server suite through the proxy to the faithful simulator: its
/// deliberately faulty requests (reused keys sent at once, replays,
/// malformed headers and bodies) are all blamed on the request side, and
/// not one answer of the faithful server is blamed, whatever the order in
/// which concurrent requests reached it.
#[tokio::test]
async fn the_server_suite_through_the_proxy_never_blames_a_faithful_server() {
    let s = setup(&[]).await;
    let mut target = cdm_conformance::runner::Target::for_simulator(&s.sim);
    target.base_url = s.proxy.base_url();
    let options = cdm_conformance::runner::RunOptions::local(&s.contract);
    let suite = cdm_conformance::runner::run_suite(&target, &options)
        .await
        .unwrap();
    assert_eq!(suite.summary.failed, 0, "{}", messages(&suite.cases));
    let report = s.proxy.report().await;
    assert!(report.cases.len() > 60, "{}", report.cases.len());
    let blamed: Vec<_> = super::failing(&report, Verdict::Fail)
        .into_iter()
        .chain(super::failing(&report, Verdict::Warn))
        .filter(|(_, side, _)| side == "answer")
        .collect();
    assert!(blamed.is_empty(), "{blamed:?}\n{}", messages(&report.cases));
    // ...and the client side is blamed for what the suite sends on purpose.
    for check in ["x_signature", "unique_reference", "retry_allowed", "body"] {
        assert_named(
            &report,
            Verdict::Fail,
            "request",
            check,
            "the server suite's faults",
        );
    }
    assert_rejudged(&report);
}

/// A server that takes what it must refuse is named: a request whose
/// timestamp is malformed answered with a success (a lax timestamp check),
/// and a forged signature answered with a success (a warning: the
/// proxy's own --public-key could be the wrong one).
#[rstest]
#[case::lax_timestamp(Quirk::LaxTimestamp, Flaw::UtcTimestamp, Verdict::Fail)]
#[case::lax_signature(Quirk::LaxSignature, Flaw::WrongSigningText, Verdict::Warn)]
#[tokio::test]
async fn a_server_taking_what_it_must_refuse_is_named(
    #[case] quirk: Quirk,
    #[case] flaw: Flaw,
    #[case] verdict: Verdict,
) {
    let s = setup(&[quirk]).await;
    run_client(
        &s.contract,
        Some(flaw),
        &s.proxy.base_url(),
        body(&s.contract, &format!("PROXY-{quirk:?}")),
    )
    .await;
    let report = s.proxy.report().await;
    let seen: Vec<_> = report
        .cases
        .iter()
        .flat_map(|c| c.checks.iter())
        .filter(|f| f.check.as_str() == "response_code_expected" && f.verdict == verdict)
        .collect();
    assert!(!seen.is_empty(), "{quirk:?}: {}", messages(&report.cases));
    assert!(
        seen[0]
            .expected
            .contains("a refusal of a request that breaks")
    );
}

/// A proxy report is judged again from its evidence: an untouched one
/// stands; what a case shows, or the answer the client got, edited apart
/// from the evidence is named.
#[rstest]
#[case::shown_status(|r: &mut serde_json::Value| r["cases"][0]["exchanges"][0]["status"] = 500.into(), "the exchanges it shows")]
#[case::shown_body(|r: &mut serde_json::Value| r["cases"][0]["exchanges"][0]["response_body"] = "{}".into(), "the exchanges it shows")]
#[case::client_answer(|r: &mut serde_json::Value| r["cases"][0]["proxied"]["arrival"]["answer"]["status"] = 404.into(), "the answer the client got")]
#[case::flipped(|r: &mut serde_json::Value| r["cases"][0]["verdict"] = "fail".into(), "the report says fail")]
#[tokio::test]
async fn an_edited_proxy_report_is_named(
    #[case] edit: fn(&mut serde_json::Value),
    #[case] says: &str,
) {
    let s = setup(&[]).await;
    run_client(
        &s.contract,
        None,
        &s.proxy.base_url(),
        body(&s.contract, "PROXY-EDIT"),
    )
    .await;
    let report = s.proxy.report().await;
    assert_rejudged(&report);
    let mut json: serde_json::Value = serde_json::from_str(&report.to_json()).unwrap();
    edit(&mut json);
    let key = cdm_conformance::simulator::test_signing_key().verifying_key();
    let judged = cdm_conformance::rejudge::rejudge(&s.contract, &json.to_string(), &key).unwrap();
    assert_eq!(judged.exit_code(), 1, "the edit went unnoticed");
    assert!(
        judged.unsupported.iter().any(|u| u.reason.contains(says)),
        "{:#?}",
        judged.unsupported
    );
}

/// After 4019001, a resend of the same body with a corrected token is what
/// the row's action asks for ("retry request with proper parameter"): not
/// a forbidden resend. The same request again, uncorrected, is.
#[tokio::test]
async fn a_corrected_resend_after_a_refusal_is_allowed() {
    let s = setup(&[]).await;
    let key = cdm_conformance::simulator::test_signing_key();
    let good = Credentials::test_defaults();
    let bad = Credentials {
        access_token: "an-expired-token-0000000000000000000000".into(),
        ..good.clone()
    };
    let transport = cdm_conformance::transport::Transport::exact(
        Duration::from_secs(10),
        &cdm_conformance::transport::Trust::System,
    )
    .unwrap();
    let request = body(&s.contract, "PROXY-CORRECTED");
    for creds in [&bad, &bad, &good] {
        let signed = SignedRequest::build(&s.contract, creds, &key, &request, &Timestamp::now());
        transport.send(&s.proxy.base_url(), &signed).await;
    }
    let report = s.proxy.report().await;
    let retry = |n: usize| {
        report.cases[n]
            .checks
            .iter()
            .find(|f| f.check.as_str() == "retry_allowed")
            .map(|f| f.verdict)
    };
    assert_eq!(retry(1), Some(Verdict::Fail), "{}", messages(&report.cases));
    assert_eq!(retry(2), Some(Verdict::Pass), "{}", messages(&report.cases));
    assert_rejudged(&report);
}

/// A proxy report with exchanges taken out is refused: every arrival is
/// counted.
#[tokio::test]
async fn a_proxy_report_missing_exchanges_is_named() {
    let s = setup(&[]).await;
    for n in 0..3 {
        run_client(
            &s.contract,
            None,
            &s.proxy.base_url(),
            body(&s.contract, &format!("PROXY-GAP-{n}")),
        )
        .await;
    }
    let report = s.proxy.report().await;
    let mut json: serde_json::Value = serde_json::from_str(&report.to_json()).unwrap();
    json["cases"].as_array_mut().unwrap().remove(1);
    json["summary"]["passed"] = 2.into();
    let key = cdm_conformance::simulator::test_signing_key().verifying_key();
    let judged = cdm_conformance::rejudge::rejudge(&s.contract, &json.to_string(), &key).unwrap();
    assert!(
        judged
            .unsupported
            .iter()
            .any(|u| u.reason.contains("3 exchange(s) arrived")),
        "{:#?}",
        judged.unsupported
    );
}

/// After a refusal of a malformed body, the corrected body under the same
/// key may be what "retry request with proper parameter" means: a warning
/// for the client, and the faithful server that processes it is not blamed.
#[tokio::test]
async fn a_corrected_body_after_a_refusal_is_a_warning_not_a_fault() {
    let s = setup(&[]).await;
    let key = cdm_conformance::simulator::test_signing_key();
    let creds = Credentials::test_defaults();
    let transport = cdm_conformance::transport::Transport::exact(
        Duration::from_secs(10),
        &cdm_conformance::transport::Trust::System,
    )
    .unwrap();
    let good = body(&s.contract, "PROXY-FIXED-BODY");
    let mut broken = good.clone();
    broken["merchantId"] = 12345.into();
    for request in [&broken, &good] {
        let signed = SignedRequest::build(&s.contract, &creds, &key, request, &Timestamp::now());
        transport.send(&s.proxy.base_url(), &signed).await;
    }
    let report = s.proxy.report().await;
    let second = &report.cases[1];
    assert_eq!(second.verdict, Verdict::Warn, "{}", messages(&report.cases));
    assert!(
        second.message.starts_with("request unique_reference"),
        "{}",
        second.message
    );
    assert!(
        super::failing(&report, Verdict::Fail)
            .iter()
            .all(|(_, side, _)| side == "request"),
        "{}",
        messages(&report.cases)
    );
}
