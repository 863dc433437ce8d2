//! The proxy against hostile peers and failing upstreams: the client always
//! gets an answer (a 502, 413 or 400 of the proxy's own when it must), the
//! fault is recorded, and the proxy stays up. Bytes pass unchanged.

use std::time::Duration;

use cdm_conformance::proxy::Proxy;
use cdm_conformance::verdict::Verdict;
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::{TcpListener, TcpStream};

use super::{assert_named, body, messages, options, run_client, setup};

/// Sends raw bytes on a new connection and reads until the server closes.
async fn raw(addr: std::net::SocketAddr, bytes: &[u8]) -> String {
    String::from_utf8_lossy(&raw_bytes(addr, bytes).await).into_owned()
}

/// The same, the answer's bytes as they came.
async fn raw_bytes(addr: std::net::SocketAddr, bytes: &[u8]) -> Vec<u8> {
    let mut stream = TcpStream::connect(addr).await.unwrap();
    stream.write_all(bytes).await.unwrap();
    let mut out = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(10), stream.read_to_end(&mut out)).await;
    out
}

/// An upstream that accepts and then does what `act` says.
async fn upstream(act: &'static str) -> String {
    upstream_seeing(act).await.0
}

/// The same, and the bytes of the last request it got.
async fn upstream_seeing(act: &'static str) -> (String, std::sync::Arc<std::sync::Mutex<Vec<u8>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let seen = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let last = seen.clone();
    tokio::spawn(async move {
        loop {
            let Ok((mut s, _)) = listener.accept().await else {
                return;
            };
            let last = last.clone();
            tokio::spawn(async move {
                let mut buf = [0u8; 65536];
                let n = s.read(&mut buf).await.unwrap_or(0);
                *last.lock().unwrap() = buf[..n].to_vec();
                let text = String::from_utf8_lossy(&buf[..n]).into_owned();
                match act {
                    // The client's token, echoed in a header and (escaped) in the body.
                    "echo" => {
                        let token = text
                            .lines()
                            .find_map(|l| l.strip_prefix("Authorization: "))
                            .unwrap_or_default()
                            .trim()
                            .trim_start_matches("Bearer")
                            .trim()
                            .to_owned();
                        let escaped: String = token
                            .chars()
                            .map(|c| format!("\\u{:04x}", c as u32))
                            .collect();
                        let body = format!("{{\"responseMessage\":\"{escaped}\"}}");
                        let _ = s
                            .write_all(
                                format!(
                                    "HTTP/1.1 401 Unauthorized\r\nWWW-Authenticate: Bearer {token}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
                                    body.len()
                                )
                                .as_bytes(),
                            )
                            .await;
                    }
                    "hang" => tokio::time::sleep(Duration::from_secs(60)).await,
                    "garbage" => {
                        let _ = s
                            .write_all(b"\x00\x01garbage that is not HTTP\r\n\r\n")
                            .await;
                    }
                    // Exact bytes, names in odd case, chunked.
                    _ => {
                        let answer: &[u8] = if text.starts_with("HEAD ") {
                            b"HTTP/1.1 200 OK\r\nContent-Length: 70\r\nX-Latin: caf\xe9\r\n\r\n"
                        } else if text.contains("chunked-please") {
                            b"HTTP/1.1 200 OK\r\nx-ODD-Case: kept\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n5\r\n{\"a\":\r\n3\r\n 1}\r\n0\r\n\r\n"
                        } else {
                            b"HTTP/1.1 200 Fine Thanks\r\ncontent-length: 8\r\nx-ODD-Case: kept\r\nContent-Type: application/json\r\n\r\n{\"a\": 1}"
                        };
                        let _ = s.write_all(answer).await;
                    }
                }
            });
        }
    });
    (format!("http://{addr}"), seen)
}

#[rstest::rstest]
#[case::refused("refused")]
#[case::hanging("hang")]
#[case::garbage("garbage")]
#[tokio::test]
async fn a_failing_upstream_gets_the_client_a_502_and_the_proxy_stays_up(#[case] kind: &str) {
    let contract = cdm_conformance::Contract::embedded();
    let url = match kind {
        // A port nothing listens on.
        "refused" => {
            let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            let addr = l.local_addr().unwrap();
            drop(l);
            format!("http://{addr}")
        }
        "hang" => upstream("hang").await,
        _ => upstream("garbage").await,
    };
    let mut opts = options(&contract, &url);
    opts.upstream_timeout = Duration::from_secs(2);
    let proxy = Proxy::start(opts).await.unwrap();
    for n in 0..2 {
        let request = body(&contract, &format!("PROXY-DOWN-{kind}-{n}"));
        let run = run_client(&contract, None, &proxy.base_url(), request).await;
        assert!(run.outcome.is_some(), "{run:?}");
    }
    let report = proxy.report().await;
    assert!(report.cases.len() >= 2, "{}", messages(&report.cases));
    assert!(
        report
            .cases
            .iter()
            .all(|c| c.exchanges[0].status == Some(502)),
        "{}",
        messages(&report.cases)
    );
    assert_named(&report, Verdict::Fail, "answer", "http_answer", kind);
    let answer = &report.cases[0].exchanges[0].response_body;
    assert!(
        answer.as_deref().unwrap_or_default().contains("\"error\""),
        "{answer:?}"
    );
}

#[tokio::test]
async fn bytes_pass_unchanged_both_ways() {
    let contract = cdm_conformance::Contract::embedded();
    let (url, seen) = upstream_seeing("exact").await;
    let proxy = Proxy::start(options(&contract, &url)).await.unwrap();
    // A header value that is not UTF-8, a path with dot segments.
    let mut request = b"POST /v2.0/cdm/../cdm/cdm-mpm-generate?x=%41 HTTP/1.1\r\nHost: x\r\nX-Latin: caf\xe9\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}".to_vec();
    let answer = raw(proxy.addr(), &request).await;
    let got = seen.lock().unwrap().clone();
    let text = String::from_utf8_lossy(&got);
    assert!(
        text.starts_with("POST /v2.0/cdm/../cdm/cdm-mpm-generate?x=%41 HTTP/1.1\r\n"),
        "{text}"
    );
    assert!(
        got.windows(15).any(|w| w == b"X-Latin: caf\xe9\r\n"),
        "{text}"
    );
    // The answer: status, reason, header names, their order, the body.
    assert_eq!(
        answer,
        "HTTP/1.1 200 Fine Thanks\r\ncontent-length: 8\r\nx-ODD-Case: kept\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n{\"a\": 1}"
    );
    // An answer to HEAD keeps its Content-Length, and a header value that
    // is not UTF-8 reaches the client as it came.
    let head = raw_bytes(
        proxy.addr(),
        b"HEAD /v2.0/cdm/cdm-mpm-generate HTTP/1.1\r\nConnection: close\r\n\r\n",
    )
    .await;
    assert_eq!(
        head,
        b"HTTP/1.1 200 OK\r\nContent-Length: 70\r\nX-Latin: caf\xe9\r\nConnection: close\r\n\r\n"
    );
    // A chunked answer is passed with its length (the framing is the hop's).
    request = b"POST /v2.0/cdm/cdm-mpm-generate HTTP/1.1\r\nX-Want: chunked-please\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}".to_vec();
    let answer = raw(proxy.addr(), &request).await;
    let (head, body) = answer.split_once("\r\n\r\n").unwrap();
    assert!(head.contains("\r\nx-ODD-Case: kept\r\n"), "{head}");
    assert!(head.contains("\r\nContent-Length: 8\r\n"), "{head}");
    assert_eq!(body, "{\"a\": 1}");
}

/// A token sent without its scheme, or after odd spacing, is a token too.
#[rstest::rstest]
#[case::no_scheme("Authorization: {token}")]
#[case::two_spaces("Authorization: Bearer  {token}")]
#[case::tab("Authorization: Bearer\t{token}")]
#[tokio::test]
async fn a_token_in_any_form_is_kept_out_of_the_report(#[case] header: &str) {
    let contract = cdm_conformance::Contract::embedded();
    let url = upstream("echo").await;
    let mut opts = options(&contract, &url);
    opts.access_token = None;
    opts.known.access_token = None;
    let proxy = Proxy::start(opts).await.unwrap();
    let token = "tok-ABCDEFGHIJKLMNOPQRSTUVWXYZ-0123456789";
    let header = header.replace("{token}", token);
    raw(
        proxy.addr(),
        format!("POST /v2.0/cdm/cdm-mpm-generate HTTP/1.1\r\n{header}\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{{}}").as_bytes(),
    )
    .await;
    let report = proxy.report().await;
    assert_eq!(report.cases.len(), 1);
    for text in [report.to_json(), report.to_html(), report.to_markdown()] {
        assert!(!text.contains(token), "the token is in the report");
    }
}

#[tokio::test]
async fn a_token_echoed_by_the_upstream_never_reaches_the_report() {
    let contract = cdm_conformance::Contract::embedded();
    let url = upstream("echo").await;
    // The proxy is not told the token: it learns it from the request.
    let mut opts = options(&contract, &url);
    opts.access_token = None;
    opts.known.access_token = None;
    let proxy = Proxy::start(opts).await.unwrap();
    run_client(
        &contract,
        None,
        &proxy.base_url(),
        body(&contract, "PROXY-ECHO"),
    )
    .await;
    let report = proxy.report().await;
    let token = cdm_conformance::Credentials::test_defaults().access_token;
    for (name, text) in [
        ("json", report.to_json()),
        ("html", report.to_html()),
        ("markdown", report.to_markdown()),
        ("junit", report.to_junit()),
    ] {
        assert!(!text.contains(&token), "the token is in the {name} report");
        let escaped: String = token
            .chars()
            .map(|c| format!("\\u{:04x}", c as u32))
            .collect();
        assert!(
            !text.contains(&escaped),
            "the escaped token is in the {name} report"
        );
    }
    assert!(!report.cases.is_empty());
}

#[tokio::test]
async fn hostile_clients_get_an_answer_and_are_recorded() {
    let s = setup(&[]).await;
    let addr = s.proxy.addr();
    // Not HTTP.
    let answer = raw(addr, b"\x16\x03\x01 hello, I am TLS\r\n\r\n").await;
    assert!(answer.starts_with("HTTP/1.1 400 "), "{answer}");
    // A body over the cap, declared.
    let answer = raw(
        addr,
        format!(
            "POST /v2.0/cdm/cdm-mpm-generate HTTP/1.1\r\nContent-Length: {}\r\n\r\n",
            cdm_conformance::proxy::BODY_CAP + 1
        )
        .as_bytes(),
    )
    .await;
    assert!(answer.starts_with("HTTP/1.1 413 "), "{answer}");
    // Too many headers.
    let mut flood = String::from("POST /v2.0/cdm/cdm-mpm-generate HTTP/1.1\r\n");
    for i in 0..500 {
        flood.push_str(&format!("X-{i}: y\r\n"));
    }
    flood.push_str("\r\n");
    let answer = raw(addr, flood.as_bytes()).await;
    assert!(answer.starts_with("HTTP/1.1 400 "), "{answer}");
    // Framing a proxy could read two ways, and a target that is not a path.
    for bad in [
        "POST /v2.0/cdm/cdm-mpm-generate HTTP/1.1\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\nGET /smuggled HTTP/1.1\r\n\r\n",
        "POST /v2.0/cdm/cdm-mpm-generate HTTP/1.1\r\nContent-Length: 2\r\nContent-Length: 30\r\n\r\n{}",
        "GET http://elsewhere.example/ HTTP/1.1\r\n\r\n",
        "CONNECT elsewhere.example:443 HTTP/1.1\r\n\r\n",
    ] {
        let answer = raw(addr, bad.as_bytes()).await;
        assert!(answer.starts_with("HTTP/1.1 400 "), "{bad:?}: {answer}");
        assert!(!answer.contains("no valid HTTP answer"), "{answer}");
    }
    // A connection that closes at once, or mid-head: nothing to answer.
    raw(addr, b"").await;
    raw(addr, b"POST /v2.0/cdm/cdm-mpm-gen").await;
    // ...and the proxy still serves.
    let run = run_client(
        &s.contract,
        None,
        &s.proxy.base_url(),
        body(&s.contract, "PROXY-AFTER"),
    )
    .await;
    assert!(
        matches!(
            run.outcome,
            Some(Ok(cdm_conformance::client::ClientOutcome::Success { .. }))
        ),
        "{run:?}"
    );
    let report = s.proxy.report().await;
    let refused: Vec<_> = report
        .cases
        .iter()
        .filter(|c| c.proxied.as_ref().is_some_and(|p| p.refused.is_some()))
        .collect();
    assert!(refused.len() >= 7, "{}", messages(&report.cases));
    assert!(refused.iter().all(|c| c.verdict == Verdict::Fail));
    assert_eq!(report.cases.last().unwrap().verdict, Verdict::Pass);
}

#[tokio::test]
async fn keep_alive_and_concurrent_clients_work() {
    let s = setup(&[]).await;
    // Two requests on one connection (the second pipelined), both answered.
    let contract = s.contract.clone();
    let creds = cdm_conformance::Credentials::test_defaults();
    let key = cdm_conformance::simulator::test_signing_key();
    let one = |reference: &str| {
        let r = cdm_conformance::SignedRequest::build(
            &contract,
            &creds,
            &key,
            &body(&contract, reference),
            &cdm_conformance::Timestamp::now(),
        );
        let mut text = format!("{} {} HTTP/1.1\r\nHost: x\r\n", r.method, r.path);
        for (n, v) in &r.headers {
            text.push_str(&format!("{n}: {v}\r\n"));
        }
        text.push_str(&format!("Content-Length: {}\r\n\r\n", r.body.len()));
        let mut bytes = text.into_bytes();
        bytes.extend_from_slice(&r.body);
        bytes
    };
    let mut both = one("PROXY-KA-1");
    both.extend(one("PROXY-KA-2"));
    let mut stream = TcpStream::connect(s.proxy.addr()).await.unwrap();
    stream.write_all(&both).await.unwrap();
    let mut got = Vec::new();
    let mut buf = [0u8; 65536];
    while String::from_utf8_lossy(&got)
        .matches("HTTP/1.1 200")
        .count()
        < 2
    {
        let n = tokio::time::timeout(Duration::from_secs(10), stream.read(&mut buf))
            .await
            .unwrap()
            .unwrap();
        assert!(n > 0, "closed after {}", String::from_utf8_lossy(&got));
        got.extend_from_slice(&buf[..n]);
    }
    // Ten clients at once.
    let mut set = tokio::task::JoinSet::new();
    for n in 0..10 {
        let (contract, url) = (s.contract.clone(), s.proxy.base_url());
        set.spawn(async move {
            run_client(
                &contract,
                None,
                &url,
                body(&contract, &format!("PROXY-C-{n}")),
            )
            .await
        });
    }
    for run in set.join_all().await {
        assert!(matches!(
            run.outcome,
            Some(Ok(cdm_conformance::client::ClientOutcome::Success { .. }))
        ));
    }
    let report = s.proxy.report().await;
    assert_eq!(report.cases.len(), 12, "{}", messages(&report.cases));
    assert!(
        report.cases.iter().all(|c| c.verdict == Verdict::Pass),
        "{}",
        messages(&report.cases)
    );
}
