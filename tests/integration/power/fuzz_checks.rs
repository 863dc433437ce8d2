//! The response checks and the outcome parser on arbitrary input: never a
//! panic, and every finding cites a row.

use cdm_conformance::transport::Received;
use cdm_conformance::{client, rules};
use proptest::prelude::*;

fn header_value() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("application/json".to_owned()),
        Just("2023-09-25T17:57:35+07:00".to_owned()),
        "\\PC{0,40}",
    ]
}

fn body() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        prop::collection::vec(any::<u8>(), 0..256),
        "\\PC{0,200}".prop_map(String::into_bytes),
        (
            prop::option::of("[0-9]{0,9}"),
            prop::option::of("\\PC{0,200}"),
            prop::option::of("\\PC{0,600}")
        )
            .prop_map(|(code, message, qr)| {
                let mut o = serde_json::Map::new();
                if let Some(c) = code {
                    o.insert("responseCode".into(), c.into());
                }
                if let Some(m) = message {
                    o.insert("responseMessage".into(), m.into());
                }
                if let Some(q) = qr {
                    o.insert("cdmQrcode".into(), q.into());
                }
                serde_json::to_vec(&o).unwrap()
            }),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 1024, ..ProptestConfig::default() })]

    #[test]
    fn response_rules_on_arbitrary_answers(
        status in 0u16..1000,
        headers in prop::collection::vec((prop_oneof![Just("content-type".to_owned()), Just("x-timestamp".to_owned()), "[a-z-]{1,10}"], header_value()), 0..6),
        body in body(),
        truncated in any::<bool>(),
        elapsed_ms in 0u64..20_000,
    ) {
        let received = Received {
            status,
            reason: String::new(),
            raw_headers: vec![],
            headers,
            body,
            truncated,
        };
        let spec = &cdm_conformance::Contract::embedded().spec;
        let parsed = rules::response::parse_response(spec, &received);
        for f in rules::response::response_rules(
            spec,
            &received,
            &parsed,
            elapsed_ms,
            time::OffsetDateTime::now_utc(),
        ) {
            prop_assert!(!f.spec_ref.to_string().is_empty());
            prop_assert!(!f.check.as_str().is_empty());
        }
    }

    #[test]
    fn outcome_lines_on_arbitrary_output(stdout in "\\PC{0,300}") {
        let _ = client::parse_outcome(&stdout, &["cdmReferenceId".into()]);
    }
}
