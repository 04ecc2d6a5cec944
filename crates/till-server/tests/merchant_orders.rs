//! Orders pending collection against a real server over HTTP: a merchant's number is
//! idempotent, two tills cannot both hold one order, orders expire and are cancelled by the
//! server's clock, a till of another store neither sees nor reserves them, and the sale that pays
//! for one marks it collected.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;
use serde_json::{json, Value};
use support::*;
use till_server::clock::SeededEntropy;
use till_server::merchants;
use till_server::routes::pending_orders::{collected, CollectedLine};

/// A terminal other than the test server's own, able to sign.
struct Till {
    id: String,
    secret: Vec<u8>,
}

fn add_till(s: &TestServer, name: &str, store: &str, seed: u64) -> Till {
    let t = till_server::admin::add_terminal(&*s.repo, name, &*s.clock, &SeededEntropy::new(seed)).unwrap();
    merchants::set_terminal_store(&*s.repo, &t.terminal_id, store).unwrap();
    Till { id: t.terminal_id, secret: hex::decode(t.secret).unwrap() }
}

fn till_send(s: &TestServer, till: &Till, method: &str, path: &str, body: &Value) -> Answer {
    let bytes = if method == "GET" { Vec::new() } else { body.to_string().into_bytes() };
    let now = till_core::Clock::now_unix(&*s.clock);
    let h = till_server::signing::signed_headers(&till.id, &till.secret, method, path, now, &s.next_nonce(), &bytes)
        .to_vec();
    s.raw(method, path, &bytes, None, &h)
}

fn merchant_key(s: &TestServer, store: &str) -> String {
    merchants::add_merchant(&*s.repo, "Web shop", store, &*s.clock, &SeededEntropy::new(99)).unwrap().api_key
}

fn merchant(s: &TestServer, key: &str, method: &str, path: &str, body: Option<&Value>) -> Answer {
    let bytes = body.map(|b| b.to_string().into_bytes()).unwrap_or_default();
    s.raw(method, path, &bytes, None, &[("authorization", format!("Bearer {key}"))])
}

fn order_body(number: &str) -> Value {
    json!({
        "order_number": number,
        "store": "main",
        "customer": {"name": "Li Na", "phone": "+86 138 0013 8000"},
        "currency": "CNY",
        "lines": [
            {"sku": "TEA-001", "name": "Green tea 100 g", "quantity": 2, "unit_price_minor": 2500},
            {"sku": "CUP-002", "name": "Tea cup", "quantity": 1, "unit_price_minor": 1800}
        ],
        "total_minor": 6800
    })
}

/// Sends an order and returns (order id, pickup code).
fn push(s: &TestServer, key: &str, body: &Value) -> (String, String) {
    let a = merchant(s, key, "POST", "/v1/merchant/orders", Some(body));
    assert_eq!(a.status, 201, "{}", a.text);
    (a.body["order_id"].as_str().unwrap().to_string(), a.body["pickup_code"].as_str().unwrap().to_string())
}

fn reserve_path(id: &str) -> String {
    format!("/v1/pending-orders/{id}/reserve")
}

#[test]
fn the_merchants_number_is_idempotent_and_bodies_are_checked() {
    let s = TestServer::start();
    let key = merchant_key(&s, "main");
    let first = merchant(&s, &key, "POST", "/v1/merchant/orders", Some(&order_body("WEB-1001")));
    assert_eq!(first.status, 201, "{}", first.text);
    assert_eq!(first.body["status"], "pending");
    assert!(first.body["order_id"].as_str().unwrap().starts_with("PO-"));
    let code = first.body["pickup_code"].as_str().unwrap();
    assert!(code.len() == 6 && code.bytes().all(|b| b.is_ascii_digit()));
    assert_eq!(first.body["expires_at"], NOW + 7 * 86_400);

    // The same number and body again (a retry after a lost answer): the same order, code and all.
    let again = merchant(&s, &key, "POST", "/v1/merchant/orders", Some(&order_body("WEB-1001")));
    assert_eq!((again.status, again.replayed), (200, true));
    assert_eq!(again.body, first.body);
    // Laid out differently, still the same request.
    let pretty = serde_json::to_string_pretty(&order_body("WEB-1001")).unwrap();
    let a =
        s.raw("POST", "/v1/merchant/orders", pretty.as_bytes(), None, &[("authorization", format!("Bearer {key}"))]);
    assert_eq!((a.status, &a.body["order_id"]), (200, &first.body["order_id"]));
    // Another body under the same number is refused.
    let mut other = order_body("WEB-1001");
    other["lines"][0]["quantity"] = json!(3);
    other["total_minor"] = json!(9300);
    let a = merchant(&s, &key, "POST", "/v1/merchant/orders", Some(&other));
    assert_eq!((a.status, a.body["code"].as_str()), (409, Some("order_number_conflict")));

    // Bad bodies: each with its code, and nothing made.
    let bad = |pointer: &str, v: Value| {
        let mut b = order_body("WEB-2000");
        match b.pointer_mut(pointer) {
            Some(slot) => *slot = v,
            None => b[&pointer[1..]] = v,
        }
        merchant(&s, &key, "POST", "/v1/merchant/orders", Some(&b))
    };
    for (pointer, v, status, code) in [
        ("/total_minor", json!(6801), 400, "invalid_amount"),
        ("/currency", json!("XXX"), 400, "unknown_currency"),
        ("/lines/0/quantity", json!(0), 400, "invalid_request"),
        ("/lines/0/unit_price_minor", json!(-1), 400, "invalid_amount"),
        ("/lines", json!([]), 400, "invalid_request"),
        ("/customer/phone", json!("call me"), 400, "invalid_request"),
        ("/expires_at", json!(NOW - 1), 400, "invalid_request"),
        ("/store", json!("north"), 403, "store_not_allowed"),
    ] {
        let a = bad(pointer, v);
        assert_eq!((a.status, a.body["code"].as_str()), (status, Some(code)), "{pointer}: {}", a.text);
    }
    let a = s.raw("POST", "/v1/merchant/orders", b"{not json", None, &[("authorization", format!("Bearer {key}"))]);
    assert_eq!(a.body["code"], "malformed_json");
    let page = s.get("/v1/pending-orders");
    assert_eq!(page.body["orders"].as_array().unwrap().len(), 1, "{}", page.text);

    // Keys: none, forged, another merchant's number space, disabled.
    let none = s.raw("POST", "/v1/merchant/orders", order_body("X").to_string().as_bytes(), None, &[]);
    assert_eq!((none.status, none.body["code"].as_str()), (401, Some("merchant_key_invalid")));
    let forged = format!("{}0", &key[..key.len() - 1]);
    let forged = if forged == key { format!("{}1", &key[..key.len() - 1]) } else { forged };
    let a = merchant(
        &s,
        &forged,
        "GET",
        &format!("/v1/merchant/orders/{}", first.body["order_id"].as_str().unwrap()),
        None,
    );
    assert_eq!((a.status, a.body["code"].as_str()), (401, Some("merchant_key_invalid")));
    let id = merchants::list_merchants(&*s.repo).unwrap()[0].merchant_id.clone();
    merchants::set_merchant_disabled(&*s.repo, &id, true).unwrap();
    let a = merchant(&s, &key, "POST", "/v1/merchant/orders", Some(&order_body("WEB-3000")));
    assert_eq!((a.status, a.body["code"].as_str()), (401, Some("merchant_disabled")));
}

#[test]
fn two_tills_reserving_one_order_only_one_wins() {
    let s = TestServer::start();
    let key = merchant_key(&s, "main");
    let (id, code) = push(&s, &key, &order_body("WEB-1"));
    let tills: Vec<Till> = (0..2).map(|i| add_till(&s, &format!("counter {}", i + 2), "main", 10 + i)).collect();
    let answers: Vec<Answer> = std::thread::scope(|scope| {
        let handles: Vec<_> = tills
            .iter()
            .map(|t| scope.spawn(|| till_send(&s, t, "POST", &reserve_path(&id), &json!({"pickup_code": code}))))
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let won: Vec<usize> = (0..2).filter(|&i| answers[i].status == 200).collect();
    assert_eq!(won.len(), 1, "{} / {}", answers[0].text, answers[1].text);
    let (winner, loser) = (&tills[won[0]], &tills[1 - won[0]]);
    let lost = &answers[1 - won[0]];
    assert_eq!((lost.status, lost.body["code"].as_str()), (409, Some("order_reserved")));
    let held = &answers[won[0]].body;
    assert_eq!((held["status"].as_str(), held["reserved_by_you"].as_bool()), (Some("reserved"), Some(true)));
    assert_eq!(held["reserved_until"], NOW + 10 * 60);
    assert!(held.get("pickup_code").is_none(), "a till never gets the pickup code");
    assert_eq!(held["customer"], json!({"name": "Li Na", "phone_tail": "8000"}));

    // The holder extends its hold; the merchant cannot cancel meanwhile.
    let a = till_send(&s, winner, "POST", &reserve_path(&id), &json!({"pickup_code": code, "minutes": 15}));
    assert_eq!((a.status, &a.body["reserved_until"]), (200, &json!(NOW + 15 * 60)));
    let a = merchant(&s, &key, "POST", &format!("/v1/merchant/orders/{id}/cancel"), None);
    assert_eq!((a.status, a.body["code"].as_str()), (409, Some("order_reserved")));
    // Once the hold has lapsed, the other till may take it.
    s.clock.set_unix(NOW + 15 * 60);
    let a = till_send(&s, loser, "POST", &reserve_path(&id), &json!({"pickup_code": code}));
    assert_eq!(a.status, 200, "{}", a.text);
    // The loser lets go (the customer left): the order is pending again for everyone.
    let a = till_send(&s, loser, "POST", &format!("/v1/pending-orders/{id}/release"), &json!({}));
    assert_eq!((a.status, a.body["status"].as_str()), (200, Some("pending")));
    // Releasing what another till holds changes nothing.
    assert_eq!(till_send(&s, winner, "POST", &reserve_path(&id), &json!({"pickup_code": code})).status, 200);
    let a = till_send(&s, loser, "POST", &format!("/v1/pending-orders/{id}/release"), &json!({}));
    assert_eq!(
        (a.status, a.body["status"].as_str(), a.body["reserved_by_you"].as_bool()),
        (200, Some("reserved"), Some(false))
    );
}

#[test]
fn wrong_pickup_codes_are_counted_and_lock_the_order() {
    let s = TestServer::start();
    let key = merchant_key(&s, "main");
    let (id, code) = push(&s, &key, &order_body("WEB-1"));
    let wrong = if code == "000000" { "000001" } else { "000000" };
    for left in (1..5).rev() {
        let a = s.post(&reserve_path(&id), &json!({"pickup_code": wrong}), "k");
        assert_eq!((a.status, a.body["code"].as_str()), (422, Some("wrong_pickup_code")), "{}", a.text);
        assert!(a.body["message"].as_str().unwrap().contains(&format!("{left} attempts left")), "{}", a.text);
    }
    let a = s.post(&reserve_path(&id), &json!({"pickup_code": wrong}), "k");
    assert_eq!(a.body["code"], "pickup_code_locked");
    // Even the right code no longer opens it at the counter.
    let a = s.post(&reserve_path(&id), &json!({"pickup_code": code}), "k");
    assert_eq!(a.body["code"], "pickup_code_locked");
    let page = s.get("/v1/pending-orders");
    assert_eq!(page.body["orders"][0]["pickup_attempts_left"], 0);
}

#[test]
fn orders_expire_on_the_servers_clock_but_not_while_held() {
    let s = TestServer::start();
    let key = merchant_key(&s, "main");
    let mut body = order_body("WEB-1");
    body["expires_at"] = json!(NOW + 60);
    let (held, code) = push(&s, &key, &body);
    body["order_number"] = json!("WEB-2");
    let (left_alone, _) = push(&s, &key, &body);
    let first = s.get("/v1/pending-orders");
    assert_eq!(first.body["orders"].as_array().unwrap().len(), 2);
    let cursor = first.body["cursor"].as_str().unwrap().to_string();
    // A hold taken before the expiry outlives it.
    assert_eq!(s.post(&reserve_path(&held), &json!({"pickup_code": code}), "k").status, 200);
    s.clock.set_unix(NOW + 61);
    let page = s.get(&format!("/v1/pending-orders?since={cursor}"));
    let orders = page.body["orders"].as_array().unwrap();
    let status = |id: &str| orders.iter().find(|o| o["order_id"] == id).map(|o| o["status"].clone());
    assert_eq!(status(&left_alone), Some(json!("expired")), "{}", page.text);
    assert_eq!(status(&held), Some(json!("reserved")));
    let a = s.post(&reserve_path(&left_alone), &json!({"pickup_code": code}), "k");
    assert_eq!((a.status, a.body["code"].as_str()), (409, Some("order_expired")));
    // When the hold ends, it expires too, and the tills are told through their cursor.
    s.clock.set_unix(NOW + 10 * 60 + 1);
    let cursor = page.body["cursor"].as_str().unwrap();
    let page = s.get(&format!("/v1/pending-orders?since={cursor}"));
    assert_eq!(page.body["orders"].as_array().unwrap().len(), 1, "{}", page.text);
    assert_eq!(
        (page.body["orders"][0]["order_id"].as_str(), page.body["orders"][0]["status"].as_str()),
        (Some(held.as_str()), Some("expired"))
    );
    let m = merchant(&s, &key, "GET", &format!("/v1/merchant/orders/{held}"), None);
    assert_eq!(m.body["status"], "expired");
    // A till starting from nothing is not sent orders that are over.
    assert_eq!(s.get("/v1/pending-orders").body["orders"], json!([]));
}

#[test]
fn a_cancelled_order_cannot_be_reserved_and_the_tills_learn_it() {
    let s = TestServer::start();
    let key = merchant_key(&s, "main");
    let (id, code) = push(&s, &key, &order_body("WEB-1"));
    let cursor = s.get("/v1/pending-orders").body["cursor"].as_str().unwrap().to_string();
    let a = merchant(&s, &key, "POST", &format!("/v1/merchant/orders/{id}/cancel"), None);
    assert_eq!((a.status, a.body["status"].as_str(), &a.body["cancelled_at"]), (200, Some("cancelled"), &json!(NOW)));
    // Cancelling again answers the same; reading shows it.
    assert_eq!(merchant(&s, &key, "POST", &format!("/v1/merchant/orders/{id}/cancel"), None).status, 200);
    assert_eq!(merchant(&s, &key, "GET", &format!("/v1/merchant/orders/{id}"), None).body["status"], "cancelled");
    let a = s.post(&reserve_path(&id), &json!({"pickup_code": code}), "k");
    assert_eq!((a.status, a.body["code"].as_str()), (409, Some("order_cancelled")));
    let page = s.get(&format!("/v1/pending-orders?since={cursor}"));
    assert_eq!(page.body["orders"][0]["status"], "cancelled", "{}", page.text);
    // Another merchant cannot read or cancel it.
    let other = merchants::add_merchant(&*s.repo, "Other shop", "main", &*s.clock, &SeededEntropy::new(5)).unwrap();
    let a = merchant(&s, &other.api_key, "GET", &format!("/v1/merchant/orders/{id}"), None);
    assert_eq!((a.status, a.body["code"].as_str()), (404, Some("not_found")));
}

#[test]
fn another_stores_till_neither_sees_nor_reserves_the_order() {
    let s = TestServer::start();
    let key = merchant_key(&s, "main");
    let (id, code) = push(&s, &key, &order_body("WEB-1"));
    let north = add_till(&s, "north counter", "north", 21);
    let page = till_send(&s, &north, "GET", "/v1/pending-orders", &json!(null));
    assert_eq!((page.status, &page.body["orders"]), (200, &json!([])), "{}", page.text);
    let a = till_send(&s, &north, "POST", &reserve_path(&id), &json!({"pickup_code": code}));
    assert_eq!((a.status, a.body["code"].as_str()), (404, Some("not_found")));
    // Its release and a sale naming the order are refused the same way.
    let a = till_send(&s, &north, "POST", &format!("/v1/pending-orders/{id}/release"), &json!({}));
    assert_eq!(a.status, 404);
    let mut tx = till_server::repo::Repository::begin(&*s.repo).unwrap();
    let lines = [CollectedLine { reference: id.clone(), total_minor: 6800, currency: "CNY".into() }];
    assert_eq!(collected(&mut *tx, &north.id, "o-n1", &lines, NOW).unwrap_err().code(), "not_found");
    drop(tx);
    // The store's own till sees it.
    assert_eq!(s.get("/v1/pending-orders").body["orders"][0]["order_id"], json!(id));
}

#[test]
fn the_feed_pages_by_cursor() {
    let s = TestServer::start();
    let key = merchant_key(&s, "main");
    let ids: Vec<String> = (1..=3).map(|n| push(&s, &key, &order_body(&format!("WEB-{n}"))).0).collect();
    let p1 = s.get("/v1/pending-orders?limit=2");
    assert_eq!((p1.body["orders"].as_array().unwrap().len(), &p1.body["more"]), (2, &json!(true)), "{}", p1.text);
    let p2 = s.get(&format!("/v1/pending-orders?since={}&limit=2", p1.body["cursor"].as_str().unwrap()));
    assert_eq!((p2.body["orders"].as_array().unwrap().len(), &p2.body["more"]), (1, &json!(false)));
    assert_eq!(p2.body["orders"][0]["order_id"], json!(ids[2]));
    // Nothing changed: nothing sent, the cursor stays.
    let cursor = p2.body["cursor"].as_str().unwrap();
    let p3 = s.get(&format!("/v1/pending-orders?since={cursor}"));
    assert_eq!((&p3.body["orders"], p3.body["cursor"].as_str()), (&json!([]), Some(cursor)));
    assert_eq!(s.get("/v1/pending-orders?since=abc").body["code"], "invalid_request");
    assert_eq!(s.get("/v1/pending-orders?limit=0").body["code"], "invalid_request");
}

#[test]
fn a_sale_collects_only_what_its_till_reserved_and_covers() {
    let s = TestServer::start();
    let key = merchant_key(&s, "main");
    let (id, code) = push(&s, &key, &order_body("WEB-1"));
    let line = |total: i64| vec![CollectedLine { reference: id.clone(), total_minor: total, currency: "CNY".into() }];
    let collect = |terminal: &str, sale: &str, lines: &[CollectedLine], at: i64| {
        let mut tx = till_server::repo::Repository::begin(&*s.repo).unwrap();
        let r = collected(&mut *tx, terminal, sale, lines, at);
        if r.is_ok() {
            tx.commit().unwrap();
        }
        r.map_err(|e| e.code())
    };
    // Never reserved by this till: refused.
    assert_eq!(collect(&s.terminal_id, "o-1", &line(6800), NOW), Err("order_not_reserved"));
    assert_eq!(s.post(&reserve_path(&id), &json!({"pickup_code": code}), "k").status, 200);
    // Not the whole order: refused.
    assert_eq!(collect(&s.terminal_id, "o-1", &line(6000), NOW), Err("order_not_covered"));
    // The hold lapsed before the sale came in: collected all the same, and flagged.
    s.clock.set_unix(NOW + 11 * 60);
    assert_eq!(collect(&s.terminal_id, "o-1", &line(6800), NOW + 11 * 60), Ok(()));
    let m = merchant(&s, &key, "GET", &format!("/v1/merchant/orders/{id}"), None);
    assert_eq!(m.body["status"], "collected");
    assert_eq!(
        m.body["collection"],
        json!({"terminal_id": s.terminal_id, "sale_order_id": "o-1", "collected_at": NOW + 11 * 60, "flag": "reservation_lapsed"})
    );
    // The same sale again is nothing new; another sale is refused.
    assert_eq!(collect(&s.terminal_id, "o-1", &line(6800), NOW + 11 * 60), Ok(()));
    assert_eq!(collect(&s.terminal_id, "o-2", &line(6800), NOW + 11 * 60), Err("order_collected"));
    let a = s.post(&reserve_path(&id), &json!({"pickup_code": code}), "k");
    assert_eq!(a.body["code"], "order_collected");
}

/// A cash sale of the test order's two lines, each naming the order as its origin.
fn collecting_sale(order: &str, sale_id: &str, first_total: i64) -> Value {
    let origin = json!({"kind": "pending_order", "reference": order});
    json!({
        "order_id": sale_id, "store": "main", "created_at": NOW, "currency": "CNY",
        "lines": [
            {"line_code": line_code(41), "sku": "TEA-001", "name": "Green tea 100 g", "quantity": 2,
             "unit_price": {"minor": 2500, "currency": "CNY"}, "total": {"minor": first_total, "currency": "CNY"},
             "origin": origin},
            {"line_code": line_code(42), "sku": "CUP-002", "name": "Tea cup", "quantity": 1,
             "unit_price": {"minor": 1800, "currency": "CNY"}, "total": {"minor": 1800, "currency": "CNY"},
             "origin": origin}
        ],
        "payments": [{"tender": "cash", "amount": {"minor": first_total + 1800, "currency": "CNY"}}]
    })
}

#[test]
fn a_real_sale_collects_the_order_and_its_lines_are_refundable() {
    let s = TestServer::start();
    let key = merchant_key(&s, "main");
    let (id, code) = push(&s, &key, &order_body("WEB-1"));
    // Before any reservation the sale is refused and changes nothing (it parks at the till).
    let a = s.post("/v1/sales", &collecting_sale(&id, "o-1", 5000), "sale-0");
    assert_eq!((a.status, a.body["code"].as_str()), (409, Some("order_not_reserved")), "{}", a.text);
    assert_eq!(s.get(&format!("/v1/line-codes/{}", line_code(41))).status, 404);
    assert_eq!(s.post(&reserve_path(&id), &json!({"pickup_code": code}), "r").status, 200);
    // Lines short of the order: refused.
    let a = s.post("/v1/sales", &collecting_sale(&id, "o-1", 4000), "sale-1");
    assert_eq!((a.status, a.body["code"].as_str()), (422, Some("order_not_covered")), "{}", a.text);
    let a = s.post("/v1/sales", &collecting_sale(&id, "o-1", 5000), "sale-2");
    assert_eq!(a.status, 201, "{}", a.text);
    let m = merchant(&s, &key, "GET", &format!("/v1/merchant/orders/{id}"), None);
    assert_eq!(m.body["status"], "collected");
    assert_eq!(
        m.body["collection"],
        json!({"terminal_id": s.terminal_id, "sale_order_id": "o-1", "collected_at": NOW})
    );
    // The replay of the same event is the stored answer, not a second collection.
    let again = s.post("/v1/sales", &collecting_sale(&id, "o-1", 5000), "sale-2");
    assert_eq!((again.status, again.replayed), (201, true));
    // The lines carry their codes like any sale's: a refund finds them.
    let l = s.get(&format!("/v1/line-codes/{}", line_code(41)));
    assert_eq!((l.status, &l.body["refundable"]), (200, &json!({"minor": 5000, "currency": "CNY"})), "{}", l.text);
    // Another sale naming the collected order is refused.
    let mut other = collecting_sale(&id, "o-2", 5000);
    other["lines"][0]["line_code"] = json!(line_code(43));
    other["lines"][1]["line_code"] = json!(line_code(44));
    let a = s.post("/v1/sales", &other, "sale-3");
    assert_eq!((a.status, a.body["code"].as_str()), (409, Some("order_collected")), "{}", a.text);
}
