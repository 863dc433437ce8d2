//! Deliberate deviations from the API, for proving the harness catches them.
//!
//! A [`Quirk`] makes the simulator break exactly one rule of the API as the
//! project reads it (`specs/`). The project's tests run the server suite against each and
//! assert a failing case names the fault; `simulate --quirk NAME` lets a user
//! see the same from the command line.

use serde::Serialize;

/// One way of breaking the contract.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, clap::ValueEnum)]
#[serde(rename_all = "kebab-case")]
pub enum Quirk {
    /// A missing body field is answered 4009001 instead of 4009002.
    WrongCodeForMissingField,
    /// X-TIMESTAMP is only checked for presence, not format.
    LaxTimestamp,
    /// X-SIGNATURE is only checked for presence, never verified.
    LaxSignature,
    /// partnerReferenceNo of exactly 50 characters is refused (limit off by one, downwards).
    RejectsReferenceAtLimit,
    /// partnerReferenceNo of 51 characters is accepted (limit off by one).
    ReferenceLimitOffByOne,
    /// A merchant id one character over its limit is treated as any other unknown merchant.
    MerchantLimitOffByOne,
    /// An unknown merchantId is served as if it were known.
    AcceptsUnknownMerchant,
    /// An unknown access token is accepted.
    AcceptsUnknownToken,
    /// Responses carry no X-TIMESTAMP header.
    NoResponseTimestamp,
    /// Responses carry X-TIMESTAMP in UTC (`Z`) instead of +07:00.
    UtcResponseTimestamp,
    /// Responses are labelled `text/plain`.
    WrongContentType,
    /// Error answers go out with HTTP 200, whatever the code.
    StatusMismatch,
    /// A success lacks its second success field (cdmQrcode in the built-in spec).
    SuccessMissingField,
    /// A success carries its closed-set values in lower case (status `active`).
    LowercaseEnum,
    /// A reused partnerReferenceNo with another body is served again (no 4049018).
    NoIdempotency,
    /// Body errors are answered with 4009099, a code outside the table.
    UndefinedCode,
    /// responseMessage is padded past 150 characters.
    MessageTooLong,
    /// Error answers are an HTML page, not JSON.
    HtmlErrors,
    /// Every success arrives 1 s past the expected timeout.
    SlowSuccess,
    /// An identical replay creates a second success, another id (a duplicate).
    DuplicateOnReplay,
    /// The reuse check is not atomic: a key is recorded only a second after
    /// its first answer, so requests in that second all succeed.
    RacyReuse,
    /// Answers carry an X-TIMESTAMP three years old (a frozen clock).
    StaleResponseTimestamp,
    /// Hostile rather than wrong: echoes the Authorization header in every
    /// responseMessage, to prove no report or console line shows the token.
    EchoesAuthorization,
}

impl Quirk {
    /// Every quirk, for tests that try them all.
    pub const ALL: [Quirk; 23] = [
        Quirk::WrongCodeForMissingField,
        Quirk::LaxTimestamp,
        Quirk::LaxSignature,
        Quirk::RejectsReferenceAtLimit,
        Quirk::ReferenceLimitOffByOne,
        Quirk::MerchantLimitOffByOne,
        Quirk::AcceptsUnknownMerchant,
        Quirk::AcceptsUnknownToken,
        Quirk::NoResponseTimestamp,
        Quirk::UtcResponseTimestamp,
        Quirk::WrongContentType,
        Quirk::StatusMismatch,
        Quirk::SuccessMissingField,
        Quirk::LowercaseEnum,
        Quirk::NoIdempotency,
        Quirk::UndefinedCode,
        Quirk::MessageTooLong,
        Quirk::HtmlErrors,
        Quirk::SlowSuccess,
        Quirk::EchoesAuthorization,
        Quirk::DuplicateOnReplay,
        Quirk::RacyReuse,
        Quirk::StaleResponseTimestamp,
    ];
}
