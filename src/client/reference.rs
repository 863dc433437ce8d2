//! The project's reference client: the API as CONTRACT.md section 5 reads it.
//!
//! It signs every attempt afresh (Jakarta timestamp, SHA256withRSA over
//! `CLIENT_KEY|X-TIMESTAMP`), gives up on an attempt after the 8 s expected
//! timeout, and follows each answer's policy from `specs/`: a success is
//! reported with its fields; a 4xx code is reported at once (4299000 may be
//! retried); 5009000 and 5009001 may be retried; no answer in time or an
//! unexpected one must be retried. Retries wait one second (so each carries a
//! later timestamp) and stop after [`ReferenceClient::max_retries`].
//!
//! [`Flaw`]s make it break one rule on purpose, for the proof of power.

use std::time::{Duration, Instant};

use serde_json::Value;

use super::{ClientFuture, ClientOutcome, ClientRun, ClientUnderTest, Invocation};
use crate::checks;
use crate::spec::{ClientPolicy, Spec};
use crate::transport::Transport;
use crate::wire::timestamp::render_at_offset;
use crate::wire::{Credentials, SignedRequest, SigningKey, Timestamp, signing_text};

/// One rule the reference client breaks on purpose (for the harness's own tests).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Flaw {
    /// X-TIMESTAMP in UTC with `Z`.
    UtcTimestamp,
    /// X-TIMESTAMP with milliseconds.
    MillisecondTimestamp,
    /// Signs `X-PARTNER-ID|X-TIMESTAMP` instead of `CLIENT_KEY|X-TIMESTAMP`.
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
    /// Reports success from a 2009000 without cdmQrcode.
    SucceedsOnMalformed,
    /// Panics on an unexpected answer.
    CrashesOnUnexpected,
    /// Reports a cdmQrcode other than the one received.
    WrongQrcode,
    /// Uses a new partnerReferenceNo on each retry.
    NewReferenceOnRetry,
    /// Resends the identical request once after a 4xx code.
    ResendsAfter4xx,
    /// Waits as long as it takes (no 8 s attempt timeout).
    NoAttemptTimeout,
    /// Reuses the first attempt's timestamp and signature on retries.
    StaleRetryTimestamp,
    /// Sends numbers in additionalInfo as JSON numbers where strings were given.
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
        Flaw::WrongQrcode,
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
    /// A faithful client signing with `key`.
    pub fn new(key: SigningKey) -> ReferenceClient {
        ReferenceClient {
            key,
            flaws: Vec::new(),
            max_retries: 2,
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
            format!("{}.000+07:00", &now.as_str()[..19])
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
        let creds = Credentials {
            partner_id: inv.partner_id.clone(),
            client_key: inv.client_key.clone(),
            access_token: inv.access_token.clone(),
            merchant_id: String::new(),
        };
        let ts = Timestamp::now();
        let mut request = SignedRequest::build(&creds, &self.key, body, &ts);
        let (timestamp, signature) = match stale {
            Some(pair) => pair.clone(),
            None => {
                let timestamp = self.timestamp();
                let signed_key = if self.flaw(Flaw::WrongSigningText) {
                    &inv.partner_id
                } else {
                    &inv.client_key
                };
                let text = signing_text(signed_key, &timestamp);
                let signature = if self.flaw(Flaw::WrongHash) {
                    self.key.sign_with_wrong_hash(&text)
                } else {
                    self.key.sign(&text)
                };
                (timestamp, signature)
            }
        };
        request.set_header("X-TIMESTAMP", timestamp.clone());
        request.set_header("X-SIGNATURE", signature.clone());
        if self.flaw(Flaw::NoPartnerIdHeader) {
            request.remove_header("X-PARTNER-ID");
        }
        if self.flaw(Flaw::LowercaseBearer) {
            request.set_header("Authorization", format!("bearer {}", inv.access_token));
        }
        (request, (timestamp, signature))
    }

    fn classify(&self, spec: &Spec, received: &crate::transport::Received) -> Answer {
        let parsed = checks::parse_response(spec, received);
        let Ok(parsed) = parsed else {
            return Answer::Retry(None);
        };
        let Some(code) = parsed.code else {
            return Answer::Retry(None);
        };
        let Some(policy) = spec.client_policy(&code) else {
            return Answer::Retry(Some(code.to_string()));
        };
        let fields = |name: &str| {
            parsed
                .body
                .get(name)
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_owned()
        };
        match policy {
            ClientPolicy::Done => {
                let malformed =
                    !checks::response_body(spec, &Value::Object(parsed.body.clone())).is_empty();
                if malformed && !self.flaw(Flaw::SucceedsOnMalformed) {
                    return Answer::Retry(Some(code.to_string()));
                }
                let mut qrcode = fields("cdmQrcode");
                if self.flaw(Flaw::WrongQrcode) {
                    qrcode = qrcode.chars().rev().collect();
                }
                Answer::Success(ClientOutcome::Success {
                    cdm_reference_id: fields("cdmReferenceId"),
                    cdm_qrcode: qrcode,
                    status: fields("status"),
                })
            }
            ClientPolicy::NoResend => Answer::Final(Some(code.to_string())),
            ClientPolicy::MayRetry | ClientPolicy::MustRetry => {
                Answer::Retry(Some(code.to_string()))
            }
        }
    }

    async fn call(&self, inv: &Invocation) -> ClientRun {
        let started = Instant::now();
        let spec = Spec::embedded();
        let attempt_timeout = if self.flaw(Flaw::NoAttemptTimeout) {
            Duration::from_secs(60)
        } else {
            Duration::from_millis(spec.endpoint.expected_timeout_ms)
        };
        let transport = match Transport::new(attempt_timeout, None) {
            Ok(t) => t,
            Err(e) => {
                return ClientRun {
                    outcome: Some(Err(e.to_string())),
                    ..ClientRun::default()
                };
            }
        };
        let mut body = inv.request.clone();
        if self.flaw(Flaw::ChangesJsonTypes)
            && let Some(info) = body
                .get_mut("additionalInfo")
                .and_then(Value::as_object_mut)
        {
            for value in info.values_mut() {
                if let Some(n) = value.as_str().and_then(|s| s.parse::<u64>().ok()) {
                    *value = Value::from(n);
                }
            }
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
            if self.flaw(Flaw::NewReferenceOnRetry) && attempt > 1 {
                body["partnerReferenceNo"] = Value::from(format!(
                    "{}-retry{attempt}",
                    inv.request["partnerReferenceNo"].as_str().unwrap_or("ref")
                ));
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
                Ok(received) => self.classify(spec, received),
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
