//! SHA256withRSA over `CLIENT_KEY|X-TIMESTAMP`, checked against openssl.

use std::io::Write as _;
use std::process::{Command, Stdio};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use cdm_conformance::wire::{SignatureError, SigningKey, VerifyingKey};
use proptest::prelude::*;
use rstest::rstest;
use serde::Deserialize;

use crate::common::{fixture, fixture_text, required_under_ci, testkey};

#[derive(Deserialize)]
struct Vectors {
    vector: Vec<Vector>,
}

#[derive(Deserialize)]
struct Vector {
    name: String,
    client_key: String,
    timestamp: String,
    signature: String,
}

fn vectors() -> Vec<Vector> {
    toml::from_str::<Vectors>(&fixture_text("vectors.toml"))
        .unwrap()
        .vector
}

fn key_from(path: std::path::PathBuf) -> SigningKey {
    SigningKey::from_file(&path).unwrap()
}

fn partner_public() -> VerifyingKey {
    VerifyingKey::from_file(&testkey("partner-public.pem")).unwrap()
}

/// The three forms a partner's private key comes in, all the same key.
#[rstest]
#[case::pem_pkcs8(testkey("partner-private.pem"))]
#[case::pem_pkcs1(fixture("keys/partner-private.pkcs1.pem"))]
#[case::base64_der(fixture("keys/partner-private.der.b64"))]
fn signatures_equal_the_openssl_vectors(#[case] path: std::path::PathBuf) {
    let key = key_from(path);
    for v in vectors() {
        let ours = key
            .sign(&cdm_conformance::Contract::embedded().signing_text(&v.client_key, &v.timestamp));
        assert_eq!(ours, v.signature, "vector {}", v.name);
        partner_public()
            .verify(
                &cdm_conformance::Contract::embedded().signing_text(&v.client_key, &v.timestamp),
                &v.signature,
            )
            .unwrap();
    }
}

/// Signs with the openssl command line now, for the same key and text.
fn openssl_sign(key_pem: &std::path::Path, text: &str) -> String {
    let mut child = Command::new("openssl")
        .args(["dgst", "-sha256", "-sign"])
        .arg(key_pem)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(text.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success());
    STANDARD.encode(out.stdout)
}

#[rstest]
#[case::api_text_example("3a34d6a9debb4246931f3941c471dd3b", "2023-09-25T17:57:35+07:00")]
#[case::long_client_key(&"k".repeat(300), "2030-01-01T00:00:00+07:00")]
#[case::multibyte_client_key("kunci-é-日本-😀", "2024-02-29T23:59:59+07:00")]
#[case::empty_client_key("", "2024-02-29T23:59:59+07:00")]
fn signatures_equal_openssl_run_now(#[case] client_key: &str, #[case] timestamp: &str) {
    if !required_under_ci("openssl") {
        eprintln!("skipped: openssl is not installed");
        return;
    }
    let text = cdm_conformance::Contract::embedded().signing_text(client_key, timestamp);
    let expected = openssl_sign(&testkey("partner-private.pem"), &text);
    for path in [
        testkey("partner-private.pem"),
        fixture("keys/partner-private.pkcs1.pem"),
        fixture("keys/partner-private.der.b64"),
    ] {
        assert_eq!(key_from(path).sign(&text), expected);
    }
}

#[test]
fn another_keys_signature_is_refused() {
    let other =
        SigningKey::from_pem_or_base64(cdm_conformance::testkeys::OTHER_PRIVATE_KEY_PEM).unwrap();
    let text = cdm_conformance::Contract::embedded().signing_text("k", "2023-09-25T17:57:35+07:00");
    let err = partner_public()
        .verify(&text, &other.sign(&text))
        .unwrap_err();
    assert_eq!(err, SignatureError::Mismatch { text });
}

#[rstest]
#[case::not_base64("not base64!")]
#[case::url_safe_alphabet("ab-_")]
#[case::unpadded("YWJj ZA")]
#[case::missing_padding("YWJjZA")]
fn non_base64_signatures_are_named(#[case] value: &str) {
    let err = partner_public().verify("k|t", value).unwrap_err();
    assert!(matches!(err, SignatureError::NotBase64 { .. }), "{err:?}");
}

#[rstest]
#[case::empty("", 0)]
#[case::short("YWJj", 3)]
#[case::one_byte_too_long(&STANDARD.encode([7u8; 257]), 257)]
fn signatures_of_the_wrong_length_are_named(#[case] value: &str, #[case] len: usize) {
    let err = partner_public().verify("k|t", value).unwrap_err();
    assert_eq!(
        err,
        SignatureError::Length {
            expected: 256,
            actual: len,
            bits: 2048
        }
    );
}

fn partner_key() -> &'static SigningKey {
    static KEY: std::sync::OnceLock<SigningKey> = std::sync::OnceLock::new();
    KEY.get_or_init(|| {
        SigningKey::from_pem_or_base64(cdm_conformance::TEST_PRIVATE_KEY_PEM).unwrap()
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]

    /// A signature verifies under the right key and text, and fails when any
    /// byte of the text or of the signature changes.
    #[test]
    fn any_changed_byte_is_refused(
        client_key in "\\PC{0,40}",
        secs in 0i64..4_000_000_000,
        text_pos in any::<prop::sample::Index>(),
        sig_pos in 0usize..256,
        flip in 1u8..=255,
    ) {
        let ts = cdm_conformance::wire::Timestamp::from_unix_seconds(secs).unwrap();
        let text = cdm_conformance::Contract::embedded().signing_text(&client_key, ts.as_str());
        let signature = partner_key().sign(&text);
        let public = partner_key().verifying_key();
        prop_assert!(public.verify(&text, &signature).is_ok());

        let mut bytes = text.clone().into_bytes();
        let i = text_pos.index(bytes.len());
        bytes[i] ^= flip;
        let changed = String::from_utf8_lossy(&bytes).into_owned();
        prop_assume!(changed != text);
        prop_assert!(public.verify(&changed, &signature).is_err(), "changed text byte {} verified", i);

        let mut sig = STANDARD.decode(&signature).unwrap();
        sig[sig_pos] ^= flip;
        prop_assert!(public.verify(&text, &STANDARD.encode(&sig)).is_err(), "changed signature byte {} verified", sig_pos);
    }
}
