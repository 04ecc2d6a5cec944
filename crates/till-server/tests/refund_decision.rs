//! The one decision on a refund line (`till_core::refund::decide`) as the server makes it, and
//! `POST /v1/refunds/check`, which tells a till that decision (or the refusal) before any money
//! moves and writes nothing: against a real server over HTTP, on SQLite and on PostgreSQL.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;
use serde_json::{json, Value};
use support::*;
use till_core::Clock;
use till_server::clock::SeededEntropy;
use till_server::config::Config;

/// A line of ¥38.00 in a sale: its code, the seller it was sold for (`None`: the shop sold it
/// itself) and the IMEI of the device sold on it, if any.
struct Line<'a> {
    code: &'a str,
    seller: Option<&'a str>,
    imei: Option<&'a str>,
}

/// A sale of `lines`, paid in cash, bought by `customer`.
fn cash_sale(order: &str, lines: &[Line<'_>], customer: Option<&str>) -> Value {
    let lines: Vec<Value> = lines
        .iter()
        .map(|l| {
            let devices = match l.imei {
                Some(i) => json!([device_json(i, None)]),
                None => json!([]),
            };
            json!({"line_code": l.code, "sku": "MUG-1", "name": "Mug", "quantity": 1,
                   "unit_price": {"minor": 3800, "currency": "CNY"}, "total": {"minor": 3800, "currency": "CNY"},
                   "seller": l.seller, "devices": devices})
        })
        .collect();
    let paid = 3800 * lines.len() as i64;
    json!({"order_id": order, "store": "Shop 1", "created_at": NOW - 60, "currency": "CNY", "customer_id": customer,
           "lines": lines, "payments": [{"tender": "cash", "amount": {"minor": paid, "currency": "CNY"}}]})
}

fn record(s: &TestServer, sale: &Value) {
    let a = s.post("/v1/sales", sale, &format!("sale-{}", sale["order_id"].as_str().unwrap()));
    assert_eq!(a.status, 201, "{}", a.text);
}

/// A cash refund of `minor` of the line `code`, approved at the till by `manager` if given.
fn refund(id: &str, code: &str, minor: i64, manager: Option<&str>) -> Value {
    json!({"refund_id": id, "line_code": code, "amount": {"minor": minor, "currency": "CNY"}, "tender": "cash",
           "reason": "handle came off", "approved_by": manager})
}

fn by_device(id: &str, imei: &str, manager: Option<&str>) -> Value {
    json!({"refund_id": id, "device_blind": blind(imei), "amount": {"minor": 3800, "currency": "CNY"}, "tender": "cash",
           "reason": "does not boot", "approved_by": manager})
}

/// `(status, decided_by, approved_by, terminal_id)` of an answer.
fn decided(a: &Answer) -> (Option<&str>, Option<&str>, Option<&str>, Option<&str>) {
    let f = |k: &str| a.body[k].as_str();
    (f("status"), f("decided_by"), f("approved_by"), f("terminal_id"))
}

fn refundable(s: &TestServer, code: &str) -> i64 {
    s.get(&format!("/v1/line-codes/{code}")).body["refundable"]["minor"].as_i64().unwrap()
}

/// A second till on the same server.
struct OtherTill {
    id: String,
    secret: Vec<u8>,
}

impl OtherTill {
    fn register(s: &TestServer) -> OtherTill {
        let t = till_server::admin::add_terminal(&*s.repo, "counter 2", &*s.clock, &SeededEntropy::new(99)).unwrap();
        OtherTill { id: t.terminal_id, secret: hex::decode(t.secret).unwrap() }
    }

    fn post(&self, s: &TestServer, path: &str, body: &Value, idem: &str) -> Answer {
        let body = body.to_string();
        let h = till_server::signing::signed_headers(
            &self.id,
            &self.secret,
            "POST",
            path,
            s.clock.now_unix(),
            &s.next_nonce(),
            body.as_bytes(),
        )
        .to_vec();
        s.raw("POST", path, body.as_bytes(), Some(idem), &h)
    }
}

fn a_shop_manager_confirms_the_shops_own_line_for_a_customer_below_the_threshold(backend: Backend) {
    let s = TestServer::start_on(backend);
    till_server::admin::set_reputation(&*s.repo, "cust-low", 10).unwrap();
    let (a_code, b_code, c_code) = (line_code(1), line_code(2), line_code(3));
    let shop = |code| Line { code, seller: None, imei: None };
    record(&s, &cash_sale("o-1", &[shop(&a_code), shop(&b_code)], Some("cust-low")));
    record(&s, &cash_sale("o-2", &[shop(&c_code)], None));

    // Without a manager the low-reputation customer's refund waits for the seller (the shop).
    let a = s.post("/v1/refunds", &refund("r-0", &a_code, 3800, None), "r0");
    assert_eq!(a.status, 201, "{}", a.text);
    assert_eq!(decided(&a), (Some("pending_seller_confirmation"), None, None, Some(s.terminal_id.as_str())));

    // Li Wei approves at the counter of another till: refunded at once, by the shop's manager,
    // recorded with who approved it and at which terminal.
    let other = OtherTill::register(&s);
    let a = other.post(&s, "/v1/refunds", &refund("r-1", &b_code, 3800, Some("Li Wei")), "r1");
    assert_eq!(a.status, 201, "{}", a.text);
    assert_eq!(decided(&a), (Some("refunded"), Some("shop_manager"), Some("Li Wei"), Some(other.id.as_str())));
    let g = s.get("/v1/refunds/r-1");
    assert_eq!(g.status, 200, "{}", g.text);
    assert_eq!(g.body, a.body);
    let stored = till_server::admin::list_refunds(&*s.repo, Some("refunded")).unwrap();
    assert_eq!(stored.len(), 1);
    assert_eq!((stored[0].decided_at, stored[0].terminal_id.as_str()), (Some(NOW), other.id.as_str()));

    // A customer the server does not know counts as reputation 0: the manager's approval decides.
    let a = s.post("/v1/refunds", &refund("r-2", &c_code, 1000, Some("Li Wei")), "r2");
    assert_eq!(decided(&a), (Some("refunded"), Some("shop_manager"), Some("Li Wei"), Some(s.terminal_id.as_str())));
}

fn a_line_sold_for_another_seller_waits_for_that_seller_whatever_the_manager_says(backend: Backend) {
    let s = TestServer::start_on(backend);
    let (code, device_code, shop_device_code) = (line_code(1), line_code(2), line_code(3));
    let lines = [
        Line { code: &code, seller: Some("acme"), imei: None },
        Line { code: &device_code, seller: Some("acme"), imei: Some("352099001761481") },
        Line { code: &shop_device_code, seller: None, imei: Some("490154203237518") },
    ];
    record(&s, &cash_sale("o-1", &lines, Some("cust-1")));

    let a = s.post("/v1/refunds", &refund("r-1", &code, 3800, Some("Li Wei")), "r1");
    assert_eq!(a.status, 201, "{}", a.text);
    assert_eq!(decided(&a), (Some("pending_seller_confirmation"), None, Some("Li Wei"), Some(s.terminal_id.as_str())));
    assert_eq!(refundable(&s, &code), 0, "the amount is reserved while acme decides");

    // acme confirms with the admin command: refunded, decided by acme, the approver kept.
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_till-server"))
        .args(["refunds", "confirm", "--id", "r-1", "--by", "acme"])
        .args(s.database_args())
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let printed: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(printed["status"], "refunded");
    let g = s.get("/v1/refunds/r-1");
    assert_eq!(decided(&g), (Some("refunded"), Some("acme"), Some("Li Wei"), Some(s.terminal_id.as_str())));

    // By device identifier the device's line decides the same way: acme's device waits, the
    // shop's own device is refunded on the manager's approval.
    let a = s.post("/v1/refunds", &by_device("r-2", "35-209900-176148-1", Some("Li Wei")), "r2");
    assert_eq!(decided(&a), (Some("pending_seller_confirmation"), None, Some("Li Wei"), Some(s.terminal_id.as_str())));
    let a = s.post("/v1/refunds", &by_device("r-3", "490154203237518", Some("Li Wei")), "r3");
    assert_eq!(decided(&a), (Some("refunded"), Some("shop_manager"), Some("Li Wei"), Some(s.terminal_id.as_str())));
    assert_eq!(a.body["device_blind"], blind("490154203237518"));
    assert!(!a.text.contains("490154203237518"), "an answer never carries the identifier: {}", a.text);
}

fn a_seller_decides_each_line_of_one_sale_on_its_own(backend: Backend) {
    let s = TestServer::start_on(backend);
    let (first, second) = (line_code(1), line_code(2));
    let acme = |code| Line { code, seller: Some("acme"), imei: None };
    record(&s, &cash_sale("o-1", &[acme(&first), acme(&second)], None));
    for (id, code) in [("r-1", &first), ("r-2", &second)] {
        let a = s.post("/v1/refunds", &refund(id, code, 3800, Some("Li Wei")), id);
        assert_eq!(a.body["status"], "pending_seller_confirmation", "{}", a.text);
    }
    let confirmed = till_server::routes::refunds::decide(&*s.repo, "r-1", true, "acme", NOW + 5).unwrap();
    let rejected = till_server::routes::refunds::decide(&*s.repo, "r-2", false, "acme", NOW + 6).unwrap();
    assert_eq!((confirmed.status.as_str(), rejected.status.as_str()), ("refunded", "rejected"));
    assert_eq!(decided(&s.get("/v1/refunds/r-1")).0, Some("refunded"));
    assert_eq!(decided(&s.get("/v1/refunds/r-2")).0, Some("rejected"));
    // The confirmed line stays refunded; the rejected line's amount is free again.
    assert_eq!((refundable(&s, &first), refundable(&s, &second)), (0, 3800));
    let a = s.post("/v1/refunds", &refund("r-3", &first, 1, None), "r3");
    assert_eq!((a.status, a.body["code"].as_str()), (422, Some("refund_exceeds_paid")));
    let a = s.post("/v1/refunds", &refund("r-4", &second, 3800, None), "r4");
    assert_eq!((a.status, a.body["status"].as_str()), (201, Some("pending_seller_confirmation")), "{}", a.text);
}

fn a_till_may_leave_even_a_trusted_customers_refund_to_the_seller(backend: Backend) {
    let s = TestServer::start_on(backend);
    till_server::admin::set_reputation(&*s.repo, "trusted", 90).unwrap();
    let (a_code, b_code) = (line_code(1), line_code(2));
    let shop = |code| Line { code, seller: None, imei: None };
    record(&s, &cash_sale("o-1", &[shop(&a_code), shop(&b_code)], Some("trusted")));

    let mut held = refund("r-1", &a_code, 3800, Some("Li Wei"));
    held["hold_for_seller"] = json!(true);
    let a = s.post("/v1/refunds", &held, "r1");
    assert_eq!(decided(&a), (Some("pending_seller_confirmation"), None, Some("Li Wei"), Some(s.terminal_id.as_str())));
    // The same customer without the hold is refunded by the policy.
    let a = s.post("/v1/refunds", &refund("r-2", &b_code, 3800, None), "r2");
    assert_eq!(decided(&a), (Some("refunded"), Some("policy"), None, Some(s.terminal_id.as_str())));
}

fn a_threshold_of_zero_refunds_a_customer_the_server_does_not_know(backend: Backend) {
    let s = TestServer::start_on_with(backend, Config { refund_reputation_threshold: 0, ..Config::default() });
    let code = line_code(1);
    record(&s, &cash_sale("o-1", &[Line { code: &code, seller: Some("acme"), imei: None }], Some("stranger")));
    let a = s.post("/v1/refunds", &refund("r-1", &code, 3800, None), "r1");
    assert_eq!(decided(&a), (Some("refunded"), Some("policy"), None, Some(s.terminal_id.as_str())));
}

/// Every row of every table of the server's database, as text, sorted: what "nothing was
/// written" is checked against. Apart from the nonces of signed requests: a check's nonce is
/// spent like any request's (`a_check_claims_no_idempotency_key_but_its_nonce_is_spent`).
fn snapshot(s: &TestServer) -> Vec<String> {
    if let Some(scratch) = &s.scratch {
        return postgres_snapshot(&scratch.url).into_iter().filter(|r| !r.starts_with("request_nonces: ")).collect();
    }
    let db = rusqlite::Connection::open(s.dir.path().join("server.db")).unwrap();
    let tables: Vec<String> = db
        .prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    let mut rows = Vec::new();
    for t in tables {
        let mut stmt = db.prepare(&format!("SELECT * FROM \"{t}\"")).unwrap();
        let n = stmt.column_count();
        let mut q = stmt.query([]).unwrap();
        while let Some(r) = q.next().unwrap() {
            let cells: Vec<String> =
                (0..n).map(|i| format!("{:?}", r.get::<_, rusqlite::types::Value>(i).unwrap())).collect();
            rows.push(format!("{t}: {}", cells.join(" | ")));
        }
    }
    rows.sort();
    rows
}

/// [`snapshot`] of a PostgreSQL database: each row of each table of the schema as its text form.
fn postgres_snapshot(url: &str) -> Vec<String> {
    let mut db = ::postgres::Client::connect(url, ::postgres::NoTls).unwrap();
    let tables: Vec<String> = db
        .query("SELECT table_name::text FROM information_schema.tables WHERE table_schema = 'public'", &[])
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert!(tables.len() > 20, "{tables:?}");
    let mut rows = Vec::new();
    for t in tables {
        for r in db.query(&format!("SELECT t::text FROM \"{t}\" t"), &[]).unwrap() {
            rows.push(format!("{t}: {}", r.get::<_, String>(0)));
        }
    }
    rows.sort();
    rows
}

/// `(status, decision, seller, error_code)` of one result of a check.
fn result(a: &Answer, i: usize) -> (Option<&str>, Option<&str>, Option<&str>, Option<&str>) {
    let r = &a.body["results"][i];
    let f = |k: &str| r[k].as_str();
    (f("status"), f("decision"), f("seller"), f("error_code"))
}

fn a_check_answers_as_the_refunds_would_and_writes_nothing(backend: Backend) {
    let s = TestServer::start_on(backend);
    till_server::admin::set_reputation(&*s.repo, "cust-low", 10).unwrap();
    let (shop_code, acme_code, card_code) = (line_code(1), line_code(2), line_code(3));
    let lines = [
        Line { code: &shop_code, seller: None, imei: None },
        Line { code: &acme_code, seller: Some("acme"), imei: Some("352099001761481") },
    ];
    record(&s, &cash_sale("o-1", &lines, Some("cust-low")));
    // A card sale the platform never authorised: no card refund of it.
    let mut card = sale("o-2", &card_code, None);
    card["payments"][0]["payment_id"] = json!("never-authorised");
    record(&s, &card);
    assert_eq!(s.post("/v1/refunds", &refund("r-done", &card_code, 100, None), "done").status, 201);
    let before = snapshot(&s);

    let mut card_refund = refund("c-card", &card_code, 1000, Some("Li Wei"));
    card_refund["tender"] = json!("card");
    let mut bad_code = refund("c-bad", &shop_code, 1, None);
    bad_code["line_code"] = json!("NOT-A-CODE");
    let check = json!({"refunds": [
        refund("c-unknown", &line_code(99), 100, None),
        refund("c-too-much", &shop_code, 3801, Some("Li Wei")),
        refund("c-shop", &shop_code, 3000, Some("Li Wei")),
        refund("c-shop-again", &shop_code, 801, Some("Li Wei")),
        refund("c-shop-rest", &shop_code, 800, None),
        by_device("c-acme", "352099001761481", Some("Li Wei")),
        refund("c-shop", &shop_code, 1, Some("Li Wei")),
        refund("r-done", &shop_code, 1, Some("Li Wei")),
        card_refund,
        bad_code,
    ]});
    // No Idempotency-Key: a check needs none.
    let a = s.send("POST", "/v1/refunds/check", check.to_string().as_bytes(), None);
    assert_eq!(a.status, 200, "{}", a.text);
    assert!(a.signature.is_some(), "signed like every answer");
    // The first request names no sale the server knows; the second's customer is cust-low.
    assert_eq!((a.body["threshold"].as_i64(), a.body["reputation"].as_i64()), (Some(60), Some(10)), "{}", a.text);
    assert_eq!(a.body["results"].as_array().unwrap().len(), 10);
    assert_eq!(result(&a, 0), (None, None, None, Some("not_found")));
    assert_eq!(a.body["results"][0]["refund_id"], "c-unknown");
    assert_eq!(a.body["results"][0]["error_message"], "line code not found");
    assert_eq!(result(&a, 1), (None, None, None, Some("refund_exceeds_paid")));
    assert_eq!(a.body["results"][1]["error_message"], "refund of 3801 exceeds the 3800 left to refund");
    assert_eq!(result(&a, 2), (Some("refunded"), Some("shop_manager"), None, None));
    assert_eq!(a.body["results"][2]["error_message"], Value::Null);
    // The lines of one check are checked together: what the earlier request took is gone.
    assert_eq!(result(&a, 3), (None, None, None, Some("refund_exceeds_paid")));
    assert_eq!(result(&a, 4), (Some("pending_seller_confirmation"), Some("await_seller"), None, None));
    assert_eq!(result(&a, 5), (Some("pending_seller_confirmation"), Some("await_seller"), Some("acme"), None));
    assert_eq!(result(&a, 6), (None, None, None, Some("refund_exists")));
    assert_eq!(result(&a, 7), (None, None, None, Some("refund_exists")));
    // A refusal names the line's seller too, when the line is known.
    assert_eq!(result(&a, 8), (None, None, Some("seller-a"), Some("card_sale_not_authorised")));
    assert_eq!(result(&a, 9), (None, None, None, Some("invalid_line_code")));

    // Nothing was written: every table holds what it held, the checked ids are unknown, and the
    // real request for the whole line is accepted as the check said it would be.
    assert_eq!(snapshot(&s), before);
    assert_eq!(s.get("/v1/refunds/c-shop").status, 404);
    assert_eq!(refundable(&s, &shop_code), 3800);
    let a = s.post("/v1/refunds", &refund("c-shop", &shop_code, 3800, Some("Li Wei")), "real-1");
    assert_eq!(decided(&a), (Some("refunded"), Some("shop_manager"), Some("Li Wei"), Some(s.terminal_id.as_str())));

    // The reputation is that of the first request's sale the server found.
    till_server::admin::set_reputation(&*s.repo, "cust-1", 75).unwrap();
    let check = json!({"refunds": [refund("c-1", &line_code(98), 1, None), refund("c-2", &card_code, 1, None)]});
    let a = s.send("POST", "/v1/refunds/check", check.to_string().as_bytes(), None);
    assert_eq!((a.body["threshold"].as_i64(), a.body["reputation"].as_i64()), (Some(60), Some(75)), "{}", a.text);
    let check = json!({"refunds": [refund("c-1", &line_code(98), 1, None)]});
    let a = s.send("POST", "/v1/refunds/check", check.to_string().as_bytes(), None);
    assert_eq!((a.body["reputation"].clone(), result(&a, 0).3), (Value::Null, Some("not_found")), "{}", a.text);
}

fn a_check_claims_no_idempotency_key_but_its_nonce_is_spent(backend: Backend) {
    let s = TestServer::start_on(backend);
    let code = line_code(1);
    record(&s, &cash_sale("o-1", &[Line { code: &code, seller: None, imei: None }], None));
    let body = json!({"refunds": [refund("r-1", &code, 3800, Some("Li Wei"))]}).to_string();

    // A key sent with a check is ignored: the refund may use it afterwards, fresh.
    let a = s.send("POST", "/v1/refunds/check", body.as_bytes(), Some("key-1"));
    assert_eq!((a.status, result(&a, 0).0), (200, Some("refunded")), "{}", a.text);
    let again = s.send("POST", "/v1/refunds/check", body.as_bytes(), Some("key-1"));
    assert_eq!((again.status, again.replayed), (200, false));
    let a = s.post("/v1/refunds", &refund("r-1", &code, 3800, Some("Li Wei")), "key-1");
    assert_eq!((a.status, a.replayed), (201, false), "{}", a.text);
    assert_eq!(a.body["status"], "refunded");
    // Checked again, the refund now exists.
    let a = s.send("POST", "/v1/refunds/check", body.as_bytes(), None);
    assert_eq!(result(&a, 0).3, Some("refund_exists"));

    // The signature's replay protection stays: the same signed request twice is refused.
    let h = s.sign_headers("POST", "/v1/refunds/check", NOW, &s.next_nonce(), body.as_bytes());
    assert_eq!(s.raw("POST", "/v1/refunds/check", body.as_bytes(), None, &h).status, 200);
    let replay = s.raw("POST", "/v1/refunds/check", body.as_bytes(), None, &h);
    assert_eq!((replay.status, replay.body["code"].as_str()), (401, Some("replayed_nonce")));
    let unsigned = s.raw("POST", "/v1/refunds/check", body.as_bytes(), None, &[]);
    assert_eq!((unsigned.status, unsigned.body["code"].as_str()), (401, Some("bad_auth_headers")));
}

fn a_check_holds_one_to_a_hundred_well_formed_requests(backend: Backend) {
    let s = TestServer::start_on(backend);
    let code = line_code(1);
    let many = |n: usize| {
        let refunds: Vec<Value> = (0..n).map(|i| refund(&format!("r-{i}"), &code, 1, None)).collect();
        json!({ "refunds": refunds }).to_string()
    };
    let a = s.send("POST", "/v1/refunds/check", many(100).as_bytes(), None);
    assert_eq!((a.status, a.body["results"].as_array().map(Vec::len)), (200, Some(100)), "{}", a.text);
    for n in [0, 101] {
        let a = s.send("POST", "/v1/refunds/check", many(n).as_bytes(), None);
        assert_eq!((a.status, a.body["code"].as_str()), (400, Some("invalid_request")), "{}", a.text);
        assert!(a.body["message"].as_str().unwrap().contains("1 to 100"), "{}", a.text);
    }
    let a = s.send("POST", "/v1/refunds/check", b"{\"refunds\": [{\"refund_id\": 1}]}", None);
    assert_eq!((a.status, a.body["code"].as_str()), (400, Some("invalid_request")), "{}", a.text);
    let a = s.send("POST", "/v1/refunds/check", b"not json", None);
    assert_eq!((a.status, a.body["code"].as_str()), (400, Some("malformed_json")), "{}", a.text);
    // `check` is the check's path, never a refund's id.
    let a = s.post("/v1/refunds", &refund("check", &code, 1, None), "r-check");
    assert_eq!((a.status, a.body["code"].as_str()), (400, Some("invalid_request")), "{}", a.text);
}

on_both_backends!(
    a_shop_manager_confirms_the_shops_own_line_for_a_customer_below_the_threshold,
    a_line_sold_for_another_seller_waits_for_that_seller_whatever_the_manager_says,
    a_seller_decides_each_line_of_one_sale_on_its_own,
    a_till_may_leave_even_a_trusted_customers_refund_to_the_seller,
    a_threshold_of_zero_refunds_a_customer_the_server_does_not_know,
    a_check_answers_as_the_refunds_would_and_writes_nothing,
    a_check_claims_no_idempotency_key_but_its_nonce_is_spent,
    a_check_holds_one_to_a_hundred_well_formed_requests,
);
