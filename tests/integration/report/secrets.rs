//! No output carries a private key or a full access token: every report
//! format and the console, for both modes, even when the server or the
//! client echoes the token back.

use std::sync::Arc;

use cdm_conformance::certify::{CertifyOptions, certify};
use cdm_conformance::client::CommandClient;
use cdm_conformance::console::{Console, Verbosity};
use cdm_conformance::report::Report;
use cdm_conformance::runner::{RunOptions, Target, run_suite};
use cdm_conformance::simulator::{Quirk, SimConfig, Simulator};
use cdm_conformance::{Credentials, redact};

/// Every secret that must never be printed: the token, and each line of
/// base64 of every test private key.
fn secrets() -> Vec<String> {
    let mut out = vec![Credentials::test_defaults().access_token];
    for pem in [
        cdm_conformance::testkeys::PARTNER_PRIVATE_KEY_PEM,
        cdm_conformance::testkeys::OTHER_PRIVATE_KEY_PEM,
    ] {
        out.extend(
            pem.lines()
                .filter(|l| !l.starts_with("-----"))
                .map(str::to_owned),
        );
    }
    out
}

fn every_output(report: &Report) -> Vec<(&'static str, String)> {
    vec![
        ("json", report.to_json()),
        ("junit", report.to_junit()),
        ("html", report.to_html()),
        ("markdown", report.to_markdown()),
        (
            "console",
            Console {
                verbosity: Verbosity::Verbose,
                color: false,
            }
            .render(report),
        ),
        ("debug", format!("{report:?}")),
    ]
}

fn assert_clean(report: &Report) {
    for (format, text) in every_output(report) {
        for secret in secrets() {
            assert!(
                !text.contains(&secret),
                "the {format} output carries a secret ({}…)",
                &secret[..6]
            );
        }
    }
}

#[tokio::test]
async fn the_server_suite_against_a_server_echoing_the_token() {
    let sim = Simulator::start(SimConfig::test_defaults().with_quirk(Quirk::EchoesAuthorization))
        .await
        .unwrap();
    let report = run_suite(
        &Target::for_simulator(&sim),
        &RunOptions::local(&cdm_conformance::Contract::embedded()),
    )
    .await
    .unwrap();
    assert_clean(&report);
    // The echo happened: its redacted form is in the report.
    let token = Credentials::test_defaults().access_token;
    assert!(report.to_json().contains(&redact::token(&token)));
}

#[tokio::test]
async fn certification_of_an_adapter_printing_the_token() {
    let cmd = r#"echo "my token is $CDM_ACCESS_TOKEN" >&2; echo "$CDM_ACCESS_TOKEN"; echo '{"outcome":"failed","responseCode":null}'"#;
    let options = CertifyOptions {
        cases: Some("code.4009000".into()),
        ..CertifyOptions::test_defaults(cdm_conformance::Contract::embedded())
    };
    let report = certify(Arc::new(CommandClient::new(cmd)), &options)
        .await
        .unwrap();
    assert_clean(&report);
    assert!(
        report.to_json().contains("my token is"),
        "the adapter's stderr is in the report"
    );
}

#[test]
fn the_command_line_never_prints_a_secret() {
    let dir = tempfile::tempdir().unwrap();
    let path = |n: &str| dir.path().join(n).to_str().unwrap().to_owned();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_cdm-conformance"))
        .args([
            "server",
            "-v",
            "--report-json",
            &path("r.json"),
            "--junit",
            &path("r.xml"),
        ])
        .args([
            "--report-html",
            &path("r.html"),
            "--report-md",
            &path("r.md"),
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let mut texts = vec![
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    ];
    for f in ["r.json", "r.xml", "r.html", "r.md"] {
        texts.push(std::fs::read_to_string(dir.path().join(f)).unwrap());
    }
    for text in texts {
        for secret in secrets() {
            assert!(!text.contains(&secret));
        }
    }
}

/// Key material is redacted from what peers print; a signature, even an
/// RSA-4096 one that happens to start like DER (`MII`), is kept whole: it
/// is evidence, and no secret.
#[test]
fn signatures_are_never_taken_for_key_material() {
    use base64::Engine as _;
    let b64 = |bytes: &[u8]| base64::engine::general_purpose::STANDARD.encode(bytes);
    // 512 bytes (an RSA-4096 signature) whose base64 starts "MII".
    let mut signature = vec![0x30u8, 0x82, 0x02];
    signature.resize(512, 0xA5);
    let signature = b64(&signature);
    assert!(signature.starts_with("MII"), "{signature}");
    assert_eq!(redact::key_material(&signature), signature);
    // A real private key's DER is redacted, bare or in PEM.
    let pem = cdm_conformance::TEST_PRIVATE_KEY_PEM;
    let der: String = pem.lines().filter(|l| !l.starts_with("-----")).collect();
    assert_eq!(redact::key_material(&der), "[key material redacted]");
    assert_eq!(redact::key_material(pem).trim(), "[private key redacted]");
}
