//! The proxy's side of HTTP/1.1 towards the client: requests read as they
//! came (header names in their own case, the body's bytes), answers
//! written back as the upstream gave them. Parsing is httparse's; bodies
//! are framed by the transport's reader (`Content-Length` or chunked).

use tokio::io::{AsyncRead, AsyncWrite, AsyncWriteExt as _};

use crate::transport::http1::{Framing, fill, read_body};

/// The most bytes a request head may take.
pub const HEAD_CAP: usize = 64 * 1024;

/// The most headers a request may carry.
pub const HEADER_COUNT: usize = 100;

/// A request as received.
#[derive(Debug, Clone)]
pub struct RawRequest {
    /// The method.
    pub method: String,
    /// The request target (path and query).
    pub target: String,
    /// Header names as sent, and their values (`None` when not UTF-8).
    pub headers: Vec<(String, Option<String>)>,
    /// Header values as sent, byte for byte (what is forwarded).
    pub raw_headers: Vec<(String, Vec<u8>)>,
    /// The body.
    pub body: Vec<u8>,
    /// Whether the client asked to close the connection after the answer.
    pub close: bool,
}

/// Why no request could be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReadError {
    /// The connection ended (or idled out) between requests: nothing to answer.
    Closed,
    /// The body is longer than the cap.
    TooLarge,
    /// Not an HTTP/1.1 request.
    Bad(String),
}

/// Reads one request; `buf` keeps what follows it (a pipelined request).
pub async fn read_request(
    io: &mut (impl AsyncRead + AsyncWrite + Unpin),
    buf: &mut Vec<u8>,
    cap: usize,
) -> Result<RawRequest, ReadError> {
    let (method, target, version, raw_headers, len) = loop {
        let mut slots = [httparse::EMPTY_HEADER; HEADER_COUNT];
        let mut parsed = httparse::Request::new(&mut slots);
        match parsed.parse(buf) {
            Ok(httparse::Status::Complete(len)) => {
                let headers: Vec<(String, Vec<u8>)> = parsed
                    .headers
                    .iter()
                    .map(|h| (h.name.to_owned(), h.value.to_vec()))
                    .collect();
                break (
                    parsed.method.unwrap_or_default().to_owned(),
                    parsed.path.unwrap_or_default().to_owned(),
                    parsed.version.unwrap_or(1),
                    headers,
                    len,
                );
            }
            Ok(httparse::Status::Partial) => {}
            Err(e) => return Err(ReadError::Bad(format!("a malformed request head ({e})"))),
        }
        if buf.len() >= HEAD_CAP {
            return Err(ReadError::Bad(format!(
                "a request head over {HEAD_CAP} bytes"
            )));
        }
        let had = buf.len();
        match fill(io, buf, had + 1).await {
            Ok(true) => {}
            Ok(false) if buf.iter().all(u8::is_ascii_whitespace) => return Err(ReadError::Closed),
            Ok(false) => {
                return Err(ReadError::Bad(
                    "the connection closed in the middle of the request head".into(),
                ));
            }
            Err(_) => return Err(ReadError::Closed),
        }
    };
    buf.drain(..len);
    let headers: Vec<(String, Option<String>)> = raw_headers
        .iter()
        .map(|(n, v)| (n.clone(), std::str::from_utf8(v).ok().map(str::to_owned)))
        .collect();
    // Only a path (origin form) is forwarded: an absolute URL or CONNECT
    // would make the proxy a door to anywhere.
    if !target.starts_with('/') {
        return Err(ReadError::Bad(format!(
            "a request target of the form /path, not {:?}",
            crate::redact::shorten(&target, 80)
        )));
    }
    let lossy: Vec<(String, String)> = headers
        .iter()
        .map(|(n, v)| (n.clone(), v.clone().unwrap_or_default()))
        .collect();
    // Framing a proxy cannot read one way only: refused (RFC 9112
    // section 6.3), or a second request could hide in the first's body.
    fn named<'a>(
        headers: &'a [(String, String)],
        name: &'static str,
    ) -> impl Iterator<Item = &'a str> {
        headers
            .iter()
            .filter(move |(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.trim())
    }
    if named(&lossy, "transfer-encoding").next().is_some()
        && named(&lossy, "content-length").next().is_some()
    {
        return Err(ReadError::Bad(
            "both Transfer-Encoding and Content-Length".into(),
        ));
    }
    let mut lengths = named(&lossy, "content-length");
    if let Some(first) = lengths.next()
        && lengths.any(|other| other != first)
    {
        return Err(ReadError::Bad("two different Content-Length values".into()));
    }
    let value = |name: &str| {
        lossy
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.to_ascii_lowercase())
    };
    let connection = value("connection").unwrap_or_default();
    let close =
        connection.contains("close") || (version == 0 && !connection.contains("keep-alive"));
    let framing = Framing::of(&lossy, true).map_err(bad)?;
    if matches!(framing, Framing::Length(n) if n > cap) {
        return Err(ReadError::TooLarge);
    }
    if value("expect").is_some_and(|v| v == "100-continue") && framing != Framing::Empty {
        let _ = io.write_all(b"HTTP/1.1 100 Continue\r\n\r\n").await;
    }
    let (body, truncated) = read_body(io, buf, framing, cap, true).await.map_err(bad)?;
    if truncated {
        return Err(ReadError::TooLarge);
    }
    Ok(RawRequest {
        method,
        target,
        headers,
        raw_headers,
        body,
        close,
    })
}

/// A malformed request, said as the request's fault (not an answer's).
fn bad(e: crate::transport::TransportError) -> ReadError {
    ReadError::Bad(match e {
        crate::transport::TransportError::Broken { reason } => reason,
        other => other.to_string(),
    })
}

/// Headers that belong to one connection, not to the message: never
/// passed on (RFC 9110 section 7.6.1), and the framing, which the proxy
/// writes itself.
pub fn is_hop_by_hop(name: &str) -> bool {
    [
        "connection",
        "keep-alive",
        "proxy-connection",
        "transfer-encoding",
        "te",
        "trailer",
        "upgrade",
        "content-length",
        "host",
        "expect",
    ]
    .iter()
    .any(|h| name.eq_ignore_ascii_case(h))
}

/// Writes an answer: the status, the headers as given (hop-by-hop ones
/// left out), `Content-Length`, and `Connection: close` when closing.
pub async fn write_response(
    io: &mut (impl AsyncWrite + Unpin),
    status: u16,
    reason_phrase: Option<&str>,
    headers: &[(String, Vec<u8>)],
    body: &[u8],
    bodiless: bool,
    close: bool,
) -> std::io::Result<()> {
    let phrase = reason_phrase.unwrap_or_else(|| reason(status));
    let mut head = format!("HTTP/1.1 {status} {phrase}\r\n").into_bytes();
    // The upstream's own Content-Length stays where and as it was, when it
    // is the body's length (or the answer has no body: HEAD, 204, 304);
    // otherwise (a chunked answer) the proxy's.
    let length = body.len().to_string();
    let mut kept_length = false;
    for (name, value) in headers {
        let is_length = name.eq_ignore_ascii_case("content-length");
        let keep = is_length
            && !kept_length
            && (bodiless || String::from_utf8_lossy(value).trim() == length);
        if keep {
            kept_length = true;
        } else if is_hop_by_hop(name) {
            continue;
        }
        head.extend_from_slice(name.as_bytes());
        head.extend_from_slice(b": ");
        head.extend_from_slice(value);
        head.extend_from_slice(b"\r\n");
    }
    if !kept_length && !bodiless {
        head.extend_from_slice(format!("Content-Length: {length}\r\n").as_bytes());
    }
    if close {
        head.extend_from_slice(b"Connection: close\r\n");
    }
    head.extend_from_slice(b"\r\n");
    let mut bytes = head;
    bytes.extend_from_slice(body);
    io.write_all(&bytes).await?;
    io.flush().await
}

/// A reason phrase (clients ignore it; RFC 9112 section 4).
fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        413 => "Content Too Large",
        429 => "Too Many Requests",
        500 => "Internal Server Error",
        502 => "Bad Gateway",
        504 => "Gateway Timeout",
        _ => "",
    }
}
