//! The server suite as one named test per case (`harness = false`).
//!
//! Against the built-in simulator by default, or against a real endpoint
//! when `CDM_BASE_URL` and the credential variables are set (the same
//! variables as `cdm-conformance server`). Filter as usual:
//! `cargo test --test server_suite -- x_timestamp`.

use std::sync::Arc;

use cdm_conformance::cases::{Case, catalog};
use cdm_conformance::cli::{Cli, Command, prepare_server};
use cdm_conformance::runner::Runner;
use cdm_conformance::verdict::Verdict;
use clap::Parser;
use libtest_mimic::{Arguments, Failed, Trial};

fn main() {
    let args = Arguments::from_args();
    let runtime = Arc::new(
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("a tokio runtime"),
    );
    // `server` with no flags: the CDM_* variables, or the built-in simulator.
    let cli = Cli::try_parse_from(["cdm-conformance", "server"]).unwrap_or_else(|e| {
        eprintln!("server_suite: {e}");
        std::process::exit(2)
    });
    let Command::Server(server_args) = cli.command else {
        unreachable!("parsed the server command")
    };
    let (sim, target, options) = runtime
        .block_on(prepare_server(
            cdm_conformance::Contract::embedded(),
            &server_args,
        ))
        .unwrap_or_else(|e| {
            eprintln!("server_suite: {e}");
            std::process::exit(2)
        });
    let runner = runtime
        .block_on(async { Runner::new(&target, &options) })
        .unwrap_or_else(|e| {
            eprintln!("server_suite: {e}");
            std::process::exit(2)
        });
    // Against a real endpoint, one valid request first: a setup mistake
    // (address, TLS, credentials, merchant, path) stops the run with one
    // line and exit 2, as the CLI does, instead of failing every test.
    if sim.is_none()
        && let Err(e) = runtime.block_on(runner.preflight())
    {
        eprintln!("server_suite: {e}");
        std::process::exit(2)
    }
    let where_ = if sim.is_some() {
        "built-in simulator"
    } else {
        "CDM_BASE_URL"
    };
    let trials: Vec<Trial> = catalog(&cdm_conformance::Contract::embedded(), &options.catalog)
        .into_iter()
        .map(|case: Case| {
            let runtime = runtime.clone();
            let runner = runner.clone();
            let kind = case.id.split('.').next().unwrap_or("case").to_owned();
            Trial::test(case.id.clone(), move || {
                let report = runtime.block_on(runner.run(case));
                match report.verdict {
                    Verdict::Fail => Err(Failed::from(format!(
                        "{} [{}]",
                        report.message, report.spec_ref
                    ))),
                    Verdict::Warn => {
                        eprintln!("warning: {}: {}", report.id, report.message);
                        Ok(())
                    }
                    // What the API text does not state: shown, never failed.
                    Verdict::Info => {
                        eprintln!("info: {}: {}", report.id, report.message);
                        Ok(())
                    }
                    _ => Ok(()),
                }
            })
            .with_kind(kind)
        })
        .collect();
    // The cases this invocation runs: libtest's filter is a substring of
    // the name (or the whole name with --exact), --skip removes.
    let selected = trials
        .iter()
        .filter(|t| {
            let name = t.name();
            let kept = args.filter.as_deref().is_none_or(|f| match args.exact {
                true => name == f,
                false => name.contains(f),
            });
            kept && !args.skip.iter().any(|s| name.contains(s.as_str()))
        })
        .count();
    eprintln!(
        "server suite: {selected} of {} cases against the {where_} ({})",
        trials.len(),
        target.base_url
    );
    let conclusion = libtest_mimic::run(&args, trials);
    drop(sim);
    conclusion.exit();
}
