//! `rejudge`: a report's verdicts given again from its own evidence.
//!
//! A certification report keeps, for each case, what its judge read (the
//! [`crate::evidence::Evidence`]: every request as received, when it
//! arrived, what it was answered, what the client was handed) and how the
//! client's run ended. `rejudge` verifies every recorded signature with
//! the partner's public key, judges each case again with the current
//! rules, and compares: each case's verdict, each check's verdict, the
//! counts, the run's verdict and the certification word. A report whose
//! evidence does not support what it says (a verdict flipped by hand, a
//! signature or body edited) is named case by case.
//!
//! ```
//! use cdm_conformance::rejudge::rejudge;
//! use cdm_conformance::{Contract, simulator::test_signing_key};
//!
//! let contract = Contract::embedded();
//! let err = rejudge(&contract, "{}", &test_signing_key().verifying_key()).unwrap_err();
//! assert!(err.to_string().starts_with("not a report of this harness"));
//! ```

use std::collections::BTreeMap;

use serde::Deserialize;
use serde_json::Value;

use crate::certify::{certification, judge::judge, scenarios};
use crate::client::{ClientRun, parse_outcome};
use crate::contract::Contract;
use crate::evidence::Evidence;
use crate::report::CaseReport;
use crate::spec::HeaderFormat;
use crate::verdict::Verdict;
use crate::wire::VerifyingKey;

/// Why a report could not be judged again (the operator's to fix; exit 2).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RejudgeError {
    /// The file is not a JSON report of this harness.
    #[error("not a report of this harness: {reason}")]
    NotAReport {
        /// What is wrong with it.
        reason: String,
    },
    /// The report is of a mode that keeps no evidence.
    #[error(
        "a {mode} report keeps no evidence to judge again: rejudge reads client certification reports (mode \"client\")"
    )]
    NoEvidence {
        /// The report's mode.
        mode: String,
    },
    /// `--public-key` is not the key the report's signatures were verified with.
    #[error(
        "--public-key has fingerprint sha256:{given}, the report was judged with {recorded}: pass the partner's public key the certification used"
    )]
    OtherKey {
        /// The given key's fingerprint.
        given: String,
        /// The report's `settings.public_key`.
        recorded: String,
    },
}

/// Where a report's evidence does not support what it says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unsupported {
    /// The case, or `report` for the run as a whole.
    pub case: String,
    /// What the report says, and what its evidence gives.
    pub reason: String,
}

/// The outcome of judging a report again.
#[derive(Debug, Clone, Default)]
pub struct Rejudged {
    /// Cases judged again.
    pub cases: usize,
    /// Recorded signatures that verified.
    pub signatures_valid: usize,
    /// Recorded signatures that did not verify (each judged in its case).
    pub signatures_invalid: usize,
    /// Where the evidence does not support the report, case by case.
    pub unsupported: Vec<Unsupported>,
    /// Things worth knowing that change no verdict (other rules, say).
    pub notes: Vec<String>,
}

impl Rejudged {
    /// 0 when every verdict is supported, else 1.
    pub fn exit_code(&self) -> u8 {
        u8::from(!self.unsupported.is_empty())
    }
}

#[derive(Deserialize)]
struct RecordedReport {
    mode: String,
    verdict: String,
    summary: RecordedSummary,
    #[serde(default = "yes")]
    complete: bool,
    #[serde(default)]
    certification: Option<String>,
    #[serde(default)]
    specs_digest: String,
    #[serde(default)]
    settings: BTreeMap<String, String>,
    cases: Vec<RecordedCase>,
}

fn yes() -> bool {
    true
}

#[derive(Deserialize, PartialEq, Eq, Debug)]
struct RecordedSummary {
    passed: usize,
    failed: usize,
    warned: usize,
    skipped: usize,
    info: usize,
}

#[derive(Deserialize)]
struct RecordedCase {
    id: String,
    verdict: String,
    #[serde(default)]
    checks: Vec<RecordedCheck>,
    #[serde(default)]
    client: Option<RecordedRun>,
    #[serde(default)]
    evidence: Option<Evidence>,
}

#[derive(Deserialize, Clone, PartialEq, Eq, PartialOrd, Ord, Debug)]
struct RecordedCheck {
    check: String,
    verdict: String,
}

#[derive(Deserialize)]
struct RecordedRun {
    #[serde(default)]
    outcome: Value,
}

/// The client's run as the judge reads it: its outcome, as recorded.
fn client_run(contract: &Contract, recorded: Option<&RecordedRun>) -> ClientRun {
    let fields: Vec<String> = contract
        .spec
        .success_fields()
        .map(|f| f.name.clone())
        .collect();
    let outcome = match recorded.map(|r| &r.outcome) {
        None | Some(Value::Null) => None,
        Some(Value::String(reason)) => Some(Err(reason.clone())),
        Some(other) => Some(parse_outcome(&other.to_string(), &fields)),
    };
    ClientRun {
        outcome,
        ..ClientRun::default()
    }
}

/// Verifies every recorded signature: (valid, invalid).
fn signatures(contract: &Contract, evidence: &Evidence, key: &VerifyingKey) -> (usize, usize) {
    let (Some(sig_name), Some(ts_name)) = (
        contract.header(HeaderFormat::RsaSignature),
        contract.header(HeaderFormat::JakartaTimestamp),
    ) else {
        return (0, 0);
    };
    let mut counts = (0, 0);
    for a in &evidence.arrivals {
        if let (Some(Some(sig)), Some(Some(ts))) =
            (a.request.header(sig_name), a.request.header(ts_name))
        {
            let text = contract.signing_text(&evidence.handed.client_key, ts);
            match key.verify(&text, sig) {
                Ok(()) => counts.0 += 1,
                Err(_) => counts.1 += 1,
            }
        }
    }
    counts
}

/// Judges a JSON report (its text) again with `contract` and `key`.
pub fn rejudge(
    contract: &Contract,
    report_json: &str,
    key: &VerifyingKey,
) -> Result<Rejudged, RejudgeError> {
    let report: RecordedReport =
        serde_json::from_str(report_json).map_err(|e| RejudgeError::NotAReport {
            reason: e.to_string(),
        })?;
    if report.mode != "client" {
        return Err(RejudgeError::NoEvidence { mode: report.mode });
    }
    let fingerprint = key.fingerprint();
    let recorded_key = report
        .settings
        .get("public_key")
        .cloned()
        .unwrap_or_default();
    if !recorded_key.starts_with(&format!("sha256:{fingerprint}")) {
        return Err(RejudgeError::OtherKey {
            given: fingerprint,
            recorded: match recorded_key.is_empty() {
                true => "no key recorded".into(),
                false => recorded_key,
            },
        });
    }
    let mut out = Rejudged::default();
    if report.specs_digest != contract.spec.digest {
        out.notes.push(format!(
            "judged with other rules than the report's (specs digest {}, the report's {}): a difference may come from the rules",
            short(&contract.spec.digest),
            short(&report.specs_digest)
        ));
    }
    let catalog = scenarios(contract);
    let mut counted = RecordedSummary {
        passed: 0,
        failed: 0,
        warned: 0,
        skipped: 0,
        info: 0,
    };
    for case in &report.cases {
        match case.verdict.as_str() {
            "pass" => counted.passed += 1,
            "fail" => counted.failed += 1,
            "warn" => counted.warned += 1,
            "skip" => counted.skipped += 1,
            _ => counted.info += 1,
        }
        let mut unsupported = |reason: String| {
            out.unsupported.push(Unsupported {
                case: case.id.clone(),
                reason,
            })
        };
        let Some(scenario) = catalog.iter().find(|s| s.id == case.id) else {
            unsupported("no scenario of this id in the rules".into());
            continue;
        };
        let Some(evidence) = &case.evidence else {
            unsupported("no evidence recorded".into());
            continue;
        };
        out.cases += 1;
        let (valid, invalid) = signatures(contract, evidence, key);
        out.signatures_valid += valid;
        out.signatures_invalid += invalid;
        let run = client_run(contract, case.client.as_ref());
        let findings = judge(contract, scenario, evidence, key, &run);
        let judged = CaseReport::from_parts(
            &scenario.id,
            scenario.spec_ref.clone(),
            &scenario.rule,
            vec![],
            findings,
            vec![],
            std::time::Duration::ZERO,
        );
        if judged.verdict.as_str() != case.verdict {
            let why = judged
                .checks
                .iter()
                .filter(|f| f.verdict == judged.verdict)
                .map(|f| format!("{}: {f}", f.check))
                .next()
                .unwrap_or_default();
            unsupported(format!(
                "the report says {}, its evidence gives {}{}",
                case.verdict,
                judged.verdict.as_str(),
                match why.is_empty() {
                    true => String::new(),
                    false => format!(" ({why})"),
                }
            ));
            continue;
        }
        let mut recorded = case.checks.clone();
        let mut again: Vec<RecordedCheck> = judged
            .checks
            .iter()
            .map(|f| RecordedCheck {
                check: f.check.as_str().to_owned(),
                verdict: f.verdict.as_str().to_owned(),
            })
            .collect();
        recorded.sort();
        again.sort();
        if recorded != again {
            let shown = |v: &[RecordedCheck]| {
                v.iter()
                    .map(|c| format!("{} {}", c.check, c.verdict))
                    .collect::<Vec<_>>()
                    .join(", ")
            };
            let only_recorded: Vec<RecordedCheck> = recorded
                .iter()
                .filter(|c| !again.contains(c))
                .cloned()
                .collect();
            let only_judged: Vec<RecordedCheck> = again
                .iter()
                .filter(|c| !recorded.contains(c))
                .cloned()
                .collect();
            unsupported(format!(
                "its checks differ from its evidence's: the report has [{}], the evidence gives [{}]",
                shown(&only_recorded),
                shown(&only_judged)
            ));
        }
    }
    let mut whole = |reason: String| {
        out.unsupported.push(Unsupported {
            case: "report".into(),
            reason,
        })
    };
    if counted != report.summary {
        whole(format!(
            "its summary {:?} does not count its cases {:?}",
            report.summary, counted
        ));
    }
    let failed = counted.failed > 0;
    let verdict = if failed { Verdict::Fail } else { Verdict::Pass };
    if report.verdict != verdict.as_str() {
        whole(format!(
            "its verdict is {}, its cases give {}",
            report.verdict,
            verdict.as_str()
        ));
    }
    let missing: Vec<&str> = catalog
        .iter()
        .filter(|s| !report.cases.iter().any(|c| c.id == s.id))
        .map(|s| s.id.as_str())
        .collect();
    if report.complete && !missing.is_empty() {
        whole(format!(
            "it says it is complete, but {} scenario(s) have no case: {}",
            missing.len(),
            missing.join(", ")
        ));
    }
    let word = certification(failed, report.complete, crate::testkeys::is_published(key));
    if report.certification.as_deref() != Some(word) {
        whole(format!(
            "its certification reads {:?}, its cases and key give {word:?}",
            report.certification.as_deref().unwrap_or("nothing")
        ));
    }
    Ok(out)
}

fn short(digest: &str) -> &str {
    digest.get(..12).unwrap_or(digest)
}
