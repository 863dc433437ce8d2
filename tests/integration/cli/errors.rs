//! Bad input: one line on stderr, exit 2, never a panic, never key material.

use rstest::rstest;

use crate::cli::run;
use crate::common::testkey;

// The binary runs in the crate's root, as cargo runs integration tests, so
// the relative paths below are what a user would type there.

const TS: &str = "2023-09-25T17:57:35+07:00";

#[rstest]
#[case::missing_key_file(
    vec!["sign", "--private-key", "no/such/key.pem", "--client-key", "k"],
    "error: --private-key: cannot read key file no/such/key.pem: no such file or directory"
)]
#[case::key_is_a_directory(
    vec!["sign", "--private-key", "/tmp", "--client-key", "k"],
    "error: --private-key: cannot read key file /tmp: is a directory"
)]
#[case::not_a_key(
    vec!["sign", "--private-key", "tests/fixtures/vectors.toml", "--client-key", "k"],
    "error: --private-key: expected a private key (PEM PKCS#8, PEM PKCS#1 or base64 DER), found text that is neither PEM nor base64 DER"
)]
#[case::public_key_for_sign(
    vec!["sign", "--private-key", "src/testkeys/partner-public.pem", "--client-key", "k"],
    "error: --private-key: expected a private key (PEM PKCS#8, PEM PKCS#1 or base64 DER), found a public key (PEM \"PUBLIC KEY\")"
)]
#[case::encrypted_key(
    vec!["sign", "--private-key", "tests/fixtures/keys/partner-private.encrypted.pem", "--client-key", "k"],
    "error: --private-key: expected an unencrypted private key, found an encrypted one (decrypt it with `openssl pkcs8 -in KEY -out private.pem`)"
)]
#[case::private_key_for_verify(
    vec!["verify", "--public-key", "src/testkeys/partner-private.pem", "--client-key", "k", "--timestamp", TS, "--signature", "AAAA"],
    "error: --public-key: expected a public key (PEM SPKI, PEM PKCS#1 or base64 DER), found a private key (share only the public key with the harness's verify side)"
)]
#[case::signature_not_base64(
    vec!["verify", "--public-key", "src/testkeys/partner-public.pem", "--client-key", "k", "--timestamp", TS, "--signature", "not*base64"],
    "error: --signature: signature \"not*base64\" is not standard padded base64: invalid character '*' at offset 3"
)]
#[case::malformed_timestamp(
    vec!["sign", "--private-key", "src/testkeys/partner-private.pem", "--client-key", "k", "--timestamp", "2023-09-25T17:57:35.123+07:00"],
    "error: --timestamp: timestamp \"2023-09-25T17:57:35.123+07:00\" must have no fraction of a second"
)]
#[case::unknown_flag(
    vec!["sign", "--privat-key", "x"],
    "error: unexpected argument '--privat-key' found; tip: a similar argument exists: '--private-key' (see 'cdm-conformance --help')"
)]
#[case::missing_flag(
    vec!["verify", "--client-key", "k"],
    "error: the following required arguments were not provided: --public-key <PEM> --timestamp <TS> --signature <B64> (see 'cdm-conformance --help')"
)]
#[case::unknown_command(vec!["sing"], "error: unrecognized subcommand 'sing'; tip: a similar subcommand exists: 'sign' (see 'cdm-conformance --help')")]
fn bad_input_is_one_line_and_exit_2(#[case] args: Vec<&str>, #[case] stderr: &str) {
    let r = run(&args, &[]);
    assert_eq!(r.code, 2, "stdout {:?} stderr {:?}", r.stdout, r.stderr);
    assert_eq!(r.stderr, format!("{stderr}\n"));
    assert_eq!(r.stdout, "");
}

#[test]
fn inline_key_material_never_reaches_the_console() {
    // A private key given inline where a public key is wanted: the error
    // names the kind, never the content.
    let pem = std::fs::read_to_string(testkey("partner-private.pem")).unwrap();
    let r = run(
        &[
            "verify",
            "--public-key",
            &pem,
            "--client-key",
            "k",
            "--timestamp",
            TS,
            "--signature",
            "AAAA",
        ],
        &[],
    );
    assert_eq!(r.code, 2);
    for line in pem.lines().filter(|l| !l.starts_with("-----")) {
        assert!(!r.stderr.contains(line), "stderr carries key material");
    }
    // And broken inline base64 key material is not echoed as a "path".
    let b64 = "MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQCyLo".repeat(3);
    let r = run(&["sign", "--private-key", &b64, "--client-key", "k"], &[]);
    assert_eq!(r.code, 2);
    assert!(!r.stderr.contains(&b64[..40]), "{}", r.stderr);
}

#[test]
fn help_hides_credential_variables() {
    let r = run(
        &["sign", "--help"],
        &[("CDM_CLIENT_KEY", "secret-client-key-value")],
    );
    assert_eq!(r.code, 0);
    assert!(r.stdout.contains("CDM_PRIVATE_KEY"));
    assert!(!r.stdout.contains("secret-client-key-value"));
}

#[rstest]
#[case::mistyped_flag(vec!["server", "--base-ur", "http://x"], "tip: a similar argument exists: '--base-url'")]
#[case::mistyped_command(vec!["serve"], "tip: a similar subcommand exists: 'server'")]
#[case::config_without_profile(
    vec!["server", "--config", "x.toml"],
    "the following required arguments were not provided: --profile <NAME>"
)]
fn a_usage_mistake_is_one_line_naming_the_fix(#[case] args: Vec<&str>, #[case] says: &str) {
    let r = run(&args, &[]);
    assert_eq!(r.code, 2, "{}{}", r.stdout, r.stderr);
    assert_eq!(r.stderr.lines().count(), 1, "{}", r.stderr);
    assert!(r.stderr.contains(says), "{}", r.stderr);
}
