//! Compiling refuses, when the spec loads, every entry that cannot be
//! applied as written: the file, the entry and the reason are named. A fault
//! that compiled is applied exactly (`power::sibling` and the suite prove
//! it); none can fall through to "send the request unchanged".

use cdm_conformance::Contract;
use cdm_conformance::spec::{API_TOML, ERRATA_TOML, INTERPRETATIONS_TOML, Spec};
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

#[test]
fn the_built_in_spec_compiles_every_fault() {
    let contract = Contract::embedded();
    let i = &contract.spec.interpretations;
    let faults = i
        .expectations
        .iter()
        .flat_map(|e| &e.faults)
        .chain(i.info.iter().map(|n| &n.fault))
        .chain([&i.rate_limit.fault]);
    for fault in faults {
        assert!(
            contract.mutation(fault).is_some(),
            "{fault} did not compile"
        );
    }
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
