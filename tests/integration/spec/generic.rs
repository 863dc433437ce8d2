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

/// The lines of one file that name an API word outside comments.
fn scan(rel: &str, text: &str, words: &[String]) -> Vec<String> {
    let mut found = vec![];
    for (n, line) in text.lines().enumerate() {
        let code = line.trim_start();
        if code.starts_with("//") {
            continue;
        }
        let allowed = ALLOWED.iter().any(|(f, l, _)| *f == rel && code == *l);
        for word in words {
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
    found
}

#[test]
fn no_code_line_of_src_names_the_built_in_api() {
    let root = crate::common::root();
    let words = api_words();
    assert!(words.iter().any(|w| w == "partnerReferenceNo"), "{words:?}");
    let mut files = vec![];
    rust_files(&root.join("src"), &mut files);
    assert!(files.len() > 20, "{files:?}");
    let mut found = vec![];
    for file in files {
        let rel = file.strip_prefix(root).unwrap().display().to_string();
        found.extend(scan(&rel, &std::fs::read_to_string(&file).unwrap(), &words));
    }
    assert!(
        found.is_empty(),
        "code names the API:\n{}",
        found.join("\n")
    );
}

#[test]
fn the_guard_catches_a_planted_name_and_spares_comments() {
    let words = api_words();
    let planted = "// cdmQrcode in a comment is fine\n/// and in docs\nlet qr = body[\"cdmQrcode\"].as_str();\nlet s = \"HTTP status\";\nlet st = body[\"status\"];\nlet code = \"4049008\";\n";
    let found = scan("src/x.rs", planted, &words);
    assert_eq!(found.len(), 3, "{found:#?}");
    assert!(found[0].starts_with("src/x.rs:3: cdmQrcode"), "{found:#?}");
    assert!(found[1].starts_with("src/x.rs:5: status"), "{found:#?}");
    assert!(found[2].starts_with("src/x.rs:6: 4049008"), "{found:#?}");
    // The allowed line passes only where it is allowed.
    let (file, line, _) = ALLOWED[0];
    assert!(scan(file, line, &words).is_empty());
    assert!(!scan("src/other.rs", line, &words).is_empty());
}
