//! Sending a request and keeping everything about the answer: the exchange.
//!
//! Two ways to send, one record:
//!
//! - [`Transport::exact`] (the server suite): each request on a connection
//!   of its own, written byte for byte as built, header names as the API
//!   text prints them (`http1.rs`, answers parsed with `httparse`);
//! - [`Transport::library`] (the reference client): reqwest, as a typical
//!   client library sends (header names in lower case, pooled connections).
//!
//! Both use rustls (ring) and the same trust ([`tls::Trust`]): the system's
//! roots, a bundle (CAs, or a self-signed certificate pinned as is), or
//! `--insecure`. The HTTP timeout bounds the whole exchange and sits above
//! the API's expected timeout, so a late answer is measured, not lost, and a
//! server that drips its answer cannot hold the run. Bodies are read up to
//! a cap; a transport failure is data, not a panic.

pub(crate) mod http1;
pub mod tls;

use std::sync::Arc;
use std::time::{Duration, Instant};

use serde::Serialize;

pub use tls::Trust;

use crate::wire::SignedRequest;

/// How long a TCP connection may take to open.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// The largest response body read, in bytes; the rest is dropped and noted.
pub const BODY_CAP: usize = 1024 * 1024;

/// Why a request got no HTTP answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum TransportError {
    /// The connection could not be made.
    Connect {
        /// The reason.
        reason: String,
    },
    /// The TLS handshake failed: the reason and what to try.
    Tls {
        /// The reason, with the remedy.
        reason: String,
    },
    /// No answer within the HTTP timeout.
    Timeout {
        /// The timeout in milliseconds.
        after_ms: u64,
    },
    /// The connection broke, or the answer was not HTTP.
    Broken {
        /// The reason.
        reason: String,
    },
}

impl std::fmt::Display for TransportError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            TransportError::Connect { reason } => write!(f, "cannot connect: {reason}"),
            TransportError::Tls { reason } => write!(f, "TLS failed: {reason}"),
            TransportError::Timeout { after_ms } => write!(f, "no answer within {after_ms} ms"),
            TransportError::Broken { reason } => write!(f, "no valid HTTP answer: {reason}"),
        }
    }
}

/// An HTTP answer as received.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct Received {
    /// HTTP status.
    pub status: u16,
    /// The reason phrase, as received.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub reason: String,
    /// Headers, names as received; a value that is not UTF-8 is shown lossily.
    pub headers: Vec<(String, String)>,
    /// Header values byte for byte (what a proxy passes on); not kept in
    /// reports, where `headers` shows them.
    #[serde(skip)]
    pub raw_headers: Vec<(String, Vec<u8>)>,
    /// The body, up to [`BODY_CAP`] bytes.
    #[serde(with = "crate::evidence::bytes")]
    pub body: Vec<u8>,
    /// Whether the body was longer than the cap.
    pub truncated: bool,
}

impl Received {
    /// The first value of a header.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// One request and what came of it.
#[derive(Debug, Clone, Serialize)]
pub struct Exchange {
    /// The request, redacted.
    pub request: RequestRecord,
    /// The answer, or why there was none.
    pub outcome: Result<Received, TransportError>,
    /// Milliseconds from sending to the end of the answer.
    pub elapsed_ms: u64,
    /// The harness's wall clock at the end of the answer.
    #[serde(with = "time::serde::rfc3339")]
    pub received_at: time::OffsetDateTime,
}

/// A request as reports show it: token and signature shortened.
#[derive(Debug, Clone, Serialize)]
pub struct RequestRecord {
    /// Method.
    pub method: String,
    /// URL.
    pub url: String,
    /// Headers, redacted.
    pub headers: Vec<(String, String)>,
    /// Body, as text.
    pub body: String,
}

/// Why a client could not be made.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ClientError {
    /// The CA bundle could not be read.
    #[error("--ca-bundle {path}: {reason}")]
    CaBundle {
        /// The file.
        path: String,
        /// Why.
        reason: String,
    },
    /// reqwest refused the configuration.
    #[error("cannot make the HTTP client: {0}")]
    Build(String),
}

/// An HTTP client for one run.
#[derive(Debug, Clone)]
pub struct Transport {
    backend: Backend,
    timeout: Duration,
}

#[derive(Debug, Clone)]
enum Backend {
    Exact(Arc<rustls::ClientConfig>),
    Library(reqwest::Client),
}

fn install_crypto_provider() {
    // Fails only when a provider is already installed, which is fine.
    let _ = rustls::crypto::ring::default_provider().install_default();
}

impl Transport {
    /// The server suite's transport: every request on its own connection,
    /// written exactly as built, within `timeout` from connect to the last
    /// byte of the answer.
    pub fn exact(timeout: Duration, trust: &Trust) -> Result<Transport, ClientError> {
        install_crypto_provider();
        Ok(Transport {
            backend: Backend::Exact(tls::client_config(trust)?),
            timeout,
        })
    }

    /// A typical client library's transport (reqwest): what the reference
    /// client sends with.
    pub fn library(timeout: Duration, trust: &Trust) -> Result<Transport, ClientError> {
        install_crypto_provider();
        let config = (*tls::client_config(trust)?).clone();
        let client = reqwest::Client::builder()
            .timeout(timeout)
            .connect_timeout(CONNECT_TIMEOUT)
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("cdm-conformance/", env!("CARGO_PKG_VERSION")))
            .tls_backend_preconfigured(config)
            .build()
            .map_err(|e| ClientError::Build(e.to_string()))?;
        Ok(Transport {
            backend: Backend::Library(client),
            timeout,
        })
    }

    /// Sends `request` to `base_url` + its path and records the exchange.
    pub async fn send(&self, base_url: &str, request: &SignedRequest) -> Exchange {
        let url = format!("{}{}", base_url.trim_end_matches('/'), request.path);
        let shown = request.redacted();
        let record = RequestRecord {
            method: request.method.clone(),
            url: url.clone(),
            headers: shown.headers,
            body: String::from_utf8_lossy(&request.body).into_owned(),
        };
        let started = Instant::now();
        let outcome = match &self.backend {
            Backend::Exact(config) => self.timed(http1::exchange(config, &url, request)).await,
            Backend::Library(client) => self.library_exchange(client, &url, request).await,
        };
        Exchange {
            request: record,
            outcome,
            elapsed_ms: started.elapsed().as_millis() as u64,
            received_at: time::OffsetDateTime::now_utc(),
        }
    }

    /// An exchange of the exact transport, within the HTTP timeout.
    async fn timed(
        &self,
        exchange: impl std::future::Future<Output = Result<Received, TransportError>>,
    ) -> Result<Received, TransportError> {
        tokio::time::timeout(self.timeout, exchange)
            .await
            .unwrap_or(Err(TransportError::Timeout {
                after_ms: self.timeout.as_millis() as u64,
            }))
    }

    /// Forwards a request as it came: `target` (path and query, never
    /// normalised) appended to `base_url`'s path, header values as bytes.
    /// The exact transport only (a proxy's).
    pub async fn forward(
        &self,
        base_url: &str,
        target: &str,
        method: &str,
        headers: &[(String, Vec<u8>)],
        body: &[u8],
    ) -> Exchange {
        let record = RequestRecord {
            method: method.to_owned(),
            url: format!("{}{target}", base_url.trim_end_matches('/')),
            headers: headers
                .iter()
                .map(|(n, v)| {
                    (
                        n.clone(),
                        crate::redact::header(n, &String::from_utf8_lossy(v)),
                    )
                })
                .collect(),
            body: String::from_utf8_lossy(body).into_owned(),
        };
        let started = Instant::now();
        let outgoing = http1::Outgoing {
            method,
            headers: headers
                .iter()
                .map(|(n, v)| (n.as_str(), v.as_slice()))
                .collect(),
            body,
        };
        let outcome = match (&self.backend, url::Url::parse(base_url)) {
            (_, Err(e)) => Err(TransportError::Broken {
                reason: format!("{base_url:?}: {e}"),
            }),
            (Backend::Library(_), _) => Err(TransportError::Broken {
                reason: "forwarding needs the exact transport".into(),
            }),
            (Backend::Exact(config), Ok(base)) => {
                let full = format!("{}{target}", base.path().trim_end_matches('/'));
                self.timed(http1::exchange_to(config, &base, full, &outgoing))
                    .await
            }
        };
        Exchange {
            request: record,
            outcome,
            elapsed_ms: started.elapsed().as_millis() as u64,
            received_at: time::OffsetDateTime::now_utc(),
        }
    }

    async fn library_exchange(
        &self,
        client: &reqwest::Client,
        url: &str,
        request: &SignedRequest,
    ) -> Result<Received, TransportError> {
        let method = reqwest::Method::from_bytes(request.method.as_bytes()).map_err(|e| {
            TransportError::Broken {
                reason: e.to_string(),
            }
        })?;
        let mut builder = client.request(method, url).body(request.body.clone());
        for (name, value) in &request.headers {
            builder = builder.header(name.as_str(), value.as_str());
        }
        let mut response = builder.send().await.map_err(|e| self.classify(&e))?;
        let status = response.status().as_u16();
        let headers = response
            .headers()
            .iter()
            .map(|(n, v)| {
                (
                    n.as_str().to_owned(),
                    String::from_utf8_lossy(v.as_bytes()).into_owned(),
                )
            })
            .collect();
        let mut body = Vec::new();
        let mut truncated = false;
        loop {
            match response.chunk().await {
                Ok(Some(chunk)) => {
                    let room = BODY_CAP - body.len();
                    if chunk.len() > room {
                        body.extend_from_slice(&chunk[..room]);
                        truncated = true;
                        break;
                    }
                    body.extend_from_slice(&chunk);
                }
                Ok(None) => break,
                Err(e) => return Err(self.classify(&e)),
            }
        }
        Ok(Received {
            status,
            reason: String::new(),
            raw_headers: vec![],
            headers,
            body,
            truncated,
        })
    }

    fn classify(&self, e: &reqwest::Error) -> TransportError {
        let mut reason = e.to_string();
        let mut source = std::error::Error::source(e);
        while let Some(s) = source {
            reason = format!("{reason}: {s}");
            source = s.source();
        }
        // A connect timeout sets both flags: it is a failure to connect.
        if e.is_connect() {
            TransportError::Connect { reason }
        } else if e.is_timeout() {
            TransportError::Timeout {
                after_ms: self.timeout.as_millis() as u64,
            }
        } else {
            TransportError::Broken { reason }
        }
    }
}
