//! `rejudge`: a certification report is judged again from its evidence.
//! An untouched one gives the same verdicts; every kind of edit is named,
//! case by case; the operator's mistakes (another key, another kind of
//! report, not a report) are refused as such.

use std::sync::Arc;

use cdm_conformance::certify::{CertifyOptions, certify};
use cdm_conformance::client::ReferenceClient;
use cdm_conformance::rejudge::{RejudgeError, rejudge};
use cdm_conformance::simulator::test_signing_key;
use cdm_conformance::{Contract, TEST_PUBLIC_KEY_PEM};
use rstest::rstest;
use serde_json::Value;
use tokio::sync::OnceCell;

/// One certification of a few cases, shared by the tests (its JSON).
async fn certified() -> &'static Value {
    static REPORT: OnceCell<Value> = OnceCell::const_new();
    REPORT
        .get_or_init(|| async {
            let contract = Contract::embedded();
            let client = Arc::new(ReferenceClient::new(contract.clone(), test_signing_key()));
            let options = CertifyOptions {
                cases: Some("code.4".into()),
                ..CertifyOptions::test_defaults(contract)
            };
            let report = certify(client, &options).await.unwrap();
            serde_json::from_str(&report.to_json()).unwrap()
        })
        .await
}

fn key() -> cdm_conformance::wire::VerifyingKey {
    cdm_conformance::wire::VerifyingKey::from_pem_or_base64(TEST_PUBLIC_KEY_PEM).unwrap()
}

fn judge(report: &Value) -> Result<cdm_conformance::rejudge::Rejudged, RejudgeError> {
    rejudge(&Contract::embedded(), &report.to_string(), &key())
}

fn case_mut<'a>(report: &'a mut Value, id: &str) -> &'a mut Value {
    report["cases"]
        .as_array_mut()
        .unwrap()
        .iter_mut()
        .find(|c| c["id"] == id)
        .unwrap_or_else(|| panic!("no case {id}"))
}

fn header_mut<'a>(arrival: &'a mut Value, name: &str) -> &'a mut Value {
    arrival["request"]["headers"]
        .as_array_mut()
        .unwrap()
        .iter_mut()
        .find(|h| h[0].as_str().unwrap().eq_ignore_ascii_case(name))
        .map(|h| &mut h[1])
        .unwrap_or_else(|| panic!("no header {name}"))
}

#[tokio::test]
async fn an_untouched_report_is_judged_to_the_same_verdicts() {
    let report = certified().await;
    let judged = judge(report).unwrap();
    assert!(judged.unsupported.is_empty(), "{:#?}", judged.unsupported);
    assert_eq!(judged.cases, report["cases"].as_array().unwrap().len());
    // Every attempt's signature verified again, under the given key.
    assert!(judged.signatures_valid >= judged.cases, "{judged:?}");
    assert_eq!(judged.signatures_invalid, 0);
    assert_eq!(judged.exit_code(), 0);
}

/// Each edit, and the words that name it in the one place it is reported.
#[rstest]
#[case::flipped_verdict(
    |r: &mut Value| case_mut(r, "code.4009001")["verdict"] = "fail".into(),
    "code.4009001",
    "the report says fail, its evidence gives pass"
)]
#[case::edited_signature(
    |r: &mut Value| {
        let arrival = &mut case_mut(r, "code.4009001")["evidence"]["arrivals"][0];
        let sig = header_mut(arrival, "X-SIGNATURE");
        let mut text = sig.as_str().unwrap().to_owned();
        let first = if text.starts_with('A') { "B" } else { "A" };
        text.replace_range(..1, first);
        *sig = text.into();
    },
    "code.4009001",
    "x_signature"
)]
#[case::edited_timestamp(
    |r: &mut Value| {
        let arrival = &mut case_mut(r, "code.4009001")["evidence"]["arrivals"][0];
        let ts = header_mut(arrival, "X-TIMESTAMP");
        let text = ts.as_str().unwrap().replace("+07:00", "+07:01");
        *ts = text.into();
    },
    "code.4009001",
    "evidence gives fail"
)]
#[case::edited_request_body(
    |r: &mut Value| {
        let arrival = &mut case_mut(r, "code.4009001")["evidence"]["arrivals"][0];
        let body = arrival["request"]["body"].as_str().unwrap().replacen(":", ": 1,\"x\":", 1);
        arrival["request"]["body"] = body.into();
    },
    "code.4009001",
    "evidence gives fail"
)]
#[case::edited_outcome(
    |r: &mut Value| case_mut(r, "code.4009001")["client"]["outcome"]["responseCode"] = "4009002".into(),
    "code.4009001",
    "client_outcome"
)]
#[case::removed_evidence(
    |r: &mut Value| case_mut(r, "code.4009001")["evidence"] = Value::Null,
    "code.4009001",
    "no evidence recorded"
)]
#[case::flipped_check(
    |r: &mut Value| {
        let case = case_mut(r, "code.4009001");
        let last = case["checks"].as_array().unwrap().len() - 1;
        case["checks"][last]["verdict"] = "warn".into();
    },
    "code.4009001",
    "its checks differ"
)]
#[case::edited_summary(
    |r: &mut Value| r["summary"]["passed"] = 99.into(),
    "report",
    "does not count its cases"
)]
#[case::certification_upgraded(
    |r: &mut Value| r["certification"] = "certified".into(),
    "report",
    "its certification reads \"certified\", its cases and key give \"partial\""
)]
#[case::subset_claimed_complete(
    |r: &mut Value| r["complete"] = true.into(),
    "report",
    "it says complete true, but its settings say cases \"code.4\""
)]
#[case::failures_dropped_as_a_subset(
    |r: &mut Value| {
        r["settings"]["cases"] = "all".into();
    },
    "report",
    "it says complete false, but its settings say cases \"all\""
)]
#[case::duplicated_case(
    |r: &mut Value| {
        let first = r["cases"][0].clone();
        r["cases"].as_array_mut().unwrap().push(first);
    },
    "report",
    "appears more than once"
)]
#[case::test_key_denied(
    |r: &mut Value| r["test_key"] = false.into(),
    "report",
    "it says test_key false"
)]
#[case::no_completeness(
    |r: &mut Value| {
        r.as_object_mut().unwrap().remove("complete");
    },
    "report",
    "does not say whether it is complete"
)]
#[case::case_from_another_run(
    |r: &mut Value| {
        let handed = &mut case_mut(r, "code.4009001")["evidence"]["handed"]["request"];
        let key = handed["partnerReferenceNo"].as_str().unwrap().to_owned();
        let (prefix, rest) = key.split_once('-').unwrap();
        let (_, n) = rest.split_once('-').unwrap();
        handed["partnerReferenceNo"] = format!("{prefix}-0BADC0DE-{n}").into();
    },
    "code.4009001",
    "from another run"
)]
#[case::request_outside_the_run(
    |r: &mut Value| {
        case_mut(r, "code.4009001")["evidence"]["arrivals"][0]["at"] = "2020-01-01T00:00:00Z".into();
    },
    "code.4009001",
    "outside this run"
)]
#[case::invented_case(
    |r: &mut Value| case_mut(r, "code.4009001")["id"] = "code.4000000".into(),
    "code.4000000",
    "no scenario of this id"
)]
#[tokio::test]
async fn an_edited_report_is_refused_naming_the_edit(
    #[case] edit: fn(&mut Value),
    #[case] where_: &str,
    #[case] says: &str,
) {
    let mut report = certified().await.clone();
    edit(&mut report);
    let judged = judge(&report).unwrap();
    assert_eq!(judged.exit_code(), 1, "the edit went unnoticed");
    assert!(
        judged
            .unsupported
            .iter()
            .any(|u| u.case == where_ && u.reason.contains(says)),
        "expected {where_}: ...{says}..., got {:#?}",
        judged.unsupported
    );
}

#[tokio::test]
async fn another_key_is_the_operators_mistake_not_an_edit() {
    let report = certified().await;
    let other = cdm_conformance::wire::VerifyingKey::from_pem_or_base64(
        cdm_conformance::testkeys::OTHER_PUBLIC_KEY_PEM,
    )
    .unwrap();
    let err = rejudge(&Contract::embedded(), &report.to_string(), &other).unwrap_err();
    assert!(
        matches!(err, RejudgeError::OtherKey { .. }),
        "{err}: not named as another key"
    );
    assert!(
        err.to_string().contains("pass the partner's public key"),
        "{err}"
    );
}

#[rstest]
#[case::not_json("{", "not a report of this harness")]
#[case::no_cases(r#"{"mode":"client"}"#, "not a report of this harness")]
#[case::server_report(
    r#"{"mode":"server","verdict":"pass","summary":{"passed":0,"failed":0,"warned":0,"skipped":0,"info":0},"cases":[]}"#,
    "a server report keeps no evidence"
)]
fn what_is_not_a_certification_report_is_refused(#[case] text: &str, #[case] says: &str) {
    let err = rejudge(&Contract::embedded(), text, &key()).unwrap_err();
    assert!(err.to_string().contains(says), "{err}");
}

/// A client that sends the access token in the body: the token is scrubbed
/// from the evidence before it is judged, so the report carries no token
/// and is judged again to the very verdicts it carries.
#[tokio::test]
async fn a_token_in_the_body_is_scrubbed_before_it_is_judged() {
    let contract = Contract::embedded();
    let cmd = r#"CDM_REQUEST=$(python3 -c 'import json,os; r=json.loads(os.environ["CDM_REQUEST"]); r["partnerReferenceNo"]=os.environ["CDM_ACCESS_TOKEN"]; print(json.dumps(r))') python3 examples/python/adapter.py"#;
    let client = Arc::new(cdm_conformance::client::CommandClient::new(cmd));
    let options = CertifyOptions {
        cases: Some("code.2009000".into()),
        ..CertifyOptions::test_defaults(contract.clone())
    };
    let token = options.credentials.access_token.clone();
    let report = certify(client, &options).await.unwrap();
    assert_eq!(
        report.cases[0].verdict,
        cdm_conformance::verdict::Verdict::Fail
    );
    let json = report.to_json();
    assert!(!json.contains(&token), "the token is in the report");
    crate::power::assert_rejudged(&report);
}
