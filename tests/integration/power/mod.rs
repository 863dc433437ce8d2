//! Proof of power: the suites catch deliberately faulty implementations, by a
//! case that names the fault, and pass the faithful ones.

mod faulty_clients;
mod faulty_servers;
mod fuzz_checks;
mod hostile_servers;
mod rejudge;
mod reliability;
mod sibling;

use cdm_conformance::report::Report;
use cdm_conformance::verdict::Verdict;

/// Asserts that `fault` made the run fail through case `case_id`, by the
/// check named `check`, whose rendering says `seen`.
pub fn assert_caught(report: &Report, fault: &str, case_id: &str, check: &str, seen: &str) {
    assert_eq!(report.exit_code(), 1, "{fault} went unnoticed");
    let case = report
        .cases
        .iter()
        .find(|c| c.id == case_id)
        .unwrap_or_else(|| panic!("no case {case_id}"));
    assert_eq!(
        case.verdict,
        Verdict::Fail,
        "{fault}: {case_id} did not fail: {}",
        case.message
    );
    let finding = case
        .checks
        .iter()
        .find(|f| f.verdict == Verdict::Fail && f.check.as_str() == check)
        .unwrap_or_else(|| {
            panic!(
                "{fault}: {case_id} fails, but not by {check}: {}",
                case.message
            )
        });
    let rendered = finding.to_string();
    assert!(
        rendered.contains(seen),
        "{fault}: {check} says {rendered:?}, not {seen:?}"
    );
}

/// Asserts that a certification report, as JSON, is judged again from its
/// own evidence to the very verdicts it carries.
pub fn assert_rejudged(report: &Report) {
    let contract = cdm_conformance::Contract::embedded();
    let key = cdm_conformance::simulator::test_signing_key().verifying_key();
    let judged = cdm_conformance::rejudge::rejudge(&contract, &report.to_json(), &key)
        .unwrap_or_else(|e| panic!("the report could not be judged again: {e}"));
    assert!(
        judged.unsupported.is_empty(),
        "the report's evidence does not support it: {:#?}",
        judged.unsupported
    );
    assert_eq!(judged.cases, report.cases.len());
}
