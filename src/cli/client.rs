//! `client`: certify a vendor's adapter, or the reference client.

use std::sync::Arc;
use std::time::Duration;

use super::output::{check_report_paths, finish};
use super::{CliError, ClientArgs, Outcome, verifying_key};
use crate::certify::{CertifyOptions, certify};
use crate::client::{ClientUnderTest, CommandClient, ReferenceClient};
use crate::console::{OnCase, Progress};
use crate::contract::Contract;
use crate::simulator::test_signing_key;
use crate::wire::Credentials;

/// Runs `client`.
pub(super) async fn run(contract: Arc<Contract>, args: &ClientArgs) -> Result<Outcome, CliError> {
    if args.reports.list {
        let scenarios = crate::certify::scenarios(&contract);
        let pattern = args.reports.cases.as_deref();
        let scenarios = crate::runner::select(scenarios, pattern).ok_or_else(|| {
            crate::certify::CertifyError::NoCases {
                pattern: pattern.unwrap_or_default().to_owned(),
            }
        })?;
        return Ok(super::output::list(scenarios));
    }
    check_report_paths(&args.reports.output)?;
    let (c, profile) = args.credentials.merged()?;
    let c = &c;
    let cmd = args.cmd.clone().or(profile.cmd);
    let d = Credentials::test_defaults();
    let mut options = CertifyOptions::test_defaults(contract.clone());
    options.credentials = Credentials {
        partner_id: c.partner_id.clone().unwrap_or(d.partner_id),
        client_key: c.client_key.clone().unwrap_or(d.client_key),
        access_token: c.access_token.clone().unwrap_or(d.access_token),
        merchant_id: c.merchant_id.clone().unwrap_or(d.merchant_id),
    };
    let mut note = String::new();
    // The reference client signs with --private-key when given (its public
    // half verifies, unless --public-key says otherwise).
    let reference_key = match (&cmd, &c.private_key) {
        (None, Some(k)) => Some(super::signing_key("--private-key", k)?),
        _ => None,
    };
    match (&c.public_key, &reference_key) {
        (Some(k), _) => options.public_key = verifying_key("--public-key", k)?,
        (None, Some(key)) => options.public_key = key.verifying_key(),
        (None, None) if cmd.is_some() => {
            note = "note: no --public-key: signatures were verified with the built-in test key (src/testkeys/partner-public.pem)\n".into();
        }
        (None, None) => {}
    }
    options.deadline = Duration::from_secs(args.deadline);
    options.request_cap = args.request_cap as usize;
    options.jobs = args.jobs as usize;
    options.identity = identity(args)?;
    options.cases = args.reports.cases.clone();
    let client: Arc<dyn ClientUnderTest> = match &cmd {
        Some(cmd) => Arc::new(CommandClient::new(cmd.clone())),
        None => Arc::new(ReferenceClient::new(
            contract.clone(),
            reference_key.unwrap_or_else(test_signing_key),
        )),
    };
    let total = crate::runner::select(
        crate::certify::scenarios(&contract),
        options.cases.as_deref(),
    )
    .map_or(0, |s| s.len());
    let progress = Progress::new(&args.reports.output.console(), total, "certification");
    options.on_case = Some(OnCase::progress(&progress));
    let report = certify(client, &options).await;
    progress.finish();
    Ok(finish(&report?, &args.reports.output, &note))
}

/// Who is certified: the names given and each artifact's SHA-256.
fn identity(args: &ClientArgs) -> Result<crate::report::ClientIdentity, CliError> {
    use sha2::{Digest, Sha256};
    let artifacts = args
        .artifact
        .iter()
        .map(|path| {
            let bytes = std::fs::read(path).map_err(|e| CliError::Flag {
                flag: "--artifact",
                reason: format!(
                    "cannot read {}: {}",
                    path.display(),
                    crate::wire::signature::io_reason(&e)
                ),
            })?;
            Ok(crate::report::Artifact {
                path: path.display().to_string(),
                sha256: Sha256::digest(&bytes)
                    .iter()
                    .map(|b| format!("{b:02x}"))
                    .collect(),
            })
        })
        .collect::<Result<_, CliError>>()?;
    Ok(crate::report::ClientIdentity {
        name: args.client_name.clone(),
        version: args.client_version.clone(),
        artifacts,
    })
}
