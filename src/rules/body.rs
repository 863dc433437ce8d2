//! Typed checks of request and response bodies against the body tables.
//!
//! Each check is a small function named for what it checks; a failed check is
//! a [`Violation`]: the field, the rule, what was expected, what was seen and
//! the row of the API text, rendered in one place ([`Violation`]'s `Display`).
//! The JSON Schemas of [`crate::schema`] are derived from the same rows, and a
//! test holds the two to the same judgement on generated bodies.
//!
//! ```
//! use cdm_conformance::{rules::body, Contract};
//! use serde_json::json;
//!
//! let body = json!({"partnerReferenceNo": "", "merchantId": "M1", "additionalInfo": {}});
//! let found = body::request_body(&Contract::embedded().spec, &body);
//! assert_eq!(
//!     found[0].to_string(),
//!     "partnerReferenceNo: expected a non-empty string, found an empty string (request body row 1 (partnerReferenceNo))"
//! );
//! ```

use std::fmt;

use serde::Serialize;
use serde_json::{Map, Value};

use crate::spec::{FieldRow, FieldType, Required, Spec, SpecRef, Table};

/// The rule a value broke.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Rule {
    /// The body is not a JSON object.
    NotAnObject,
    /// A required field is absent.
    Missing,
    /// A field is `null`.
    Null,
    /// A field has another JSON type.
    WrongType,
    /// A required string is empty.
    Empty,
    /// A string is longer than its limit, or not of its fixed length.
    Length,
    /// A value outside the field's closed set.
    NotAllowed,
}

/// A failed check: data, rendered in one place.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Violation {
    /// The row of the API text the rule comes from.
    pub spec_ref: SpecRef,
    /// The field (or `body`).
    pub field: String,
    /// The rule broken.
    pub rule: Rule,
    /// What the row asks for.
    pub expected: String,
    /// What was seen.
    pub actual: String,
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}: expected {}, found {} ({})",
            self.field, self.expected, self.actual, self.spec_ref
        )
    }
}

/// How a JSON value is described in a message.
pub fn describe(value: &Value) -> String {
    match value {
        Value::Null => "null".into(),
        Value::Bool(b) => format!("the boolean {b}"),
        Value::Number(n) => format!("the number {n}"),
        Value::String(s) if s.is_empty() => "an empty string".into(),
        Value::String(s) => format!("a string of {} characters", s.chars().count()),
        Value::Array(a) => format!("an array of {} items", a.len()),
        Value::Object(o) => format!("an object with {} keys", o.len()),
    }
}

fn expected_type(row: &FieldRow) -> String {
    match row.ty {
        FieldType::String => "a string".into(),
        FieldType::Object => "a JSON object".into(),
        FieldType::Enum => format!("one of {}", row.values.join(", ")),
    }
}

/// Checks that the body is a JSON object.
pub fn body_is_object(table: Table, value: &Value) -> Result<&Map<String, Value>, Violation> {
    value.as_object().ok_or_else(|| Violation {
        spec_ref: SpecRef::item(table, "body"),
        field: "body".into(),
        rule: Rule::NotAnObject,
        expected: "a JSON object".into(),
        actual: describe(value),
    })
}

/// Checks one field against its row: presence, null, JSON type, emptiness,
/// length, allowed values. `required` says whether the row applies as
/// mandatory here (conditional rows are mandatory on success).
pub fn field_matches_row(
    row: &FieldRow,
    value: Option<&Value>,
    required: bool,
) -> Option<Violation> {
    let violation = |rule, expected: String, actual: String| {
        Some(Violation {
            spec_ref: row.spec_ref(),
            field: row.name.clone(),
            rule,
            expected,
            actual,
        })
    };
    let value = match value {
        None if required => {
            return violation(Rule::Missing, expected_type(row), "no such field".into());
        }
        None => return None,
        Some(v) => v,
    };
    match (row.ty, value) {
        (_, Value::Null) => violation(Rule::Null, expected_type(row), "null".into()),
        (FieldType::Object, Value::Object(_)) => None,
        (FieldType::String | FieldType::Enum, Value::String(s)) => {
            string_matches_row(row, s, required)
                .and_then(|(rule, expected, actual)| violation(rule, expected, actual))
        }
        _ => violation(Rule::WrongType, expected_type(row), describe(value)),
    }
}

fn string_matches_row(row: &FieldRow, s: &str, required: bool) -> Option<(Rule, String, String)> {
    if row.ty == FieldType::Enum {
        return (!row.values.iter().any(|v| v == s))
            .then(|| (Rule::NotAllowed, expected_type(row), format!("{s:?}")));
    }
    let chars = s.chars().count();
    if required && chars == 0 {
        return Some((
            Rule::Empty,
            "a non-empty string".into(),
            "an empty string".into(),
        ));
    }
    if !row.length.admits(chars) {
        return Some((
            Rule::Length,
            format!("a string of {}", row.length),
            format!("{chars} characters"),
        ));
    }
    None
}

/// Whether a row applies to this body: a nested row (`amount.value`) only
/// when its parent is an object (a missing or malformed parent is the
/// parent row's violation, not its children's).
fn parent_present(object: &Map<String, Value>, name: &str) -> bool {
    match name.rsplit_once('.') {
        None => true,
        Some((parent, _)) => crate::spec::value_at(object, parent).is_some_and(Value::is_object),
    }
}

fn rows_against<'a>(
    rows: &'a [FieldRow],
    object: &'a Map<String, Value>,
    required: impl Fn(&FieldRow) -> bool + 'a,
) -> impl Iterator<Item = Violation> + 'a {
    rows.iter()
        .filter(|row| parent_present(object, &row.name))
        .filter_map(move |row| {
            field_matches_row(row, crate::spec::value_at(object, &row.name), required(row))
        })
}

/// Checks a request body against the request body table.
pub fn request_body(spec: &Spec, value: &Value) -> Vec<Violation> {
    let object = match body_is_object(Table::RequestBody, value) {
        Ok(o) => o,
        Err(v) => return vec![v],
    };
    rows_against(&spec.request_fields, object, |row| {
        row.required == Required::Mandatory
    })
    .collect()
}

/// Checks a response body against the response body table. Rows required
/// "on success" are required when the response code is the success code.
pub fn response_body(spec: &Spec, value: &Value) -> Vec<Violation> {
    let object = match body_is_object(Table::ResponseBody, value) {
        Ok(o) => o,
        Err(v) => return vec![v],
    };
    let success = object
        .get(&spec.interpretations.roles.response_code)
        .and_then(Value::as_str)
        == Some(spec.success_code().code.as_str());
    rows_against(&spec.response_fields, object, |row| match row.required {
        Required::Mandatory => true,
        Required::OnSuccess => success,
    })
    .collect()
}
