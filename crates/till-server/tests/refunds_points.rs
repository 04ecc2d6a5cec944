//! Customers' reputation for the refund policy, points reversals for refunds, card refunds bound
//! to the original authorisation, and refunds of a device sold at another till: against a real
//! server over HTTP.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;
use serde_json::{json, Value};
use support::*;
use till_core::Clock;
use till_server::clock::SeededEntropy;
use till_server::config::Config;
use till_server::points::{base32_decode, make_redeem_token, make_token};

/// A second till registered on the same server.
struct OtherTill {
    id: String,
    secret: Vec<u8>,
}

impl OtherTill {
    fn register(s: &TestServer) -> OtherTill {
        let t = till_server::admin::add_terminal(&*s.repo, "counter 2", &*s.clock, &SeededEntropy::new(99)).unwrap();
        assert_ne!(t.terminal_id, s.terminal_id);
        OtherTill { id: t.terminal_id, secret: hex::decode(t.secret).unwrap() }
    }

    fn send(&self, s: &TestServer, method: &str, path: &str, body: &[u8], idem: Option<&str>) -> Answer {
        let h = till_server::signing::signed_headers(
            &self.id,
            &self.secret,
            method,
            path,
            s.clock.now_unix(),
            &s.next_nonce(),
            body,
        )
        .to_vec();
        s.raw(method, path, body, idem, &h)
    }

    fn post(&self, s: &TestServer, path: &str, body: &Value, idem: &str) -> Answer {
        self.send(s, "POST", path, body.to_string().as_bytes(), Some(idem))
    }

    fn get(&self, s: &TestServer, path: &str) -> Answer {
        self.send(s, "GET", path, b"", None)
    }
}

#[test]
fn a_customer_shows_reputation_and_threshold() {
    let s = TestServer::start_with(Config { refund_reputation_threshold: 80, ..Config::default() });
    let a = s.get("/v1/customers/cust-9");
    assert_eq!(a.status, 200, "{}", a.text);
    assert_eq!(a.body, json!({"customer_id": "cust-9", "reputation": null, "threshold": 80}));
    till_server::admin::set_reputation(&*s.repo, "cust-9", 85).unwrap();
    assert_eq!(s.get("/v1/customers/cust-9").body, json!({"customer_id": "cust-9", "reputation": 85, "threshold": 80}));

    // The admin command sets it on the running server's database.
    let db = s.dir.path().join("server.db");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_till-server"))
        .args(["customers", "set-reputation", "--db", db.to_str().unwrap(), "--id", "cust-10", "--score", "42"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(s.get("/v1/customers/cust-10").body["reputation"], 42);
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_till-server"))
        .args(["customers", "set-reputation", "--db", db.to_str().unwrap(), "--id", "cust-10", "--score", "x"])
        .output()
        .unwrap();
    assert!(!out.status.success());

    let a = s.get(&format!("/v1/customers/{}", "c".repeat(65)));
    assert_eq!((a.status, a.body["code"].as_str()), (400, Some("invalid_request")));
    // Signed like every /v1 route.
    let a = s.raw("GET", "/v1/customers/cust-9", b"", None, &[]);
    assert_eq!((a.status, a.body["code"].as_str()), (401, Some("bad_auth_headers")));
}

fn enrol(s: &TestServer) -> (String, Vec<u8>) {
    let a = s.post("/v1/points/enrol", &json!({}), &format!("enrol-{}", s.next_nonce()));
    assert_eq!(a.status, 201, "{}", a.text);
    let msg = a.body["enrolment_message"].as_str().unwrap().to_string();
    let parts: Vec<&str> = msg.split(' ').collect();
    (parts[2].to_string(), base32_decode(parts[3]).unwrap())
}

fn token(account: &str, key: &[u8], counter: u32) -> String {
    let id: [u8; 16] = hex::decode(account).unwrap().try_into().unwrap();
    hex::encode(make_token(key, &id, counter, NOW as u64))
}

/// A redemption token (version 2) for `points` of the sale whose checkout key is `cart`.
fn redeem_token(account: &str, key: &[u8], counter: u32, points: i64, cart: &str) -> String {
    let id: [u8; 16] = hex::decode(account).unwrap().try_into().unwrap();
    hex::encode(make_redeem_token(key, &id, counter, NOW as u64, points, cart).unwrap())
}

/// A sale of this terminal whose checkout key (the till's cart) is `cart`.
fn sale_of_cart(s: &TestServer, order: &str, code: &str, cart: &str) {
    let mut body = sale(order, code, None);
    body["checkout_key"] = json!(cart);
    let a = s.post("/v1/sales", &body, &format!("sale-{order}"));
    assert_eq!(a.status, 201, "{}", a.text);
}

const CART_1: &str = "c1c1c1c1c1c1c1c1c1c1c1c1c1c1c1c1";
const CART_2: &str = "c2c2c2c2c2c2c2c2c2c2c2c2c2c2c2c2";

fn reversal(refund: &str, order: &str, account: &str, kind: &str, points: i64) -> Value {
    json!({"refund_id": refund, "order_id": order, "account_id": account, "kind": kind, "points": points})
}

#[test]
fn reversals_are_bounded_by_the_original_change_of_the_order() {
    let s = TestServer::start();
    let (account, key) = enrol(&s);
    let update = |counter: u32, kind: &str, points: i64, order: &str| {
        let token = match kind {
            "redeem" => redeem_token(&account, &key, counter, points, CART_1),
            _ => token(&account, &key, counter),
        };
        let body = json!({"token": token, "kind": kind, "points": points, "order_id": order});
        let a = s.post("/v1/points/updates", &body, &format!("u{counter}"));
        assert_eq!(a.status, 200, "{}", a.text);
    };
    sale_of_cart(&s, "o-1", &line_code(1), CART_1);
    update(1, "earn", 300, "o-1");
    update(2, "redeem", 100, "o-1");
    let reverse = |body: Value, key: &str| s.post("/v1/points/reversals", &body, key);

    let a = reverse(reversal("r-1", "o-1", &account, "reverse_earn", 200), "v1");
    assert_eq!(a.status, 200, "{}", a.text);
    assert_eq!((a.body["balance"].as_i64(), a.body["last_counter"].as_i64()), (Some(0), Some(2)));
    assert_eq!((a.body["level"].as_str(), a.body["account_id"].as_str()), (Some("member"), Some(account.as_str())));
    // A retry of the same event is the same answer, applied once.
    let again = reverse(reversal("r-1", "o-1", &account, "reverse_earn", 200), "v1");
    assert!(again.replayed);
    assert_eq!(again.text, a.text);
    // The same refund's reversal again under another key is refused, even within the bound.
    let a = reverse(reversal("r-1", "o-1", &account, "reverse_earn", 1), "v1-dup");
    assert_eq!((a.status, a.body["code"].as_str()), (409, Some("reversal_exists")));

    // Another refund of the same order is bounded by what is left of the original 300.
    let a = reverse(reversal("r-2", "o-1", &account, "reverse_earn", 101), "v2");
    assert_eq!((a.status, a.body["code"].as_str()), (422, Some("reversal_exceeds_original")), "{}", a.text);
    // Within the bound but the points were spent: the balance never goes below zero.
    let a = reverse(reversal("r-2", "o-1", &account, "reverse_earn", 100), "v3");
    assert_eq!((a.status, a.body["code"].as_str()), (422, Some("insufficient_points")));

    // The 100 redeemed on the order come back, once.
    let a = reverse(reversal("r-2", "o-1", &account, "return_redeem", 100), "v4");
    assert_eq!((a.status, a.body["balance"].as_i64()), (200, Some(100)), "{}", a.text);
    let a = reverse(reversal("r-3", "o-1", &account, "return_redeem", 1), "v5");
    assert_eq!((a.status, a.body["code"].as_str()), (422, Some("reversal_exceeds_original")));
    let a = reverse(reversal("r-2", "o-1", &account, "reverse_earn", 100), "v6");
    assert_eq!((a.status, a.body["balance"].as_i64()), (200, Some(0)));
    let a = reverse(reversal("r-4", "o-1", &account, "reverse_earn", 1), "v7");
    assert_eq!(a.body["code"], "reversal_exceeds_original");

    // Nothing to reverse: an order without such a change, or another till's order.
    let a = reverse(reversal("r-5", "o-2", &account, "reverse_earn", 1), "v8");
    assert_eq!((a.status, a.body["code"].as_str()), (422, Some("no_points_to_reverse")));
    update(3, "earn", 50, "o-3");
    let a = reverse(reversal("r-5", "o-3", &account, "return_redeem", 1), "v9");
    assert_eq!(a.body["code"], "no_points_to_reverse");
    let other = OtherTill::register(&s);
    let a = other.post(&s, "/v1/points/reversals", &reversal("r-6", "o-3", &account, "reverse_earn", 1), "v10");
    assert_eq!((a.status, a.body["code"].as_str()), (422, Some("no_points_to_reverse")));

    // Bad input is refused before storage.
    let unknown = "00".repeat(16);
    let cases = [
        (reversal("r-7", "o-3", &unknown, "reverse_earn", 1), 404, "not_found"),
        (reversal("r-7", "o-3", "xyz", "reverse_earn", 1), 400, "invalid_request"),
        (reversal("r-7", "o-3", &account, "reverse_earn", 0), 400, "invalid_amount"),
        (reversal("r-7", "o-3", &account, "reverse_earn", 1_000_000_001), 400, "invalid_amount"),
        (reversal("r-7", "o-3", &account, "refund_everything", 1), 400, "invalid_request"),
        (reversal(&"r".repeat(65), "o-3", &account, "reverse_earn", 1), 400, "invalid_request"),
        (json!({"refund_id": "r-7", "order_id": "o-3", "kind": "reverse_earn", "points": 1}), 400, "invalid_request"),
    ];
    for (i, (body, status, code)) in cases.into_iter().enumerate() {
        let a = reverse(body, &format!("bad-{i}"));
        assert_eq!((a.status, a.body["code"].as_str()), (status, Some(code)), "case {i}: {}", a.text);
    }
    // Upper-case account ids name the same account.
    let a = reverse(reversal("r-8", "o-3", &account.to_ascii_uppercase(), "reverse_earn", 20), "v11");
    assert_eq!((a.status, a.body["balance"].as_i64()), (200, Some(30)), "{}", a.text);

    // Tokens go on after reversals; the history shows the reversals with their refunds.
    update(4, "earn", 5, "o-4");
    let acct = s.get(&format!("/v1/points/accounts/{account}"));
    assert_eq!((acct.body["balance"].as_i64(), acct.body["last_counter"].as_i64()), (Some(35), Some(4)));
    let history: Vec<(String, i64, i64, Value)> = acct.body["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["kind"].as_str().unwrap().to_string(),
                e["delta"].as_i64().unwrap(),
                e["counter"].as_i64().unwrap(),
                e["refund_id"].clone(),
            )
        })
        .collect();
    let h = |k: &str, d: i64, c: i64, r: Value| (k.to_string(), d, c, r);
    assert_eq!(
        history,
        vec![
            h("earn", 5, 4, Value::Null),
            h("reverse_earn", -20, 3, json!("r-8")),
            h("earn", 50, 3, Value::Null),
            h("reverse_earn", -100, 2, json!("r-2")),
            h("return_redeem", 100, 2, json!("r-2")),
            h("reverse_earn", -200, 2, json!("r-1")),
            h("redeem", -100, 2, Value::Null),
            h("earn", 300, 1, Value::Null),
        ]
    );
    assert_eq!(acct.body["history"][1]["balance_after"], 30);
}

#[test]
fn a_redemption_needs_a_version_2_token_for_exactly_its_points_and_its_sale() {
    let s = TestServer::start();
    let (account, key) = enrol(&s);
    sale_of_cart(&s, "o-1", &line_code(1), CART_1);
    sale_of_cart(&s, "o-2", &line_code(2), CART_2);
    let earn = json!({"token": token(&account, &key, 1), "kind": "earn", "points": 1_000, "order_id": "o-1"});
    assert_eq!(s.post("/v1/points/updates", &earn, "u1").status, 200);
    let redeem = |token: String, points: i64, order: &str, idem: &str| {
        let body = json!({"token": token, "kind": "redeem", "points": points, "order_id": order});
        s.post("/v1/points/updates", &body, idem)
    };
    let refused = |a: Answer, why: &str| {
        assert_eq!((a.status, a.body["code"].as_str()), (422, Some("token_does_not_cover")), "{}", a.text);
        assert!(a.body["message"].as_str().unwrap().contains(why), "{}", a.text);
    };
    // The token that identified the customer (version 1, fresh counter, valid MAC) cannot
    // redeem the whole balance: before version 2 it could.
    refused(redeem(token(&account, &key, 2), 1_000, "o-1", "r1"), "identify token");
    // A redemption token for 100 points of o-1 redeems neither 500 nor 99, nor for o-2.
    let for_100 = redeem_token(&account, &key, 2, 100, CART_1);
    refused(redeem(for_100.clone(), 500, "o-1", "r2"), "allows 100 points");
    refused(redeem(for_100.clone(), 99, "o-1", "r3"), "allows 100 points");
    refused(redeem(for_100.clone(), 100, "o-2", "r4"), "another order");
    // Nor for an order this terminal never sent, nor from another till's sale of that number.
    refused(redeem(for_100.clone(), 100, "o-9", "r5"), "no sale o-9");
    let other = OtherTill::register(&s);
    let body = json!({"token": for_100, "kind": "redeem", "points": 100, "order_id": "o-1"});
    refused(other.post(&s, "/v1/points/updates", &body, "r6"), "no sale o-1");
    // A redemption token cannot earn.
    let body = json!({"token": for_100, "kind": "earn", "points": 100, "order_id": "o-1"});
    refused(s.post("/v1/points/updates", &body, "r7"), "cannot earn");
    // None of that changed anything; the token still redeems what it names, once.
    assert_eq!(s.get(&format!("/v1/points/accounts/{account}")).body["balance"], 1_000);
    let a = redeem(for_100.clone(), 100, "o-1", "r8");
    assert_eq!((a.status, a.body["balance"].as_i64()), (200, Some(900)), "{}", a.text);
    let a = redeem(for_100, 100, "o-1", "r9");
    assert_eq!((a.status, a.body["code"].as_str()), (422, Some("token_replayed")));
    // A forged version 2 token (another key) is invalid, whatever it names.
    let forged = redeem_token(&account, &[9u8; 32], 3, 100, CART_2);
    assert_eq!(redeem(forged, 100, "o-2", "r10").body["code"], "invalid_token");
    // A sale's checkout key must be 32 hex digits.
    let mut bad = sale("o-3", &line_code(3), None);
    bad["checkout_key"] = json!("not-a-cart");
    let a = s.post("/v1/sales", &bad, "sale-bad");
    assert_eq!((a.status, a.body["code"].as_str()), (400, Some("invalid_request")));
}

#[test]
fn reversals_travel_in_batches_like_other_events() {
    let s = TestServer::start();
    let (account, key) = enrol(&s);
    let earn = json!({"token": token(&account, &key, 1), "kind": "earn", "points": 80, "order_id": "o-1"});
    let first = reversal("r-1", "o-1", &account, "reverse_earn", 30);
    let batch = json!({"events": [
        {"idempotency_key": "ev-1", "kind": "points_update", "body": earn},
        {"idempotency_key": "ev-2", "kind": "points_reversal", "body": first},
        {"idempotency_key": "ev-3", "kind": "points_reversal", "body": reversal("r-2", "o-1", &account, "reverse_earn", 51)},
        {"idempotency_key": "ev-4", "kind": "points_reversal", "body": reversal("r-2", "o-1", &account, "reverse_earn", 50)},
    ]});
    let a = s.post("/v1/sync/batch", &batch, "batch-1");
    assert_eq!(a.status, 200, "{}", a.text);
    let r = a.body["results"].as_array().unwrap();
    let statuses: Vec<u64> = r.iter().map(|x| x["status"].as_u64().unwrap()).collect();
    assert_eq!(statuses, [200, 200, 422, 200]);
    assert_eq!(r[2]["body"]["code"], "reversal_exceeds_original");
    assert_eq!(r[3]["body"]["balance"], 0);
    // The reversal sent alone afterwards under its key is recognised.
    let alone = s.post("/v1/points/reversals", &first, "ev-2");
    assert!(alone.replayed);
    assert_eq!(alone.body, r[1]["body"]);
}

/// An order of one line bought by `trusted`, paid with two cards the platform approved first;
/// with the approval codes of the first and the second card.
fn two_card_sale(s: &TestServer, order: &str, code: &str, imei: &str) -> (Value, String, String) {
    let approve = |id: String, minor: i64, pan: &str| {
        let a = s.authorise(&id, minor, pan);
        assert_eq!(a.body["status"], "approved", "{}", a.text);
        (id, a.body["auth_code"].as_str().unwrap().to_string())
    };
    let (first, a) = approve(format!("{order}-a"), 100_000, "4111111111111111");
    let (second, b) = approve(format!("{order}-b"), 99_900, "5105105105105100");
    let mut v = sale(order, code, Some(imei));
    v["customer_id"] = json!("trusted");
    v["payments"] = json!([
        {"tender": "card", "amount": {"minor": 100000, "currency": "CNY"}, "masked_pan": "411111******1111", "auth_code": a, "payment_id": first},
        {"tender": "card", "amount": {"minor": 99900, "currency": "CNY"}, "masked_pan": "510510******5100", "auth_code": b, "payment_id": second},
    ]);
    (v, a, b)
}

fn card_refund(id: &str, code: &str, minor: i64, auth: Option<&str>) -> Value {
    json!({"refund_id": id, "line_code": code, "amount": {"minor": minor, "currency": "CNY"}, "tender": "card",
           "reason": "does not charge", "customer_id": "trusted", "original_auth_code": auth})
}

#[test]
fn a_card_refund_goes_back_to_the_payment_with_its_authorisation_code() {
    let s = TestServer::start();
    let code = line_code(1);
    let (sold, first, second) = two_card_sale(&s, "o-1", &code, "352099001761481");
    let a = s.post("/v1/sales", &sold, "sale");
    assert_eq!(a.status, 201, "{}", a.text);
    till_server::admin::set_reputation(&*s.repo, "trusted", 90).unwrap();

    let a = s.post("/v1/refunds", &card_refund("r-1", &code, 50_000, Some(&second)), "r1");
    assert_eq!((a.status, a.body["status"].as_str()), (201, Some("refunded")), "{}", a.text);
    assert_eq!(
        (a.body["refund_to"].as_str(), a.body["original_auth_code"].as_str()),
        (Some("510510******5100"), Some(second.as_str()))
    );
    let g = s.get("/v1/refunds/r-1");
    assert_eq!(g.status, 200);
    assert_eq!(g.body, a.body);

    // An authorisation code no card payment of the order has: refused, nothing reserved.
    let a = s.post("/v1/refunds", &card_refund("r-2", &code, 1_000, Some("C33333")), "r2");
    assert_eq!((a.status, a.body["code"].as_str()), (422, Some("authorization_mismatch")), "{}", a.text);
    assert_eq!(s.get(&format!("/v1/line-codes/{code}")).body["refundable"]["minor"], 149_900);
    assert_eq!(s.get("/v1/refunds/r-2").status, 404);
    // Only with tender card.
    let a =
        s.post("/v1/refunds", &with(card_refund("r-3", &code, 1_000, Some(&first)), "/tender", json!("cash")), "r3");
    assert_eq!((a.status, a.body["code"].as_str()), (400, Some("invalid_request")));
    // Without it, a card refund goes to the first card, as before, and says no code.
    let a = s.post("/v1/refunds", &card_refund("r-4", &code, 1_000, None), "r4");
    assert_eq!((a.body["refund_to"].as_str(), &a.body["original_auth_code"]), (Some("411111******1111"), &Value::Null));

    // A cash sale has no card payment to match.
    let cash_code = line_code(2);
    let mut cash = sale("o-2", &cash_code, None);
    cash["payments"] = json!([{"tender": "cash", "amount": {"minor": 199900, "currency": "CNY"}}]);
    assert_eq!(s.post("/v1/sales", &cash, "sale-2").status, 201);
    let a = s.post("/v1/refunds", &card_refund("r-5", &cash_code, 1_000, Some(&first)), "r5");
    assert_eq!(a.body["code"], "authorization_mismatch");
}

fn with(mut v: Value, pointer: &str, new: Value) -> Value {
    *v.pointer_mut(pointer).unwrap() = new;
    v
}

#[test]
fn a_device_sold_at_one_till_is_refunded_at_another() {
    let s = TestServer::start();
    let code = line_code(1);
    let (sold, _, second) = two_card_sale(&s, "o-1", &code, "352099001761481");
    assert_eq!(s.post("/v1/sales", &sold, "sale").status, 201);
    till_server::admin::set_reputation(&*s.repo, "trusted", 90).unwrap();
    let other = OtherTill::register(&s);

    let d = other.get(&s, &format!("/v1/sold-devices/{}", blind("35-209900-176148-1")));
    assert_eq!(d.status, 200, "{}", d.text);
    assert_eq!(d.body["blind"], blind("352099001761481"));
    assert!(!d.text.contains("352099001761481"), "{}", d.text);
    assert_eq!(d.body["kind"], "imei");
    assert_eq!(d.body["price"], json!({"minor": 199900, "currency": "CNY"}));
    assert_eq!(d.body["paying_account"], "411111******1111");
    assert_eq!((d.body["order_id"].as_str(), d.body["line_code"].as_str()), (Some("o-1"), Some(code.as_str())));
    assert_eq!(
        (d.body["store"].as_str(), d.body["terminal_id"].as_str()),
        (Some("Shop 1"), Some(s.terminal_id.as_str()))
    );
    assert_eq!((d.body["sold_at"].as_i64(), d.body["refunded"].as_bool()), (Some(NOW - 60), Some(false)));
    let c = other.get(&s, "/v1/customers/trusted");
    assert_eq!((c.body["reputation"].as_i64(), c.body["threshold"].as_i64()), (Some(90), Some(60)));

    let body = json!({"refund_id": "r-1", "device_blind": blind("352099001761481"), "amount": {"minor": 199900, "currency": "CNY"},
                      "tender": "card", "reason": "does not boot", "customer_id": "trusted", "original_auth_code": second});
    let a = other.post(&s, "/v1/refunds", &body, "r1");
    assert_eq!((a.status, a.body["status"].as_str()), (201, Some("refunded")), "{}", a.text);
    assert_eq!(a.body["refund_to"], "510510******5100");
    // Either till follows the refund; the device is marked refunded.
    assert_eq!(s.get("/v1/refunds/r-1").body, a.body);
    assert_eq!(other.get(&s, "/v1/refunds/r-1").body["status"], "refunded");
    assert_eq!(s.get(&format!("/v1/sold-devices/{}", blind("352099001761481"))).body["refunded"], true);
    assert_eq!(other.get(&s, "/v1/refunds/unknown").body["code"], "not_found");
}

#[test]
fn two_tills_refunding_the_same_line_at_the_same_moment_cannot_both_be_paid() {
    let s = std::sync::Arc::new(TestServer::start());
    let code = line_code(1);
    assert_eq!(s.post("/v1/sales", &two_card_sale(&s, "o-1", &code, "352099001761481").0, "sale").status, 201);
    till_server::admin::set_reputation(&*s.repo, "trusted", 90).unwrap();
    let other = std::sync::Arc::new(OtherTill::register(&s));
    // Each till asks for 1,500.00 of the 1,999.00 line: together more than was paid.
    for round in 0..5 {
        let barrier = std::sync::Arc::new(std::sync::Barrier::new(2));
        let ask = |from_other: bool| {
            let (s, other, barrier, code) = (s.clone(), other.clone(), barrier.clone(), code.clone());
            std::thread::spawn(move || {
                let id = format!("r-{round}-{from_other}");
                let body = json!({"refund_id": id, "line_code": code, "amount": {"minor": 150_000, "currency": "CNY"},
                                  "tender": "cash", "reason": "broken", "customer_id": "trusted"});
                barrier.wait();
                if from_other {
                    other.post(&s, "/v1/refunds", &body, &id).status
                } else {
                    s.post("/v1/refunds", &body, &id).status
                }
            })
        };
        let (a, b) = (ask(false), ask(true));
        let mut statuses = [a.join().unwrap(), b.join().unwrap()];
        statuses.sort();
        if round == 0 {
            assert_eq!(statuses, [201, 422], "one refund is paid, the other refused");
        } else {
            assert_eq!(statuses, [422, 422], "nothing left after the first round");
        }
    }
    let line = s.get(&format!("/v1/line-codes/{code}"));
    assert_eq!(
        (line.body["refunded"]["minor"].as_i64(), line.body["refundable"]["minor"].as_i64()),
        (Some(150_000), Some(49_900))
    );
}

#[test]
fn the_orders_customer_decides_the_refund_policy_not_the_one_the_till_names() {
    let s = TestServer::start();
    till_server::admin::set_reputation(&*s.repo, "trusted", 90).unwrap();
    till_server::admin::set_reputation(&*s.repo, "cust-1", 10).unwrap();
    let code = line_code(1);
    // cust-1 (reputation 10) bought it.
    assert_eq!(s.post("/v1/sales", &s.authorised_sale("o-1", &code, None), "sale").status, 201);
    // The till names a trusted customer: not believed, the order's customer decides.
    let body = card_refund("r-1", &code, 1_000, None);
    let a = s.post("/v1/refunds", &body, "r1");
    assert_eq!((a.status, a.body["status"].as_str()), (201, Some("pending_seller_confirmation")), "{}", a.text);
    assert_eq!(a.body["decided_by"], Value::Null);
    let stored = till_server::admin::list_refunds(&*s.repo, None).unwrap();
    assert_eq!((stored[0].customer_id.as_deref(), stored[0].reputation), (Some("cust-1"), Some(10)));
    // The other way round: the order's trusted customer is refunded at once, whoever the till
    // names (here a customer the server does not know, who alone would wait).
    let code = line_code(2);
    let mut sold = s.authorised_sale("o-2", &code, None);
    sold["customer_id"] = json!("trusted");
    assert_eq!(s.post("/v1/sales", &sold, "sale-2").status, 201);
    let a =
        s.post("/v1/refunds", &with(card_refund("r-2", &code, 1_000, None), "/customer_id", json!("stranger")), "r2");
    assert_eq!((a.status, a.body["status"].as_str()), (201, Some("refunded")), "{}", a.text);
    // An order without a customer: a named one changes nothing either.
    let code = line_code(3);
    let mut sold = s.authorised_sale("o-3", &code, None);
    sold.as_object_mut().unwrap().remove("customer_id");
    assert_eq!(s.post("/v1/sales", &sold, "sale-3").status, 201);
    let a = s.post("/v1/refunds", &card_refund("r-3", &code, 1_000, None), "r3");
    assert_eq!(a.body["status"], "pending_seller_confirmation", "{}", a.text);
}

/// A sale of one 1,999.00 phone line paid by the card `masked` under `payment_id` (or none),
/// with the approval code `auth_code`, bought by `trusted`.
fn card_sale(order: &str, code: &str, masked: &str, auth_code: &str, payment_id: Option<&str>) -> Value {
    let mut v = sale(order, code, None);
    v["customer_id"] = json!("trusted");
    v["payments"] = json!([{"tender": "card", "amount": {"minor": 199900, "currency": "CNY"},
                            "masked_pan": masked, "auth_code": auth_code, "payment_id": payment_id}]);
    v
}

#[test]
fn a_seller_cannot_confirm_a_card_refund_of_a_payment_reversed_since() {
    let s = TestServer::start();
    let approved = s.authorise("p-1", 199_900, "4111111111111111");
    let auth_code = approved.body["auth_code"].as_str().unwrap().to_string();
    let code = line_code(1);
    // No customer the policy trusts: the refund waits for the seller.
    let sold = with(card_sale("o-1", &code, "411111******1111", &auth_code, Some("p-1")), "/customer_id", Value::Null);
    assert_eq!(s.post("/v1/sales", &sold, "sale-1").status, 201);
    let a = s.post("/v1/refunds", &card_refund("r-1", &code, 1_000, Some(&auth_code)), "r1");
    assert_eq!(a.body["status"], "pending_seller_confirmation", "{}", a.text);
    // The payment is reversed before the seller decides.
    let db = rusqlite::Connection::open(s.dir.path().join("server.db")).unwrap();
    db.execute("UPDATE authorizations SET status = 'reversed' WHERE payment_id = 'p-1'", []).unwrap();
    let e = till_server::routes::refunds::decide(&*s.repo, "r-1", true, "seller-a", NOW).unwrap_err();
    assert_eq!(e.code(), "card_sale_not_authorised", "{e}");
    // Nothing changed: still pending, and the seller may reject it, which frees the line.
    assert_eq!(s.get("/v1/refunds/r-1").body["status"], "pending_seller_confirmation");
    let r = till_server::routes::refunds::decide(&*s.repo, "r-1", false, "seller-a", NOW).unwrap();
    assert_eq!(r.status, "rejected");
    assert_eq!(s.get(&format!("/v1/line-codes/{code}")).body["refunded"]["minor"], 0);
}

#[test]
fn a_card_refund_needs_the_sales_approved_authorisation_on_the_server() {
    let s = TestServer::start();
    till_server::admin::set_reputation(&*s.repo, "trusted", 90).unwrap();
    let refused = |a: &Answer| (a.status, a.body["code"].as_str().map(str::to_string));
    let not_authorised = (422, Some("card_sale_not_authorised".to_string()));

    // A sale approved OFFLINE at the till; its forward reaches the platform (through a batch, as
    // the till's outbox sends it) and is declined.
    let key: [u8; 32] = hex::decode(Config::default().sandbox.platform_key).unwrap().try_into().unwrap();
    let data = till_server::payments::card::seal_platform_gcm(&key, "p-off", [3; 12], "4000000000000002", "2812");
    let forward = json!({"events": [{"idempotency_key": "p-off", "kind": "payment_authorize",
        "body": {"payment_id": "p-off", "order_id": "cart-1", "amount": {"minor": 199900, "currency": "CNY"},
                 "card": {"scheme": "platform_gcm", "data": data, "masked_pan": "400000******0002"}}}]});
    let b = s.post("/v1/sync/batch", &forward, "batch-1");
    assert_eq!(b.body["results"][0]["body"]["status"], "declined", "{}", b.text);
    let code = line_code(1);
    let sold = card_sale("o-off", &code, "400000******0002", "OFFLINE", Some("p-off"));
    assert_eq!(s.post("/v1/sales", &sold, "sale-off").status, 201);
    // Its card refund is refused, with the code; nothing is reserved.
    let a = s.post("/v1/refunds", &card_refund("r-1", &code, 1_000, Some("OFFLINE")), "r1");
    assert_eq!(refused(&a), not_authorised, "{}", a.text);
    assert!(a.body["message"].as_str().unwrap().contains("declined"), "{}", a.text);
    let original = json!({"refund_id": "r-2", "line_code": code, "amount": {"minor": 1000, "currency": "CNY"},
                          "tender": "original", "reason": "faulty"});
    assert_eq!(refused(&s.post("/v1/refunds", &original, "r2")), not_authorised);
    assert_eq!(s.get(&format!("/v1/line-codes/{code}")).body["refunded"]["minor"], 0);
    assert_eq!(s.get("/v1/refunds/r-1").status, 404);
    // The goods may still be refunded in cash.
    let cash = with(original.clone(), "/tender", json!("cash"));
    let a = s.post("/v1/refunds", &with(cash, "/refund_id", json!("r-3")), "r3");
    assert_eq!((a.status, a.body["refund_to"].as_str()), (201, Some("cash")), "{}", a.text);

    // A sale naming no payment id, or one the platform never saw: refused too.
    let code = line_code(2);
    assert_eq!(s.post("/v1/sales", &card_sale("o-2", &code, "411111******1111", "123456", None), "sale-2").status, 201);
    assert_eq!(refused(&s.post("/v1/refunds", &card_refund("r-4", &code, 1_000, None), "r4")), not_authorised);
    let code = line_code(3);
    let sold = card_sale("o-3", &code, "411111******1111", "123456", Some("never-authorised"));
    assert_eq!(s.post("/v1/sales", &sold, "sale-3").status, 201);
    assert_eq!(refused(&s.post("/v1/refunds", &card_refund("r-5", &code, 1_000, None), "r5")), not_authorised);

    // An approved authorisation of another card, or of less than the sale says: refused.
    assert_eq!(s.authorise("p-small", 100, "4111111111111111").body["status"], "approved");
    let code = line_code(4);
    let sold = card_sale("o-4", &code, "411111******1111", "123456", Some("p-small"));
    assert_eq!(s.post("/v1/sales", &sold, "sale-4").status, 201);
    assert_eq!(refused(&s.post("/v1/refunds", &card_refund("r-6", &code, 50, None), "r6")), not_authorised);
    assert_eq!(s.authorise("p-other", 199_900, "4111111111111111").body["status"], "approved");
    let code = line_code(5);
    let sold = card_sale("o-5", &code, "510510******5100", "123456", Some("p-other"));
    assert_eq!(s.post("/v1/sales", &sold, "sale-5").status, 201);
    assert_eq!(refused(&s.post("/v1/refunds", &card_refund("r-7", &code, 1_000, None), "r7")), not_authorised);

    // An authorisation backs one sale only: a second sale naming it is 409 payment_recorded.
    let approved = s.authorise("p-ok", 199_900, "4111111111111111");
    let auth_code = approved.body["auth_code"].as_str().unwrap().to_string();
    let code = line_code(6);
    let sold = card_sale("o-6", &code, "411111******1111", &auth_code, Some("p-ok"));
    assert_eq!(s.post("/v1/sales", &sold, "sale-6").status, 201);
    let twice = card_sale("o-7", &line_code(7), "411111******1111", &auth_code, Some("p-ok"));
    assert_eq!(refused(&s.post("/v1/sales", &twice, "sale-7")), (409, Some("payment_recorded".to_string())));
    // The sale that names its approved authorisation is refunded to its card.
    let a = s.post("/v1/refunds", &card_refund("r-8", &code, 1_000, Some(&auth_code)), "r8");
    assert_eq!((a.status, a.body["refund_to"].as_str()), (201, Some("411111******1111")), "{}", a.text);
    // Once the payment is reversed, no more card refunds of it.
    let db = rusqlite::Connection::open(s.dir.path().join("server.db")).unwrap();
    db.execute("UPDATE authorizations SET status = 'reversed' WHERE payment_id = 'p-ok'", []).unwrap();
    let a = s.post("/v1/refunds", &card_refund("r-9", &code, 1_000, None), "r9");
    assert_eq!(refused(&a), not_authorised);
    assert!(a.body["message"].as_str().unwrap().contains("reversed"), "{}", a.text);

    // An offline sale whose forward was approved is refunded to the card.
    let data = till_server::payments::card::seal_platform_gcm(&key, "p-off-2", [4; 12], "4111111111111111", "2812");
    let forward = json!({"events": [{"idempotency_key": "p-off-2", "kind": "payment_authorize",
        "body": {"payment_id": "p-off-2", "order_id": "cart-2", "amount": {"minor": 199900, "currency": "CNY"},
                 "card": {"scheme": "platform_gcm", "data": data}}}]});
    assert_eq!(s.post("/v1/sync/batch", &forward, "batch-2").body["results"][0]["body"]["status"], "approved");
    let code = line_code(8);
    let sold = card_sale("o-off-2", &code, "411111******1111", "OFFLINE", Some("p-off-2"));
    assert_eq!(s.post("/v1/sales", &sold, "sale-off-2").status, 201);
    let a = s.post("/v1/refunds", &card_refund("r-10", &code, 1_000, Some("OFFLINE")), "r10");
    assert_eq!(
        (a.status, a.body["status"].as_str(), a.body["refund_to"].as_str()),
        (201, Some("refunded"), Some("411111******1111")),
        "{}",
        a.text
    );
}
