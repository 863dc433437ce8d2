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
}
