//! A validating proxy: between a real client and a real endpoint, it
//! forwards each request unchanged and the answer unchanged back, and
//! judges both sides with the rules every other mode uses.
//!
//! - `http`: the client's side of HTTP/1.1 (keep-alive, pipelining,
//!   `Content-Length` or chunked bodies, caps);
//! - [`judge`]: each request, each answer, and each transaction followed
//!   by its idempotency key (retries, a reused key, an identical replay);
//!   a pure function of the recorded exchanges, which `rejudge` calls too.
//!
//! The proxy never rewrites, retries or reorders. What it changes is
//! what a hop must: the `Host` of the upstream, and the framing
//! (`Content-Length` in place of chunks; connection headers are the
//! connection's). An upstream that fails gets the client a 502 with a
//! JSON body; a body over the cap a 413; neither stops the proxy.
//!
//! ```no_run
//! # tokio::runtime::Runtime::new().unwrap().block_on(async {
//! use cdm_conformance::proxy::{Proxy, ProxyOptions};
//! use cdm_conformance::{Contract, simulator::{SimConfig, Simulator, test_signing_key}};
//!
//! let contract = Contract::embedded();
//! let sim = Simulator::start(SimConfig::for_contract(contract.clone())).await.unwrap();
//! let mut options = ProxyOptions::new(contract, &sim.base_url(), test_signing_key().verifying_key(), "client-key");
//! options.max_exchanges = Some(1);
//! let proxy = Proxy::start(options).await.unwrap();
//! // ... point a client at proxy.base_url(), then:
//! proxy.finished().await;
//! let report = proxy.report();
//! # });
//! ```

mod http;
pub mod judge;

use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::json;
use time::OffsetDateTime;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Notify;

use crate::console::OnCase;
use crate::contract::Contract;
use crate::evidence::{Arrival, GivenAnswer, Proxied, Refused, Upstream};
use crate::report::{CaseReport, ExchangeRecord, Report, message_of};
use crate::rules::request::Incoming;
use crate::spec::{SpecRef, Table};
use crate::transport::{ClientError, Received, Transport, TransportError, Trust};
use crate::verdict::Verdict;
use crate::wire::VerifyingKey;

pub use judge::{Judged, Known, judge_all, judge_last};

/// The largest request body forwarded, in bytes (the transport's cap on
/// answers too): a longer one is answered 413.
pub const BODY_CAP: usize = crate::transport::BODY_CAP;

/// How long a kept-alive connection may idle, or a request head take.
pub const IDLE: Duration = Duration::from_secs(60);

/// How the proxy runs.
#[derive(Clone)]
pub struct ProxyOptions {
    /// The API.
    pub contract: Arc<Contract>,
    /// The endpoint's base URL: a request for path P goes to `upstream` + P.
    pub upstream: String,
    /// Where to listen.
    pub listen: SocketAddr,
    /// What the proxy knows of the partner.
    pub known: Known,
    /// The access token in clear, if given: scrubbed from every report.
    pub access_token: Option<String>,
    /// How the upstream's certificate is checked.
    pub trust: Trust,
    /// How long the upstream may take to answer (the harness's HTTP
    /// timeout by default, above the API's expected timeout so a late
    /// answer is measured, not cut).
    pub upstream_timeout: Duration,
    /// Stop (and report) after this many exchanges.
    pub max_exchanges: Option<usize>,
    /// Called as each exchange is judged.
    pub on_exchange: Option<OnCase>,
}

impl std::fmt::Debug for ProxyOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ProxyOptions")
            .field("upstream", &self.upstream)
            .field("listen", &self.listen)
            .field("max_exchanges", &self.max_exchanges)
            .finish_non_exhaustive()
    }
}

impl ProxyOptions {
    /// Listening on an ephemeral port of 127.0.0.1, system trust, no limit.
    pub fn new(
        contract: Arc<Contract>,
        upstream: &str,
        public_key: VerifyingKey,
        client_key: &str,
    ) -> ProxyOptions {
        let upstream_timeout =
            Duration::from_millis(contract.spec.interpretations.server.http_timeout_ms);
        ProxyOptions {
            upstream_timeout,
            contract,
            upstream: upstream.trim_end_matches('/').to_owned(),
            listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            known: Known {
                public_key,
                client_key: client_key.to_owned(),
                partner_id: None,
                access_token: None,
            },
            access_token: None,
            trust: Trust::System,
            max_exchanges: None,
            on_exchange: None,
        }
    }

    /// Judges `Authorization` against this token (kept redacted).
    pub fn with_access_token(mut self, token: &str) -> ProxyOptions {
        self.known.access_token = Some(crate::redact::token(token));
        self.access_token = Some(token.to_owned());
        self
    }
}

/// Why the proxy could not start.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ProxyError {
    /// The address could not be bound.
    #[error("cannot listen on {addr}: {reason}")]
    Bind {
        /// The address.
        addr: SocketAddr,
        /// Why.
        reason: String,
    },
    /// `--upstream` is not a usable base URL.
    #[error("--upstream {url:?}: {reason}")]
    Upstream {
        /// The URL.
        url: String,
        /// Why.
        reason: String,
    },
    /// The upstream client could not be made (a CA bundle, say).
    #[error(transparent)]
    Client(#[from] ClientError),
}

/// The exchanges recorded, in the order they ended, and each one's
/// idempotency key (worked out once).
#[derive(Default)]
struct Records {
    list: Vec<Proxied>,
    /// Each one's idempotency key and body without it ([`judge::marks`]).
    marks: Vec<(Option<String>, Option<String>)>,
}

/// How many earlier exchanges of the same key, and of the same body but
/// for the key, a console line is judged with at most (the report judges
/// with all of them).
const CONSOLE_HISTORY: usize = 50;

struct Shared {
    options: ProxyOptions,
    transport: Transport,
    started: Instant,
    started_at: OffsetDateTime,
    records: Mutex<Records>,
    /// Exchanges recorded.
    count: AtomicUsize,
    /// The last arrival's number.
    seq: AtomicU64,
    /// Requests read and not yet recorded.
    in_flight: AtomicUsize,
    /// Stop reading requests (the run is ending).
    closing: AtomicBool,
    /// Access tokens seen in requests: scrubbed from every record.
    tokens: Mutex<Vec<String>>,
    /// The verdict each console line showed, by exchange number.
    printed: Mutex<Vec<(u64, Verdict)>>,
    /// Exchanges on their way to the recorder thread.
    recorder: std::sync::mpsc::Sender<Proxied>,
    done: Notify,
}

/// A running proxy.
pub struct Proxy {
    addr: SocketAddr,
    shared: Arc<Shared>,
    task: tokio::task::JoinHandle<()>,
}

impl std::fmt::Debug for Proxy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Proxy").field("addr", &self.addr).finish()
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl Proxy {
    /// Binds and starts serving.
    pub async fn start(options: ProxyOptions) -> Result<Proxy, ProxyError> {
        let url = url::Url::parse(&options.upstream).map_err(|e| ProxyError::Upstream {
            url: options.upstream.clone(),
            reason: e.to_string(),
        })?;
        if !matches!(url.scheme(), "http" | "https") || url.host().is_none() {
            return Err(ProxyError::Upstream {
                url: options.upstream.clone(),
                reason: "an http:// or https:// base URL is needed".into(),
            });
        }
        let transport = Transport::exact(options.upstream_timeout, &options.trust)?;
        let listener = TcpListener::bind(options.listen)
            .await
            .map_err(|e| ProxyError::Bind {
                addr: options.listen,
                reason: e.to_string(),
            })?;
        let addr = listener.local_addr().map_err(|e| ProxyError::Bind {
            addr: options.listen,
            reason: e.to_string(),
        })?;
        let options_token: Vec<String> = options.access_token.iter().cloned().collect();
        let (recorder, exchanges) = std::sync::mpsc::channel::<Proxied>();
        let shared = Arc::new(Shared {
            options,
            transport,
            started: Instant::now(),
            started_at: OffsetDateTime::now_utc(),
            records: Mutex::new(Records::default()),
            count: AtomicUsize::new(0),
            seq: AtomicU64::new(0),
            in_flight: AtomicUsize::new(0),
            closing: AtomicBool::new(false),
            tokens: Mutex::new(options_token),
            printed: Mutex::new(Vec::new()),
            recorder,
            done: Notify::new(),
        });
        // One thread judges and records, beside the connections: judging
        // takes at most one core from forwarding, and never a client's time.
        let weak = Arc::downgrade(&shared);
        std::thread::Builder::new()
            .name("cdm-proxy-recorder".into())
            .spawn(move || {
                while let Ok(proxied) = exchanges.recv() {
                    match weak.upgrade() {
                        Some(shared) => record(&shared, proxied),
                        None => return,
                    }
                }
            })
            .map_err(|e| ProxyError::Bind {
                addr,
                reason: format!("cannot start the recorder: {e}"),
            })?;
        let task = tokio::spawn(serve(listener, shared.clone()));
        Ok(Proxy { addr, shared, task })
    }

    /// The address it listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The base URL a client is given in place of the upstream's.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Requests read and not yet recorded.
    pub fn in_flight(&self) -> usize {
        self.shared.in_flight.load(Ordering::SeqCst)
    }

    /// The exchanges whose console line showed another verdict than
    /// `report` gives them (an earlier attempt of their transaction was
    /// still in flight when the line was printed): `(id, printed)`.
    pub fn printed_otherwise(&self, report: &Report) -> Vec<(String, Verdict)> {
        let printed = self
            .shared
            .printed
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        report
            .cases
            .iter()
            .filter_map(|c| {
                let seq = case_seq(c);
                let (_, shown) = printed.iter().find(|(s, _)| *s == seq)?;
                (*shown != c.verdict).then(|| (c.id.clone(), *shown))
            })
            .collect()
    }

    /// Exchanges recorded so far.
    pub fn exchanges(&self) -> usize {
        self.shared.count.load(Ordering::SeqCst)
    }

    /// Resolves once `max_exchanges` exchanges are recorded (never without it).
    pub async fn finished(&self) {
        loop {
            let notified = self.shared.done.notified();
            if self
                .shared
                .options
                .max_exchanges
                .is_some_and(|max| self.exchanges() >= max)
            {
                return;
            }
            notified.await;
        }
    }

    /// Stops taking requests and waits, at most `limit`, for those in
    /// flight to be answered and recorded (so that Ctrl-C loses none).
    pub async fn drain(&self, limit: Duration) {
        self.shared.closing.store(true, Ordering::SeqCst);
        self.task.abort();
        self.settle(limit).await;
    }

    /// Waits, at most `limit`, until every request read is recorded.
    pub async fn settle(&self, limit: Duration) {
        let until = Instant::now() + limit;
        while self.shared.in_flight.load(Ordering::SeqCst) > 0 && Instant::now() < until {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    }

    /// The report of every exchange so far (those in flight given up to
    /// 5 s to finish), each judged with the whole conversation before it.
    pub async fn report(&self) -> Report {
        // After `drain`, what is still in flight stays out (and is counted).
        if !self.shared.closing.load(Ordering::SeqCst) {
            self.settle(Duration::from_secs(5)).await;
        }
        let arrivals = self.shared.seq.load(Ordering::SeqCst);
        let not_recorded = self.in_flight();
        let options = &self.shared.options;
        let contract = &options.contract;
        let mut records = self
            .shared
            .records
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .list
            .clone();
        records.sort_by_key(|p| p.seq);
        let judged = judge_all(contract, &options.known, &records);
        let cases = records
            .into_iter()
            .zip(judged)
            .map(|(p, j)| case_report(contract, p, &j))
            .collect();
        let mut report = Report::new(
            "proxy",
            &options.upstream,
            &contract.spec.digest,
            cases,
            self.shared.started_at,
            self.shared.started.elapsed(),
        );
        let tokens = self
            .shared
            .tokens
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone();
        report.scrub(&tokens.iter().map(String::as_str).collect::<Vec<_>>());
        report.test_key = crate::testkeys::is_published(&options.known.public_key);
        let settings = [
            ("upstream", options.upstream.clone()),
            ("listen", self.addr.to_string()),
            (
                "public_key",
                format!("sha256:{}", options.known.public_key.fingerprint()),
            ),
            ("client_key", options.known.client_key.clone()),
            (
                "partner_id",
                options
                    .known
                    .partner_id
                    .clone()
                    .unwrap_or_else(|| "not given: any value taken".into()),
            ),
            (
                "access_token",
                options
                    .known
                    .access_token
                    .clone()
                    .unwrap_or_else(|| "not given: only the scheme judged".into()),
            ),
            ("tls", options.trust.to_string()),
            ("arrivals", arrivals.to_string()),
            ("not_recorded", not_recorded.to_string()),
        ];
        for (k, v) in settings {
            report.settings.insert(k.into(), v);
        }
        report.insecure_tls = matches!(options.trust, Trust::Insecure);
        // Requests still waiting for the upstream when the run ended are
        // not judged: the report is not the whole session.
        report.complete = not_recorded == 0;
        report
    }
}

fn case_seq(case: &CaseReport) -> u64 {
    case.proxied.as_ref().map_or(0, |p| p.seq)
}

/// Case id of the exchange that arrived `seq`th (from 1).
pub fn case_id(seq: u64) -> String {
    format!("exchange.{seq:04}")
}

fn case_report(contract: &Contract, p: Proxied, judged: &Judged) -> CaseReport {
    let findings = judged.all();
    let exchange = exchange_record(&p);
    let duration = p
        .upstream
        .as_ref()
        .map_or(Duration::ZERO, |u| Duration::from_millis(u.elapsed_ms));
    let mut case = CaseReport::from_parts(
        &case_id(p.seq),
        SpecRef::item(Table::Specification, "Method, URL"),
        &format!(
            "{} {}: the request keeps the request rules, the answer the response rules, and retries and reused references the response code table",
            contract.endpoint().method,
            contract.endpoint().path
        ),
        vec![],
        findings,
        vec![exchange],
        duration,
    );
    // Say which side answers for each failure: the client's request or
    // conduct, or the server's answer.
    if matches!(case.verdict, Verdict::Fail | Verdict::Warn) {
        let worst: Vec<String> = [("request", &judged.client), ("answer", &judged.server)]
            .into_iter()
            .flat_map(|(side, list)| {
                list.iter()
                    .filter(|f| f.verdict == case.verdict)
                    .map(move |f| format!("{side} {}: {f}", f.check))
            })
            .collect();
        case.message = message_of(&worst);
    }
    case.proxied = Some(p);
    case
}

/// The response code an answer carries, as text, if any.
pub fn answered_code(contract: &Contract, answer: &GivenAnswer) -> Option<String> {
    let body: serde_json::Value = serde_json::from_slice(&answer.body).ok()?;
    body.get(&contract.roles().response_code)?
        .as_str()
        .map(str::to_owned)
}

/// An exchange as the report shows it (derived from the evidence, so that
/// `rejudge` can derive it again).
pub fn exchange_record(p: &Proxied) -> ExchangeRecord {
    let upstream = p.upstream.as_ref();
    ExchangeRecord {
        error: upstream
            .and_then(|u| u.outcome.as_ref().err())
            .map(ToString::to_string),
        elapsed_ms: upstream.map_or(0, |u| u.elapsed_ms),
        ..ExchangeRecord::from(&p.arrival)
    }
}

async fn serve(listener: TcpListener, shared: Arc<Shared>) {
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            // Out of descriptors, say: wait, never spin.
            tokio::time::sleep(Duration::from_millis(50)).await;
            continue;
        };
        let _ = stream.set_nodelay(true);
        tokio::spawn(connection(stream, shared.clone()));
    }
}

fn full(shared: &Shared) -> bool {
    shared.closing.load(Ordering::SeqCst)
        || shared
            .options
            .max_exchanges
            .is_some_and(|max| shared.seq.load(Ordering::SeqCst) as usize >= max)
}

async fn connection(mut stream: TcpStream, shared: Arc<Shared>) {
    let mut buf = Vec::new();
    loop {
        if full(&shared) {
            return;
        }
        let read =
            tokio::time::timeout(IDLE, http::read_request(&mut stream, &mut buf, BODY_CAP)).await;
        if matches!(read, Err(_) | Ok(Err(http::ReadError::Closed))) || full(&shared) {
            return;
        }
        let at = OffsetDateTime::now_utc();
        let after_us = shared.started.elapsed().as_micros() as u64;
        let seq = shared.seq.fetch_add(1, Ordering::SeqCst) + 1;
        shared.in_flight.fetch_add(1, Ordering::SeqCst);
        let request = match read {
            Err(_) | Ok(Err(http::ReadError::Closed)) => return,
            Ok(Ok(request)) => request,
            Ok(Err(e)) => {
                let (status, refused) = match e {
                    http::ReadError::TooLarge => (413, Refused::BodyTooLarge { cap: BODY_CAP }),
                    http::ReadError::Bad(reason) => (400, Refused::NotHttp { reason }),
                    http::ReadError::Closed => return,
                };
                let body = json!({
                    "error": "refused by the cdm-conformance proxy, not forwarded",
                    "reason": match &refused {
                        Refused::BodyTooLarge { cap } => format!("a body over {cap} bytes"),
                        Refused::NotHttp { reason } => reason.clone(),
                    },
                })
                .to_string();
                let answer = given(status, body);
                let _ = http::write_response(
                    &mut stream,
                    answer.status,
                    None,
                    &answer.wire_headers(),
                    &answer.body,
                    false,
                    true,
                )
                .await;
                let sent = shared.recorder.send(Proxied {
                    seq,
                    arrival: Arrival {
                        at,
                        after_us,
                        request: Incoming {
                            method: String::new(),
                            path: String::new(),
                            headers: vec![],
                            body: vec![],
                        },
                        on_endpoint: false,
                        answer,
                    },
                    upstream: None,
                    refused: Some(refused),
                });
                if sent.is_err() {
                    shared.in_flight.fetch_sub(1, Ordering::SeqCst);
                }
                return;
            }
        };
        let close = request.close;
        let head = request.method.eq_ignore_ascii_case("HEAD");
        let mut proxied = forward(&shared, request, at, after_us).await;
        proxied.seq = seq;
        let answer = &proxied.arrival.answer;
        let bodiless = head || matches!(answer.status, 100..=199 | 204 | 304);
        let written = http::write_response(
            &mut stream,
            answer.status,
            answer.reason.as_deref(),
            &answer.wire_headers(),
            &answer.body,
            bodiless,
            close,
        )
        .await;
        // Judging and recording happen beside the connection, never in the
        // client's way.
        if shared.recorder.send(proxied).is_err() {
            shared.in_flight.fetch_sub(1, Ordering::SeqCst);
        }
        if close || written.is_err() {
            let _ = tokio::io::AsyncWriteExt::shutdown(&mut stream).await;
            return;
        }
    }
}

/// What the client is given for the upstream's outcome: the answer as it
/// came, or (no answer, or one over the cap) a 502 of the proxy's own.
pub fn answer_for(outcome: &Result<Received, TransportError>) -> GivenAnswer {
    match outcome {
        Ok(r) if !r.truncated => GivenAnswer {
            status: r.status,
            reason: Some(r.reason.clone()),
            raw_headers: (r.raw_headers.len() == r.headers.len()).then(|| {
                r.raw_headers
                    .iter()
                    .filter(|(n, _)| {
                        !http::is_hop_by_hop(n) || n.eq_ignore_ascii_case("content-length")
                    })
                    .cloned()
                    .collect()
            }),
            headers: r
                .headers
                .iter()
                .filter(|(n, _)| {
                    !http::is_hop_by_hop(n) || n.eq_ignore_ascii_case("content-length")
                })
                .cloned()
                .collect(),
            body: r.body.clone(),
            held_ms: None,
        },
        Ok(_) => given(
            502,
            json!({
                "error": "the upstream's answer was not forwarded by the cdm-conformance proxy",
                "reason": format!("its body is over {BODY_CAP} bytes"),
            })
            .to_string(),
        ),
        Err(e) => given(
            502,
            json!({
                "error": "the upstream gave no answer to the cdm-conformance proxy",
                "reason": e.to_string(),
            })
            .to_string(),
        ),
    }
}

/// An answer of the proxy's own, JSON.
fn given(status: u16, body: String) -> GivenAnswer {
    GivenAnswer {
        status,
        reason: None,
        raw_headers: None,
        headers: vec![("Content-Type".into(), "application/json".into())],
        body: body.into_bytes(),
        held_ms: None,
    }
}

async fn forward(
    shared: &Shared,
    request: http::RawRequest,
    at: OffsetDateTime,
    after_us: u64,
) -> Proxied {
    let contract = &shared.options.contract;
    let endpoint = contract.endpoint();
    let incoming = Incoming {
        method: request.method.clone(),
        path: request.target.clone(),
        headers: request.headers.clone(),
        body: request.body.clone(),
    };
    let on_endpoint =
        incoming.method.eq_ignore_ascii_case(&endpoint.method) && incoming.path == endpoint.path;
    // Every token a client sends is a secret, given or not: kept out of
    // every record from now on.
    if let Some(Some(auth)) = incoming.header("Authorization") {
        // The credential whatever the scheme, spacing or its absence: the
        // whole value, and what follows its first run of whitespace.
        let whole = auth.trim();
        let after = whole
            .split_once(char::is_whitespace)
            .map(|(_, rest)| rest.trim());
        let mut tokens = shared.tokens.lock().unwrap_or_else(|e| e.into_inner());
        for token in std::iter::once(whole).chain(after) {
            if token.len() >= 8 && !tokens.iter().any(|t| t == token) {
                tokens.push(token.to_owned());
            }
        }
    }
    let headers: Vec<(String, Vec<u8>)> = request
        .raw_headers
        .into_iter()
        .filter(|(n, _)| !http::is_hop_by_hop(n))
        .collect();
    let exchange = shared
        .transport
        .forward(
            &shared.options.upstream,
            &request.target,
            &request.method,
            &headers,
            &request.body,
        )
        .await;
    let answer = answer_for(&exchange.outcome);
    Proxied {
        seq: 0,
        arrival: Arrival {
            at,
            after_us,
            request: crate::evidence::redacted(&incoming),
            on_endpoint,
            answer,
        },
        upstream: Some(Upstream {
            outcome: exchange.outcome,
            elapsed_ms: exchange.elapsed_ms,
            received_at: exchange.received_at,
        }),
        refused: None,
    }
}

/// Records an exchange (its secrets scrubbed first: what is kept is what
/// is judged), tells the console, and wakes `finished` at the limit.
fn record(shared: &Shared, mut proxied: Proxied) {
    {
        let tokens = shared.tokens.lock().unwrap_or_else(|e| e.into_inner());
        crate::report::scrub_proxied(
            &mut proxied,
            &tokens.iter().map(String::as_str).collect::<Vec<_>>(),
        );
    }
    let contract = &shared.options.contract;
    let on_exchange = shared.options.on_exchange.clone();
    let line = {
        let marks = judge::marks(contract, &proxied);
        let mut records = shared.records.lock().unwrap_or_else(|e| e.into_inner());
        records.list.push(proxied);
        records.marks.push(marks);
        shared.count.store(records.list.len(), Ordering::SeqCst);
        // The console line judges the exchange with what its judgement
        // reads: the earlier attempts of its transaction, and the earlier
        // requests with the same body but for the key (a retry under a new
        // key). The report's verdict, unless an earlier attempt is still in
        // flight.
        on_exchange.as_ref().map(|_| {
            let n = records.list.len() - 1;
            // Only the related exchanges are taken under the lock; judging
            // happens after it is released.
            let this = records.list[n].clone();
            let (key, rest) = &records.marks[n];
            let same =
                |mine: &Option<String>, theirs: &Option<String>| mine.is_some() && mine == theirs;
            let mut by_key = 0;
            let mut by_rest = 0;
            let mut related: Vec<Proxied> = (0..n)
                .rev()
                .filter(|&j| records.list[j].seq < this.seq)
                .filter(|&j| {
                    let (k, r) = &records.marks[j];
                    let take_key = same(key, k) && by_key < CONSOLE_HISTORY;
                    let take_rest = same(rest, r) && by_rest < CONSOLE_HISTORY;
                    by_key += usize::from(take_key);
                    by_rest += usize::from(take_rest);
                    take_key || take_rest
                })
                .map(|j| records.list[j].clone())
                .collect();
            related.sort_by_key(|p| p.seq);
            related.push(this);
            related
        })
    };
    let line = line.map(|related| {
        let judged = judge_last(contract, &shared.options.known, &related);
        let this = related
            .into_iter()
            .last()
            .unwrap_or_else(|| unreachable!("pushed above"));
        case_report(contract, this, &judged)
    });
    shared.in_flight.fetch_sub(1, Ordering::SeqCst);
    if let (Some(hook), Some(case)) = (on_exchange, line) {
        shared
            .printed
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push((case_seq(&case), case.verdict));
        (hook.0)(&case);
    }
    shared.done.notify_waiters();
}
