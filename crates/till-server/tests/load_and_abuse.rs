//! The server under load and abuse (finding 9 of the fail-closed review), against a real server
//! on 127.0.0.1 with raw TCP clients where a well-behaved HTTP client cannot misbehave enough:
//! who is asking is checked before the body is read, bodies are limited, silent and stalled
//! connections are dropped, requests beyond the concurrency limit wait and are then refused,
//! and a write in progress does not hold up reads or the signing check.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};
use support::*;
use till_server::config::{Config, Limits};

/// The answer read from a raw connection: status and the whole text, or how the read ended.
#[derive(Debug)]
enum Raw {
    /// An HTTP answer: status code and text (head and body).
    Answer(u16, String),
    /// The server closed the connection without answering.
    Closed,
    /// Nothing within the read timeout.
    Silent,
}

/// Reads one answer (or the close) within `wait`.
fn read_answer(stream: &mut TcpStream, wait: Duration) -> Raw {
    stream.set_read_timeout(Some(wait)).unwrap();
    let mut text = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        match stream.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => {
                text.extend_from_slice(&buf[..n]);
                // An error answer is small; stop at the end of its JSON body.
                let s = String::from_utf8_lossy(&text);
                if let Some(at) = s.find("\r\n\r\n") {
                    if s[at..].contains('}') {
                        break;
                    }
                }
            }
            Err(e) if matches!(e.kind(), std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut) => {
                if text.is_empty() {
                    return Raw::Silent;
                }
                break;
            }
            // A reset is the server closing on a client that still had unread bytes in flight.
            Err(_) => break,
        }
    }
    if text.is_empty() {
        return Raw::Closed;
    }
    let s = String::from_utf8_lossy(&text).to_string();
    let status = s.split(' ').nth(1).and_then(|c| c.parse().ok()).unwrap_or(0);
    Raw::Answer(status, s)
}

/// Connects and sends the head of a request with `headers` (and nothing of its body).
fn send_head(s: &TestServer, method: &str, path: &str, headers: &[(&str, String)]) -> TcpStream {
    let mut stream = TcpStream::connect(s.server.addr).unwrap();
    let mut head = format!("{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n");
    for (k, v) in headers {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    head.push_str("\r\n");
    stream.write_all(head.as_bytes()).unwrap();
    stream
}

fn start_with_limits(limits: Limits) -> TestServer {
    TestServer::start_with(Config { limits, ..Config::default() })
}

/// A well-formed signature header that signs nothing in particular.
const SOME_SIGNATURE: &str = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=";

#[test]
fn a_stranger_with_a_large_body_is_refused_before_the_body_is_sent() {
    let s = TestServer::start();
    let two_mib = (2 * 1024 * 1024).to_string();
    let stranger = |terminal: &str, timestamp: i64| {
        vec![
            ("Content-Length", two_mib.clone()),
            ("Idempotency-Key", "k-1".to_string()),
            ("X-Till-Terminal", terminal.to_string()),
            ("X-Till-Timestamp", timestamp.to_string()),
            ("X-Till-Nonce", s.next_nonce()),
            ("X-Till-Signature", SOME_SIGNATURE.to_string()),
        ]
    };
    let cases: [(Vec<(&str, String)>, &str); 4] = [
        (vec![("Content-Length", two_mib.clone())], "bad_auth_headers"),
        (stranger("t_00000000deadbeef", NOW), "unknown_terminal"),
        (stranger(&s.terminal_id, NOW - 3600), "stale_timestamp"),
        (
            {
                let mut h = stranger(&s.terminal_id, NOW);
                h[5].1 = "not a signature".into();
                h
            },
            "bad_auth_headers",
        ),
    ];
    for (headers, code) in cases {
        let mut stream = send_head(&s, "POST", "/v1/sales", &headers);
        // A few bytes of the 2 MiB; the rest is never sent.
        stream.write_all(b"{\"order_id\":").unwrap();
        match read_answer(&mut stream, Duration::from_secs(5)) {
            Raw::Answer(status, text) => {
                assert_eq!(status, 401, "{text}");
                assert!(text.contains(&format!("\"code\":\"{code}\"")), "{text}");
            }
            other => panic!("expected 401 {code} before the body was sent, got {other:?}"),
        }
    }
}

#[test]
fn a_signed_body_over_one_mib_is_413_except_a_batch() {
    let s = TestServer::start();
    // Over the limit by one byte, declared: refused on its Content-Length, before it is read.
    let body = vec![b' '; 1024 * 1024 + 1];
    let mut headers: Vec<(&str, String)> =
        s.sign_headers("POST", "/v1/sales", NOW, &s.next_nonce(), &body).into_iter().collect();
    headers.push(("Content-Length", body.len().to_string()));
    headers.push(("Idempotency-Key", "k-big".into()));
    let mut stream = send_head(&s, "POST", "/v1/sales", &headers);
    stream.write_all(&body[..16]).unwrap();
    match read_answer(&mut stream, Duration::from_secs(5)) {
        Raw::Answer(status, text) => {
            assert_eq!(status, 413, "{text}");
            assert!(text.contains("\"code\":\"payload_too_large\""), "{text}");
        }
        other => panic!("expected 413, got {other:?}"),
    }
    // Chunked, with no length given: refused once the limit is crossed while reading.
    let h = s.sign_headers("POST", "/v1/sales", NOW, &s.next_nonce(), &body);
    let mut headers: Vec<(&str, String)> = h.into_iter().collect();
    headers.push(("Transfer-Encoding", "chunked".into()));
    headers.push(("Idempotency-Key", "k-chunked".into()));
    let mut stream = send_head(&s, "POST", "/v1/sales", &headers);
    let chunk = vec![b' '; 64 * 1024];
    // 17 chunks: just over 1 MiB, then wait for the answer.
    for _ in 0..17 {
        stream.write_all(format!("{:x}\r\n", chunk.len()).as_bytes()).unwrap();
        stream.write_all(&chunk).unwrap();
        stream.write_all(b"\r\n").unwrap();
    }
    match read_answer(&mut stream, Duration::from_secs(5)) {
        Raw::Answer(status, text) => assert_eq!(status, 413, "{text}"),
        other => panic!("expected 413 for the chunked body, got {other:?}"),
    }
    // A batch of 2 MiB is read and judged on its content (here: not a batch), not its size.
    let mut batch = br#"{"events": [], "padding": ""#.to_vec();
    batch.extend(std::iter::repeat_n(b'x', 2 * 1024 * 1024));
    batch.extend_from_slice(b"\"}");
    let a = s.send("POST", "/v1/sync/batch", &batch, None);
    assert_eq!((a.status, a.body["code"].as_str()), (400, Some("invalid_request")), "{}", a.text);
    // Nothing was recorded, and a normal request still passes.
    assert_eq!(s.post("/v1/sales", &sale("o-1", &line_code(1), None), "k-ok").status, 201);
}

#[test]
fn a_silent_or_half_header_client_is_disconnected_after_the_header_timeout() {
    let s = start_with_limits(Limits { header_read_timeout_ms: 500, ..Limits::default() });
    let started = Instant::now();
    let mut silent = TcpStream::connect(s.server.addr).unwrap();
    let mut half = TcpStream::connect(s.server.addr).unwrap();
    half.write_all(b"GET /v1/ping HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Till-Term").unwrap();
    for stream in [&mut silent, &mut half] {
        match read_answer(stream, Duration::from_secs(5)) {
            // hyper may say 408 before closing; either way the connection is gone.
            Raw::Closed => {}
            Raw::Answer(408, _) => assert!(matches!(read_answer(stream, Duration::from_secs(5)), Raw::Closed)),
            other => panic!("the connection should have been closed, got {other:?}"),
        }
    }
    assert!(started.elapsed() < Duration::from_secs(4), "closed only after {:?}", started.elapsed());
    // The server itself is fine.
    assert_eq!(s.get("/v1/ping").status, 200);
}

#[test]
fn a_connection_that_stalls_halfway_is_closed_after_the_idle_timeout() {
    // A generous header and request time; only the idle timeout can end these.
    let s = start_with_limits(Limits {
        header_read_timeout_ms: 60_000,
        request_timeout_ms: 60_000,
        idle_timeout_ms: 500,
        ..Limits::default()
    });
    let started = Instant::now();
    let mut half = TcpStream::connect(s.server.addr).unwrap();
    half.write_all(b"GET /v1/ping HTTP/1.1\r\nHost: 127.0.0.1\r\n").unwrap();
    assert!(matches!(read_answer(&mut half, Duration::from_secs(5)), Raw::Closed | Raw::Answer(408, _)));
    // Headers of a signed upload, then a body that stops after a few bytes.
    let body = sale("o-2", &line_code(2), None).to_string();
    let mut headers: Vec<(&str, String)> =
        s.sign_headers("POST", "/v1/sales", NOW, &s.next_nonce(), body.as_bytes()).into_iter().collect();
    headers.push(("Content-Length", body.len().to_string()));
    headers.push(("Idempotency-Key", "k-stall".into()));
    let mut stalled = send_head(&s, "POST", "/v1/sales", &headers);
    stalled.write_all(&body.as_bytes()[..10]).unwrap();
    match read_answer(&mut stalled, Duration::from_secs(5)) {
        Raw::Closed => {}
        Raw::Answer(status, text) => assert!(status >= 400, "{text}"),
        Raw::Silent => panic!("a stalled upload was kept open"),
    }
    assert!(started.elapsed() < Duration::from_secs(6), "closed only after {:?}", started.elapsed());
    assert_eq!(s.get(&format!("/v1/line-codes/{}", line_code(2))).status, 404);
}

#[test]
fn a_request_that_is_not_done_in_time_is_answered_503_request_timeout() {
    let s = start_with_limits(Limits { request_timeout_ms: 500, ..Limits::default() });
    let body = sale("o-3", &line_code(3), None).to_string();
    let mut headers: Vec<(&str, String)> =
        s.sign_headers("POST", "/v1/sales", NOW, &s.next_nonce(), body.as_bytes()).into_iter().collect();
    headers.push(("Content-Length", body.len().to_string()));
    headers.push(("Idempotency-Key", "k-slow".into()));
    let mut slow = send_head(&s, "POST", "/v1/sales", &headers);
    slow.write_all(&body.as_bytes()[..10]).unwrap();
    match read_answer(&mut slow, Duration::from_secs(5)) {
        Raw::Answer(status, text) => {
            assert_eq!(status, 503, "{text}");
            assert!(text.contains("\"code\":\"request_timeout\""), "{text}");
        }
        other => panic!("expected 503 request_timeout, got {other:?}"),
    }
}

/// Takes a request slot: the signed head of an upload whose body never comes.
fn hold_a_slot(s: &TestServer, n: u32) -> TcpStream {
    let body = sale(&format!("slot-{n}"), &line_code(100 + u64::from(n)), None).to_string();
    let mut headers: Vec<(&str, String)> =
        s.sign_headers("POST", "/v1/sales", NOW, &s.next_nonce(), body.as_bytes()).into_iter().collect();
    headers.push(("Content-Length", body.len().to_string()));
    headers.push(("Idempotency-Key", format!("slot-{n}")));
    send_head(s, "POST", "/v1/sales", &headers)
}

#[test]
fn requests_beyond_the_concurrency_limit_wait_for_a_slot_then_are_refused_busy() {
    let s = start_with_limits(Limits {
        max_concurrent_requests: 2,
        queue_timeout_ms: 1_500,
        request_timeout_ms: 60_000,
        ..Limits::default()
    });
    let slots = [hold_a_slot(&s, 1), hold_a_slot(&s, 2)];
    std::thread::sleep(Duration::from_millis(200)); // both are inside the server
                                                    // Full: a third request waits the queue timeout, then is refused with a retry hint.
    let started = Instant::now();
    let a = s.get("/v1/ping");
    let waited = started.elapsed();
    assert_eq!((a.status, a.body["code"].as_str()), (503, Some("server_busy")), "{}", a.text);
    assert!(waited >= Duration::from_millis(1_400), "refused after {waited:?}, before the queue timeout");
    // Queued, not dropped: a request waiting when a slot frees up is served.
    let (s_ref, slots) = (&s, slots);
    std::thread::scope(|scope| {
        let waiting = scope.spawn(move || {
            let started = Instant::now();
            (s_ref.get("/v1/ping"), started.elapsed())
        });
        std::thread::sleep(Duration::from_millis(400));
        let [first, second] = slots;
        drop(first); // its upload ends: the server answers it and frees the slot
        let (a, waited) = waiting.join().unwrap();
        assert_eq!(a.status, 200, "{}", a.text);
        assert!(waited >= Duration::from_millis(300), "served after {waited:?}: it did not wait for a slot");
        drop(second);
    });
}

#[test]
fn a_write_in_progress_holds_up_neither_reads_nor_the_signing_check() {
    let s = TestServer::start();
    assert_eq!(s.post("/v1/sales", &sale("o-1", &line_code(1), Some("352099001761481")), "k-1").status, 201);
    let agent = ureq::AgentBuilder::new().timeout(Duration::from_secs(3)).build();
    let get = |path: &str| {
        let h = s.sign_headers("GET", path, NOW, &s.next_nonce(), b"");
        let mut req = agent.get(&format!("{}{}", s.server.url(), path));
        for (k, v) in &h {
            req = req.set(k, v);
        }
        match req.call() {
            Ok(r) => r.status(),
            Err(ureq::Error::Status(code, _)) => code,
            Err(e) => panic!("{path}: no answer while a write was open: {e}"),
        }
    };
    {
        // A slow writer: a write transaction held open, with an uncommitted change in it.
        let mut tx = s.repo.begin().unwrap();
        tx.set_merchant_customer_reputation("default", "cust-9", 99).unwrap();
        let started = Instant::now();
        assert_eq!(get("/v1/ping"), 200);
        assert_eq!(get(&format!("/v1/line-codes/{}", line_code(1))), 200);
        assert_eq!(get(&format!("/v1/sold-devices/{}", blind("352099001761481"))), 200);
        assert!(started.elapsed() < Duration::from_secs(3));
        // Reads see the last commit, not the open transaction.
        let h = s.sign_headers("GET", "/v1/customers/cust-9", NOW, &s.next_nonce(), b"");
        let mut req = agent.get(&format!("{}/v1/customers/cust-9", s.server.url()));
        for (k, v) in &h {
            req = req.set(k, v);
        }
        let v: serde_json::Value = req.call().unwrap().into_json().unwrap();
        assert_eq!(v["reputation"], serde_json::Value::Null);
        tx.commit().unwrap();
    }
    let a = s.get("/v1/customers/cust-9");
    assert_eq!(a.body["reputation"], 99);
}
