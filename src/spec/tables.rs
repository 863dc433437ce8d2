//! The API text's tables: cell types, rows, response codes and row references.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

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

impl HeaderFormat {
    /// The name used in `specs/`.
    pub fn name(self) -> &'static str {
        match self {
            HeaderFormat::ContentTypeJson => "content_type_json",
            HeaderFormat::BearerToken => "bearer_token",
            HeaderFormat::JakartaTimestamp => "jakarta_timestamp",
            HeaderFormat::RsaSignature => "rsa_signature",
            HeaderFormat::Identifier => "identifier",
        }
    }
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
    /// A reading of the project's (`specs/interpretations.toml`), where the API text is vague.
    Interpretation,
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
            Table::Interpretation => "interpretation",
        })
    }
}

/// Where a rule comes from: a table, a row as printed, and the item it names.
///
/// Renders as `request header row 3 (X-TIMESTAMP)`, `specification (Expected
/// Timeout)` or `interpretation (X-PARTNER-ID unknown)`.
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
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ResponseCode([u8; 7]);

impl fmt::Debug for ResponseCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ResponseCode({})", self.as_str())
    }
}

/// A string that is not a 7-digit response code.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("response code {actual:?} must be 7 digits")]
pub struct ResponseCodeError {
    /// What was given.
    pub actual: String,
}

impl ResponseCode {
    /// The same HTTP status and service code with another case, `99` for a
    /// code no table defines.
    pub fn with_case(self, case: [u8; 2]) -> ResponseCode {
        let mut digits = self.0;
        if case.iter().all(u8::is_ascii_digit) {
            digits[5..].copy_from_slice(&case);
        }
        ResponseCode(digits)
    }

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

impl ConditionKind {
    /// How a reference names the row.
    pub fn name(self) -> &'static str {
        match self {
            ConditionKind::TotalTimeout => "Total Timeout",
            ConditionKind::UnexpectedResponse => "Unexpected response",
        }
    }
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
        SpecRef::row(Table::ResponseCode, self.row, self.kind.name())
    }
}
