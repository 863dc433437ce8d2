//! The errata list names every known defect of the API text, each resolved.

use rstest::rstest;

#[rstest]
#[case::response_sample_not_json("response-sample-not-json", "not valid JSON")]
#[case::body_rows_misnumbered("request-body-rows-misnumbered", "1, 3 and 6")]
#[case::code_row_2_missing("response-code-row-2-missing", "no row 2")]
#[case::merchant_remark_copied("merchantid-remark-copied", "copied")]
#[case::status_remark_copied("status-remark-copied", "copied")]
#[case::titled_for_another_api("code-table-titled-for-another-api", "Balance Inquiry")]
#[case::non_retryable_yet_retry("5009000-non-retryable-yet-retry", "non retry-able")]
#[case::retry_4039015("4039015-action-says-retry-periodically", "Retry request periodically")]
#[case::retry_4299000("4299000-action-says-proper-parameter", "proper parameter")]
#[case::client_key_no_header("client-key-signed-but-no-header", "X-CLIENT-KEY")]
#[case::no_code_rows_shifted("no-code-rows-shifted", "shifted")]
#[case::three_attempts("retry-maximum-3-attempts", "3 attempts")]
#[case::timestamp_fixed_max("timestamp-fixed-25-max", "Fixed, 25 max")]
#[case::code_fixed_max("response-code-fixed-7-max", "Fixed, 7 max")]
#[case::signature_unbounded("signature-length-unbounded", "Variable")]
#[case::authorization_swapped("authorization-condition-and-remark-swapped", "Condition")]
#[case::additional_info_undefined("additional-info-undefined", "QrGenerateAdditionalInfo")]
#[case::api_name("api-name-and-function-mismatch", "CPMPayment")]
#[case::folded_signature("request-sample-folded-signature", "folded")]
#[case::amount_without_amount("amount-limit-code-without-amount", "no amount")]
#[case::reason_placeholder("messages-with-reason-placeholder", "[reason]")]
#[case::overlapping_codes("overlapping-format-codes", "fits both")]
#[case::content_type_length("content-type-length-and-value", "127")]
#[case::accept("accept-not-in-header-table", "Accept")]
#[case::timeout_scope("expected-timeout-scope", "8 second")]
#[case::partner_equals_merchant("request-sample-partner-id-equals-merchant", "same value")]
fn erratum_is_recorded_with_a_resolution(#[case] id: &str, #[case] defect_mentions: &str) {
    let contract = cdm_conformance::Contract::embedded();
    let e = contract
        .spec
        .erratum(id)
        .unwrap_or_else(|| panic!("erratum {id} missing"));
    assert!(
        e.defect.contains(defect_mentions),
        "{id}: defect should mention {defect_mentions:?}: {}",
        e.defect
    );
    assert!(e.resolution.len() > 20, "{id}: resolution too thin");
    assert!(!e.place.is_empty());
}

#[test]
fn every_erratum_is_listed_above() {
    // A new erratum gets a named case above; this keeps the list and the file in step.
    assert_eq!(cdm_conformance::Contract::embedded().spec.errata.len(), 26);
}
