//! `diff OLD.json NEW.json`: what changed between two runs.

use std::collections::BTreeMap;

use serde_json::Value;

use super::{CliError, DiffArgs, Outcome};

/// A case as a JSON report holds it: verdict and message.
fn cases(path: &std::path::Path) -> Result<BTreeMap<String, (String, String)>, CliError> {
    let flag = "diff";
    let shown = path.display();
    let text = std::fs::read_to_string(path).map_err(|e| CliError::Flag {
        flag,
        reason: format!(
            "cannot read {shown}: {}",
            crate::wire::signature::io_reason(&e)
        ),
    })?;
    let json: Value = serde_json::from_str(&text).map_err(|e| CliError::Flag {
        flag,
        reason: format!("{shown} is not JSON: {e}"),
    })?;
    let list = json
        .get("cases")
        .and_then(Value::as_array)
        .ok_or_else(|| CliError::Flag {
            flag,
            reason: format!("{shown} is not a cdm-conformance JSON report (no cases)"),
        })?;
    let text_of = |c: &Value, k: &str| {
        c.get(k)
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned()
    };
    Ok(list
        .iter()
        .map(|c| {
            (
                text_of(c, "id"),
                (text_of(c, "verdict"), text_of(c, "message")),
            )
        })
        .collect())
}

/// Runs `diff`.
pub(super) fn run(args: &DiffArgs) -> Result<Outcome, CliError> {
    let old = cases(&args.old)?;
    let new = cases(&args.new)?;
    let mut newly_failing = Vec::new();
    let mut newly_passing = Vec::new();
    let mut changed = Vec::new();
    for (id, (verdict, message)) in &new {
        match old.get(id) {
            None => changed.push(format!("added    {id}: {verdict}")),
            Some((was, _)) if was != "fail" && verdict == "fail" => {
                newly_failing.push(format!("FAIL     {id} (was {was}): {message}"));
            }
            Some((was, _)) if was == "fail" && verdict != "fail" => {
                newly_passing.push(format!("fixed    {id} (now {verdict})"));
            }
            Some((was, before)) if was != verdict || before != message => {
                changed.push(format!("changed  {id}: {was} -> {verdict}: {message}"));
            }
            Some(_) => {}
        }
    }
    for id in old.keys().filter(|id| !new.contains_key(*id)) {
        changed.push(format!("removed  {id}"));
    }
    let mut out = String::new();
    for line in newly_failing.iter().chain(&newly_passing).chain(&changed) {
        out.push_str(line);
        out.push('\n');
    }
    out.push_str(&format!(
        "{} newly failing, {} newly passing, {} changed\n",
        newly_failing.len(),
        newly_passing.len(),
        changed.len()
    ));
    Ok(Outcome {
        stdout: out,
        stderr: String::new(),
        code: u8::from(!newly_failing.is_empty()),
    })
}
