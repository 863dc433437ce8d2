//! The committed rule book is the one `specs/` generates, and names every
//! check once.

use cdm_conformance::Contract;
use cdm_conformance::rules::CheckId;

#[test]
fn docs_rules_md_is_not_stale() {
    let committed =
        std::fs::read_to_string(crate::common::root().join("docs/rules.md")).unwrap_or_default();
    let generated = cdm_conformance::rulebook::render(&Contract::embedded());
    assert!(
        committed == generated,
        "docs/rules.md is stale: run `cargo run -- rules > docs/rules.md` and commit it"
    );
}

#[test]
fn the_book_names_every_check_once_with_its_source() {
    let mut names: Vec<&str> = CheckId::BOOK.iter().map(|(id, ..)| id.as_str()).collect();
    let n = names.len();
    names.sort();
    names.dedup();
    assert_eq!(names.len(), n, "a check listed twice");
    assert!(
        CheckId::BOOK
            .iter()
            .all(|(_, r, s)| !r.is_empty() && !s.is_empty())
    );
    // The rendered book has a row for each, and no Rust spelling.
    let book = cdm_conformance::rulebook::render(&Contract::embedded());
    for name in names {
        assert!(book.contains(&format!("| `{name}` |")), "{name}");
    }
    assert!(
        !book.contains("MayRetry") && book.contains("`may_retry`"),
        "{book}"
    );
}

/// Every check a faulty simulator's report names (answer checks of every
/// kind) is in the book.
#[tokio::test]
async fn every_check_a_faulty_servers_report_names_is_in_the_book() {
    use cdm_conformance::runner::{RunOptions, Target, run_suite};
    use cdm_conformance::simulator::{Quirk, SimConfig, Simulator};
    let contract = Contract::embedded();
    let sim = Simulator::start(SimConfig::test_defaults().with_quirk(Quirk::HtmlErrors))
        .await
        .unwrap();
    let report = run_suite(&Target::for_simulator(&sim), &RunOptions::local(&contract))
        .await
        .unwrap();
    let book: Vec<CheckId> = CheckId::BOOK.iter().map(|(id, ..)| *id).collect();
    for f in report.cases.iter().flat_map(|c| &c.checks) {
        assert!(book.contains(&f.check), "{} not in the book", f.check);
    }
}

/// Users have the project, not the document its readings were agreed in:
/// no file a user gets (code, specs, docs, examples, fixtures) cites it,
/// and no verdict can.
#[test]
fn nothing_cites_a_document_users_do_not_have() {
    let needles = [concat!("CONTRACT", ".md"), concat!("contract ", "§")];
    let root = crate::common::root();
    let mut stack: Vec<std::path::PathBuf> = ["src", "specs", "docs", "examples", "tests/fixtures"]
        .iter()
        .map(|d| root.join(d))
        .chain([root.join("README.md"), root.join("CHANGELOG.md")])
        .collect();
    let mut read = 0;
    while let Some(path) = stack.pop() {
        if path.is_dir() {
            for entry in std::fs::read_dir(&path).unwrap() {
                stack.push(entry.unwrap().path());
            }
            continue;
        }
        let Ok(text) = std::fs::read_to_string(&path) else {
            continue;
        };
        read += 1;
        for needle in needles {
            assert!(
                !text.contains(needle),
                "{} cites {needle:?}",
                path.display()
            );
        }
    }
    assert!(read > 50, "only {read} files read");
}
