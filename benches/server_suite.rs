//! Wall time of the whole server suite against a local target.
//!
//! `cargo bench --bench server_suite`. The target is the built-in simulator
//! on 127.0.0.1, started once; each sample runs every case of the suite (the
//! rate-limit burst excluded, as by default). The README reports the figure.

use cdm_conformance::runner::{RunOptions, Target, run_suite};
use cdm_conformance::simulator::{SimConfig, Simulator};
use divan::Bencher;

fn main() {
    divan::main();
}

#[divan::bench(sample_count = 30, sample_size = 1)]
fn whole_suite_against_the_local_simulator(bencher: Bencher) {
    let runtime = tokio::runtime::Runtime::new().expect("a tokio runtime");
    // Repeated runs would reach the simulator's rate limit (a burst of 200,
    // then 100 per second): lift it, so every sample measures the suite itself.
    let mut config = SimConfig::test_defaults();
    config.rate_burst = std::num::NonZeroU32::new(1_000_000).unwrap();
    config.rate_per_second = std::num::NonZeroU32::new(1_000_000).unwrap();
    let sim = runtime
        .block_on(Simulator::start(config))
        .expect("simulator");
    let target = Target::for_simulator(&sim);
    let options = RunOptions::local(&cdm_conformance::Contract::embedded());
    bencher.bench_local(|| {
        let report = runtime
            .block_on(run_suite(&target, &options))
            .expect("the suite runs");
        assert_eq!(report.summary.failed, 0, "{:?}", report.failures());
        report
    });
}

#[divan::bench(sample_count = 200)]
fn sign_one_request(bencher: Bencher) {
    let key = cdm_conformance::simulator::test_signing_key();
    bencher.bench_local(|| key.sign("3a34d6a9debb4246931f3941c471dd3b|2023-09-25T17:57:35+07:00"));
}
