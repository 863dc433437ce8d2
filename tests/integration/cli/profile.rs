//! Profiles: settings from a TOML file, secrets from files or variables, flags winning.

use rstest::rstest;

use crate::cli::run;

/// A profile file for the built-in test credentials, against `base_url`.
fn profile_dir(base_url: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let creds = cdm_conformance::Credentials::test_defaults();
    std::fs::write(
        dir.path().join("token"),
        format!("{}\n", creds.access_token),
    )
    .unwrap();
    let key = crate::common::testkey("partner-private.pem");
    std::fs::write(
        dir.path().join("cdm-conformance.toml"),
        format!(
            "[profile.staging]\nbase_url = \"{base_url}\"\npartner_id = \"{}\"\nmerchant_id = \"{}\"\nprivate_key = \"{}\"\n\
             client_key_env = \"MY_CLIENT_KEY\"\naccess_token_file = \"token\"\nconcurrency = 2\nrate = 200\n",
            creds.partner_id,
            creds.merchant_id,
            key.display()
        ),
    )
    .unwrap();
    dir
}

#[test]
fn a_profile_supplies_everything_flags_leave_unset() {
    // The simulator runs on its own runtime's threads while the command runs.
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let sim = runtime
        .block_on(cdm_conformance::simulator::Simulator::start(
            cdm_conformance::simulator::SimConfig::test_defaults(),
        ))
        .unwrap();
    let dir = profile_dir(&sim.base_url());
    let config = dir.path().join("cdm-conformance.toml");
    let config = config.to_str().unwrap();
    let client_key = cdm_conformance::Credentials::test_defaults().client_key;
    let env = [("MY_CLIENT_KEY", client_key.as_str())];
    let ok = run(
        &[
            "server",
            "--profile",
            "staging",
            "--config",
            config,
            "--cases",
            "x_partner_id",
        ],
        &env,
    );
    assert_eq!(ok.code, 0, "{}{}", ok.stdout, ok.stderr);
    assert!(
        ok.stdout.contains(&format!("against {}", sim.base_url())),
        "{}",
        ok.stdout
    );
    // A flag wins over the profile: another client key breaks every
    // signature, which the preflight names as a setup mistake (exit 2).
    let flag_wins = run(
        &[
            "server",
            "--profile",
            "staging",
            "--config",
            config,
            "--cases",
            "request.valid",
            "--client-key",
            "another",
        ],
        &env,
    );
    assert_eq!(flag_wins.code, 2, "{}", flag_wins.stdout);
    assert!(
        flag_wins.stderr.contains("refused the credentials"),
        "{}",
        flag_wins.stderr
    );
}

#[rstest]
#[case::no_such_profile("[profile.prod]\n", "has no [profile.staging] (it has: prod)")]
#[case::inline_secret(
    "[profile.staging]\naccess_token = \"secret-inline\"\n",
    "access_token may not be written in a profile (it would sit in a file anyone may read or commit): use access_token_env = \"VARIABLE\" or access_token_file = \"PATH\""
)]
#[case::variable_not_set(
    "[profile.staging]\naccess_token_env = \"CDM_TEST_UNSET_VARIABLE\"\n",
    "access_token: the variable CDM_TEST_UNSET_VARIABLE is not set"
)]
#[case::not_toml("[profile.staging\n", "profile file")]
fn a_bad_profile_is_one_line_and_exit_2(#[case] text: &str, #[case] says: &str) {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("p.toml");
    std::fs::write(&config, text).unwrap();
    let r = run(
        &[
            "server",
            "--profile",
            "staging",
            "--config",
            config.to_str().unwrap(),
        ],
        &[],
    );
    assert_eq!(r.code, 2, "{}{}", r.stdout, r.stderr);
    assert_eq!(r.stderr.lines().count(), 1, "{}", r.stderr);
    assert!(r.stderr.contains(says), "{}", r.stderr);
    assert!(!r.stderr.contains("secret-inline"));
}

#[test]
fn secrets_come_from_files() {
    let dir = tempfile::tempdir().unwrap();
    let token = dir.path().join("token");
    std::fs::write(
        &token,
        format!(
            "{}\n",
            cdm_conformance::Credentials::test_defaults().access_token
        ),
    )
    .unwrap();
    let r = run(
        &[
            "server",
            "--cases",
            "authorization",
            "--access-token-file",
            token.to_str().unwrap(),
        ],
        &[],
    );
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    let missing = run(&["server", "--access-token-file", "no/such/token"], &[]);
    assert_eq!(missing.code, 2);
    assert_eq!(
        missing.stderr,
        "error: --access-token-file: cannot read no/such/token: no such file or directory\n"
    );
}
