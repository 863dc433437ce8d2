//! What the faithful simulator answers: one code per fault, within the
//! contract's set (the choices are listed in the README).

use cdm_conformance::rules;
use cdm_conformance::simulator::{Engine, SimConfig};
use rstest::rstest;
use serde_json::json;

use crate::simulator::{ask, engine, valid};

#[test]
fn a_valid_request_succeeds_with_every_success_field() {
    let (status, code, body) = ask(&engine(), &valid("REF-OK-1"));
    assert_eq!((status, code.as_str()), (200, "2009000"));
    assert_eq!(
        rules::body::response_body(&cdm_conformance::Contract::embedded().spec, &body),
        vec![]
    );
    assert_eq!(body["status"], "ACTIVE");
}

#[rstest]
#[case::content_type_missing(|r: &mut cdm_conformance::SignedRequest| r.remove_header("Content-Type"), "4009002")]
#[case::content_type_text(|r: &mut cdm_conformance::SignedRequest| r.set_header("Content-Type", "text/plain"), "4009000")]
#[case::content_type_with_charset(|r: &mut cdm_conformance::SignedRequest| r.set_header("Content-Type", "Application/JSON; charset=utf-8"), "2009000")]
#[case::timestamp_fraction(|r: &mut cdm_conformance::SignedRequest| r.set_header("X-TIMESTAMP", "2023-09-25T17:57:35.1+07:00"), "4009001")]
#[case::partner_unknown(|r: &mut cdm_conformance::SignedRequest| r.set_header("X-PARTNER-ID", "someone-else"), "4019000")]
#[case::partner_37(|r: &mut cdm_conformance::SignedRequest| r.set_header("X-PARTNER-ID", "p".repeat(37)), "4009001")]
#[case::token_without_bearer(|r: &mut cdm_conformance::SignedRequest| r.set_header("Authorization", "cdmconf-test-token"), "4019001")]
#[case::signature_not_base64(|r: &mut cdm_conformance::SignedRequest| r.set_header("X-SIGNATURE", "***"), "4019000")]
#[case::body_empty(|r: &mut cdm_conformance::SignedRequest| r.body.clear(), "4009000")]
#[case::body_array(|r: &mut cdm_conformance::SignedRequest| r.body = b"[]".to_vec(), "4009000")]
#[case::other_method(|r: &mut cdm_conformance::SignedRequest| r.method = "PUT".into(), "4009000")]
#[case::case_prefixed_path(|r: &mut cdm_conformance::SignedRequest| r.path = format!("/case/abc{}", r.path), "2009000")]
fn one_fault_one_code(
    #[case] spoil: fn(&mut cdm_conformance::SignedRequest),
    #[case] expected: &str,
) {
    let mut request = valid("REF-FAULT-1");
    spoil(&mut request);
    let (status, code, _) = ask(&engine(), &request);
    assert_eq!(code, expected);
    assert_eq!(
        status.to_string(),
        code[..3],
        "HTTP status matches the code"
    );
}

#[rstest]
#[case::missing(None, "4009002")]
#[case::null(Some(json!(null)), "4009002")]
#[case::empty(Some(json!("")), "4009002")]
#[case::number(Some(json!(7)), "4009001")]
#[case::at_limit_unknown(Some(json!("m".repeat(64))), "4049008")]
#[case::over_limit(Some(json!("m".repeat(65))), "4009001")]
fn merchant_id_answers(#[case] value: Option<serde_json::Value>, #[case] expected: &str) {
    let mut request = valid("REF-MERCHANT-1");
    let mut body: serde_json::Value = serde_json::from_slice(&request.body).unwrap();
    match value {
        Some(v) => body["merchantId"] = v,
        None => {
            body.as_object_mut().unwrap().remove("merchantId");
        }
    }
    request.body = serde_json::to_vec(&body).unwrap();
    assert_eq!(ask(&engine(), &request).1, expected);
}

#[test]
fn a_reference_is_remembered() {
    let engine = engine();
    let first = valid("REF-MEM-1");
    let (_, code, body) = ask(&engine, &first);
    assert_eq!(code, "2009000");
    // An identical replay gets the first answer again, same cdmReferenceId.
    let replay = valid("REF-MEM-1");
    let (_, again, body2) = ask(&engine, &replay);
    assert_eq!(
        (again.as_str(), &body2["cdmReferenceId"]),
        ("2009000", &body["cdmReferenceId"])
    );
    // Another body with the same reference is inconsistent.
    let mut other = valid("REF-MEM-1");
    let mut b: serde_json::Value = serde_json::from_slice(&other.body).unwrap();
    b["additionalInfo"]["regionNo"] = json!("99999");
    other.body = serde_json::to_vec(&b).unwrap();
    assert_eq!(ask(&engine, &other).1, "4049018");
}

#[test]
fn a_burst_past_the_limit_draws_4299000() {
    let mut config = SimConfig::test_defaults();
    config.rate_burst = std::num::NonZeroU32::new(5).unwrap();
    config.rate_per_second = std::num::NonZeroU32::new(1).unwrap();
    let engine = Engine::new(config);
    let codes: Vec<String> = (0..8)
        .map(|i| ask(&engine, &valid(&format!("REF-RATE-{i}"))).1)
        .collect();
    assert_eq!(&codes[..5], ["2009000"; 5]);
    assert!(codes[5..].iter().all(|c| c == "4299000"), "{codes:?}");
}

#[test]
fn a_body_above_the_cap_is_refused() {
    let mut request = valid("REF-BIG-1");
    request.body = vec![b' '; 64 * 1024 + 1];
    let (status, code, _) = ask(&engine(), &request);
    assert_eq!((status, code.as_str()), (400, "4009000"));
}

#[test]
fn every_answer_carries_the_response_headers() {
    let answer = engine().answer(&crate::simulator::incoming(&valid("REF-HDR-1")));
    let names: Vec<&str> = answer.headers.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names, ["Content-Type", "X-TIMESTAMP"]);
    cdm_conformance::Timestamp::parse(&answer.headers[1].1).unwrap();
}

#[tokio::test]
async fn scripted_cases_answer_step_by_step() {
    use cdm_conformance::simulator::{Simulator, Step};
    use std::time::Duration;
    let sim = Simulator::start(SimConfig::test_defaults()).await.unwrap();
    let code = |c: &str| Step::Code(c.parse().unwrap());
    sim.engine().script(
        "abc",
        vec![
            code("5009001"),
            Step::Raw {
                status: 502,
                content_type: Some("text/html".into()),
                body: b"<html>502</html>".to_vec(),
            },
            Step::Delay(Duration::from_millis(300), Box::new(code("2009000"))),
        ],
    );
    let transport =
        cdm_conformance::transport::Transport::exact(Duration::from_secs(10), &Default::default())
            .unwrap();
    let request = valid("REF-SCRIPT-1");
    let base = format!("{}/case/abc", sim.base_url());
    let mut seen = vec![];
    for _ in 0..4 {
        let e = transport.send(&base, &request).await;
        let r = e.outcome.unwrap();
        let success = String::from_utf8_lossy(&r.body).contains("2009000");
        seen.push((r.status, success, e.elapsed_ms >= 300));
    }
    // 500, then the raw 502, then the delayed success, which repeats.
    assert_eq!(seen[0].0, 500);
    assert_eq!(seen[1].0, 502);
    assert_eq!(seen[2], (200, true, true));
    assert_eq!(seen[3], (200, true, true));
    assert_eq!(sim.engine().attempts("abc"), 4);
}
