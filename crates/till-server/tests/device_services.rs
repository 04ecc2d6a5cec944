//! Device services on a real server: the device identifier key handed out wrapped, the
//! sold-data list and every device route answering by blind only (an identifier in clear is
//! refused), service orders and software updates kept under the blind and seen by another till.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use serde_json::{json, Value};
use support::*;
use till_core::{Clock, DeviceIdentifierKey};
use till_server::clock::SeededEntropy;

const IMEI: &str = "352099001761481";

struct OtherTill {
    id: String,
    secret: Vec<u8>,
}

impl OtherTill {
    fn register(s: &TestServer) -> OtherTill {
        let t = till_server::admin::add_terminal(&*s.repo, "counter 2", &*s.clock, &SeededEntropy::new(99)).unwrap();
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
}

fn service_order(no: &str, imei: &str, status: &str, at: i64) -> Value {
    let d = device_json(imei, None);
    json!({"service_no": no, "device_blind": d["blind"], "identifier_sealed": d["sealed"], "store": "Shop 1",
           "fault": "screen cracked", "status": status, "opened_at": NOW - 100, "changed_at": at, "changed_by": "Li Wei"})
}

#[test]
fn the_key_is_handed_out_wrapped_for_the_asking_terminal_only() {
    let s = TestServer::start();
    let a = s.get("/v1/device-services/key");
    assert_eq!(a.status, 200, "{}", a.text);
    let wrapped = a.body["wrapped"].as_str().unwrap();
    let key_id = a.body["key_id"].as_str().unwrap();
    let key = DeviceIdentifierKey::unwrap_from(wrapped, key_id, &s.terminal_id, &s.secret).unwrap();
    assert!(!a.text.contains(&hex::encode(key.to_bytes())), "the key is never in the answer in clear");
    // It is the key the server blinds with: a device sold under its blind is found by it.
    assert_eq!(key.blind(IMEI), blind(IMEI));
    // Another terminal's secret does not open it; its own answer does.
    let other = OtherTill::register(&s);
    assert!(DeviceIdentifierKey::unwrap_from(wrapped, key_id, &other.id, &other.secret).is_err());
    let b = other.send(&s, "GET", "/v1/device-services/key", b"", None);
    let theirs =
        DeviceIdentifierKey::unwrap_from(b.body["wrapped"].as_str().unwrap(), key_id, &other.id, &other.secret);
    assert_eq!(theirs.unwrap().id(), key.id());
    // Unsigned, nothing.
    assert_eq!(s.raw("GET", "/v1/device-services/key", b"", None, &[]).status, 401);
}

#[test]
fn an_identifier_in_clear_is_refused_everywhere() {
    let s = TestServer::start();
    let code = line_code(1);
    // A sale naming the device in clear (the old wire) is refused and changes nothing.
    let mut old = sale("o-1", &code, None);
    old["lines"][0]["devices"] = json!([{"kind": "imei", "identifier": IMEI}]);
    let a = s.post("/v1/sales", &old, "k-old");
    assert_eq!((a.status, a.body["code"].as_str()), (400, Some("invalid_request")), "{}", a.text);
    // A blind with another device's sealed identifier is refused.
    let mut lying = sale("o-1", &code, Some(IMEI));
    lying["lines"][0]["devices"][0]["sealed"] = device_json("490154203237518", None)["sealed"].clone();
    let a = s.post("/v1/sales", &lying, "k-lie");
    assert_eq!((a.status, a.body["code"].as_str()), (400, Some("invalid_request")), "{}", a.text);
    assert_eq!(s.get(&format!("/v1/line-codes/{code}")).status, 404);
    assert_eq!(s.post("/v1/sales", &sale("o-1", &code, Some(IMEI)), "k").status, 201);
    for path in [format!("/v1/sold-devices/{IMEI}"), format!("/v1/device-services/devices/{IMEI}")] {
        let a = s.get(&path);
        assert_eq!((a.status, a.body["code"].as_str()), (400, Some("invalid_request")), "{path}: {}", a.text);
    }
    let refund = json!({"refund_id": "r-1", "device_identifier": IMEI, "amount": {"minor": 100, "currency": "CNY"},
                        "tender": "original", "reason": "broken"});
    let a = s.post("/v1/refunds", &refund, "r1");
    assert_eq!((a.status, a.body["code"].as_str()), (400, Some("invalid_request")), "{}", a.text);
    // By blind it is found, and the answer carries no identifier.
    let d = s.get(&format!("/v1/device-services/devices/{}", blind(IMEI)));
    assert_eq!(d.status, 200, "{}", d.text);
    assert_eq!((d.body["sold"]["order_id"].as_str(), d.body["sold"]["software"].as_str()), (Some("o-1"), Some("v1.2")));
    assert!(!d.text.contains(IMEI));
}

#[test]
fn a_service_order_moves_forward_only_and_another_till_sees_it() {
    let s = TestServer::start();
    assert_eq!(s.post("/v1/sales", &sale("o-1", &line_code(1), Some(IMEI)), "sale").status, 201);
    let path = "/v1/device-services/service-orders";
    let opened = service_order("SO000001", IMEI, "received", NOW - 100);
    let a = s.post(path, &opened, "e1");
    assert_eq!((a.status, a.body["status"].as_str()), (201, Some("received")), "{}", a.text);
    // The same event again (the same bytes, as the outbox resends them) is a replay; the same
    // status in another event changes nothing.
    assert!(s.post(path, &opened, "e1").replayed);
    assert_eq!(s.post(path, &service_order("SO000001", IMEI, "received", NOW - 90), "e1b").status, 201);
    assert_eq!(s.post(path, &service_order("SO000001", IMEI, "in_repair", NOW - 50), "e2").status, 201);
    // Back to received: refused.
    let a = s.post(path, &service_order("SO000001", IMEI, "received", NOW - 40), "e3");
    assert_eq!((a.status, a.body["code"].as_str()), (409, Some("service_order_conflict")), "{}", a.text);
    // Another device under the same number: refused.
    let a = s.post(path, &service_order("SO000001", "490154203237518", "ready", NOW - 40), "e4");
    assert_eq!((a.status, a.body["code"].as_str()), (409, Some("service_order_conflict")));
    // A bad status or number is refused.
    let a = s.post(path, &service_order("SO000001", IMEI, "lost", NOW), "e5");
    assert_eq!(a.status, 400);
    let a = s.post(path, &service_order("X1", IMEI, "received", NOW), "e6");
    assert_eq!(a.status, 400);
    // Through a batch, like a till's outbox.
    let batch = json!({"events": [
        {"idempotency_key": "e7", "kind": "service_order", "body": service_order("SO000001", IMEI, "ready", NOW - 20)},
        {"idempotency_key": "e8", "kind": "software_update", "body": {
            "update_id": "u-1", "device_blind": blind(IMEI), "identifier_sealed": device_json(IMEI, None)["sealed"],
            "store": "Shop 1", "version": "v2.0.1", "installed_by": "Li Wei", "installed_at": NOW - 10}}]});
    let b = s.post("/v1/sync/batch", &batch, "batch-1");
    assert_eq!(b.status, 200, "{}", b.text);
    assert!(b.body["results"].as_array().unwrap().iter().all(|r| r["status"] == 201), "{}", b.text);

    // Another till of the shop finds it all under the blind.
    let other = OtherTill::register(&s);
    let d = other.send(&s, "GET", &format!("/v1/device-services/devices/{}", blind(IMEI)), b"", None);
    assert_eq!(d.status, 200, "{}", d.text);
    let so = &d.body["service_orders"][0];
    assert_eq!((so["service_no"].as_str(), so["status"].as_str()), (Some("SO000001"), Some("ready")));
    let steps: Vec<&str> = so["history"].as_array().unwrap().iter().map(|h| h["status"].as_str().unwrap()).collect();
    assert_eq!(steps, ["received", "in_repair", "ready"]);
    assert_eq!(so["terminal_id"], s.terminal_id.as_str());
    assert_eq!(d.body["software_updates"][0]["version"], "v2.0.1");
    assert!(!d.text.contains(IMEI));
    // A device nobody knows: not found.
    let n = s.get(&format!("/v1/device-services/devices/{}", blind("490154203237518")));
    assert_eq!(n.status, 404);
}
