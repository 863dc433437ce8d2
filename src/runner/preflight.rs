//! One valid request before the suite: setup mistakes are the operator's,
//! never the server's.
//!
//! When the answer points at the setup (the key pair, client key, partner
//! id, token or clock; the merchant; the base URL or path; TLS; the
//! address), the run stops before any case with one line naming the likely
//! cause. No complete answer within the timeout stops it too: a server that
//! is down or drips its answer has nothing to judge, and every case would
//! wait the timeout. Any other answer, a malformed or unexpected one
//! included (a 5xx page too), is the server's to answer for: the suite runs
//! and judges it. `--no-preflight` judges every case regardless.

use super::suite::Target;
use crate::rules::response::parse_response;
use crate::transport::{Exchange, TransportError};

/// Why the run cannot be made: the operator's setup, named.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SetupError {
    /// No connection at all.
    #[error("cannot reach {target}: {reason}; check the address in --base-url")]
    Address {
        /// The base URL.
        target: String,
        /// Why.
        reason: String,
    },
    /// No answer within the HTTP timeout.
    #[error(
        "no complete answer from {target} within {after_ms} ms: the server is down, overloaded or holds its answer, so no case can be judged (check the address in --base-url; --no-preflight runs every case regardless)"
    )]
    NoAnswer {
        /// The base URL.
        target: String,
        /// The timeout.
        after_ms: u64,
    },
    /// TLS failed.
    #[error("TLS with {target} failed: {reason}")]
    Tls {
        /// The base URL.
        target: String,
        /// The reason and what to try.
        reason: String,
    },
    /// The answer was not the API's (not HTTP, another path, a web page).
    #[error(
        "{seen} from {url}: not this API; check the base URL and its path prefix (the suite appends {path} to --base-url)"
    )]
    Path {
        /// The full URL asked.
        url: String,
        /// What came back.
        seen: String,
        /// The endpoint path.
        path: String,
    },
    /// The credentials or key were refused.
    #[error(
        "the server refused the credentials: {answer}; check the key pair (--private-key must be the partner key whose public half the server holds), the client key (the signed text is {signed}, the timestamp exactly as sent), --partner-id, the access token, and this machine's clock (the timestamp is now in Jakarta time)"
    )]
    Credentials {
        /// The code and message.
        answer: String,
        /// The form of the signed text: `CLIENT_KEY|X-TIMESTAMP`.
        signed: String,
    },
    /// The merchant was refused.
    #[error("the server does not know merchant {merchant:?}: {answer}; check --merchant-id")]
    Merchant {
        /// The merchant id sent.
        merchant: String,
        /// The code and message.
        answer: String,
    },
}

/// Judges the preflight's exchange: `Ok` when the suite should run.
pub fn judge(target: &Target, exchange: &Exchange) -> Result<(), SetupError> {
    let contract = &target.contract;
    let spec = &contract.spec;
    let base = target.base_url.clone();
    let received = match &exchange.outcome {
        Ok(r) => r,
        Err(TransportError::Connect { reason }) => {
            return Err(SetupError::Address {
                target: base,
                reason: reason.clone(),
            });
        }
        Err(TransportError::Tls { reason }) => {
            return Err(SetupError::Tls {
                target: base,
                reason: reason.clone(),
            });
        }
        Err(TransportError::Timeout { after_ms }) => {
            return Err(SetupError::NoAnswer {
                target: base,
                after_ms: *after_ms,
            });
        }
        Err(TransportError::Broken { reason }) if !reason.contains("not HTTP") => return Ok(()),
        Err(TransportError::Broken { reason }) => {
            return Err(SetupError::Path {
                url: exchange.request.url.clone(),
                seen: format!("no HTTP answer ({reason}; an https:// server asked with http://?)"),
                path: spec.endpoint.path.clone(),
            });
        }
    };
    let parsed = parse_response(spec, received);
    let code = parsed.as_ref().ok().and_then(|p| p.code);
    // The server's words, with the token it may echo shortened.
    let token = &target.credentials.access_token;
    let answer = || {
        let text = crate::rules::response::code_and_message(spec, &parsed);
        match token.len() >= 4 {
            true => text.replace(token.as_str(), &crate::redact::token(token)),
            false => text,
        }
    };
    let refusals = &spec.interpretations.simulator;
    match code {
        Some(c) if c == refusals.unauthorized || c == refusals.invalid_token => {
            let timestamp = contract
                .header(crate::spec::HeaderFormat::JakartaTimestamp)
                .unwrap_or("TIMESTAMP");
            return Err(SetupError::Credentials {
                answer: answer(),
                signed: contract.signing_text("CLIENT_KEY", timestamp),
            });
        }
        Some(c) if c == refusals.invalid_merchant => {
            return Err(SetupError::Merchant {
                merchant: target.credentials.merchant_id.clone(),
                answer: answer(),
            });
        }
        Some(c) if spec.response_code(c.as_str()).is_some() => return Ok(()),
        _ => {}
    }
    let content_type = received
        .header("content-type")
        .unwrap_or_default()
        .to_ascii_lowercase();
    // A web page where the API should be (a gateway's or a portal's); a 5xx
    // page is the server's own failure, judged by the suite.
    let page = content_type.starts_with("text/html") && parsed.is_err() && received.status < 500;
    if matches!(received.status, 404 | 405) || page {
        let what = if page { ", a web page" } else { "" };
        return Err(SetupError::Path {
            url: exchange.request.url.clone(),
            seen: format!("HTTP {}{what}", received.status),
            path: spec.endpoint.path.clone(),
        });
    }
    Ok(())
}
