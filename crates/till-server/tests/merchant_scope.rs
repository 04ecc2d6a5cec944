//! Merchants, stores and terminals against a real server over HTTP: two merchants (acme with
//! stores a1 and a2, bolt with store b1), a till in each store. What acme's till at a1 sold is
//! found and refunded at a2, and is not found at b1, with the very answer of something that
//! never existed: line codes, sold devices (and device services), refunds' status, points
//! accounts, and customers' reputation (which decides refunds). On SQLite and on PostgreSQL.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;
use serde_json::{json, Value};
use support::*;
use till_core::Clock;
use till_server::clock::SeededEntropy;
use till_server::config::Config;
use till_server::points::{base32_decode, make_token};

/// A till registered in one store.
struct Till {
    id: String,
    secret: Vec<u8>,
}

impl Till {
    fn in_store(s: &TestServer, store: &str, seed: u64) -> Till {
        let t = till_server::admin::add_terminal(&*s.repo, store, &*s.clock, &SeededEntropy::new(seed)).unwrap();
        till_server::merchants::set_terminal_store(&*s.repo, &t.terminal_id, store).unwrap();
        Till { id: t.terminal_id, secret: hex::decode(t.secret).unwrap() }
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

/// The server, and a till at acme's a1, acme's a2 and bolt's b1.
struct Chain {
    s: TestServer,
    a1: Till,
    a2: Till,
    b1: Till,
}

fn chain(backend: Backend) -> Chain {
    let s = TestServer::start_on_with(backend, Config { refund_reputation_threshold: 80, ..Config::default() });
    for (store, merchant) in [("a1", "acme"), ("a2", "acme"), ("b1", "bolt")] {
        till_server::scope::add_store(&*s.repo, store, merchant, &format!("Store {store}"), NOW).unwrap();
    }
    let (a1, a2, b1) = (Till::in_store(&s, "a1", 11), Till::in_store(&s, "a2", 12), Till::in_store(&s, "b1", 13));
    Chain { s, a1, a2, b1 }
}

const IMEI: &str = "352099001761481";

/// A sale at `till` of one phone (with `imei`) to customer cust-1, paid in cash.
fn sell(c: &Chain, till: &Till, order: &str, code: &str, imei: Option<&str>) {
    let mut body = sale(order, code, imei);
    body["payments"] = json!([{"tender": "cash", "amount": {"minor": 199900, "currency": "CNY"}}]);
    let a = till.post(&c.s, "/v1/sales", &body, &format!("sale-{order}"));
    assert_eq!(a.status, 201, "{}", a.text);
}

fn refund_of_line(id: &str, code: &str) -> Value {
    json!({"refund_id": id, "line_code": code, "amount": {"minor": 1000, "currency": "CNY"},
           "tender": "cash", "reason": "scratched"})
}

/// `a` is the answer to something that does not exist: 404 with `never`'s very body.
fn not_found(a: &Answer, never: &Answer) {
    assert_eq!((a.status, never.status), (404, 404), "{} / {}", a.text, never.text);
    assert_eq!(a.body, never.body, "another merchant's answer differs from an unknown one's");
}

fn a_line_sold_at_one_store_is_refunded_at_another_of_the_merchant_and_unknown_to_another_merchant(backend: Backend) {
    let c = chain(backend);
    let code = line_code(1);
    sell(&c, &c.a1, "o-1", &code, None);

    // The other store of the same merchant finds it.
    let a = c.a2.get(&c.s, &format!("/v1/line-codes/{code}"));
    assert_eq!((a.status, a.body["terminal_id"].as_str()), (200, Some(c.a1.id.as_str())), "{}", a.text);
    // Another merchant's till does not, exactly as for a code never sold.
    let never = c.b1.get(&c.s, &format!("/v1/line-codes/{}", line_code(99)));
    not_found(&c.b1.get(&c.s, &format!("/v1/line-codes/{code}")), &never);

    // Refunds: refused as unknown at bolt (nothing reserved), made at acme's other store.
    let never = c.b1.post(&c.s, "/v1/refunds", &refund_of_line("r-0", &line_code(99)), "r0");
    not_found(&c.b1.post(&c.s, "/v1/refunds", &refund_of_line("r-b", &code), "rb"), &never);
    let check = c.b1.post(&c.s, "/v1/refunds/check", &json!({"refunds": [refund_of_line("r-c", &code)]}), "c");
    assert_eq!(check.body["results"][0]["error_code"], "not_found", "{}", check.text);
    assert_eq!(check.body["results"][0]["seller"], Value::Null, "the check names no seller of bolt's unknown line");
    let a = c.a2.post(&c.s, "/v1/refunds", &refund_of_line("r-1", &code), "r1");
    assert_eq!(a.status, 201, "{}", a.text);
    assert_eq!(c.a1.get(&c.s, &format!("/v1/line-codes/{code}")).body["refunded"]["minor"], 1000);

    // The refund's status: the merchant's tills see it (the one that sold the line too); bolt's
    // till gets the answer of a refund that does not exist.
    assert_eq!(c.a2.get(&c.s, "/v1/refunds/r-1").body["status"], a.body["status"]);
    assert_eq!(c.a1.get(&c.s, "/v1/refunds/r-1").status, 200);
    not_found(&c.b1.get(&c.s, "/v1/refunds/r-1"), &c.b1.get(&c.s, "/v1/refunds/r-never"));

    // The seller's list of refunds, by merchant: acme's holds it, bolt's does not.
    let ids = |merchant: &str| -> Vec<String> {
        till_server::admin::list_merchant_refunds(&*c.s.repo, None, merchant)
            .unwrap()
            .into_iter()
            .map(|r| r.refund_id)
            .collect()
    };
    assert_eq!(ids("acme"), ["r-1"]);
    assert!(ids("bolt").is_empty());
}

fn a_sold_device_is_found_by_its_merchants_stores_only_and_may_be_sold_again_by_another_merchant(backend: Backend) {
    let c = chain(backend);
    let code = line_code(1);
    sell(&c, &c.a1, "o-1", &code, Some(IMEI));
    let path = format!("/v1/sold-devices/{}", blind(IMEI));
    let a = c.a2.get(&c.s, &path);
    assert_eq!((a.status, a.body["line_code"].as_str()), (200, Some(code.as_str())), "{}", a.text);
    let never = c.b1.get(&c.s, &format!("/v1/sold-devices/{}", blind("490154203237518")));
    not_found(&c.b1.get(&c.s, &path), &never);

    // Device services show bolt nothing of acme's device.
    let record = format!("/v1/device-services/devices/{}", blind(IMEI));
    assert_eq!(c.a2.get(&c.s, &record).status, 200);
    let never = c.b1.get(&c.s, &format!("/v1/device-services/devices/{}", blind("490154203237518")));
    not_found(&c.b1.get(&c.s, &record), &never);

    // A refund by the device: unknown at bolt, refunded at acme's other store.
    let by_device = |id: &str| {
        json!({"refund_id": id, "device_blind": blind(IMEI), "amount": {"minor": 199900, "currency": "CNY"},
               "tender": "cash", "reason": "does not boot"})
    };
    let a = c.b1.post(&c.s, "/v1/refunds", &by_device("r-b"), "rb");
    assert_eq!((a.status, a.body["code"].as_str()), (404, Some("not_found")), "{}", a.text);

    // Bolt takes the phone in and sells it on: its own sale, beside acme's (not a conflict).
    let bolt_code = line_code(2);
    sell(&c, &c.b1, "o-b", &bolt_code, Some(IMEI));
    assert_eq!(c.b1.get(&c.s, &path).body["line_code"].as_str(), Some(bolt_code.as_str()));
    assert_eq!(c.a2.get(&c.s, &path).body["line_code"].as_str(), Some(code.as_str()));

    let a = c.a2.post(&c.s, "/v1/refunds", &by_device("r-a"), "ra");
    assert_eq!(a.status, 201, "{}", a.text);
    assert_eq!(c.a1.get(&c.s, &path).body["refunded"], true);
    assert_eq!(c.b1.get(&c.s, &path).body["refunded"], false, "bolt's sale of the device is untouched");
}

fn enrol(c: &Chain, till: &Till) -> (String, Vec<u8>) {
    let a = till.post(&c.s, "/v1/points/enrol", &json!({}), "enrol");
    assert_eq!(a.status, 201, "{}", a.text);
    let msg = a.body["enrolment_message"].as_str().unwrap().to_string();
    let parts: Vec<&str> = msg.split(' ').collect();
    (parts[2].to_string(), base32_decode(parts[3]).unwrap())
}

fn a_points_account_enrolled_at_one_merchant_is_unknown_to_another(backend: Backend) {
    let c = chain(backend);
    let (account, key) = enrol(&c, &c.a1);
    let path = format!("/v1/points/accounts/{account}");
    assert_eq!(c.a2.get(&c.s, &path).status, 200);
    let never = c.b1.get(&c.s, &format!("/v1/points/accounts/{}", "0".repeat(32)));
    not_found(&c.b1.get(&c.s, &path), &never);

    // A genuine token of the account earns nothing at bolt: refused like a forged one.
    let id: [u8; 16] = hex::decode(&account).unwrap().try_into().unwrap();
    let earn = |counter: u32, order: &str| {
        json!({"token": hex::encode(make_token(&key, &id, counter, NOW as u64)), "kind": "earn", "points": 100,
               "order_id": order})
    };
    sell(&c, &c.b1, "o-b", &line_code(2), None);
    let a = c.b1.post(&c.s, "/v1/points/updates", &earn(1, "o-b"), "ub");
    assert_eq!((a.status, a.body["code"].as_str()), (422, Some("invalid_token")), "{}", a.text);
    let reversal =
        json!({"refund_id": "r-1", "order_id": "o-b", "account_id": account, "kind": "reverse_earn", "points": 1});
    let a = c.b1.post(&c.s, "/v1/points/reversals", &reversal, "vb");
    assert_eq!((a.status, a.body["code"].as_str()), (404, Some("not_found")), "{}", a.text);

    // At acme's other store the same token earns.
    sell(&c, &c.a2, "o-a", &line_code(3), None);
    let a = c.a2.post(&c.s, "/v1/points/updates", &earn(1, "o-a"), "ua");
    assert_eq!((a.status, a.body["balance"].as_i64()), (200, Some(100)), "{}", a.text);
    assert_eq!(c.a1.get(&c.s, &path).body["balance"], 100);
}

fn a_customer_of_one_merchant_is_another_customer_at_another_merchant(backend: Backend) {
    let c = chain(backend);
    till_server::scope::set_reputation(&*c.s.repo, "acme", "cust-1", 90).unwrap();
    assert_eq!(c.a2.get(&c.s, "/v1/customers/cust-1").body["reputation"], 90);
    let bolt = c.b1.get(&c.s, "/v1/customers/cust-1");
    assert_eq!((bolt.status, &bolt.body["reputation"]), (200, &Value::Null), "{}", bolt.text);

    // The reputation decides refunds at the merchant only: acme's trusted customer is refunded
    // at once by policy; at bolt the same id has no reputation, so the seller decides.
    sell(&c, &c.a1, "o-a", &line_code(1), None);
    sell(&c, &c.b1, "o-b", &line_code(2), None);
    let a = c.a2.post(&c.s, "/v1/refunds", &refund_of_line("r-a", &line_code(1)), "ra");
    assert_eq!(
        (a.status, a.body["status"].as_str(), a.body["decided_by"].as_str()),
        (201, Some("refunded"), Some("policy"))
    );
    let b = c.b1.post(&c.s, "/v1/refunds", &refund_of_line("r-b", &line_code(2)), "rb");
    assert_eq!((b.status, b.body["status"].as_str()), (201, Some("pending_seller_confirmation")), "{}", b.text);

    // The default merchant's customer (the command's default) is a third one.
    till_server::admin::set_reputation(&*c.s.repo, "cust-1", 10).unwrap();
    assert_eq!(c.s.get("/v1/customers/cust-1").body["reputation"], 10);
    assert_eq!(c.a1.get(&c.s, "/v1/customers/cust-1").body["reputation"], 90);
}

fn a_terminal_moved_to_another_merchant_takes_no_history_along(backend: Backend) {
    let c = chain(backend);
    let code = line_code(1);
    sell(&c, &c.a1, "o-1", &code, Some(IMEI));
    // a1's till is moved to bolt's store: what it sold stays acme's.
    till_server::merchants::set_terminal_store(&*c.s.repo, &c.a1.id, "b1").unwrap();
    assert_eq!(c.a1.get(&c.s, &format!("/v1/line-codes/{code}")).status, 404);
    assert_eq!(c.a2.get(&c.s, &format!("/v1/line-codes/{code}")).status, 200);
    assert_eq!(c.a2.get(&c.s, &format!("/v1/sold-devices/{}", blind(IMEI))).status, 200);
}

fn till_server_cli(args: &[&str]) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_till-server")).args(args).output().unwrap()
}

#[test]
fn stores_are_added_and_listed_and_terminals_show_their_merchant() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("server.db");
    let db = db.to_str().unwrap();
    let out = till_server_cli(&["stores", "add", "--db", db, "a1", "--merchant", "acme", "--name", "Harbour Road"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let added: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!((added["store"].as_str(), added["merchant_id"].as_str()), (Some("a1"), Some("acme")));

    // A store keeps its merchant; ids are short lower-case words.
    let again = till_server_cli(&["stores", "add", "--db", db, "a1", "--merchant", "bolt", "--name", "x"]);
    assert!(!again.status.success());
    assert!(String::from_utf8_lossy(&again.stderr).contains("exists"), "{again:?}");
    for (store, merchant) in [("A1", "acme"), ("a1x", "Acme"), ("-a", "acme"), ("a_1", "acme")] {
        let bad = till_server_cli(&["stores", "add", "--db", db, store, "--merchant", merchant, "--name", "x"]);
        assert!(!bad.status.success(), "{store} {merchant} was accepted");
    }
    let list: Value = serde_json::from_slice(&till_server_cli(&["stores", "list", "--db", db]).stdout).unwrap();
    assert_eq!(list.as_array().map(Vec::len), Some(1));
    assert_eq!(list[0]["name"], "Harbour Road");

    let out = till_server_cli(&["terminals", "add", "--db", db, "--name", "c1", "--store", "a1"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let t: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!((t["store"].as_str(), t["merchant_id"].as_str()), (Some("a1"), Some("acme")));
    assert!(t["secret"].is_string());
    let id = t["terminal_id"].as_str().unwrap();
    let out = till_server_cli(&["terminals", "set-store", "--db", db, "--id", id, "--store", "corner"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let moved: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(moved, json!({"terminal_id": id, "store": "corner", "merchant_id": "default"}));

    // A customer's reputation is set at a merchant.
    let out = till_server_cli(&[
        "customers",
        "set-reputation",
        "--db",
        db,
        "--id",
        "cust-1",
        "--score",
        "5",
        "--merchant",
        "acme",
    ]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
}

on_both_backends!(
    a_line_sold_at_one_store_is_refunded_at_another_of_the_merchant_and_unknown_to_another_merchant,
    a_sold_device_is_found_by_its_merchants_stores_only_and_may_be_sold_again_by_another_merchant,
    a_points_account_enrolled_at_one_merchant_is_unknown_to_another,
    a_customer_of_one_merchant_is_another_customer_at_another_merchant,
    a_terminal_moved_to_another_merchant_takes_no_history_along,
);
