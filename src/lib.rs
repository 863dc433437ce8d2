//! # cdm-conformance
//!
//! A conformance harness for PayCools' **Generate ATM QRCode** API
//! (`POST /v2.0/cdm/cdm-mpm-generate`, Bank Indonesia SNAP, service code 90).
//!
//! - QA run the **server suite** against staging (or the built-in
//!   simulator) and get one named verdict per rule of the API text:
//!   [`runner::run_suite`].
//! - Vendors **certify a client**, in any language, while the harness plays
//!   PayCools: [`certify::certify`].
//!
//! Every verdict cites the row of the API text it comes from ([`SpecRef`])
//! and says what was expected and what was seen.
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
//!
//! The modules, in the order the data flows:
//!
//! | module | concern |
//! |---|---|
//! | [`spec`], [`schema`] | the API's tables as typed data (`specs/`), JSON Schemas derived from them |
//! | [`wire`] | X-TIMESTAMP, SHA256withRSA and keys, the exact signed request |
//! | [`checks`], [`verdict`] | typed checks of bodies and answers; findings as data |
//! | [`simulator`] | PayCools on wiremock, with scripted cases and deliberate quirks |
//! | [`cases`], [`runner`], [`transport`] | the server suite: catalog, execution, exchanges |
//! | [`client`], [`certify`] | clients under certification and their judge |
//! | [`report`], [`console`], [`redact`] | JSON, JUnit, HTML and Markdown; the terminal; secrets kept out |
//! | [`cli`], [`profile`] | the command line and its profile file |
//! | [`testkeys`] | the public test keys of the built-in credentials |
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
pub use client::ClientUnderTest;
pub use report::Report;
pub use runner::run_suite;
pub use simulator::Simulator;
pub use spec::{ResponseCode, Spec, SpecRef};
pub use testkeys::{
    PARTNER_PRIVATE_KEY_PEM as TEST_PRIVATE_KEY_PEM, PARTNER_PUBLIC_KEY_PEM as TEST_PUBLIC_KEY_PEM,
};
pub use wire::{Credentials, SignedRequest, SigningKey, Timestamp, VerifyingKey};
