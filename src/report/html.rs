//! A self-contained HTML page: the certificate a vendor hands in.
//!
//! Every text the harness did not write goes through `escape.rs`, element
//! content and attribute values alike; the page's Content-Security-Policy
//! ([`CONTENT_SECURITY_POLICY`]) runs no script and loads nothing, should
//! markup ever get through.

use super::Report;
use super::escape::{html as esc, html_attribute as attr};

/// The policy every HTML report carries: nothing is loaded and no script
/// runs; the page's own `<style>` applies.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; style-src 'unsafe-inline'";

impl Report {
    /// A self-contained HTML page: no script, no network asset. What a
    /// server or a client said is escaped, and the page's
    /// Content-Security-Policy ([`CONTENT_SECURITY_POLICY`]) forbids script
    /// and every load.
    pub fn to_html(&self) -> String {
        let s = &self.summary;
        let mut rows = String::new();
        // Failures first, then warnings, information, passes; stable within each.
        let mut ordered: Vec<&super::CaseReport> = self.cases.iter().collect();
        ordered.sort_by_key(|c| std::cmp::Reverse(c.verdict));
        for c in ordered {
            let mut exchanges = String::new();
            for e in &c.exchanges {
                let headers: String = e
                    .request_headers
                    .iter()
                    .map(|(n, v)| format!("{n}: {v}\n"))
                    .collect();
                let answer = match (&e.status, &e.error) {
                    (Some(status), _) => {
                        let h: String = e
                            .response_headers
                            .iter()
                            .map(|(n, v)| format!("{n}: {v}\n"))
                            .collect();
                        format!(
                            "HTTP {status} in {} ms\n{h}\n{}",
                            e.elapsed_ms,
                            e.response_body.as_deref().unwrap_or("")
                        )
                    }
                    (None, Some(err)) => format!("no answer: {err}"),
                    (None, None) => String::new(),
                };
                exchanges.push_str(&format!(
                    "<pre>{} {}\n{}\n{}</pre><pre>{}</pre>",
                    esc(&e.method),
                    esc(&e.url),
                    esc(&headers),
                    esc(&e.request_body),
                    esc(&answer)
                ));
            }
            rows.push_str(&format!(
                "<tr class=\"{class}\"><td class=\"verdict\">{v}</td><td><code>{id}</code></td><td>{spec_ref}</td><td>{message}<details><summary>exchanges</summary>{exchanges}</details>{client}</td><td>{ms}</td></tr>\n",
                class = attr(c.shown_verdict()),
                v = esc(c.shown_verdict()),
                id = esc(&c.id),
                spec_ref = esc(&c.spec_ref.to_string()),
                message = esc(&c.message),
                // The client's own words, capped and scrubbed when recorded.
                client = c
                    .client
                    .as_ref()
                    .map(|run| format!(
                        "<details><summary>client output ({})</summary><pre>{}</pre><pre>{}</pre></details>",
                        esc(&run.exit),
                        esc(&run.stdout_tail),
                        esc(&run.stderr)
                    ))
                    .unwrap_or_default(),
                ms = c.duration_ms,
            ));
        }
        format!(
            r#"<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="{csp}">
<title>cdm-conformance {mode} report: {headline}</title>
<style>
body {{ font-family: system-ui, sans-serif; margin: 2em; }}
table {{ border-collapse: collapse; width: 100%; }}
td, th {{ border: 1px solid #ccc; padding: 4px 8px; vertical-align: top; text-align: left; }}
tr.fail td.verdict {{ background: #f8d0d0; }}
tr.warn td.verdict {{ background: #fbeec0; }}
tr.pass td.verdict {{ background: #d4f0d4; }}
tr.info td.verdict {{ background: #dde8f8; }}
tr.known td.verdict {{ background: #fbeec0; }}
tr.stale td.verdict {{ background: #f8d0d0; }}
pre {{ white-space: pre-wrap; word-break: break-all; background: #f6f6f6; padding: 4px; }}
</style>
</head>
<body>
<h1>cdm-conformance {mode} report: <span class="{headline_class}">{headline}</span></h1>
<table class="summary">
<tr><th>target</th><td>{target}</td></tr>
<tr><th>harness</th><td>{name} {version} (commit <code>{commit}</code>)</td></tr>
{client}<tr><th>complete</th><td>{complete}</td></tr>
<tr><th>specs/ digest</th><td><code>{digest}</code></td></tr>
<tr><th>started</th><td>{started} ({duration} ms)</td></tr>
<tr><th>cases</th><td>{passed} passed, {failed} failed, {warned} warned, {skipped} skipped, {info} info</td></tr>
{settings}</table>
{causes}<h2>Cases</h2>
<table class="cases">
<tr><th>verdict</th><th>case</th><th>spec row</th><th>message</th><th>ms</th></tr>
{rows}</table>
</body>
</html>
"#,
            csp = attr(CONTENT_SECURITY_POLICY),
            mode = esc(&self.mode),
            headline = esc(&self.headline()),
            headline_class = attr(self.headline_verdict().as_str()),
            target = esc(&self.target),
            name = esc(self.harness.name),
            version = esc(self.harness.version),
            commit = esc(self.harness.commit),
            complete = if self.complete {
                "yes"
            } else {
                "no: a subset of the cases"
            },
            client = self
                .client
                .as_ref()
                .map(|c| format!("<tr><th>client</th><td>{}</td></tr>\n", esc(&c.describe())))
                .unwrap_or_default(),
            digest = esc(&self.specs_digest),
            started = esc(&self.started_at),
            duration = self.duration_ms,
            passed = s.passed,
            failed = s.failed,
            warned = s.warned,
            skipped = s.skipped,
            info = s.info,
            causes = {
                let causes = self.causes();
                match causes.is_empty() {
                    true => String::new(),
                    false => format!(
                        "<h2>Root causes</h2>\n<ul class=\"causes\">\n{}</ul>\n",
                        causes
                            .iter()
                            .map(|c| format!("<li>{}</li>\n", esc(&c.line())))
                            .collect::<String>()
                    ),
                }
            },
            settings = self
                .settings
                .iter()
                .map(|(k, v)| format!("<tr><th>{}</th><td>{}</td></tr>\n", esc(k), esc(v)))
                .collect::<String>(),
        )
    }
}
