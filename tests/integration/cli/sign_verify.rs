//! `sign` prints what openssl computes, for every key form; `verify` accepts
//! it and refuses any changed byte.

use std::path::PathBuf;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use rstest::rstest;

use crate::cli::run;
use crate::common::{fixture, fixture_text, testkey};

const CLIENT_KEY: &str = "3a34d6a9debb4246931f3941c471dd3b";
const TS: &str = "2023-09-25T17:57:35+07:00";

/// The openssl vector for the API text's example (tests/fixtures/vectors.toml).
fn openssl_vector() -> String {
    let text = fixture_text("vectors.toml");
    let start = text.find("name = \"api_text_example\"").unwrap();
    let line = text[start..]
        .lines()
        .find(|l| l.starts_with("signature = "))
        .unwrap();
    line.trim_start_matches("signature = ")
        .trim_matches('"')
        .to_owned()
}

fn path(p: PathBuf) -> String {
    p.to_str().unwrap().to_owned()
}

#[rstest]
#[case::pem_pkcs8(path(testkey("partner-private.pem")))]
#[case::pem_pkcs1(path(fixture("keys/partner-private.pkcs1.pem")))]
#[case::base64_der(path(fixture("keys/partner-private.der.b64")))]
#[case::inline_pem(std::fs::read_to_string(testkey("partner-private.pem")).unwrap())]
#[case::inline_base64_der(fixture_text("keys/partner-private.der.b64"))]
fn sign_prints_the_openssl_signature(#[case] key: String) {
    let r = run(
        &[
            "sign",
            "--private-key",
            &key,
            "--client-key",
            CLIENT_KEY,
            "--timestamp",
            TS,
        ],
        &[],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(
        r.stdout,
        format!("X-TIMESTAMP: {TS}\nX-SIGNATURE: {}\n", openssl_vector())
    );
}

#[test]
fn sign_reads_credentials_from_the_environment_and_flags_win() {
    let key = path(testkey("partner-private.pem"));
    let from_env = run(
        &["sign", "--timestamp", TS],
        &[("CDM_PRIVATE_KEY", &key), ("CDM_CLIENT_KEY", CLIENT_KEY)],
    );
    assert_eq!(from_env.code, 0, "{}", from_env.stderr);
    assert!(from_env.stdout.contains(&openssl_vector()));
    let flag_wins = run(
        &["sign", "--timestamp", TS, "--client-key", CLIENT_KEY],
        &[
            ("CDM_PRIVATE_KEY", &key),
            ("CDM_CLIENT_KEY", "another-client-key"),
        ],
    );
    assert!(flag_wins.stdout.contains(&openssl_vector()));
}

#[test]
fn sign_without_timestamp_signs_now_in_jakarta_time() {
    let key = path(testkey("partner-private.pem"));
    let r = run(
        &["sign", "--private-key", &key, "--client-key", CLIENT_KEY],
        &[],
    );
    assert_eq!(r.code, 0);
    let ts = r
        .stdout
        .lines()
        .next()
        .unwrap()
        .trim_start_matches("X-TIMESTAMP: ");
    let parsed = cdm_conformance::Timestamp::parse(ts).unwrap();
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    assert!((now - parsed.unix_seconds()).abs() <= 5, "{ts} is not now");
    let sig = r
        .stdout
        .lines()
        .nth(1)
        .unwrap()
        .trim_start_matches("X-SIGNATURE: ");
    let v = run(
        &[
            "verify",
            "--public-key",
            &path(testkey("partner-public.pem")),
            "--client-key",
            CLIENT_KEY,
            "--timestamp",
            ts,
            "--signature",
            sig,
        ],
        &[],
    );
    assert_eq!((v.code, v.stdout.as_str()), (0, "valid\n"));
}

#[rstest]
#[case::pem_spki(path(testkey("partner-public.pem")))]
#[case::pem_pkcs1(path(fixture("keys/partner-public.pkcs1.pem")))]
#[case::base64_der(path(fixture("keys/partner-public.der.b64")))]
fn verify_accepts_the_openssl_signature(#[case] key: String) {
    let r = run(
        &[
            "verify",
            "--public-key",
            &key,
            "--client-key",
            CLIENT_KEY,
            "--timestamp",
            TS,
            "--signature",
            &openssl_vector(),
        ],
        &[],
    );
    assert_eq!(
        (r.code, r.stdout.as_str(), r.stderr.as_str()),
        (0, "valid\n", "")
    );
}

fn verify(client_key: &str, ts: &str, signature: &str) -> crate::cli::Run {
    let key = path(testkey("partner-public.pem"));
    run(
        &[
            "verify",
            "--public-key",
            &key,
            "--client-key",
            client_key,
            "--timestamp",
            ts,
            "--signature",
            signature,
        ],
        &[],
    )
}

fn flip_signature_byte(i: usize) -> String {
    let mut bytes = STANDARD.decode(openssl_vector()).unwrap();
    bytes[i] ^= 0x01;
    STANDARD.encode(bytes)
}

#[rstest]
#[case::first_signature_byte(CLIENT_KEY, TS, flip_signature_byte(0))]
#[case::middle_signature_byte(CLIENT_KEY, TS, flip_signature_byte(128))]
#[case::last_signature_byte(CLIENT_KEY, TS, flip_signature_byte(255))]
#[case::client_key_changed("3a34d6a9debb4246931f3941c471dd3c", TS, openssl_vector())]
#[case::timestamp_second_changed(CLIENT_KEY, "2023-09-25T17:57:36+07:00", openssl_vector())]
fn verify_refuses_any_changed_byte(
    #[case] client_key: &str,
    #[case] ts: &str,
    #[case] signature: String,
) {
    let r = verify(client_key, ts, &signature);
    assert_eq!(r.code, 1, "{} {}", r.stdout, r.stderr);
    assert!(
        r.stdout
            .starts_with("invalid: the signature is not a SHA256withRSA signature of \""),
        "{}",
        r.stdout
    );
    assert!(
        r.stdout.contains(&format!("{client_key}|{ts}")),
        "names the verified text: {}",
        r.stdout
    );
}

#[test]
fn verify_every_byte_of_the_signature() {
    // Exhaustive over the signature's 256 bytes, in-process (the CLI cases
    // above cover the command's wiring).
    let key = cdm_conformance::VerifyingKey::from_file(&testkey("partner-public.pem")).unwrap();
    let text = format!("{CLIENT_KEY}|{TS}");
    for i in 0..256 {
        assert!(
            key.verify(&text, &flip_signature_byte(i)).is_err(),
            "byte {i}"
        );
    }
}

#[test]
fn verify_names_a_signature_of_the_wrong_length() {
    let r = verify(CLIENT_KEY, TS, &STANDARD.encode([1u8; 128]));
    assert_eq!(r.code, 1);
    assert_eq!(
        r.stdout,
        "invalid: the signature decodes to 128 bytes, but a signature by a 2048-bit key has 256\n"
    );
}

#[test]
fn verify_of_a_valid_signature_over_a_malformed_timestamp_is_invalid() {
    let key = path(testkey("partner-private.pem"));
    let bad_ts = "2023-09-25T10:57:35Z";
    let s = run(
        &[
            "sign",
            "--private-key",
            &key,
            "--client-key",
            CLIENT_KEY,
            "--timestamp",
            bad_ts,
        ],
        &[],
    );
    assert_eq!(s.code, 2, "sign refuses a malformed timestamp");
    let text = format!("{CLIENT_KEY}|{bad_ts}");
    let signing = cdm_conformance::SigningKey::from_file(&testkey("partner-private.pem")).unwrap();
    let r = verify(CLIENT_KEY, bad_ts, &signing.sign(&text));
    assert_eq!(r.code, 1);
    assert_eq!(
        r.stdout,
        "invalid: timestamp \"2023-09-25T10:57:35Z\" must end in +07:00 (the signature itself matches)\n"
    );
}
