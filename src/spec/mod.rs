//! The API text's tables as typed data, loaded from a `specs/` directory.
//!
//! Three files make a spec:
//!
//! - `api.toml`: every table of the API text, row by row, row numbers as
//!   printed, and its request and response samples;
//! - `interpretations.toml`: how the harness reads the vague places (the
//!   server suite's code sets per fault, retry limits, which field plays
//!   which part, the simulator's answers);
//! - `errata.toml`: where the API text is broken, and the resolution.
//!
//! The project's own `specs/` are embedded in the binary; `--spec DIR` loads
//! another directory of the same three files ([`Spec::from_dir`]): another
//! SNAP endpoint is a directory of data. Loading rejects unknown keys, turns
//! every closed set of values into an enum, and cross-checks the files: each
//! code's HTTP status, case and service code against its digits, each
//! fault's header or field against the tables, each role against the body
//! tables, each override's erratum against the errata. Every error names
//! the file and the entry. [`crate::contract::Contract`] compiles a loaded
//! spec into what the harness runs.
//!
//! ```
//! let spec = cdm_conformance::Spec::from_texts(
//!     cdm_conformance::spec::API_TOML,
//!     cdm_conformance::spec::INTERPRETATIONS_TOML,
//!     cdm_conformance::spec::ERRATA_TOML,
//! )?;
//! let ts = spec.request_header("X-TIMESTAMP").unwrap();
//! assert_eq!(ts.spec_ref().to_string(), "request header row 3 (X-TIMESTAMP)");
//! assert_eq!(spec.response_code("4019001").unwrap().http_status, 401);
//! # Ok::<(), cdm_conformance::spec::SpecError>(())
//! ```

mod faults;
mod interpretations;
mod tables;

use std::collections::BTreeSet;
use std::path::Path;

use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::{Digest, Sha256};

pub use faults::{Fault, FaultKind, FaultParseError, FaultTarget};
pub use interpretations::{
    ClientRules, ConcurrentReuseRule, Erratum, Expectation, InfoRule, Interpretations, LengthUnit,
    MessageMismatch, PolicyOverride, RateLimitRule, ReplayRule, Roles, ServerRules,
    SignatureAlgorithm, SimulatorAnswers, UnexpectedAnswer, UnexpectedKind, Variant, WireRules,
};
pub use tables::{
    ClientPolicy, ConditionKind, Endpoint, FieldRow, FieldType, HeaderFormat, HeaderRow, Length,
    Required, ResponseCode, ResponseCodeError, ResponseCodeRow, ResponseConditionRow, RetryClass,
    SpecRef, Table,
};

/// The text of `specs/api.toml`, as embedded at build time.
pub const API_TOML: &str = include_str!("../../specs/api.toml");
/// The text of `specs/interpretations.toml`, as embedded at build time.
pub const INTERPRETATIONS_TOML: &str = include_str!("../../specs/interpretations.toml");
/// The text of `specs/errata.toml`, as embedded at build time.
pub const ERRATA_TOML: &str = include_str!("../../specs/errata.toml");

/// The longest length limit a row may set, in characters (a value is built
/// at that length to probe it).
pub const LENGTH_LIMIT: usize = 1 << 20;

/// The three files of a spec directory, in digest order.
pub const FILES: [&str; 3] = ["api.toml", "interpretations.toml", "errata.toml"];

/// Why a spec could not be loaded or compiled. Every variant names the file
/// and the entry.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SpecError {
    /// A file could not be read.
    #[error("cannot read {path}: {reason}")]
    Read {
        /// The path.
        path: String,
        /// The operating system's reason.
        reason: String,
    },
    /// A file is not valid TOML or does not have the expected shape.
    #[error("{file}: {message}")]
    Parse {
        /// The file name.
        file: &'static str,
        /// What the TOML parser said.
        message: String,
    },
    /// A response code row's columns disagree with its digits.
    #[error(
        "api.toml: response code row {row}: {column} is {actual}, but code {code} says {expected}"
    )]
    CodeColumns {
        /// The row number.
        row: u32,
        /// The code of the row.
        code: String,
        /// The column that disagrees.
        column: &'static str,
        /// What the code's digits say.
        expected: String,
        /// What the column holds.
        actual: String,
    },
    /// Something names a header, field, code or erratum that does not exist.
    #[error("{file}: {place}: unknown {what} {name:?}")]
    Unknown {
        /// The file.
        file: &'static str,
        /// Where the reference stands.
        place: String,
        /// What kind of thing is referred to.
        what: &'static str,
        /// The name that was not found.
        name: String,
    },
    /// Something is listed twice.
    #[error("{file}: {place}: {name:?} is listed twice")]
    Duplicate {
        /// The file.
        file: &'static str,
        /// Where.
        place: &'static str,
        /// What.
        name: String,
    },
    /// An entry cannot be applied as written.
    #[error("{file}: {place}: {reason}")]
    Invalid {
        /// The file.
        file: &'static str,
        /// The entry.
        place: String,
        /// Why it cannot work.
        reason: String,
    },
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ApiFile {
    endpoint: Endpoint,
    request_header: Vec<HeaderRow>,
    request_field: Vec<FieldRow>,
    request_sample: serde_json::Map<String, Value>,
    response_header: Vec<HeaderRow>,
    response_field: Vec<FieldRow>,
    response_sample: serde_json::Map<String, Value>,
    response_code: Vec<ResponseCodeRow>,
    response_condition: Vec<ResponseConditionRow>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ErrataFile {
    erratum: Vec<Erratum>,
}

/// The whole spec: the API's tables, the harness's interpretations, the errata.
#[derive(Debug, Clone, Serialize)]
pub struct Spec {
    /// The specification table.
    pub endpoint: Endpoint,
    /// The request header table.
    pub request_headers: Vec<HeaderRow>,
    /// The request body table. Nested fields are named by their path
    /// (`amount.value`), under a row of type object.
    pub request_fields: Vec<FieldRow>,
    /// The request sample's body: the template of every valid request.
    pub request_sample: serde_json::Map<String, Value>,
    /// The response header table.
    pub response_headers: Vec<HeaderRow>,
    /// The response body table.
    pub response_fields: Vec<FieldRow>,
    /// The response sample's body.
    pub response_sample: serde_json::Map<String, Value>,
    /// The response code table's rows with a code.
    pub response_codes: Vec<ResponseCodeRow>,
    /// The response code table's rows without a code.
    pub response_conditions: Vec<ResponseConditionRow>,
    /// How the harness reads the vague places.
    pub interpretations: Interpretations,
    /// The API text's defects.
    pub errata: Vec<Erratum>,
    /// SHA-256 of the three files, in hex: which rules a report rests on.
    pub digest: String,
}

fn parse<T: for<'de> Deserialize<'de>>(file: &'static str, text: &str) -> Result<T, SpecError> {
    toml::from_str(text).map_err(|e| SpecError::Parse {
        file,
        message: e.to_string().trim_end().replace('\n', " "),
    })
}

fn unique<'a>(
    file: &'static str,
    place: &'static str,
    names: impl IntoIterator<Item = &'a str>,
) -> Result<(), SpecError> {
    let mut seen = BTreeSet::new();
    for name in names {
        if !seen.insert(name) {
            return Err(SpecError::Duplicate {
                file,
                place,
                name: name.to_owned(),
            });
        }
    }
    Ok(())
}

/// The value at a dotted path of a JSON object (`amount.value`).
pub fn value_at<'a>(object: &'a serde_json::Map<String, Value>, path: &str) -> Option<&'a Value> {
    let mut parts = path.split('.');
    let mut value = object.get(parts.next()?)?;
    for part in parts {
        value = value.as_object()?.get(part)?;
    }
    Some(value)
}

impl Spec {
    /// Loads and cross-checks a spec directory: `api.toml`,
    /// `interpretations.toml` and `errata.toml`.
    pub fn from_dir(dir: &Path) -> Result<Spec, SpecError> {
        let read = |name: &str| {
            let path = dir.join(name);
            std::fs::read_to_string(&path).map_err(|e| SpecError::Read {
                path: path.display().to_string(),
                reason: crate::wire::signature::io_reason(&e),
            })
        };
        Spec::from_texts(&read(FILES[0])?, &read(FILES[1])?, &read(FILES[2])?)
    }

    /// Loads and cross-checks a spec from the texts of its three files.
    pub fn from_texts(api: &str, interpretations: &str, errata: &str) -> Result<Spec, SpecError> {
        let mut digest = Sha256::new();
        for text in [api, interpretations, errata] {
            digest.update((text.len() as u64).to_be_bytes());
            digest.update(text.as_bytes());
        }
        let mut api: ApiFile = parse(FILES[0], api)?;
        let interpretations: Interpretations = parse(FILES[1], interpretations)?;
        let errata: ErrataFile = parse(FILES[2], errata)?;

        for h in &mut api.request_header {
            h.table = Some(Table::RequestHeader);
        }
        for h in &mut api.response_header {
            h.table = Some(Table::ResponseHeader);
        }
        for f in &mut api.request_field {
            f.table = Some(Table::RequestBody);
        }
        for f in &mut api.response_field {
            f.table = Some(Table::ResponseBody);
        }
        let spec = Spec {
            endpoint: api.endpoint,
            request_headers: api.request_header,
            request_fields: api.request_field,
            request_sample: api.request_sample,
            response_headers: api.response_header,
            response_fields: api.response_field,
            response_sample: api.response_sample,
            response_codes: api.response_code,
            response_conditions: api.response_condition,
            interpretations,
            errata: errata.erratum,
            digest: digest
                .finalize()
                .iter()
                .map(|b| format!("{b:02x}"))
                .collect(),
        };
        spec.validate()?;
        Ok(spec)
    }

    fn validate(&self) -> Result<(), SpecError> {
        let api = FILES[0];
        unique(
            api,
            "request header table",
            self.request_headers.iter().map(|h| h.name.as_str()),
        )?;
        unique(
            api,
            "request body table",
            self.request_fields.iter().map(|f| f.name.as_str()),
        )?;
        unique(
            api,
            "response body table",
            self.response_fields.iter().map(|f| f.name.as_str()),
        )?;
        unique(
            api,
            "response code table",
            self.response_codes.iter().map(|c| c.code.as_str()),
        )?;
        unique(
            FILES[2],
            "errata",
            self.errata.iter().map(|e| e.id.as_str()),
        )?;

        for row in &self.response_codes {
            let code = row.code;
            let checks = [
                (
                    "http_status",
                    code.http_status().to_string(),
                    row.http_status.to_string(),
                ),
                ("case", code.case().to_owned(), row.case.clone()),
                (
                    "service code",
                    self.endpoint.service_code.clone(),
                    code.service_code().to_owned(),
                ),
            ];
            for (column, expected, actual) in checks {
                if expected != actual {
                    return Err(SpecError::CodeColumns {
                        row: row.row,
                        code: code.to_string(),
                        column,
                        expected,
                        actual,
                    });
                }
            }
        }
        let successes = self
            .response_codes
            .iter()
            .filter(|c| c.retry == RetryClass::None)
            .count();
        if successes != 1 {
            return Err(SpecError::Invalid {
                file: api,
                place: "response code table".into(),
                reason: format!(
                    "exactly one row must be the success (retry = \"none\"), not {successes}"
                ),
            });
        }
        if !crate::rules::response::is_json_media_type(&self.endpoint.content_type) {
            return Err(SpecError::Invalid {
                file: api,
                place: "endpoint.content_type".into(),
                reason: format!(
                    "{:?}: the harness judges JSON bodies only (application/json)",
                    self.endpoint.content_type
                ),
            });
        }
        for (table, headers) in [
            ("request header table", &self.request_headers),
            ("response header table", &self.response_headers),
        ] {
            let mut formats = BTreeSet::new();
            for h in headers.iter() {
                if !formats.insert(h.format.name()) {
                    return Err(SpecError::Invalid {
                        file: api,
                        place: format!("{table} row {} ({})", h.row, h.name),
                        reason: format!(
                            "a second header of format {}: each format names one header",
                            h.format.name()
                        ),
                    });
                }
            }
        }
        self.validate_fields()?;

        let i = &self.interpretations;
        let file = FILES[1];
        for o in &i.client_policy_overrides {
            self.known_code("client_policy_override", o.code)?;
            self.known_erratum("client_policy_override", &o.erratum)?;
        }
        let mut faults = BTreeSet::new();
        for e in &i.expectations {
            for code in &e.codes {
                self.known_code(&format!("expectation {:?}", e.rule), *code)?;
            }
            for fault in &e.faults {
                self.known_target(&format!("expectation {:?}", e.rule), fault)?;
                if !faults.insert(fault.clone()) {
                    return Err(SpecError::Duplicate {
                        file,
                        place: "expectations",
                        name: fault.to_string(),
                    });
                }
            }
        }
        for info in &i.info {
            self.known_target("info", &info.fault)?;
        }
        if !(1..=50).contains(&i.concurrent_reuse.pairs) {
            return Err(SpecError::Invalid {
                file,
                place: "concurrent_reuse.pairs".into(),
                reason: format!("{} pairs: from 1 to 50", i.concurrent_reuse.pairs),
            });
        }
        for code in &i.rate_limit.codes {
            self.known_code("rate_limit", *code)?;
        }
        let s = &i.simulator;
        for (name, code) in [
            ("bad_request", s.bad_request),
            ("invalid_field", s.invalid_field),
            ("missing_field", s.missing_field),
            ("unauthorized", s.unauthorized),
            ("invalid_token", s.invalid_token),
            ("invalid_merchant", s.invalid_merchant),
            ("inconsistent_request", s.inconsistent_request),
            ("too_many_requests", s.too_many_requests),
        ] {
            self.known_code(&format!("simulator.{name}"), code)?;
        }
        self.validate_roles()?;
        for e in &i.expectations {
            if e.codes.is_empty() {
                return Err(SpecError::Invalid {
                    file,
                    place: format!("expectation {:?}", e.rule),
                    reason: "no code passes: codes is empty".into(),
                });
            }
        }
        let c = &i.client;
        if c.max_retries > 10 || c.min_retries_when_required > c.max_retries {
            return Err(SpecError::Invalid {
                file,
                place: "client".into(),
                reason: format!(
                    "min_retries_when_required ({}) must be at most max_retries ({}), itself at most 10",
                    c.min_retries_when_required, c.max_retries
                ),
            });
        }
        if c.timeout_hold_ms <= self.endpoint.expected_timeout_ms {
            return Err(SpecError::Invalid {
                file,
                place: "client.timeout_hold_ms".into(),
                reason: format!(
                    "{} ms must exceed the expected timeout ({} ms), or the timeout scenarios answer in time",
                    c.timeout_hold_ms, self.endpoint.expected_timeout_ms
                ),
            });
        }
        let id_safe = |s: &str| {
            !s.is_empty()
                && s.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
        };
        for u in &i.unexpected_answers {
            if !id_safe(&u.name) {
                return Err(SpecError::Invalid {
                    file,
                    place: format!("unexpected_answer {:?}", u.name),
                    reason: "a name is part of case ids and URLs: letters, digits, _ and - only"
                        .into(),
                });
            }
        }
        for f in self.success_fields() {
            if let Some(v) = f.values.iter().find(|v| !id_safe(v)) {
                return Err(SpecError::Invalid {
                    file: api,
                    place: format!("response body row {} ({})", f.row, f.name),
                    reason: format!(
                        "the value {v:?} names a scenario (success.VALUE): letters, digits, _ and - only"
                    ),
                });
            }
        }
        unique(
            file,
            "unexpected_answer",
            i.unexpected_answers.iter().map(|u| u.name.as_str()),
        )?;
        for u in &i.unexpected_answers {
            let place = format!("unexpected_answer {:?}", u.name);
            match (u.kind, &u.field) {
                (UnexpectedKind::SuccessWithout, Some(f)) => {
                    if self.response_field(f).is_none() {
                        return Err(SpecError::Unknown {
                            file,
                            place,
                            what: "response field",
                            name: f.clone(),
                        });
                    }
                }
                (UnexpectedKind::SuccessWithout, None) => {
                    return Err(SpecError::Invalid {
                        file,
                        place,
                        reason: "kind success_without needs a field".into(),
                    });
                }
                (_, Some(_)) => {
                    return Err(SpecError::Invalid {
                        file,
                        place,
                        reason: "only kind success_without takes a field".into(),
                    });
                }
                (_, None) => {}
            }
        }
        Ok(())
    }

    /// Nested rows stand under an object row; the samples hold every
    /// mandatory field.
    fn validate_fields(&self) -> Result<(), SpecError> {
        let api = FILES[0];
        for row in self.request_fields.iter().chain(&self.response_fields) {
            if row.length.max().is_some_and(|m| m > LENGTH_LIMIT) {
                return Err(SpecError::Invalid {
                    file: api,
                    place: format!("{} row {} ({})", row.spec_ref().table, row.row, row.name),
                    reason: format!("a length limit over {LENGTH_LIMIT} characters"),
                });
            }
        }
        for row in &self.response_fields {
            if row.name.contains('.') {
                return Err(SpecError::Invalid {
                    file: api,
                    place: format!("response body row {} ({})", row.row, row.name),
                    reason: "nested response fields are not supported".into(),
                });
            }
        }
        for row in &self.request_fields {
            if row.required != Required::Mandatory {
                return Err(SpecError::Invalid {
                    file: api,
                    place: format!("request body row {} ({})", row.row, row.name),
                    reason: "a request field must be mandatory (on_success is for answers)".into(),
                });
            }
            if let Some((parent, _)) = row.name.rsplit_once('.') {
                match self.request_field(parent) {
                    Some(p) if p.ty == FieldType::Object => {}
                    _ => {
                        return Err(SpecError::Invalid {
                            file: api,
                            place: format!("request body row {} ({})", row.row, row.name),
                            reason: format!(
                                "a nested field needs a row of type object named {parent:?}"
                            ),
                        });
                    }
                }
            }
            if row.required == Required::Mandatory
                && value_at(&self.request_sample, &row.name).is_none()
            {
                return Err(SpecError::Invalid {
                    file: api,
                    place: "request_sample".into(),
                    reason: format!(
                        "the mandatory field {:?} (request body row {}) is missing",
                        row.name, row.row
                    ),
                });
            }
        }
        let sample = Value::Object(self.request_sample.clone());
        if let Some(v) = crate::rules::body::request_body(self, &sample).first() {
            return Err(SpecError::Invalid {
                file: api,
                place: "request_sample".into(),
                reason: format!("breaks its own table: {v}"),
            });
        }
        for (name, value) in &self.response_sample {
            let Some(row) = self.response_field(name) else {
                return Err(SpecError::Unknown {
                    file: api,
                    place: "response_sample".into(),
                    what: "response field",
                    name: name.clone(),
                });
            };
            if row.ty == FieldType::Enum
                && !value
                    .as_str()
                    .is_some_and(|v| row.values.iter().any(|a| a == v))
            {
                return Err(SpecError::Invalid {
                    file: api,
                    place: "response_sample".into(),
                    reason: format!("{name} is {value}, not one of {:?}", row.values),
                });
            }
        }
        Ok(())
    }

    fn validate_roles(&self) -> Result<(), SpecError> {
        let file = FILES[1];
        let r = &self.interpretations.roles;
        let string_field = |role: &str, name: &str, row: Option<&FieldRow>, what| match row {
            Some(f) if f.ty == FieldType::String => Ok(()),
            Some(f) => Err(SpecError::Invalid {
                file,
                place: format!("roles.{role}"),
                reason: format!("{name:?} must be a string field, not {:?}", f.ty),
            }),
            None => Err(SpecError::Unknown {
                file,
                place: format!("roles.{role}"),
                what,
                name: name.to_owned(),
            }),
        };
        string_field(
            "idempotency_key",
            &r.idempotency_key,
            self.request_field(&r.idempotency_key),
            "request field",
        )?;
        string_field(
            "merchant",
            &r.merchant,
            self.request_field(&r.merchant),
            "request field",
        )?;
        string_field(
            "response_code",
            &r.response_code,
            self.response_field(&r.response_code),
            "response field",
        )?;
        match self.response_field(&r.success_id) {
            Some(f) if f.required == Required::OnSuccess && f.ty == FieldType::String => {}
            _ => {
                return Err(SpecError::Invalid {
                    file,
                    place: "roles.success_id".into(),
                    reason: format!(
                        "{:?} must be a text response field required on success",
                        r.success_id
                    ),
                });
            }
        }
        string_field(
            "response_message",
            &r.response_message,
            self.response_field(&r.response_message),
            "response field",
        )?;
        let variant = &r.reuse_variant.field;
        let fixed = [&r.idempotency_key, &r.merchant];
        if fixed.contains(&variant)
            || !value_at(&self.request_sample, variant).is_some_and(Value::is_string)
        {
            return Err(SpecError::Invalid {
                file,
                place: "roles.reuse_variant".into(),
                reason: format!(
                    "{variant:?} must be a string of the request sample other than the idempotency key and the merchant"
                ),
            });
        }
        if value_at(&self.request_sample, variant).and_then(Value::as_str)
            == Some(r.reuse_variant.value.as_str())
        {
            return Err(SpecError::Invalid {
                file,
                place: "roles.reuse_variant".into(),
                reason: format!("the value must differ from the sample's ({variant})"),
            });
        }
        Ok(())
    }

    fn known_code(&self, place: &str, code: ResponseCode) -> Result<(), SpecError> {
        match self.response_code(code.as_str()) {
            Some(_) => Ok(()),
            None => Err(SpecError::Unknown {
                file: FILES[1],
                place: place.to_owned(),
                what: "response code",
                name: code.to_string(),
            }),
        }
    }

    fn known_erratum(&self, place: &str, id: &str) -> Result<(), SpecError> {
        match self.errata.iter().any(|e| e.id == id) {
            true => Ok(()),
            false => Err(SpecError::Unknown {
                file: FILES[1],
                place: place.to_owned(),
                what: "erratum",
                name: id.to_owned(),
            }),
        }
    }

    fn known_target(&self, place: &str, fault: &Fault) -> Result<(), SpecError> {
        let (what, name, known) = match &fault.target {
            FaultTarget::Header(n) => ("request header", n, self.request_header(n).is_some()),
            FaultTarget::Body(n) => ("request field", n, self.request_field(n).is_some()),
            FaultTarget::Request | FaultTarget::Business => return Ok(()),
        };
        match known {
            true => Ok(()),
            false => Err(SpecError::Unknown {
                file: FILES[1],
                place: place.to_owned(),
                what,
                name: name.clone(),
            }),
        }
    }

    /// A request header row by name (case-insensitive, as HTTP header names are).
    pub fn request_header(&self, name: &str) -> Option<&HeaderRow> {
        self.request_headers
            .iter()
            .find(|h| h.name.eq_ignore_ascii_case(name))
    }

    /// The request header row of a format, if the table has one.
    pub fn request_header_of(&self, format: HeaderFormat) -> Option<&HeaderRow> {
        self.request_headers.iter().find(|h| h.format == format)
    }

    /// A response header row by name (case-insensitive).
    pub fn response_header(&self, name: &str) -> Option<&HeaderRow> {
        self.response_headers
            .iter()
            .find(|h| h.name.eq_ignore_ascii_case(name))
    }

    /// The response header row of a format, if the table has one.
    pub fn response_header_of(&self, format: HeaderFormat) -> Option<&HeaderRow> {
        self.response_headers.iter().find(|h| h.format == format)
    }

    /// A request body row by JSON key (a dotted path for nested fields).
    pub fn request_field(&self, name: &str) -> Option<&FieldRow> {
        self.request_fields.iter().find(|f| f.name == name)
    }

    /// A response body row by JSON key.
    pub fn response_field(&self, name: &str) -> Option<&FieldRow> {
        self.response_fields.iter().find(|f| f.name == name)
    }

    /// The response fields a success carries (the rows required on success).
    pub fn success_fields(&self) -> impl Iterator<Item = &FieldRow> {
        self.response_fields
            .iter()
            .filter(|f| f.required == Required::OnSuccess)
    }

    /// A response code row by code.
    pub fn response_code(&self, code: &str) -> Option<&ResponseCodeRow> {
        self.response_codes.iter().find(|c| c.code.as_str() == code)
    }

    /// A response condition row (timeout, unexpected answer).
    pub fn response_condition(&self, kind: ConditionKind) -> Option<&ResponseConditionRow> {
        self.response_conditions.iter().find(|c| c.kind == kind)
    }

    /// Where a response condition stands, or the table when it has no such row.
    pub fn condition_ref(&self, kind: ConditionKind) -> SpecRef {
        self.response_condition(kind)
            .map(ResponseConditionRow::spec_ref)
            .unwrap_or_else(|| SpecRef::item(Table::ResponseCode, kind.name()))
    }

    /// The success code's row (the row whose retry class is `none`; the
    /// loader refuses a table without one).
    pub fn success_code(&self) -> &ResponseCodeRow {
        self.response_codes
            .iter()
            .find(|c| c.retry == RetryClass::None)
            .unwrap_or(&self.response_codes[0])
    }

    /// What a client may do after `code`, the interpretations' overrides applied.
    pub fn client_policy(&self, code: &ResponseCode) -> Option<ClientPolicy> {
        let row = self.response_code(code.as_str())?;
        let policy = self
            .interpretations
            .client_policy_overrides
            .iter()
            .find(|o| o.code == *code)
            .map_or(row.retry.into(), |o| o.policy);
        Some(policy)
    }

    /// The interpretation row that covers `fault`, if any.
    pub fn expectation(&self, fault: &Fault) -> Option<&Expectation> {
        self.interpretations
            .expectations
            .iter()
            .find(|e| e.faults.contains(fault))
    }

    /// An erratum by id.
    pub fn erratum(&self, id: &str) -> Option<&Erratum> {
        self.errata.iter().find(|e| e.id == id)
    }
}
