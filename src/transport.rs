//! Sending a request and keeping everything about the answer: the exchange.
//!
//! Built on reqwest with rustls (ring). The HTTP timeout sits above the
//! API's 8 s expected timeout, so a late answer is measured, not lost. Bodies
//! are read up to a cap; a transport failure is data, not a panic.

use std::path::Path;
use std::time::{Duration, Instant};

use serde::Serialize;

use crate::wire::SignedRequest;

/// The largest response body read, in bytes; the rest is dropped and noted.
pub const BODY_CAP: usize = 1024 * 1024;

/// Why a request got no HTTP answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum TransportError {
    /// The connection could not be made.
    Connect {
        /// The reason.
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
            TransportError::Timeout { after_ms } => write!(f, "no answer within {after_ms} ms"),
            TransportError::Broken { reason } => write!(f, "no valid HTTP answer: {reason}"),
        }
    }
}

/// An HTTP answer as received.
#[derive(Debug, Clone, Serialize)]
pub struct Received {
    /// HTTP status.
    pub status: u16,
    /// Headers, names lower case; a value that is not UTF-8 is shown lossily.
    pub headers: Vec<(String, String)>,
    /// The body, up to [`BODY_CAP`] bytes.
    #[serde(serialize_with = "lossy")]
    pub body: Vec<u8>,
    /// Whether the body was longer than the cap.
    pub truncated: bool,
}

fn lossy<S: serde::Serializer>(body: &[u8], s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&String::from_utf8_lossy(body))
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
    client: reqwest::Client,
    timeout: Duration,
}

fn install_crypto_provider() {
    // Fails only when a provider is already installed, which is fine.
    let _ = rustls::crypto::ring::default_provider().install_default();
}

impl Transport {
    /// A client with this HTTP timeout and an optional private CA bundle (PEM).
    pub fn new(timeout: Duration, ca_bundle: Option<&Path>) -> Result<Transport, ClientError> {
        install_crypto_provider();
        let mut builder = reqwest::Client::builder()
            .timeout(timeout)
            .connect_timeout(Duration::from_secs(10))
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("cdm-conformance/", env!("CARGO_PKG_VERSION")));
        if let Some(path) = ca_bundle {
            let pem = std::fs::read(path).map_err(|e| ClientError::CaBundle {
                path: path.display().to_string(),
                reason: crate::wire::signature::io_reason(&e),
            })?;
            let certs =
                reqwest::Certificate::from_pem_bundle(&pem).map_err(|e| ClientError::CaBundle {
                    path: path.display().to_string(),
                    reason: e.to_string(),
                })?;
            if certs.is_empty() {
                return Err(ClientError::CaBundle {
                    path: path.display().to_string(),
                    reason: "no PEM certificate in the file".into(),
                });
            }
            for cert in certs {
                builder = builder.add_root_certificate(cert);
            }
        }
        let client = builder
            .build()
            .map_err(|e| ClientError::Build(e.to_string()))?;
        Ok(Transport { client, timeout })
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
        let outcome = self.exchange(&url, request).await;
        Exchange {
            request: record,
            outcome,
            elapsed_ms: started.elapsed().as_millis() as u64,
        }
    }

    async fn exchange(
        &self,
        url: &str,
        request: &SignedRequest,
    ) -> Result<Received, TransportError> {
        let method = reqwest::Method::from_bytes(request.method.as_bytes()).map_err(|e| {
            TransportError::Broken {
                reason: e.to_string(),
            }
        })?;
        let mut builder = self.client.request(method, url).body(request.body.clone());
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
