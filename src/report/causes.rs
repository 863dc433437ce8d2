//! Root causes: one defect that fails many cases the same way is told once,
//! before the case list, in every format.

use serde::Serialize;

use super::Report;
use crate::verdict::{Finding, Verdict};

/// One cause: the same check failing with the same finding in several cases.
#[derive(Debug, Clone, Serialize)]
pub struct Cause {
    /// The finding, as the first case saw it.
    pub finding: Finding,
    /// The cases it fails.
    pub cases: Vec<String>,
}

impl Cause {
    /// `52 cases: x_timestamp_well_formed: expected ..., got ... (row)`.
    pub fn line(&self) -> String {
        format!(
            "{} cases: {}: {}",
            self.cases.len(),
            self.finding.check,
            self.finding
        )
    }
}

/// A finding's text with its digits masked: two cases whose answers differ
/// only by a timestamp or an id share a cause.
fn shape(f: &Finding) -> String {
    let text = format!("{}|{}|{}|{}", f.check, f.spec_ref, f.expected, f.actual);
    let mut out = String::with_capacity(text.len());
    let mut digits = false;
    for c in text.chars() {
        if c.is_ascii_digit() {
            if !digits {
                out.push('#');
            }
            digits = true;
        } else {
            digits = false;
            out.push(c);
        }
    }
    out
}

impl Report {
    /// Every failing finding shared by two cases or more, the most cases
    /// first.
    pub fn causes(&self) -> Vec<Cause> {
        let mut causes: Vec<(String, Cause)> = Vec::new();
        for case in &self.cases {
            let mut seen_here = std::collections::BTreeSet::new();
            // A known deviation is accepted; it leads no list.
            if case.known.is_some() {
                continue;
            }
            for f in case.checks.iter().filter(|f| f.verdict == Verdict::Fail) {
                let key = shape(f);
                if !seen_here.insert(key.clone()) {
                    continue;
                }
                match causes.iter_mut().find(|(k, _)| *k == key) {
                    Some((_, cause)) => cause.cases.push(case.id.clone()),
                    None => causes.push((
                        key,
                        Cause {
                            finding: f.clone(),
                            cases: vec![case.id.clone()],
                        },
                    )),
                }
            }
        }
        let mut shared: Vec<Cause> = causes
            .into_iter()
            .map(|(_, c)| c)
            .filter(|c| c.cases.len() >= 2)
            .collect();
        shared.sort_by_key(|c| std::cmp::Reverse(c.cases.len()));
        shared
    }
}
