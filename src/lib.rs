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
//! use cdm_conformance::Contract;
//! use cdm_conformance::rules::body::request_body;
//! use cdm_conformance::wire::{Credentials, SignedRequest, SigningKey, Timestamp};
//!
//! // The built-in spec, compiled once; `Contract::from_dir` loads another.
//! let contract = Contract::embedded();
//! let key = SigningKey::from_pem_or_base64(cdm_conformance::TEST_PRIVATE_KEY_PEM)?;
//! let creds = Credentials::test_defaults();
//! let body = contract.sample_body("INV-0001", &creds.merchant_id);
//! let request = SignedRequest::build(&contract, &creds, &key, &body, &Timestamp::now());
//!
//! // The body passes the request body table's checks...
//! assert!(request_body(&contract.spec, &body).is_empty());
//! // ...and the signature verifies over the text the API text prescribes.
//! let text = contract.signing_text(&creds.client_key, request.header("X-TIMESTAMP").unwrap());
//! key.verifying_key().verify(&text, request.header("X-SIGNATURE").unwrap())?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! The modules, in the order the data flows:
//!
//! | module | concern |
//! |---|---|
//! | [`spec`], [`schema`] | a `specs/` directory as typed data, cross-checked; JSON Schemas derived from it |
//! | [`contract`] | the spec compiled: every fault a typed mutation, or the spec refused at load |
//! | [`wire`] | X-TIMESTAMP, SHA256withRSA and keys, the exact signed request |
//! | [`rules`], [`verdict`] | every rule once (body tables, requests, answers), check ids; findings as data |
//! | [`cases`], [`certify::scenarios`] | the server suite's cases and certification's scenarios, derived from the contract |
//! | [`runner`], [`transport`], [`simulator`] | one run loop; the suite's exchanges; the API played on wiremock |
//! | [`client`], [`certify`] | clients under certification, their driving and judgement |
//! | [`report`], [`console`], [`redact`] | JSON, JUnit, HTML and Markdown; the terminal; secrets kept out |
//! | [`rulebook`] | every check, case, scenario, reading and erratum, in Markdown (`docs/rules.md`) |
//! | [`cli`], [`profile`] | the command line and its profile file |
//! | [`testkeys`] | the public test keys of the built-in credentials |
#![warn(missing_docs)]

pub mod cases;
pub mod certify;
pub mod cli;
pub mod client;
pub mod console;
pub mod contract;
pub mod evidence;
pub mod profile;
pub mod proxy;
pub mod redact;
pub mod rejudge;
pub mod report;
pub mod rulebook;
pub mod rules;
pub mod runner;
pub mod schema;
pub mod simulator;
pub mod spec;
pub mod testkeys;
pub mod transport;
pub mod verdict;
pub mod wire;

pub use client::ClientUnderTest;
pub use contract::Contract;
pub use report::Report;
pub use rules::{CheckId, Violation};
pub use runner::run_suite;
pub use simulator::Simulator;
pub use spec::{ResponseCode, Spec, SpecRef};
pub use testkeys::{
    PARTNER_PRIVATE_KEY_PEM as TEST_PRIVATE_KEY_PEM, PARTNER_PUBLIC_KEY_PEM as TEST_PUBLIC_KEY_PEM,
};
pub use wire::{Credentials, SignedRequest, SigningKey, Timestamp, VerifyingKey};
