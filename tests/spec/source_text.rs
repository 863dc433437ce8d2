//! Every table row of the API text is in `specs/api.toml`, cell for cell.
//!
//! `specs/source/generate-atm-qrcode.md` is the API text as received (a
//! verbatim copy of the seed). This module reads its Markdown tables
//! mechanically and compares each row with the typed spec, so a row left out,
//! a limit mistyped or a remark reworded fails here, naming the row.

use std::collections::BTreeMap;

use cdm_conformance::Spec;
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
    let e = &Spec::embedded().endpoint;
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
        &Spec::embedded().request_headers,
        "request header",
    );
}

#[test]
fn request_body_table_is_transcribed() {
    assert_field_rows(
        &rows("Request", "Body"),
        &Spec::embedded().request_fields,
        "request body",
    );
}

#[test]
fn response_header_table_is_transcribed() {
    assert_header_rows(
        &rows("Response", "Header"),
        &Spec::embedded().response_headers,
        "response header",
    );
}

#[test]
fn response_body_table_is_transcribed() {
    assert_field_rows(
        &rows("Response", "Body"),
        &Spec::embedded().response_fields,
        "response body",
    );
}

#[test]
fn response_code_table_is_transcribed() {
    let spec = Spec::embedded();
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
fn request_sample_additional_info_is_transcribed() {
    let text = std::fs::read_to_string(root().join("specs/source/generate-atm-qrcode.md")).unwrap();
    let start = text.find("\"additionalInfo\": {").unwrap();
    let block = &text[start..text[start..].find('}').unwrap() + start];
    for field in &Spec::embedded().additional_info_sample {
        let line = format!("\"{}\": \"{}\"", field.name, field.value);
        assert!(block.contains(&line), "sample additionalInfo lacks {line}");
    }
    assert_eq!(
        block.matches("\": \"").count(),
        Spec::embedded().additional_info_sample.len()
    );
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
