//! A Markdown summary, fit for a CI job summary.
//!
//! Every text the harness did not write goes through `escape.rs`: on one
//! line, as text, never markup.

use super::escape::{markdown as md, markdown_code as code};
use super::{CaseReport, Report};
use crate::verdict::Verdict;

impl Report {
    /// A Markdown summary, fit for a CI job summary: counts, then every case
    /// that did not pass, then all cases folded away. What a server or a
    /// client said is escaped: it reads as sent and opens no HTML, link,
    /// image, table, heading or code.
    pub fn to_markdown(&self) -> String {
        let s = &self.summary;
        let mut out = format!(
            "## cdm-conformance {}: {}\n\n**target** {} · **harness** {} {} ({}) · **specs/** {} · **started** {} · **complete** {}\n\n\
             | passed | failed | warned | skipped | info |\n|---|---|---|---|---|\n| {} | {} | {} | {} | {} |\n",
            md(&self.mode),
            md(&self.headline()),
            code(&self.target),
            md(self.harness.name),
            md(self.harness.version),
            code(self.harness.commit),
            code(&self.specs_digest),
            md(&self.started_at),
            if self.complete {
                "yes"
            } else {
                "no (a subset)"
            },
            s.passed,
            s.failed,
            s.warned,
            s.skipped,
            s.info,
        );
        if let Some(client) = &self.client {
            out.push_str(&format!("\n**client** {}\n", md(&client.describe())));
        }
        if !self.settings.is_empty() {
            out.push_str("\n| setting | value |\n|---|---|\n");
            for (k, v) in &self.settings {
                out.push_str(&format!("| {} | {} |\n", md(k), md(v)));
            }
        }
        let causes = self.causes();
        if !causes.is_empty() {
            out.push_str("\n### Root causes\n\n| cases | check | finding |\n|---|---|---|\n");
            for cause in &causes {
                out.push_str(&format!(
                    "| {} | {} | {} |\n",
                    cause.cases.len(),
                    code(cause.finding.check.as_str()),
                    md(&cause.finding.to_string())
                ));
            }
        }
        type Keep = fn(&CaseReport) -> bool;
        let sections: [(&str, Keep); 4] = [
            ("Failed", |c| {
                c.verdict == Verdict::Fail && c.known.is_none()
            }),
            (
                "Stale known deviations (the case passes: remove the entry)",
                |c| c.known.as_ref().is_some_and(|k| k.stale),
            ),
            ("Known deviations", |c| {
                c.known.as_ref().is_some_and(|k| !k.stale)
            }),
            ("Warnings", |c| {
                c.verdict == Verdict::Warn && c.known.is_none()
            }),
        ];
        for (title, keep) in sections {
            let rows: Vec<&CaseReport> = self.cases.iter().filter(|c| keep(c)).collect();
            if rows.is_empty() {
                continue;
            }
            out.push_str(&format!(
                "\n### {title}\n\n| case | spec row | message |\n|---|---|---|\n"
            ));
            for c in rows {
                out.push_str(&format!(
                    "| {} | {} | {} |\n",
                    code(&c.id),
                    md(&c.spec_ref.to_string()),
                    md(&c.message)
                ));
            }
        }
        out.push_str("\n<details><summary>All cases</summary>\n\n| case | verdict | spec row | ms |\n|---|---|---|---|\n");
        for c in &self.cases {
            out.push_str(&format!(
                "| {} | {} | {} | {} |\n",
                code(&c.id),
                c.shown_verdict(),
                md(&c.spec_ref.to_string()),
                c.duration_ms
            ));
        }
        out.push_str("\n</details>\n");
        out
    }
}
