//! The exact signed HTTP request: method, path, headers in table order, body bytes.
//!
//! This is the core of the project's reference client: the server suite, the
//! reference client and the `sign` command all build their requests here, so
//! the wire format lives in one place and the snapshots in `snapshots/` show
//! any change to it.
//!
//! ```
//! use cdm_conformance::Contract;
//! use cdm_conformance::wire::{Credentials, SignedRequest, SigningKey, Timestamp};
//!
//! let contract = Contract::embedded();
//! let key = SigningKey::from_pem_or_base64(cdm_conformance::TEST_PRIVATE_KEY_PEM).unwrap();
//! let creds = Credentials::test_defaults();
//! let body = contract.sample_body("REF-1", &creds.merchant_id);
//! let ts = Timestamp::parse("2023-09-25T17:57:35+07:00").unwrap();
//! let request = SignedRequest::build(&contract, &creds, &key, &body, &ts);
//! assert_eq!(request.header("x-timestamp"), Some("2023-09-25T17:57:35+07:00"));
//! assert!(request.render_http("127.0.0.1:8080").starts_with("POST /v2.0/cdm/cdm-mpm-generate HTTP/1.1\r\n"));
//! ```

use std::fmt;

use serde_json::Value;

use super::signature::SigningKey;
use super::timestamp::Timestamp;
use crate::contract::Contract;
use crate::redact;
use crate::spec::HeaderFormat;

/// What a partner holds: the identifiers it sends and the client key it signs with.
///
/// `Debug` shortens the access token.
#[derive(Clone, PartialEq, Eq)]
pub struct Credentials {
    /// `X-PARTNER-ID`, the appId PayCools issued.
    pub partner_id: String,
    /// The client key, signed with the timestamp; never sent as a header.
    pub client_key: String,
    /// The access token sent after `Bearer `.
    pub access_token: String,
    /// The merchant the QR code is generated for (`merchantId`).
    pub merchant_id: String,
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credentials")
            .field("partner_id", &self.partner_id)
            .field("client_key", &self.client_key)
            .field("access_token", &redact::token(&self.access_token))
            .field("merchant_id", &self.merchant_id)
            .finish()
    }
}

impl Credentials {
    /// The built-in simulator's test credentials. Public, for tests only.
    ///
    /// The partner id and the merchant id differ on purpose, so that a client
    /// that swaps them is caught (see the `request-sample-partner-id-equals-merchant` erratum).
    pub fn test_defaults() -> Credentials {
        Credentials {
            partner_id: "cdmconf0partner0000000000000000001".to_owned(),
            client_key: "3a34d6a9debb4246931f3941c471dd3b".to_owned(),
            access_token: "cdmconf-test-token.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
                .to_owned(),
            merchant_id: "cdmconf0merchant000000000000000001".to_owned(),
        }
    }
}

/// A request ready for the wire. `Debug` shows it redacted.
#[derive(Clone, PartialEq, Eq)]
pub struct SignedRequest {
    /// The HTTP method.
    pub method: String,
    /// The path.
    pub path: String,
    /// Header names and values, in order.
    pub headers: Vec<(String, String)>,
    /// The body bytes.
    pub body: Vec<u8>,
}

impl fmt::Debug for SignedRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let shown = self.redacted();
        f.debug_struct("SignedRequest")
            .field("method", &shown.method)
            .field("path", &shown.path)
            .field("headers", &shown.headers)
            .field("body", &String::from_utf8_lossy(&shown.body))
            .finish()
    }
}

impl SignedRequest {
    /// Builds the request the API text describes: its method and path,
    /// every header of the request header table in its order and printed
    /// spelling, the body as compact JSON, signed over the signing text of
    /// the client key and the timestamp.
    pub fn build(
        contract: &Contract,
        creds: &Credentials,
        key: &SigningKey,
        body: &Value,
        timestamp: &Timestamp,
    ) -> SignedRequest {
        let endpoint = contract.endpoint();
        let headers = contract
            .spec
            .request_headers
            .iter()
            .map(|row| {
                let value = match row.format {
                    HeaderFormat::ContentTypeJson => endpoint.content_type.clone(),
                    HeaderFormat::BearerToken => contract.wire().authorization(&creds.access_token),
                    HeaderFormat::JakartaTimestamp => timestamp.as_str().to_owned(),
                    HeaderFormat::RsaSignature => {
                        key.sign(&contract.signing_text(&creds.client_key, timestamp.as_str()))
                    }
                    HeaderFormat::Identifier => creds.partner_id.clone(),
                };
                (row.name.clone(), value)
            })
            .collect();
        SignedRequest {
            method: endpoint.method.clone(),
            path: endpoint.path.clone(),
            headers,
            // Serialising a `Value` cannot fail: its keys are strings.
            body: serde_json::to_vec(body).unwrap_or_default(),
        }
    }

    /// Sets the timestamp header and a signature over it (with `key`, over
    /// `client_key`'s signing text): what every send does at the last moment.
    pub fn sign_at(
        &mut self,
        contract: &Contract,
        client_key: &str,
        key: &SigningKey,
        timestamp: &str,
    ) {
        if let Some(name) = contract.header(HeaderFormat::JakartaTimestamp) {
            self.set_header(name, timestamp);
        }
        if let Some(name) = contract.header(HeaderFormat::RsaSignature) {
            self.set_header(
                name,
                key.sign(&contract.signing_text(client_key, timestamp)),
            );
        }
    }

    /// The first value of a header, by case-insensitive name.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// Sets a header, replacing every header of that name, or appends it.
    pub fn set_header(&mut self, name: &str, value: impl Into<String>) {
        let value = value.into();
        match self
            .headers
            .iter()
            .position(|(n, _)| n.eq_ignore_ascii_case(name))
        {
            Some(i) => {
                self.headers[i].1 = value;
                let mut seen = false;
                self.headers.retain(|(n, _)| {
                    let same = n.eq_ignore_ascii_case(name);
                    let keep = !same || !seen;
                    seen |= same;
                    keep
                });
            }
            None => self.headers.push((name.to_owned(), value)),
        }
    }

    /// Removes every header of that name.
    pub fn remove_header(&mut self, name: &str) {
        self.headers.retain(|(n, _)| !n.eq_ignore_ascii_case(name));
    }

    /// The same request with the access token and signature shortened, for
    /// logs and reports.
    pub fn redacted(&self) -> SignedRequest {
        let mut copy = self.clone();
        for (name, value) in &mut copy.headers {
            *value = redact::header(name, value);
        }
        copy
    }

    /// The request as HTTP/1.1 text, exactly as it goes on the wire, with
    /// `Host` and `Content-Length` added. Carries the full token: use
    /// [`SignedRequest::redacted`] first for anything a person reads.
    pub fn render_http(&self, host: &str) -> String {
        let mut out = format!("{} {} HTTP/1.1\r\nHost: {host}\r\n", self.method, self.path);
        for (name, value) in &self.headers {
            out.push_str(&format!("{name}: {value}\r\n"));
        }
        out.push_str(&format!("Content-Length: {}\r\n\r\n", self.body.len()));
        out.push_str(&String::from_utf8_lossy(&self.body));
        out
    }
}
