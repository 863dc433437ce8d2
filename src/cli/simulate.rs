//! `simulate`: the PayCools simulator, standalone, until interrupted.

use std::path::PathBuf;

use base64::Engine as _;

use super::{CliError, Outcome, SimulateArgs, verifying_key, write_file};
use crate::redact;
use crate::simulator::{SimConfig, Simulator};
use crate::wire::{Credentials, SigningKey};

fn random_hex(bytes: usize) -> String {
    let mut buf = vec![0u8; bytes];
    // The OS RNG does not fail on supported systems; zeros would still work.
    let _ = getrandom::fill(&mut buf);
    buf.iter().map(|b| format!("{b:02x}")).collect()
}

fn random_token() -> String {
    let mut buf = [0u8; 36];
    let _ = getrandom::fill(&mut buf);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(buf)
}

fn write_err(path: &std::path::Path) -> impl Fn(std::io::Error) -> CliError + '_ {
    move |e| CliError::Write {
        path: path.display().to_string(),
        reason: crate::wire::signature::io_reason(&e),
    }
}

/// Runs `simulate`.
pub(super) async fn run(
    contract: std::sync::Arc<crate::contract::Contract>,
    spec_dir: Option<&std::path::Path>,
    args: &SimulateArgs,
) -> Result<Outcome, CliError> {
    let (c, _) = args.credentials.merged()?;
    let c = &c;
    let credentials = Credentials {
        partner_id: c
            .partner_id
            .clone()
            .unwrap_or_else(|| format!("SIM{}", random_hex(8))),
        client_key: c.client_key.clone().unwrap_or_else(|| random_hex(16)),
        access_token: c.access_token.clone().unwrap_or_else(random_token),
        merchant_id: c
            .merchant_id
            .clone()
            .unwrap_or_else(|| format!("MERCHANT{}", random_hex(8))),
    };
    let dir: PathBuf = args.state_dir.clone().unwrap_or_else(|| {
        std::env::temp_dir().join(format!(
            "cdm-simulator-{}-{}",
            std::process::id(),
            random_hex(3)
        ))
    });
    std::fs::create_dir_all(&dir).map_err(write_err(&dir))?;
    // The key the simulator verifies with: the public key given, the public
    // half of the private key given, or a fresh pair.
    let (public_key, private_path) = match (&c.public_key, &c.private_key) {
        (Some(k), _) => (verifying_key("--public-key", k)?, None),
        (None, Some(k)) => {
            let key = super::signing_key("--private-key", k)?;
            let path = std::path::Path::new(k).exists().then(|| PathBuf::from(k));
            (key.verifying_key(), path)
        }
        (None, None) => {
            let key = SigningKey::generate(2048).map_err(|source| CliError::Key {
                flag: "simulate",
                source,
            })?;
            let private = dir.join("private.pem");
            let pem = key.to_pkcs8_pem().map_err(|source| CliError::Key {
                flag: "simulate",
                source,
            })?;
            write_file(&private, pem.as_bytes(), 0o600)?;
            (key.verifying_key(), Some(private))
        }
    };
    let partner_header = contract
        .header(crate::spec::HeaderFormat::Identifier)
        .unwrap_or("partner id")
        .to_owned();
    let merchant_field = contract.roles().merchant.clone();
    let title = contract.endpoint().title.clone();
    let mut config = SimConfig::for_contract(contract);
    config.credentials = credentials.clone();
    config.public_key = public_key;
    config.quirks = args.quirk.clone();
    let sim = Simulator::start_on(config, args.port).await?;
    let base = sim.base_url();

    let mut env = format!(
        "CDM_BASE_URL={base}\nCDM_PARTNER_ID={}\nCDM_CLIENT_KEY={}\nCDM_ACCESS_TOKEN={}\nCDM_MERCHANT_ID={}\n",
        credentials.partner_id,
        credentials.client_key,
        credentials.access_token,
        credentials.merchant_id
    );
    if let Some(p) = &private_path {
        env.push_str(&format!("CDM_PRIVATE_KEY={}\n", p.display()));
    }
    // The public half, for what verifies the partner's signatures (`client`,
    // `proxy`).
    let public_path = dir.join("public.pem");
    let public_pem = sim
        .config()
        .public_key
        .to_spki_pem()
        .map_err(|source| CliError::Key {
            flag: "simulate",
            source,
        })?;
    write_file(&public_path, public_pem.as_bytes(), 0o644)?;
    env.push_str(&format!("CDM_PUBLIC_KEY={}\n", public_path.display()));
    // Another endpoint's simulator: the suite sourcing this file runs its spec.
    if let Some(dir) = spec_dir {
        let dir = std::fs::canonicalize(dir).unwrap_or_else(|_| dir.to_owned());
        env.push_str(&format!("CDM_SPEC={}\n", dir.display()));
    }
    let env_path = dir.join("credentials.env");
    write_file(&env_path, env.as_bytes(), 0o600)?;

    let quirks = match args.quirk.len() {
        0 => String::new(),
        _ => format!(
            "\nquirks (deliberate deviations): {}",
            args.quirk
                .iter()
                .filter_map(|q| {
                    clap::ValueEnum::to_possible_value(q).map(|v| v.get_name().to_owned())
                })
                .collect::<Vec<_>>()
                .join(", ")
        ),
    };
    let (key_line, try_extra) = match (&private_path, &c.private_key) {
        (Some(p), None) => (
            format!(
                "partner private key: {} (fresh RSA-2048; the simulator verifies with its public half)",
                p.display()
            ),
            "",
        ),
        (Some(p), Some(_)) => (
            format!("partner private key: {} (as given)", p.display()),
            "",
        ),
        (None, Some(_)) => (
            "partner key: the public half of the --private-key given".to_owned(),
            " --private-key YOUR_PRIVATE_KEY",
        ),
        (None, None) => (
            "partner public key: as given by --public-key".to_owned(),
            " --private-key YOUR_PRIVATE_KEY",
        ),
    };
    // The banner goes out at once; the simulator then runs until Ctrl-C.
    println!(
        "PayCools simulator ({title}) listening on {base}\n\
         accepts:\n  {partner_header:<13} {}\n  client key    {}\n  access token  {} (in full in credentials.env)\n  {merchant_field:<13} {}\n  {key_line}\n\
         credentials:   {}{quirks}\n\
         try:           (set -a; . {}; cdm-conformance server{try_extra})\n\
         Ctrl-C stops it.",
        credentials.partner_id,
        credentials.client_key,
        redact::token(&credentials.access_token),
        credentials.merchant_id,
        env_path.display(),
        env_path.display(),
    );
    let _ = tokio::signal::ctrl_c().await;
    drop(sim);
    Ok(Outcome {
        stdout: "simulator stopped\n".into(),
        stderr: String::new(),
        code: 0,
    })
}
