//! # cdm-conformance
//!
//! A conformance harness for PayCools' **Generate ATM QRCode** API
//! (`POST /v2.0/cdm/cdm-mpm-generate`, Bank Indonesia SNAP, service code 90).
//!
//! The API's tables live in `specs/` as data and load into a typed [`Spec`];
//! every verdict the harness gives cites a row of them ([`SpecRef`]). The
//! [`wire`] module makes and checks the signed wire format: X-TIMESTAMP in
//! Jakarta time, SHA256withRSA over `CLIENT_KEY|X-TIMESTAMP`, and the exact
//! request.
//!
//! ```
//! use cdm_conformance::{Spec, wire::{Credentials, GenerateRequest, SignedRequest, SigningKey, Timestamp}};
//!
//! let spec = Spec::embedded();
//! let key = SigningKey::from_pem_or_base64(cdm_conformance::TEST_PRIVATE_KEY_PEM)?;
//! let creds = Credentials::test_defaults();
//! let body = GenerateRequest::sample("INV-0001", &creds.merchant_id).to_json();
//! let request = SignedRequest::build(&creds, &key, &body, &Timestamp::now());
//!
//! // The body passes the request body table's checks...
//! assert!(cdm_conformance::checks::request_body(spec, &body).is_empty());
//! // ...and the signature verifies over the text the API text prescribes.
//! let text = cdm_conformance::wire::signing_text(&creds.client_key, request.header("X-TIMESTAMP").unwrap());
//! key.verifying_key().verify(&text, request.header("X-SIGNATURE").unwrap())?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
#![warn(missing_docs)]

pub mod cases;
pub mod certify;
pub mod checks;
pub mod cli;
pub mod client;
pub mod console;
pub mod profile;
pub mod redact;
pub mod report;
pub mod runner;
pub mod schema;
pub mod simulator;
pub mod spec;
pub mod testkeys;
pub mod transport;
pub mod verdict;
pub mod wire;

pub use checks::Violation;
pub use spec::{ResponseCode, Spec, SpecRef};
pub use testkeys::{
    PARTNER_PRIVATE_KEY_PEM as TEST_PRIVATE_KEY_PEM, PARTNER_PUBLIC_KEY_PEM as TEST_PUBLIC_KEY_PEM,
};
pub use wire::{Credentials, SignedRequest, SigningKey, Timestamp, VerifyingKey};
