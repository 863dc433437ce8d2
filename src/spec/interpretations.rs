//! `specs/interpretations.toml`: how the harness reads the vague places.

use serde::{Deserialize, Serialize};

use super::faults::Fault;
use super::tables::{ClientPolicy, ResponseCode, SpecRef, Table};

/// The wire-format readings: how the signed text is made, what
/// `Authorization` starts with, what a length counts.
///
/// The X-TIMESTAMP form itself (`YYYY-MM-DDTHH:mm:ss+07:00`) is the header
/// format `jakarta_timestamp` of the header tables, defined once in
/// `src/wire/timestamp.rs`.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct WireRules {
    /// Between client key and timestamp in the signed text.
    pub signing_text_separator: String,
    /// The signature algorithm; the only one this harness implements is
    /// `SHA256withRSA`, and any other name is refused when the spec loads.
    pub signature_algorithm: SignatureAlgorithm,
    /// What Authorization starts with.
    pub authorization_prefix: String,
    /// What a length counts.
    pub length_unit: LengthUnit,
}

impl WireRules {
    /// The text that is signed: the client key, the separator, the timestamp
    /// exactly as sent.
    ///
    /// ```
    /// let contract = cdm_conformance::Contract::embedded();
    /// let text = contract.spec.interpretations.wire.signing_text("3a34", "2023-09-25T17:57:35+07:00");
    /// assert_eq!(text, "3a34|2023-09-25T17:57:35+07:00");
    /// ```
    pub fn signing_text(&self, client_key: &str, timestamp: &str) -> String {
        format!("{client_key}{}{timestamp}", self.signing_text_separator)
    }

    /// The `Authorization` value for an access token.
    pub fn authorization(&self, access_token: &str) -> String {
        format!("{}{access_token}", self.authorization_prefix)
    }
}

/// The signature algorithms the harness implements.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
pub enum SignatureAlgorithm {
    /// RSASSA-PKCS1-v1_5 with SHA-256, standard padded base64.
    #[serde(rename = "SHA256withRSA")]
    Sha256WithRsa,
}

/// What the Length column counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum LengthUnit {
    /// Unicode scalar values.
    Characters,
}

/// Which body fields play which part: the harness's reading of the tables,
/// so that no code names a field of one API.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Roles {
    /// The request field that identifies a transaction (fresh per case,
    /// kept on retries, the key of replays and reuse).
    pub idempotency_key: String,
    /// The request field that names the merchant (the business check).
    pub merchant: String,
    /// The response field carrying the response code.
    pub response_code: String,
    /// The response field carrying the response message.
    pub response_message: String,
    /// The success field that identifies what a success created (a second,
    /// different value for an identical replay is a duplicate).
    pub success_id: String,
    /// What "a reused reference with another body" changes: a path in the
    /// request sample (dots for nesting) and the value put there.
    pub reuse_variant: Variant,
}

/// A value put at a path of the request body.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Variant {
    /// The path, dots for nesting: `additionalInfo.regionNo`.
    pub field: String,
    /// The value.
    pub value: String,
}

/// The code the simulator answers for each reason it refuses a request
/// (the API text lists codes, not which one each fault draws).
#[derive(Debug, Clone, Copy, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct SimulatorAnswers {
    /// Wrong method or path, a body that is not a JSON object, a wrong
    /// Content-Type, a body over the cap.
    pub bad_request: ResponseCode,
    /// A value of the wrong format, type or length.
    pub invalid_field: ResponseCode,
    /// A header or field missing, null or empty.
    pub missing_field: ResponseCode,
    /// An unknown partner or a signature that does not verify.
    pub unauthorized: ResponseCode,
    /// No bearer prefix, or an unknown token.
    pub invalid_token: ResponseCode,
    /// An unknown merchant.
    pub invalid_merchant: ResponseCode,
    /// A reused reference with another body.
    pub inconsistent_request: ResponseCode,
    /// Over the rate limit.
    pub too_many_requests: ResponseCode,
}

/// One unexpected answer of the "unexpected response" row, as certification
/// plays it to a client.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct UnexpectedAnswer {
    /// The name in scenario ids: `unexpected.NAME.every_attempt`.
    pub name: String,
    /// What is sent.
    pub kind: UnexpectedKind,
    /// For `success_without`: the response field left out.
    #[serde(default)]
    pub field: Option<String>,
}

/// The kinds of unexpected answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum UnexpectedKind {
    /// HTTP 200, `application/json`, no body.
    EmptyBody,
    /// A success body cut off in the middle.
    TruncatedJson,
    /// A full success with one response field left out (`field`).
    SuccessWithout,
    /// A success body whose code is not in the table (the success code with
    /// case `99`).
    UndefinedCode,
    /// An HTML 502 page, as a gateway sends.
    #[serde(rename = "html_502")]
    Html502,
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
    /// Prefix of every idempotency key the harness makes.
    pub reference_prefix: String,
    /// How far an answer's timestamp may be from the harness's clock, in
    /// seconds, before it fails (a stale or frozen clock).
    pub response_timestamp_drift_seconds: u64,
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
    /// A client's run may end this long after the expected timeout of its
    /// last, unanswered attempt before it is a warning.
    pub give_up_tolerance_ms: u64,
    /// How long after an answer that called for a retry a request
    /// identical but for its idempotency key looks like that retry (proxy).
    pub retry_under_new_key_window_seconds: u64,
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
        SpecRef::item(Table::Interpretation, &self.rule)
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

/// The identical-replay case: judged, since every retry is one.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ReplayRule {
    /// The probe (`business.identical_replay`).
    pub fault: Fault,
    /// What passes, in words.
    pub rule: String,
}

/// The concurrent-reuse case.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ConcurrentReuseRule {
    /// The probe (`business.concurrent_reuse`).
    pub fault: Fault,
    /// How many pairs are sent (two requests each).
    pub pairs: u32,
    /// What passes, in words.
    pub rule: String,
}

/// `specs/interpretations.toml`.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Interpretations {
    /// Wire format.
    pub wire: WireRules,
    /// Which fields play which part.
    pub roles: Roles,
    /// The simulator's code per refusal.
    pub simulator: SimulatorAnswers,
    /// Certification's unexpected answers.
    #[serde(rename = "unexpected_answer")]
    pub unexpected_answers: Vec<UnexpectedAnswer>,
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
    /// The identical replay.
    pub identical_replay: ReplayRule,
    /// Concurrent reuse of one key with two bodies.
    pub concurrent_reuse: ConcurrentReuseRule,
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
