//! Faults: the ways the server suite spoils a valid request, as named in `specs/`.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// What a fault changes in an otherwise valid request.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum FaultTarget {
    /// A request header, by its name in the header table.
    Header(String),
    /// A body field, by its name in the body table.
    Body(String),
    /// The request as a whole (its body bytes, method or path).
    Request,
    /// The business rules (merchant, references, rate).
    Business,
}

/// One way of spoiling a request. The string form names it in `specs/`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
#[allow(missing_docs)] // each name says what it does; the README lists them
pub enum FaultKind {
    Valid,
    Missing,
    WrongValue,
    NoBearerPrefix,
    Unknown,
    UtcZ,
    Fraction,
    NoOffset,
    OtherOffset,
    NotADate,
    NotBase64,
    OtherKey,
    OtherText,
    OtherTimestamp,
    OverLimit,
    AtLimit,
    BodyNotJson,
    BodyEmpty,
    BodyNotObject,
    Null,
    Empty,
    WrongType,
    ReusedReference,
    IdenticalReplay,
    ExtraField,
    Drift,
    OtherMethod,
    OtherPath,
    RateLimitBurst,
    ConcurrentReuse,
    LowercaseHeaderNames,
}

impl FaultKind {
    /// The snake_case name used in `specs/` and case ids.
    pub fn name(self) -> String {
        serde_json::to_value(self)
            .ok()
            .and_then(|v| v.as_str().map(str::to_owned))
            .unwrap_or_default()
    }
}

/// A fault: a target and a kind, written `header.X-TIMESTAMP.utc_z`,
/// `body.merchantId.over_limit`, `request.body_empty` or `business.reused_reference`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Fault {
    /// What is changed.
    pub target: FaultTarget,
    /// How.
    pub kind: FaultKind,
}

/// A fault name that does not parse.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "fault {actual:?} must be header.NAME.KIND, body.FIELD.KIND, request.KIND or business.KIND"
)]
pub struct FaultParseError {
    /// What was given.
    pub actual: String,
}

impl FromStr for Fault {
    type Err = FaultParseError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let err = || FaultParseError {
            actual: s.to_owned(),
        };
        let kind_of = |k: &str| -> Result<FaultKind, FaultParseError> {
            serde_json::from_value(serde_json::Value::String(k.to_owned())).map_err(|_| err())
        };
        let (scope, rest) = s.split_once('.').ok_or_else(err)?;
        let target_and_kind = |make: fn(String) -> FaultTarget| {
            let (name, kind) = rest.rsplit_once('.').ok_or_else(err)?;
            if name.is_empty() {
                return Err(err());
            }
            Ok(Fault {
                target: make(name.to_owned()),
                kind: kind_of(kind)?,
            })
        };
        match scope {
            "header" => target_and_kind(FaultTarget::Header),
            "body" => target_and_kind(FaultTarget::Body),
            "request" => Ok(Fault {
                target: FaultTarget::Request,
                kind: kind_of(rest)?,
            }),
            "business" => Ok(Fault {
                target: FaultTarget::Business,
                kind: kind_of(rest)?,
            }),
            _ => Err(err()),
        }
    }
}

impl fmt::Display for Fault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let kind = self.kind.name();
        match &self.target {
            FaultTarget::Header(n) => write!(f, "header.{n}.{kind}"),
            FaultTarget::Body(n) => write!(f, "body.{n}.{kind}"),
            FaultTarget::Request => write!(f, "request.{kind}"),
            FaultTarget::Business => write!(f, "business.{kind}"),
        }
    }
}

impl<'de> Deserialize<'de> for Fault {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

impl Serialize for Fault {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}
