//! The loader rejects unknown keys, contradictory rows and dangling references.

use cdm_conformance::spec::{API_TOML, ERRATA_TOML, INTERPRETATIONS_TOML, Spec, SpecError};
use rstest::rstest;

fn load_with(api: &str, interpretations: &str, errata: &str) -> Result<Spec, SpecError> {
    Spec::from_texts(api, interpretations, errata)
}

#[test]
fn the_embedded_spec_loads() {
    load_with(API_TOML, INTERPRETATIONS_TOML, ERRATA_TOML).unwrap();
}

fn edit(text: &str, from: &str, to: &str) -> String {
    assert!(text.contains(from), "fixture edit: {from:?} not found");
    text.replacen(from, to, 1)
}

#[rstest]
#[case::unknown_key_in_a_row(
    "api",
    "name = \"X-PARTNER-ID\"\n",
    "name = \"X-PARTNER-ID\"\ncolour = \"blue\"\n",
    "unknown field `colour`"
)]
#[case::unknown_required_value(
    "api",
    "required = \"mandatory\"",
    "required = \"optional\"",
    "unknown variant `optional`"
)]
#[case::unknown_length_kind(
    "api",
    "kind = \"variable\", max = 127",
    "kind = \"roughly\", max = 127",
    "unknown variant `roughly`"
)]
#[case::length_with_extra_key(
    "api",
    "kind = \"fixed\", len = 25",
    "kind = \"fixed\", len = 25, max = 3",
    "unknown field `max`"
)]
#[case::http_status_disagrees(
    "api",
    "http_status = 401\ncase = \"01\"",
    "http_status = 400\ncase = \"01\"",
    "http_status is 400, but code 4019001 says 401"
)]
#[case::case_disagrees(
    "api",
    "http_status = 404\ncase = \"08\"",
    "http_status = 404\ncase = \"09\"",
    "case is 09, but code 4049008 says 08"
)]
#[case::code_not_seven_digits("api", "code = \"4299000\"", "code = \"429900\"", "must be 7 digits")]
#[case::duplicate_code("api", "code = \"4299000\"", "code = \"4049018\"", "listed twice")]
#[case::fault_on_unknown_header(
    "interpretations",
    "\"header.X-PARTNER-ID.unknown\"",
    "\"header.X-CLIENT-KEY.unknown\"",
    "unknown request header \"X-CLIENT-KEY\""
)]
#[case::fault_of_unknown_kind(
    "interpretations",
    "\"header.X-PARTNER-ID.unknown\"",
    "\"header.X-PARTNER-ID.wobbly\"",
    "must be header.NAME.KIND"
)]
#[case::expected_code_not_in_table(
    "interpretations",
    "codes = [\"4049018\"]",
    "codes = [\"4049019\"]",
    "unknown response code \"4049019\""
)]
#[case::override_names_missing_erratum(
    "interpretations",
    "erratum = \"4299000-action-says-proper-parameter\"",
    "erratum = \"no-such-erratum\"",
    "unknown erratum \"no-such-erratum\""
)]
#[case::fault_listed_twice(
    "interpretations",
    "faults = [\"header.X-PARTNER-ID.unknown\"]",
    "faults = [\"header.X-PARTNER-ID.missing\"]",
    "listed twice"
)]
#[case::unknown_key_in_errata(
    "errata",
    "[[erratum]]\nid = \"response-sample-not-json\"",
    "[[erratum]]\nseverity = 1\nid = \"response-sample-not-json\"",
    "unknown field `severity`"
)]
fn a_broken_spec_is_refused(
    #[case] file: &str,
    #[case] from: &str,
    #[case] to: &str,
    #[case] message: &str,
) {
    let (mut api, mut interp, mut errata) = (
        API_TOML.to_owned(),
        INTERPRETATIONS_TOML.to_owned(),
        ERRATA_TOML.to_owned(),
    );
    match file {
        "api" => api = edit(&api, from, to),
        "interpretations" => interp = edit(&interp, from, to),
        _ => errata = edit(&errata, from, to),
    }
    let err = load_with(&api, &interp, &errata)
        .expect_err("the edit must be refused")
        .to_string();
    assert!(
        err.contains(message),
        "error {err:?} should contain {message:?}"
    );
}

#[test]
fn digest_is_stable_hex_and_follows_the_text() {
    let d = cdm_conformance::Contract::embedded().spec.digest.clone();
    assert_eq!(d.len(), 64);
    assert!(d.bytes().all(|b| b.is_ascii_hexdigit()));
    let again = Spec::from_texts(API_TOML, INTERPRETATIONS_TOML, ERRATA_TOML).unwrap();
    assert_eq!(d, again.digest);
    let edited = Spec::from_texts(
        &format!("{API_TOML}\n# a comment\n"),
        INTERPRETATIONS_TOML,
        ERRATA_TOML,
    )
    .unwrap();
    assert_ne!(d, edited.digest, "any byte of specs/ changes the digest");
}
