//! A PayCools simulator: the API as the project reads it (`specs/`), on wiremock.
//!
//! It checks every header (the signature with the partner's public key, the
//! access token), the body against `specs/` and the merchant id; remembers each
//! `partnerReferenceNo` (a reuse with another body draws 4049018, an identical
//! replay the first answer); rate-limits authenticated requests (4299000); answers
//! with `X-TIMESTAMP` and `Content-Type` always, the HTTP status always equal
//! to the code's first three digits. It never panics on any input, and
//! refuses a body above [`SimConfig::body_cap`] with 4009000.
//!
//! [`Quirk`]s make it break one rule on purpose, to prove the harness notices.
//!
//! ```
//! # tokio::runtime::Runtime::new().unwrap().block_on(async {
//! use cdm_conformance::simulator::{SimConfig, Simulator};
//!
//! let sim = Simulator::start(SimConfig::test_defaults()).await.unwrap();
//! assert!(sim.base_url().starts_with("http://127.0.0.1:"));
//! # });
//! ```

mod quirks;

use std::collections::HashMap;
use std::num::NonZeroU32;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use governor::{DefaultDirectRateLimiter, Quota, RateLimiter};
use serde_json::{Map, Value, json};
use wiremock::{Mock, MockServer, Respond, ResponseTemplate, matchers::any};

pub use quirks::Quirk;

use crate::contract::Contract;
use crate::rules::Rule;
use crate::rules::request::{self as request_rules, Breach, Breached, Expected};
use crate::spec::{FieldType, ResponseCode, value_at};
use crate::wire::{Credentials, SigningKey, Timestamp, VerifyingKey};

pub use crate::rules::request::Incoming;

/// How the simulator behaves.
#[derive(Debug, Clone)]
pub struct SimConfig {
    /// The API it plays.
    pub contract: Arc<Contract>,
    /// The credentials it accepts.
    pub credentials: Credentials,
    /// The partner's public key, to verify X-SIGNATURE.
    pub public_key: VerifyingKey,
    /// Requests a partner may make in a burst before 4299000.
    pub rate_burst: NonZeroU32,
    /// Requests per second a partner regains.
    pub rate_per_second: NonZeroU32,
    /// The largest body accepted, in bytes.
    pub body_cap: usize,
    /// Deliberate deviations (none for the faithful simulator).
    pub quirks: Vec<Quirk>,
}

/// Why the simulator could not start.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SimError {
    /// The port could not be bound.
    #[error("cannot listen on 127.0.0.1:{port}: {reason}")]
    Bind {
        /// The port asked for.
        port: u16,
        /// The operating system's reason.
        reason: String,
    },
}

impl SimConfig {
    /// The built-in API, test credentials and keys (public: for tests and trials only).
    pub fn test_defaults() -> SimConfig {
        SimConfig::for_contract(Contract::embedded())
    }

    /// Another API, with the test credentials and keys.
    pub fn for_contract(contract: Arc<Contract>) -> SimConfig {
        SimConfig {
            contract,
            credentials: Credentials::test_defaults(),
            public_key: test_signing_key().verifying_key(),
            rate_burst: NonZeroU32::new(200).unwrap_or(NonZeroU32::MIN),
            rate_per_second: NonZeroU32::new(100).unwrap_or(NonZeroU32::MIN),
            body_cap: 64 * 1024,
            quirks: Vec::new(),
        }
    }

    /// The same, with one quirk.
    pub fn with_quirk(mut self, quirk: Quirk) -> SimConfig {
        self.quirks.push(quirk);
        self
    }
}

/// The test partner's signing key (the public half of which the simulator trusts by default).
pub fn test_signing_key() -> SigningKey {
    // The embedded test key is checked by the test suite; it always parses.
    SigningKey::from_pem_or_base64(crate::testkeys::PARTNER_PRIVATE_KEY_PEM)
        .unwrap_or_else(|e| unreachable!("embedded test key: {e}"))
}

/// What the simulator answers.
#[derive(Debug, Clone, PartialEq)]
pub struct Answer {
    /// HTTP status.
    pub status: u16,
    /// Headers.
    pub headers: Vec<(String, String)>,
    /// Body bytes.
    pub body: Vec<u8>,
    /// How long to hold the answer.
    pub delay: Option<Duration>,
}

#[derive(Debug, Clone)]
struct Reply {
    code: ResponseCode,
    message: String,
    success: Option<Map<String, Value>>,
}

/// One scripted answer of a case (client certification's fault injection).
#[derive(Debug, Clone, PartialEq)]
pub enum Step {
    /// Answer as the faithful simulator would.
    Normal,
    /// Answer this code of the table, with its message and HTTP status (a
    /// success carries the success fields).
    Code(ResponseCode),
    /// Answer these exact bytes.
    Raw {
        /// HTTP status.
        status: u16,
        /// Content-Type, if any.
        content_type: Option<String>,
        /// Body bytes.
        body: Vec<u8>,
    },
    /// Hold the answer this long, then give `then`.
    Delay(Duration, Box<Step>),
}

struct Script {
    steps: Vec<Step>,
    attempts: usize,
    records: Vec<Recorded>,
}

/// A request that arrived under `/case/{case}/`, and what it was answered.
#[derive(Debug, Clone)]
pub struct Recorded {
    /// When it arrived, on the harness's monotonic clock.
    pub arrived: std::time::Instant,
    /// When it arrived, on the harness's wall clock.
    pub arrived_at: time::OffsetDateTime,
    /// The request as received.
    pub request: Incoming,
    /// The answer given (held for `answer.delay` before it went out).
    pub answer: Answer,
    /// Whether it was a POST to the endpoint path (an attempt).
    pub on_endpoint: bool,
}

struct State {
    references: HashMap<String, (Value, Reply, std::time::Instant)>,
    issued: u64,
    scripts: HashMap<String, Script>,
    strays: usize,
}

/// The simulator's logic, independent of the HTTP server it runs in.
pub struct Engine {
    config: SimConfig,
    contract: Arc<Contract>,
    state: Mutex<State>,
    limiter: DefaultDirectRateLimiter,
}

impl std::fmt::Debug for Engine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Engine")
            .field("config", &self.config)
            .finish()
    }
}

impl Engine {
    /// An engine with this configuration.
    pub fn new(config: SimConfig) -> Engine {
        let quota = Quota::per_second(config.rate_per_second).allow_burst(config.rate_burst);
        Engine {
            contract: config.contract.clone(),
            config,
            state: Mutex::new(State {
                references: HashMap::new(),
                issued: 0,
                scripts: HashMap::new(),
                strays: 0,
            }),
            limiter: RateLimiter::direct(quota),
        }
    }

    fn quirk(&self, q: Quirk) -> bool {
        self.config.quirks.contains(&q)
    }

    fn reply(&self, code: ResponseCode, detail: &str) -> Reply {
        let base = self
            .contract
            .spec
            .response_code(code.as_str())
            .map_or("Unknown", |r| r.message_prefix());
        let message = match detail {
            "" => base.to_owned(),
            d => format!("{base} {d}"),
        };
        Reply {
            code,
            message,
            success: None,
        }
    }

    fn field_error(&self, rule: Rule, field: &str) -> Reply {
        let answers = &self.contract.spec.interpretations.simulator;
        if self.quirk(Quirk::UndefinedCode) {
            return Reply {
                code: answers.invalid_field.with_case(*b"99"),
                message: format!("Invalid Field {field}"),
                success: None,
            };
        }
        let code = match rule {
            Rule::Missing if self.quirk(Quirk::WrongCodeForMissingField) => answers.invalid_field,
            Rule::Missing | Rule::Null | Rule::Empty => answers.missing_field,
            _ => answers.invalid_field,
        };
        self.reply(code, &format!("[{field}]"))
    }

    /// The answer to a broken request rule.
    fn refuse(&self, b: &Breached) -> Reply {
        let answers = &self.contract.spec.interpretations.simulator;
        let subject = b.subject.as_deref().unwrap_or_default();
        let (code, detail) = match b.breach {
            Breach::MethodOrPath => (answers.bad_request, "[unsupported method or path]".into()),
            Breach::BodyNotJson => (answers.bad_request, "[body is not JSON]".into()),
            Breach::BodyNotObject => (answers.bad_request, "[body is not a JSON object]".into()),
            Breach::NotJsonMediaType => (answers.bad_request, format!("[{subject}]")),
            Breach::HeaderMissing => (answers.missing_field, format!("[{subject}]")),
            Breach::HeaderNotText
            | Breach::HeaderTooLong
            | Breach::MalformedTimestamp
            | Breach::TimestampDrift
            | Breach::BodyDiffers => (answers.invalid_field, format!("[{subject}]")),
            Breach::UnknownPartner => (answers.unauthorized, "Unknown partner".into()),
            Breach::BadSignature => (answers.unauthorized, "Invalid signature".into()),
            Breach::NoAuthorizationPrefix | Breach::UnknownToken | Breach::SchemeCase => {
                (answers.invalid_token, String::new())
            }
            Breach::BodyField(rule) => return self.field_error(rule, subject),
        };
        self.reply(code, &detail)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        match self.state.lock() {
            Ok(s) => s,
            Err(poisoned) => poisoned.into_inner(),
        }
    }

    /// Scripts the answers under `/case/{case}/`: the n-th POST to the
    /// endpoint path gets the n-th step, the last step repeating. Every
    /// request under the prefix is recorded, whatever its method and path.
    pub fn script(&self, case: &str, steps: Vec<Step>) {
        self.lock().scripts.insert(
            case.to_owned(),
            Script {
                steps,
                attempts: 0,
                records: Vec::new(),
            },
        );
    }

    /// How many POSTs to the endpoint path arrived under `/case/{case}/`.
    pub fn attempts(&self, case: &str) -> usize {
        self.lock().scripts.get(case).map_or(0, |s| s.attempts)
    }

    /// How many requests of any kind arrived under `/case/{case}/`.
    pub fn requests(&self, case: &str) -> usize {
        self.lock().scripts.get(case).map_or(0, |s| s.records.len())
    }

    /// Requests that arrived outside every `/case/{case}/` prefix while cases were scripted.
    pub fn strays(&self) -> usize {
        self.lock().strays
    }

    /// Every request recorded under `/case/{case}/`, in order of arrival.
    pub fn records(&self, case: &str) -> Vec<Recorded> {
        self.lock()
            .scripts
            .get(case)
            .map(|s| s.records.clone())
            .unwrap_or_default()
    }

    /// Answers one request.
    pub fn answer(&self, req: &Incoming) -> Answer {
        let mut answer = self.answer_inner(req);
        if self.quirk(Quirk::EchoesAuthorization) {
            let name = self
                .contract
                .header(crate::spec::HeaderFormat::BearerToken)
                .unwrap_or_default();
            let echo = req.header(name).flatten().unwrap_or_default().to_owned();
            let field = &self.contract.roles().response_message;
            if let Ok(mut body) = serde_json::from_slice::<Value>(&answer.body) {
                body[field] = json!(format!(
                    "{} {echo}",
                    body[field].as_str().unwrap_or_default()
                ));
                answer.body = serde_json::to_vec(&body).unwrap_or(answer.body);
            }
        }
        answer
    }

    fn answer_inner(&self, req: &Incoming) -> Answer {
        let arrived = std::time::Instant::now();
        let arrived_at = time::OffsetDateTime::now_utc();
        let Some((case, tail)) = req
            .path
            .strip_prefix("/case/")
            .and_then(|rest| rest.split_once('/'))
        else {
            let mut state = self.lock();
            if !state.scripts.is_empty() {
                // Certification is on, and this request belongs to no case.
                state.strays += 1;
            }
            drop(state);
            return self.play(req, Step::Normal);
        };
        let endpoint = self.contract.endpoint();
        let on_endpoint = format!("/{tail}") == endpoint.path
            && req.method.eq_ignore_ascii_case(&endpoint.method);
        let step = {
            let mut state = self.lock();
            let Some(script) = state.scripts.get_mut(case) else {
                drop(state);
                return self.play(req, Step::Normal);
            };
            if on_endpoint {
                let i = script.attempts.min(script.steps.len().saturating_sub(1));
                script.attempts += 1;
                script.steps.get(i).cloned().unwrap_or(Step::Normal)
            } else {
                Step::Normal
            }
        };
        let answer = self.play(req, step);
        if let Some(script) = self.lock().scripts.get_mut(case) {
            // Bodies are kept up to 64 KiB: enough to judge, bounded memory.
            let mut request = Incoming {
                method: req.method.clone(),
                path: req.path.clone(),
                headers: req.headers.clone(),
                body: req.body[..req.body.len().min(64 * 1024)].to_vec(),
            };
            request.headers.truncate(64);
            script.records.push(Recorded {
                arrived,
                arrived_at,
                request,
                answer: answer.clone(),
                on_endpoint,
            });
        }
        answer
    }

    fn play(&self, req: &Incoming, step: Step) -> Answer {
        match step {
            Step::Normal => self.render(self.decide(req)),
            Step::Code(code) => {
                let mut reply = self.reply(code, "");
                if code == self.contract.success_code() {
                    reply = match self.decide(req) {
                        r if r.success.is_some() => r,
                        _ => {
                            let mut r = reply;
                            r.success = Some(self.success_fields("", 0));
                            r
                        }
                    };
                }
                self.render(reply)
            }
            Step::Raw {
                status,
                content_type,
                body,
            } => Answer {
                status,
                headers: content_type
                    .map(|c| vec![("Content-Type".to_owned(), c)])
                    .unwrap_or_default(),
                body,
                delay: None,
            },
            Step::Delay(d, then) => {
                let mut answer = match *then {
                    // A held success carries values of its own, never stored
                    // for replay: a client that reports them reported the
                    // late answer, and the judge can tell.
                    Step::Code(code) if code == self.contract.success_code() => {
                        let n = {
                            let mut state = self.lock();
                            state.issued += 1;
                            state.issued
                        };
                        let mut reply = self.reply(code, "");
                        reply.success = Some(self.success_fields("LATE", n));
                        self.render(reply)
                    }
                    other => self.play(req, other),
                };
                answer.delay = Some(answer.delay.unwrap_or_default() + d);
                answer
            }
        }
    }

    /// The success fields of answer `n` (the contract's), with the quirks
    /// that spoil them.
    fn success_fields(&self, tag: &str, n: u64) -> Map<String, Value> {
        let mut success = self.contract.success_values(tag, n);
        let enums: Vec<String> = self
            .contract
            .spec
            .success_fields()
            .filter(|f| f.ty == FieldType::Enum)
            .map(|f| f.name.clone())
            .collect();
        if self.quirk(Quirk::LowercaseEnum) {
            for name in &enums {
                if let Some(Value::String(v)) = success.get_mut(name) {
                    *v = v.to_lowercase();
                }
            }
        }
        // The quirk leaves out the second success field.
        if self.quirk(Quirk::SuccessMissingField)
            && let Some(second) = success.keys().nth(1).cloned()
        {
            success.shift_remove(&second);
        }
        success
    }

    fn decide(&self, req: &Incoming) -> Reply {
        let answers = self.contract.spec.interpretations.simulator;
        let creds = &self.config.credentials;
        let prefix = req
            .path
            .strip_prefix("/case/")
            .and_then(|rest| rest.split_once('/'))
            .map_or(String::new(), |(case, _)| format!("/case/{case}"));
        let expected = Expected {
            prefix: &prefix,
            prefix_shown: &prefix,
            partner_id: Some(&creds.partner_id),
            client_key: &creds.client_key,
            access_token: Some(&creds.access_token),
            public_key: &self.config.public_key,
            body: None,
            drift: None,
        };
        if let Some(b) = request_rules::request_line(&self.contract, req, &expected) {
            return self.refuse(&b);
        }
        if req.body.len() > self.config.body_cap {
            return self.reply(answers.bad_request, "[body too large]");
        }
        let waived = |b: &&Breached| match b.breach {
            // A warning is never a refusal.
            _ if b.finding.verdict < crate::verdict::Verdict::Fail => true,
            Breach::MalformedTimestamp => self.quirk(Quirk::LaxTimestamp),
            Breach::BadSignature => self.quirk(Quirk::LaxSignature),
            Breach::UnknownToken => self.quirk(Quirk::AcceptsUnknownToken),
            _ => false,
        };
        let header_breaches = request_rules::headers(&self.contract, req, &expected);
        if let Some(b) = header_breaches.iter().find(|b| !waived(b)) {
            return self.refuse(b);
        }
        if self.limiter.check().is_err() {
            return self.reply(answers.too_many_requests, "");
        }
        let body = match self.check_body(req) {
            Ok(body) => body,
            Err(reply) => return reply,
        };
        let roles = self.contract.roles();
        let text_at = |path: &str| {
            body.as_object()
                .and_then(|o| value_at(o, path))
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_owned()
        };
        let reference = text_at(&roles.idempotency_key);
        if text_at(&roles.merchant) != creds.merchant_id
            && !self.quirk(Quirk::AcceptsUnknownMerchant)
        {
            return self.reply(answers.invalid_merchant, "");
        }
        let mut state = self.lock();
        if let Some((first_body, first_reply, at)) = state.references.get(&reference) {
            let lagging = self.quirk(Quirk::RacyReuse) && at.elapsed() < Duration::from_secs(1);
            if !lagging {
                if *first_body == body && !self.quirk(Quirk::DuplicateOnReplay) {
                    return first_reply.clone();
                }
                if *first_body != body && !self.quirk(Quirk::NoIdempotency) {
                    return self.reply(answers.inconsistent_request, "");
                }
            }
        }
        state.issued += 1;
        let success = self.success_fields("", state.issued);
        let mut reply = self.reply(self.contract.success_code(), "");
        reply.success = Some(success);
        // A racy server keeps the first record; a faithful one has none yet.
        state.references.entry(reference).or_insert((
            body,
            reply.clone(),
            std::time::Instant::now(),
        ));
        reply
    }

    /// The body rules, with the quirks that bend them.
    /// The body rules, with the quirks that bend them: the parsed body, or
    /// the answer to its first broken rule.
    fn check_body(&self, req: &Incoming) -> Result<Value, Reply> {
        let roles = self.contract.roles();
        let spec = &self.contract.spec;
        let (value, breaches) = request_rules::body(&self.contract, req, None);
        let limit = |field: &str| spec.request_field(field).and_then(|r| r.length.max());
        let length_of = |field: &str| {
            value
                .as_ref()
                .and_then(Value::as_object)
                .and_then(|o| value_at(o, field))
                .and_then(Value::as_str)
                .map(|s| s.chars().count())
        };
        if self.quirk(Quirk::RejectsReferenceAtLimit) {
            let len = length_of(&roles.idempotency_key);
            if len.is_some() && len == limit(&roles.idempotency_key) {
                return Err(self.field_error(Rule::Length, &roles.idempotency_key));
            }
        }
        let first = breaches.iter().find(|b| {
            let field = b.subject.as_deref().unwrap_or_default();
            let off_by_one = b.breach == Breach::BodyField(Rule::Length)
                && length_of(field).is_some_and(|len| Some(len) == limit(field).map(|l| l + 1));
            let forgiven = off_by_one
                && ((field == roles.idempotency_key && self.quirk(Quirk::ReferenceLimitOffByOne))
                    || (field == roles.merchant && self.quirk(Quirk::MerchantLimitOffByOne)));
            !forgiven
        });
        match (first, value) {
            (Some(b), _) => Err(self.refuse(b)),
            (None, Some(v)) => Ok(v),
            (None, None) => Err(self.reply(spec.interpretations.simulator.bad_request, "")),
        }
    }

    fn render(&self, reply: Reply) -> Answer {
        let spec = &self.contract.spec;
        let roles = self.contract.roles();
        let success = reply.success.is_some();
        let mut status = reply.code.http_status();
        if self.quirk(Quirk::StatusMismatch) && !success {
            status = 200;
        }
        let mut message = reply.message;
        if self.quirk(Quirk::MessageTooLong) {
            let max = spec
                .response_field(&roles.response_message)
                .and_then(|r| r.length.max())
                .unwrap_or(150);
            message = format!("{message} {}", "-".repeat(max + 10));
        }
        let mut body = Map::new();
        body.insert(roles.response_code.clone(), json!(reply.code.as_str()));
        body.insert(roles.response_message.clone(), json!(message));
        if let Some(fields) = reply.success {
            body.extend(fields);
        }
        let mut bytes = serde_json::to_vec(&Value::Object(body)).unwrap_or_default();
        let content_type = if self.quirk(Quirk::HtmlErrors) && !success {
            bytes = b"<html><body><h1>502 Bad Gateway</h1></body></html>".to_vec();
            "text/html"
        } else if self.quirk(Quirk::WrongContentType) {
            "text/plain"
        } else {
            spec.endpoint.content_type.as_str()
        };
        let mut headers = vec![];
        for row in &spec.response_headers {
            match row.format {
                crate::spec::HeaderFormat::ContentTypeJson => {
                    headers.push((row.name.clone(), content_type.to_owned()));
                }
                crate::spec::HeaderFormat::JakartaTimestamp => {
                    if self.quirk(Quirk::NoResponseTimestamp) {
                        continue;
                    }
                    let ts = if self.quirk(Quirk::UtcResponseTimestamp) {
                        crate::wire::timestamp::render_at_offset(
                            time::OffsetDateTime::now_utc(),
                            time::UtcOffset::UTC,
                        )
                    } else if self.quirk(Quirk::StaleResponseTimestamp) {
                        let now = Timestamp::now();
                        Timestamp::from_unix_seconds(now.unix_seconds() - 3 * 365 * 86_400)
                            .unwrap_or(now)
                            .to_string()
                    } else {
                        Timestamp::now().to_string()
                    };
                    headers.push((row.name.clone(), ts));
                }
                _ => {}
            }
        }
        let late = Duration::from_millis(spec.endpoint.expected_timeout_ms + 1000);
        let delay = (self.quirk(Quirk::SlowSuccess) && success).then_some(late);
        Answer {
            status,
            headers,
            body: bytes,
            delay,
        }
    }
}

struct Responder(Arc<Engine>);

impl Respond for Responder {
    fn respond(&self, request: &wiremock::Request) -> ResponseTemplate {
        let incoming = Incoming {
            method: request.method.to_string(),
            path: request.url.path().to_owned(),
            headers: request
                .headers
                .iter()
                .map(|(n, v)| (n.as_str().to_owned(), v.to_str().ok().map(str::to_owned)))
                .collect(),
            body: request.body.clone(),
        };
        let answer = self.0.answer(&incoming);
        let mut template = ResponseTemplate::new(answer.status).set_body_bytes(answer.body);
        for (name, value) in answer.headers {
            template = template.insert_header(name.as_str(), value.as_str());
        }
        if let Some(delay) = answer.delay {
            template = template.set_delay(delay);
        }
        template
    }
}

/// A running simulator on 127.0.0.1.
pub struct Simulator {
    server: MockServer,
    engine: Arc<Engine>,
}

impl std::fmt::Debug for Simulator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Simulator")
            .field("base_url", &self.base_url())
            .finish()
    }
}

impl Simulator {
    /// Starts on a free port of 127.0.0.1.
    pub async fn start(config: SimConfig) -> Result<Simulator, SimError> {
        Simulator::start_on(config, 0).await
    }

    /// Starts on `port` of 127.0.0.1 (0 for any free port).
    pub async fn start_on(config: SimConfig, port: u16) -> Result<Simulator, SimError> {
        let listener =
            std::net::TcpListener::bind(("127.0.0.1", port)).map_err(|e| SimError::Bind {
                port,
                reason: crate::wire::signature::io_reason(&e),
            })?;
        let server = MockServer::builder()
            .listener(listener)
            .disable_request_recording()
            .start()
            .await;
        let engine = Arc::new(Engine::new(config));
        Mock::given(any())
            .respond_with(Responder(engine.clone()))
            .mount(&server)
            .await;
        Ok(Simulator { server, engine })
    }

    /// `http://127.0.0.1:PORT`.
    pub fn base_url(&self) -> String {
        self.server.uri()
    }

    /// The configuration it runs with.
    pub fn config(&self) -> &SimConfig {
        &self.engine.config
    }

    /// The engine, to script cases and count their attempts.
    pub fn engine(&self) -> &Engine {
        &self.engine
    }
}
