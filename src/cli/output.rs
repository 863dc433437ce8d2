//! What `server` and `client` share at the end of a run: report paths checked
//! before it, the console summary and the reports after it.

use std::path::Path;

use super::{CliError, Outcome, OutputArgs, write_file};
use crate::report::Report;

/// Checks, before anything is sent, that each report can be written: its
/// directory exists, and the path is not a directory.
pub(super) fn check_report_paths(args: &OutputArgs) -> Result<(), CliError> {
    let paths = [
        ("--report-json", &args.report_json),
        ("--junit", &args.junit),
        ("--report-html", &args.report_html),
        ("--report-md", &args.report_md),
    ];
    for (flag, path) in paths {
        let Some(path) = path else { continue };
        let parent = match path.parent() {
            Some(p) if !p.as_os_str().is_empty() => p,
            _ => Path::new("."),
        };
        if !parent.is_dir() {
            return Err(CliError::Flag {
                flag,
                reason: format!("{}: no such directory", parent.display()),
            });
        }
        if path.is_dir() {
            return Err(CliError::Flag {
                flag,
                reason: format!("{} is a directory", path.display()),
            });
        }
    }
    Ok(())
}

/// `--list`: every case id and the row it cites, one a line, a tab between.
pub(super) fn list<T: crate::runner::CaseMeta>(cases: Vec<T>) -> Outcome {
    let stdout = cases
        .iter()
        .map(|c| format!("{}\t{}\n", c.id(), c.spec_ref()))
        .collect();
    Outcome {
        stdout,
        stderr: String::new(),
        code: 0,
    }
}

/// Writes the reports asked for.
fn write_reports(report: &Report, args: &OutputArgs) -> Result<(), CliError> {
    type Render = fn(&Report) -> String;
    let outputs: [(&Option<std::path::PathBuf>, Render); 4] = [
        (&args.report_json, Report::to_json),
        (&args.junit, Report::to_junit),
        (&args.report_html, Report::to_html),
        (&args.report_md, Report::to_markdown),
    ];
    for (path, render) in outputs {
        if let Some(path) = path {
            write_file(Path::new(path), render(report).as_bytes(), 0o644)?;
        }
    }
    Ok(())
}

/// The outcome of a finished run: the console summary always, then the
/// reports; a report that cannot be written is exit 2, after the summary.
pub(super) fn finish(report: &Report, args: &OutputArgs, note: &str) -> Outcome {
    let stdout = format!("{note}{}", args.console().render(report));
    written(report, args, stdout)
}

/// The same for a run whose case lines were printed as they came: the
/// root causes and the summary.
pub(super) fn finish_tail(report: &Report, args: &OutputArgs, note: &str) -> Outcome {
    let stdout = format!("{note}{}", args.console().render_tail(report));
    written(report, args, stdout)
}

fn written(report: &Report, args: &OutputArgs, stdout: String) -> Outcome {
    match write_reports(report, args) {
        Ok(()) => Outcome {
            stdout,
            stderr: String::new(),
            code: report.exit_code(),
        },
        Err(e) => Outcome {
            stdout,
            stderr: format!("error: {e}\n"),
            code: 2,
        },
    }
}
