//! The JSON Schemas derived from `specs/` and the typed checks agree.

use cdm_conformance::rules;
use cdm_conformance::schema::{BodySchemas, request_body_schema, response_body_schema};
use proptest::prelude::*;
use rstest::rstest;
use serde_json::{Map, Value, json};

use crate::snap_json;

fn schemas() -> BodySchemas {
    BodySchemas::derive(&cdm_conformance::Contract::embedded().spec)
        .expect("derived schemas compile")
}

#[test]
fn request_schema_as_derived() {
    snap_json!(
        "request_body_schema",
        request_body_schema(&cdm_conformance::Contract::embedded().spec)
    );
}

#[test]
fn response_schema_as_derived() {
    snap_json!(
        "response_body_schema",
        response_body_schema(&cdm_conformance::Contract::embedded().spec)
    );
}

fn s(n: usize) -> String {
    "x".repeat(n)
}

fn valid_request() -> Value {
    json!({"partnerReferenceNo": "REF-1", "merchantId": "M-1", "additionalInfo": {"channelCode": "ATM_STATIC_QR"}})
}

fn with(mut body: Value, key: &str, value: Option<Value>) -> Value {
    let o = body.as_object_mut().unwrap();
    match value {
        Some(v) => o.insert(key.into(), v),
        None => o.remove(key),
    };
    body
}

#[rstest]
#[case::valid(valid_request(), None)]
#[case::reference_at_limit(with(valid_request(), "partnerReferenceNo", Some(json!(s(50)))), None)]
#[case::reference_multibyte_at_limit(with(valid_request(), "partnerReferenceNo", Some(json!("日".repeat(50)))), None)]
#[case::reference_over_limit(with(valid_request(), "partnerReferenceNo", Some(json!(s(51)))), Some(rules::Rule::Length))]
#[case::reference_multibyte_over_limit(with(valid_request(), "partnerReferenceNo", Some(json!("é".repeat(51)))), Some(rules::Rule::Length))]
#[case::merchant_at_limit(with(valid_request(), "merchantId", Some(json!(s(64)))), None)]
#[case::merchant_over_limit(with(valid_request(), "merchantId", Some(json!(s(65)))), Some(rules::Rule::Length))]
#[case::merchant_empty(with(valid_request(), "merchantId", Some(json!(""))), Some(rules::Rule::Empty))]
#[case::merchant_missing(with(valid_request(), "merchantId", None), Some(rules::Rule::Missing))]
#[case::merchant_null(
    with(valid_request(), "merchantId", Some(Value::Null)),
    Some(rules::Rule::Null)
)]
#[case::merchant_number(with(valid_request(), "merchantId", Some(json!(12))), Some(rules::Rule::WrongType))]
#[case::additional_info_empty_object(with(valid_request(), "additionalInfo", Some(json!({}))), None)]
#[case::additional_info_string(with(valid_request(), "additionalInfo", Some(json!("x"))), Some(rules::Rule::WrongType))]
#[case::additional_info_array(with(valid_request(), "additionalInfo", Some(json!([]))), Some(rules::Rule::WrongType))]
#[case::extra_field_allowed(with(valid_request(), "extra", Some(json!(1))), None)]
#[case::not_an_object(json!([1, 2]), Some(rules::Rule::NotAnObject))]
fn request_body_judgement(#[case] body: Value, #[case] rule: Option<rules::Rule>) {
    let typed = rules::body::request_body(&cdm_conformance::Contract::embedded().spec, &body);
    assert_eq!(typed.first().map(|v| v.rule), rule, "typed: {typed:?}");
    let schema = schemas().request_errors(&body);
    assert_eq!(schema.is_empty(), rule.is_none(), "schema: {schema:?}");
}

fn valid_success() -> Value {
    json!({"responseCode": "2009000", "responseMessage": "Successful", "cdmReferenceId": "CDM1", "cdmQrcode": "QR", "status": "ACTIVE"})
}

#[rstest]
#[case::success(valid_success(), true)]
#[case::success_without_qrcode(with(valid_success(), "cdmQrcode", None), false)]
#[case::success_with_empty_reference(with(valid_success(), "cdmReferenceId", Some(json!(""))), false)]
#[case::success_with_lowercase_status(with(valid_success(), "status", Some(json!("active"))), false)]
#[case::success_qrcode_at_limit(with(valid_success(), "cdmQrcode", Some(json!(s(512)))), true)]
#[case::success_qrcode_over_limit(with(valid_success(), "cdmQrcode", Some(json!(s(513)))), false)]
#[case::failure_without_success_fields(json!({"responseCode": "4009001", "responseMessage": "Invalid Field Format"}), true)]
#[case::message_at_limit(with(valid_success(), "responseMessage", Some(json!(s(150)))), true)]
#[case::message_over_limit(with(valid_success(), "responseMessage", Some(json!(s(151)))), false)]
#[case::code_six_characters(json!({"responseCode": "400900", "responseMessage": "Bad"}), false)]
#[case::code_a_number(json!({"responseCode": 4009000, "responseMessage": "Bad"}), false)]
#[case::no_message(json!({"responseCode": "4009000"}), false)]
fn response_body_judgement(#[case] body: Value, #[case] valid: bool) {
    let typed = rules::body::response_body(&cdm_conformance::Contract::embedded().spec, &body);
    assert_eq!(typed.is_empty(), valid, "typed: {typed:?}");
    let schema = schemas().response_errors(&body);
    assert_eq!(schema.is_empty(), valid, "schema: {schema:?}");
}

// ---------------------------------------------------------------------------
// Generated bodies: lengths at and around each limit, multibyte characters,
// wrong JSON types, missing and null fields.
// ---------------------------------------------------------------------------

fn text_of_len(len: usize) -> impl Strategy<Value = String> {
    prop::collection::vec(
        prop::sample::select(vec!['a', 'Z', '0', '-', ' ', 'é', '日', '😀', '"']),
        len,
    )
    .prop_map(|chars| chars.into_iter().collect())
}

fn string_near(limit: usize) -> BoxedStrategy<Value> {
    let lens = prop_oneof![
        Just(0usize),
        Just(1),
        Just(limit.saturating_sub(1)),
        Just(limit),
        Just(limit + 1),
        0..limit + 3
    ];
    lens.prop_flat_map(text_of_len)
        .prop_map(Value::String)
        .boxed()
}

fn other_type() -> BoxedStrategy<Value> {
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i32>().prop_map(|n| json!(n)),
        Just(json!(1.5)),
        Just(json!([])),
        Just(json!(["a"])),
        Just(json!({})),
        Just(json!({"k": "v"})),
    ]
    .boxed()
}

/// A field's value: absent, of the expected kind near its limit, or of another type.
fn field(expected: BoxedStrategy<Value>) -> BoxedStrategy<Option<Value>> {
    prop_oneof![
        1 => Just(None),
        6 => expected.prop_map(Some),
        2 => other_type().prop_map(Some),
    ]
    .boxed()
}

fn object(fields: Vec<(&'static str, BoxedStrategy<Option<Value>>)>) -> BoxedStrategy<Value> {
    let (names, strategies): (Vec<_>, Vec<_>) = fields.into_iter().unzip();
    strategies
        .prop_map(move |values| {
            let map: Map<String, Value> = names
                .iter()
                .zip(values)
                .filter_map(|(n, v)| v.map(|v| (n.to_string(), v)))
                .collect();
            Value::Object(map)
        })
        .boxed()
}

fn request_bodies() -> BoxedStrategy<Value> {
    prop_oneof![
        10 => object(vec![
            ("partnerReferenceNo", field(string_near(50))),
            ("merchantId", field(string_near(64))),
            ("additionalInfo", field(prop_oneof![Just(json!({})), Just(json!({"channelCode": "ATM_STATIC_QR"}))].boxed())),
            ("extra", prop::option::of(other_type()).boxed()),
        ]),
        1 => other_type(),
    ]
    .boxed()
}

fn response_bodies() -> BoxedStrategy<Value> {
    let code = prop_oneof![
        Just(json!("2009000")),
        Just(json!("4009001")),
        Just(json!("5009001")),
        string_near(7),
    ]
    .boxed();
    let status = prop_oneof![
        Just(json!("ACTIVE")),
        Just(json!("INACTIVE")),
        Just(json!("active")),
        Just(json!("")),
        string_near(8),
    ]
    .boxed();
    prop_oneof![
        10 => object(vec![
            ("responseCode", field(code)),
            ("responseMessage", field(string_near(150))),
            ("cdmReferenceId", field(string_near(512))),
            ("cdmQrcode", field(string_near(512))),
            ("status", field(status)),
        ]),
        1 => other_type(),
    ]
    .boxed()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 1024, ..ProptestConfig::default() })]

    #[test]
    fn typed_checks_and_request_schema_agree(body in request_bodies()) {
        let typed = rules::body::request_body(&cdm_conformance::Contract::embedded().spec, &body);
        let schema = schemas().request_errors(&body);
        prop_assert_eq!(typed.is_empty(), schema.is_empty(), "typed {:?} vs schema {:?} on {}", typed, schema, body);
    }

    #[test]
    fn typed_checks_and_response_schema_agree(body in response_bodies()) {
        let typed = rules::body::response_body(&cdm_conformance::Contract::embedded().spec, &body);
        let schema = schemas().response_errors(&body);
        prop_assert_eq!(typed.is_empty(), schema.is_empty(), "typed {:?} vs schema {:?} on {}", typed, schema, body);
    }
}
