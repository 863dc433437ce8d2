//! The harness survives any server: each misbehaviour becomes a failing case
//! with a clear message, the run ends within its deadlines, nothing panics.

use std::time::Duration;

use cdm_conformance::report::Report;
use cdm_conformance::runner::{RunOptions, Target, run_suite};
use cdm_conformance::simulator::test_signing_key;
use cdm_conformance::verdict::Verdict;
use rstest::rstest;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

#[derive(Debug, Clone, Copy)]
enum Hostile {
    NotHttp,
    ClosesAtOnce,
    HugeBody,
    TrickledBody,
    DeeplyNestedJson,
    InvalidUtf8Header,
}

async fn read_request(stream: &mut TcpStream) {
    // Read until the end of the headers (bodies are small); give up quietly.
    let mut buf = vec![0u8; 65536];
    let mut seen = Vec::new();
    while !seen.windows(4).any(|w| w == b"\r\n\r\n") {
        match tokio::time::timeout(Duration::from_secs(2), stream.read(&mut buf)).await {
            Ok(Ok(n)) if n > 0 => seen.extend_from_slice(&buf[..n]),
            _ => return,
        }
    }
    tokio::time::sleep(Duration::from_millis(5)).await;
}

async fn serve(mut stream: TcpStream, mode: Hostile) {
    if !matches!(mode, Hostile::ClosesAtOnce) {
        read_request(&mut stream).await;
    }
    let head = |len: usize| {
        format!(
            "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {len}\r\n\r\n"
        )
    };
    let _ = match mode {
        Hostile::NotHttp => {
            stream
                .write_all(b"SSH-2.0-OpenSSH_9.6 not http at all\r\n\x00\x01\x02")
                .await
        }
        Hostile::ClosesAtOnce => Ok(()),
        Hostile::HugeBody => {
            let len = 40 * 1024 * 1024;
            let _ = stream.write_all(head(len).as_bytes()).await;
            let chunk = vec![b'a'; 64 * 1024];
            let mut sent = 0;
            while sent < len {
                if stream.write_all(&chunk).await.is_err() {
                    break;
                }
                sent += chunk.len();
            }
            Ok(())
        }
        Hostile::TrickledBody => {
            let _ = stream.write_all(head(1_000_000).as_bytes()).await;
            for _ in 0..120 {
                if stream.write_all(b" ").await.is_err() {
                    break;
                }
                tokio::time::sleep(Duration::from_millis(500)).await;
            }
            Ok(())
        }
        Hostile::DeeplyNestedJson => {
            let body = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
            stream
                .write_all(format!("{}{body}", head(body.len())).as_bytes())
                .await
        }
        Hostile::InvalidUtf8Header => {
            let body = br#"{"responseCode":"2009000","responseMessage":"Successful"}"#;
            let mut out = format!("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\nX-TIMESTAMP: ", body.len()).into_bytes();
            out.extend_from_slice(b"\xff\xfe\xfd\r\n\r\n");
            out.extend_from_slice(body);
            stream.write_all(&out).await
        }
    };
    let _ = stream.shutdown().await;
}

async fn hostile(mode: Hostile) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            tokio::spawn(serve(stream, mode));
        }
    });
    url
}

fn target(url: String) -> Target {
    Target {
        contract: cdm_conformance::Contract::embedded(),
        base_url: url,
        credentials: cdm_conformance::Credentials::test_defaults(),
        key: test_signing_key(),
        simulated: false,
    }
}

/// Every case judged, the preflight off: a hostile server's answers are
/// the server's to answer for.
async fn suite_against(url: String) -> Report {
    // The HTTP timeout just above the 8 s expected timeout: the trickle ends there.
    let options = RunOptions {
        http_timeout: Duration::from_secs(9),
        preflight: false,
        ..RunOptions::local(&cdm_conformance::Contract::embedded())
    };
    run_suite(&target(url), &options)
        .await
        .expect("the run is made")
}

/// What the preflight makes of a hostile server: a setup line where the
/// answer cannot be the API's, a run where it is the server's to judge.
#[rstest]
#[case::not_http(Hostile::NotHttp, Some("not this API"))]
#[case::trickled_body(Hostile::TrickledBody, Some("no complete answer from"))]
#[case::closes_at_once(Hostile::ClosesAtOnce, None)]
#[case::huge_body(Hostile::HugeBody, None)]
#[case::deeply_nested_json(Hostile::DeeplyNestedJson, None)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_preflight_names_what_is_not_the_servers_to_answer(
    #[case] mode: Hostile,
    #[case] setup: Option<&str>,
) {
    let started = std::time::Instant::now();
    let options = RunOptions {
        http_timeout: Duration::from_secs(9),
        ..RunOptions::local(&cdm_conformance::Contract::embedded())
    };
    let result = run_suite(&target(hostile(mode).await), &options).await;
    match (setup, result) {
        (Some(says), Err(e)) => {
            let line = e.to_string();
            assert!(line.contains(says), "{mode:?}: {line}");
            assert!(!line.contains('\n'), "{mode:?}: one line: {line}");
        }
        (None, Ok(report)) => assert_eq!(report.exit_code(), 1, "{mode:?}"),
        (want, got) => panic!(
            "{mode:?}: expected {want:?}, got {:?}",
            got.map(|r| r.summary)
        ),
    }
    // A dead or dripping server ends the run within a minute.
    assert!(
        started.elapsed() < Duration::from_secs(60),
        "{:?}",
        started.elapsed()
    );
}

#[rstest]
#[case::not_http(
    Hostile::NotHttp,
    "request.valid",
    "http_answer",
    "no valid HTTP answer"
)]
#[case::closes_at_once(
    Hostile::ClosesAtOnce,
    "request.valid",
    "http_answer",
    "no valid HTTP answer"
)]
#[case::huge_body(
    Hostile::HugeBody,
    "request.valid",
    "body_is_json_object",
    "a body over 1048576 bytes"
)]
#[case::trickled_body(
    Hostile::TrickledBody,
    "request.valid",
    "http_answer",
    "no answer within 9000 ms"
)]
#[case::deeply_nested_json(
    Hostile::DeeplyNestedJson,
    "request.valid",
    "body_is_json_object",
    "recursion limit exceeded"
)]
#[case::invalid_utf8_header(
    Hostile::InvalidUtf8Header,
    "request.valid",
    "x_timestamp_well_formed",
    "must end in +07:00"
)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hostile_server_gets_failing_cases_not_a_crash(
    #[case] mode: Hostile,
    #[case] case_id: &str,
    #[case] check: &str,
    #[case] says: &str,
) {
    let started = std::time::Instant::now();
    let report = suite_against(hostile(mode).await).await;
    // Bounded by the HTTP timeout, with room for a loaded machine: a hang guard only.
    assert!(
        started.elapsed() < Duration::from_secs(90),
        "{mode:?}: the run took {:?}",
        started.elapsed()
    );
    crate::power::assert_caught(&report, &format!("{mode:?}"), case_id, check, says);
    for c in report.cases.iter().filter(|c| c.verdict == Verdict::Fail) {
        assert!(
            !c.message.is_empty(),
            "{}: a failure without a message",
            c.id
        );
    }
}
