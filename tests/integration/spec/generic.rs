//! Everything specific to one endpoint comes from `specs/`: no code line of
//! `src/` names a field, header, path, code or sample value of the built-in
//! API (comments and docs may). A line that must is listed below with its
//! reason; the sibling fixture (`power::sibling`) proves the rest works on
//! another endpoint.

use std::path::Path;

use cdm_conformance::Contract;

/// Code lines that name an API word on purpose, and why.
const ALLOWED: &[(&str, &str, &str)] = &[(
    "src/client/mod.rs",
    "pub const OUTCOME_CODE_KEY: &str = \"responseCode\";",
    "the adapter protocol's key for a failed outcome's code, fixed by the protocol for every API",
)];

/// The words of the built-in API that code must not spell out.
fn api_words() -> Vec<String> {
    let contract = Contract::embedded();
    let spec = &contract.spec;
    let mut words: Vec<String> = Vec::new();
    let fields = spec.request_fields.iter().chain(&spec.response_fields);
    for f in fields {
        words.extend(f.name.split('.').map(str::to_owned));
        words.extend(f.values.iter().cloned());
    }
    // HTTP's own headers (RFC 9110) belong to no API; the SNAP ones do.
    let headers = spec.request_headers.iter().chain(&spec.response_headers);
    words.extend(
        headers
            .map(|h| h.name.clone())
            .filter(|n| n.starts_with("X-")),
    );
    words.push(spec.endpoint.path.clone());
    words.extend(spec.response_codes.iter().map(|c| c.code.to_string()));
    let mut samples = vec![];
    fn strings(v: &serde_json::Value, out: &mut Vec<String>) {
        match v {
            serde_json::Value::String(s) => out.push(s.clone()),
            serde_json::Value::Object(o) => {
                o.keys().for_each(|k| out.push(k.clone()));
                o.values().for_each(|v| strings(v, out));
            }
            _ => {}
        }
    }
    strings(
        &serde_json::Value::Object(spec.request_sample.clone()),
        &mut samples,
    );
    strings(
        &serde_json::Value::Object(spec.response_sample.clone()),
        &mut samples,
    );
    // Sample values that are short digits or common words say nothing.
    words.extend(
        samples
            .into_iter()
            .filter(|s| s.len() >= 8 && s.chars().any(|c| c.is_ascii_alphabetic())),
    );
    words.sort();
    words.dedup();
    words
}

fn rust_files(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

#[test]
fn no_code_line_of_src_names_the_built_in_api() {
    let root = crate::common::root();
    let words = api_words();
    assert!(words.iter().any(|w| w == "partnerReferenceNo"), "{words:?}");
    let mut files = vec![];
    rust_files(&root.join("src"), &mut files);
    let mut found = vec![];
    for file in files {
        let rel = file.strip_prefix(root).unwrap().display().to_string();
        let text = std::fs::read_to_string(&file).unwrap();
        for (n, line) in text.lines().enumerate() {
            let code = line.trim_start();
            if code.starts_with("//") {
                continue;
            }
            let allowed = ALLOWED.iter().any(|(f, l, _)| *f == rel && code == *l);
            for word in &words {
                // A plain lower-case word (`status`) only as a whole string
                // literal; a distinctive one (`merchantId`, `X-TIMESTAMP`, a
                // code, the path) anywhere.
                let plain = word.chars().all(|c| c.is_ascii_lowercase());
                let named = if plain {
                    code.contains(&format!("\"{word}\""))
                } else {
                    code.contains(word.as_str())
                };
                if named && !allowed {
                    found.push(format!("{rel}:{}: {word}: {code}", n + 1));
                }
            }
        }
    }
    assert!(
        found.is_empty(),
        "code names the API:\n{}",
        found.join("\n")
    );
}

#[test]
fn the_guard_sees_a_planted_name() {
    // The scan above would catch a field name in a code line.
    let words = api_words();
    let planted = "    let id = body[\"cdmQrcode\"].as_str();";
    assert!(words.iter().any(|w| planted.contains(w.as_str())));
}
