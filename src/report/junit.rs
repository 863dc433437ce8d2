//! JUnit XML: one testcase per case, failures with their message.
//!
//! quick-junit escapes the markup; every text the harness did not write
//! goes through `escape.rs` first, so a control character is shown, not
//! dropped, and the XML stays valid.

use std::time::Duration;

use super::Report;
use super::escape::xml;
use crate::verdict::Verdict;

impl Report {
    /// JUnit XML: one testcase per case, failures with their message.
    pub fn to_junit(&self) -> String {
        use quick_junit::{NonSuccessKind, Report as JReport, TestCase, TestCaseStatus, TestSuite};
        let mut report = JReport::new(xml(self.harness.name));
        let mut suite = TestSuite::new(xml(&self.mode));
        let identity = [
            ("harness.version", self.harness.version.to_owned()),
            ("harness.commit", self.harness.commit.to_owned()),
            ("specs_digest", self.specs_digest.clone()),
            ("started_at", self.started_at.clone()),
            ("complete", self.complete.to_string()),
            ("headline", self.headline()),
        ];
        for (k, v) in identity {
            suite.add_property((k.to_owned(), xml(&v)));
        }
        if let Some(client) = &self.client {
            suite.add_property(("client".to_owned(), xml(&client.describe())));
        }
        for (k, v) in &self.settings {
            suite.add_property((format!("setting.{}", xml(k)), xml(v)));
        }
        let causes = self.causes();
        if !causes.is_empty() {
            let lines: Vec<String> = causes.iter().map(|c| xml(&c.line())).collect();
            suite.set_system_out(format!("root causes:\n{}", lines.join("\n")));
        }
        for c in &self.cases {
            let status = match (&c.known, c.verdict) {
                (Some(k), _) if k.stale => {
                    let mut s = TestCaseStatus::non_success(NonSuccessKind::Failure);
                    s.set_message(xml(&format!(
                        "stale known deviation: the case passes, remove its entry ({})",
                        k.entry.reason
                    )));
                    s
                }
                (Some(_), _) => TestCaseStatus::success(),
                (None, Verdict::Fail) => {
                    let mut s = TestCaseStatus::non_success(NonSuccessKind::Failure);
                    s.set_message(xml(&c.message));
                    s.set_description(format!(
                        "{}\n{}",
                        xml(&c.spec_ref.to_string()),
                        xml(&c.message)
                    ));
                    s
                }
                (None, Verdict::Skip) => TestCaseStatus::skipped(),
                (None, _) => TestCaseStatus::success(),
            };
            let mut tc = TestCase::new(xml(&c.id), status);
            tc.set_classname(xml(&format!("{}.{}", self.harness.name, self.mode)));
            tc.set_time(Duration::from_millis(c.duration_ms));
            match &c.known {
                Some(k) if !k.stale => {
                    tc.set_system_out(xml(&format!(
                        "known deviation ({}{}): {} ({})",
                        k.entry.reason,
                        k.entry
                            .ticket
                            .as_deref()
                            .map_or(String::new(), |t| format!(", {t}")),
                        c.message,
                        c.spec_ref
                    )));
                }
                _ if matches!(c.verdict, Verdict::Warn | Verdict::Info | Verdict::Pass) => {
                    tc.set_system_out(xml(&format!(
                        "{}: {} ({})",
                        c.verdict, c.message, c.spec_ref
                    )));
                }
                _ => {}
            }
            suite.add_test_case(tc);
        }
        report.add_test_suite(suite);
        report.to_string().unwrap_or_default()
    }
}
