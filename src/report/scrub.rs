//! Secrets a peer echoed, replaced everywhere in a report.

use crate::redact;

/// Replaces secrets with their redacted form.
pub(super) struct Scrubber(Vec<(String, String)>);

impl Scrubber {
    pub(super) fn new(secrets: &[&str]) -> Scrubber {
        Scrubber(
            secrets
                .iter()
                .filter(|s| s.len() >= 4)
                .map(|s| ((*s).to_owned(), redact::token(s)))
                .collect(),
        )
    }

    pub(super) fn fix(&self, text: &mut String) {
        for (secret, shown) in &self.0 {
            if text.contains(secret.as_str()) {
                *text = text.replace(secret.as_str(), shown);
            }
        }
        self.fix_json(text);
        if text.contains("-----BEGIN ") || text.contains("MII") {
            *text = redact::key_material(text);
        }
    }

    /// The same for bytes that are UTF-8 text (others are left as they are:
    /// no secret of the harness is anything but text).
    pub(super) fn fix_bytes(&self, bytes: &mut Vec<u8>) {
        if let Ok(text) = std::str::from_utf8(bytes) {
            let mut text = text.to_owned();
            self.fix(&mut text);
            *bytes = text.into_bytes();
        }
    }

    /// Every text of a recorded arrival: the request's headers and body,
    /// the answer's.
    pub(super) fn fix_arrival(&self, a: &mut crate::evidence::Arrival) {
        for v in a.request.headers.iter_mut().filter_map(|(_, v)| v.as_mut()) {
            self.fix(v);
        }
        self.fix_bytes(&mut a.request.body);
        for (_, v) in &mut a.answer.headers {
            self.fix(v);
        }
        self.fix_bytes(&mut a.answer.body);
    }

    pub(super) fn fix_evidence(&self, evidence: &mut crate::evidence::Evidence) {
        self.fix(&mut evidence.handed.access_token);
        for a in &mut evidence.arrivals {
            self.fix_arrival(a);
        }
    }

    pub(super) fn fix_proxied(&self, p: &mut crate::evidence::Proxied) {
        self.fix_arrival(&mut p.arrival);
        if let Some(Ok(r)) = p.upstream.as_mut().map(|u| &mut u.outcome) {
            for (_, v) in &mut r.headers {
                self.fix(v);
            }
            self.fix_bytes(&mut r.body);
        }
    }

    /// A secret hidden by JSON escapes (`\u0041...`) in a JSON text: its
    /// strings are scrubbed and the text written again (only then).
    fn fix_json(&self, text: &mut String) {
        if self.0.is_empty() || !text.contains("\\u") {
            return;
        }
        let Ok(mut value) = serde_json::from_str::<serde_json::Value>(text) else {
            return;
        };
        let mut changed = false;
        let mut stack = vec![&mut value];
        while let Some(v) = stack.pop() {
            match v {
                serde_json::Value::String(s) => {
                    for (secret, shown) in &self.0 {
                        if s.contains(secret.as_str()) {
                            *s = s.replace(secret.as_str(), shown);
                            changed = true;
                        }
                    }
                }
                serde_json::Value::Array(items) => stack.extend(items.iter_mut()),
                serde_json::Value::Object(map) => stack.extend(map.values_mut()),
                _ => {}
            }
        }
        if changed {
            *text = value.to_string();
        }
    }
}
