//! Wall time of a whole certification of the reference client.
//!
//! `cargo bench --bench certification`. Every scenario runs at once on one
//! simulator; the spec's 8 s timeout sets the floor (the slowest scenario
//! waits out three held attempts). Each sample also prints the ratio of the
//! whole run to its slowest case: the goal is under 1.3.

use std::sync::Arc;

use cdm_conformance::certify::{CertifyOptions, certify};
use cdm_conformance::client::ReferenceClient;
use cdm_conformance::simulator::test_signing_key;
use divan::Bencher;

fn main() {
    divan::main();
}

#[divan::bench(sample_count = 2, sample_size = 1)]
fn certify_the_reference_client(bencher: Bencher) {
    let runtime = tokio::runtime::Runtime::new().expect("a tokio runtime");
    bencher.bench_local(|| {
        let client = Arc::new(ReferenceClient::new(
            cdm_conformance::Contract::embedded(),
            test_signing_key(),
        ));
        let report = runtime
            .block_on(certify(
                client,
                &CertifyOptions::test_defaults(cdm_conformance::Contract::embedded()),
            ))
            .expect("certification runs");
        assert_eq!(report.summary.failed, 0);
        let slowest = report
            .cases
            .iter()
            .map(|c| c.duration_ms)
            .max()
            .unwrap_or(1)
            .max(1);
        eprintln!(
            "certification: {} cases in {} ms; slowest case {} ms; ratio {:.3}",
            report.cases.len(),
            report.duration_ms,
            slowest,
            report.duration_ms as f64 / slowest as f64
        );
        report
    });
}
