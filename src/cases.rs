//! The server suite's case catalog, derived from `specs/` when it runs.
//!
//! Each fault listed in `specs/interpretations.toml` becomes a case (one per
//! JSON type for "another JSON type"), plus the `info` probes and, when asked
//! for, the rate-limit burst. Nothing here lists a header, field or code: a
//! row added to `specs/` is a case added to the suite.
//!
//! ```
//! use cdm_conformance::cases::{catalog, CatalogOptions};
//!
//! let cases = catalog(&cdm_conformance::Contract::embedded(), &CatalogOptions::default());
//! let case = cases.iter().find(|c| c.id == "header.x_timestamp.utc_z").unwrap();
//! assert_eq!(case.spec_ref.to_string(), "request header row 3 (X-TIMESTAMP)");
//! assert_eq!(case.expected_codes(), ["4009001", "4009002", "4019000"]);
//! ```

use serde::Serialize;

use crate::contract::{Contract, Mutation};
use crate::runner::CaseMeta;
use crate::spec::{Fault, FaultKind, FaultTarget, FieldType, ResponseCode, Spec, SpecRef, Table};

/// A JSON type used for a "another JSON type" case.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum JsonType {
    /// A string.
    String,
    /// A number.
    Number,
    /// A boolean.
    Boolean,
    /// An array.
    Array,
    /// An object.
    Object,
}

impl JsonType {
    /// The name used in case ids.
    pub fn name(self) -> &'static str {
        match self {
            JsonType::String => "string",
            JsonType::Number => "number",
            JsonType::Boolean => "boolean",
            JsonType::Array => "array",
            JsonType::Object => "object",
        }
    }
}

/// What a case expects.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum Expect {
    /// Any of these codes passes.
    Codes {
        /// The codes.
        codes: Vec<ResponseCode>,
    },
    /// The API text is silent: report what came back as info.
    Info,
    /// At least one answer of a burst must carry one of these codes.
    SomeOf {
        /// The codes.
        codes: Vec<ResponseCode>,
    },
    /// An identical replay gets the first answer again or a refusal, never
    /// a second, different success.
    NoDuplicate,
    /// Of each pair sent at once with one key and two bodies, at most one
    /// succeeds.
    AtMostOneOfEachPair {
        /// How many pairs.
        pairs: u32,
    },
}

/// One case of the server suite.
#[derive(Debug, Clone, Serialize)]
pub struct Case {
    /// A stable, readable id: `header.x_timestamp.utc_z`, `body.merchant_id.wrong_type.number`.
    pub id: String,
    /// The row of the API text the case comes from.
    pub spec_ref: SpecRef,
    /// The contract's words for the rule.
    pub rule: String,
    /// What the request changes.
    pub fault: Fault,
    /// For "another JSON type": which type is sent.
    pub json_type: Option<JsonType>,
    /// What passes.
    pub expect: Expect,
}

impl Case {
    /// The expected codes as text (empty for info cases).
    pub fn expected_codes(&self) -> Vec<&str> {
        match &self.expect {
            Expect::Codes { codes } | Expect::SomeOf { codes } => {
                codes.iter().map(ResponseCode::as_str).collect()
            }
            Expect::Info | Expect::NoDuplicate | Expect::AtMostOneOfEachPair { .. } => vec![],
        }
    }

    /// A short description of the request, for messages: `X-TIMESTAMP utc_z`.
    pub fn describe(&self) -> String {
        let kind = self.fault.kind.name().replace('_', " ");
        let what = match &self.fault.target {
            FaultTarget::Header(n) | FaultTarget::Body(n) => format!("{n} {kind}"),
            FaultTarget::Request | FaultTarget::Business => kind,
        };
        match self.json_type {
            Some(t) => format!("{what} ({})", t.name()),
            None => what,
        }
    }
}

/// Which optional cases to include.
#[derive(Debug, Clone, Default)]
pub struct CatalogOptions {
    /// The rate-limit burst (`--include-rate-limit`).
    pub include_rate_limit: bool,
}

/// `camelCase` or `X-HEADER-NAME` to `snake_case`, for case ids; a nested
/// field keeps its dots (`amount.value`).
pub fn snake(name: &str) -> String {
    name.split('.')
        .map(heck::ToSnakeCase::to_snake_case)
        .collect::<Vec<_>>()
        .join(".")
}

fn case_id(fault: &Fault, json_type: Option<JsonType>) -> String {
    let kind = fault.kind.name();
    let base = match &fault.target {
        FaultTarget::Header(n) => format!("header.{}.{kind}", snake(n)),
        FaultTarget::Body(n) => format!("body.{}.{kind}", snake(n)),
        FaultTarget::Request => format!("request.{kind}"),
        FaultTarget::Business => format!("business.{kind}"),
    };
    match json_type {
        Some(t) => format!("{base}.{}", t.name()),
        None => base,
    }
}

fn spec_ref_of(spec: &Spec, fault: &Fault, codes: &[ResponseCode]) -> SpecRef {
    match &fault.target {
        FaultTarget::Header(n) => spec
            .request_header(n)
            .map(|h| h.spec_ref())
            .unwrap_or_else(|| SpecRef::item(Table::RequestHeader, n)),
        FaultTarget::Body(n) => spec
            .request_field(n)
            .map(|f| f.spec_ref())
            .unwrap_or_else(|| SpecRef::item(Table::RequestBody, n)),
        FaultTarget::Request => match fault.kind {
            FaultKind::Valid | FaultKind::OtherMethod | FaultKind::OtherPath => {
                SpecRef::item(Table::Specification, "Method, URL")
            }
            FaultKind::LowercaseHeaderNames => SpecRef::item(Table::RequestHeader, "names"),
            _ => SpecRef::item(Table::RequestBody, "body"),
        },
        FaultTarget::Business => codes
            .first()
            .and_then(|c| spec.response_code(c.as_str()))
            .map(|r| r.spec_ref())
            .unwrap_or_else(|| SpecRef::item(Table::Interpretation, fault.kind.name())),
    }
}

/// The JSON types sent for "another JSON type" of a field.
fn other_types(spec: &Spec, field: &str) -> Vec<JsonType> {
    match spec.request_field(field).map(|f| f.ty) {
        Some(FieldType::Object) => vec![JsonType::String, JsonType::Number, JsonType::Array],
        _ => vec![
            JsonType::Number,
            JsonType::Boolean,
            JsonType::Array,
            JsonType::Object,
        ],
    }
}

/// Every case of the server suite, in the order of `specs/`.
pub fn catalog(contract: &Contract, options: &CatalogOptions) -> Vec<Case> {
    let spec = &contract.spec;
    let mut cases = Vec::new();
    let i = &spec.interpretations;
    for e in &i.expectations {
        for fault in &e.faults {
            let types = match (&fault.target, contract.mutation(fault)) {
                (
                    FaultTarget::Body(n),
                    Some(Mutation::Field {
                        change: crate::contract::FieldChange::WrongType,
                        ..
                    }),
                ) => other_types(spec, n).into_iter().map(Some).collect(),
                _ => vec![None],
            };
            for json_type in types {
                cases.push(Case {
                    id: case_id(fault, json_type),
                    spec_ref: spec_ref_of(spec, fault, &e.codes),
                    rule: e.rule.clone(),
                    fault: fault.clone(),
                    json_type,
                    expect: Expect::Codes {
                        codes: e.codes.clone(),
                    },
                });
            }
        }
    }
    let replay = &i.identical_replay;
    cases.push(Case {
        id: case_id(&replay.fault, None),
        spec_ref: spec.condition_ref(crate::spec::ConditionKind::TotalTimeout),
        rule: replay.rule.clone(),
        fault: replay.fault.clone(),
        json_type: None,
        expect: Expect::NoDuplicate,
    });
    let reuse = &i.concurrent_reuse;
    cases.push(Case {
        id: case_id(&reuse.fault, None),
        spec_ref: spec
            .response_code(i.simulator.inconsistent_request.as_str())
            .map(|r| r.spec_ref())
            .unwrap_or_else(|| SpecRef::item(Table::Interpretation, reuse.fault.kind.name())),
        rule: reuse.rule.clone(),
        fault: reuse.fault.clone(),
        json_type: None,
        expect: Expect::AtMostOneOfEachPair { pairs: reuse.pairs },
    });
    for info in &i.info {
        cases.push(Case {
            id: case_id(&info.fault, None),
            spec_ref: spec_ref_of(spec, &info.fault, &[]),
            rule: format!("not stated by the API text: {}", info.note),
            fault: info.fault.clone(),
            json_type: None,
            expect: Expect::Info,
        });
    }
    if options.include_rate_limit {
        let r = &i.rate_limit;
        cases.push(Case {
            id: case_id(&r.fault, None),
            spec_ref: spec_ref_of(spec, &r.fault, &r.codes),
            rule: format!(
                "a burst draws {} (only with {})",
                r.codes
                    .iter()
                    .map(|c| c.as_str())
                    .collect::<Vec<_>>()
                    .join(", "),
                r.opt_in_flag
            ),
            fault: r.fault.clone(),
            json_type: None,
            expect: Expect::SomeOf {
                codes: r.codes.clone(),
            },
        });
    }
    cases
}

impl CaseMeta for Case {
    fn id(&self) -> &str {
        &self.id
    }

    fn spec_ref(&self) -> &SpecRef {
        &self.spec_ref
    }

    fn rule(&self) -> &str {
        &self.rule
    }

    /// The rate-limit burst runs alone, after every other case: a limit it
    /// reaches must not spill into their answers.
    fn alone(&self) -> bool {
        matches!(self.expect, Expect::SomeOf { .. })
    }
}
