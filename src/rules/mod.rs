//! The rules, each written once and used by every mode that needs it.
//!
//! - [`body`]: a JSON body against a body table (presence, null, type,
//!   emptiness, length, closed sets), as [`Violation`]s;
//! - [`request`]: what a request must be (method and path, every header's
//!   format, the signature over the text as received, the timestamp's
//!   drift, the body): used by the simulator to choose its answer and by
//!   client certification to judge every attempt;
//! - [`response`]: what every answer must be (status against code, code in
//!   the table, message, Content-Type, X-TIMESTAMP, success fields, the
//!   expected timeout), and the code a case expects: used by the server
//!   suite and the reference client.
//!
//! Every conclusion is a [`crate::verdict::Finding`] named by a [`CheckId`].

pub mod body;
pub mod conduct;
pub mod request;
pub mod response;

use serde::Serialize;

pub use body::{Rule, Violation};

/// The id of a check: a stable name in every report.
///
/// ```
/// use cdm_conformance::rules::CheckId;
/// assert_eq!(CheckId::XSignature.as_str(), "x_signature");
/// assert_eq!(serde_json::to_value(CheckId::XSignature).unwrap(), "x_signature");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[non_exhaustive]
pub enum CheckId {
    // --- answers (server suite, reference client, proxy) ---
    /// The code is one the case expects.
    ResponseCodeExpected,
    /// The first request of a two-request case succeeds.
    SetupFirstRequestSucceeds,
    /// An HTTP answer came at all.
    HttpAnswer,
    /// The answer's Content-Type is JSON.
    ContentTypeJson,
    /// The answer's X-TIMESTAMP is well formed.
    XTimestampWellFormed,
    /// The answer's X-TIMESTAMP is close to the harness's clock.
    XTimestampFresh,
    /// The answer came within the expected timeout.
    WithinExpectedTimeout,
    /// The answer's body is a JSON object.
    BodyIsJsonObject,
    /// The code carries the endpoint's service code.
    ResponseCodeService,
    /// The code is in the table.
    ResponseCodeInTable,
    /// The HTTP status is the code's first three digits.
    HttpStatusMatchesCode,
    /// The message begins with the table's.
    MessageMatchesTable,
    /// The body's fields match the response body table.
    ResponseBodyFields,
    /// An identical replay created no second success.
    IdenticalReplay,
    /// Of two requests with one key and two bodies sent at once, at most one succeeded.
    ReuseIsAtomic,
    /// What the API text does not state.
    NotStated,
    /// A burst reached the rate limit.
    RateLimitReached,
    /// The harness itself failed on the case.
    Harness,
    // --- requests (simulator, certification, proxy) ---
    /// The method and path are the endpoint's.
    MethodAndPath,
    /// The request's Content-Type is JSON.
    ContentType,
    /// Authorization carries the access token after the prefix.
    Authorization,
    /// the identifier header is the partner's id.
    XPartnerId,
    /// X-TIMESTAMP is well formed.
    XTimestamp,
    /// X-TIMESTAMP is close to the harness's clock.
    XTimestampDrift,
    /// X-SIGNATURE verifies over the text as received.
    XSignature,
    /// The body is the one asked for, and keeps the tables.
    Body,
    // --- a client's conduct (certification, proxy) ---
    /// A retry keeps the idempotency key.
    SameReferenceOnRetry,
    /// A retry carries its own, later timestamp.
    FreshTimestampOnRetry,
    /// The number of attempts.
    Attempts,
    /// A client gives up on an unanswered attempt at the expected timeout.
    GiveUpInTime,
    /// A new transaction gets a new idempotency key (proxy).
    UniqueReference,
    /// A resend comes only after an answer that allows it (proxy).
    RetryAllowed,
    /// What the client reported.
    ClientOutcome,
}

impl CheckId {
    /// Every check, what it requires and where it comes from: the rule book.
    pub const BOOK: [(CheckId, &'static str, &'static str); 33] = [
        (
            CheckId::ResponseCodeExpected,
            "the answer's code is one of the case's expected codes",
            "the row the case cites; interpretations.toml [[expectation]]",
        ),
        (
            CheckId::SetupFirstRequestSucceeds,
            "the first, valid request of a two-request case succeeds",
            "the success row of the response code table",
        ),
        (
            CheckId::HttpAnswer,
            "an HTTP answer comes at all",
            "response code table: Total Timeout (no answer in time) or Unexpected response",
        ),
        (
            CheckId::ContentTypeJson,
            "the answer's Content-Type is the media type application/json (parameters allowed)",
            "response header table, format content_type_json",
        ),
        (
            CheckId::XTimestampWellFormed,
            "the answer carries its timestamp header, of the form YYYY-MM-DDTHH:mm:ss+07:00",
            "response header table, format jakarta_timestamp",
        ),
        (
            CheckId::XTimestampFresh,
            "the answer's timestamp is within response_timestamp_drift_seconds of the harness's clock",
            "interpretations.toml [server] response_timestamp_drift_seconds",
        ),
        (
            CheckId::WithinExpectedTimeout,
            "the answer comes within the endpoint's expected timeout",
            "specification table: Expected Timeout",
        ),
        (
            CheckId::BodyIsJsonObject,
            "the answer's body is a JSON object",
            "response code table: Unexpected response",
        ),
        (
            CheckId::ResponseCodeService,
            "the code's digits 4-5 are the endpoint's service code",
            "specification table: Service Code",
        ),
        (
            CheckId::ResponseCodeInTable,
            "the code is a row of the response code table",
            "response code table; Unexpected response (undefined code)",
        ),
        (
            CheckId::HttpStatusMatchesCode,
            "the HTTP status is the code's first three digits",
            "response body table: the response code row",
        ),
        (
            CheckId::MessageMatchesTable,
            "the message begins with the table's (a warning otherwise: servers append reasons)",
            "response code table: Response Message; interpretations.toml [server] message_mismatch",
        ),
        (
            CheckId::ResponseBodyFields,
            "every response body row holds: present when required (success fields on success), type, length, closed sets",
            "response body table",
        ),
        (
            CheckId::IdenticalReplay,
            "an identical replay gets the first answer again or a refusal, never a second success id",
            "response code table: Total Timeout (clients retry with the same request); interpretations.toml [identical_replay]",
        ),
        (
            CheckId::ReuseIsAtomic,
            "of two requests sent at once with one key and two bodies, at most one succeeds",
            "response code table: the inconsistent-request row; interpretations.toml [concurrent_reuse]",
        ),
        (
            CheckId::NotStated,
            "nothing: what the API text does not state is reported",
            "interpretations.toml [[info]]",
        ),
        (
            CheckId::RateLimitReached,
            "a burst draws the rate-limit code at least once",
            "interpretations.toml [rate_limit]",
        ),
        (
            CheckId::Harness,
            "the harness ran the case to its end (a failure here is the harness's)",
            "none: the harness itself",
        ),
        (
            CheckId::MethodAndPath,
            "the request uses the endpoint's method and path",
            "specification table: Method, URL",
        ),
        (
            CheckId::ContentType,
            "the request's Content-Type is application/json",
            "request header table, format content_type_json",
        ),
        (
            CheckId::Authorization,
            "Authorization is the prefix and the access token (the scheme in another case warns)",
            "request header table, format bearer_token; interpretations.toml [wire] authorization_prefix",
        ),
        (
            CheckId::XPartnerId,
            "the identifier header is the partner's id",
            "request header table, format identifier",
        ),
        (
            CheckId::XTimestamp,
            "the timestamp header is present and of the form YYYY-MM-DDTHH:mm:ss+07:00",
            "request header table, format jakarta_timestamp",
        ),
        (
            CheckId::XTimestampDrift,
            "the timestamp is within timestamp_drift_seconds of the harness's clock",
            "interpretations.toml [client] timestamp_drift_seconds",
        ),
        (
            CheckId::XSignature,
            "the signature header verifies (SHA256withRSA, --public-key) over the signing text of the client key and the timestamp as received",
            "request header table, format rsa_signature; interpretations.toml [wire]",
        ),
        (
            CheckId::Body,
            "the body is JSON, equal to the one asked for with its types, and keeps the request body table",
            "request body table; the adapter protocol's CDM_REQUEST",
        ),
        (
            CheckId::SameReferenceOnRetry,
            "a retry keeps the idempotency key",
            "interpretations.toml [roles] idempotency_key; response code table: Total Timeout",
        ),
        (
            CheckId::FreshTimestampOnRetry,
            "a retry's timestamp is never earlier, and later when 5 s or more have passed (2-5 s: a warning)",
            "request header table, format jakarta_timestamp; README tolerances",
        ),
        (
            CheckId::Attempts,
            "the number of attempts is within the scenario's range",
            "response code table: partner actions; interpretations.toml [client] max_retries, min_retries_when_required",
        ),
        (
            CheckId::GiveUpInTime,
            "a client whose last attempt got no answer in time ends its run within the expected timeout of that attempt, plus a tolerance to report and exit (a warning)",
            "api.toml [endpoint] expected_timeout_ms; interpretations.toml [client] give_up_tolerance_ms",
        ),
        (
            CheckId::UniqueReference,
            "a client never sends an idempotency key it used before with another body (proxy)",
            "request body table, the idempotency key's row (a unique transaction identifier); interpretations.toml [roles] idempotency_key",
        ),
        (
            CheckId::RetryAllowed,
            "a client resends a request only after an answer whose partner action allows it, no answer in time, or an unexpected answer (proxy)",
            "response code table: partner actions; interpretations.toml [[client_policy_override]]",
        ),
        (
            CheckId::ClientOutcome,
            "the client reports what the scenario requires: the success fields it was sent, or failed (with the code)",
            "the scenario's row of the response code table",
        ),
    ];

    /// The stable name.
    pub fn as_str(self) -> &'static str {
        match self {
            CheckId::ResponseCodeExpected => "response_code_expected",
            CheckId::SetupFirstRequestSucceeds => "setup_first_request_succeeds",
            CheckId::HttpAnswer => "http_answer",
            CheckId::ContentTypeJson => "content_type_json",
            CheckId::XTimestampWellFormed => "x_timestamp_well_formed",
            CheckId::XTimestampFresh => "x_timestamp_fresh",
            CheckId::WithinExpectedTimeout => "within_expected_timeout",
            CheckId::BodyIsJsonObject => "body_is_json_object",
            CheckId::ResponseCodeService => "response_code_service",
            CheckId::ResponseCodeInTable => "response_code_in_table",
            CheckId::HttpStatusMatchesCode => "http_status_matches_code",
            CheckId::MessageMatchesTable => "message_matches_table",
            CheckId::ResponseBodyFields => "response_body_fields",
            CheckId::IdenticalReplay => "identical_replay",
            CheckId::ReuseIsAtomic => "reuse_is_atomic",
            CheckId::NotStated => "not_stated",
            CheckId::RateLimitReached => "rate_limit_reached",
            CheckId::Harness => "harness",
            CheckId::MethodAndPath => "method_and_path",
            CheckId::ContentType => "content_type",
            CheckId::Authorization => "authorization",
            CheckId::XPartnerId => "x_partner_id",
            CheckId::XTimestamp => "x_timestamp",
            CheckId::XTimestampDrift => "x_timestamp_drift",
            CheckId::XSignature => "x_signature",
            CheckId::Body => "body",
            CheckId::SameReferenceOnRetry => "same_reference_on_retry",
            CheckId::FreshTimestampOnRetry => "fresh_timestamp_on_retry",
            CheckId::Attempts => "attempts",
            CheckId::GiveUpInTime => "give_up_in_time",
            CheckId::UniqueReference => "unique_reference",
            CheckId::RetryAllowed => "retry_allowed",
            CheckId::ClientOutcome => "client_outcome",
        }
    }

    /// Whether a pass of this check sums its case up: a passing case's
    /// message is this check's observation, "as expected".
    pub fn is_headline(self) -> bool {
        matches!(
            self,
            CheckId::ResponseCodeExpected
                | CheckId::RateLimitReached
                | CheckId::ClientOutcome
                | CheckId::IdenticalReplay
                | CheckId::ReuseIsAtomic
        )
    }
}

impl Serialize for CheckId {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl std::fmt::Display for CheckId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}
