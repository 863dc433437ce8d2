//! One run loop for every mode: filter, concurrency, order, progress hook,
//! panic policy, run ids.
//!
//! - [`suite`]: the server suite's execution (each case's requests and
//!   judgement);
//! - [`crate::certify`]: client certification's execution.
//!
//! Both hand their cases to [`run_all`]: cases that must run alone run
//! after the others; at most `jobs` run at once; each finished case feeds
//! the progress hook; a case whose code panics fails with a `harness`
//! finding and never takes the run (or another case) down with it.
//!
//! ```
//! # tokio::runtime::Runtime::new().unwrap().block_on(async {
//! use cdm_conformance::runner::{RunOptions, Target, run_suite};
//! use cdm_conformance::simulator::{SimConfig, Simulator};
//!
//! let sim = Simulator::start(SimConfig::test_defaults()).await.unwrap();
//! let target = Target::for_simulator(&sim);
//! let report = run_suite(&target, &RunOptions::local(&target.contract)).await.unwrap();
//! assert_eq!(report.summary.failed, 0, "{:?}", report.failures());
//! # });
//! ```

pub mod preflight;
pub mod suite;

use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use time::OffsetDateTime;
use tokio::sync::Semaphore;

pub use preflight::SetupError;
pub use suite::{RunError, RunOptions, Runner, Target, run_cases, run_suite};

use crate::console::OnCase;
use crate::report::CaseReport;
use crate::rules::CheckId;
use crate::spec::SpecRef;
use crate::verdict::{Finding, Verdict};

/// What the run loop needs to know of a case.
pub trait CaseMeta {
    /// The stable id.
    fn id(&self) -> &str;
    /// The row it cites.
    fn spec_ref(&self) -> &SpecRef;
    /// The rule in words.
    fn rule(&self) -> &str;
    /// Whether it must run alone, after every other case.
    fn alone(&self) -> bool {
        false
    }
    /// Whether it is known to take long (it waits out timeouts): such cases
    /// take their slots first, so that a limit on concurrent cases costs
    /// little wall time.
    fn slow(&self) -> bool {
        false
    }
}

/// Whether a case id matches a `--cases` pattern: any of its comma-separated
/// parts is a substring of the id (`x_timestamp`, `header.x_partner_id,business`).
pub fn matches(pattern: &str, id: &str) -> bool {
    pattern
        .split(',')
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .any(|p| id.contains(p))
}

/// Keeps the cases matching `pattern` (all when `None`); `None` back when
/// a pattern matches nothing.
pub fn select<T: CaseMeta>(cases: Vec<T>, pattern: Option<&str>) -> Option<Vec<T>> {
    let Some(pattern) = pattern else {
        return Some(cases);
    };
    let kept: Vec<T> = cases
        .into_iter()
        .filter(|c| matches(pattern, c.id()))
        .collect();
    (!kept.is_empty()).then_some(kept)
}

/// A run's identity: a short random tag in every reference it makes, and a
/// counter, so that references are fresh across runs and unique within one.
#[derive(Debug)]
pub struct RunId {
    tag: String,
    counter: AtomicU32,
}

impl RunId {
    /// A new random tag.
    pub fn new() -> RunId {
        let mut bytes = [0u8; 4];
        if getrandom::fill(&mut bytes).is_err() {
            let nanos = OffsetDateTime::now_utc().unix_timestamp_nanos();
            bytes = (nanos as u32).to_be_bytes();
        }
        RunId {
            tag: bytes.iter().map(|b| format!("{b:02X}")).collect(),
            counter: AtomicU32::new(1),
        }
    }

    /// The tag.
    pub fn tag(&self) -> &str {
        &self.tag
    }

    /// A fresh reference: `PREFIX-TAG-NNNNN`.
    pub fn reference(&self, prefix: &str) -> String {
        let n = self.counter.fetch_add(1, Ordering::Relaxed);
        format!("{prefix}-{}-{n:05}", self.tag)
    }
}

impl Default for RunId {
    fn default() -> Self {
        RunId::new()
    }
}

/// What a task that did not finish died of: its panic's message.
pub(crate) fn panic_reason(e: tokio::task::JoinError) -> String {
    match e.try_into_panic() {
        Ok(p) => p
            .downcast_ref::<&str>()
            .map(|s| (*s).to_owned())
            .or_else(|| p.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "a panic".into()),
        Err(_) => "cancelled".into(),
    }
}

/// The report of a case whose code panicked.
fn panicked(meta: (&str, &SpecRef, &str), reason: String) -> CaseReport {
    let (id, spec_ref, rule) = meta;
    CaseReport::from_parts(
        id,
        spec_ref.clone(),
        rule,
        vec![],
        vec![Finding::new(
            CheckId::Harness,
            Verdict::Fail,
            spec_ref.clone(),
            "the case to run to its end",
            format!("the harness failed on it: {reason}"),
        )],
        vec![],
        Duration::ZERO,
    )
}

/// Runs every case with `run`: the others first, at most `jobs` at once,
/// then those that must run alone, one by one. Results come back in the
/// cases' order.
pub async fn run_all<T, F, Fut>(
    cases: Vec<T>,
    jobs: usize,
    hook: Option<OnCase>,
    run: F,
) -> Vec<CaseReport>
where
    T: CaseMeta + Send + 'static,
    F: Fn(T) -> Fut,
    Fut: Future<Output = CaseReport> + Send + 'static,
{
    let (alone, together): (Vec<_>, Vec<_>) =
        cases.into_iter().enumerate().partition(|(_, c)| c.alone());
    let mut results = Vec::new();
    for (mut batch, width) in [(together, jobs.max(1)), (alone, 1)] {
        // Slow cases first; results keep the cases' order all the same.
        batch.sort_by_key(|(i, c)| (!c.slow(), *i));
        let slots = Arc::new(Semaphore::new(width));
        let mut tasks = tokio::task::JoinSet::new();
        for (i, case) in batch {
            let meta = (
                case.id().to_owned(),
                case.spec_ref().clone(),
                case.rule().to_owned(),
            );
            let future = run(case);
            let slots = slots.clone();
            tasks.spawn(async move {
                // The semaphore is never closed.
                let _slot = slots.acquire_owned().await.ok();
                let report = match tokio::spawn(future).await {
                    Ok(r) => r,
                    Err(e) => panicked((&meta.0, &meta.1, &meta.2), panic_reason(e)),
                };
                (i, report)
            });
        }
        // Each task only awaits its case, which cannot panic through it.
        while let Some(joined) = tasks.join_next().await {
            if let Ok((i, report)) = joined {
                if let Some(hook) = &hook {
                    (hook.0)(&report);
                }
                results.push((i, report));
            }
        }
    }
    results.sort_by_key(|(i, _)| *i);
    results.into_iter().map(|(_, r)| r).collect()
}
