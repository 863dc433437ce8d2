//! JUnit XML: one testcase per case, failures with their message.

use std::time::Duration;

use super::Report;
use crate::verdict::Verdict;

impl Report {
    /// JUnit XML: one testcase per case, failures with their message.
    pub fn to_junit(&self) -> String {
        use quick_junit::{NonSuccessKind, Report as JReport, TestCase, TestCaseStatus, TestSuite};
        let mut report = JReport::new(self.harness.name);
        let mut suite = TestSuite::new(self.mode.as_str());
        let identity = [
            ("harness.version", self.harness.version.to_owned()),
            ("harness.commit", self.harness.commit.to_owned()),
            ("specs_digest", self.specs_digest.clone()),
            ("started_at", self.started_at.clone()),
            ("complete", self.complete.to_string()),
            ("headline", self.headline()),
        ];
        for (k, v) in identity {
            suite.add_property((k, v.as_str()));
        }
        if let Some(client) = &self.client {
            suite.add_property(("client", client.describe().as_str()));
        }
        for (k, v) in &self.settings {
            suite.add_property((format!("setting.{k}").as_str(), v.as_str()));
        }
        let causes = self.causes();
        if !causes.is_empty() {
            let lines: Vec<String> = causes.iter().map(|c| c.line()).collect();
            suite.set_system_out(format!("root causes:\n{}", lines.join("\n")));
        }
        for c in &self.cases {
            let status = match (&c.known, c.verdict) {
                (Some(k), _) if k.stale => {
                    let mut s = TestCaseStatus::non_success(NonSuccessKind::Failure);
                    s.set_message(format!(
                        "stale known deviation: the case passes, remove its entry ({})",
                        k.entry.reason
                    ));
                    s
                }
                (Some(_), _) => TestCaseStatus::success(),
                (None, Verdict::Fail) => {
                    let mut s = TestCaseStatus::non_success(NonSuccessKind::Failure);
                    s.set_message(c.message.as_str());
                    s.set_description(format!("{}\n{}", c.spec_ref, c.message));
                    s
                }
                (None, Verdict::Skip) => TestCaseStatus::skipped(),
                (None, _) => TestCaseStatus::success(),
            };
            let mut tc = TestCase::new(c.id.as_str(), status);
            tc.set_classname(format!("{}.{}", self.harness.name, self.mode));
            tc.set_time(Duration::from_millis(c.duration_ms));
            match &c.known {
                Some(k) if !k.stale => {
                    tc.set_system_out(format!(
                        "known deviation ({}{}): {} ({})",
                        k.entry.reason,
                        k.entry
                            .ticket
                            .as_deref()
                            .map_or(String::new(), |t| format!(", {t}")),
                        c.message,
                        c.spec_ref
                    ));
                }
                _ if matches!(c.verdict, Verdict::Warn | Verdict::Info | Verdict::Pass) => {
                    tc.set_system_out(format!("{}: {} ({})", c.verdict, c.message, c.spec_ref));
                }
                _ => {}
            }
            suite.add_test_case(tc);
        }
        report.add_test_suite(suite);
        report.to_string().unwrap_or_default()
    }
}
