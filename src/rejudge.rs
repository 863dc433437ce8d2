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
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::certify::{certification, judge::judge, scenarios};
use crate::client::{ClientRun, parse_outcome};
use crate::contract::Contract;
use crate::evidence::Evidence;
use crate::report::CaseReport;
use crate::spec::{HeaderFormat, SpecRef, Table};
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
        "a {mode} report keeps no evidence to judge again: rejudge reads certification and proxy reports (mode \"client\" or \"proxy\")"
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
    /// What the report's headline says (`certified`, `trial`, `fail`...).
    pub headline: String,
    /// The report's verdicts rest on other rules than the ones it was
    /// judged with (another `specs/`): a difference may be the rules'.
    pub other_rules: bool,
}

impl Rejudged {
    /// 0 when every verdict is supported; 1 when one is not; 2 when one is
    /// not but the rules differ from the report's (no verdict on the report).
    pub fn exit_code(&self) -> u8 {
        match (self.unsupported.is_empty(), self.other_rules) {
            (true, _) => 0,
            (false, false) => 1,
            (false, true) => 2,
        }
    }
}

#[derive(Deserialize)]
struct RecordedReport {
    mode: String,
    verdict: String,
    summary: RecordedSummary,
    complete: Option<bool>,
    #[serde(default)]
    test_key: bool,
    #[serde(default)]
    run: Option<String>,
    #[serde(default)]
    started_at: String,
    #[serde(default)]
    duration_ms: u64,
    #[serde(default)]
    certification: Option<String>,
    #[serde(default)]
    specs_digest: String,
    #[serde(default)]
    settings: BTreeMap<String, String>,
    cases: Vec<RecordedCase>,
}

#[derive(Deserialize, PartialEq, Eq, Debug)]
struct RecordedSummary {
    passed: usize,
    failed: usize,
    warned: usize,
    skipped: usize,
    info: usize,
}

impl std::fmt::Display for RecordedSummary {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} passed, {} failed, {} warned, {} skipped, {} info",
            self.passed, self.failed, self.warned, self.skipped, self.info
        )
    }
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
    #[serde(default)]
    proxied: Option<crate::evidence::Proxied>,
    #[serde(default)]
    exchanges: Vec<Value>,
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
fn signatures(
    contract: &Contract,
    client_key: &str,
    arrivals: &[crate::evidence::Arrival],
    key: &VerifyingKey,
) -> (usize, usize) {
    let (Some(sig_name), Some(ts_name)) = (
        contract.header(HeaderFormat::RsaSignature),
        contract.header(HeaderFormat::JakartaTimestamp),
    ) else {
        return (0, 0);
    };
    let mut counts = (0, 0);
    for a in arrivals {
        if let (Some(Some(sig)), Some(Some(ts))) =
            (a.request.header(sig_name), a.request.header(ts_name))
        {
            let text = contract.signing_text(client_key, ts);
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
    if report.mode != "client" && report.mode != "proxy" {
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
    let mut out = Rejudged {
        headline: report
            .certification
            .clone()
            .unwrap_or_else(|| report.verdict.clone()),
        other_rules: report.specs_digest != contract.spec.digest,
        ..Rejudged::default()
    };
    if out.other_rules {
        out.notes.push(format!(
            "judged with other rules than the report's (specs digest {}, the report's {}): a difference may come from the rules",
            short(&contract.spec.digest),
            short(&report.specs_digest)
        ));
    }
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
    }
    match report.mode.as_str() {
        "proxy" => proxy_cases(contract, &report, key, &mut out),
        _ => client_cases(contract, &report, key, &mut out),
    }
    let mut whole = |reason: String| {
        out.unsupported.push(Unsupported {
            case: "report".into(),
            reason,
        })
    };
    if counted != report.summary {
        whole(format!(
            "its summary ({}) does not count its cases ({})",
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
    let mut ids = std::collections::HashSet::new();
    for case in &report.cases {
        if !ids.insert(case.id.as_str()) {
            whole(format!("case {} appears more than once", case.id));
        }
    }
    if report.test_key != crate::testkeys::is_published(key) {
        whole(format!(
            "it says test_key {}, but the key it was judged with {} a built-in test key",
            report.test_key,
            match report.test_key {
                true => "is not",
                false => "is",
            }
        ));
    }
    if report.mode == "client" {
        let complete = report.complete.unwrap_or(false);
        if report.complete.is_none() {
            whole("it does not say whether it is complete".into());
        }
        let all = report.settings.get("cases").map(String::as_str) == Some("all");
        if complete != all {
            whole(format!(
                "it says complete {complete}, but its settings say cases {:?}",
                report.settings.get("cases").map_or("", String::as_str)
            ));
        }
        let catalog = scenarios(contract);
        let missing: Vec<&str> = catalog
            .iter()
            .filter(|s| !report.cases.iter().any(|c| c.id == s.id))
            .map(|s| s.id.as_str())
            .collect();
        if complete && !missing.is_empty() {
            whole(format!(
                "it says it is complete, but {} scenario(s) have no case: {}",
                missing.len(),
                missing.join(", ")
            ));
        }
        let word = certification(failed, complete, crate::testkeys::is_published(key));
        if report.certification.as_deref() != Some(word) {
            whole(format!(
                "its certification reads {:?}, its cases and key give {word:?}",
                report.certification.as_deref().unwrap_or("nothing")
            ));
        }
    }
    Ok(out)
}

fn short(digest: &str) -> &str {
    digest.get(..12).unwrap_or(digest)
}

/// Compares a case as recorded with the same case judged again.
fn compare(case: &RecordedCase, judged: &CaseReport, out: &mut Rejudged) {
    let mut unsupported = |reason: String| {
        out.unsupported.push(Unsupported {
            case: case.id.clone(),
            reason,
        })
    };
    if judged.verdict.as_str() != case.verdict {
        let why = judged
            .checks
            .iter()
            .find(|f| f.verdict == judged.verdict)
            .map(|f| format!(" ({}: {f})", f.check))
            .unwrap_or_default();
        unsupported(format!(
            "the report says {}, its evidence gives {}{why}",
            case.verdict,
            judged.verdict.as_str(),
        ));
        return;
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
        // What one list has beyond the other, counting repeats.
        let shown = |mine: &[RecordedCheck], other: &[RecordedCheck]| {
            let mut rest = other.to_vec();
            mine.iter()
                .filter(|c| match rest.iter().position(|o| o == *c) {
                    Some(i) => {
                        rest.remove(i);
                        false
                    }
                    None => true,
                })
                .map(|c| format!("{} {}", c.check, c.verdict))
                .collect::<Vec<_>>()
                .join(", ")
        };
        unsupported(format!(
            "its checks differ from its evidence's: the report has [{}], the evidence gives [{}]",
            shown(&recorded, &again),
            shown(&again, &recorded)
        ));
    }
}

fn no_evidence(case: &RecordedCase, out: &mut Rejudged) {
    out.unsupported.push(Unsupported {
        case: case.id.clone(),
        reason: "no evidence recorded".into(),
    });
}

/// A certification's cases, each judged again by its scenario.
fn client_cases(
    contract: &Contract,
    report: &RecordedReport,
    key: &VerifyingKey,
    out: &mut Rejudged,
) {
    let catalog = scenarios(contract);
    for case in &report.cases {
        let Some(scenario) = catalog.iter().find(|s| s.id == case.id) else {
            out.unsupported.push(Unsupported {
                case: case.id.clone(),
                reason: "no scenario of this id in the rules".into(),
            });
            continue;
        };
        let Some(evidence) = &case.evidence else {
            no_evidence(case, out);
            continue;
        };
        out.cases += 1;
        if let Some(reason) = from_another_run(contract, report, evidence) {
            out.unsupported.push(Unsupported {
                case: case.id.clone(),
                reason,
            });
            continue;
        }
        let (valid, invalid) = signatures(
            contract,
            &evidence.handed.client_key,
            &evidence.arrivals,
            key,
        );
        out.signatures_valid += valid;
        out.signatures_invalid += invalid;
        let shown: Vec<crate::report::ExchangeRecord> = evidence
            .arrivals
            .iter()
            .map(crate::report::ExchangeRecord::from)
            .collect();
        if let Some(reason) = shown_as_recorded(case, &shown) {
            out.unsupported.push(Unsupported {
                case: case.id.clone(),
                reason,
            });
        }
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
        compare(case, &judged, out);
    }
}

/// A proxy's exchanges, judged again in their order, transactions and all.
fn proxy_cases(
    contract: &Contract,
    report: &RecordedReport,
    key: &VerifyingKey,
    out: &mut Rejudged,
) {
    let given = |name: &str| {
        report
            .settings
            .get(name)
            .filter(|v| !v.starts_with("not given"))
            .cloned()
    };
    let known = crate::proxy::Known {
        public_key: key.clone(),
        client_key: given("client_key").unwrap_or_default(),
        partner_id: given("partner_id"),
        access_token: given("access_token"),
    };
    let mut records = Vec::new();
    let mut ids = Vec::new();
    let mut last = 0;
    for case in &report.cases {
        match &case.proxied {
            Some(p) if case.id == crate::proxy::case_id(p.seq) && p.seq > last => {
                last = p.seq;
                records.push(p.clone());
                ids.push(case);
            }
            Some(_) => out.unsupported.push(Unsupported {
                case: case.id.clone(),
                reason: "out of order, or its id is not its exchange's number".into(),
            }),
            None => no_evidence(case, out),
        }
    }
    let count = |name: &str| {
        report
            .settings
            .get(name)
            .and_then(|n| n.parse::<usize>().ok())
    };
    if let (Some(arrivals), Some(lost)) = (count("arrivals"), count("not_recorded"))
        && report.cases.len() + lost != arrivals
    {
        out.unsupported.push(Unsupported {
            case: "report".into(),
            reason: format!(
                "{} exchange(s) arrived and {lost} were not recorded, but it has {} case(s)",
                arrivals,
                report.cases.len()
            ),
        });
    }
    if report.complete != Some(count("not_recorded") == Some(0)) {
        out.unsupported.push(Unsupported {
            case: "report".into(),
            reason: "its completeness does not follow from its count of exchanges not recorded"
                .into(),
        });
    }
    let arrivals: Vec<crate::evidence::Arrival> =
        records.iter().map(|p| p.arrival.clone()).collect();
    let (valid, invalid) = signatures(contract, &known.client_key, &arrivals, key);
    out.signatures_valid += valid;
    out.signatures_invalid += invalid;
    let judged = crate::proxy::judge_all(contract, &known, &records);
    for ((case, j), p) in ids.into_iter().zip(judged).zip(&records) {
        out.cases += 1;
        let mut unsupported = |reason: String| {
            out.unsupported.push(Unsupported {
                case: case.id.clone(),
                reason,
            })
        };
        if let Some(reason) = shown_as_recorded(case, &[crate::proxy::exchange_record(p)]) {
            unsupported(reason);
        }
        if let Some(up) = &p.upstream {
            // What the client got must be what the upstream gave (or the
            // proxy's 502 when it gave nothing usable).
            let given = crate::proxy::answer_for(&up.outcome);
            let got = &p.arrival.answer;
            let same = match &up.outcome {
                Ok(r) if !r.truncated => {
                    given.status == got.status
                        && given.headers == got.headers
                        && given.body == got.body
                }
                _ => given.status == got.status,
            };
            if !same {
                unsupported(format!(
                    "the answer the client got (HTTP {}) is not the one the upstream gave (HTTP {})",
                    got.status, given.status
                ));
            }
        }
        let again = CaseReport::from_parts(
            &case.id,
            SpecRef::item(Table::Specification, "Method, URL"),
            "",
            vec![],
            j.all(),
            vec![],
            std::time::Duration::ZERO,
        );
        compare(case, &again, out);
    }
}

/// Why a case's evidence is not of this report's run: the idempotency key
/// it was handed lacks the run's tag, or a request arrived outside the
/// run's time.
fn from_another_run(
    contract: &Contract,
    report: &RecordedReport,
    evidence: &Evidence,
) -> Option<String> {
    let key_name = &contract.roles().idempotency_key;
    let handed = evidence
        .handed
        .request
        .as_object()
        .and_then(|o| crate::spec::value_at(o, key_name))
        .and_then(Value::as_str)
        .unwrap_or_default();
    match &report.run {
        Some(run) if handed.contains(&format!("-{run}-")) => {}
        Some(run) => {
            return Some(format!(
                "from another run: it was handed {key_name} {handed:?}, this run's keys carry {run:?}"
            ));
        }
        None => return Some("the report names no run to tie its cases to".into()),
    }
    let Ok(started) = OffsetDateTime::parse(&report.started_at, &Rfc3339) else {
        return Some(format!(
            "the report's started_at {:?} is not a time to tie its cases to",
            report.started_at
        ));
    };
    let slack = time::Duration::seconds(2);
    let end = started + time::Duration::milliseconds(report.duration_ms as i64) + slack;
    evidence
        .arrivals
        .iter()
        .find(|a| a.at < started - slack || a.at > end)
        .map(|a| {
            format!(
                "from another run: a request arrived at {}, outside this run ({} for {} ms)",
                a.at.format(&Rfc3339).unwrap_or_default(),
                report.started_at,
                report.duration_ms
            )
        })
}

/// Whether the exchanges a case shows are the ones its evidence gives
/// (the display is derived from the evidence, never edited on its own).
fn shown_as_recorded(
    case: &RecordedCase,
    derived: &[crate::report::ExchangeRecord],
) -> Option<String> {
    let derived: Vec<Value> = derived
        .iter()
        .filter_map(|e| serde_json::to_value(e).ok())
        .collect();
    (derived != case.exchanges)
        .then(|| "the exchanges it shows are not the ones its evidence records".to_owned())
}
