//! The endpoints against a real server over HTTP: idempotency, sales, lookups, refunds, points,
//! batches, the sandbox platform, and bad input that must change nothing.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;
use serde_json::{json, Value};
use support::*;
use till_server::payments::{card, dukpt};
use till_server::points::{base32_decode, make_redeem_token, make_token};

#[test]
fn an_identical_replay_returns_the_identical_response() {
    let s = TestServer::start();
    let body = sale("o-1", &line_code(1), Some("352099001761481"));
    let first = s.post("/v1/sales", &body, "key-1");
    assert_eq!(first.status, 201, "{}", first.text);
    assert!(!first.replayed);
    s.clock.set_unix(NOW + 30); // a later retry; the stored response still says when it was recorded
    let again = s.post("/v1/sales", &body, "key-1");
    assert_eq!((again.status, again.text.as_str()), (201, first.text.as_str()));
    assert!(again.replayed);
    // The same body laid out differently is the same request.
    let pretty = serde_json::to_string_pretty(&body).unwrap();
    let third = s.send("POST", "/v1/sales", pretty.as_bytes(), Some("key-1"));
    assert_eq!(third.text, first.text);
}

#[test]
fn a_conflicting_replay_is_409_and_changes_nothing() {
    let s = TestServer::start();
    assert_eq!(s.post("/v1/sales", &sale("o-1", &line_code(1), None), "key-1").status, 201);
    let other = sale("o-2", &line_code(2), None);
    let a = s.post("/v1/sales", &other, "key-1");
    assert_eq!((a.status, a.body["code"].as_str()), (409, Some("idempotency_conflict")));
    assert_eq!(s.get(&format!("/v1/line-codes/{}", line_code(2))).status, 404);
    // The same order under a new key is a duplicate order, not a second effect.
    let a = s.post("/v1/sales", &sale("o-1", &line_code(3), None), "key-2");
    assert_eq!((a.status, a.body["code"].as_str()), (409, Some("order_exists")));
}

#[test]
fn missing_idempotency_key_is_refused() {
    let s = TestServer::start();
    let a = s.send("POST", "/v1/sales", sale("o-1", &line_code(1), None).to_string().as_bytes(), None);
    assert_eq!((a.status, a.body["code"].as_str()), (400, Some("missing_idempotency_key")));
}

fn enrol(s: &TestServer) -> (String, Vec<u8>) {
    let a = s.post("/v1/points/enrol", &json!({"customer_ref": "cust-1"}), &format!("enrol-{}", s.next_nonce()));
    assert_eq!(a.status, 201, "{}", a.text);
    let msg = a.body["enrolment_message"].as_str().unwrap().to_string();
    let parts: Vec<&str> = msg.split(' ').collect();
    assert_eq!((parts[0], parts[1], parts[4]), ("TILL-ENROL", "1", "till-server"));
    assert_eq!(parts[2], a.body["account_id"].as_str().unwrap());
    (parts[2].to_string(), base32_decode(parts[3]).unwrap())
}

fn token(account: &str, key: &[u8], counter: u32, at: i64) -> String {
    let id: [u8; 16] = hex::decode(account).unwrap().try_into().unwrap();
    hex::encode(make_token(key, &id, counter, at as u64))
}

#[test]
fn fifty_concurrent_duplicates_of_one_event_have_one_effect() {
    let s = TestServer::start();
    let (account, key) = enrol(&s);
    let body = json!({"token": token(&account, &key, 1, NOW), "kind": "earn", "points": 120, "order_id": "o-1"});
    let answers: Vec<Answer> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..50).map(|_| scope.spawn(|| s.post("/v1/points/updates", &body, "event-1"))).collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    for a in &answers {
        assert_eq!((a.status, a.text.as_str()), (200, answers[0].text.as_str()));
    }
    assert_eq!(answers.iter().filter(|a| !a.replayed).count(), 1);
    let acct = s.get(&format!("/v1/points/accounts/{account}"));
    assert_eq!(acct.body["balance"], 120);
    assert_eq!(acct.body["history"].as_array().unwrap().len(), 1);

    // The same for a sale: one order, one line.
    let sale_body = sale("o-9", &line_code(9), Some("352099001761481"));
    let answers: Vec<Answer> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..50).map(|_| scope.spawn(|| s.post("/v1/sales", &sale_body, "event-2"))).collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    assert!(answers.iter().all(|a| a.status == 201 && a.text == answers[0].text));
    assert_eq!(answers.iter().filter(|a| !a.replayed).count(), 1);
}

#[test]
fn sales_are_found_by_line_code_and_device() {
    let s = TestServer::start();
    let code = line_code(1);
    let a = s.post("/v1/sales", &sale("o-1", &code, Some("35-209900-176148-1")), "k");
    assert_eq!((a.status, a.body["lines"].as_u64(), a.body["devices"].as_u64()), (201, Some(1), Some(1)));
    let grouped = format!("{}-{}-{}-{}", &code[0..4], &code[4..8], &code[8..12], &code[12..]);
    let l = s.get(&format!("/v1/line-codes/{}", grouped.to_lowercase()));
    assert_eq!(l.status, 200, "{}", l.text);
    assert_eq!((l.body["order_id"].as_str(), l.body["line_code"].as_str()), (Some("o-1"), Some(grouped.as_str())));
    assert_eq!(l.body["refundable"], json!({"minor": 199900, "currency": "CNY"}));
    let d = s.get(&format!("/v1/sold-devices/{}", blind("352099001761481")));
    assert_eq!(d.status, 200, "{}", d.text);
    assert_eq!(d.body["paying_account"], "411111******1111");
    assert_eq!(d.body["price"]["minor"], 199900);
    assert_eq!(d.body["software"], "v1.2");
    assert_eq!(s.get(&format!("/v1/sold-devices/{}", blind("000000000000000"))).body["code"], "not_found");
    assert_eq!(s.get("/v1/line-codes/NOT-A-CODE").body["code"], "invalid_line_code");
    // The device cannot be sold again while its sale stands.
    let a = s.post("/v1/sales", &sale("o-2", &line_code(2), Some("352099001761481")), "k2");
    assert_eq!((a.status, a.body["code"].as_str()), (409, Some("device_already_sold")));
}

fn with(mut v: Value, pointer: &str, new: Value) -> Value {
    *v.pointer_mut(pointer).unwrap() = new;
    v
}

#[test]
fn bad_sales_are_refused_with_codes_and_change_nothing() {
    let s = TestServer::start();
    let base = sale("o-1", &line_code(1), Some("352099001761481"));
    let cases: Vec<(Vec<u8>, u16, &str)> = vec![
        (b"{not json".to_vec(), 400, "malformed_json"),
        (b"[]".to_vec(), 400, "invalid_request"),
        (with(base.clone(), "/lines/0/total/minor", json!(-5)).to_string().into_bytes(), 400, "invalid_amount"),
        (
            with(base.clone(), "/lines/0/total/minor", json!(9_223_372_036_854_775_808u64)).to_string().into_bytes(),
            400,
            "amount_overflow",
        ),
        (
            with(with(base.clone(), "/lines/0/unit_price/minor", json!(i64::MAX)), "/lines/0/quantity", json!(2))
                .to_string()
                .into_bytes(),
            400,
            "amount_overflow",
        ),
        (
            with(base.clone(), "/payments/0/masked_pan", json!("4111111111111111")).to_string().into_bytes(),
            400,
            "pan_not_masked",
        ),
        (
            with(base.clone(), "/lines/0/line_code", json!("AAAA-AAAA-AAAA-A")).to_string().into_bytes(),
            400,
            "invalid_line_code",
        ),
        (with(base.clone(), "/currency", json!("XXX")).to_string().into_bytes(), 400, "unknown_currency"),
        (
            with(base.clone(), "/lines/0/total/currency", json!("USD")).to_string().into_bytes(),
            400,
            "currency_mismatch",
        ),
    ];
    for (i, (body, status, code)) in cases.into_iter().enumerate() {
        let a = s.send("POST", "/v1/sales", &body, Some(&format!("bad-{i}")));
        assert_eq!((a.status, a.body["code"].as_str()), (status, Some(code)), "case {i}: {}", a.text);
    }
    assert_eq!(s.get(&format!("/v1/line-codes/{}", line_code(1))).status, 404);
    assert_eq!(s.get(&format!("/v1/sold-devices/{}", blind("352099001761481"))).status, 404);
    // A refused request did not burn its key: the good body may use it.
    assert_eq!(s.post("/v1/sales", &base, "bad-2").status, 201);
}

fn refund(id: &str, code: &str, minor: i64, customer: &str) -> Value {
    json!({"refund_id": id, "line_code": code, "amount": {"minor": minor, "currency": "CNY"}, "tender": "original",
           "reason": "screen cracked on arrival", "evidence_sha256": "ab".repeat(32), "customer_id": customer})
}

#[test]
fn refunds_follow_the_reputation_threshold_and_never_exceed_what_was_paid() {
    let s = TestServer::start();
    let code = line_code(1);
    // cust-1 paid by card, and the platform approved the payment.
    assert_eq!(s.post("/v1/sales", &s.authorised_sale("o-1", &code, None), "sale").status, 201);
    till_server::admin::set_reputation(&*s.repo, "cust-1", 90).unwrap();

    let a = s.post("/v1/refunds", &refund("r-1", &code, 50_000, "cust-1"), "r1");
    assert_eq!((a.status, a.body["status"].as_str()), (201, Some("refunded")), "{}", a.text);
    assert_eq!(a.body["refund_to"], "411111******1111");
    assert_eq!(a.body["decided_by"], "policy");

    // The customer's reputation has fallen: the next refund waits for the seller.
    till_server::admin::set_reputation(&*s.repo, "cust-1", 10).unwrap();
    let a = s.post("/v1/refunds", &refund("r-2", &code, 100_000, "cust-1"), "r2");
    assert_eq!((a.status, a.body["status"].as_str()), (201, Some("pending_seller_confirmation")));

    // 199900 paid, 150000 refunded or reserved: 49901 is too much.
    let a = s.post("/v1/refunds", &refund("r-3", &code, 49_901, "cust-1"), "r3");
    assert_eq!((a.status, a.body["code"].as_str()), (422, Some("refund_exceeds_paid")));
    assert_eq!(s.get(&format!("/v1/line-codes/{code}")).body["refundable"]["minor"], 49_900);

    // The seller rejects r-2: its reservation is released.
    let r = till_server::routes::refunds::decide(&*s.repo, "r-2", false, "seller-a", NOW).unwrap();
    assert_eq!(r.status, "rejected");
    assert_eq!(s.get("/v1/refunds/r-2").body["status"], "rejected");
    assert_eq!(s.get(&format!("/v1/line-codes/{code}")).body["refundable"]["minor"], 149_900);
    assert_eq!(
        till_server::routes::refunds::decide(&*s.repo, "r-2", true, "seller-a", NOW).unwrap_err().code(),
        "refund_not_pending"
    );

    // A customer the server does not know counts as reputation 0, below the threshold: the
    // refund waits for the seller, who confirms; a refund of a cash sale goes back as it was
    // paid, without any card check.
    let cash_code = line_code(2);
    let mut cash = sale("o-2", &cash_code, None);
    cash["customer_id"] = json!("stranger");
    cash["payments"] = json!([{"tender": "cash", "amount": {"minor": 199900, "currency": "CNY"}}]);
    assert_eq!(s.post("/v1/sales", &cash, "sale-2").status, 201);
    let a = s.post("/v1/refunds", &refund("r-4", &cash_code, 1_000, "stranger"), "r4");
    assert_eq!(
        (a.body["status"].as_str(), a.body["refund_to"].as_str()),
        (Some("pending_seller_confirmation"), Some("original"))
    );
    till_server::routes::refunds::decide(&*s.repo, "r-4", true, "seller-a", NOW).unwrap();
    assert_eq!(s.get("/v1/refunds/r-4").body["status"], "refunded");

    let a = s.post("/v1/refunds", &refund("r-5", &line_code(77), 1, "trusted"), "r5");
    assert_eq!((a.status, a.body["code"].as_str()), (404, Some("not_found")));
    let a = s.post("/v1/refunds", &refund("r-6", &code, -1, "trusted"), "r6");
    assert_eq!((a.status, a.body["code"].as_str()), (400, Some("invalid_amount")));
}

#[test]
fn a_device_is_refunded_by_its_identifier_once() {
    let s = TestServer::start();
    let sold = s.authorised_sale("o-1", &line_code(1), Some("352099001761481"));
    assert_eq!(s.post("/v1/sales", &sold, "sale").status, 201);
    till_server::admin::set_reputation(&*s.repo, "cust-1", 90).unwrap();
    let body = json!({"refund_id": "r-1", "device_blind": blind("35 209900 176148 1"), "amount": {"minor": 199900, "currency": "CNY"},
                      "tender": "original", "reason": "does not boot", "customer_id": "cust-1", "approved_by": "manager-2"});
    let a = s.post("/v1/refunds", &body, "r1");
    assert_eq!((a.status, a.body["status"].as_str()), (201, Some("refunded")), "{}", a.text);
    assert_eq!(a.body["refund_to"], "411111******1111");
    assert_eq!(s.get(&format!("/v1/sold-devices/{}", blind("352099001761481"))).body["refunded"], true);
    let stored = till_server::admin::list_refunds(&*s.repo, Some("refunded")).unwrap();
    assert_eq!((stored.len(), stored[0].approved_by.as_deref()), (1, Some("manager-2")));
    let again = with(body, "/refund_id", json!("r-2"));
    let a = s.post("/v1/refunds", &again, "r2");
    assert_eq!((a.status, a.body["code"].as_str()), (422, Some("refund_exceeds_paid")));
}

#[test]
fn points_levels_promotions_and_replayed_tokens() {
    let s = TestServer::start();
    let (account, key) = enrol(&s);
    let update = |counter: u32, kind: &str, points: i64, idem: &str| {
        let body =
            json!({"token": token(&account, &key, counter, NOW), "kind": kind, "points": points, "order_id": "o"});
        s.post("/v1/points/updates", &body, idem)
    };
    let a = update(1, "earn", 1_200, "u1");
    assert_eq!((a.status, a.body["balance"].as_i64(), a.body["level"].as_str()), (200, Some(1200), Some("silver")));
    assert_eq!(a.body["promotions"][0]["id"], "silver-tea-5");
    // The same token under a new key: refused, nothing changed.
    let a = update(1, "earn", 1_200, "u2");
    assert_eq!((a.status, a.body["code"].as_str()), (422, Some("token_replayed")));
    // Redemptions name the sale (its checkout key) in their version 2 token.
    let cart = "0123456789abcdef0123456789abcdef";
    let mut sold = sale("o", &line_code(1), None);
    sold["checkout_key"] = json!(cart);
    assert_eq!(s.post("/v1/sales", &sold, "sale-o").status, 201);
    let redeem = |counter: u32, points: i64, idem: &str| {
        let id: [u8; 16] = hex::decode(&account).unwrap().try_into().unwrap();
        let token = hex::encode(make_redeem_token(&key, &id, counter, NOW as u64, points, cart).unwrap());
        s.post(
            "/v1/points/updates",
            &json!({"token": token, "kind": "redeem", "points": points, "order_id": "o"}),
            idem,
        )
    };
    let a = redeem(2, 5_000, "u3");
    assert_eq!((a.status, a.body["code"].as_str()), (422, Some("insufficient_points")));
    let a = redeem(3, 200, "u4");
    assert_eq!((a.body["balance"].as_i64(), a.body["level"].as_str()), (Some(1000), Some("silver")));
    // A token made 11 minutes ago is stale; a forged MAC is invalid.
    let body = json!({"token": token(&account, &key, 9, NOW - 660), "kind": "earn", "points": 1, "order_id": "o"});
    assert_eq!(s.post("/v1/points/updates", &body, "u5").body["code"], "token_expired");
    let body = json!({"token": token(&account, &[0u8; 32], 10, NOW), "kind": "earn", "points": 1, "order_id": "o"});
    assert_eq!(s.post("/v1/points/updates", &body, "u6").body["code"], "invalid_token");
    let body = json!({"token": token(&account, &key, 11, NOW), "kind": "earn", "points": -5, "order_id": "o"});
    assert_eq!(s.post("/v1/points/updates", &body, "u7").body["code"], "invalid_amount");
    let acct = s.get(&format!("/v1/points/accounts/{account}"));
    assert_eq!((acct.body["balance"].as_i64(), acct.body["last_counter"].as_i64()), (Some(1000), Some(3)));
    assert_eq!(acct.body["history"].as_array().unwrap().len(), 2);
}

#[test]
fn a_batch_answers_per_event_and_recognises_events_sent_alone() {
    let s = TestServer::start();
    let first = sale("o-1", &line_code(1), None);
    assert_eq!(s.post("/v1/sales", &first, "ev-1").status, 201);
    let batch = json!({"events": [
        {"idempotency_key": "ev-1", "kind": "sale", "body": first},
        {"idempotency_key": "ev-2", "kind": "sale", "body": sale("o-2", &line_code(2), None)},
        {"idempotency_key": "ev-3", "kind": "sale", "body": with(sale("o-3", &line_code(3), None), "/lines/0/total/minor", json!(-1))},
        {"idempotency_key": "ev-4", "kind": "sale", "body": sale("o-2", &line_code(4), None)},
        {"idempotency_key": "ev-5", "kind": "points_enrol", "body": {}},
    ]});
    let a = s.post("/v1/sync/batch", &batch, "batch-1");
    assert_eq!(a.status, 200, "{}", a.text);
    let r = a.body["results"].as_array().unwrap();
    let summary: Vec<(u64, bool)> =
        r.iter().map(|x| (x["status"].as_u64().unwrap(), x["replayed"].as_bool().unwrap())).collect();
    assert_eq!(summary, vec![(201, true), (201, false), (400, false), (409, false), (201, false)]);
    assert_eq!(r[2]["body"]["code"], "invalid_amount");
    assert_eq!(r[3]["body"]["code"], "order_exists");
    // The refused event left nothing; the good ones stand.
    assert_eq!(s.get(&format!("/v1/line-codes/{}", line_code(3))).status, 404);
    assert_eq!(s.get(&format!("/v1/line-codes/{}", line_code(4))).status, 404);
    assert_eq!(s.get(&format!("/v1/line-codes/{}", line_code(2))).status, 200);
    // Event ev-2 sent alone afterwards gets the batch's stored answer.
    let alone = s.post("/v1/sales", &sale("o-2", &line_code(2), None), "ev-2");
    assert!(alone.replayed);
    assert_eq!(alone.body, r[1]["body"]);
    let a = s.send("POST", "/v1/sync/batch", b"{\"events\": 5}", None);
    assert_eq!(a.body["code"], "invalid_request");
}

fn platform_key() -> [u8; 32] {
    hex::decode(till_server::config::Config::default().sandbox.platform_key).unwrap().try_into().unwrap()
}

fn authorize(s: &TestServer, id: &str, minor: i64, card_block: Value, pin_block: Option<String>) -> Answer {
    let body = json!({"payment_id": id, "order_id": "o-1", "amount": {"minor": minor, "currency": "CNY"},
                      "card": card_block, "pin_block": pin_block});
    s.post("/v1/payments/authorize", &body, id)
}

fn gcm(id: &str, pan: &str, expiry: &str) -> Value {
    json!({"scheme": "platform_gcm", "data": card::seal_platform_gcm(&platform_key(), id, [3; 12], pan, expiry)})
}

/// A format 4 PIN block under the sandbox platform key's PIN key.
fn pin4(pin: &str, pan: &str) -> Option<String> {
    card::iso4_block(&card::pin_key(&platform_key()), pin, pan, [5; 8])
}

#[test]
fn the_sandbox_platform_approves_and_declines_aes_gcm_blocks() {
    let s = TestServer::start();
    let a = authorize(&s, "p1", 1999, gcm("p1", "4111111111111111", "2812"), None);
    assert_eq!((a.status, a.body["status"].as_str()), (200, Some("approved")), "{}", a.text);
    assert_eq!(a.body["auth_code"].as_str().unwrap().len(), 6);
    assert_eq!((a.body["masked_pan"].as_str(), a.body["sandbox"].as_bool()), (Some("411111******1111"), Some(true)));
    assert!(!a.text.contains("4111111111111111"));
    let reason =
        |a: Answer| (a.body["status"].as_str().map(str::to_string), a.body["reason_code"].as_str().map(str::to_string));
    let declined = |r: &str| (Some("declined".to_string()), Some(r.to_string()));
    assert_eq!(
        reason(authorize(&s, "p2", 1999, gcm("p2", "4111111111111112", "2812"), None)),
        declined("invalid_card_number")
    );
    assert_eq!(
        reason(authorize(&s, "p3", 1999, gcm("p3", "4111111111111111", "2610"), None)),
        declined("expired_card")
    );
    assert_eq!(
        reason(authorize(&s, "p4", 1999, gcm("p4", "4000000000009995", "2812"), None)),
        declined("insufficient_funds")
    );
    assert_eq!(
        reason(authorize(&s, "p5", 1999, gcm("p5", "5555555555554444", "2812"), None)),
        declined("pin_required")
    );
    assert_eq!(
        reason(authorize(&s, "p6", 1999, gcm("p6", "5555555555554444", "2812"), pin4("9999", "5555555555554444"))),
        declined("incorrect_pin")
    );
    assert_eq!(
        reason(authorize(&s, "p7", 1999, gcm("p7", "5555555555554444", "2812"), pin4("1234", "5555555555554444")))
            .0
            .as_deref(),
        Some("approved")
    );
    assert_eq!(
        reason(authorize(&s, "p8", 200_000_000, gcm("p8", "4111111111111111", "2812"), None)),
        declined("amount_limit")
    );
    // A block sealed under another key does not open.
    let other = card::seal_platform_gcm(&[1; 32], "p9", [3; 12], "4111111111111111", "2812");
    let a = authorize(&s, "p9", 1999, json!({"scheme": "platform_gcm", "data": other}), None);
    assert_eq!((a.status, a.body["code"].as_str()), (422, Some("invalid_card_block")));
    // A block is bound to its payment id: moved to another payment it does not open.
    let a = authorize(&s, "p11", 1999, gcm("p1", "4111111111111111", "2812"), None);
    assert_eq!((a.status, a.body["code"].as_str()), (422, Some("invalid_card_block")));
    // A forwarded (store-and-forward) authorisation goes through a batch like any event.
    let ev = json!({"events": [{"idempotency_key": "p12", "kind": "payment_authorize",
        "body": {"payment_id": "p12", "order_id": "o-12", "amount": {"minor": 500, "currency": "CNY"},
                 "card": gcm("p12", "4000000000000002", "2812")}}]});
    let b = s.send("POST", "/v1/sync/batch", ev.to_string().as_bytes(), None);
    assert_eq!(b.body["results"][0]["status"], 200, "{}", b.text);
    assert_eq!(b.body["results"][0]["body"]["reason_code"], "do_not_honour");
    let a = authorize(&s, "p10", 0, gcm("p10", "4111111111111111", "2812"), None);
    assert_eq!(a.body["code"], "invalid_amount");
    // The same payment id under another key is refused, not authorised twice.
    let a = authorize(&s, "p1", 1999, gcm("p1", "4111111111111111", "2812"), None);
    assert!(a.replayed);
    let body = json!({"payment_id": "p1", "order_id": "o-1", "amount": {"minor": 1999, "currency": "CNY"},
                      "card": gcm("p1", "4111111111111111", "2812")});
    assert_eq!(s.post("/v1/payments/authorize", &body, "another-key").body["code"], "payment_exists");
    // No full card number reached the database or its WAL (PCI DSS 3.3.1, 3.5.1).
    for entry in std::fs::read_dir(s.dir.path()).unwrap() {
        let bytes = std::fs::read(entry.unwrap().path()).unwrap();
        for pan in ["4111111111111111", "5555555555554444", "4000000000009995"] {
            assert!(!bytes.windows(pan.len()).any(|w| w == pan.as_bytes()), "{pan} stored");
        }
    }
}

#[test]
fn the_sandbox_platform_decrypts_tdes_and_aes_dukpt_reader_blocks() {
    let s = TestServer::start();
    let bdk: [u8; 16] = hex::decode("0123456789ABCDEFFEDCBA9876543210").unwrap().try_into().unwrap();
    let ksn: [u8; 10] = hex::decode("FFFF9876543210E00003").unwrap().try_into().unwrap();
    let pin_key = dukpt::tdes_pin_key(&bdk, &ksn);
    let track = dukpt::encrypt::tdes_cbc_zero_padded(&pin_key, b";5555555555554444=28121010000000000000?");
    let block = json!({"scheme": "tdes_dukpt", "ksn": hex::encode(ksn), "data": hex::encode(&track), "masked_pan": "555555******4444"});
    let pin_block =
        hex::encode(dukpt::encrypt::tdes_block(&pin_key, card::iso0_block("1234", "5555555555554444").unwrap()));
    let a = authorize(&s, "p1", 500, block.clone(), Some(pin_block));
    assert_eq!((a.status, a.body["status"].as_str()), (200, Some("approved")), "{}", a.text);
    // The next swipe (counter 4) with a wrong PIN.
    let ksn: [u8; 10] = hex::decode("FFFF9876543210E00004").unwrap().try_into().unwrap();
    let pin_key = dukpt::tdes_pin_key(&bdk, &ksn);
    let track = dukpt::encrypt::tdes_cbc_zero_padded(&pin_key, b";5555555555554444=28121010000000000000?");
    let block = json!({"scheme": "tdes_dukpt", "ksn": hex::encode(ksn), "data": hex::encode(&track)});
    let wrong_pin =
        hex::encode(dukpt::encrypt::tdes_block(&pin_key, card::iso0_block("4321", "5555555555554444").unwrap()));
    assert_eq!(authorize(&s, "p2", 500, block, Some(wrong_pin)).body["reason_code"], "incorrect_pin");

    let aes_bdk: [u8; 16] = hex::decode("FEDCBA9876543210F1F1F1F1F1F1F1F1").unwrap().try_into().unwrap();
    let aes_ksn: [u8; 12] = hex::decode("123456789012345600000005").unwrap().try_into().unwrap();
    let key = dukpt::aes_working_key(&aes_bdk, &aes_ksn, dukpt::usage::DATA_ENCRYPT);
    let track = dukpt::encrypt::aes_cbc_zero_padded(&key, b"%B4111111111111111^SANDBOX/TEST^2812101000?");
    let a = authorize(
        &s,
        "p3",
        500,
        json!({"scheme": "aes_dukpt", "ksn": hex::encode(aes_ksn), "data": hex::encode(track)}),
        None,
    );
    assert_eq!((a.status, a.body["status"].as_str()), (200, Some("approved")), "{}", a.text);
    // Replaying the authorisation returns the same auth code; a new key for the same payment is refused.
    let again = authorize(
        &s,
        "p3",
        500,
        json!({"scheme": "aes_dukpt", "ksn": hex::encode(aes_ksn), "data": hex::encode(dukpt::encrypt::aes_cbc_zero_padded(&key, b"%B4111111111111111^SANDBOX/TEST^2812101000?"))}),
        None,
    );
    assert_eq!(again.text, a.text);
}

#[test]
fn terminals_add_prints_credentials_once_as_json() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("s.db");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_till-server"))
        .args(["terminals", "add", "--db", db.to_str().unwrap(), "--name", "counter 2"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(v["terminal_id"].as_str().unwrap().starts_with("t_"));
    assert_eq!(hex::decode(v["secret"].as_str().unwrap()).unwrap().len(), 32);
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_till-server"))
        .args(["terminals", "list", "--db", db.to_str().unwrap()])
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("counter 2") && !text.contains(v["secret"].as_str().unwrap()));
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_till-server")).args(["bogus"]).output().unwrap();
    assert!(!out.status.success());
}

#[test]
fn a_batch_larger_than_two_megabytes_is_accepted() {
    let s = TestServer::start();
    let events: Vec<Value> = (0..6u64)
        .map(|o| {
            let lines: Vec<Value> = (0..1000u64)
                .map(|l| {
                    json!({"line_code": line_code(o * 10_000 + l), "sku": format!("SKU-{l}"), "name": "n".repeat(200),
                           "quantity": 1, "unit_price": {"minor": 100, "currency": "CNY"}, "total": {"minor": 100, "currency": "CNY"}})
                })
                .collect();
            let body = json!({"order_id": format!("big-{o}"), "store": "Shop 1", "created_at": NOW, "currency": "CNY",
                              "lines": lines, "payments": [{"tender": "cash", "amount": {"minor": 100_000, "currency": "CNY"}}]});
            json!({"idempotency_key": format!("big-{o}"), "kind": "sale", "body": body})
        })
        .collect();
    let body = json!({ "events": events }).to_string();
    assert!(body.len() > 2 * 1024 * 1024);
    let a = s.send("POST", "/v1/sync/batch", body.as_bytes(), None);
    assert_eq!(a.status, 200, "{}", &a.text[..a.text.len().min(300)]);
    assert!(a.body["results"].as_array().unwrap().iter().all(|r| r["status"] == 201));
}
