//! The rule book: every check, case, scenario, reading and erratum of a
//! contract, in Markdown, generated from `specs/` (`cdm-conformance rules`).
//! The project's own is committed as `docs/rules.md`; a test fails when it
//! is stale.

use std::fmt::Write as _;

use crate::cases::{CatalogOptions, catalog};
use crate::certify::scenarios;
use crate::contract::Contract;
use crate::rules::CheckId;

fn cell(text: &str) -> String {
    text.replace('|', "\\|").replace(['\n', '\r'], " ")
}

/// A value as `specs/` spells it (`may_retry`, `SHA256withRSA`).
fn toml_name(value: &impl serde::Serialize) -> String {
    serde_json::to_value(value)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}

/// The rule book of `contract`.
pub fn render(contract: &Contract) -> String {
    let spec = &contract.spec;
    let e = &spec.endpoint;
    let mut out = String::new();
    let _ = writeln!(
        out,
        "# Rule book: {} (`{} {}`, service code {})\n\n\
         Generated from `specs/` (digest `{}`) by `cdm-conformance rules`; do not edit.\n\
         Every verdict cites a row of the API text (`request header row 3 (...)`), or\n\
         one of the project's readings (`interpretation (...)`, `specs/interpretations.toml`),\n\
         or an erratum by its id (`specs/errata.toml`).\n",
        e.title, e.method, e.path, e.service_code, spec.digest
    );
    let _ = writeln!(
        out,
        "## Checks\n\n| check | requires | comes from |\n|---|---|---|"
    );
    for (id, requires, source) in CheckId::BOOK {
        let _ = writeln!(out, "| `{id}` | {} | {} |", cell(requires), cell(source));
    }
    let _ = writeln!(
        out,
        "\n## Server suite cases\n\n| case | cites | passes with | rule |\n|---|---|---|---|"
    );
    let options = CatalogOptions {
        include_rate_limit: true,
    };
    for c in catalog(contract, &options) {
        let codes = c.expected_codes().join(", ");
        let _ = writeln!(
            out,
            "| `{}` | {} | {} | {} |",
            c.id,
            cell(&c.spec_ref.to_string()),
            if codes.is_empty() {
                "see the rule".into()
            } else {
                codes
            },
            cell(&c.rule)
        );
    }
    let _ = writeln!(
        out,
        "\n## Certification scenarios\n\n| scenario | cites | attempts | the client must |\n|---|---|---|---|"
    );
    for s in scenarios(contract) {
        let _ = writeln!(
            out,
            "| `{}` | {} | {} to {} | {} |",
            s.id,
            cell(&s.spec_ref.to_string()),
            s.attempts.start(),
            s.attempts.end(),
            cell(&s.rule)
        );
    }
    let i = &spec.interpretations;
    let _ = writeln!(out, "\n## Readings (`specs/interpretations.toml`)\n");
    let _ = writeln!(
        out,
        "- Signed text: the client key, `{}`, the timestamp as sent; `{}`; authorization `{}<token>`; lengths count {}.",
        i.wire.signing_text_separator,
        toml_name(&i.wire.signature_algorithm),
        i.wire.authorization_prefix,
        toml_name(&i.wire.length_unit)
    );
    let _ = writeln!(
        out,
        "- Roles: idempotency key `{}`, merchant `{}`, code `{}`, message `{}`, success id `{}`; a reused reference changes `{}` to `{}`.",
        i.roles.idempotency_key,
        i.roles.merchant,
        i.roles.response_code,
        i.roles.response_message,
        i.roles.success_id,
        i.roles.reuse_variant.field,
        i.roles.reuse_variant.value
    );
    let c = &i.client;
    let _ = writeln!(
        out,
        "- Clients: timestamps within {} s; at most {} retries, at least {} where the row requires them; an adapter run within {} ms; a no-answer attempt held {} ms.",
        c.timestamp_drift_seconds,
        c.max_retries,
        c.min_retries_when_required,
        c.adapter_deadline_ms,
        c.timeout_hold_ms
    );
    let srv = &i.server;
    let _ = writeln!(
        out,
        "- Server suite: HTTP timeout {} ms; against a real endpoint at most {} in flight and {} per second; keys start `{}`; an answer's timestamp within {} s.",
        srv.http_timeout_ms,
        srv.default_concurrency,
        srv.default_rate_per_second,
        srv.reference_prefix,
        srv.response_timestamp_drift_seconds
    );
    for o in &i.client_policy_overrides {
        let _ = writeln!(
            out,
            "- After {}, a client's policy is `{}` (erratum `{}`).",
            o.code,
            toml_name(&o.policy),
            o.erratum
        );
    }
    let _ = writeln!(
        out,
        "\n## Errata (`specs/errata.toml`)\n\n| id | where | defect | resolution |\n|---|---|---|---|"
    );
    for er in &spec.errata {
        let _ = writeln!(
            out,
            "| `{}` | {} | {} | {} |",
            er.id,
            cell(&er.place),
            cell(&er.defect),
            cell(&er.resolution)
        );
    }
    out
}
