//! Known deviations (`server --expect-failures FILE`): a staging server's
//! accepted failures, listed with a reason, do not fail the run; a listed
//! case that passes does (its entry is stale); an unlisted failure fails it
//! as always.
//!
//! ```toml
//! [[known]]
//! case = "header.x_timestamp.*"   # an id, or a pattern with * wildcards
//! reason = "staging accepts UTC timestamps until release 4.2"
//! ticket = "PAY-1234"             # optional
//! ```

use serde::{Deserialize, Serialize};

use super::Report;
use crate::verdict::Verdict;

/// One accepted deviation.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Known {
    /// A case id, or a pattern with `*` wildcards.
    pub case: String,
    /// Why it is accepted.
    pub reason: String,
    /// Where it is tracked.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ticket: Option<String>,
}

/// How a case stands against the known deviations.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct KnownMark {
    /// The entry that names the case.
    #[serde(flatten)]
    pub entry: Known,
    /// The case passed: the entry is stale and fails the run.
    pub stale: bool,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct KnownFile {
    known: Vec<Known>,
}

/// Whether `id` matches `pattern`, where `*` matches any run of characters.
///
/// ```
/// use cdm_conformance::report::known::matches;
/// assert!(matches("header.x_timestamp.*", "header.x_timestamp.utc_z"));
/// assert!(matches("request.valid", "request.valid"));
/// assert!(!matches("request.valid", "request.valid_too"));
/// ```
pub fn matches(pattern: &str, id: &str) -> bool {
    let mut parts = pattern.split('*');
    let first = parts.next().unwrap_or_default();
    let Some(mut rest) = id.strip_prefix(first) else {
        return false;
    };
    let parts: Vec<&str> = parts.collect();
    let Some((last, middle)) = parts.split_last() else {
        return rest.is_empty();
    };
    for part in middle {
        match rest.find(part) {
            Some(i) => rest = &rest[i + part.len()..],
            None => return false,
        }
    }
    rest.len() >= last.len() && rest.ends_with(last)
}

/// The known deviations of a file.
#[derive(Debug, Clone, Default)]
pub struct KnownDeviations(Vec<Known>);

impl KnownDeviations {
    /// Reads a TOML file of `[[known]]` entries; the error names the file.
    pub fn load(path: &std::path::Path) -> Result<KnownDeviations, String> {
        let shown = path.display();
        let text = std::fs::read_to_string(path).map_err(|e| {
            format!(
                "cannot read {shown}: {}",
                crate::wire::signature::io_reason(&e)
            )
        })?;
        let file: KnownFile = toml::from_str(&text)
            .map_err(|e| format!("{shown}: {}", e.message().trim_end().replace('\n', " ")))?;
        for k in &file.known {
            if k.case.trim().is_empty() || k.reason.trim().is_empty() {
                return Err(format!(
                    "{shown}: every [[known]] needs a case and a reason"
                ));
            }
        }
        Ok(KnownDeviations(file.known))
    }

    /// Refuses, before a run, an entry that names no case of the suite (a
    /// typo, or a case that no longer exists).
    pub fn check(&self, ids: &[String]) -> Result<(), String> {
        match self
            .0
            .iter()
            .find(|k| !ids.iter().any(|id| matches(&k.case, id)))
        {
            Some(k) => Err(format!("case {:?} names no case of the suite", k.case)),
            None => Ok(()),
        }
    }

    /// Marks the report's cases. A failed case an entry names is known. An
    /// entry none of whose cases failed is stale: its cases are marked so,
    /// and fail the run. Entries naming no case of this run (a `--cases`
    /// subset) are left aside.
    pub fn apply(&self, report: &mut Report) {
        for entry in &self.0 {
            let named = |id: &str| matches(&entry.case, id);
            let any_failed = report
                .cases
                .iter()
                .any(|c| named(&c.id) && c.verdict == Verdict::Fail);
            for case in report.cases.iter_mut().filter(|c| named(&c.id)) {
                if case.known.is_some() {
                    continue;
                }
                let failed = case.verdict == Verdict::Fail;
                if failed || !any_failed {
                    case.known = Some(KnownMark {
                        entry: entry.clone(),
                        stale: !failed,
                    });
                }
            }
        }
        report.recount();
    }
}
