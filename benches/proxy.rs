//! The latency the validating proxy adds, at the median and the 99th
//! percentile, sequential and concurrent.
//!
//! `cargo bench --bench proxy`. The upstream is the built-in simulator on
//! 127.0.0.1 (rate limit lifted). The same pre-signed requests (each its own
//! reference) go once directly and once through the proxy, alternating
//! direct and proxied in rounds so that drift on the machine falls on both
//! alike; each request on its own connection, as the suite sends them. The
//! added latency is the difference of the two distributions at each
//! percentile. Each exchange is judged for a console line, as the command
//! does; the last rows measure again once the proxy holds thousands of
//! exchanges. The README reports the figures.

use std::num::NonZeroU32;
use std::time::{Duration, Instant};

use cdm_conformance::proxy::{Proxy, ProxyOptions};
use cdm_conformance::simulator::{SimConfig, Simulator, test_signing_key};
use cdm_conformance::transport::{Transport, Trust};
use cdm_conformance::{Contract, Credentials, SignedRequest, Timestamp};

const SEQUENTIAL: usize = 2000;
const TASKS: usize = 8;
const PER_TASK: usize = 250;

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i]
}

fn micros(d: Duration) -> f64 {
    d.as_secs_f64() * 1e6
}

fn report(what: &str, mut direct: Vec<Duration>, mut proxied: Vec<Duration>) {
    direct.sort();
    proxied.sort();
    for (name, p) in [("median", 0.5), ("p99", 0.99)] {
        let (d, x) = (percentile(&direct, p), percentile(&proxied, p));
        println!(
            "{what:<11} {name:<6} direct {:>8.1} µs  proxied {:>8.1} µs  added {:>8.1} µs",
            micros(d),
            micros(x),
            micros(x) - micros(d)
        );
    }
}

fn main() {
    let runtime = tokio::runtime::Runtime::new().expect("a tokio runtime");
    runtime.block_on(async {
        let contract = Contract::embedded();
        let mut config = SimConfig::for_contract(contract.clone());
        config.rate_burst = NonZeroU32::new(1_000_000).unwrap();
        config.rate_per_second = NonZeroU32::new(1_000_000).unwrap();
        let sim = Simulator::start(config).await.expect("simulator");
        let creds = Credentials::test_defaults();
        let key = test_signing_key();
        let mut options = ProxyOptions::new(
            contract.clone(),
            &sim.base_url(),
            key.verifying_key(),
            &creds.client_key,
        )
        .with_access_token(&creds.access_token);
        // As the command runs it: each exchange judged for its console line.
        options.on_exchange = Some(cdm_conformance::console::OnCase(std::sync::Arc::new(
            |_| {},
        )));
        let proxy = Proxy::start(options).await.expect("proxy");
        let transport = Transport::exact(Duration::from_secs(10), &Trust::System).unwrap();
        let now = Timestamp::now();
        let requests: Vec<SignedRequest> = (0..100 + 2 * SEQUENTIAL + 2 * TASKS * PER_TASK)
            .map(|i| {
                let body = contract.sample_body(&format!("BENCH-{i:06}"), &creds.merchant_id);
                SignedRequest::build(&contract, &creds, &key, &body, &now)
            })
            .collect();
        let (direct_url, proxy_url) = (sim.base_url(), proxy.base_url());
        // Warm up both paths.
        for r in requests.iter().take(50) {
            transport.send(&direct_url, r).await;
            transport.send(&proxy_url, r).await;
        }

        let (mut direct, mut proxied) = (Vec::new(), Vec::new());
        for pair in requests[100..100 + SEQUENTIAL * 2].chunks(2) {
            for (url, sink, r) in [
                (&direct_url, &mut direct, &pair[0]),
                (&proxy_url, &mut proxied, &pair[1]),
            ] {
                let started = Instant::now();
                let e = transport.send(url, r).await;
                sink.push(started.elapsed());
                assert_eq!(e.outcome.map(|r| r.status).ok(), Some(200));
            }
        }
        report("sequential", direct, proxied);

        let mut lists = (Vec::new(), Vec::new());
        for (round, url) in [(0, &direct_url), (1, &proxy_url)] {
            let mut set = tokio::task::JoinSet::new();
            for t in 0..TASKS {
                let start = 100 + 2 * SEQUENTIAL + round * TASKS * PER_TASK + t * PER_TASK;
                let mine: Vec<SignedRequest> = requests[start..start + PER_TASK].to_vec();
                let (transport, url) = (transport.clone(), url.clone());
                set.spawn(async move {
                    let mut times = Vec::new();
                    for r in &mine {
                        let started = Instant::now();
                        transport.send(&url, r).await;
                        times.push(started.elapsed());
                    }
                    times
                });
            }
            let times: Vec<Duration> = set.join_all().await.into_iter().flatten().collect();
            if round == 0 {
                lists.0 = times;
            } else {
                lists.1 = times;
            }
        }
        report(&format!("{TASKS} at once"), lists.0, lists.1);

        // The same again once the proxy holds thousands of exchanges: the
        // cost per exchange must not grow with the session.
        let held = proxy.exchanges();
        let (mut direct, mut proxied) = (Vec::new(), Vec::new());
        for (i, r) in requests[100..100 + SEQUENTIAL].iter().enumerate() {
            let url = if i % 2 == 0 { &direct_url } else { &proxy_url };
            let sink = if i % 2 == 0 {
                &mut direct
            } else {
                &mut proxied
            };
            let started = Instant::now();
            transport.send(url, r).await;
            sink.push(started.elapsed());
        }
        report(&format!("after {held}"), direct, proxied);
        let started = Instant::now();
        let report = proxy.report().await;
        let took = started.elapsed();
        println!(
            "the report of {} exchanges judged in {} ms ({:.0} µs an exchange)",
            report.cases.len(),
            took.as_millis(),
            micros(took) / report.cases.len().max(1) as f64
        );
    });
}
