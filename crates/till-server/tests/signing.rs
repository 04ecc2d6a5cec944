//! Every way a request's signature can be refused, against a real server over HTTP.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;
use support::*;

fn assert_401(a: &Answer, code: &str) {
    assert_eq!((a.status, a.body["code"].as_str()), (401, Some(code)), "{}", a.text);
    assert!(a.body["message"].is_string());
}

#[test]
fn a_correctly_signed_ping_passes() {
    let s = TestServer::start();
    let a = s.get("/v1/ping");
    assert_eq!(a.status, 200, "{}", a.text);
    assert_eq!(a.body["terminal_id"], s.terminal_id.as_str());
    assert_eq!(a.body["server_time"], NOW);
}

#[test]
fn tampered_body_is_refused() {
    let s = TestServer::start();
    let body = sale("o-1", &line_code(1), None).to_string();
    let h = s.sign_headers("POST", "/v1/sales", NOW, &s.next_nonce(), body.as_bytes());
    let tampered = body.replace("199900", "1");
    assert_401(&s.raw("POST", "/v1/sales", tampered.as_bytes(), Some("k1"), &h), "bad_signature");
    // Nothing was recorded.
    assert_eq!(s.get(&format!("/v1/line-codes/{}", line_code(1))).status, 404);
}

#[test]
fn wrong_path_is_refused() {
    let s = TestServer::start();
    let body = sale("o-1", &line_code(1), None).to_string();
    let h = s.sign_headers("POST", "/v1/refunds", NOW, &s.next_nonce(), body.as_bytes());
    assert_401(&s.raw("POST", "/v1/sales", body.as_bytes(), Some("k1"), &h), "bad_signature");
    let h = s.sign_headers("GET", "/v1/ping?x=1", NOW, &s.next_nonce(), b"");
    assert_401(&s.raw("GET", "/v1/ping", b"", None, &h), "bad_signature");
}

#[test]
fn stale_and_future_timestamps_are_refused() {
    let s = TestServer::start();
    let h = s.sign_headers("GET", "/v1/ping", NOW - 301, &s.next_nonce(), b"");
    assert_401(&s.raw("GET", "/v1/ping", b"", None, &h), "stale_timestamp");
    let h = s.sign_headers("GET", "/v1/ping", NOW + 301, &s.next_nonce(), b"");
    assert_401(&s.raw("GET", "/v1/ping", b"", None, &h), "stale_timestamp");
    // The edges of the window pass.
    let h = s.sign_headers("GET", "/v1/ping", NOW - 300, &s.next_nonce(), b"");
    assert_eq!(s.raw("GET", "/v1/ping", b"", None, &h).status, 200);
    // The clock is injected: moving it makes a fresh signature stale.
    let h = s.sign_headers("GET", "/v1/ping", NOW, &s.next_nonce(), b"");
    s.clock.set_unix(NOW + 1000);
    assert_401(&s.raw("GET", "/v1/ping", b"", None, &h), "stale_timestamp");
}

#[test]
fn a_reused_nonce_is_refused() {
    let s = TestServer::start();
    let nonce = s.next_nonce();
    let h = s.sign_headers("GET", "/v1/ping", NOW, &nonce, b"");
    assert_eq!(s.raw("GET", "/v1/ping", b"", None, &h).status, 200);
    assert_401(&s.raw("GET", "/v1/ping", b"", None, &h), "replayed_nonce");
    // Same nonce, fresh timestamp and signature: still refused within the window.
    let h = s.sign_headers("GET", "/v1/ping", NOW + 1, &nonce, b"");
    assert_401(&s.raw("GET", "/v1/ping", b"", None, &h), "replayed_nonce");
}

#[test]
fn an_unknown_terminal_is_refused() {
    let s = TestServer::start();
    let n = s.next_nonce();
    let h = till_server::signing::signed_headers("t_0000000000000000", &s.secret, "GET", "/v1/ping", NOW, &n, b"");
    assert_401(&s.raw("GET", "/v1/ping", b"", None, &h), "unknown_terminal");
}

#[test]
fn a_wrong_secret_and_missing_or_malformed_headers_are_refused() {
    let s = TestServer::start();
    let n = s.next_nonce();
    let h = till_server::signing::signed_headers(&s.terminal_id, &[0u8; 32], "GET", "/v1/ping", NOW, &n, b"");
    assert_401(&s.raw("GET", "/v1/ping", b"", None, &h), "bad_signature");
    // (A ping without any signing header is the unsigned liveness answer, tested below.)
    assert_401(&s.raw("GET", "/v1/customers/c1", b"", None, &[]), "bad_auth_headers");
    assert_401(&s.raw("GET", "/v1/ping", b"", None, &h[..1]), "bad_auth_headers");
    let mut h = s.sign_headers("GET", "/v1/ping", NOW, "not-hex", b"");
    assert_401(&s.raw("GET", "/v1/ping", b"", None, &h), "bad_auth_headers");
    h = s.sign_headers("GET", "/v1/ping", NOW, &s.next_nonce(), b"");
    h[1].1 = "yesterday".into();
    assert_401(&s.raw("GET", "/v1/ping", b"", None, &h), "bad_auth_headers");
}

#[test]
fn unknown_routes_and_methods_answer_with_codes() {
    let s = TestServer::start();
    let a = s.get("/v1/nothing-here");
    assert_eq!((a.status, a.body["code"].as_str()), (404, Some("route_not_found")));
    let a = s.get("/v1/sales");
    assert_eq!((a.status, a.body["code"].as_str()), (405, Some("method_not_allowed")));
    for path in ["/v1/refunds/%FF%FE", "/v1/line-codes/%FF", "/v1/sold-devices/%FF", "/v1/points/accounts/%FF"] {
        let a = s.get(path);
        assert_eq!((a.status, a.body["code"].as_str()), (400, Some("invalid_request")), "{path}: {}", a.text);
    }
}

#[test]
fn a_disabled_terminal_is_refused() {
    let s = TestServer::start();
    till_server::admin::set_terminal_disabled(&*s.repo, &s.terminal_id, true).unwrap();
    assert_401(&s.get("/v1/ping"), "terminal_disabled");
    till_server::admin::set_terminal_disabled(&*s.repo, &s.terminal_id, false).unwrap();
    assert_eq!(s.get("/v1/ping").status, 200);
    assert_eq!(till_server::admin::set_terminal_disabled(&*s.repo, "t_nope", true).unwrap_err().code(), "not_found");
}

#[test]
fn a_ping_without_signing_headers_only_says_the_server_is_up() {
    let s = TestServer::start();
    let a = s.raw("GET", "/v1/ping", b"", None, &[]);
    assert_eq!(a.status, 200, "{}", a.text);
    assert_eq!(a.body, serde_json::json!({"server_id": "till-server", "server_time": NOW}));
    assert_eq!(a.signature, None, "unsigned: it proves nothing about who answered");
    // Any signing header and the request is checked in full.
    let h = s.sign_headers("GET", "/v1/ping", NOW, &s.next_nonce(), b"");
    assert_401(&s.raw("GET", "/v1/ping", b"", None, &h[2..3]), "bad_auth_headers");
    // Only the ping: other routes still refuse unsigned requests.
    assert_401(&s.raw("GET", "/v1/refunds/r1", b"", None, &[]), "bad_auth_headers");
    let a = s.raw("POST", "/v1/ping", b"", None, &[]);
    assert_eq!((a.status, a.body["code"].as_str()), (405, Some("method_not_allowed")), "{}", a.text);
}
