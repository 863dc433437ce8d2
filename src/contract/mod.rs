//! The compiled contract: a loaded [`Spec`] and everything derived from it
//! that the harness runs on, built once and passed explicitly to every part.
//!
//! Compiling refuses, with the file, the entry and the reason, every fault
//! that cannot be applied as written ([`faults::compile`]); a contract that
//! compiled can apply each of its faults. Nothing here or below names a
//! field, path or code of one API: the endpoint's path, headers, body
//! template, roles and success fields all come from the spec.
//!
//! ```
//! use cdm_conformance::Contract;
//!
//! let contract = Contract::embedded();
//! let body = contract.sample_body("INV-0001", "M-1");
//! let key = &contract.spec.interpretations.roles.idempotency_key;
//! assert_eq!(body[key.as_str()], "INV-0001");
//! ```

pub mod faults;

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::{Arc, OnceLock};

use serde_json::{Map, Value};

pub use faults::{BodyForm, FieldChange, Mutation, PadBase, SignatureForm, TimestampForm};

use crate::spec::{
    API_TOML, ERRATA_TOML, Endpoint, Fault, HeaderFormat, INTERPRETATIONS_TOML, ResponseCode,
    Roles, Spec, SpecError, WireRules,
};

/// A spec compiled for running: shared, immutable, cheap to clone as `Arc`.
#[derive(Debug)]
pub struct Contract {
    /// The spec it was compiled from.
    pub spec: Spec,
    mutations: BTreeMap<Fault, Mutation>,
}

/// Sets the value at a dotted path of a JSON object, creating nothing: a
/// missing parent leaves the object unchanged and returns false.
pub fn set_at(object: &mut Map<String, Value>, path: &str, value: Value) -> bool {
    match path.split_once('.') {
        None => {
            object.insert(path.to_owned(), value);
            true
        }
        Some((head, rest)) => match object.get_mut(head).and_then(Value::as_object_mut) {
            Some(inner) => set_at(inner, rest, value),
            None => false,
        },
    }
}

/// Removes the value at a dotted path of a JSON object.
pub fn remove_at(object: &mut Map<String, Value>, path: &str) {
    match path.split_once('.') {
        None => {
            object.shift_remove(path);
        }
        Some((head, rest)) => {
            if let Some(inner) = object.get_mut(head).and_then(Value::as_object_mut) {
                remove_at(inner, rest);
            }
        }
    }
}

impl Contract {
    /// Compiles a loaded spec: every fault of the interpretations becomes a
    /// [`Mutation`], or the spec is refused.
    pub fn compile(spec: Spec) -> Result<Contract, SpecError> {
        let i = &spec.interpretations;
        let mut entries: Vec<(String, &Fault)> = Vec::new();
        for e in &i.expectations {
            for f in &e.faults {
                entries.push((format!("expectation {:?}", e.rule), f));
            }
        }
        for info in &i.info {
            entries.push((format!("info {:?}", info.note), &info.fault));
        }
        let dedicated = [
            (
                "identical_replay",
                &i.identical_replay.fault,
                Mutation::IdenticalReplay,
            ),
            (
                "concurrent_reuse",
                &i.concurrent_reuse.fault,
                Mutation::ConcurrentReuse,
            ),
            ("rate_limit", &i.rate_limit.fault, Mutation::RateLimitBurst),
        ];
        let mut mutations = BTreeMap::new();
        for (place, fault) in entries {
            let invalid = |reason: String| SpecError::Invalid {
                file: crate::spec::FILES[1],
                place: place.clone(),
                reason,
            };
            let mutation = faults::compile(&spec, fault).map_err(invalid)?;
            // These run only from their own sections (the burst, only when asked for).
            if let Some((section, ..)) = dedicated.iter().find(|(.., m)| *m == mutation) {
                return Err(invalid(format!(
                    "fault {fault} belongs in [{section}], which gives its rule"
                )));
            }
            mutations.insert(fault.clone(), mutation);
        }
        for (section, fault, wanted) in dedicated {
            let invalid = |reason: String| SpecError::Invalid {
                file: crate::spec::FILES[1],
                place: section.to_owned(),
                reason,
            };
            let mutation = faults::compile(&spec, fault).map_err(invalid)?;
            if mutation != wanted {
                return Err(invalid(format!(
                    "fault {fault} is not what [{section}] runs"
                )));
            }
            mutations.insert(fault.clone(), mutation);
        }
        Ok(Contract { spec, mutations })
    }

    /// Loads and compiles a spec directory.
    pub fn from_dir(dir: &Path) -> Result<Arc<Contract>, SpecError> {
        Ok(Arc::new(Contract::compile(Spec::from_dir(dir)?)?))
    }

    /// The built-in contract (the project's own `specs/`), compiled once.
    ///
    /// The embedded files are checked by the test suite, so this never fails
    /// in a released build; a broken edit of `specs/` fails every test at once.
    pub fn embedded() -> Arc<Contract> {
        static CONTRACT: OnceLock<Arc<Contract>> = OnceLock::new();
        CONTRACT
            .get_or_init(|| {
                Spec::from_texts(API_TOML, INTERPRETATIONS_TOML, ERRATA_TOML)
                    .and_then(Contract::compile)
                    .map(Arc::new)
                    .unwrap_or_else(|e| panic!("the embedded specs/ are invalid: {e}"))
            })
            .clone()
    }

    /// `--spec DIR` when given, else the built-in contract.
    pub fn load(dir: Option<&Path>) -> Result<Arc<Contract>, SpecError> {
        match dir {
            Some(d) => Contract::from_dir(d),
            None => Ok(Contract::embedded()),
        }
    }

    /// What a fault of the spec does. Every fault named in the
    /// interpretations compiled; others have none.
    pub fn mutation(&self, fault: &Fault) -> Option<&Mutation> {
        self.mutations.get(fault)
    }

    /// The specification table.
    pub fn endpoint(&self) -> &Endpoint {
        &self.spec.endpoint
    }

    /// The wire-format readings.
    pub fn wire(&self) -> &WireRules {
        &self.spec.interpretations.wire
    }

    /// Which fields play which part.
    pub fn roles(&self) -> &Roles {
        &self.spec.interpretations.roles
    }

    /// The success code.
    pub fn success_code(&self) -> ResponseCode {
        self.spec.success_code().code
    }

    /// The request header of a format, as the table prints its name.
    pub fn header(&self, format: HeaderFormat) -> Option<&str> {
        self.spec.request_header_of(format).map(|h| h.name.as_str())
    }

    /// The text that is signed for this client key and timestamp.
    pub fn signing_text(&self, client_key: &str, timestamp: &str) -> String {
        self.wire().signing_text(client_key, timestamp)
    }

    /// The request sample with the idempotency key and merchant set: the
    /// body of a valid request.
    pub fn sample_body(&self, reference: &str, merchant: &str) -> Value {
        let mut body = self.spec.request_sample.clone();
        let roles = self.roles();
        set_at(&mut body, &roles.idempotency_key, Value::from(reference));
        set_at(&mut body, &roles.merchant, Value::from(merchant));
        Value::Object(body)
    }

    /// A success's fields for answer `n`: each closed set takes the response
    /// sample's value; each other string the sample's value made unique by
    /// `tag` and `n`, within the field's length limit. The simulator and
    /// certification's scripted answers both make theirs here.
    pub fn success_values(&self, tag: &str, n: u64) -> Map<String, Value> {
        let spec = &self.spec;
        spec.success_fields()
            .map(|row| {
                let sample = spec.response_sample.get(&row.name).and_then(Value::as_str);
                let value = match row.ty {
                    crate::spec::FieldType::Enum => sample
                        .or(row.values.last().map(String::as_str))
                        .unwrap_or_default()
                        .to_owned(),
                    _ => {
                        let suffix = format!("{tag}{n:010}");
                        let max = row.length.max().unwrap_or(usize::MAX);
                        let room = max.saturating_sub(suffix.chars().count());
                        let head: String = sample.unwrap_or(&row.name).chars().take(room).collect();
                        let value = format!("{head}{suffix}");
                        let skip = value.chars().count().saturating_sub(max);
                        value.chars().skip(skip).collect()
                    }
                };
                (row.name.clone(), Value::from(value))
            })
            .collect()
    }

    /// The idempotency key of a body, if it is a string.
    pub fn reference_of<'a>(&self, body: &'a Value) -> Option<&'a str> {
        body.as_object()
            .and_then(|o| crate::spec::value_at(o, &self.roles().idempotency_key))
            .and_then(Value::as_str)
    }
}
