//! `server`: the server suite against --base-url or the built-in simulator.

use std::num::NonZeroU32;
use std::sync::Arc;

use super::output::{check_report_paths, finish};
use super::{CliError, CredentialArgs, Outcome, ServerArgs, signing_key};
use crate::console::{OnCase, Progress};
use crate::contract::Contract;
use crate::runner::{RunOptions, Target, run_suite};
use crate::simulator::{SimConfig, Simulator, test_signing_key};
use crate::wire::Credentials;

/// The credentials given, over the test defaults (for the built-in simulator).
fn over_defaults(c: &CredentialArgs) -> Credentials {
    let d = Credentials::test_defaults();
    Credentials {
        partner_id: c.partner_id.clone().unwrap_or(d.partner_id),
        client_key: c.client_key.clone().unwrap_or(d.client_key),
        access_token: c.access_token.clone().unwrap_or(d.access_token),
        merchant_id: c.merchant_id.clone().unwrap_or(d.merchant_id),
    }
}

/// Every credential a real endpoint needs, or the list of what is missing.
fn required(c: &CredentialArgs) -> Result<(Credentials, String), CliError> {
    let fields = [
        ("--partner-id", &c.partner_id),
        ("--client-key", &c.client_key),
        ("--access-token", &c.access_token),
        ("--merchant-id", &c.merchant_id),
        ("--private-key", &c.private_key),
    ];
    let missing: Vec<&str> = fields
        .iter()
        .filter(|(_, v)| v.is_none())
        .map(|(f, _)| *f)
        .collect();
    if !missing.is_empty() {
        return Err(CliError::MissingCredentials {
            missing: missing.join(", "),
        });
    }
    let get = |v: &Option<String>| v.clone().unwrap_or_default();
    Ok((
        Credentials {
            partner_id: get(&c.partner_id),
            client_key: get(&c.client_key),
            access_token: get(&c.access_token),
            merchant_id: get(&c.merchant_id),
        },
        get(&c.private_key),
    ))
}

fn base_url(raw: &str) -> Result<String, CliError> {
    let flag = "--base-url";
    let url = reqwest::Url::parse(raw).map_err(|e| CliError::Flag {
        flag,
        reason: format!("{raw:?} is not a URL: {e}"),
    })?;
    if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
        return Err(CliError::Flag {
            flag,
            reason: format!("{raw:?} must be an http:// or https:// URL"),
        });
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(CliError::Flag {
            flag,
            reason: "must not carry a user or password (they would reach the reports)".into(),
        });
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(CliError::Flag {
            flag,
            reason: format!("{raw:?} must have no query or fragment"),
        });
    }
    Ok(raw.trim_end_matches('/').to_owned())
}

/// What a `server` run needs: the simulator when there is no --base-url
/// (keep it alive while the run lasts), the target, and the run options.
pub type Prepared = (Option<Simulator>, Target, RunOptions);

/// Resolves `server`'s flags and variables into a target and options,
/// starting the built-in simulator when there is no --base-url.
pub async fn prepare(contract: Arc<Contract>, args: &ServerArgs) -> Result<Prepared, CliError> {
    let (credentials, profile) = args.credentials.merged()?;
    let args = &ServerArgs {
        base_url: args.base_url.clone().or(profile.base_url),
        credentials,
        reports: args.reports.clone(),
        include_rate_limit: args.include_rate_limit,
        burst: args.burst,
        concurrency: args.concurrency.or(profile.concurrency),
        rate: args.rate.or(profile.rate),
        ca_bundle: args.ca_bundle.clone().or(profile.ca_bundle),
        insecure: args.insecure,
        expect_failures: args.expect_failures.clone(),
        no_preflight: args.no_preflight,
    };
    let mut options = match &args.base_url {
        Some(_) => RunOptions::staging(&contract),
        None => RunOptions::local(&contract),
    };
    options.cases = args.reports.cases.clone();
    options.catalog.include_rate_limit = args.include_rate_limit;
    options.burst = args.burst;
    options.preflight = !args.no_preflight;
    options.trust = match (&args.ca_bundle, args.insecure) {
        (_, true) => crate::transport::Trust::Insecure,
        (Some(path), false) => crate::transport::Trust::Bundle(path.clone()),
        (None, false) => crate::transport::Trust::System,
    };
    if let Some(c) = args.concurrency {
        options.concurrency = c as usize;
    }
    if let Some(r) = args.rate {
        options.rate = NonZeroU32::new(r);
    }
    match &args.base_url {
        Some(raw) => {
            let base_url = base_url(raw)?;
            let (credentials, key) = required(&args.credentials)?;
            let key = signing_key("--private-key", &key)?;
            let target = Target {
                contract,
                base_url,
                credentials,
                key,
                simulated: false,
            };
            Ok((None, target, options))
        }
        None => {
            // The built-in simulator, with whatever credentials were given
            // over its test defaults, and trusting the given key if any.
            let key = match &args.credentials.private_key {
                Some(k) => signing_key("--private-key", k)?,
                None => test_signing_key(),
            };
            let mut config = SimConfig::for_contract(contract.clone());
            config.credentials = over_defaults(&args.credentials);
            config.public_key = key.verifying_key();
            let sim = Simulator::start(config).await?;
            let target = Target {
                contract,
                base_url: sim.base_url(),
                credentials: sim.config().credentials.clone(),
                key,
                simulated: true,
            };
            Ok((Some(sim), target, options))
        }
    }
}

/// Runs `server`.
pub(super) async fn run(contract: Arc<Contract>, args: &ServerArgs) -> Result<Outcome, CliError> {
    let catalog_options = crate::cases::CatalogOptions {
        include_rate_limit: args.include_rate_limit,
    };
    if args.reports.list {
        let cases = crate::cases::catalog(&contract, &catalog_options);
        let pattern = args.reports.cases.as_deref();
        let cases = crate::runner::select(cases, pattern).ok_or_else(|| {
            crate::runner::RunError::NoCases {
                pattern: pattern.unwrap_or_default().to_owned(),
            }
        })?;
        return Ok(super::output::list(cases));
    }
    check_report_paths(&args.reports.output)?;
    let known = args
        .expect_failures
        .as_deref()
        .map(crate::report::known::KnownDeviations::load)
        .transpose()
        .map_err(|reason| CliError::Flag {
            flag: "--expect-failures",
            reason,
        })?;
    if let Some(known) = &known {
        let ids: Vec<String> = crate::cases::catalog(&contract, &catalog_options)
            .into_iter()
            .map(|c| c.id)
            .collect();
        known.check(&ids).map_err(|reason| CliError::Flag {
            flag: "--expect-failures",
            reason,
        })?;
    }
    let (_sim, target, mut options) = prepare(contract, args).await?;
    let total = crate::runner::select(
        crate::cases::catalog(&target.contract, &options.catalog),
        options.cases.as_deref(),
    )
    .map_or(0, |c| c.len());
    let progress = Progress::new(&args.reports.output.console(), total, "server suite");
    options.on_case = Some(OnCase::progress(&progress));
    let report = run_suite(&target, &options).await;
    progress.finish();
    let mut report = report?;
    if let Some(known) = known {
        known.apply(&mut report);
        report.settings.insert(
            "expect_failures".into(),
            args.expect_failures
                .as_deref()
                .map(|p| p.display().to_string())
                .unwrap_or_default(),
        );
    }
    Ok(finish(&report, &args.reports.output, ""))
}
