//! The simulator: its answers, its memory, its limits, and its robustness.

mod answers;
mod robustness;

use cdm_conformance::simulator::{Engine, Incoming, SimConfig, test_signing_key};
use cdm_conformance::wire::{Credentials, SignedRequest, Timestamp};
use serde_json::Value;

/// A valid request from the test partner, as the simulator receives it.
pub fn valid(reference: &str) -> SignedRequest {
    let creds = Credentials::test_defaults();
    let body = cdm_conformance::Contract::embedded().sample_body(reference, &creds.merchant_id);
    SignedRequest::build(
        &cdm_conformance::Contract::embedded(),
        &creds,
        &test_signing_key(),
        &body,
        &Timestamp::now(),
    )
}

/// What the simulator's HTTP layer would hand the engine for `request`.
pub fn incoming(request: &SignedRequest) -> Incoming {
    Incoming {
        method: request.method.clone(),
        path: request.path.clone(),
        headers: request
            .headers
            .iter()
            .map(|(n, v)| (n.to_ascii_lowercase(), Some(v.clone())))
            .collect(),
        body: request.body.clone(),
    }
}

/// The engine's answer: HTTP status, responseCode, and the parsed body.
pub fn ask(engine: &Engine, request: &SignedRequest) -> (u16, String, Value) {
    let answer = engine.answer(&incoming(request));
    let body: Value = serde_json::from_slice(&answer.body).expect("the simulator answers JSON");
    let code = body["responseCode"].as_str().unwrap_or_default().to_owned();
    (answer.status, code, body)
}

/// A faithful engine with the test defaults.
pub fn engine() -> Engine {
    Engine::new(SimConfig::test_defaults())
}
