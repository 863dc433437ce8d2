//! Verdicts and findings: what a check concluded, as data.
//!
//! A [`Finding`] is one check's conclusion: its verdict, the spec row, and a
//! message saying what was expected and what was seen. A case's verdict is
//! the worst of its findings. Rendering happens in one place: [`Finding`]'s
//! `Display`.

use std::fmt;

use serde::Serialize;

use crate::rules::CheckId;
use crate::spec::SpecRef;

/// A verdict, from best to worst.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// The rule holds.
    Pass,
    /// The API text is silent; what was seen is reported.
    Info,
    /// Not run.
    Skip,
    /// A deviation that is not a failure (a message other than the table's).
    Warn,
    /// The rule is broken.
    Fail,
}

impl Verdict {
    /// The lower-case name.
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Pass => "pass",
            Verdict::Info => "info",
            Verdict::Skip => "skip",
            Verdict::Warn => "warn",
            Verdict::Fail => "fail",
        }
    }
}

impl fmt::Display for Verdict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One check's conclusion.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    /// The check, e.g. `response_code_expected`.
    pub check: CheckId,
    /// The verdict.
    pub verdict: Verdict,
    /// The row of the API text the rule comes from.
    pub spec_ref: SpecRef,
    /// What was expected.
    pub expected: String,
    /// What was seen.
    pub actual: String,
}

impl Finding {
    /// A finding with these parts.
    pub fn new(
        check: CheckId,
        verdict: Verdict,
        spec_ref: SpecRef,
        expected: impl Into<String>,
        actual: impl Into<String>,
    ) -> Finding {
        Finding {
            check,
            verdict,
            spec_ref,
            expected: expected.into(),
            actual: actual.into(),
        }
    }
}

impl fmt::Display for Finding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.verdict {
            Verdict::Pass | Verdict::Info | Verdict::Skip => {
                write!(f, "{} ({})", self.actual, self.spec_ref)
            }
            Verdict::Warn | Verdict::Fail => write!(
                f,
                "expected {}, got {} ({})",
                self.expected, self.actual, self.spec_ref
            ),
        }
    }
}
