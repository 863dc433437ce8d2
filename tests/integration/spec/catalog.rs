//! The built-in suite's case ids, the rows they cite and the codes they
//! expect, and certification's scenarios, snapshotted: a change to any of
//! them shows in review (reports, expect-failure files and CI filters name
//! cases by these ids).

use cdm_conformance::Contract;
use cdm_conformance::cases::{CatalogOptions, catalog};
use cdm_conformance::certify::scenarios;

use crate::snap;

#[test]
fn server_cases_are_stable() {
    let contract = Contract::embedded();
    let options = CatalogOptions {
        include_rate_limit: true,
    };
    let lines: Vec<String> = catalog(&contract, &options)
        .iter()
        .map(|c| {
            format!(
                "{} | {} | {}",
                c.id,
                c.spec_ref,
                c.expected_codes().join(" ")
            )
        })
        .collect();
    snap!("catalog_server", lines.join("\n"));
}

#[test]
fn certification_scenarios_are_stable() {
    let contract = Contract::embedded();
    let lines: Vec<String> = scenarios(&contract)
        .iter()
        .map(|s| {
            format!(
                "{} | {} | {}..={} | {:?}",
                s.id,
                s.spec_ref,
                s.attempts.start(),
                s.attempts.end(),
                s.reaction
            )
        })
        .collect();
    snap!("catalog_client", lines.join("\n"));
}
