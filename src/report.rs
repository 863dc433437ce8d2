//! Reports: the JSON of CONTRACT.md section 3, JUnit XML, and a self-contained HTML page.
//!
//! A [`Report`] is built once from the case results; each format renders it.
//! Request headers are redacted when recorded, and [`Report::scrub`] replaces
//! any secret a hostile server might echo back, so no rendering carries a
//! private key or a full access token.

use std::time::Duration;

use serde::Serialize;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::cases::Case;
use crate::redact;
use crate::spec::SpecRef;
use crate::transport::{Exchange, TransportError};
use crate::verdict::{Finding, Verdict};

/// Replaces secrets with their redacted form.
struct Scrubber(Vec<(String, String)>);

impl Scrubber {
    fn new(secrets: &[&str]) -> Scrubber {
        Scrubber(
            secrets
                .iter()
                .filter(|s| s.len() >= 4)
                .map(|s| ((*s).to_owned(), redact::token(s)))
                .collect(),
        )
    }

    fn fix(&self, text: &mut String) {
        for (secret, shown) in &self.0 {
            if text.contains(secret.as_str()) {
                *text = text.replace(secret.as_str(), shown);
            }
        }
        if text.contains("-----BEGIN ") || text.contains("MII") {
            *text = redact::key_material(text);
        }
    }
}

/// How many failing findings a case's message spells out; `checks` has all.
pub const MESSAGE_FINDINGS: usize = 5;

/// How much of a response body a report keeps, in characters.
pub const BODY_SHOWN: usize = 2048;

/// Counts of case verdicts.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Summary {
    /// Cases that passed.
    pub passed: usize,
    /// Cases that failed.
    pub failed: usize,
    /// Cases with a warning.
    pub warned: usize,
    /// Cases skipped.
    pub skipped: usize,
    /// Cases reported as info.
    pub info: usize,
}

/// An exchange as a report shows it.
#[derive(Debug, Clone, Serialize)]
pub struct ExchangeRecord {
    /// Method.
    pub method: String,
    /// URL.
    pub url: String,
    /// Request headers, redacted.
    pub request_headers: Vec<(String, String)>,
    /// Request body.
    pub request_body: String,
    /// HTTP status, when there was an answer.
    pub status: Option<u16>,
    /// Response headers.
    pub response_headers: Vec<(String, String)>,
    /// Response body, shortened to [`BODY_SHOWN`] characters.
    pub response_body: Option<String>,
    /// Why there was no answer.
    pub error: Option<String>,
    /// Milliseconds to the end of the answer.
    pub elapsed_ms: u64,
    /// Whether the exchange failed to connect.
    #[serde(skip)]
    pub connect_failed: bool,
}

impl From<&Exchange> for ExchangeRecord {
    fn from(e: &Exchange) -> Self {
        let (status, response_headers, response_body, error) = match &e.outcome {
            Ok(r) => (
                Some(r.status),
                r.headers.clone(),
                Some(redact::shorten(
                    &String::from_utf8_lossy(&r.body),
                    BODY_SHOWN,
                )),
                None,
            ),
            Err(err) => (None, vec![], None, Some(err.to_string())),
        };
        ExchangeRecord {
            method: e.request.method.clone(),
            url: e.request.url.clone(),
            request_headers: e.request.headers.clone(),
            request_body: redact::shorten(&e.request.body, BODY_SHOWN),
            status,
            response_headers,
            response_body,
            error,
            elapsed_ms: e.elapsed_ms,
            connect_failed: matches!(e.outcome, Err(TransportError::Connect { .. })),
        }
    }
}

/// One case's result.
#[derive(Debug, Clone, Serialize)]
pub struct CaseReport {
    /// The case id.
    pub id: String,
    /// The row of the API text the case comes from.
    pub spec_ref: SpecRef,
    /// The verdict.
    pub verdict: Verdict,
    /// What was expected and what was seen.
    pub message: String,
    /// Wall time of the case.
    pub duration_ms: u64,
    /// The contract's words for the rule.
    pub rule: String,
    /// The codes that pass (empty for info cases).
    pub expected_codes: Vec<String>,
    /// Every check's finding.
    pub checks: Vec<Finding>,
    /// The requests sent and what came back.
    pub exchanges: Vec<ExchangeRecord>,
    /// Client certification: how the client's run ended, its output and standard error.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client: Option<crate::client::ClientRun>,
}

impl CaseReport {
    /// Builds a server case's result from its findings.
    pub fn new(
        case: &Case,
        findings: Vec<Finding>,
        exchanges: Vec<Exchange>,
        duration: Duration,
    ) -> CaseReport {
        CaseReport::from_parts(
            &case.id,
            case.spec_ref.clone(),
            &case.rule,
            case.expected_codes()
                .into_iter()
                .map(str::to_owned)
                .collect(),
            findings,
            exchanges.iter().map(ExchangeRecord::from).collect(),
            duration,
        )
    }

    /// Builds any case's result from its parts.
    pub fn from_parts(
        id: &str,
        spec_ref: SpecRef,
        rule: &str,
        expected_codes: Vec<String>,
        findings: Vec<Finding>,
        exchanges: Vec<ExchangeRecord>,
        duration: Duration,
    ) -> CaseReport {
        let verdict = findings
            .iter()
            .map(|f| f.verdict)
            .max()
            .unwrap_or(Verdict::Skip);
        let message = match verdict {
            Verdict::Fail | Verdict::Warn => {
                let worst: Vec<String> = findings
                    .iter()
                    .filter(|f| f.verdict == verdict)
                    .map(|f| format!("{}: {f}", f.check))
                    .collect();
                let mut message = worst
                    .iter()
                    .take(MESSAGE_FINDINGS)
                    .cloned()
                    .collect::<Vec<_>>()
                    .join("; ");
                if worst.len() > MESSAGE_FINDINGS {
                    message.push_str(&format!(
                        "; and {} more (see checks)",
                        worst.len() - MESSAGE_FINDINGS
                    ));
                }
                message
            }
            Verdict::Info => findings
                .iter()
                .filter(|f| f.verdict == Verdict::Info)
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join("; "),
            Verdict::Pass => {
                let got = findings
                    .iter()
                    .find(|f| f.check.is_headline())
                    .map_or(String::new(), |f| format!("{} as expected; ", f.actual));
                format!("{got}no check failed")
            }
            Verdict::Skip => "not run".into(),
        };
        CaseReport {
            id: id.to_owned(),
            spec_ref,
            verdict,
            message,
            duration_ms: duration.as_millis() as u64,
            rule: rule.to_owned(),
            expected_codes,
            checks: findings,
            exchanges,
            client: None,
        }
    }

    /// Replaces every occurrence of each secret with its redacted form.
    pub fn scrub(&mut self, secrets: &[&str]) {
        self.scrub_with(&Scrubber::new(secrets));
    }

    fn scrub_with(&mut self, s: &Scrubber) {
        s.fix(&mut self.message);
        for f in &mut self.checks {
            s.fix(&mut f.expected);
            s.fix(&mut f.actual);
        }
        for e in &mut self.exchanges {
            s.fix(&mut e.url);
            s.fix(&mut e.request_body);
            for (_, v) in e
                .request_headers
                .iter_mut()
                .chain(e.response_headers.iter_mut())
            {
                s.fix(v);
            }
            for text in [&mut e.response_body, &mut e.error].into_iter().flatten() {
                s.fix(text);
            }
        }
        if let Some(run) = &mut self.client {
            s.fix(&mut run.stdout_tail);
            s.fix(&mut run.stderr);
            s.fix(&mut run.exit);
            if let Some(Err(reason)) = &mut run.outcome {
                s.fix(reason);
            }
        }
    }

    /// Whether every exchange failed to connect.
    pub fn unreachable(&self) -> bool {
        !self.exchanges.is_empty() && self.exchanges.iter().all(|e| e.connect_failed)
    }
}

/// The harness that made a report.
#[derive(Debug, Clone, Serialize)]
pub struct Harness {
    /// `cdm-conformance`.
    pub name: &'static str,
    /// The crate version.
    pub version: &'static str,
    /// SHA-256 of the `specs/` the verdicts rest on.
    pub spec_digest: String,
}

/// A whole run.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    /// `server` or `client`.
    pub mode: String,
    /// The base URL (server) or the client command (client).
    pub target: String,
    /// `pass` when no case failed, else `fail`.
    pub verdict: Verdict,
    /// Counts.
    pub summary: Summary,
    /// Every case.
    pub cases: Vec<CaseReport>,
    /// Which harness and spec.
    pub harness: Harness,
    /// When the run began (RFC 3339, UTC).
    pub started_at: String,
    /// Wall time of the run.
    pub duration_ms: u64,
    /// The settings the verdicts were given under (key, deadline, pacing,
    /// case filter...): a report must be readable on its own.
    pub settings: std::collections::BTreeMap<String, String>,
}

impl Report {
    /// A report of these cases.
    pub fn new(
        mode: &str,
        target: &str,
        spec_digest: &str,
        cases: Vec<CaseReport>,
        started_at: OffsetDateTime,
        duration: Duration,
    ) -> Report {
        let mut summary = Summary::default();
        for c in &cases {
            match c.verdict {
                Verdict::Pass => summary.passed += 1,
                Verdict::Fail => summary.failed += 1,
                Verdict::Warn => summary.warned += 1,
                Verdict::Skip => summary.skipped += 1,
                Verdict::Info => summary.info += 1,
            }
        }
        Report {
            mode: mode.to_owned(),
            target: target.to_owned(),
            verdict: if summary.failed > 0 {
                Verdict::Fail
            } else {
                Verdict::Pass
            },
            summary,
            cases,
            harness: Harness {
                name: env!("CARGO_PKG_NAME"),
                version: env!("CARGO_PKG_VERSION"),
                spec_digest: spec_digest.to_owned(),
            },
            started_at: started_at.format(&Rfc3339).unwrap_or_default(),
            duration_ms: duration.as_millis() as u64,
            settings: Default::default(),
        }
    }

    /// The failed cases.
    pub fn failures(&self) -> Vec<&CaseReport> {
        self.cases
            .iter()
            .filter(|c| c.verdict == Verdict::Fail)
            .collect()
    }

    /// Replaces every occurrence of each secret (an access token a server
    /// echoed, say) with its redacted form, everywhere in the report.
    pub fn scrub(&mut self, secrets: &[&str]) {
        let shown = Scrubber::new(secrets);
        shown.fix(&mut self.target);
        for case in &mut self.cases {
            case.scrub_with(&shown);
        }
    }

    /// The exit code CONTRACT.md section 2 gives this run: 0 or 1.
    pub fn exit_code(&self) -> u8 {
        u8::from(self.verdict == Verdict::Fail)
    }

    /// The JSON report.
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_default()
    }

    /// JUnit XML: one testcase per case, failures with their message.
    pub fn to_junit(&self) -> String {
        use quick_junit::{NonSuccessKind, Report as JReport, TestCase, TestCaseStatus, TestSuite};
        let mut report = JReport::new(self.harness.name);
        let mut suite = TestSuite::new(self.mode.as_str());
        for c in &self.cases {
            let status = match c.verdict {
                Verdict::Fail => {
                    let mut s = TestCaseStatus::non_success(NonSuccessKind::Failure);
                    s.set_message(c.message.as_str());
                    s.set_description(format!("{}\n{}", c.spec_ref, c.message));
                    s
                }
                Verdict::Skip => TestCaseStatus::skipped(),
                _ => TestCaseStatus::success(),
            };
            let mut tc = TestCase::new(c.id.as_str(), status);
            tc.set_classname(format!("{}.{}", self.harness.name, self.mode));
            tc.set_time(Duration::from_millis(c.duration_ms));
            if matches!(c.verdict, Verdict::Warn | Verdict::Info | Verdict::Pass) {
                tc.set_system_out(format!("{}: {} ({})", c.verdict, c.message, c.spec_ref));
            }
            suite.add_test_case(tc);
        }
        report.add_test_suite(suite);
        report.to_string().unwrap_or_default()
    }

    /// A Markdown summary, fit for a CI job summary: counts, then every case
    /// that did not pass, then all cases folded away.
    pub fn to_markdown(&self) -> String {
        fn cell(text: &str) -> String {
            text.replace('|', "\\|").replace(['\n', '\r'], " ")
        }
        let s = &self.summary;
        let mut out = format!(
            "## cdm-conformance {}: {}\n\n**target** `{}` · **harness** {} {} · **specs/** `{}`\n\n\
             | passed | failed | warned | skipped | info |\n|---|---|---|---|---|\n| {} | {} | {} | {} | {} |\n",
            self.mode,
            self.verdict.as_str().to_uppercase(),
            cell(&self.target),
            self.harness.name,
            self.harness.version,
            &self.harness.spec_digest[..self.harness.spec_digest.len().min(12)],
            s.passed,
            s.failed,
            s.warned,
            s.skipped,
            s.info,
        );
        for (verdict, title) in [(Verdict::Fail, "Failed"), (Verdict::Warn, "Warnings")] {
            let rows: Vec<&CaseReport> =
                self.cases.iter().filter(|c| c.verdict == verdict).collect();
            if rows.is_empty() {
                continue;
            }
            out.push_str(&format!(
                "\n### {title}\n\n| case | spec row | message |\n|---|---|---|\n"
            ));
            for c in rows {
                out.push_str(&format!(
                    "| `{}` | {} | {} |\n",
                    cell(&c.id),
                    cell(&c.spec_ref.to_string()),
                    cell(&c.message)
                ));
            }
        }
        out.push_str("\n<details><summary>All cases</summary>\n\n| case | verdict | spec row | ms |\n|---|---|---|---|\n");
        for c in &self.cases {
            out.push_str(&format!(
                "| `{}` | {} | {} | {} |\n",
                cell(&c.id),
                c.verdict,
                cell(&c.spec_ref.to_string()),
                c.duration_ms
            ));
        }
        out.push_str("\n</details>\n");
        out
    }

    /// A self-contained HTML page: no script, no network asset.
    pub fn to_html(&self) -> String {
        use html_escape::encode_text as esc;
        let s = &self.summary;
        let mut rows = String::new();
        for c in &self.cases {
            let mut exchanges = String::new();
            for e in &c.exchanges {
                let headers: String = e
                    .request_headers
                    .iter()
                    .map(|(n, v)| format!("{n}: {v}\n"))
                    .collect();
                let answer = match (&e.status, &e.error) {
                    (Some(status), _) => {
                        let h: String = e
                            .response_headers
                            .iter()
                            .map(|(n, v)| format!("{n}: {v}\n"))
                            .collect();
                        format!(
                            "HTTP {status} in {} ms\n{h}\n{}",
                            e.elapsed_ms,
                            e.response_body.as_deref().unwrap_or("")
                        )
                    }
                    (None, Some(err)) => format!("no answer: {err}"),
                    (None, None) => String::new(),
                };
                exchanges.push_str(&format!(
                    "<pre>{} {}\n{}\n{}</pre><pre>{}</pre>",
                    esc(&e.method),
                    esc(&e.url),
                    esc(&headers),
                    esc(&e.request_body),
                    esc(&answer)
                ));
            }
            rows.push_str(&format!(
                "<tr class=\"{v}\"><td class=\"verdict\">{v}</td><td><code>{id}</code></td><td>{spec_ref}</td><td>{message}<details><summary>exchanges</summary>{exchanges}</details></td><td>{ms}</td></tr>\n",
                v = c.verdict,
                id = esc(&c.id),
                spec_ref = esc(&c.spec_ref.to_string()),
                message = esc(&c.message),
                ms = c.duration_ms,
            ));
        }
        format!(
            r#"<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>cdm-conformance {mode} report: {verdict}</title>
<style>
body {{ font-family: system-ui, sans-serif; margin: 2em; }}
table {{ border-collapse: collapse; width: 100%; }}
td, th {{ border: 1px solid #ccc; padding: 4px 8px; vertical-align: top; text-align: left; }}
tr.fail td.verdict {{ background: #f8d0d0; }}
tr.warn td.verdict {{ background: #fbeec0; }}
tr.pass td.verdict {{ background: #d4f0d4; }}
tr.info td.verdict {{ background: #dde8f8; }}
pre {{ white-space: pre-wrap; word-break: break-all; background: #f6f6f6; padding: 4px; }}
</style>
</head>
<body>
<h1>cdm-conformance {mode} report: <span class="{verdict}">{verdict}</span></h1>
<table class="summary">
<tr><th>target</th><td>{target}</td></tr>
<tr><th>harness</th><td>{name} {version}</td></tr>
<tr><th>specs/ digest</th><td><code>{digest}</code></td></tr>
<tr><th>started</th><td>{started} ({duration} ms)</td></tr>
<tr><th>cases</th><td>{passed} passed, {failed} failed, {warned} warned, {skipped} skipped, {info} info</td></tr>
{settings}</table>
<h2>Cases</h2>
<table class="cases">
<tr><th>verdict</th><th>case</th><th>spec row</th><th>message</th><th>ms</th></tr>
{rows}</table>
</body>
</html>
"#,
            mode = esc(&self.mode),
            verdict = self.verdict,
            target = esc(&self.target),
            name = self.harness.name,
            version = self.harness.version,
            digest = self.harness.spec_digest,
            started = esc(&self.started_at),
            duration = self.duration_ms,
            passed = s.passed,
            failed = s.failed,
            warned = s.warned,
            skipped = s.skipped,
            info = s.info,
            settings = self
                .settings
                .iter()
                .map(|(k, v)| format!("<tr><th>{}</th><td>{}</td></tr>\n", esc(k), esc(v)))
                .collect::<String>(),
        )
    }
}
