//! `proxy`: a validating proxy between a real client and a real endpoint.

use std::io::Write as _;
use std::sync::Arc;

use super::output::{check_report_paths, finish_tail};
use super::{CliError, Outcome, ProxyArgs, verifying_key};
use crate::console::OnCase;
use crate::contract::Contract;
use crate::proxy::{Proxy, ProxyOptions, answered_code};
use crate::simulator::test_signing_key;
use crate::transport::Trust;
use crate::wire::Credentials;

/// How long the end of a run waits for requests in flight.
const DRAIN: std::time::Duration = std::time::Duration::from_secs(10);

/// Runs `proxy` until Ctrl-C, SIGTERM or `--max-exchanges`.
pub(super) async fn run(contract: Arc<Contract>, args: &ProxyArgs) -> Result<Outcome, CliError> {
    let reports = &args.output;
    check_report_paths(reports)?;
    let (c, _) = args.credentials.merged()?;
    let mut note = String::new();
    let public_key = match &c.public_key {
        Some(k) => verifying_key("--public-key", k)?,
        None => {
            note.push_str("note: no --public-key: signatures were verified with the built-in test key (src/testkeys/partner-public.pem)\n");
            test_signing_key().verifying_key()
        }
    };
    let client_key = match &c.client_key {
        Some(k) => k.clone(),
        None => {
            note.push_str("note: no --client-key: signatures were verified over the built-in test client key\n");
            Credentials::test_defaults().client_key
        }
    };
    let mut options = ProxyOptions::new(contract.clone(), &args.upstream, public_key, &client_key);
    if let Some(token) = &c.access_token {
        options = options.with_access_token(token);
    }
    options.known.partner_id = c.partner_id.clone();
    options.listen = args
        .listen
        .unwrap_or_else(|| std::net::SocketAddr::from(([127, 0, 0, 1], args.port)));
    options.trust = match (&args.ca_bundle, args.insecure) {
        (_, true) => Trust::Insecure,
        (Some(path), false) => Trust::Bundle(path.clone()),
        (None, false) => Trust::System,
    };
    options.max_exchanges = args.max_exchanges.map(|n| n as usize);
    let console = reports.console();
    let line_contract = contract.clone();
    options.on_exchange = Some(OnCase(Arc::new(move |case| {
        let code = case
            .proxied
            .as_ref()
            .and_then(|p| answered_code(&line_contract, &p.arrival.answer));
        let line = console.exchange_line(case, code.as_deref());
        let mut out = std::io::stdout().lock();
        let _ = out.write_all(line.as_bytes());
        let _ = out.flush();
    })));
    let proxy = Proxy::start(options).await.map_err(|e| CliError::Flag {
        flag: "proxy",
        reason: e.to_string(),
    })?;
    eprintln!(
        "proxy listening on {} -> {} (give the client this base URL; Ctrl-C or SIGTERM writes the reports)",
        proxy.base_url(),
        args.upstream
    );
    wait(&proxy).await;
    // Requests in flight get their answers (and are recorded) first.
    proxy.drain(DRAIN).await;
    let report = proxy.report().await;
    let lost = report
        .settings
        .get("not_recorded")
        .and_then(|n| n.parse::<usize>().ok())
        .unwrap_or(0);
    for (id, shown) in proxy.printed_otherwise(&report) {
        note.push_str(&format!(
            "note: {id} was printed {} while an earlier attempt of its transaction was in flight; judged with the whole transaction it is {}\n",
            shown.as_str().to_uppercase(),
            report
                .cases
                .iter()
                .find(|c| c.id == id)
                .map_or("?", |c| c.verdict.as_str())
                .to_uppercase()
        ));
    }
    if lost > 0 {
        note.push_str(&format!(
            "note: {lost} request(s) still waiting for the upstream after {} s were not judged (the report is marked incomplete)\n",
            DRAIN.as_secs()
        ));
    }
    if report.cases.is_empty() {
        note.push_str("note: no request came through the proxy: nothing was judged\n");
    }
    drop(proxy);
    Ok(finish_tail(&report, reports, &note))
}

/// Until Ctrl-C, SIGTERM, or the proxy has its exchanges.
async fn wait(proxy: &Proxy) {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        if let Ok(mut term) = signal(SignalKind::terminate()) {
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                _ = term.recv() => {}
                _ = proxy.finished() => {}
            }
            return;
        }
    }
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        _ = proxy.finished() => {}
    }
}
