//! The API text's codes, names and limits, listed here by hand, independently
//! of `specs/api.toml`: a slip in either shows up as a failing named case.

use cdm_conformance::Spec;
use cdm_conformance::spec::{ClientPolicy, FieldType, Length, Required, RetryClass};
use rstest::rstest;

fn spec() -> &'static Spec {
    static CONTRACT: std::sync::OnceLock<std::sync::Arc<cdm_conformance::Contract>> =
        std::sync::OnceLock::new();
    &CONTRACT
        .get_or_init(cdm_conformance::Contract::embedded)
        .spec
}

#[test]
fn endpoint_matches_the_specification_table() {
    let e = &spec().endpoint;
    assert_eq!(e.method, "POST");
    assert_eq!(e.path, "/v2.0/cdm/cdm-mpm-generate");
    assert_eq!(e.service_code, "90");
    assert_eq!(e.content_type, "application/json");
    assert_eq!(e.accept, "application/json");
    assert_eq!(e.expected_timeout_ms, 8_000);
}

#[rstest]
#[case::content_type(1, "Content-Type", Length::Variable { max: Some(127) })]
#[case::authorization(2, "Authorization", Length::Variable { max: Some(2048) })]
#[case::x_timestamp(3, "X-TIMESTAMP", Length::Fixed { len: 25 })]
#[case::x_signature(4, "X-SIGNATURE", Length::Variable { max: None })]
#[case::x_partner_id(5, "X-PARTNER-ID", Length::Variable { max: Some(36) })]
fn request_header_row(#[case] row: u32, #[case] name: &str, #[case] length: Length) {
    let h = spec().request_header(name).expect("header in specs/");
    assert_eq!(
        (h.row, h.length, h.required),
        (row, length, Required::Mandatory)
    );
}

#[test]
fn request_header_table_has_exactly_five_rows() {
    assert_eq!(spec().request_headers.len(), 5);
}

#[rstest]
#[case::content_type(1, "Content-Type", Length::Variable { max: Some(127) })]
#[case::x_timestamp(2, "X-TIMESTAMP", Length::Fixed { len: 25 })]
fn response_header_row(#[case] row: u32, #[case] name: &str, #[case] length: Length) {
    let h = spec().response_header(name).expect("header in specs/");
    assert_eq!(
        (h.row, h.length, h.required),
        (row, length, Required::Mandatory)
    );
    assert_eq!(spec().response_headers.len(), 2);
}

#[rstest]
#[case::partner_reference_no(1, "partnerReferenceNo", FieldType::String, Some(50))]
#[case::merchant_id(3, "merchantId", FieldType::String, Some(64))]
#[case::additional_info(6, "additionalInfo", FieldType::Object, None)]
fn request_body_row(
    #[case] row: u32,
    #[case] name: &str,
    #[case] ty: FieldType,
    #[case] max: Option<usize>,
) {
    let f = spec().request_field(name).expect("field in specs/");
    assert_eq!(
        (f.row, f.ty, f.length.max(), f.required),
        (row, ty, max, Required::Mandatory)
    );
    assert_eq!(spec().request_fields.len(), 3);
}

#[rstest]
#[case::response_code(1, "responseCode", Some(7), Required::Mandatory)]
#[case::response_message(2, "responseMessage", Some(150), Required::Mandatory)]
#[case::cdm_reference_id(3, "cdmReferenceId", Some(512), Required::OnSuccess)]
#[case::cdm_qrcode(4, "cdmQrcode", Some(512), Required::OnSuccess)]
#[case::status(5, "status", Some(512), Required::OnSuccess)]
fn response_body_row(
    #[case] row: u32,
    #[case] name: &str,
    #[case] max: Option<usize>,
    #[case] required: Required,
) {
    let f = spec().response_field(name).expect("field in specs/");
    assert_eq!((f.row, f.length.max(), f.required), (row, max, required));
    assert_eq!(spec().response_fields.len(), 5);
}

#[test]
fn status_allows_active_and_inactive_only() {
    let status = spec().response_field("status").unwrap();
    let mut values = status.values.clone();
    values.sort();
    assert_eq!(values, ["ACTIVE", "INACTIVE"]);
}

#[test]
fn additional_info_sample_has_the_seven_sample_keys() {
    let names: Vec<&str> = spec().request_sample["additionalInfo"]
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(
        names,
        [
            "channelCode",
            "notifyUrl",
            "regionNo",
            "branchNo",
            "courierNo",
            "courierName",
            "courierMobile"
        ]
    );
}

#[rstest]
#[case::successful(1, "2009000", 200, "Successful", ClientPolicy::Done)]
#[case::bad_request(3, "4009000", 400, "Bad Request", ClientPolicy::NoResend)]
#[case::invalid_field_format(4, "4009001", 400, "Invalid Field Format", ClientPolicy::NoResend)]
#[case::invalid_mandatory_field(
    5,
    "4009002",
    400,
    "Invalid Mandatory Field",
    ClientPolicy::NoResend
)]
#[case::unauthorized(6, "4019000", 401, "Unauthorized. [reason]", ClientPolicy::NoResend)]
#[case::invalid_token(7, "4019001", 401, "Invalid Token (B2B)", ClientPolicy::NoResend)]
#[case::exceeds_amount_limit(
    8,
    "4039002",
    403,
    "Exceeds Transaction Amount Limit",
    ClientPolicy::NoResend
)]
#[case::do_not_honor(9, "4039005", 403, "Do Not Honor", ClientPolicy::NoResend)]
#[case::not_permitted(
    10,
    "4039015",
    403,
    "Transaction Not Permitted.[reason]",
    ClientPolicy::MayRetry
)]
#[case::invalid_merchant(11, "4049008", 404, "Invalid Merchant", ClientPolicy::NoResend)]
#[case::inconsistent_request(12, "4049018", 404, "Inconsistent Request", ClientPolicy::NoResend)]
#[case::too_many_requests(13, "4299000", 429, "Too Many Requests", ClientPolicy::MayRetry)]
#[case::general_error(14, "5009000", 500, "General Error", ClientPolicy::MayRetry)]
#[case::internal_server_error(15, "5009001", 500, "Internal Server Error", ClientPolicy::MayRetry)]
fn response_code_row(
    #[case] row: u32,
    #[case] code: &str,
    #[case] status: u16,
    #[case] message: &str,
    #[case] policy: ClientPolicy,
) {
    let c = spec().response_code(code).expect("code in specs/");
    assert_eq!(
        (c.row, c.http_status, c.message.as_str()),
        (row, status, message)
    );
    assert_eq!(
        spec().client_policy(&c.code),
        Some(policy),
        "the client policy after the interpretations' overrides"
    );
}

#[test]
fn code_table_has_fourteen_codes_and_two_conditions() {
    assert_eq!(spec().response_codes.len(), 14);
    let rows: Vec<u32> = spec().response_conditions.iter().map(|c| c.row).collect();
    assert_eq!(rows, [16, 17]);
    assert!(
        spec()
            .response_conditions
            .iter()
            .all(|c| c.retry == RetryClass::Limited)
    );
}

#[rstest]
#[case::unauthorized("4019000", "Unauthorized.")]
#[case::not_permitted("4039015", "Transaction Not Permitted.")]
#[case::plain("4049008", "Invalid Merchant")]
fn message_prefix_stops_at_the_reason_placeholder(#[case] code: &str, #[case] prefix: &str) {
    assert_eq!(spec().response_code(code).unwrap().message_prefix(), prefix);
}

#[test]
fn contract_limits() {
    let i = &spec().interpretations;
    assert_eq!(i.client.timestamp_drift_seconds, 300);
    assert_eq!(i.client.max_retries, 3);
    assert_eq!(i.client.min_retries_when_required, 1);
    assert_eq!(i.client.adapter_deadline_ms, 90_000);
    assert_eq!(i.server.default_concurrency, 4);
    assert_eq!(i.server.default_rate_per_second, 50);
    assert_eq!(i.wire.authorization_prefix, "Bearer ");
    assert_eq!(i.wire.signing_text_separator, "|");
    assert_eq!(i.roles.idempotency_key, "partnerReferenceNo");
    assert_eq!(i.roles.merchant, "merchantId");
}

#[rstest]
#[case::valid("request.valid", &["2009000"])]
#[case::reference_at_limit("body.partnerReferenceNo.at_limit", &["2009000"])]
#[case::content_type_missing("header.Content-Type.missing", &["4009000", "4009001", "4009002"])]
#[case::authorization_missing("header.Authorization.missing", &["4009002", "4019000", "4019001"])]
#[case::authorization_no_bearer("header.Authorization.no_bearer_prefix", &["4019001", "4019000"])]
#[case::authorization_unknown("header.Authorization.unknown", &["4019001"])]
#[case::timestamp_missing("header.X-TIMESTAMP.missing", &["4009002", "4019000"])]
#[case::timestamp_utc_z("header.X-TIMESTAMP.utc_z", &["4009001", "4009002", "4019000"])]
#[case::signature_missing("header.X-SIGNATURE.missing", &["4009002", "4019000"])]
#[case::signature_other_key("header.X-SIGNATURE.other_key", &["4019000"])]
#[case::partner_missing("header.X-PARTNER-ID.missing", &["4009002", "4019000"])]
#[case::partner_unknown("header.X-PARTNER-ID.unknown", &["4019000", "4019001", "4049008"])]
#[case::partner_over_limit("header.X-PARTNER-ID.over_limit", &["4009001", "4009002", "4019000"])]
#[case::body_empty("request.body_empty", &["4009000", "4009001", "4009002"])]
#[case::field_missing("body.additionalInfo.missing", &["4009002"])]
#[case::field_null("body.merchantId.null", &["4009001", "4009002"])]
#[case::field_wrong_type("body.additionalInfo.wrong_type", &["4009001", "4009002"])]
#[case::reference_over_limit("body.partnerReferenceNo.over_limit", &["4009001", "4009002"])]
#[case::merchant_unknown("body.merchantId.unknown", &["4049008"])]
#[case::merchant_at_limit("body.merchantId.at_limit", &["4049008"])]
#[case::reused_reference("business.reused_reference", &["4049018"])]
fn contract_expectation(#[case] fault: &str, #[case] codes: &[&str]) {
    let fault = fault.parse().expect("fault name");
    let e = spec()
        .expectation(&fault)
        .expect("a contract row covers the fault");
    let mut got: Vec<&str> = e.codes.iter().map(|c| c.as_str()).collect();
    let mut want = codes.to_vec();
    got.sort();
    want.sort();
    assert_eq!(got, want, "{}", e.rule);
}
