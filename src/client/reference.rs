//! The project's reference client: the API as the project reads it (`specs/`).
//!
//! It signs every attempt afresh (Jakarta timestamp, SHA256withRSA over
//! the signing text), gives up on an attempt after the endpoint's expected
//! timeout, and follows each answer's policy from the contract: a success
//! is reported with its success fields; a code that must not be resent is
//! reported at once; a code that may be retried is retried; no answer in
//! time or an unexpected one (judged by the response rules) must be
//! retried. Retries wait one second (so each carries a
//! later timestamp) and stop after [`ReferenceClient::max_retries`].
//!
//! [`Flaw`]s make it break one rule on purpose, for the proof of power.

use std::time::{Duration, Instant};

use std::sync::Arc;

use serde_json::{Map, Value};

use super::{ClientFuture, ClientOutcome, ClientRun, ClientUnderTest, Invocation};
use crate::contract::Contract;
use crate::rules::body::response_body;
use crate::rules::response::parse_response;
use crate::spec::{ClientPolicy, FieldType, HeaderFormat};
use crate::transport::Transport;
use crate::wire::timestamp::render_at_offset;
use crate::wire::{Credentials, SignedRequest, SigningKey, Timestamp};

/// One rule the reference client breaks on purpose (for the harness's own tests).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Flaw {
    /// X-TIMESTAMP in UTC with `Z`.
    UtcTimestamp,
    /// X-TIMESTAMP with milliseconds.
    MillisecondTimestamp,
    /// Signs the partner id in place of the client key.
    WrongSigningText,
    /// Signs with SHA-512 instead of SHA-256.
    WrongHash,
    /// Sends no X-PARTNER-ID header.
    NoPartnerIdHeader,
    /// Sends `Authorization: bearer <token>` (lower case).
    LowercaseBearer,
    /// Retries without end after a timeout or an unexpected answer.
    RetriesForever,
    /// Never retries.
    NeverRetries,
    /// Reports success from a success answer that lacks a success field.
    SucceedsOnMalformed,
    /// Panics on an unexpected answer.
    CrashesOnUnexpected,
    /// Reports the last text success field (cdmQrcode here) reversed.
    WrongSuccessValue,
    /// Uses a new idempotency key on each retry.
    NewReferenceOnRetry,
    /// Resends the identical request once after a 4xx code.
    ResendsAfter4xx,
    /// Waits as long as it takes (no 8 s attempt timeout).
    NoAttemptTimeout,
    /// Reuses the first attempt's timestamp and signature on retries.
    StaleRetryTimestamp,
    /// Sends numeric strings of the body as JSON numbers.
    ChangesJsonTypes,
}

impl Flaw {
    /// Every flaw, for tests that try them all.
    pub const ALL: [Flaw; 16] = [
        Flaw::UtcTimestamp,
        Flaw::MillisecondTimestamp,
        Flaw::WrongSigningText,
        Flaw::WrongHash,
        Flaw::NoPartnerIdHeader,
        Flaw::LowercaseBearer,
        Flaw::RetriesForever,
        Flaw::NeverRetries,
        Flaw::SucceedsOnMalformed,
        Flaw::CrashesOnUnexpected,
        Flaw::WrongSuccessValue,
        Flaw::NewReferenceOnRetry,
        Flaw::ResendsAfter4xx,
        Flaw::NoAttemptTimeout,
        Flaw::StaleRetryTimestamp,
        Flaw::ChangesJsonTypes,
    ];
}

/// The reference client.
#[derive(Debug, Clone)]
pub struct ReferenceClient {
    contract: Arc<Contract>,
    key: SigningKey,
    flaws: Vec<Flaw>,
    /// Retries after an answer that allows or requires them (at most 3 by the contract).
    pub max_retries: u32,
    /// The pause before a retry.
    pub retry_pause: Duration,
}

enum Answer {
    Success(ClientOutcome),
    Final(Option<String>),
    Retry(Option<String>),
}

impl ReferenceClient {
    /// A faithful client of `contract`'s API, signing with `key`: it retries
    /// twice at most (three attempts), within the interpretations' limits.
    pub fn new(contract: Arc<Contract>, key: SigningKey) -> ReferenceClient {
        let limits = &contract.spec.interpretations.client;
        let max_retries = 2u32
            .min(limits.max_retries)
            .max(limits.min_retries_when_required);
        ReferenceClient {
            contract,
            key,
            flaws: Vec::new(),
            max_retries,
            retry_pause: Duration::from_secs(1),
        }
    }

    /// The same client with one flaw.
    pub fn with_flaw(mut self, flaw: Flaw) -> ReferenceClient {
        self.flaws.push(flaw);
        self
    }

    fn flaw(&self, f: Flaw) -> bool {
        self.flaws.contains(&f)
    }

    fn timestamp(&self) -> String {
        let now = Timestamp::now();
        if self.flaw(Flaw::UtcTimestamp) {
            render_at_offset(now.instant(), time::UtcOffset::UTC)
        } else if self.flaw(Flaw::MillisecondTimestamp) {
            format!("{}.000{}", &now.as_str()[..19], &now.as_str()[19..])
        } else {
            now.to_string()
        }
    }

    fn request(
        &self,
        inv: &Invocation,
        body: &Value,
        stale: Option<&(String, String)>,
    ) -> (SignedRequest, (String, String)) {
        let contract = &self.contract;
        let creds = Credentials {
            partner_id: inv.partner_id.clone(),
            client_key: inv.client_key.clone(),
            access_token: inv.access_token.clone(),
            merchant_id: String::new(),
        };
        let ts = Timestamp::now();
        let mut request = SignedRequest::build(contract, &creds, &self.key, body, &ts);
        let (timestamp, signature) = match stale {
            Some(pair) => pair.clone(),
            None => {
                let timestamp = self.timestamp();
                let signed_key = if self.flaw(Flaw::WrongSigningText) {
                    &inv.partner_id
                } else {
                    &inv.client_key
                };
                let text = contract.signing_text(signed_key, &timestamp);
                let signature = if self.flaw(Flaw::WrongHash) {
                    self.key.sign_with_wrong_hash(&text)
                } else {
                    self.key.sign(&text)
                };
                (timestamp, signature)
            }
        };
        let header = |f| contract.header(f).unwrap_or_default();
        request.set_header(header(HeaderFormat::JakartaTimestamp), timestamp.clone());
        request.set_header(header(HeaderFormat::RsaSignature), signature.clone());
        if self.flaw(Flaw::NoPartnerIdHeader) {
            request.remove_header(header(HeaderFormat::Identifier));
        }
        if self.flaw(Flaw::LowercaseBearer) {
            let prefix = contract.wire().authorization_prefix.to_lowercase();
            request.set_header(
                header(HeaderFormat::BearerToken),
                format!("{prefix}{}", inv.access_token),
            );
        }
        (request, (timestamp, signature))
    }

    fn classify(&self, received: &crate::transport::Received) -> Answer {
        let spec = &self.contract.spec;
        let parsed = parse_response(spec, received);
        let Ok(parsed) = parsed else {
            return Answer::Retry(None);
        };
        let Some(code) = parsed.code else {
            return Answer::Retry(None);
        };
        let Some(policy) = spec.client_policy(&code) else {
            return Answer::Retry(Some(code.to_string()));
        };
        match policy {
            ClientPolicy::Done => {
                let malformed =
                    !response_body(spec, &Value::Object(parsed.body.clone())).is_empty();
                if malformed && !self.flaw(Flaw::SucceedsOnMalformed) {
                    return Answer::Retry(Some(code.to_string()));
                }
                let mut fields: Map<String, Value> = spec
                    .success_fields()
                    .map(|f| {
                        let v = parsed
                            .body
                            .get(&f.name)
                            .and_then(Value::as_str)
                            .unwrap_or_default();
                        (f.name.clone(), Value::from(v))
                    })
                    .collect();
                if self.flaw(Flaw::WrongSuccessValue)
                    && let Some(last) = spec
                        .success_fields()
                        .filter(|f| f.ty == FieldType::String)
                        .last()
                    && let Some(v) = fields.get_mut(&last.name)
                {
                    *v = Value::from(
                        v.as_str()
                            .unwrap_or_default()
                            .chars()
                            .rev()
                            .collect::<String>(),
                    );
                }
                Answer::Success(ClientOutcome::Success { fields })
            }
            ClientPolicy::NoResend => Answer::Final(Some(code.to_string())),
            ClientPolicy::MayRetry | ClientPolicy::MustRetry => {
                Answer::Retry(Some(code.to_string()))
            }
        }
    }

    async fn call(&self, inv: &Invocation) -> ClientRun {
        let started = Instant::now();
        let spec = &self.contract.spec;
        let roles = self.contract.roles();
        let attempt_timeout = if self.flaw(Flaw::NoAttemptTimeout) {
            Duration::from_secs(60)
        } else {
            Duration::from_millis(spec.endpoint.expected_timeout_ms)
        };
        let transport = match Transport::library(attempt_timeout, &crate::transport::Trust::System)
        {
            Ok(t) => t,
            Err(e) => {
                return ClientRun {
                    outcome: Some(Err(e.to_string())),
                    ..ClientRun::default()
                };
            }
        };
        let mut body = inv.request.clone();
        if self.flaw(Flaw::ChangesJsonTypes) {
            numbers_for_numeric_strings(&mut body);
        }
        let max_retries = if self.flaw(Flaw::RetriesForever) {
            1_000
        } else if self.flaw(Flaw::NeverRetries) {
            0
        } else {
            self.max_retries
        };
        let mut log = String::new();
        let mut first_signature: Option<(String, String)> = None;
        let mut attempt = 0u32;
        let outcome = loop {
            attempt += 1;
            if self.flaw(Flaw::NewReferenceOnRetry)
                && attempt > 1
                && let Some(o) = body.as_object_mut()
            {
                let first = self.contract.reference_of(&inv.request).unwrap_or("ref");
                crate::contract::set_at(
                    o,
                    &roles.idempotency_key,
                    Value::from(format!("{first}-retry{attempt}")),
                );
            }
            let stale = if self.flaw(Flaw::StaleRetryTimestamp) {
                first_signature.as_ref()
            } else {
                None
            };
            let (request, signed) = self.request(inv, &body, stale);
            first_signature.get_or_insert(signed);
            let exchange = transport.send(&inv.base_url, &request).await;
            let answer = match &exchange.outcome {
                Ok(received) => self.classify(received),
                Err(e) => {
                    log.push_str(&format!("attempt {attempt}: {e}\n"));
                    Answer::Retry(None)
                }
            };
            match answer {
                Answer::Success(outcome) => break outcome,
                Answer::Final(code) => {
                    if self.flaw(Flaw::ResendsAfter4xx) && attempt == 1 {
                        continue;
                    }
                    break ClientOutcome::Failed {
                        response_code: code,
                    };
                }
                Answer::Retry(code) => {
                    if self.flaw(Flaw::CrashesOnUnexpected) && code.is_none() {
                        panic!("reference client with the crash flaw: unexpected answer");
                    }
                    log.push_str(&format!("attempt {attempt}: retryable answer {code:?}\n"));
                    if attempt > max_retries {
                        break ClientOutcome::Failed {
                            response_code: code,
                        };
                    }
                    tokio::time::sleep(self.retry_pause).await;
                }
            }
        };
        let line = serde_json::to_string(&outcome).unwrap_or_default();
        ClientRun {
            outcome: Some(Ok(outcome)),
            stdout_tail: line,
            stderr: log,
            exit: "returned".into(),
            elapsed_ms: started.elapsed().as_millis() as u64,
        }
    }
}

impl ClientUnderTest for ReferenceClient {
    fn name(&self) -> String {
        match self.flaws.as_slice() {
            [] => "the reference client".into(),
            flaws => format!("the reference client with flaws {flaws:?}"),
        }
    }

    fn run<'a>(&'a self, invocation: &'a Invocation) -> ClientFuture<'a> {
        Box::pin(self.call(invocation))
    }
}

/// Every string of the body that reads as a plain decimal number becomes a JSON
/// number (the flaw of a client that loses the types it was given).
fn numbers_for_numeric_strings(value: &mut Value) {
    match value {
        Value::Object(o) => o.values_mut().for_each(numbers_for_numeric_strings),
        Value::Array(a) => a.iter_mut().for_each(numbers_for_numeric_strings),
        Value::String(s) => {
            if let Ok(n) = s.parse::<u64>() {
                *value = Value::from(n);
            } else if let Ok(x) = s.parse::<f64>()
                && x.is_finite()
                && s.bytes().all(|b| b.is_ascii_digit() || b == b'.')
            {
                *value = Value::from(x);
            }
        }
        _ => {}
    }
}
