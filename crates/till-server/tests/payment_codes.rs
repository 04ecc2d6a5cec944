//! Customers' payment codes at the sandbox platform, over HTTP against a real server: the
//! scripted outcomes, the customer confirming on the phone, the reversal of a payment whose
//! outcome stayed unknown, and a refund that goes back to the same wallet.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;
use serde_json::{json, Value};
use support::*;

fn pay(s: &TestServer, id: &str, code: &str, minor: i64) -> Answer {
    let body = json!({"payment_id": id, "order_id": format!("cart-{id}"), "code": code,
        "amount": {"minor": minor, "currency": "CNY"}});
    s.post("/v1/payments/code", &body, id)
}

#[test]
fn the_sandbox_decides_by_the_codes_third_digit_and_never_stores_the_code() {
    let s = TestServer::start();
    let a = pay(&s, "p-1", "134567890123456789", 1_000);
    assert_eq!(
        (a.status, &a.body["status"], &a.body["wallet"]),
        (200, &json!("paid"), &json!("wechat_pay")),
        "{}",
        a.text
    );
    assert_eq!(a.body["masked_code"], "1345**********6789");
    assert!(a.body["platform_ref"].as_str().unwrap().starts_with("WE"));
    let d = pay(&s, "p-2", "2851234567890123", 1_000);
    assert_eq!((&d.body["status"], &d.body["reason_code"]), (&json!("declined"), &json!("insufficient_balance")));
    let e = pay(&s, "p-3", "6261234567890123456", 1_000);
    assert_eq!((&e.body["status"], &e.body["reason_code"]), (&json!("declined"), &json!("code_expired")));
    // the same payment id again is the same answer (idempotent), never a second charge
    let again = pay(&s, "p-1", "134567890123456789", 1_000);
    assert!(again.replayed);
    assert_eq!(again.text, a.text);
    // not a payment code
    let bad = pay(&s, "p-4", "6901234567892", 1_000);
    assert_eq!(bad.status, 400, "{}", bad.text);
    drop(s.server);
    let db = std::fs::read(s.dir.path().join("server.db")).unwrap();
    let wal = std::fs::read(s.dir.path().join("server.db-wal")).unwrap_or_default();
    for code in ["134567890123456789", "2851234567890123"] {
        for bytes in [&db, &wal] {
            assert!(!bytes.windows(code.len()).any(|w| w == code.as_bytes()), "{code} stored in clear");
        }
    }
}

#[test]
fn a_customer_confirming_on_the_phone_is_paid_or_cancelled_after_a_while() {
    let s = TestServer::start();
    let a = pay(&s, "p-7", "137567890123456789", 1_000);
    assert_eq!(a.body["status"], "user_paying", "{}", a.text);
    assert_eq!(a.body["platform_ref"], Value::Null);
    assert_eq!(s.get("/v1/payments/code/p-7").body["status"], "user_paying");
    s.clock.set_unix(NOW + 10);
    let q = s.get("/v1/payments/code/p-7");
    assert_eq!(q.body["status"], "paid", "{}", q.text);
    assert!(q.body["platform_ref"].is_string());

    let c = pay(&s, "p-8", "138567890123456789", 1_000);
    assert_eq!(c.body["status"], "user_paying");
    s.clock.set_unix(NOW + 30);
    let q = s.get("/v1/payments/code/p-8");
    assert_eq!((&q.body["status"], &q.body["reason_code"]), (&json!("declined"), &json!("user_cancelled")));
    assert_eq!(s.get("/v1/payments/code/nope").status, 404);
}

#[test]
fn a_payment_still_unknown_is_reversed_and_stays_reversed() {
    let s = TestServer::start();
    let a = pay(&s, "p-9", "139567890123456789", 1_000);
    assert_eq!(a.body["status"], "user_paying");
    s.clock.set_unix(NOW + 60);
    let body = json!({"payment_id": "p-9", "amount": {"minor": 1000, "currency": "CNY"}, "reason": "no_answer"});
    let r = s.post("/v1/payments/p-9/reversal", &body, "rev-p-9");
    assert_eq!((r.status, &r.body["status"]), (200, &json!("reversed")), "{}", r.text);
    assert_eq!(s.get("/v1/payments/code/p-9").body["status"], "reversed");
    // a late submission under the same id cannot charge again
    let late = pay(&s, "p-9b", "134567890123456789", 1_000);
    assert_eq!(late.body["status"], "paid");
    let again = json!({"payment_id": "p-9", "order_id": "cart-p-9", "code": "134567890123456789",
        "amount": {"minor": 1000, "currency": "CNY"}});
    assert_eq!(s.post("/v1/payments/code", &again, "other-key").status, 409);
}

#[test]
fn a_refund_of_a_code_sale_goes_back_to_the_same_wallet() {
    let s = TestServer::start();
    let a = pay(&s, "p-10", "2812345678901234", 199_900);
    assert_eq!(a.body["status"], "paid");
    let code = line_code(10);
    let mut sale = sale("o-10", &code, None);
    sale["payments"][0] = json!({"tender": "payment_code", "amount": {"minor": 199900, "currency": "CNY"},
        "wallet": "alipay", "masked_code": a.body["masked_code"], "auth_code": a.body["platform_ref"], "payment_id": "p-10"});
    let r = s.post("/v1/sales", &sale, "sale-10");
    assert_eq!(r.status, 201, "{}", r.text);
    // a clear code in the sale is refused
    let mut clear = sale.clone();
    clear["order_id"] = json!("o-11");
    clear["lines"][0]["line_code"] = json!(line_code(11));
    clear["payments"][0]["masked_code"] = json!("2812345678901234");
    assert_eq!(s.post("/v1/sales", &clear, "sale-11").status, 400);

    let refund = json!({"refund_id": "rf-10", "line_code": code, "amount": {"minor": 199900, "currency": "CNY"},
        "tender": "original", "reason": "changed mind", "approved_by": "Li Wei"});
    let r = s.post("/v1/refunds", &refund, "rf-10");
    assert_eq!(r.status, 201, "{}", r.text);
    assert_eq!(r.body["refund_to"], a.body["masked_code"], "{}", r.text);
}
