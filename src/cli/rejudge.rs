//! `rejudge REPORT.json --public-key PEM`: a certification report's
//! verdicts given again from its evidence.

use super::{CliError, Outcome, RejudgeArgs, verifying_key};
use crate::contract::Contract;

/// Runs `rejudge`.
pub(super) fn run(contract: &Contract, args: &RejudgeArgs) -> Result<Outcome, CliError> {
    let key = verifying_key("--public-key", &args.public_key)?;
    let shown = args.report.display();
    let text = std::fs::read_to_string(&args.report).map_err(|e| CliError::Flag {
        flag: "rejudge",
        reason: format!(
            "cannot read {shown}: {}",
            crate::wire::signature::io_reason(&e)
        ),
    })?;
    let judged = crate::rejudge::rejudge(contract, &text, &key).map_err(|e| CliError::Flag {
        flag: "rejudge",
        reason: format!("{shown}: {e}"),
    })?;
    let mut stdout = String::new();
    for note in &judged.notes {
        stdout.push_str(&format!("note: {note}\n"));
    }
    for u in &judged.unsupported {
        stdout.push_str(&format!("UNSUPPORTED {}: {}\n", u.case, u.reason));
    }
    let signatures = format!(
        "{} signature(s) verified, {} did not verify (each judged in its case)",
        judged.signatures_valid, judged.signatures_invalid
    );
    let what = format!(
        "rejudged {} case(s) of a report whose headline reads {}",
        judged.cases,
        judged.headline.to_uppercase()
    );
    match (judged.unsupported.is_empty(), judged.other_rules) {
        (true, _) => stdout.push_str(&format!(
            "{what}: every verdict follows from the report's evidence; {signatures}\n"
        )),
        (false, false) => stdout.push_str(&format!(
            "{what}: {} place(s) where the report's evidence does not support what it says; {signatures}\n",
            judged.unsupported.len()
        )),
        (false, true) => stdout.push_str(&format!(
            "{what}: {} place(s) differ, but the report rests on other rules than these: judge it with the specs/ (--spec DIR) or the release that made it; {signatures}\n",
            judged.unsupported.len()
        )),
    }
    Ok(Outcome {
        stdout,
        stderr: String::new(),
        code: judged.exit_code(),
    })
}
