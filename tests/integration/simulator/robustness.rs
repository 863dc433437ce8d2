//! The simulator never panics and always answers within the contract,
//! whatever bytes and headers arrive.

use cdm_conformance::simulator::Incoming;
use proptest::prelude::*;

use crate::simulator::{engine, incoming, valid};

fn assert_well_formed(answer: &cdm_conformance::simulator::Answer) -> Result<(), TestCaseError> {
    let body: serde_json::Value =
        serde_json::from_slice(&answer.body).map_err(|e| TestCaseError::fail(e.to_string()))?;
    let code = body["responseCode"].as_str().unwrap_or_default();
    prop_assert!(
        &cdm_conformance::Contract::embedded()
            .spec
            .response_code(code)
            .is_some(),
        "code {code} outside the table"
    );
    prop_assert_eq!(answer.status.to_string(), &code[..3]);
    Ok(())
}

fn header_name() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("content-type".to_owned()),
        Just("authorization".to_owned()),
        Just("x-timestamp".to_owned()),
        Just("x-signature".to_owned()),
        Just("x-partner-id".to_owned()),
        "[a-z-]{1,12}",
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    /// Arbitrary method, path, headers (some not UTF-8) and body bytes.
    #[test]
    fn arbitrary_requests(
        method in "[A-Z]{1,7}",
        path in "/[ -~]{0,60}",
        headers in prop::collection::vec((header_name(), prop::option::of("\\PC{0,80}")), 0..8),
        body in prop::collection::vec(any::<u8>(), 0..512),
    ) {
        let req = Incoming { method, path, headers, body };
        assert_well_formed(&engine().answer(&req))?;
    }

    /// A valid request with one header replaced by arbitrary text, or its
    /// body by arbitrary JSON-ish bytes.
    #[test]
    fn valid_requests_with_one_part_spoiled(
        which in 0usize..6,
        text in "\\PC{0,300}",
    ) {
        let mut req = incoming(&valid("REF-PROP-1"));
        match which {
            5 => req.body = text.into_bytes(),
            i => req.headers[i].1 = Some(text),
        }
        assert_well_formed(&engine().answer(&req))?;
    }

    /// Deeply nested JSON bodies.
    #[test]
    fn nested_json(depth in 1usize..2000) {
        let mut req = incoming(&valid("REF-PROP-2"));
        req.body = format!("{}{}", "[".repeat(depth), "]".repeat(depth)).into_bytes();
        assert_well_formed(&engine().answer(&req))?;
    }
}

/// Bytes that are not HTTP, a half request, an oversized header: the
/// simulator drops each connection and keeps serving.
#[tokio::test]
async fn the_simulator_keeps_serving_after_hostile_connections() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let sim = cdm_conformance::simulator::Simulator::start(
        cdm_conformance::simulator::SimConfig::test_defaults(),
    )
    .await
    .unwrap();
    let addr = sim.base_url().trim_start_matches("http://").to_owned();
    let garbage: Vec<Vec<u8>> = vec![
        b"\x00\x01\x02 not http\r\n\r\n".to_vec(),
        b"POST /v2.0/cdm/cdm-mpm-generate HTTP/1.1\r\nContent-Length: 100\r\n\r\n{\"half".to_vec(),
        format!("GET / HTTP/1.1\r\nX-Big: {}\r\n\r\n", "a".repeat(200_000)).into_bytes(),
        b"POST / HTTP/1.1\r\nX-TIMESTAMP: \xff\xfe\r\nContent-Length: 0\r\n\r\n".to_vec(),
    ];
    for bytes in garbage {
        let mut s = tokio::net::TcpStream::connect(&addr).await.unwrap();
        let _ = s.write_all(&bytes).await;
        let _ = s.shutdown().await;
        let mut sink = Vec::new();
        let _ =
            tokio::time::timeout(std::time::Duration::from_secs(5), s.read_to_end(&mut sink)).await;
    }
    let transport = cdm_conformance::transport::Transport::exact(
        std::time::Duration::from_secs(10),
        &Default::default(),
    )
    .unwrap();
    let exchange = transport
        .send(
            &sim.base_url(),
            &crate::simulator::valid("REF-AFTER-GARBAGE"),
        )
        .await;
    assert_eq!(exchange.outcome.unwrap().status, 200);
}
