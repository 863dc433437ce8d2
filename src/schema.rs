//! JSON Schemas derived from the body tables, and validation with `jsonschema`.
//!
//! There is one source of truth, `specs/api.toml`: the schemas are computed
//! from its rows, never written by hand. `snapshots/` holds them as derived, so
//! a change to the spec shows up in review, and a test holds them to the same
//! judgement as the typed checks of [`crate::rules::body`].
//!
//! ```
//! use cdm_conformance::{schema::BodySchemas, Contract};
//! use serde_json::json;
//!
//! let schemas = BodySchemas::derive(&Contract::embedded().spec).unwrap();
//! assert!(schemas.request_errors(&json!({"partnerReferenceNo": "R", "merchantId": "M", "additionalInfo": {}})).is_empty());
//! assert!(!schemas.request_errors(&json!({"merchantId": "M", "additionalInfo": {}})).is_empty());
//! ```

use serde_json::{Map, Value, json};

use crate::spec::{FieldRow, FieldType, Length, Required, Spec};

const DIALECT: &str = "https://json-schema.org/draft/2020-12/schema";

/// A derived schema that `jsonschema` refused (a bug in the derivation).
#[derive(Debug, thiserror::Error)]
#[error("derived {which} schema is invalid: {reason}")]
pub struct SchemaError {
    /// `request` or `response`.
    pub which: &'static str,
    /// What `jsonschema` said.
    pub reason: String,
}

fn property(row: &FieldRow, non_empty: bool) -> Value {
    let mut p = Map::new();
    p.insert(
        "description".into(),
        json!(format!("{}: {}", row.spec_ref(), row.remarks)),
    );
    match row.ty {
        FieldType::Object => {
            p.insert("type".into(), json!("object"));
        }
        FieldType::Enum => {
            p.insert("type".into(), json!("string"));
            p.insert("enum".into(), json!(row.values));
        }
        FieldType::String => {
            p.insert("type".into(), json!("string"));
            match row.length {
                Length::Fixed { len } => {
                    p.insert("minLength".into(), json!(len));
                    p.insert("maxLength".into(), json!(len));
                }
                Length::Variable { max } => {
                    if non_empty {
                        p.insert("minLength".into(), json!(1));
                    }
                    if let Some(max) = max {
                        p.insert("maxLength".into(), json!(max));
                    }
                }
            }
        }
    }
    Value::Object(p)
}

/// The direct children of `parent` (`None`: the top level) among `rows`,
/// by their own (last) name.
fn children<'a>(
    rows: &'a [FieldRow],
    parent: Option<&'a str>,
) -> impl Iterator<Item = (&'a str, &'a FieldRow)> + Clone {
    rows.iter()
        .filter_map(move |r| match (r.name.rsplit_once('.'), parent) {
            (None, None) => Some((r.name.as_str(), r)),
            (Some((p, own)), Some(want)) if p == want => Some((own, r)),
            _ => None,
        })
}

/// `properties` and `required` of the object at `parent`, nested objects
/// described by the rows under them (`amount.value` under `amount`).
fn members(rows: &[FieldRow], parent: Option<&str>) -> (Map<String, Value>, Vec<String>) {
    let mut properties = Map::new();
    let mut required = Vec::new();
    for (own, row) in children(rows, parent) {
        let mandatory = row.required == Required::Mandatory;
        let mut p = property(row, mandatory);
        if row.ty == FieldType::Object && children(rows, Some(&row.name)).next().is_some() {
            let (inner, inner_required) = members(rows, Some(&row.name));
            if let Value::Object(p) = &mut p {
                p.insert("required".into(), json!(inner_required));
                p.insert("properties".into(), Value::Object(inner));
            }
        }
        if mandatory {
            required.push(own.to_owned());
        }
        properties.insert(own.to_owned(), p);
    }
    (properties, required)
}

fn object_schema(title: &str, rows: &[FieldRow]) -> Map<String, Value> {
    let (properties, required) = members(rows, None);
    let mut schema = Map::new();
    schema.insert("$schema".into(), json!(DIALECT));
    schema.insert("title".into(), json!(title));
    schema.insert("type".into(), json!("object"));
    schema.insert("required".into(), json!(required));
    schema.insert("properties".into(), Value::Object(properties));
    schema
}

/// The request body schema: the request body table's rows.
///
/// Unknown keys are allowed: what a server does with them is reported as info.
pub fn request_body_schema(spec: &Spec) -> Value {
    let title = format!("{} request body", spec.endpoint.title);
    Value::Object(object_schema(&title, &spec.request_fields))
}

/// The response body schema: the response body table's rows, the "on success"
/// rows required (and non-empty) when the response code is the success code.
pub fn response_body_schema(spec: &Spec) -> Value {
    let title = format!("{} response body", spec.endpoint.title);
    let mut schema = object_schema(&title, &spec.response_fields);
    let on_success: Vec<&FieldRow> = spec
        .response_fields
        .iter()
        .filter(|r| r.required == Required::OnSuccess)
        .collect();
    let then_properties: Map<String, Value> = on_success
        .iter()
        .filter(|r| r.ty == FieldType::String)
        .map(|r| (r.name.clone(), json!({"minLength": 1})))
        .collect();
    let code = &spec.interpretations.roles.response_code;
    let mut condition = Map::new();
    condition.insert(
        code.clone(),
        json!({"const": spec.success_code().code.as_str()}),
    );
    schema.insert(
        "if".into(),
        json!({
            "required": [code],
            "properties": condition,
        }),
    );
    schema.insert(
        "then".into(),
        json!({
            "required": on_success.iter().map(|r| r.name.as_str()).collect::<Vec<_>>(),
            "properties": then_properties,
        }),
    );
    Value::Object(schema)
}

/// Compiled validators for both bodies.
pub struct BodySchemas {
    request: jsonschema::Validator,
    response: jsonschema::Validator,
}

impl std::fmt::Debug for BodySchemas {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("BodySchemas")
    }
}

fn compile(which: &'static str, schema: &Value) -> Result<jsonschema::Validator, SchemaError> {
    jsonschema::draft202012::new(schema).map_err(|e| SchemaError {
        which,
        reason: e.to_string(),
    })
}

impl BodySchemas {
    /// Derives and compiles both schemas.
    pub fn derive(spec: &Spec) -> Result<BodySchemas, SchemaError> {
        Ok(BodySchemas {
            request: compile("request", &request_body_schema(spec))?,
            response: compile("response", &response_body_schema(spec))?,
        })
    }

    /// Every way `body` breaks the request schema, as `jsonschema` words it.
    pub fn request_errors(&self, body: &Value) -> Vec<String> {
        self.request
            .iter_errors(body)
            .map(|e| format!("{}: {e}", e.instance_path()))
            .collect()
    }

    /// Every way `body` breaks the response schema, as `jsonschema` words it.
    pub fn response_errors(&self, body: &Value) -> Vec<String> {
        self.response
            .iter_errors(body)
            .map(|e| format!("{}: {e}", e.instance_path()))
            .collect()
    }
}
