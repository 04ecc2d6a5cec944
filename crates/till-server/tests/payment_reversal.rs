//! `POST /v1/payments/{payment_id}/reversal` against a real server over HTTP: an approved
//! authorisation is reversed once (replays and second reversals change nothing), a payment id
//! the platform never saw is blocked so that a late authorisation with it is refused, and a
//! declined payment or a wrong amount is refused with its code.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;
use serde_json::{json, Value};
use support::*;
use till_server::payments::card;

fn platform_key() -> [u8; 32] {
    hex::decode(till_server::config::Config::default().sandbox.platform_key).unwrap().try_into().unwrap()
}

fn authorize(s: &TestServer, id: &str, pan: &str) -> Answer {
    let data = card::seal_platform_gcm(&platform_key(), id, [3; 12], pan, "2812");
    let body = json!({"payment_id": id, "order_id": "cart-1", "amount": {"minor": 1999, "currency": "CNY"},
                      "card": {"scheme": "platform_gcm", "data": data}});
    s.post("/v1/payments/authorize", &body, id)
}

fn reversal(id: &str, minor: i64) -> Value {
    json!({"payment_id": id, "amount": {"minor": minor, "currency": "CNY"}, "reason": "sale_not_recorded"})
}

fn reverse(s: &TestServer, id: &str, key: &str) -> Answer {
    s.post(&format!("/v1/payments/{id}/reversal"), &reversal(id, 1999), key)
}

/// The authorisation's status and whether a reversal row exists, from the server's file.
fn stored(s: &TestServer, id: &str) -> (Option<String>, bool) {
    let c = rusqlite::Connection::open(s.dir.path().join("server.db")).unwrap();
    let status = c.query_row("SELECT status FROM authorizations WHERE payment_id = ?1", [id], |r| r.get(0)).ok();
    let reversed: i64 =
        c.query_row("SELECT count(*) FROM payment_reversals WHERE payment_id = ?1", [id], |r| r.get(0)).unwrap();
    (status, reversed == 1)
}

#[test]
fn an_approved_authorisation_is_reversed_once() {
    let s = TestServer::start();
    let a = authorize(&s, "p1", "4111111111111111");
    assert_eq!(a.body["status"], "approved", "{}", a.text);
    let r = reverse(&s, "p1", "rev-p1");
    assert_eq!((r.status, r.body["status"].as_str()), (200, Some("reversed")), "{}", r.text);
    assert_eq!(r.body["auth_code"], a.body["auth_code"]);
    assert_eq!(r.body["amount"], json!({"minor": 1999, "currency": "CNY"}));
    assert_eq!(stored(&s, "p1"), (Some("reversed".into()), true));
    // the same request again: the stored answer, replayed
    let again = reverse(&s, "p1", "rev-p1");
    assert_eq!((again.status, again.text.as_str(), again.replayed), (200, r.text.as_str(), true));
    // a second reversal under another key: a clear refusal
    let twice = reverse(&s, "p1", "rev-p1-b");
    assert_eq!((twice.status, twice.body["code"].as_str()), (409, Some("already_reversed")));
    // a reversed payment id is not authorised again under another key
    let body = json!({"payment_id": "p1", "order_id": "cart-1", "amount": {"minor": 1999, "currency": "CNY"},
                      "card": {"scheme": "platform_gcm", "data": card::seal_platform_gcm(&platform_key(), "p1", [4; 12], "4111111111111111", "2812")}});
    assert_eq!(s.post("/v1/payments/authorize", &body, "p1-again").body["code"], "payment_exists");
}

#[test]
fn a_payment_never_seen_is_blocked_and_its_late_authorisation_refused() {
    let s = TestServer::start();
    let r = reverse(&s, "p2", "rev-p2");
    assert_eq!((r.status, r.body["code"].as_str()), (404, Some("payment_not_found")), "{}", r.text);
    assert!(r.body["message"].as_str().unwrap().contains("blocked"));
    assert_eq!(stored(&s, "p2"), (None, true));
    // the till retries its reversal: the same answer, replayed
    let again = reverse(&s, "p2", "rev-p2");
    assert_eq!((again.status, again.text.as_str(), again.replayed), (404, r.text.as_str(), true));
    // the authorisation that was still on its way arrives: refused, nothing authorised
    let late = authorize(&s, "p2", "4111111111111111");
    assert_eq!((late.status, late.body["code"].as_str()), (409, Some("payment_reversed")), "{}", late.text);
    assert_eq!(stored(&s, "p2"), (None, true));
    assert_eq!(reverse(&s, "p2", "rev-p2-b").body["code"], "already_reversed");
}

#[test]
fn declined_payments_wrong_amounts_and_mismatched_ids_are_refused_and_change_nothing() {
    let s = TestServer::start();
    let d = authorize(&s, "p3", "4000000000000002");
    assert_eq!(d.body["status"], "declined");
    let r = reverse(&s, "p3", "rev-p3");
    assert_eq!((r.status, r.body["code"].as_str()), (409, Some("payment_declined")));
    assert_eq!(stored(&s, "p3"), (Some("declined".into()), false));

    authorize(&s, "p4", "4111111111111111");
    let r = s.post("/v1/payments/p4/reversal", &reversal("p4", 2000), "rev-p4");
    assert_eq!((r.status, r.body["code"].as_str()), (422, Some("amount_mismatch")));
    let r = s.post("/v1/payments/p4/reversal", &reversal("p5", 1999), "rev-p4");
    assert_eq!((r.status, r.body["code"].as_str()), (400, Some("invalid_request")));
    let r = s.post("/v1/payments/p4/reversal", &json!({"payment_id": "p4"}), "rev-p4");
    assert_eq!(r.status, 400);
    let r = s.send("POST", "/v1/payments/p4/reversal", reversal("p4", 1999).to_string().as_bytes(), None);
    assert_eq!(r.body["code"], "missing_idempotency_key");
    assert_eq!(stored(&s, "p4"), (Some("approved".into()), false));
    // and the refused attempts left the key free for the right request
    assert_eq!(reverse(&s, "p4", "rev-p4").body["status"], "reversed");
}

#[test]
fn a_reversal_goes_through_a_batch_like_any_event() {
    let s = TestServer::start();
    authorize(&s, "p6", "4111111111111111");
    let ev =
        json!({"events": [{"idempotency_key": "rev-p6", "kind": "payment_reversal", "body": reversal("p6", 1999)}]});
    let b = s.send("POST", "/v1/sync/batch", ev.to_string().as_bytes(), None);
    assert_eq!(b.body["results"][0]["status"], 200, "{}", b.text);
    // sent alone afterwards with the same key: recognised as the same request
    let alone = reverse(&s, "p6", "rev-p6");
    assert!(alone.replayed && alone.status == 200, "{}", alone.text);
    assert_eq!(stored(&s, "p6"), (Some("reversed".into()), true));
}
