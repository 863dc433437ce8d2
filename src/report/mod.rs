//! Reports: the model, and its renderings: JSON (here), JUnit XML
//! (`junit.rs`), Markdown (`markdown.rs`), a self-contained HTML page
//! (`html.rs`). Secrets are scrubbed in one place (`scrub.rs`); what the
//! peer under test said is kept from becoming markup in one place
//! (`escape.rs`): it is data in every format.
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

mod causes;
mod escape;
mod html;
mod junit;
pub mod known;
mod markdown;
mod scrub;

pub use causes::Cause;
pub use html::CONTENT_SECURITY_POLICY;

use scrub::Scrubber;

/// How many failing findings a case's message spells out; `checks` has all.
pub const MESSAGE_FINDINGS: usize = 5;

/// A case's message from its worst findings, each already rendered: the
/// first [`MESSAGE_FINDINGS`], and how many more there are.
pub fn message_of(worst: &[String]) -> String {
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
    /// Failed cases listed as known deviations (they do not fail the run).
    #[serde(skip_serializing_if = "is_zero")]
    pub known: usize,
    /// Known deviations whose case passed (each fails the run).
    #[serde(skip_serializing_if = "is_zero")]
    pub stale: usize,
}

fn is_zero(n: &usize) -> bool {
    *n == 0
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

/// A request that reached the harness, as the report shows it: derived
/// from the evidence (certification's, the proxy's), so that `rejudge`
/// derives it again.
impl From<&crate::evidence::Arrival> for ExchangeRecord {
    fn from(r: &crate::evidence::Arrival) -> Self {
        let body = String::from_utf8_lossy(&r.answer.body).into_owned();
        ExchangeRecord {
            method: r.request.method.clone(),
            url: r.request.path.clone(),
            request_headers: r
                .request
                .headers
                .iter()
                .map(|(n, v)| {
                    (
                        n.clone(),
                        redact::header(n, v.as_deref().unwrap_or("<not UTF-8>")),
                    )
                })
                .collect(),
            request_body: redact::shorten(&String::from_utf8_lossy(&r.request.body), BODY_SHOWN),
            status: Some(r.answer.status),
            response_headers: r.answer.headers.clone(),
            response_body: Some(redact::shorten(&body, BODY_SHOWN)),
            error: r.answer.held_ms.map(|d| format!("answer held {d} ms")),
            elapsed_ms: 0,
            connect_failed: false,
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
    /// The known deviation that names this case, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub known: Option<known::KnownMark>,
    /// Client certification: how the client's run ended, its output and standard error.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client: Option<crate::client::ClientRun>,
    /// Client certification: what the verdict was given on, for `rejudge`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub evidence: Option<crate::evidence::Evidence>,
    /// Proxy: the exchange as it passed, for `rejudge`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub proxied: Option<crate::evidence::Proxied>,
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
                message_of(&worst)
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
            known: None,
            client: None,
            evidence: None,
            proxied: None,
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
        if let Some(evidence) = &mut self.evidence {
            s.fix_evidence(evidence);
        }
        if let Some(p) = &mut self.proxied {
            s.fix_proxied(p);
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

    /// The verdict as reports show it: `known` or `stale` where a known
    /// deviation names the case.
    pub fn shown_verdict(&self) -> &'static str {
        match &self.known {
            Some(k) if k.stale => "stale",
            Some(_) => "known",
            None => self.verdict.as_str(),
        }
    }

    /// Whether every exchange failed to connect.
    pub fn unreachable(&self) -> bool {
        !self.exchanges.is_empty() && self.exchanges.iter().all(|e| e.connect_failed)
    }
}

/// Replaces secrets in a certification case's evidence. Evidence is
/// scrubbed before it is judged, so what a report keeps is what was
/// judged (the report's own scrub then changes nothing in it).
pub fn scrub_evidence(evidence: &mut crate::evidence::Evidence, secrets: &[&str]) {
    Scrubber::new(secrets).fix_evidence(evidence);
}

/// The same for an exchange through the proxy.
pub fn scrub_proxied(proxied: &mut crate::evidence::Proxied, secrets: &[&str]) {
    Scrubber::new(secrets).fix_proxied(proxied);
}

/// The harness that made a report.
#[derive(Debug, Clone, Serialize)]
pub struct Harness {
    /// `cdm-conformance`.
    pub name: &'static str,
    /// The crate version.
    pub version: &'static str,
    /// The git commit it was built from, or `unknown`.
    pub commit: &'static str,
}

/// Which client was certified: what the vendor names, and the SHA-256 of
/// each artifact given.
#[derive(Debug, Clone, Default, Serialize)]
pub struct ClientIdentity {
    /// The client's name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Its version.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    /// Each artifact, with its digest.
    pub artifacts: Vec<Artifact>,
}

impl ClientIdentity {
    /// `name version, artifacts: path (sha256 1234abcd…)`, for one line.
    pub fn describe(&self) -> String {
        let mut out = format!(
            "{} {}",
            self.name.as_deref().unwrap_or("(no --client-name)"),
            self.version.as_deref().unwrap_or("(no --client-version)")
        );
        for a in &self.artifacts {
            out.push_str(&format!(", {} (sha256 {})", a.path, a.sha256));
        }
        out
    }
}

/// A file that makes up the certified client.
#[derive(Debug, Clone, Serialize)]
pub struct Artifact {
    /// The path as given.
    pub path: String,
    /// Its SHA-256, hex.
    pub sha256: String,
}

/// The counts and the run's verdict: it fails on a failed case not listed
/// as known, or on a known deviation that no longer fails.
fn tally(cases: &[CaseReport]) -> (Summary, Verdict) {
    let mut summary = Summary::default();
    for c in cases {
        match c.verdict {
            Verdict::Pass => summary.passed += 1,
            Verdict::Fail => summary.failed += 1,
            Verdict::Warn => summary.warned += 1,
            Verdict::Skip => summary.skipped += 1,
            Verdict::Info => summary.info += 1,
        }
        match &c.known {
            Some(k) if k.stale => summary.stale += 1,
            Some(_) => summary.known += 1,
            None => {}
        }
    }
    let verdict = if summary.failed > summary.known || summary.stale > 0 {
        Verdict::Fail
    } else {
        Verdict::Pass
    };
    (summary, verdict)
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
    /// Which harness.
    pub harness: Harness,
    /// SHA-256 of the `specs/` the verdicts rest on.
    pub specs_digest: String,
    /// Whether every case of the suite ran (false for a `--cases` subset).
    pub complete: bool,
    /// Signatures were verified with a key pair whose private half is
    /// published (a built-in test key): never a certificate.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub test_key: bool,
    /// TLS certificates were not verified (`--insecure`).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub insecure_tls: bool,
    /// Client certification: which client.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client: Option<ClientIdentity>,
    /// Client certification: `certified`, `not certified`, `partial` (a
    /// subset) or `trial` (the built-in test key).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub certification: Option<String>,
    /// The run's tag, part of every idempotency key it made (certification):
    /// what ties each case's evidence to this run.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub run: Option<String>,
    /// When the run began (RFC 3339, UTC).
    pub started_at: String,
    /// Wall time of the run.
    pub duration_ms: u64,
    /// Failing findings shared by several cases, the most cases first.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub root_causes: Vec<Cause>,
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
        let (summary, verdict) = tally(&cases);
        let mut report = Report {
            mode: mode.to_owned(),
            target: target.to_owned(),
            verdict,
            summary,
            cases,
            harness: Harness {
                name: env!("CARGO_PKG_NAME"),
                version: env!("CARGO_PKG_VERSION"),
                commit: env!("CDM_GIT_COMMIT"),
            },
            specs_digest: spec_digest.to_owned(),
            complete: true,
            test_key: false,
            insecure_tls: false,
            client: None,
            certification: None,
            run: None,
            started_at: started_at.format(&Rfc3339).unwrap_or_default(),
            duration_ms: duration.as_millis() as u64,
            root_causes: vec![],
            settings: Default::default(),
        };
        report.root_causes = report.causes();
        report
    }

    /// The verdict the headline is shown with: a pass that is not a full
    /// certification (partial, trial) or a full run shows as a warning.
    pub fn headline_verdict(&self) -> Verdict {
        match (self.verdict, self.certification.as_deref(), self.complete) {
            (Verdict::Pass, Some("partial" | "trial"), _) | (Verdict::Pass, None, false) => {
                Verdict::Warn
            }
            (v, ..) => v,
        }
    }

    /// The headline: `PASS`/`FAIL` for a server run; for a certification
    /// `CERTIFIED`, `NOT CERTIFIED`, `PARTIAL` (a subset) or `TRIAL` (the
    /// built-in test key). A subset or an unverified TLS never reads as a
    /// plain pass.
    pub fn headline(&self) -> String {
        let word = match &self.certification {
            Some(c) => c.to_uppercase(),
            None => self.verdict.as_str().to_uppercase(),
        };
        let mut notes = Vec::new();
        if !self.complete && self.certification.is_none() {
            notes.push("PARTIAL: a subset of the cases");
        }
        if self.test_key && self.certification.as_deref() != Some("trial") {
            notes.push("TRIAL: a built-in test key");
        }
        if self.insecure_tls {
            notes.push("INSECURE TLS: any certificate trusted");
        }
        match notes.is_empty() {
            true => word,
            false => format!("{word} ({})", notes.join("; ")),
        }
    }

    /// Counts the cases and sets the verdict again (after known deviations
    /// marked them).
    pub fn recount(&mut self) {
        (self.summary, self.verdict) = tally(&self.cases);
        self.root_causes = self.causes();
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

    /// The run's exit code: 0, or 1 when it failed.
    pub fn exit_code(&self) -> u8 {
        u8::from(self.verdict == Verdict::Fail)
    }

    /// The JSON report.
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_default()
    }
}
