//! Compiling refuses, when the spec loads, every entry that cannot be
//! applied as written: the file, the entry and the reason are named. A fault
//! that compiled is applied exactly (`power::sibling` and the suite prove
//! it); none can fall through to "send the request unchanged".

use cdm_conformance::Contract;
use cdm_conformance::contract::{FieldChange, Mutation, PadBase, SignatureForm, TimestampForm};
use cdm_conformance::spec::{API_TOML, ERRATA_TOML, FieldType, INTERPRETATIONS_TOML, Spec};
use rstest::rstest;

fn edit(text: &str, from: &str, to: &str) -> String {
    assert!(text.contains(from), "fixture edit: {from:?} not found");
    text.replacen(from, to, 1)
}

/// Loads and compiles the built-in spec with one edit; the error's text.
fn refusal(file: &str, from: &str, to: &str) -> String {
    let (mut api, mut interp) = (API_TOML.to_owned(), INTERPRETATIONS_TOML.to_owned());
    match file {
        "api" => api = edit(&api, from, to),
        _ => interp = edit(&interp, from, to),
    }
    match Spec::from_texts(&api, &interp, ERRATA_TOML).and_then(Contract::compile) {
        Ok(_) => panic!("the edit {to:?} must be refused"),
        Err(e) => e.to_string(),
    }
}

#[rstest]
#[case::valid("request.valid", Mutation::Valid)]
#[case::utc_z(
    "header.X-TIMESTAMP.utc_z",
    Mutation::Timestamp { header: "X-TIMESTAMP".into(), form: TimestampForm::UtcZ }
)]
#[case::other_text(
    "header.X-SIGNATURE.other_text",
    Mutation::Signature { header: "X-SIGNATURE".into(), form: SignatureForm::OtherText }
)]
#[case::partner_over_limit(
    "header.X-PARTNER-ID.over_limit",
    Mutation::HeaderOverLimit { header: "X-PARTNER-ID".into(), len: 37 }
)]
#[case::unknown_partner("header.X-PARTNER-ID.unknown", Mutation::UnknownPartner { header: "X-PARTNER-ID".into() })]
#[case::unknown_token("header.Authorization.unknown", Mutation::UnknownToken { header: "Authorization".into() })]
#[case::reference_at_limit(
    "body.partnerReferenceNo.at_limit",
    Mutation::Field { path: "partnerReferenceNo".into(), change: FieldChange::Padded { len: 50, base: PadBase::Reference } }
)]
#[case::merchant_over_limit(
    "body.merchantId.over_limit",
    Mutation::Field { path: "merchantId".into(), change: FieldChange::Padded { len: 65, base: PadBase::UnknownMerchant } }
)]
#[case::empty_object(
    "body.additionalInfo.empty",
    Mutation::Field { path: "additionalInfo".into(), change: FieldChange::Empty(FieldType::Object) }
)]
#[case::empty_string(
    "body.merchantId.empty",
    Mutation::Field { path: "merchantId".into(), change: FieldChange::Empty(FieldType::String) }
)]
#[case::unknown_merchant(
    "body.merchantId.unknown",
    Mutation::Field { path: "merchantId".into(), change: FieldChange::UnknownMerchant }
)]
fn each_fault_compiles_to_exactly_what_it_names(#[case] fault: &str, #[case] expected: Mutation) {
    let contract = Contract::embedded();
    let fault = fault.parse().unwrap();
    assert_eq!(contract.mutation(&fault), Some(&expected));
}

// The two edits of the issue that once ran silently: one sent the request
// unchanged and failed a faithful server, the other spoiled X-TIMESTAMP and
// passed while citing Content-Type.
#[test]
fn an_empty_partner_id_header_fault_is_refused_at_load() {
    let err = refusal(
        "interpretations",
        "faults = [\"header.X-PARTNER-ID.missing\"]",
        "faults = [\"header.X-PARTNER-ID.missing\", \"header.X-PARTNER-ID.empty\"]",
    );
    assert_eq!(
        err,
        "interpretations.toml: expectation \"X-PARTNER-ID missing\": fault header.X-PARTNER-ID.empty cannot be applied: empty applies to a body field of type string or object, and X-PARTNER-ID is a request header of format identifier"
    );
}

#[test]
fn a_timestamp_fault_on_content_type_is_refused_at_load() {
    let err = refusal(
        "interpretations",
        "\"header.X-TIMESTAMP.utc_z\",",
        "\"header.X-TIMESTAMP.utc_z\", \"header.Content-Type.utc_z\",",
    );
    assert_eq!(
        err,
        "interpretations.toml: expectation \"X-TIMESTAMP malformed (UTC Z, fraction, no offset, another offset, not a date)\": fault header.Content-Type.utc_z cannot be applied: utc_z applies to a header of format jakarta_timestamp, and Content-Type is a request header of format content_type_json"
    );
}

#[rstest]
#[case::signature_fault_on_a_timestamp(
    "\"header.X-SIGNATURE.not_base64\"",
    "\"header.X-TIMESTAMP.not_base64\"",
    "not_base64 applies to a header of format rsa_signature"
)]
#[case::unknown_on_a_field_that_is_not_the_merchant(
    "\"body.merchantId.unknown\"",
    "\"body.partnerReferenceNo.unknown\"",
    "partnerReferenceNo is a request field of type String"
)]
#[case::over_limit_on_an_object(
    "\"body.merchantId.over_limit\"",
    "\"body.additionalInfo.over_limit\"",
    "over_limit applies to a header of format identifier with a maximum length, or a string body field with a maximum length"
)]
#[case::over_limit_on_a_header_without_limit(
    "\"header.X-PARTNER-ID.over_limit\"",
    "\"header.X-SIGNATURE.over_limit\"",
    "X-SIGNATURE is a request header of format rsa_signature"
)]
#[case::bearer_fault_on_content_type(
    "\"header.Authorization.no_bearer_prefix\"",
    "\"header.Content-Type.no_bearer_prefix\"",
    "no_bearer_prefix applies to a header of format bearer_token"
)]
#[case::business_kind_on_the_request(
    "\"business.reused_reference\"",
    "\"request.reused_reference\"",
    "reused_reference applies to the business rules"
)]
#[case::request_kind_on_a_header(
    "\"request.body_empty\"",
    "\"header.Content-Type.body_empty\"",
    "body_empty applies to the request as a whole"
)]
#[case::timestamp_kind_on_a_body_field(
    "\"body.merchantId.null\"",
    "\"body.merchantId.fraction\"",
    "fraction applies to a header of format jakarta_timestamp"
)]
fn a_fault_on_a_target_it_does_not_fit_is_refused(
    #[case] from: &str,
    #[case] to: &str,
    #[case] reason: &str,
) {
    let err = refusal("interpretations", from, to);
    assert!(err.starts_with("interpretations.toml: "), "{err}");
    assert!(err.contains("cannot be applied"), "{err}");
    assert!(err.contains(reason), "{err:?} should say {reason:?}");
}

#[rstest]
#[case::another_signature_algorithm(
    "interpretations",
    "signature_algorithm = \"SHA256withRSA\"",
    "signature_algorithm = \"SHA512withRSA\"",
    "unknown variant `SHA512withRSA`"
)]
#[case::role_names_no_field(
    "interpretations",
    "merchant = \"merchantId\"",
    "merchant = \"storeId\"",
    "interpretations.toml: roles.merchant: unknown request field \"storeId\""
)]
#[case::role_on_an_object(
    "interpretations",
    "idempotency_key = \"partnerReferenceNo\"",
    "idempotency_key = \"additionalInfo\"",
    "roles.idempotency_key: \"additionalInfo\" must be a string field"
)]
#[case::reuse_variant_on_the_key(
    "interpretations",
    "field = \"additionalInfo.regionNo\"",
    "field = \"partnerReferenceNo\"",
    "roles.reuse_variant"
)]
#[case::reuse_variant_on_no_sample_value(
    "interpretations",
    "field = \"additionalInfo.regionNo\"",
    "field = \"additionalInfo.planet\"",
    "must be a string of the request sample"
)]
#[case::simulator_answer_not_in_the_table(
    "interpretations",
    "invalid_merchant = \"4049008\"",
    "invalid_merchant = \"4049009\"",
    "simulator.invalid_merchant: unknown response code \"4049009\""
)]
#[case::unexpected_answer_without_its_field(
    "interpretations",
    "field = \"cdmQrcode\"",
    "field = \"qrCode\"",
    "unexpected_answer \"success_without_qrcode\": unknown response field \"qrCode\""
)]
#[case::sample_lacks_a_mandatory_field(
    "api",
    "merchantId = \"cbce490e82f441f2b3162a2dd27e8fd1\"\n",
    "",
    "api.toml: request_sample: the mandatory field \"merchantId\" (request body row 3) is missing"
)]
#[case::nested_row_without_its_object(
    "api",
    "name = \"merchantId\"",
    "name = \"merchant.id\"",
    "a nested field needs a row of type object named \"merchant\""
)]
#[case::response_sample_outside_the_closed_set(
    "api",
    "status = \"ACTIVE\"\n",
    "status = \"LIVE\"\n",
    "api.toml: response_sample: status is \"LIVE\", not one of"
)]
fn an_entry_that_cannot_work_is_refused_naming_file_and_entry(
    #[case] file: &str,
    #[case] from: &str,
    #[case] to: &str,
    #[case] message: &str,
) {
    let err = refusal(file, from, to);
    assert!(err.contains(message), "{err:?} should contain {message:?}");
}

#[rstest]
#[case::burst_among_expectations(
    "faults = [\"business.reused_reference\"]",
    "faults = [\"business.reused_reference\", \"business.rate_limit_burst\"]",
    "belongs in [rate_limit]"
)]
#[case::a_second_success_row(
    "retry = \"fix_and_resend\"",
    "retry = \"none\"",
    "exactly one row must be the success"
)]
#[case::no_code_passes("codes = [\"4049018\"]", "codes = []", "codes is empty")]
#[case::hold_shorter_than_the_timeout(
    "timeout_hold_ms = 10000",
    "timeout_hold_ms = 8000",
    "must exceed the expected timeout"
)]
#[case::more_retries_required_than_allowed(
    "min_retries_when_required = 1",
    "min_retries_when_required = 4",
    "must be at most max_retries"
)]
#[case::a_name_unfit_for_urls("name = \"html_502\"", "name = \"html 502/x\"", "letters, digits")]
fn interpretations_that_cannot_run_are_refused(
    #[case] from: &str,
    #[case] to: &str,
    #[case] message: &str,
) {
    let file = if from.starts_with("retry") {
        "api"
    } else {
        "interpretations"
    };
    let err = refusal(file, from, to);
    assert!(err.contains(message), "{err:?} should contain {message:?}");
}

#[rstest]
#[case::content_type_not_json(
    "content_type = \"application/json\"",
    "content_type = \"application/xml\"",
    "the harness judges JSON bodies only"
)]
#[case::two_partner_headers(
    "format = \"content_type_json\"",
    "format = \"identifier\"",
    "a second header of format identifier"
)]
#[case::a_request_field_on_success(
    "length = { kind = \"variable\", max = 50 }\nrequired = \"mandatory\"",
    "length = { kind = \"variable\", max = 50 }\nrequired = \"on_success\"",
    "a request field must be mandatory"
)]
#[case::a_sample_that_breaks_its_table(
    "partnerReferenceNo = \"test202310457895245\"",
    "partnerReferenceNo = \"\"",
    "request_sample: breaks its own table"
)]
#[case::a_limit_too_large(
    "length = { kind = \"variable\", max = 64 }",
    "length = { kind = \"variable\", max = 99999999 }",
    "a length limit over"
)]
#[case::a_nested_response_field(
    "name = \"cdmQrcode\"",
    "name = \"cdm.qrcode\"",
    "nested response fields are not supported"
)]
fn tables_that_cannot_run_are_refused(#[case] from: &str, #[case] to: &str, #[case] message: &str) {
    let err = refusal("api", from, to);
    assert!(err.contains(message), "{err:?} should contain {message:?}");
}
