//! What the peer under test says is data in every format: arbitrary text
//! (markup, Markdown syntax, backticks, control characters, invalid UTF-8
//! read lossily, very long lines), put everywhere a server's or a client's
//! words land in a report, never becomes markup. Each rendering of such a
//! report is compared with the rendering of the same report holding benign
//! text: the Markdown parses to the same structure, the HTML holds the same
//! tags, the JUnit is well-formed XML, the JSON keeps the text exactly.

use std::time::Duration;

use cdm_conformance::CheckId;
use cdm_conformance::client::ClientRun;
use cdm_conformance::report::known::{Known, KnownMark};
use cdm_conformance::report::{Artifact, CaseReport, ClientIdentity, ExchangeRecord, Report};
use cdm_conformance::spec::{SpecRef, Table};
use cdm_conformance::verdict::{Finding, Verdict};
use proptest::prelude::*;

/// The tags the harness itself writes into its Markdown.
const MARKDOWN_TAGS: [&str; 7] = [
    "<details>",
    "<summary>",
    "</summary>",
    "</details>",
    "<code>",
    "</code>",
    AT_COMMENT,
];

/// What follows an `@` in the Markdown: GitHub links no address across it.
const AT_COMMENT: &str = "<!---->";

/// A report with `peer` wherever a peer's (or an operator's) text lands:
/// response headers (names and values), bodies, transport errors, findings'
/// actual text and the messages built from them, root causes, a client's
/// output, outcome and exit, the target, the client's identity, settings,
/// a known deviation's reason and ticket.
fn report_with(peer: &str) -> Report {
    let row = SpecRef::row(Table::RequestHeader, 3, "X-TIMESTAMP");
    let answered = ExchangeRecord {
        method: "POST".into(),
        url: "http://127.0.0.1:8080/v2.0/cdm/cdm-mpm-generate".into(),
        request_headers: vec![("Content-Type".into(), "application/json".into())],
        request_body: r#"{"partnerReferenceNo":"CDMCONF-00000000-00001"}"#.into(),
        status: Some(200),
        response_headers: vec![
            ("X-TIMESTAMP".into(), peer.into()),
            (peer.into(), peer.into()),
        ],
        response_body: Some(peer.into()),
        error: None,
        elapsed_ms: 12,
        connect_failed: false,
    };
    let unanswered = ExchangeRecord {
        status: None,
        response_headers: vec![],
        response_body: None,
        error: Some(peer.into()),
        ..answered.clone()
    };
    let finding = |check, verdict, actual: String| {
        Finding::new(check, verdict, row.clone(), "responseCode 4009001", actual)
    };
    let case = |id: &str, findings: Vec<Finding>, exchange: &ExchangeRecord| {
        CaseReport::from_parts(
            id,
            row.clone(),
            "X-TIMESTAMP malformed",
            vec!["4009001".into()],
            findings,
            vec![exchange.clone()],
            Duration::from_millis(12),
        )
    };
    let failed = || {
        finding(
            CheckId::ResponseCodeExpected,
            Verdict::Fail,
            format!("responseCode 2009000 ({peer})"),
        )
    };
    let mut with_client = case("header.x_timestamp.utc_z", vec![failed()], &answered);
    with_client.client = Some(ClientRun {
        outcome: Some(Err(peer.into())),
        stdout_tail: peer.into(),
        stderr: peer.into(),
        exit: peer.into(),
        elapsed_ms: 5,
    });
    let mut known = case(
        "header.x_timestamp.fraction",
        vec![finding(
            CheckId::XTimestampWellFormed,
            Verdict::Fail,
            peer.into(),
        )],
        &answered,
    );
    known.known = Some(KnownMark {
        entry: Known {
            case: "header.x_timestamp.fraction".into(),
            reason: peer.into(),
            ticket: Some(peer.into()),
        },
        stale: false,
    });
    let cases = vec![
        case(
            "request.valid",
            vec![finding(
                CheckId::ResponseCodeExpected,
                Verdict::Pass,
                format!("responseCode 2009000 ({peer})"),
            )],
            &answered,
        ),
        with_client,
        // The same failure twice: a root cause.
        case("header.x_timestamp.no_offset", vec![failed()], &unanswered),
        case(
            "header.x_partner_id.unknown",
            vec![finding(
                CheckId::MessageMatchesTable,
                Verdict::Warn,
                format!("\"{peer}\""),
            )],
            &answered,
        ),
        case(
            "request.other_path",
            vec![finding(CheckId::NotStated, Verdict::Info, peer.into())],
            &answered,
        ),
        known,
    ];
    let started = time::macros::datetime!(2026-01-01 00:00:00 UTC);
    let mut report = Report::new(
        "server",
        peer,
        &"0".repeat(64),
        cases,
        started,
        Duration::from_millis(48),
    );
    report.client = Some(ClientIdentity {
        name: Some(peer.into()),
        version: Some(peer.into()),
        artifacts: vec![Artifact {
            path: peer.into(),
            sha256: "0".repeat(64),
        }],
    });
    report.settings.insert("peer".into(), peer.into());
    report.settings.insert(format!("z.{peer}"), "value".into());
    report
}

/// Pieces of hostile text: markup, every Markdown construct, references,
/// bare links, control and bidirectional characters.
const HOSTILE: &[&str] = &[
    "<script>document.title='PWNED'</script>",
    "<img src=x onerror=\"document.title='PWNED'\">",
    "</details><details open>",
    "<!--",
    "-->",
    "<![CDATA[",
    "]]>",
    "```",
    "~~~",
    "`",
    "``",
    "|",
    "\\|",
    "\\",
    "\n# heading\n",
    "\n| a | b |\n|---|---|\n| c | d |\n",
    "\n\n",
    "\r\n",
    "\r",
    "\t",
    "[link](https://evil.example/)",
    "![image](https://evil.example/x.png)",
    "[ref]: https://evil.example/\n",
    "https://evil.example/path",
    "www.evil.example",
    "someone@evil.example",
    "mailto:someone@evil.example",
    "<https://evil.example/>",
    "*emphasis* _emphasis_ **strong** ~~struck~~",
    "$x$ $$y$$",
    "&amp; &lt; &#60; &#x3c;",
    "\"'",
    "\u{1b}[31m",
    "\u{0}",
    "\u{7f}",
    "\u{9b}",
    "\u{fffe}",
    "\u{ffff}",
    "\u{202e}",
    "\u{fffd}",
    "    ",
    "---",
    "===",
    "> ",
    "1. ",
    "- ",
];

/// Arbitrary text a peer might send.
fn peer_text() -> impl Strategy<Value = String> {
    let hostile = prop::sample::select(HOSTILE).prop_map(str::to_owned);
    let piece = prop_oneof![
        4 => hostile,
        2 => any::<String>(),
        1 => "[ -~]{0,40}",
    ];
    prop_oneof![
        4 => prop::collection::vec(piece, 0..12).prop_map(|p| p.concat()),
        1 => prop::collection::vec(any::<u8>(), 0..200)
            .prop_map(|b| String::from_utf8_lossy(&b).into_owned()),
        1 => ("[<>`|*_\\[\\]()a-z]{1,8}", 500..3000usize).prop_map(|(s, n)| s.repeat(n)),
    ]
}

/// The Markdown's structure: every event but text, HTML with its content.
fn markdown_structure(markdown: &str) -> Vec<String> {
    use pulldown_cmark::{Event, Options, Parser};
    let options = Options::ENABLE_TABLES
        | Options::ENABLE_STRIKETHROUGH
        | Options::ENABLE_TASKLISTS
        | Options::ENABLE_FOOTNOTES
        | Options::ENABLE_MATH
        | Options::ENABLE_GFM;
    Parser::new_ext(markdown, options)
        .filter_map(|event| match event {
            Event::Text(_) => None,
            Event::InlineHtml(html) if *html == *AT_COMMENT => None,
            Event::Html(html) | Event::InlineHtml(html) => Some(format!("html {html}")),
            Event::Code(_) => Some("code".into()),
            Event::InlineMath(_) | Event::DisplayMath(_) => Some("math".into()),
            other => Some(format!("{other:?}")),
        })
        .collect()
}

/// Whether the character at `at` is backslash-escaped: an odd run of
/// backslashes stands before it.
fn escaped(text: &str, at: usize) -> bool {
    text[..at].bytes().rev().take_while(|b| *b == b'\\').count() % 2 == 1
}

fn assert_markdown_inert(peer: &str, markdown: &str, benign: &str) {
    let mut rest = markdown.to_owned();
    for tag in MARKDOWN_TAGS {
        rest = rest.replace(tag, "");
    }
    assert!(!rest.contains('<'), "a raw < in the markdown:\n{markdown}");
    for line in markdown.lines() {
        assert!(
            !line.starts_with("```") && !line.starts_with("~~~"),
            "a code fence: {line:?}"
        );
    }
    // GitHub's bare links: a scheme's `://`, `www.` (escaped, they are not).
    for (at, _) in markdown.match_indices("://") {
        assert!(escaped(markdown, at), "a bare URL:\n{markdown}");
    }
    assert!(
        !markdown.to_ascii_lowercase().contains("www."),
        "a bare www. link:\n{markdown}"
    );
    for (at, _) in markdown.match_indices('@') {
        assert!(
            markdown[at + 1..].starts_with(AT_COMMENT),
            "a bare @, a mail link:\n{markdown}"
        );
    }
    assert_eq!(
        markdown_structure(markdown),
        markdown_structure(benign),
        "peer text {peer:?} changed the markdown's structure:\n{markdown}"
    );
}

/// Every tag of an HTML page, as written.
fn html_tags(html: &str) -> Vec<&str> {
    let mut tags = vec![];
    let mut rest = html;
    while let Some(start) = rest.find('<') {
        let from = &rest[start..];
        let end = from.find('>').map_or(from.len(), |e| e + 1);
        tags.push(&from[..end]);
        rest = &from[end..];
    }
    tags
}

/// The Content-Security-Policy every HTML report carries.
pub(super) const CSP: &str = r#"<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">"#;

fn assert_html_inert(peer: &str, html: &str, benign: &str) {
    assert_eq!(
        html_tags(html),
        html_tags(benign),
        "peer text {peer:?} changed the page's tags"
    );
    assert_eq!(html.matches(CSP).count(), 1, "the page's CSP");
    assert!(
        html.find(CSP) < html.find("<title>"),
        "the CSP comes before any text"
    );
}

/// Whether XML 1.0 can carry `c`.
fn xml_char(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{d7ff}' | '\u{e000}'..='\u{fffd}' | '\u{10000}'..)
}

fn assert_junit_well_formed(peer: &str, xml: &str) {
    use quick_xml::events::Event;
    if let Some(c) = xml.chars().find(|c| !xml_char(*c)) {
        panic!("peer text {peer:?}: the JUnit carries {c:?}, not an XML character");
    }
    let mut reader = quick_xml::Reader::from_str(xml);
    reader.config_mut().enable_all_checks(true);
    let mut testcases = 0;
    loop {
        match reader.read_event() {
            Err(e) => panic!("peer text {peer:?}: the JUnit is not XML: {e}\n{xml}"),
            Ok(Event::Eof) => break,
            Ok(Event::Start(tag) | Event::Empty(tag)) => {
                if tag.name().as_ref() == b"testcase" {
                    testcases += 1;
                }
                for attribute in tag.attributes() {
                    let attribute = attribute.expect("a well-formed attribute");
                    let value = attribute
                        .normalized_value(quick_xml::XmlVersion::Explicit1_0)
                        .expect("an attribute's entities");
                    assert!(value.chars().all(xml_char));
                }
            }
            Ok(Event::GeneralRef(r)) => {
                let resolved = match r.is_char_ref() {
                    true => r.resolve_char_ref().ok().flatten().is_some_and(xml_char),
                    false => quick_xml::escape::resolve_xml_entity(&r.decode().unwrap()).is_some(),
                };
                assert!(
                    resolved,
                    "peer text {peer:?}: an unknown reference in the JUnit"
                );
            }
            Ok(_) => {}
        }
    }
    assert_eq!(testcases, 6, "one testcase per case");
}

fn assert_json_exact(peer: &str, json: &str) {
    let v: serde_json::Value = serde_json::from_str(json).expect("the JSON parses");
    let case = &v["cases"][1];
    for (at, value) in [
        ("target", &v["target"]),
        ("settings", &v["settings"]["peer"]),
        ("response body", &case["exchanges"][0]["response_body"]),
        (
            "response header",
            &case["exchanges"][0]["response_headers"][0][1],
        ),
        ("client stderr", &case["client"]["stderr"]),
        ("client name", &v["client"]["name"]),
    ] {
        assert_eq!(value.as_str(), Some(peer), "the JSON's {at}");
    }
    assert_eq!(
        case["checks"][0]["actual"].as_str(),
        Some(format!("responseCode 2009000 ({peer})").as_str())
    );
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn peer_text_never_becomes_markup(peer in peer_text()) {
        let benign = report_with("benign text");
        let report = report_with(&peer);
        assert_markdown_inert(&peer, &report.to_markdown(), &benign.to_markdown());
        assert_html_inert(&peer, &report.to_html(), &benign.to_html());
        assert_junit_well_formed(&peer, &report.to_junit());
        assert_json_exact(&peer, &report.to_json());
    }
}

/// Each thing the property test looks for, shown on one fixed string.
#[test]
fn a_fixed_hostile_string_stays_text() {
    let peer =
        "<script>alert(1)</script> [x](https://evil.example) ``` `|` \u{1b}[31m \u{fffe}\n# h";
    let report = report_with(peer);
    let benign = report_with("benign text");
    assert_markdown_inert(peer, &report.to_markdown(), &benign.to_markdown());
    assert_html_inert(peer, &report.to_html(), &benign.to_html());
    assert_junit_well_formed(peer, &report.to_junit());
    assert_json_exact(peer, &report.to_json());
}

/// GitHub's own renderer (cmark-gfm with GitHub's extensions: tables, bare
/// links, strikethrough, the tag filter) makes the same page of a report
/// holding every hostile piece, alone and all together, as of a benign one:
/// no link (e-mail addresses and bare URLs included), no image, no markup.
#[test]
fn github_renders_peer_text_as_text() {
    if !crate::common::required_under_ci("cmark-gfm") {
        eprintln!("skipped: no cmark-gfm on this machine");
        return;
    }
    let github = |markdown: &str| {
        use std::io::Write as _;
        let mut child = std::process::Command::new("cmark-gfm")
            .args(["--unsafe", "-e", "table", "-e", "autolink"])
            .args(["-e", "strikethrough", "-e", "tagfilter"])
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        child
            .stdin
            .take()
            .unwrap()
            .write_all(markdown.as_bytes())
            .unwrap();
        let out = child.wait_with_output().unwrap();
        assert!(out.status.success());
        String::from_utf8(out.stdout).unwrap()
    };
    let tags = |html: &str| -> Vec<String> {
        html_tags(html)
            .into_iter()
            .filter(|t| *t != AT_COMMENT)
            .map(str::to_owned)
            .collect()
    };
    let benign = tags(&github(&report_with("benign text").to_markdown()));
    let mut peers: Vec<String> = HOSTILE.iter().map(|p| (*p).to_owned()).collect();
    peers.push(HOSTILE.concat());
    let markdown: String = peers
        .iter()
        .map(|p| report_with(p).to_markdown() + "\n---\n\n")
        .collect();
    let pages = github(&markdown);
    let pages: Vec<&str> = pages.split("<hr />\n").filter(|p| !p.is_empty()).collect();
    assert_eq!(pages.len(), peers.len());
    for (peer, page) in peers.iter().zip(pages) {
        assert_eq!(
            tags(page),
            benign,
            "peer text {peer:?} made markup:\n{page}"
        );
    }
}
