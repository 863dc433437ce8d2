//! Every table row of the API text is in `specs/api.toml`, cell for cell.
//!
//! `specs/source/generate-atm-qrcode.md` is the API text as received (a
//! verbatim copy of the seed). This module reads its Markdown tables
//! mechanically and compares each row with the typed spec, so a row left out,
//! a limit mistyped or a remark reworded fails here, naming the row.

use std::collections::BTreeMap;

use cdm_conformance::spec::{FieldRow, FieldType, HeaderRow, Length, Required};

use crate::common::root;

/// The tables of the source text: `(part, table)` to rows of cells.
fn tables() -> BTreeMap<(String, String), Vec<Vec<String>>> {
    let text = std::fs::read_to_string(root().join("specs/source/generate-atm-qrcode.md")).unwrap();
    let mut out: BTreeMap<(String, String), Vec<Vec<String>>> = BTreeMap::new();
    let (mut part, mut table) = ("Specification".to_owned(), "Specification".to_owned());
    let mut header_seen = false;
    for line in text.lines() {
        if let Some(heading) = line.strip_prefix("# ") {
            match heading {
                "Request" | "Response" => part = heading.to_owned(),
                "Header" | "Body" | "Response Code and Message" => table = heading.to_owned(),
                _ => {}
            }
            header_seen = false;
            continue;
        }
        if !line.starts_with('|') || line.starts_with("|---") {
            continue;
        }
        if !header_seen {
            header_seen = true; // the column titles
            continue;
        }
        let cells: Vec<String> = line
            .trim()
            .trim_start_matches('|')
            .trim_end_matches('|')
            .split(" | ")
            .map(|c| c.trim().trim_matches('|').trim().to_owned())
            .collect();
        out.entry((part.clone(), table.clone()))
            .or_default()
            .push(cells);
    }
    out
}

fn rows(part: &str, table: &str) -> Vec<Vec<String>> {
    tables()
        .remove(&(part.to_owned(), table.to_owned()))
        .unwrap_or_else(|| panic!("no {part} {table} table in the source text"))
}

fn length_text(length: Length) -> String {
    match length {
        Length::Variable { max: Some(m) } => format!("Variable, {m} max"),
        Length::Variable { max: None } => "Variable".into(),
        Length::Fixed { len } => format!("Fixed, {len} max"),
    }
}

fn required_text(r: Required) -> &'static str {
    match r {
        Required::Mandatory => "Mandatory",
        Required::OnSuccess => "Conditional",
    }
}

fn assert_header_rows(source: &[Vec<String>], spec: &[HeaderRow], table: &str) {
    assert_eq!(source.len(), spec.len(), "{table}: row count");
    for (cells, row) in source.iter().zip(spec) {
        let at = format!("{table} row {}", cells[0]);
        assert_eq!(cells[0], row.row.to_string(), "{at}: number");
        assert_eq!(cells[1], row.name, "{at}: name");
        assert_eq!(cells[2], "String", "{at}: type");
        assert_eq!(cells[3], length_text(row.length), "{at}: length");
        assert_eq!(cells[4], required_text(row.required), "{at}: required");
        assert_eq!(cells[5], row.condition, "{at}: condition");
        assert_eq!(
            cells.get(6).map_or("", String::as_str),
            row.remarks,
            "{at}: remarks"
        );
    }
}

fn type_text(row: &FieldRow) -> String {
    match (row.ty, &row.type_name) {
        (_, Some(name)) => name.clone(),
        (FieldType::String, None) => "String".into(),
        (other, None) => panic!("{}: {other:?} needs a type_name", row.name),
    }
}

fn assert_field_rows(source: &[Vec<String>], spec: &[FieldRow], table: &str) {
    assert_eq!(source.len(), spec.len(), "{table}: row count");
    for (cells, row) in source.iter().zip(spec) {
        let at = format!("{table} row {}", cells[0]);
        assert_eq!(cells[0], row.row.to_string(), "{at}: number");
        assert_eq!(cells[1], row.name, "{at}: name");
        assert_eq!(cells[2], type_text(row), "{at}: type");
        assert_eq!(cells[3], length_text(row.length), "{at}: length");
        assert_eq!(cells[4], required_text(row.required), "{at}: required");
        assert_eq!(cells[5], row.condition, "{at}: condition");
        assert_eq!(cells[6], row.remarks, "{at}: remarks");
    }
}

#[test]
fn specification_table_is_transcribed() {
    let e = &cdm_conformance::Contract::embedded().spec.endpoint;
    let cells: BTreeMap<String, String> = rows("Specification", "Specification")
        .into_iter()
        .map(|c| (c[0].clone(), c.get(1).cloned().unwrap_or_default()))
        .collect();
    assert_eq!(cells["API Name"], e.api_name);
    assert_eq!(cells["Function"], e.function);
    assert_eq!(cells["Service Code"], e.service_code);
    assert_eq!(cells["Method"], e.method);
    assert_eq!(cells["URL"], e.path);
    assert_eq!(cells["Accept"], e.accept);
    assert_eq!(cells["Content Type"], e.content_type);
    assert_eq!(cells["Related Service"], e.related_service);
    assert_eq!(
        cells["Expected Timeout"],
        format!("{} second", e.expected_timeout_ms / 1000)
    );
}

#[test]
fn request_header_table_is_transcribed() {
    assert_header_rows(
        &rows("Request", "Header"),
        &cdm_conformance::Contract::embedded().spec.request_headers,
        "request header",
    );
}

#[test]
fn request_body_table_is_transcribed() {
    assert_field_rows(
        &rows("Request", "Body"),
        &cdm_conformance::Contract::embedded().spec.request_fields,
        "request body",
    );
}

#[test]
fn response_header_table_is_transcribed() {
    assert_header_rows(
        &rows("Response", "Header"),
        &cdm_conformance::Contract::embedded().spec.response_headers,
        "response header",
    );
}

#[test]
fn response_body_table_is_transcribed() {
    assert_field_rows(
        &rows("Response", "Body"),
        &cdm_conformance::Contract::embedded().spec.response_fields,
        "response body",
    );
}

#[test]
fn response_code_table_is_transcribed() {
    let spec = &cdm_conformance::Contract::embedded().spec;
    let source = rows("Response", "Response Code and Message");
    assert_eq!(
        source.len(),
        spec.response_codes.len() + spec.response_conditions.len()
    );
    for cells in &source {
        let at = format!("response code row {}", cells[0]);
        let number: u32 = cells[0].parse().unwrap();
        if let Some(row) = spec.response_codes.iter().find(|r| r.row == number) {
            assert_eq!(cells[1], row.code.as_str(), "{at}: code");
            assert_eq!(cells[2], row.message, "{at}: message");
            assert_eq!(cells[3], row.remarks, "{at}: remarks");
            assert_eq!(cells[4], row.partner_action, "{at}: partner action");
            assert_eq!(cells[5], row.related_service, "{at}: related service");
        } else {
            // The rows without a code are shifted one column left (erratum
            // no-code-rows-shifted): name, remarks, action, related service.
            let row = spec
                .response_conditions
                .iter()
                .find(|r| r.row == number)
                .unwrap_or_else(|| panic!("{at} is not in specs/api.toml"));
            assert_eq!(cells[1], row.name, "{at}: name");
            assert_eq!(cells[2], row.remarks, "{at}: remarks");
            assert_eq!(cells[3], row.partner_action, "{at}: partner action");
            assert_eq!(cells[4], row.related_service, "{at}: related service");
        }
    }
}

#[test]
fn request_sample_is_transcribed_key_for_key_in_order() {
    let text = std::fs::read_to_string(root().join("specs/source/generate-atm-qrcode.md")).unwrap();
    let sample = &text[text.find("# REQUEST SAMPLE").unwrap()..text.find("# Response").unwrap()];
    let json = &sample[sample.find("\n{").unwrap()..];
    let printed: serde_json::Value =
        serde_json::from_str(json).expect("the request sample is JSON");
    let ours = serde_json::Value::Object(
        cdm_conformance::Contract::embedded()
            .spec
            .request_sample
            .clone(),
    );
    assert_eq!(ours, printed);
    // Key order too: the sample is the template of every request body.
    assert_eq!(
        serde_json::to_string(&ours).unwrap(),
        serde_json::to_string(&printed).unwrap()
    );
}

#[test]
fn response_sample_is_transcribed_field_for_field() {
    // The printed sample lacks commas (an erratum): compare its lines.
    let text = std::fs::read_to_string(root().join("specs/source/generate-atm-qrcode.md")).unwrap();
    let start = text.find("# Response\nContent-Type").unwrap();
    let sample = &text[start..text.find("# Response Code and Message").unwrap()];
    let printed: Vec<&str> = sample
        .lines()
        .filter(|l| l.starts_with('"'))
        .map(|l| l.trim_end_matches(','))
        .collect();
    let ours = &cdm_conformance::Contract::embedded().spec.response_sample;
    assert_eq!(printed.len(), ours.len());
    for (key, value) in ours {
        let line = format!("\"{key}\": {value}");
        assert!(printed.contains(&line.as_str()), "the sample lacks {line}");
    }
}

#[test]
fn the_source_text_is_the_seed_verbatim() {
    // Where the shared seed is beside the checkout (CI, developers), the copy
    // in specs/source/ must not have drifted from it.
    let seed = root().join("../shared/seeds/000_d904e3da633a3956.txt");
    if let Ok(original) = std::fs::read_to_string(seed) {
        let copy =
            std::fs::read_to_string(root().join("specs/source/generate-atm-qrcode.md")).unwrap();
        assert_eq!(
            copy, original,
            "specs/source/generate-atm-qrcode.md differs from the seed"
        );
    }
}
