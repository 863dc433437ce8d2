//! The API text's tables as typed data, loaded from `specs/`.
//!
//! Three files make the spec, embedded in the binary at build time:
//!
//! - `specs/api.toml`: every table of the API text, row by row, row numbers as
//!   printed;
//! - `specs/interpretations.toml`: how the harness reads the vague places
//!   (CONTRACT.md section 5), the negative-case code sets among them;
//! - `specs/errata.toml`: where the API text is broken, and the resolution.
//!
//! Loading rejects unknown keys, turns every string with a closed set of values
//! into an enum, and cross-checks the files: each code's HTTP status and case
//! against its digits, each fault's header or field against the tables, each
//! override's erratum against the errata.
//!
//! ```
//! let spec = cdm_conformance::Spec::embedded();
//! let ts = spec.request_header("X-TIMESTAMP").unwrap();
//! assert_eq!(ts.spec_ref().to_string(), "request header row 3 (X-TIMESTAMP)");
//! assert_eq!(spec.response_code("4019001").unwrap().http_status, 401);
//! ```

use std::collections::BTreeSet;
use std::fmt;
use std::str::FromStr;
use std::sync::OnceLock;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use sha2::{Digest, Sha256};

/// The text of `specs/api.toml`, as embedded at build time.
pub const API_TOML: &str = include_str!("../specs/api.toml");
/// The text of `specs/interpretations.toml`, as embedded at build time.
pub const INTERPRETATIONS_TOML: &str = include_str!("../specs/interpretations.toml");
/// The text of `specs/errata.toml`, as embedded at build time.
pub const ERRATA_TOML: &str = include_str!("../specs/errata.toml");

/// Why the spec files could not be loaded.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SpecError {
    /// A file is not valid TOML or does not have the expected shape.
    #[error("{file}: {message}")]
    Parse {
        /// The file name.
        file: &'static str,
        /// What the TOML parser said.
        message: String,
    },
    /// A response code row's columns disagree with its digits.
    #[error("response code row {row}: {column} is {actual}, but code {code} says {expected}")]
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
    #[error("{place}: unknown {what} {name:?}")]
    Unknown {
        /// Where the reference stands.
        place: String,
        /// What kind of thing is referred to.
        what: &'static str,
        /// The name that was not found.
        name: String,
    },
    /// Something is listed twice.
    #[error("{place}: {name:?} is listed twice")]
    Duplicate {
        /// Where.
        place: &'static str,
        /// What.
        name: String,
    },
}

// ---------------------------------------------------------------------------
// Shared cell types
// ---------------------------------------------------------------------------

/// The Type column of a header or field row.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FieldType {
    /// A JSON string (or a header value).
    String,
    /// A JSON object.
    Object,
    /// A string with a closed set of values.
    Enum,
}

/// The Length column: `Variable, N max`, `Variable`, or `Fixed, N`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum Length {
    /// Any length up to `max` characters (no limit when `None`).
    Variable {
        /// The maximum, in characters.
        max: Option<usize>,
    },
    /// Exactly `len` characters.
    Fixed {
        /// The length, in characters.
        len: usize,
    },
}

impl Length {
    /// The largest allowed length in characters, if any.
    pub fn max(self) -> Option<usize> {
        match self {
            Length::Variable { max } => max,
            Length::Fixed { len } => Some(len),
        }
    }

    /// Whether a value of `chars` characters fits.
    pub fn admits(self, chars: usize) -> bool {
        match self {
            Length::Variable { max } => max.is_none_or(|m| chars <= m),
            Length::Fixed { len } => chars == len,
        }
    }
}

impl fmt::Display for Length {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Length::Variable { max: Some(m) } => write!(f, "at most {m} characters"),
            Length::Variable { max: None } => f.write_str("any length"),
            Length::Fixed { len } => write!(f, "exactly {len} characters"),
        }
    }
}

/// The Required column.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Required {
    /// Always present.
    Mandatory,
    /// Present when the request was processed successfully (`Y:= Successfully processed`).
    OnSuccess,
}

/// The value format the harness enforces for a header.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum HeaderFormat {
    /// The media type `application/json`, parameters allowed.
    ContentTypeJson,
    /// `Bearer ` followed by the access token.
    BearerToken,
    /// `YYYY-MM-DDTHH:mm:ss+07:00`.
    JakartaTimestamp,
    /// Padded base64 of an RSASSA-PKCS1-v1_5 SHA-256 signature.
    RsaSignature,
    /// An opaque identifier issued by PayCools.
    Identifier,
}

/// Which table of the API text a row comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Table {
    /// The specification table (method, path, timeout...).
    Specification,
    /// The request header table.
    RequestHeader,
    /// The request body table.
    RequestBody,
    /// The response header table.
    ResponseHeader,
    /// The response body table.
    ResponseBody,
    /// The response code and message table.
    ResponseCode,
    /// A rule of CONTRACT.md section 5, where the API text is vague.
    Contract,
}

impl fmt::Display for Table {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Table::Specification => "specification",
            Table::RequestHeader => "request header",
            Table::RequestBody => "request body",
            Table::ResponseHeader => "response header",
            Table::ResponseBody => "response body",
            Table::ResponseCode => "response code",
            Table::Contract => "contract §5",
        })
    }
}

/// Where a rule comes from: a table, a row as printed, and the item it names.
///
/// Renders as `request header row 3 (X-TIMESTAMP)`, `specification (Expected
/// Timeout)` or `contract §5 (X-PARTNER-ID unknown)`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SpecRef {
    /// The table.
    pub table: Table,
    /// The row number as printed, where the table numbers its rows.
    pub row: Option<u32>,
    /// The header, field, code or rule the row is about.
    pub item: String,
}

impl SpecRef {
    /// A reference to a numbered row.
    pub fn row(table: Table, row: u32, item: impl Into<String>) -> Self {
        SpecRef {
            table,
            row: Some(row),
            item: item.into(),
        }
    }

    /// A reference to an unnumbered item of a table.
    pub fn item(table: Table, item: impl Into<String>) -> Self {
        SpecRef {
            table,
            row: None,
            item: item.into(),
        }
    }
}

impl fmt::Display for SpecRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.row {
            Some(row) => write!(f, "{} row {row} ({})", self.table, self.item),
            None => write!(f, "{} ({})", self.table, self.item),
        }
    }
}

impl Serialize for SpecRef {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

// ---------------------------------------------------------------------------
// Response codes
// ---------------------------------------------------------------------------

/// A SNAP response code: HTTP status (3 digits) + service code (2) + case (2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ResponseCode([u8; 7]);

/// A string that is not a 7-digit response code.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("response code {actual:?} must be 7 digits")]
pub struct ResponseCodeError {
    /// What was given.
    pub actual: String,
}

impl ResponseCode {
    /// The code as text.
    pub fn as_str(&self) -> &str {
        // Only ASCII digits are ever stored.
        std::str::from_utf8(&self.0).unwrap_or_default()
    }

    /// The HTTP status the code's first three digits name.
    pub fn http_status(&self) -> u16 {
        self.as_str()[..3].parse().unwrap_or_default()
    }

    /// The service code, digits four and five.
    pub fn service_code(&self) -> &str {
        &self.as_str()[3..5]
    }

    /// The case, the last two digits.
    pub fn case(&self) -> &str {
        &self.as_str()[5..]
    }
}

impl FromStr for ResponseCode {
    type Err = ResponseCodeError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bytes: [u8; 7] = s
            .as_bytes()
            .try_into()
            .ok()
            .filter(|b: &[u8; 7]| b.iter().all(u8::is_ascii_digit))
            .ok_or_else(|| ResponseCodeError {
                actual: s.to_owned(),
            })?;
        Ok(ResponseCode(bytes))
    }
}

impl fmt::Display for ResponseCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for ResponseCode {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for ResponseCode {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

/// The retry class of a row, derived from its partner action.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RetryClass {
    /// Success: nothing to retry.
    None,
    /// "Retry request with proper parameter": correct the request, never resend it as it was.
    FixAndResend,
    /// "Retry request periodically": the same request may be sent again.
    Periodic,
    /// "Do a retry maximum 3 attempts": the client must retry, within a limit.
    Limited,
}

/// What a client may do after an answer, once the contract's overrides apply.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ClientPolicy {
    /// Success: report it, nothing to resend.
    Done,
    /// Report failed; never resend the same request.
    NoResend,
    /// Report failed; the same request may be resent, at most `max_retries` times.
    MayRetry,
    /// Retry at least `min_retries_when_required` and at most `max_retries` times.
    MustRetry,
}

impl From<RetryClass> for ClientPolicy {
    fn from(class: RetryClass) -> Self {
        match class {
            RetryClass::None => ClientPolicy::Done,
            RetryClass::FixAndResend => ClientPolicy::NoResend,
            RetryClass::Periodic => ClientPolicy::MayRetry,
            RetryClass::Limited => ClientPolicy::MustRetry,
        }
    }
}

// ---------------------------------------------------------------------------
// Rows
// ---------------------------------------------------------------------------

/// The specification table.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Endpoint {
    /// The document's title.
    pub title: String,
    /// API Name, as printed.
    pub api_name: String,
    /// Function, as printed.
    pub function: String,
    /// Service Code: the two digits in the middle of every response code.
    pub service_code: String,
    /// Method.
    pub method: String,
    /// URL path.
    pub path: String,
    /// Accept.
    pub accept: String,
    /// Content Type.
    pub content_type: String,
    /// Related Service (empty in the text).
    pub related_service: String,
    /// Expected Timeout, in milliseconds.
    pub expected_timeout_ms: u64,
}

/// A row of a header table.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct HeaderRow {
    /// The row number as printed.
    pub row: u32,
    /// The header name, as printed.
    pub name: String,
    /// Type.
    #[serde(rename = "type")]
    pub ty: FieldType,
    /// Length.
    pub length: Length,
    /// Required.
    pub required: Required,
    /// Condition, as printed.
    pub condition: String,
    /// Remarks, as printed.
    pub remarks: String,
    /// The format the harness enforces (from the remarks and the contract).
    pub format: HeaderFormat,
    /// Which table, filled in by the loader.
    #[serde(skip)]
    pub table: Option<Table>,
}

impl HeaderRow {
    /// Where this row stands in the API text.
    pub fn spec_ref(&self) -> SpecRef {
        SpecRef::row(
            self.table.unwrap_or(Table::RequestHeader),
            self.row,
            &self.name,
        )
    }
}

/// A row of a body table.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct FieldRow {
    /// The row number as printed.
    pub row: u32,
    /// The JSON key.
    pub name: String,
    /// Type.
    #[serde(rename = "type")]
    pub ty: FieldType,
    /// The type's name as printed, where it is not a plain String.
    #[serde(default)]
    pub type_name: Option<String>,
    /// The allowed values of an enum field.
    #[serde(default)]
    pub values: Vec<String>,
    /// Length.
    pub length: Length,
    /// Required.
    pub required: Required,
    /// Condition, as printed.
    pub condition: String,
    /// Remarks, as printed.
    pub remarks: String,
    /// Which table, filled in by the loader.
    #[serde(skip)]
    pub table: Option<Table>,
}

impl FieldRow {
    /// Where this row stands in the API text.
    pub fn spec_ref(&self) -> SpecRef {
        SpecRef::row(
            self.table.unwrap_or(Table::RequestBody),
            self.row,
            &self.name,
        )
    }
}

/// One key of `additionalInfo` as the request sample shows it.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct SampleField {
    /// The key.
    pub name: String,
    /// The sample's value.
    pub value: String,
}

/// A row of the response code table.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ResponseCodeRow {
    /// The row number as printed.
    pub row: u32,
    /// The code.
    pub code: ResponseCode,
    /// The HTTP status, equal to the code's first three digits.
    pub http_status: u16,
    /// The case, equal to the code's last two digits.
    pub case: String,
    /// Response Message, as printed (may end in a `[reason]` placeholder).
    pub message: String,
    /// Remarks.
    pub remarks: String,
    /// Partner Action.
    pub partner_action: String,
    /// Related Service.
    pub related_service: String,
    /// The retry class derived from the partner action.
    pub retry: RetryClass,
}

impl ResponseCodeRow {
    /// Where this row stands in the API text.
    pub fn spec_ref(&self) -> SpecRef {
        SpecRef::row(Table::ResponseCode, self.row, self.code.as_str())
    }

    /// The message up to any `[reason]` placeholder, trimmed: what a
    /// `responseMessage` is expected to begin with.
    pub fn message_prefix(&self) -> &str {
        self.message
            .split_once('[')
            .map_or(self.message.as_str(), |(head, _)| head)
            .trim_end()
    }

    /// Whether the table's message carries a `[reason]` placeholder.
    pub fn has_reason_placeholder(&self) -> bool {
        self.message.contains("[reason]")
    }
}

/// The situations without a code: the last two rows of the code table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ConditionKind {
    /// No answer within the expected timeout.
    TotalTimeout,
    /// An answer that is not one the API defines.
    UnexpectedResponse,
}

/// A row of the code table without a code.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ResponseConditionRow {
    /// The row number as printed.
    pub row: u32,
    /// Which situation.
    pub kind: ConditionKind,
    /// The text in the code column.
    pub name: String,
    /// Remarks.
    pub remarks: String,
    /// Partner Action.
    pub partner_action: String,
    /// Related Service.
    pub related_service: String,
    /// The retry class derived from the partner action.
    pub retry: RetryClass,
}

impl ResponseConditionRow {
    /// Where this row stands in the API text.
    pub fn spec_ref(&self) -> SpecRef {
        let item = match self.kind {
            ConditionKind::TotalTimeout => "Total Timeout",
            ConditionKind::UnexpectedResponse => "Unexpected response",
        };
        SpecRef::row(Table::ResponseCode, self.row, item)
    }
}

// ---------------------------------------------------------------------------
// Faults and interpretations
// ---------------------------------------------------------------------------

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

/// The wire-format readings (contract §5, "Wire format").
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct WireRules {
    /// The only offset X-TIMESTAMP may carry.
    pub timestamp_offset: String,
    /// X-TIMESTAMP's exact length.
    pub timestamp_len: usize,
    /// Between client key and timestamp in the signed text.
    pub signing_text_separator: String,
    /// The signature algorithm's name.
    pub signature_algorithm: String,
    /// What Authorization starts with.
    pub authorization_prefix: String,
    /// What a length counts.
    pub length_unit: LengthUnit,
}

/// What the Length column counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum LengthUnit {
    /// Unicode scalar values.
    Characters,
}

/// Server-suite settings.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ServerRules {
    /// The harness's HTTP timeout, above the expected timeout.
    pub http_timeout_ms: u64,
    /// The verdict for a message that does not begin with the table's.
    pub message_mismatch: MessageMismatch,
    /// Default requests in flight against a real endpoint.
    pub default_concurrency: usize,
    /// Default requests per second against a real endpoint.
    pub default_rate_per_second: u32,
    /// Prefix of every partnerReferenceNo the harness makes.
    pub reference_prefix: String,
}

/// The verdict for a `responseMessage` that differs from the table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum MessageMismatch {
    /// A warning.
    Warn,
}

/// Client-certification limits.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ClientRules {
    /// Allowed X-TIMESTAMP drift from the harness's clock, either way.
    pub timestamp_drift_seconds: u64,
    /// Retries allowed after an answer that allows them.
    pub max_retries: u32,
    /// Retries required after a timeout or unexpected answer.
    pub min_retries_when_required: u32,
    /// The deadline of one adapter run.
    pub adapter_deadline_ms: u64,
    /// How long the simulator holds an attempt it will not answer in time.
    pub timeout_hold_ms: u64,
}

/// A code whose client policy the contract sets apart from its action text.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct PolicyOverride {
    /// The code.
    pub code: ResponseCode,
    /// The policy that applies.
    pub policy: ClientPolicy,
    /// The erratum that explains it.
    pub erratum: String,
}

/// A row of the contract's server-suite table.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Expectation {
    /// The contract's words for the row.
    pub rule: String,
    /// The faults the row covers.
    pub faults: Vec<Fault>,
    /// Any of these codes passes.
    pub codes: Vec<ResponseCode>,
}

impl Expectation {
    /// Where this rule comes from.
    pub fn spec_ref(&self) -> SpecRef {
        SpecRef::item(Table::Contract, &self.rule)
    }
}

/// Something the API text does not state: reported as info.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct InfoRule {
    /// The probe.
    pub fault: Fault,
    /// What is not stated.
    pub note: String,
}

/// The opt-in rate-limit burst.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RateLimitRule {
    /// The probe.
    pub fault: Fault,
    /// Codes that pass.
    pub codes: Vec<ResponseCode>,
    /// The flag that turns it on.
    pub opt_in_flag: String,
}

/// `specs/interpretations.toml`.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Interpretations {
    /// Wire format.
    pub wire: WireRules,
    /// Server suite.
    pub server: ServerRules,
    /// Client certification.
    pub client: ClientRules,
    /// Client policies that differ from the action text.
    #[serde(rename = "client_policy_override")]
    pub client_policy_overrides: Vec<PolicyOverride>,
    /// The server suite's expected codes.
    #[serde(rename = "expectation")]
    pub expectations: Vec<Expectation>,
    /// What is reported as info.
    pub info: Vec<InfoRule>,
    /// The opt-in burst.
    pub rate_limit: RateLimitRule,
}

/// A defect of the API text and how the harness resolves it.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Erratum {
    /// A stable id.
    pub id: String,
    /// Where in the API text.
    #[serde(rename = "where")]
    pub place: String,
    /// What is wrong.
    pub defect: String,
    /// What the harness does about it.
    pub resolution: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ApiFile {
    endpoint: Endpoint,
    request_header: Vec<HeaderRow>,
    request_field: Vec<FieldRow>,
    additional_info_sample: Vec<SampleField>,
    response_header: Vec<HeaderRow>,
    response_field: Vec<FieldRow>,
    response_code: Vec<ResponseCodeRow>,
    response_condition: Vec<ResponseConditionRow>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ErrataFile {
    erratum: Vec<Erratum>,
}

// ---------------------------------------------------------------------------
// The spec
// ---------------------------------------------------------------------------

/// The whole spec: the API's tables, the harness's interpretations, the errata.
#[derive(Debug, Clone, Serialize)]
pub struct Spec {
    /// The specification table.
    pub endpoint: Endpoint,
    /// The request header table.
    pub request_headers: Vec<HeaderRow>,
    /// The request body table.
    pub request_fields: Vec<FieldRow>,
    /// The `additionalInfo` keys of the request sample.
    pub additional_info_sample: Vec<SampleField>,
    /// The response header table.
    pub response_headers: Vec<HeaderRow>,
    /// The response body table.
    pub response_fields: Vec<FieldRow>,
    /// The response code table's rows with a code.
    pub response_codes: Vec<ResponseCodeRow>,
    /// The response code table's rows without a code.
    pub response_conditions: Vec<ResponseConditionRow>,
    /// How the harness reads the vague places.
    pub interpretations: Interpretations,
    /// The API text's defects.
    pub errata: Vec<Erratum>,
}

fn parse<T: for<'de> Deserialize<'de>>(file: &'static str, text: &str) -> Result<T, SpecError> {
    toml::from_str(text).map_err(|e| SpecError::Parse {
        file,
        message: e.to_string().trim_end().replace('\n', " "),
    })
}

fn unique<'a>(
    place: &'static str,
    names: impl IntoIterator<Item = &'a str>,
) -> Result<(), SpecError> {
    let mut seen = BTreeSet::new();
    for name in names {
        if !seen.insert(name) {
            return Err(SpecError::Duplicate {
                place,
                name: name.to_owned(),
            });
        }
    }
    Ok(())
}

impl Spec {
    /// The spec embedded in this build, loaded once.
    ///
    /// The embedded files are checked by the test suite, so this never fails
    /// in a released build; a broken edit of `specs/` fails every test at once.
    pub fn embedded() -> &'static Spec {
        static SPEC: OnceLock<Spec> = OnceLock::new();
        SPEC.get_or_init(|| {
            Spec::from_texts(API_TOML, INTERPRETATIONS_TOML, ERRATA_TOML)
                .unwrap_or_else(|e| panic!("the embedded specs/ are invalid: {e}"))
        })
    }

    /// Loads and cross-checks a spec from the texts of its three files.
    pub fn from_texts(api: &str, interpretations: &str, errata: &str) -> Result<Spec, SpecError> {
        let mut api: ApiFile = parse("api.toml", api)?;
        let interpretations: Interpretations = parse("interpretations.toml", interpretations)?;
        let errata: ErrataFile = parse("errata.toml", errata)?;

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
            additional_info_sample: api.additional_info_sample,
            response_headers: api.response_header,
            response_fields: api.response_field,
            response_codes: api.response_code,
            response_conditions: api.response_condition,
            interpretations,
            errata: errata.erratum,
        };
        spec.validate()?;
        Ok(spec)
    }

    fn validate(&self) -> Result<(), SpecError> {
        unique(
            "request header table",
            self.request_headers.iter().map(|h| h.name.as_str()),
        )?;
        unique(
            "request body table",
            self.request_fields.iter().map(|f| f.name.as_str()),
        )?;
        unique(
            "response body table",
            self.response_fields.iter().map(|f| f.name.as_str()),
        )?;
        unique(
            "response code table",
            self.response_codes.iter().map(|c| c.code.as_str()),
        )?;
        unique("errata", self.errata.iter().map(|e| e.id.as_str()))?;

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

        let i = &self.interpretations;
        for o in &i.client_policy_overrides {
            self.known_code("client_policy_override", o.code)?;
            self.known_erratum("client_policy_override", &o.erratum)?;
        }
        let mut faults = BTreeSet::new();
        for e in &i.expectations {
            for code in &e.codes {
                self.known_code(&e.rule, *code)?;
            }
            for fault in &e.faults {
                self.known_target(&e.rule, fault)?;
                if !faults.insert(fault.clone()) {
                    return Err(SpecError::Duplicate {
                        place: "expectations",
                        name: fault.to_string(),
                    });
                }
            }
        }
        for info in &i.info {
            self.known_target("info", &info.fault)?;
        }
        for code in &i.rate_limit.codes {
            self.known_code("rate_limit", *code)?;
        }
        Ok(())
    }

    fn known_code(&self, place: &str, code: ResponseCode) -> Result<(), SpecError> {
        match self.response_code(code.as_str()) {
            Some(_) => Ok(()),
            None => Err(SpecError::Unknown {
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

    /// A response header row by name (case-insensitive).
    pub fn response_header(&self, name: &str) -> Option<&HeaderRow> {
        self.response_headers
            .iter()
            .find(|h| h.name.eq_ignore_ascii_case(name))
    }

    /// A request body row by JSON key.
    pub fn request_field(&self, name: &str) -> Option<&FieldRow> {
        self.request_fields.iter().find(|f| f.name == name)
    }

    /// A response body row by JSON key.
    pub fn response_field(&self, name: &str) -> Option<&FieldRow> {
        self.response_fields.iter().find(|f| f.name == name)
    }

    /// A response code row by code.
    pub fn response_code(&self, code: &str) -> Option<&ResponseCodeRow> {
        self.response_codes.iter().find(|c| c.code.as_str() == code)
    }

    /// A response condition row (timeout, unexpected answer).
    pub fn response_condition(&self, kind: ConditionKind) -> Option<&ResponseConditionRow> {
        self.response_conditions.iter().find(|c| c.kind == kind)
    }

    /// The success code, `2009000`.
    pub fn success_code(&self) -> &ResponseCodeRow {
        self.response_codes
            .iter()
            .find(|c| c.retry == RetryClass::None)
            .unwrap_or(&self.response_codes[0])
    }

    /// What a client may do after `code`, the contract's overrides applied.
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

    /// The contract row that covers `fault`, if any.
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

    /// The SHA-256 of the three spec files as embedded, in hex: which spec a
    /// report was made against.
    pub fn digest() -> String {
        let mut h = Sha256::new();
        for text in [API_TOML, INTERPRETATIONS_TOML, ERRATA_TOML] {
            h.update((text.len() as u64).to_be_bytes());
            h.update(text.as_bytes());
        }
        h.finalize().iter().map(|b| format!("{b:02x}")).collect()
    }
}
