//! JSON Schemas derived from the body tables, and validation with `jsonschema`.
//!
//! There is one source of truth, `specs/api.toml`: the schemas are computed
//! from its rows, never written by hand. `snapshots/` holds them as derived, so
//! a change to the spec shows up in review, and a test holds them to the same
//! judgement as the typed checks of [`crate::checks`].
//!
//! ```
//! use cdm_conformance::{schema::BodySchemas, Spec};
//! use serde_json::json;
//!
//! let schemas = BodySchemas::derive(Spec::embedded()).unwrap();
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

fn object_schema<'a>(
    title: &str,
    rows: impl Iterator<Item = &'a FieldRow> + Clone,
) -> Map<String, Value> {
    let properties: Map<String, Value> = rows
        .clone()
        .map(|r| {
            (
                r.name.clone(),
                property(r, r.required == Required::Mandatory),
            )
        })
        .collect();
    let required: Vec<&str> = rows
        .filter(|r| r.required == Required::Mandatory)
        .map(|r| r.name.as_str())
        .collect();
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
    Value::Object(object_schema(&title, spec.request_fields.iter()))
}

/// The response body schema: the response body table's rows, the "on success"
/// rows required (and non-empty) when `responseCode` is the success code.
pub fn response_body_schema(spec: &Spec) -> Value {
    let title = format!("{} response body", spec.endpoint.title);
    let mut schema = object_schema(&title, spec.response_fields.iter());
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
    schema.insert(
        "if".into(),
        json!({
            "required": ["responseCode"],
            "properties": {"responseCode": {"const": spec.success_code().code.as_str()}}
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
