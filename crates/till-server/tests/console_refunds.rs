//! The console's refunds page over plain HTTP against a real till-server on 127.0.0.1, on SQLite
//! and on PostgreSQL: a refund the till left to the seller is listed with its photo, confirmed
//! or rejected by an admin of its merchant (audited; the till reads the decision), and neither
//! listed, shown nor decided for another merchant's admin.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use base64::Engine;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use support::console::{admin, audit, Web, PASSWORD};
use support::{line_code, Backend, TestServer, NOW};

/// A WebP-signed photo (ASCII after its signature, so the page client reads it as text).
const PHOTO: &[u8] = b"RIFF\x20\0\0\0WEBPVP8 a cracked screen";

fn signed_in(s: &TestServer, user: &str) -> Web {
    let web = Web::new(s);
    let answer = web.sign_in(user, PASSWORD);
    assert_eq!((answer.status, answer.location.as_deref()), (303, Some("/console")), "{}", answer.body);
    web
}

/// A cash sale of one line sold for seller-a (so its refunds wait for the seller).
fn sale_for_a_seller(order: &str, code: &str) -> Value {
    json!({"order_id": order, "store": "Shop 1", "created_at": NOW - 60, "currency": "CNY", "customer_id": "cust-1",
           "lines": [{"line_code": code, "sku": "PH-1", "name": "Phone", "quantity": 1,
                      "unit_price": {"minor": 3800, "currency": "CNY"}, "total": {"minor": 3800, "currency": "CNY"},
                      "seller": "seller-a", "devices": []}],
           "payments": [{"tender": "cash", "amount": {"minor": 3800, "currency": "CNY"}}]})
}

/// The till sells and asks for a refund of line `n` with the photo as evidence: it waits.
fn awaiting_refund(s: &TestServer, id: &str, n: u64, sha: &str) {
    let code = line_code(n);
    let a = s.post("/v1/sales", &sale_for_a_seller(&format!("o-{id}"), &code), &format!("sale-{id}"));
    assert_eq!(a.status, 201, "{}", a.text);
    let refund = json!({"refund_id": id, "line_code": code, "amount": {"minor": 3800, "currency": "CNY"},
                        "tender": "cash", "reason": "defective", "evidence_sha256": sha});
    let a = s.post("/v1/refunds", &refund, id);
    assert_eq!((a.status, a.body["status"].as_str()), (201, Some("pending_seller_confirmation")), "{}", a.text);
}

fn till_sees(s: &TestServer, id: &str) -> String {
    s.get(&format!("/v1/refunds/{id}")).body["status"].as_str().unwrap().to_string()
}

fn a_seller_confirms_or_rejects_with_the_photo_and_another_merchant_sees_nothing(backend: Backend) {
    let s = TestServer::start_on(backend);
    admin(&s, "alice", "default");
    admin(&s, "bob", "acme");
    let sha = hex::encode(Sha256::digest(PHOTO));
    let upload = json!({"sha256": sha, "content_type": "image/webp",
                        "photo_base64": base64::engine::general_purpose::STANDARD.encode(PHOTO)});
    assert_eq!(s.post("/v1/refunds/photos", &upload, "photo-1").status, 201);
    awaiting_refund(&s, "r-1", 1, &sha);
    awaiting_refund(&s, "r-2", 2, &sha);

    let alice = signed_in(&s, "alice");
    let list = alice.get("/console/refunds");
    assert_eq!(list.status, 200);
    let photo_path = format!("/console/refunds/photos/{sha}");
    assert!(list.body.contains("r-1") && list.body.contains("r-2") && list.body.contains(&photo_path), "{}", list.body);
    let photo = alice.get(&photo_path);
    assert_eq!((photo.status, photo.body.as_bytes()), (200, PHOTO));

    // Another merchant's admin: not listed, no photo, no decision.
    let bob = signed_in(&s, "bob");
    let list = bob.get("/console/refunds");
    assert!(list.status == 200 && !list.body.contains("r-1"), "{}", list.body);
    assert_eq!(bob.get(&photo_path).status, 404);
    let token = bob.get("/console/refunds").csrf();
    assert_eq!(bob.post("/console/refunds/r-1/confirm", &[("csrf", &token)]).status, 404);
    assert_eq!(till_sees(&s, "r-1"), "pending_seller_confirmation");

    let form = alice.get("/console/refunds/r-1/confirm");
    assert_eq!(form.status, 200, "{}", form.body);
    let done = alice.post("/console/refunds/r-1/confirm", &[("csrf", &form.csrf())]);
    assert_eq!(
        (done.status, done.location.as_deref()),
        (303, Some("/console/refunds?done=confirmed")),
        "{}",
        done.body
    );
    let form = alice.get("/console/refunds/r-2/reject");
    let done =
        alice.post("/console/refunds/r-2/reject", &[("csrf", &form.csrf()), ("reason", "scratched by the customer")]);
    assert_eq!((done.status, done.location.as_deref()), (303, Some("/console/refunds?done=rejected")), "{}", done.body);
    assert_eq!((till_sees(&s, "r-1"), till_sees(&s, "r-2")), ("refunded".into(), "rejected".into()));
    // Decided once: a second confirmation finds nothing awaiting.
    let token = alice.get("/console/refunds").csrf();
    assert_eq!(alice.post("/console/refunds/r-1/confirm", &[("csrf", &token)]).status, 404);
    assert_eq!(audit(&s, "default")[..2], ["refund.reject r-2", "refund.confirm r-1"]);
    assert!(!audit(&s, "acme").iter().any(|e| e.starts_with("refund.")), "{:?}", audit(&s, "acme"));
}

on_both_backends!(a_seller_confirms_or_rejects_with_the_photo_and_another_merchant_sees_nothing);
