//! Signed answers, against a real server over HTTP: every answer to a request whose signature
//! verified carries `X-Till-Response-Signature` over its status and body, bound to that
//! request's nonce and timestamp; an answer to a refused request carries none.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;
use support::*;
use till_server::response_signature::verify_response;

/// Sends a signed request with a known nonce; the answer and that nonce.
fn send(s: &TestServer, method: &str, path: &str, body: &[u8], idem: Option<&str>) -> (Answer, String) {
    let nonce = s.next_nonce();
    let h = s.sign_headers(method, path, NOW, &nonce, body);
    (s.raw(method, path, body, idem, &h), nonce)
}

fn verifies(s: &TestServer, a: &Answer, nonce: &str) -> bool {
    let sig = a.signature.as_deref().expect("the answer carries no signature");
    verify_response(&s.secret, nonce, a.status, a.text.as_bytes(), NOW, sig)
}

#[test]
fn answers_of_every_kind_are_signed_for_their_own_request() {
    let s = TestServer::start();
    let (ping, n1) = send(&s, "GET", "/v1/ping", b"", None);
    assert_eq!(ping.status, 200, "{}", ping.text);
    assert!(verifies(&s, &ping, &n1));
    // Bound to the request: not valid for another nonce, status, body or key.
    let sig = ping.signature.clone().unwrap();
    assert!(!verify_response(&s.secret, &s.next_nonce(), 200, ping.text.as_bytes(), NOW, &sig));
    assert!(!verify_response(&s.secret, &n1, 201, ping.text.as_bytes(), NOW, &sig));
    assert!(!verify_response(&s.secret, &n1, 200, b"{}", NOW, &sig));
    assert!(!verify_response(&s.secret, &n1, 200, ping.text.as_bytes(), NOW + 1, &sig));
    assert!(!verify_response(&[0u8; 32], &n1, 200, ping.text.as_bytes(), NOW, &sig));

    // A business refusal is an answer too (404 not_found).
    let (missing, n2) = send(&s, "GET", &format!("/v1/line-codes/{}", line_code(9)), b"", None);
    assert_eq!(missing.status, 404, "{}", missing.text);
    assert!(verifies(&s, &missing, &n2));

    // A created sale, then its idempotent replay: the stored answer signed for the new request.
    let body = sale("o-1", &line_code(1), None).to_string();
    let (first, n3) = send(&s, "POST", "/v1/sales", body.as_bytes(), Some("k1"));
    assert_eq!(first.status, 201, "{}", first.text);
    assert!(verifies(&s, &first, &n3));
    let (again, n4) = send(&s, "POST", "/v1/sales", body.as_bytes(), Some("k1"));
    assert!(again.replayed && again.text == first.text);
    assert!(verifies(&s, &again, &n4));
    assert_ne!(again.signature, first.signature, "the replay is signed for its own nonce");

    // A batch's answer.
    let batch = serde_json::json!({"events": [{"idempotency_key": "k2", "kind": "sale",
        "body": sale("o-2", &line_code(2), None)}]})
    .to_string();
    let (b, n5) = send(&s, "POST", "/v1/sync/batch", batch.as_bytes(), None);
    assert_eq!(b.status, 200, "{}", b.text);
    assert!(verifies(&s, &b, &n5));
}

#[test]
fn refused_requests_and_unknown_routes_get_no_signature() {
    let s = TestServer::start();
    // A wrong secret: the server cannot know whose secret to sign with.
    let n = s.next_nonce();
    let h = till_server::signing::signed_headers(&s.terminal_id, &[1u8; 32], "GET", "/v1/ping", NOW, &n, b"");
    let a = s.raw("GET", "/v1/ping", b"", None, &h);
    assert_eq!((a.status, a.body["code"].as_str()), (401, Some("bad_signature")));
    assert_eq!(a.signature, None);
    // No signing headers at all.
    let a = s.raw("GET", "/v1/customers/c1", b"", None, &[]);
    assert_eq!((a.status, a.signature.as_deref()), (401, None));
    // A ping without them is the liveness answer: 200, and unsigned too.
    let a = s.raw("GET", "/v1/ping", b"", None, &[]);
    assert_eq!((a.status, a.signature.as_deref()), (200, None));
    // A path that is no endpoint is answered before any signing check.
    let (a, _) = send(&s, "GET", "/v1/nothing-here", b"", None);
    assert_eq!((a.status, a.signature.as_deref()), (404, None));
}
