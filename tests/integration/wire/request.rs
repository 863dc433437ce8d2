//! The exact signed request, snapshotted: any change to the wire format shows up in review.

use cdm_conformance::wire::{Credentials, SignedRequest, SigningKey, Timestamp};
use cdm_conformance::{TEST_PRIVATE_KEY_PEM, rules};

use crate::snap;

/// The fixed inputs of every snapshot here: test key, test credentials, the
/// API text's example timestamp and a fixed reference.
fn fixed() -> (Credentials, SignedRequest) {
    let key = SigningKey::from_pem_or_base64(TEST_PRIVATE_KEY_PEM).unwrap();
    let creds = Credentials::test_defaults();
    let body = cdm_conformance::Contract::embedded()
        .sample_body("test202310457895245", &creds.merchant_id);
    let ts = Timestamp::parse("2023-09-25T17:57:35+07:00").unwrap();
    let request = SignedRequest::build(
        &cdm_conformance::Contract::embedded(),
        &creds,
        &key,
        &body,
        &ts,
    );
    (creds, request)
}

#[test]
fn signing_text_snapshot() {
    let (creds, request) = fixed();
    snap!(
        "wire_signing_text",
        cdm_conformance::Contract::embedded()
            .signing_text(&creds.client_key, request.header("X-TIMESTAMP").unwrap())
    );
}

#[test]
fn headers_snapshot() {
    let (creds, request) = fixed();
    let lines: Vec<String> = request
        .headers
        .iter()
        .map(|(n, v)| format!("{n}: {v}"))
        .collect();
    snap!(
        "wire_headers",
        lines
            .join("\n")
            .replace(&creds.access_token, "<ACCESS_TOKEN>")
    );
}

#[test]
fn whole_request_snapshot() {
    // Exact but for the access token, which no snapshot may carry.
    let (creds, request) = fixed();
    let wire = request.render_http("127.0.0.1:8080");
    assert!(wire.contains(&format!("Authorization: Bearer {}\r\n", creds.access_token)));
    snap!(
        "wire_request",
        wire.replace(&creds.access_token, "<ACCESS_TOKEN>")
            .replace("\r\n", "⏎\n")
    );
}

#[test]
fn redacted_request_snapshot() {
    let (creds, request) = fixed();
    let shown = request.redacted().render_http("127.0.0.1:8080");
    assert!(!shown.contains(&creds.access_token));
    snap!("wire_request_redacted", shown.replace("\r\n", "⏎\n"));
}

#[test]
fn headers_follow_the_header_table_order() {
    let (_, request) = fixed();
    let names: Vec<&str> = request.headers.iter().map(|(n, _)| n.as_str()).collect();
    let contract = cdm_conformance::Contract::embedded();
    let table: Vec<&str> = contract
        .spec
        .request_headers
        .iter()
        .map(|h| h.name.as_str())
        .collect();
    assert_eq!(names, table);
}

#[test]
fn the_built_body_passes_the_body_table() {
    let (_, request) = fixed();
    let body: serde_json::Value = serde_json::from_slice(&request.body).unwrap();
    assert_eq!(
        rules::body::request_body(&cdm_conformance::Contract::embedded().spec, &body),
        vec![]
    );
}

#[test]
fn the_signature_covers_the_header_timestamp() {
    let (creds, request) = fixed();
    let key = SigningKey::from_pem_or_base64(TEST_PRIVATE_KEY_PEM).unwrap();
    let text = cdm_conformance::Contract::embedded()
        .signing_text(&creds.client_key, request.header("x-timestamp").unwrap());
    key.verifying_key()
        .verify(&text, request.header("X-Signature").unwrap())
        .unwrap();
}

#[test]
fn set_header_replaces_every_copy_and_remove_header_drops_them() {
    let (_, mut request) = fixed();
    request
        .headers
        .push(("content-type".into(), "text/plain".into()));
    request.set_header("CONTENT-TYPE", "application/xml");
    let copies: Vec<&str> = request
        .headers
        .iter()
        .filter(|(n, _)| n.eq_ignore_ascii_case("content-type"))
        .map(|(_, v)| v.as_str())
        .collect();
    assert_eq!(copies, ["application/xml"]);
    request.remove_header("Content-Type");
    assert_eq!(request.header("content-type"), None);
}
