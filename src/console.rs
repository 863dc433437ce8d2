//! What a person sees on the terminal: progress while cases run, one line per
//! case that needs attention, and a summary table.
//!
//! Colour only on a terminal and never when `NO_COLOR` is set; the progress
//! bar only on a terminal, on standard error, and never with `--quiet`. Text
//! that came from a server or a client is printed with control characters
//! escaped, so no answer can drive the terminal.
//!
//! ```
//! use cdm_conformance::console::{Console, Verbosity};
//! let console = Console { verbosity: Verbosity::Normal, color: false };
//! assert_eq!(console.printable("a\u{1b}[31mb"), "a\\u{1b}[31mb");
//! ```

use std::fmt::Write as _;
use std::io::IsTerminal as _;

use anstyle::{AnsiColor, Style};

use crate::report::{CaseReport, Report};
use crate::verdict::Verdict;

/// How much is printed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Verbosity {
    /// The summary line, and one line per failed case.
    Quiet,
    /// One line per case that did not pass, then the summary table.
    #[default]
    Normal,
    /// Every case, every failing check on its own line, then the summary table.
    Verbose,
}

/// The console's settings.
#[derive(Debug, Clone, Copy)]
pub struct Console {
    /// How much is printed.
    pub verbosity: Verbosity,
    /// Whether to colour.
    pub color: bool,
}

impl Console {
    /// Colour when standard output is a terminal and `NO_COLOR` is unset or empty.
    pub fn detect(verbosity: Verbosity) -> Console {
        let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
        Console {
            verbosity,
            color: !no_color && std::io::stdout().is_terminal(),
        }
    }

    /// Whether a progress bar belongs on standard error.
    pub fn wants_progress(&self) -> bool {
        self.verbosity != Verbosity::Quiet && std::io::stderr().is_terminal()
    }

    fn paint(&self, verdict: Verdict, text: &str) -> String {
        if !self.color {
            return text.to_owned();
        }
        let color = match verdict {
            Verdict::Pass => AnsiColor::Green,
            Verdict::Fail => AnsiColor::Red,
            Verdict::Warn => AnsiColor::Yellow,
            Verdict::Info => AnsiColor::Cyan,
            Verdict::Skip => AnsiColor::BrightBlack,
        };
        let style = Style::new().fg_color(Some(color.into())).bold();
        format!("{style}{text}{style:#}")
    }

    /// Text from a server or client, safe for a terminal: control characters
    /// (escape sequences among them) shown as `\u{..}`.
    pub fn printable(&self, text: &str) -> String {
        text.chars()
            .map(|c| {
                if c.is_control() {
                    c.escape_unicode().to_string()
                } else {
                    c.to_string()
                }
            })
            .collect()
    }

    fn case_line(&self, out: &mut String, c: &CaseReport) {
        let word = match &c.known {
            Some(k) if k.stale => "STALE".to_owned(),
            Some(_) => "KNOWN".to_owned(),
            None => c.verdict.as_str().to_uppercase(),
        };
        let verdict = match &c.known {
            Some(k) if k.stale => Verdict::Fail,
            Some(_) => Verdict::Warn,
            None => c.verdict,
        };
        let tag = self.paint(verdict, &format!("{word:<4}"));
        match self.verbosity {
            Verbosity::Verbose => {
                let _ = writeln!(
                    out,
                    "{tag}  {}  [{}] {} ms",
                    c.id, c.spec_ref, c.duration_ms
                );
                for f in c.checks.iter().filter(|f| f.verdict >= Verdict::Warn) {
                    let _ = writeln!(
                        out,
                        "        {}: {}",
                        f.check,
                        self.printable(&f.to_string())
                    );
                }
                if c.verdict == Verdict::Pass || c.verdict == Verdict::Info {
                    let _ = writeln!(out, "        {}", self.printable(&c.message));
                }
            }
            _ => {
                let _ = writeln!(out, "{tag}  {}  {}", c.id, self.printable(&c.message));
            }
        }
    }

    /// One exchange through the proxy, as it passes: verdict, id, method
    /// and path, the code answered, the upstream's time, and what failed.
    /// Quiet prints failures only; verbose every failing check too.
    pub fn exchange_line(&self, c: &CaseReport, code: Option<&str>) -> String {
        let mut out = String::new();
        if self.verbosity == Verbosity::Quiet && c.verdict != Verdict::Fail {
            return out;
        }
        let tag = self.paint(
            c.verdict,
            &format!("{:<4}", c.verdict.as_str().to_uppercase()),
        );
        let (method, path, status) = c.exchanges.first().map_or(("", "", None), |e| {
            (e.method.as_str(), e.url.as_str(), e.status)
        });
        let answered = match (code, status) {
            (Some(code), _) => code.to_owned(),
            (None, Some(status)) => format!("HTTP {status}"),
            (None, None) => "no answer".to_owned(),
        };
        let _ = write!(
            out,
            "{tag}  {}  {} {}  {}  {} ms",
            c.id,
            self.printable(method),
            self.printable(path),
            self.printable(&answered),
            c.duration_ms
        );
        if c.verdict >= Verdict::Warn {
            match self.verbosity {
                Verbosity::Verbose => {
                    let _ = writeln!(out);
                    for f in c.checks.iter().filter(|f| f.verdict >= Verdict::Warn) {
                        let _ = writeln!(
                            out,
                            "        {}: {}",
                            f.check,
                            self.printable(&f.to_string())
                        );
                    }
                    return out;
                }
                _ => {
                    // The first finding of the case's verdict, whole; the
                    // message's first word names the side at fault.
                    let side = c
                        .message
                        .split_once(' ')
                        .map(|(side, _)| side)
                        .filter(|side| matches!(*side, "request" | "answer"));
                    if let Some(f) = c.checks.iter().find(|f| f.verdict == c.verdict) {
                        let text = format!("{} {}: {f}", side.unwrap_or_default(), f.check);
                        let _ = write!(out, "  {}", self.printable(text.trim_start()));
                    }
                }
            }
        }
        let _ = writeln!(out);
        out
    }

    /// The end of a run whose case lines were printed as they came (the
    /// proxy's): root causes and the summary.
    pub fn render_tail(&self, report: &Report) -> String {
        self.render_parts(report, false)
    }

    /// The whole console output of a finished run.
    pub fn render(&self, report: &Report) -> String {
        self.render_parts(report, true)
    }

    fn render_parts(&self, report: &Report, case_lines: bool) -> String {
        let mut out = String::new();
        // Root causes first: one line for a defect that fails many cases.
        let causes = report.causes();
        for cause in &causes {
            let tag = self.paint(Verdict::Fail, "CAUSE");
            let _ = writeln!(out, "{tag} {}", self.printable(&cause.line()));
        }
        if !causes.is_empty() {
            let _ = writeln!(out);
        }
        for c in report.cases.iter().filter(|_| case_lines) {
            let stale = c.known.as_ref().is_some_and(|k| k.stale);
            let shown = match self.verbosity {
                Verbosity::Quiet => (c.verdict == Verdict::Fail && c.known.is_none()) || stale,
                Verbosity::Normal => c.verdict != Verdict::Pass || stale,
                Verbosity::Verbose => true,
            };
            if shown {
                self.case_line(&mut out, c);
            }
        }
        let s = &report.summary;
        if self.verbosity != Verbosity::Quiet {
            let _ = writeln!(out);
            let _ = writeln!(
                out,
                "  {} {} ({}) · specs/ {} · started {}",
                report.harness.name,
                report.harness.version,
                short_commit(report.harness.commit),
                &report.specs_digest[..report.specs_digest.len().min(12)],
                report.started_at
            );
            if let Some(client) = &report.client {
                let _ = writeln!(out, "  client {}", self.printable(&client.describe()));
            }
            let _ = writeln!(out);
            let _ = writeln!(out, "  verdict  cases");
            for (verdict, n) in [
                (Verdict::Pass, s.passed),
                (Verdict::Fail, s.failed),
                (Verdict::Warn, s.warned),
                (Verdict::Info, s.info),
                (Verdict::Skip, s.skipped),
            ] {
                let _ = writeln!(
                    out,
                    "  {}  {n:>5}",
                    self.paint(verdict, &format!("{:<7}", verdict.as_str()))
                );
            }
            let _ = writeln!(out);
        }
        let _ = writeln!(
            out,
            "{} {}: {} cases against {} in {} ms: {} passed, {} failed, {} warned, {} skipped, {} info",
            report.mode,
            self.paint(report.headline_verdict(), &report.headline()),
            report.cases.len(),
            self.printable(&report.target),
            report.duration_ms,
            s.passed,
            s.failed,
            s.warned,
            s.skipped,
            s.info
        );
        if s.known + s.stale > 0 {
            out.pop();
            let _ = writeln!(
                out,
                " ({} of the failures known deviations, {} known deviations stale)",
                s.known, s.stale
            );
        }
        out
    }
}

/// A commit as the summary shows it: 12 hex digits, and `-dirty` kept.
fn short_commit(commit: &str) -> String {
    let (sha, dirty) = match commit.strip_suffix("-dirty") {
        Some(sha) => (sha, "-dirty"),
        None => (commit, ""),
    };
    format!("{}{dirty}", &sha[..sha.len().min(12)])
}

/// A progress bar on standard error while cases run; hidden where it does not belong.
#[derive(Debug, Clone)]
pub struct Progress(indicatif::ProgressBar);

impl Progress {
    /// A bar for `total` cases, drawn only if `console` wants one.
    pub fn new(console: &Console, total: usize, what: &str) -> Progress {
        let bar = if console.wants_progress() {
            let bar = indicatif::ProgressBar::new(total as u64);
            if let Ok(style) = indicatif::ProgressStyle::with_template(&format!(
                "{what} {{bar:30}} {{pos}}/{{len}} cases {{elapsed}} {{msg}}"
            )) {
                bar.set_style(style);
            }
            bar
        } else {
            indicatif::ProgressBar::hidden()
        };
        Progress(bar)
    }

    /// One case finished.
    pub fn case_done(&self, case: &CaseReport) {
        self.0.set_message(case.id.clone());
        self.0.inc(1);
    }

    /// All cases finished: the bar goes away.
    pub fn finish(&self) {
        self.0.finish_and_clear();
    }
}

/// A callback run as each case finishes (the progress bar's feed).
#[derive(Clone)]
pub struct OnCase(pub std::sync::Arc<dyn Fn(&CaseReport) + Send + Sync>);

impl std::fmt::Debug for OnCase {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("OnCase")
    }
}

impl OnCase {
    /// Feeds `progress`.
    pub fn progress(progress: &Progress) -> OnCase {
        let progress = progress.clone();
        OnCase(std::sync::Arc::new(move |c| progress.case_done(c)))
    }
}
