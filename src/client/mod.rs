//! Clients under certification: the adapter protocol, and the reference client.
//!
//! A client is anything that implements [`ClientUnderTest`]: given an
//! [`Invocation`] (base URL, credentials, the body to send) it makes the call
//! and reports a [`ClientOutcome`]. Two implementations ship:
//!
//! - [`CommandClient`] runs a vendor's adapter, in any language, by the adapter
//!   protocol of the README: `sh -c CMD` with `CDM_*` variables, the outcome as the last
//!   line of standard output;
//! - [`ReferenceClient`] is the project's own client in Rust, on the wire
//!   format of [`crate::wire`]; it passes every certification case.
//!
//! A Rust vendor certifies in-process by implementing the trait and calling
//! [`crate::certify::certify`].

mod command;
mod reference;

use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use serde::Serialize;
use serde_json::{Map, Value};

pub use command::CommandClient;
pub use reference::{Flaw, ReferenceClient};

/// What a client is asked to do in one case.
#[derive(Clone)]
pub struct Invocation {
    /// The case id (`CDM_CASE_ID`), for the client's logs.
    pub case_id: String,
    /// The base URL to post to (`CDM_BASE_URL`): the client posts to it + the endpoint path.
    pub base_url: String,
    /// `CDM_PARTNER_ID`.
    pub partner_id: String,
    /// `CDM_CLIENT_KEY`.
    pub client_key: String,
    /// `CDM_ACCESS_TOKEN`.
    pub access_token: String,
    /// The body the client must send (`CDM_REQUEST`).
    pub request: Value,
    /// The response fields a success outcome reports, by name (the API's
    /// success fields).
    pub success_fields: Vec<String>,
    /// How long the client may take before it is stopped.
    pub deadline: Duration,
}

impl std::fmt::Debug for Invocation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Invocation")
            .field("case_id", &self.case_id)
            .field("base_url", &self.base_url)
            .field("partner_id", &self.partner_id)
            .field("access_token", &crate::redact::token(&self.access_token))
            .finish()
    }
}

/// The adapter protocol's key for the code of a failed outcome, the same
/// for every API: `{"outcome":"failed","responseCode":"..."}`.
pub const OUTCOME_CODE_KEY: &str = "responseCode";

/// What a client reports: the last line of its standard output, as JSON.
///
/// A success carries the API's success fields by name:
/// `{"outcome":"success","cdmReferenceId":"...","cdmQrcode":"...","status":"ACTIVE"}`
/// for the built-in spec. A failure carries the code received, or null.
///
/// ```
/// use cdm_conformance::client::{parse_outcome, ClientOutcome};
/// let line = r#"{"outcome":"failed","responseCode":"4009001"}"#;
/// assert_eq!(
///     parse_outcome(line, &[]).unwrap(),
///     ClientOutcome::Failed { response_code: Some("4009001".into()) }
/// );
/// let line = r#"{"outcome":"success","id":"R-1","extra":"ignored"}"#;
/// let ClientOutcome::Success { fields } = parse_outcome(line, &["id".into()]).unwrap() else { panic!() };
/// assert_eq!(serde_json::to_string(&fields).unwrap(), r#"{"id":"R-1"}"#);
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "outcome", rename_all = "lowercase")]
pub enum ClientOutcome {
    /// The call succeeded.
    Success {
        /// Each success field as received, in the table's order.
        #[serde(flatten)]
        fields: Map<String, Value>,
    },
    /// The process was marked failed.
    #[serde(rename_all = "camelCase")]
    Failed {
        /// The code received, if any.
        response_code: Option<String>,
    },
}

/// How one run of a client ended.
#[derive(Debug, Clone, Default, Serialize)]
pub struct ClientRun {
    /// The reported outcome, or why there is none.
    #[serde(serialize_with = "outcome_or_reason")]
    pub outcome: Option<Result<ClientOutcome, String>>,
    /// The end of standard output (the outcome line and what came before it).
    pub stdout_tail: String,
    /// Standard error, shortened.
    pub stderr: String,
    /// How the process ended: `exit 0`, `killed by signal 9`, `panicked: ...`.
    pub exit: String,
    /// Wall time of the run, in milliseconds.
    pub elapsed_ms: u64,
}

fn outcome_or_reason<S: serde::Serializer>(
    o: &Option<Result<ClientOutcome, String>>,
    s: S,
) -> Result<S::Ok, S::Error> {
    match o {
        Some(Ok(outcome)) => outcome.serialize(s),
        Some(Err(reason)) => s.serialize_str(reason),
        None => s.serialize_none(),
    }
}

/// Parses the outcome line from a client's standard output: its last
/// non-empty line must be one JSON object of the protocol. A success reads
/// `success_fields` by name; one missing or null still counts as a success
/// (with that field empty), so that a client reporting success from a
/// broken answer is judged for it.
pub fn parse_outcome(stdout: &str, success_fields: &[String]) -> Result<ClientOutcome, String> {
    let Some(line) = stdout.lines().rev().find(|l| !l.trim().is_empty()) else {
        return Err("no outcome line: standard output is empty".into());
    };
    let shown = || crate::redact::shorten(line.trim(), 160);
    let value: Value = serde_json::from_str(line.trim()).map_err(|e| {
        format!(
            "the last line of standard output is not JSON ({e}): {:?}",
            shown()
        )
    })?;
    match value.get("outcome").and_then(Value::as_str) {
        Some("success") => Ok(ClientOutcome::Success {
            fields: success_fields
                .iter()
                .map(|k| {
                    let v = value.get(k).and_then(Value::as_str).unwrap_or_default();
                    (k.clone(), Value::from(v))
                })
                .collect(),
        }),
        Some("failed") => match value.get(OUTCOME_CODE_KEY) {
            None | Some(Value::Null) => Ok(ClientOutcome::Failed {
                response_code: None,
            }),
            Some(Value::String(c)) => Ok(ClientOutcome::Failed {
                response_code: Some(c.clone()),
            }),
            Some(other) => Err(format!(
                "the outcome line's {OUTCOME_CODE_KEY} must be a string or null, not {other}: {:?}",
                shown()
            )),
        },
        _ => Err(format!(
            "the last line of standard output is not an outcome object (\"outcome\" must be \"success\" or \"failed\"): {:?}",
            shown()
        )),
    }
}

/// A future returned by a client.
pub type ClientFuture<'a> = Pin<Box<dyn Future<Output = ClientRun> + Send + 'a>>;

/// A client under certification.
///
/// ```
/// use cdm_conformance::client::{ClientFuture, ClientOutcome, ClientRun, ClientUnderTest, Invocation};
///
/// /// A client that gives up at once (it fails certification, of course).
/// struct GiveUp;
///
/// impl ClientUnderTest for GiveUp {
///     fn name(&self) -> String {
///         "give-up".into()
///     }
///     fn run<'a>(&'a self, _: &'a Invocation) -> ClientFuture<'a> {
///         Box::pin(async {
///             ClientRun {
///                 outcome: Some(Ok(ClientOutcome::Failed { response_code: None })),
///                 ..ClientRun::default()
///             }
///         })
///     }
/// }
/// ```
pub trait ClientUnderTest: Send + Sync {
    /// A name for reports: the command, or the client's name.
    fn name(&self) -> String;

    /// Makes the call of one case and reports how it ended. Must return by
    /// the invocation's deadline; the harness stops waiting then anyway.
    fn run<'a>(&'a self, invocation: &'a Invocation) -> ClientFuture<'a>;
}
