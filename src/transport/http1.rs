//! One HTTP/1.1 exchange on its own connection, the request written byte for
//! byte as built: header names keep the spelling of the API text
//! (`X-TIMESTAMP`, not `x-timestamp`), which no HTTP library of the
//! ecosystem lets a caller choose. The answer is parsed with `httparse`.
//!
//! Each request opens its own connection and closes it (`Connection:
//! close`): a probe that leaves a connection in an unknown state (a body
//! the server does not read, a malformed request) can never change the
//! answer to another case. An HTTP proxy from the environment is used for
//! hosts that are not on this machine (`HTTPS_PROXY` by CONNECT,
//! `HTTP_PROXY` by absolute-form, `NO_PROXY` honoured).

use std::sync::Arc;

use rustls::ClientConfig;
use rustls::pki_types::ServerName;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpStream;

use super::{BODY_CAP, Received, TransportError};
use crate::wire::SignedRequest;

/// The largest response head read, in bytes.
const HEAD_CAP: usize = 64 * 1024;

trait Io: AsyncRead + AsyncWrite + Unpin + Send {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send> Io for T {}

pub(crate) fn broken(reason: impl Into<String>) -> TransportError {
    TransportError::Broken {
        reason: reason.into(),
    }
}

fn io_reason(e: &std::io::Error) -> String {
    crate::wire::signature::io_reason(e)
}

/// Where a URL's host is reached, and how it is named.
struct Endpoint {
    https: bool,
    host: String,
    port: u16,
}

impl Endpoint {
    fn of(url: &url::Url) -> Result<Endpoint, TransportError> {
        let host = url
            .host_str()
            .ok_or_else(|| broken(format!("{url} has no host")))?
            .trim_start_matches('[')
            .trim_end_matches(']')
            .to_owned();
        let port = url
            .port_or_known_default()
            .ok_or_else(|| broken(format!("{url} has no port")))?;
        Ok(Endpoint {
            https: url.scheme() == "https",
            host,
            port,
        })
    }

    /// `host` or `host:port` for the Host header.
    fn authority(&self) -> String {
        let host = if self.host.contains(':') {
            format!("[{}]", self.host)
        } else {
            self.host.clone()
        };
        match (self.https, self.port) {
            (true, 443) | (false, 80) => host,
            _ => format!("{host}:{}", self.port),
        }
    }

    fn is_local(&self) -> bool {
        self.host == "localhost"
            || self
                .host
                .parse::<std::net::IpAddr>()
                .is_ok_and(|ip| ip.is_loopback())
    }
}

fn env_any(names: &[&str]) -> Option<String> {
    names
        .iter()
        .find_map(|n| std::env::var(n).ok())
        .filter(|v| !v.trim().is_empty())
}

/// The proxy to use for `target`, if the environment names one.
fn proxy_for(target: &Endpoint) -> Option<url::Url> {
    if target.is_local() {
        return None;
    }
    if let Some(no_proxy) = env_any(&["NO_PROXY", "no_proxy"]) {
        let bypass = no_proxy.split(',').map(str::trim).any(|n| {
            n == "*" || {
                let n = n.trim_start_matches('.');
                !n.is_empty() && (target.host == n || target.host.ends_with(&format!(".{n}")))
            }
        });
        if bypass {
            return None;
        }
    }
    let names: &[&str] = if target.https {
        &["HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy"]
    } else {
        &["HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy"]
    };
    let raw = env_any(names)?;
    let raw = if raw.contains("://") {
        raw
    } else {
        format!("http://{raw}")
    };
    url::Url::parse(&raw).ok()
}

/// A proxy as messages show it: scheme, host and port, never a password.
fn shown(proxy: &url::Url) -> String {
    format!(
        "{}://{}:{}",
        proxy.scheme(),
        proxy.host_str().unwrap_or_default(),
        proxy.port_or_known_default().unwrap_or(0)
    )
}

async fn connect(endpoint: &Endpoint) -> Result<TcpStream, TransportError> {
    let stream = tokio::time::timeout(
        super::CONNECT_TIMEOUT,
        TcpStream::connect((endpoint.host.as_str(), endpoint.port)),
    )
    .await
    .map_err(|_| TransportError::Connect {
        reason: format!(
            "no connection to {}:{} within {} s",
            endpoint.host,
            endpoint.port,
            super::CONNECT_TIMEOUT.as_secs()
        ),
    })?
    .map_err(|e| TransportError::Connect {
        reason: format!("{}:{}: {}", endpoint.host, endpoint.port, io_reason(&e)),
    })?;
    let _ = stream.set_nodelay(true);
    Ok(stream)
}

/// A response head: status, reason phrase, headers, and its length in bytes.
struct Head {
    status: u16,
    reason: String,
    headers: Vec<(String, String)>,
    raw_headers: Vec<(String, Vec<u8>)>,
    len: usize,
}

/// Reads a response head.
async fn read_head(
    io: &mut (impl AsyncRead + Unpin),
    buf: &mut Vec<u8>,
) -> Result<Head, TransportError> {
    loop {
        let mut headers = [httparse::EMPTY_HEADER; 128];
        let mut response = httparse::Response::new(&mut headers);
        match response.parse(buf) {
            Ok(httparse::Status::Complete(len)) => {
                let status = response.code.unwrap_or(0);
                let reason = response.reason.unwrap_or_default().to_owned();
                let raw_headers = response
                    .headers
                    .iter()
                    .map(|h| (h.name.to_owned(), h.value.to_vec()))
                    .collect();
                let headers = response
                    .headers
                    .iter()
                    .map(|h| {
                        (
                            h.name.to_owned(),
                            String::from_utf8_lossy(h.value).into_owned(),
                        )
                    })
                    .collect();
                return Ok(Head {
                    status,
                    reason,
                    headers,
                    raw_headers,
                    len,
                });
            }
            Ok(httparse::Status::Partial) => {}
            Err(e) => {
                let head: String = String::from_utf8_lossy(&buf[..buf.len().min(60)])
                    .chars()
                    .collect();
                return Err(broken(if buf.starts_with(b"HTTP/") {
                    format!("a malformed HTTP answer ({e}): {head:?}")
                } else {
                    format!("the answer is not HTTP ({e}): {head:?}")
                }));
            }
        }
        if buf.len() >= HEAD_CAP {
            return Err(broken(format!("a response head over {HEAD_CAP} bytes")));
        }
        let had = buf.len();
        if !fill(io, buf, had + 1).await? {
            return Err(broken(if buf.is_empty() {
                "the connection closed without an answer".to_owned()
            } else {
                "the connection closed in the middle of the response head".to_owned()
            }));
        }
    }
}

/// Reads until `buf` holds at least `want` bytes; false at the end of the stream.
pub(crate) async fn fill(
    io: &mut (impl AsyncRead + Unpin),
    buf: &mut Vec<u8>,
    want: usize,
) -> Result<bool, TransportError> {
    while buf.len() < want {
        let mut chunk = [0u8; 8192];
        let n = io
            .read(&mut chunk)
            .await
            .map_err(|e| broken(io_reason(&e)))?;
        if n == 0 {
            return Ok(false);
        }
        buf.extend_from_slice(&chunk[..n]);
    }
    Ok(true)
}

fn header<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
    headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
}

/// How a message's body is delimited (RFC 9112 section 6).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Framing {
    /// `Transfer-Encoding: chunked`.
    Chunked,
    /// `Content-Length`.
    Length(usize),
    /// A response with neither: until the connection closes.
    UntilClose,
    /// A request with neither: no body.
    Empty,
}

impl Framing {
    /// The framing of a message with these headers; `request` for a
    /// request (no length means no body).
    pub(crate) fn of(
        headers: &[(String, String)],
        request: bool,
    ) -> Result<Framing, TransportError> {
        let chunked = header(headers, "transfer-encoding")
            .is_some_and(|v| v.to_ascii_lowercase().contains("chunked"));
        if chunked {
            return Ok(Framing::Chunked);
        }
        match header(headers, "content-length") {
            Some(len) => len
                .trim()
                .parse()
                .map(Framing::Length)
                .map_err(|_| broken(format!("Content-Length {len:?} is not a number"))),
            None if request => Ok(Framing::Empty),
            None => Ok(Framing::UntilClose),
        }
    }
}

/// Reads a body of this framing from `buf` and then `io`, up to `cap`
/// bytes: `(body, truncated)`. What follows the body stays in `buf` (the
/// next message on a kept-alive connection); after a truncated body the
/// connection is of no further use. `exact_end`: read through the end of
/// a chunked body's trailer section (for a connection that goes on); a
/// response on a connection that closes stops at its last chunk.
pub(crate) async fn read_body(
    io: &mut (impl AsyncRead + Unpin),
    buf: &mut Vec<u8>,
    framing: Framing,
    cap: usize,
    exact_end: bool,
) -> Result<(Vec<u8>, bool), TransportError> {
    match framing {
        Framing::Empty => Ok((Vec::new(), false)),
        Framing::Chunked => {
            let mut body = Vec::new();
            loop {
                let (start, size) = loop {
                    match httparse::parse_chunk_size(buf) {
                        Ok(httparse::Status::Complete((start, size))) => break (start, size),
                        Ok(httparse::Status::Partial) => {
                            let want = buf.len() + 1;
                            if buf.len() > 1024 || !fill(io, buf, want).await? {
                                return Err(broken(
                                    "the chunked body ended without its last chunk",
                                ));
                            }
                        }
                        Err(_) => return Err(broken("a malformed chunk size in the body")),
                    }
                };
                if size == 0 && !exact_end {
                    return Ok((body, false));
                }
                if size == 0 {
                    // The last chunk, then (trailers and) an empty line:
                    // consumed, so that the next message starts clean.
                    let mut at = start;
                    loop {
                        match buf[at..].windows(2).position(|w| w == b"\r\n") {
                            Some(0) => {
                                buf.drain(..at + 2);
                                return Ok((body, false));
                            }
                            Some(line) => at += line + 2,
                            None => {
                                let want = buf.len() + 1;
                                if buf.len() > 8192 || !fill(io, buf, want).await? {
                                    return Err(broken(
                                        "the chunked body's trailer section never ended",
                                    ));
                                }
                            }
                        }
                    }
                }
                let size = usize::try_from(size).unwrap_or(usize::MAX);
                let end = start.saturating_add(size);
                let room = cap - body.len();
                if size > room {
                    let want = start + room;
                    fill(io, buf, want).await?;
                    let take = buf.len().min(want) - start;
                    body.extend_from_slice(&buf[start..start + take]);
                    return Ok((body, true));
                }
                if !fill(io, buf, end.saturating_add(2)).await? {
                    return Err(broken("the chunked body ended in the middle of a chunk"));
                }
                if &buf[end..end + 2] != b"\r\n" {
                    return Err(broken("a chunk not followed by CRLF"));
                }
                body.extend_from_slice(&buf[start..end]);
                buf.drain(..end + 2);
            }
        }
        Framing::Length(len) => {
            let want = len.min(cap);
            if !fill(io, buf, want).await? {
                return Err(broken(format!(
                    "the body ended after {} of its {len} bytes",
                    buf.len()
                )));
            }
            let body: Vec<u8> = buf.drain(..want).collect();
            Ok((body, len > cap))
        }
        Framing::UntilClose => {
            // Until the connection closes, within the cap.
            let complete = !fill(io, buf, cap + 1).await?;
            let truncated = !complete && buf.len() > cap;
            let mut body = std::mem::take(buf);
            body.truncate(cap);
            Ok((body, truncated))
        }
    }
}

/// The request's bytes: exactly the headers as built, plus `Host`,
/// `Content-Length` and `Connection: close`.
fn request_bytes(request: &Outgoing, target: &str, authority: &str) -> Vec<u8> {
    let mut bytes = format!(
        "{} {target} HTTP/1.1\r\nHost: {authority}\r\n",
        request.method
    )
    .into_bytes();
    for (name, value) in &request.headers {
        bytes.extend_from_slice(name.as_bytes());
        bytes.extend_from_slice(b": ");
        bytes.extend_from_slice(value);
        bytes.extend_from_slice(b"\r\n");
    }
    bytes.extend_from_slice(
        format!(
            "Content-Length: {}\r\nConnection: close\r\n\r\n",
            request.body.len()
        )
        .as_bytes(),
    );
    bytes.extend_from_slice(request.body);
    bytes
}

/// A request as it goes on the wire: header values as bytes (a proxy
/// passes on what is not UTF-8 as it came).
pub(crate) struct Outgoing<'a> {
    /// The method.
    pub method: &'a str,
    /// Header names and values, in order.
    pub headers: Vec<(&'a str, &'a [u8])>,
    /// The body.
    pub body: &'a [u8],
}

impl<'a> From<&'a SignedRequest> for Outgoing<'a> {
    fn from(r: &'a SignedRequest) -> Outgoing<'a> {
        Outgoing {
            method: &r.method,
            headers: r
                .headers
                .iter()
                .map(|(n, v)| (n.as_str(), v.as_bytes()))
                .collect(),
            body: &r.body,
        }
    }
}

async fn tls(
    config: &Arc<ClientConfig>,
    stream: Box<dyn Io>,
    endpoint: &Endpoint,
) -> Result<Box<dyn Io>, TransportError> {
    let name =
        ServerName::try_from(endpoint.host.clone()).map_err(|e| TransportError::Connect {
            reason: format!("{}: {e}", endpoint.host),
        })?;
    let connector = tokio_rustls::TlsConnector::from(config.clone());
    match connector.connect(name, stream).await {
        Ok(s) => Ok(Box::new(s)),
        Err(e) => {
            let rustls_error = e
                .get_ref()
                .and_then(|inner| inner.downcast_ref::<rustls::Error>())
                .cloned();
            Err(TransportError::Tls {
                reason: match rustls_error {
                    Some(r) => super::tls::explain(&r, &endpoint.host),
                    None => io_reason(&e),
                },
            })
        }
    }
}

/// Opens a connection for `url`'s host (through a proxy when the
/// environment names one) and, for `https`, makes TLS on it.
async fn open(
    config: &Arc<ClientConfig>,
    endpoint: &Endpoint,
) -> Result<(Box<dyn Io>, Option<url::Url>), TransportError> {
    let proxy = proxy_for(endpoint);
    let Some(proxy_url) = proxy else {
        let stream: Box<dyn Io> = Box::new(connect(endpoint).await?);
        return Ok(match endpoint.https {
            true => (tls(config, stream, endpoint).await?, None),
            false => (stream, None),
        });
    };
    if proxy_url.scheme() != "http" {
        return Err(TransportError::Connect {
            reason: format!(
                "the proxy {} from the environment is not an http:// proxy, the only kind supported (set NO_PROXY for this host to go direct)",
                shown(&proxy_url)
            ),
        });
    }
    let via = Endpoint::of(&proxy_url)?;
    let mut stream = connect(&via).await?;
    if !endpoint.https {
        return Ok((Box::new(stream), Some(proxy_url)));
    }
    let host = match endpoint.host.contains(':') {
        true => format!("[{}]", endpoint.host),
        false => endpoint.host.clone(),
    };
    let authority = format!("{host}:{}", endpoint.port);
    let mut connect = format!("CONNECT {authority} HTTP/1.1\r\nHost: {authority}\r\n");
    if !proxy_url.username().is_empty() {
        use base64::Engine as _;
        let user = format!(
            "{}:{}",
            proxy_url.username(),
            proxy_url.password().unwrap_or_default()
        );
        connect.push_str(&format!(
            "Proxy-Authorization: Basic {}\r\n",
            base64::engine::general_purpose::STANDARD.encode(user)
        ));
    }
    connect.push_str("\r\n");
    stream
        .write_all(connect.as_bytes())
        .await
        .map_err(|e| TransportError::Connect {
            reason: format!("proxy {}: {}", shown(&proxy_url), io_reason(&e)),
        })?;
    let mut buf = Vec::new();
    let status = read_head(&mut stream, &mut buf).await?.status;
    if !(200..300).contains(&status) {
        return Err(TransportError::Connect {
            reason: format!(
                "proxy {} refused CONNECT {authority}: HTTP {status}",
                shown(&proxy_url)
            ),
        });
    }
    Ok((tls(config, Box::new(stream), endpoint).await?, None))
}

/// Sends `request` to `url` on a connection of its own and reads the answer.
pub(super) async fn exchange(
    config: &Arc<ClientConfig>,
    url: &str,
    request: &SignedRequest,
) -> Result<Received, TransportError> {
    let parsed = url::Url::parse(url).map_err(|e| broken(format!("{url:?}: {e}")))?;
    let mut target = parsed.path().to_owned();
    if let Some(q) = parsed.query() {
        target = format!("{target}?{q}");
    }
    exchange_to(config, &parsed, target, &Outgoing::from(request)).await
}

/// Sends `request` for `target` (as it is, never normalised) to the
/// origin of `base` on a connection of its own and reads the answer.
pub(crate) async fn exchange_to(
    config: &Arc<ClientConfig>,
    base: &url::Url,
    mut target: String,
    request: &Outgoing<'_>,
) -> Result<Received, TransportError> {
    let parsed = base;
    let endpoint = Endpoint::of(parsed)?;
    let (mut io, absolute) = open(config, &endpoint).await?;
    if absolute.is_some() {
        target = format!("{}://{}{target}", parsed.scheme(), endpoint.authority());
    }
    let bytes = request_bytes(request, &target, &endpoint.authority());
    io.write_all(&bytes).await.map_err(|e| {
        broken(format!(
            "the request could not be written: {}",
            io_reason(&e)
        ))
    })?;
    io.flush().await.map_err(|e| broken(io_reason(&e)))?;
    let mut buf = Vec::new();
    loop {
        let Head {
            status,
            reason,
            headers,
            raw_headers,
            len,
        } = read_head(&mut io, &mut buf).await?;
        buf.drain(..len);
        // Interim answers (100 Continue...) precede the real one.
        if status == 101 {
            return Err(broken(
                "HTTP 101: the server switched protocols instead of answering",
            ));
        }
        if (100..200).contains(&status) {
            continue;
        }
        let no_body = request.method.eq_ignore_ascii_case("HEAD") || status == 204 || status == 304;
        let (body, truncated) = match no_body {
            true => (Vec::new(), false),
            false => {
                let framing = Framing::of(&headers, false)?;
                read_body(&mut io, &mut buf, framing, BODY_CAP, false).await?
            }
        };
        return Ok(Received {
            status,
            reason,
            raw_headers,
            headers,
            body,
            truncated,
        });
    }
}
