//! Keys in the forms partners hold them, and the errors for everything else.

use cdm_conformance::wire::{KeyError, SigningKey, VerifyingKey};
use rstest::rstest;

use crate::common::{fixture, fixture_text, testkey};

#[rstest]
#[case::pem_pkcs8(testkey("partner-private.pem"))]
#[case::pem_pkcs1(fixture("keys/partner-private.pkcs1.pem"))]
#[case::base64_der(fixture("keys/partner-private.der.b64"))]
fn private_key_forms(#[case] path: std::path::PathBuf) {
    let key = SigningKey::from_file(&path).unwrap();
    assert_eq!(key.bits(), 2048);
    assert_eq!(
        key.verifying_key().to_spki_pem().unwrap(),
        fixture_text("../../src/testkeys/partner-public.pem")
    );
}

#[rstest]
#[case::pem_spki(testkey("partner-public.pem"))]
#[case::pem_pkcs1(fixture("keys/partner-public.pkcs1.pem"))]
#[case::base64_der(fixture("keys/partner-public.der.b64"))]
fn public_key_forms(#[case] path: std::path::PathBuf) {
    let key = VerifyingKey::from_file(&path).unwrap();
    assert_eq!(
        key.to_spki_der_base64().unwrap(),
        fixture_text("keys/partner-public.der.b64")
    );
}

#[test]
fn base64_der_with_line_breaks_is_accepted() {
    let b64 = fixture_text("keys/partner-private.der.b64");
    let wrapped: String = b64
        .as_bytes()
        .chunks(64)
        .map(|c| format!("{}\n", std::str::from_utf8(c).unwrap()))
        .collect();
    SigningKey::from_pem_or_base64(&wrapped).unwrap();
}

#[rstest]
#[case::public_pem_for_private(
    testkey("partner-public.pem"),
    "expected a private key (PEM PKCS#8, PEM PKCS#1 or base64 DER), found a public key (PEM \"PUBLIC KEY\")"
)]
#[case::public_der_for_private(
    fixture("keys/partner-public.der.b64"),
    "found a public key (base64 DER)"
)]
#[case::certificate(fixture("keys/certificate.pem"), "found a certificate")]
#[case::encrypted(
    fixture("keys/partner-private.encrypted.pem"),
    "found an encrypted one"
)]
#[case::not_a_key(fixture("vectors.toml"), "neither PEM nor base64 DER")]
#[case::missing_file(fixture("keys/no-such-key.pem"), "no such file or directory")]
fn wrong_input_for_a_private_key(#[case] path: std::path::PathBuf, #[case] message: &str) {
    let err = SigningKey::from_file(&path).unwrap_err();
    assert!(err.to_string().contains(message), "{err}");
}

#[rstest]
#[case::private_pem_for_public(
    KeyInput::Path(testkey("partner-private.pem")),
    "found a private key"
)]
#[case::private_der_for_public(
    KeyInput::Path(fixture("keys/partner-private.der.b64")),
    "found a private key (base64 DER)"
)]
#[case::truncated_der(
    KeyInput::Text("MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA"),
    "malformed base64 DER key"
)]
#[case::pem_of_another_kind(
    KeyInput::Text("-----BEGIN EC PRIVATE KEY-----\nMHcCAQEEIA==\n-----END EC PRIVATE KEY-----\n"),
    "PEM \"EC PRIVATE KEY\" block"
)]
fn wrong_input_for_a_public_key(#[case] input: KeyInput, #[case] message: &str) {
    let err = match input {
        KeyInput::Path(p) => VerifyingKey::from_file(&p).unwrap_err(),
        KeyInput::Text(t) => VerifyingKey::from_pem_or_base64(t).unwrap_err(),
    };
    assert!(err.to_string().contains(message), "{err}");
}

enum KeyInput {
    Path(std::path::PathBuf),
    Text(&'static str),
}

#[test]
fn errors_and_debug_never_show_key_material() {
    let pem = std::fs::read_to_string(testkey("partner-private.pem")).unwrap();
    let body_line = pem.lines().nth(1).unwrap();
    let key = SigningKey::from_pem_or_base64(&pem).unwrap();
    assert!(!format!("{key:?}").contains(body_line));
    let err = VerifyingKey::from_pem_or_base64(&pem).unwrap_err();
    assert!(!err.to_string().contains(body_line), "{err}");
    assert!(matches!(err, KeyError::WrongKind { .. }));
}
