//! The IPC surface, through Tauri's mock runtime with the app's real config and capabilities:
//! every call goes through the command adapters, argument decoding, the ACL and the
//! `{code, message}` error shape, exactly as the window's `invoke` does.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a test fails by panicking

#[path = "support/ipc.rs"]
mod ipc;

use ipc::{build, harness, harness_with_reader, Harness};
use serde_json::{json, Value};
use std::sync::Arc;

#[test]
fn login_and_its_errors() {
    let h = harness();
    let users = h.ok("login_users", json!({}));
    assert_eq!(users.as_array().unwrap().len(), 4);
    let cashier = users.as_array().unwrap().iter().find(|u| u["role"] == "cashier").unwrap()["id"].clone();
    assert_eq!(h.err_code("login", json!({ "userId": cashier, "pin": "0000" })), "wrong_pin");
    assert_eq!(h.err_code("login", json!({ "userId": 999, "pin": "1111" })), "not_found");
    let s = h.ok("login", json!({ "userId": cashier, "pin": "1111" }));
    assert_eq!(s["user"]["role"], "cashier");
    assert!(s["token"].as_str().unwrap().len() >= 32);
    h.ok("logout", json!({ "token": s["token"] }));
    assert_eq!(h.err_code("cart_get", json!({ "token": s["token"] })), "unauthenticated");
}

#[test]
fn roles_are_checked_on_every_command() {
    let h = harness();
    let installer = h.login("Wang Fang");
    let cashier = h.login("Chen Jing");
    for (cmd, args) in [
        ("cart_get", json!({ "token": installer })),
        ("cart_scan", json!({ "token": installer, "code": "6901234567892" })),
        ("catalogue_search", json!({ "token": installer, "query": "tea", "limit": 5 })),
        (
            "checkout_cash",
            json!({ "token": installer, "cartId": "00000000000000000000000000000000", "tenderedMinor": 1 }),
        ),
        ("users_list", json!({ "token": installer })),
        ("users_list", json!({ "token": cashier })),
        ("user_create", json!({ "token": cashier, "name": "X", "role": "manager", "pin": "1234" })),
        ("audit_verify", json!({ "token": cashier })),
    ] {
        assert_eq!(h.err_code(cmd, args), "forbidden", "{cmd}");
    }
}

#[test]
fn cart_and_cash_checkout() {
    let h = harness();
    let t = h.login("Chen Jing");
    let hits = h.ok("catalogue_search", json!({ "token": t, "query": "绿茶", "limit": 10 }));
    assert_eq!(hits[0]["sku"], "TEA-01");
    h.ok("cart_scan", json!({ "token": t, "code": "6901234567892" }));
    let cart = h.ok("cart_add", json!({ "token": t, "productId": hits[0]["id"], "quantity": 2 }));
    assert_eq!(cart["lines"][0]["quantity"], 3);
    assert_eq!(cart["total"]["minor"], 3 * 3800);
    assert_eq!(cart["total"]["currency"], "CNY");
    assert_eq!(h.err_code("cart_scan", json!({ "token": t, "code": "6901234567893" })), "invalid_barcode");
    assert_eq!(h.err_code("cart_scan", json!({ "token": t, "code": "0000000000000" })), "unknown_barcode");
    assert_eq!(h.err_code("cart_set_quantity", json!({ "token": t, "lineNo": 1, "quantity": 0 })), "invalid_quantity");
    assert_eq!(h.err_code("cart_set_quantity", json!({ "token": t, "lineNo": 1, "quantity": -3 })), "invalid_quantity");
    assert_eq!(
        h.err_code("cart_set_quantity", json!({ "token": t, "lineNo": 1, "quantity": 1_000_000 })),
        "invalid_quantity"
    );
    // a malformed argument is a typed error too, not a panic
    assert!(h.call("cart_set_quantity", json!({ "token": t, "lineNo": "one", "quantity": 1 })).is_err());
    let id = cart["cartId"].clone();
    assert_eq!(
        h.err_code("checkout_cash", json!({ "token": t, "cartId": id, "tenderedMinor": 100 })),
        "insufficient_tender"
    );
    let r = h.ok("checkout_cash", json!({ "token": t, "cartId": id, "tenderedMinor": 20_000 }));
    assert_eq!(r["payment"]["change"]["minor"], 20_000 - 3 * 3800);
    assert_eq!(r["lines"][0]["lineCode"].as_str().unwrap().len(), 16);
    // the same cart again (a double click) is refused and writes nothing
    assert_eq!(
        h.err_code("checkout_cash", json!({ "token": t, "cartId": id, "tenderedMinor": 20_000 })),
        "already_checked_out"
    );
    let order_id = till_core::OrderId::new(r["orderId"].as_i64().unwrap()).unwrap();
    let token = till_core::SessionToken::parse(&t).unwrap();
    assert_eq!(json!(h.pos().receipt(&token, order_id).unwrap().order_no), r["orderNo"]);
    assert_eq!(h.ok("cart_get", json!({ "token": t }))["lines"].as_array().unwrap().len(), 0);
}

/// Waits for the reader's answer to reach the payment's channel.
fn wait_read(h: &Harness, channel: u32) -> Value {
    let start = std::time::Instant::now();
    loop {
        if let Some(v) = h.pushed(channel).into_iter().find(|v| v["status"] != "waiting") {
            return v;
        }
        assert!(start.elapsed() < std::time::Duration::from_secs(10), "the reader's answer was never pushed");
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
}

/// Starts a card payment with a channel for its progress.
fn start_payment(h: &Harness, t: &str, cart: &Value) -> (Value, u32) {
    let (channel, id) = h.channel();
    (h.ok("payment_start", json!({ "token": t, "cartId": cart["cartId"], "onProgress": channel })), id)
}

const SIGNATURE: &str =
    r#"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 600 200"><path d="M 10 10 L 50 60 L 90 20"/></svg>"#;

#[test]
fn card_payment_step_by_step_through_the_simulated_reader() {
    let h = harness_with_reader("sim://card-reader?delay_ms=1&track2=%3B4111111111111111%3D28122200000000000%3F");
    let t = h.login("Chen Jing");
    let cart = h.ok("cart_scan", json!({ "token": t, "code": "SVC-002" }));
    let (v, channel) = start_payment(&h, &t, &cart);
    assert_eq!(v["amount"], cart["total"]);
    assert!(v["secondsLeft"].as_u64().unwrap() > 0 && v["deadlineMs"].as_i64().is_some(), "{v}");
    let id = v["paymentId"].clone();
    let v = wait_read(&h, channel);
    assert_eq!(v["status"], "pin", "{v}");
    assert_eq!(v["card"]["maskedPan"], "411111******1111");
    assert_eq!(v["card"]["pinRequired"], true);
    assert!(!v.to_string().contains("4111111111111111"));
    assert_eq!(h.err_code("payment_pin", json!({ "token": t, "paymentId": id, "pin": "12" })), "invalid_input");
    let v = h.ok("payment_pin", json!({ "token": t, "paymentId": id, "pin": "1234" }));
    assert_eq!(v["card"]["pinEntered"], true);
    assert!(!v.to_string().contains("1234\""));
    assert_eq!(
        h.err_code("payment_sign", json!({ "token": t, "paymentId": id, "svg": "<svg><script/></svg>" })),
        "invalid_signature"
    );
    h.ok("payment_sign", json!({ "token": t, "paymentId": id, "svg": SIGNATURE }));
    let r = h.ok("payment_authorize", json!({ "token": t, "paymentId": id }));
    // the window's channel was told each step, in order; never the card number
    let steps: Vec<Value> = h.pushed(channel).iter().map(|v| v["status"].clone()).collect();
    assert_eq!(steps, ["waiting", "pin", "signature", "ready", "authorising", "approved"], "{steps:?}");
    assert_eq!(h.pushed(channel).last().unwrap()["orderId"], r["orderId"]);
    assert!(!json!(h.pushed(channel)).to_string().contains("4111111111111111"));
    assert_eq!(r["payment"]["tender"], "card");
    assert_eq!(r["payment"]["cardMasked"], "411111******1111");
    assert!(r["payment"]["authCode"].as_str().unwrap().starts_with("SIM"));
    assert_eq!(h.err_code("payment_authorize", json!({ "token": t, "paymentId": id })), "not_found");
}

#[test]
fn card_failures_are_typed_and_keep_the_cart() {
    let h = harness_with_reader("sim://card-reader?delay_ms=1&fail=bad-read");
    let t = h.login("Chen Jing");
    let cart = h.ok("cart_scan", json!({ "token": t, "code": "SVC-002" }));
    let (_, channel) = start_payment(&h, &t, &cart);
    let v = wait_read(&h, channel);
    assert_eq!(v["status"], "failed");
    assert_eq!(v["error"]["code"], "card_bad_read");
    assert_eq!(h.ok("cart_get", json!({ "token": t }))["cartId"], cart["cartId"]);

    let h = harness_with_reader("sim://card-reader?delay_ms=5000");
    let t = h.login("Chen Jing");
    let cart = h.ok("cart_scan", json!({ "token": t, "code": "SVC-002" }));
    let (v, channel) = start_payment(&h, &t, &cart);
    let c = h.ok("payment_cancel", json!({ "token": t, "paymentId": v["paymentId"] }));
    assert_eq!(c["error"]["code"], "payment_cancelled");
    assert_eq!(h.pushed(channel).last().unwrap()["error"]["code"], "payment_cancelled");
    // a keyboard-wedge swipe that is not one is a typed error, and its text is not echoed
    let e = h
        .call(
            "payment_swipe_text",
            json!({ "token": t, "cartId": cart["cartId"], "text": ";4111111111111111=2899?", "onProgress": h.channel().0 }),
        )
        .unwrap_err();
    assert_eq!(e["code"], "card_bad_read");
    assert!(!e.to_string().contains("4111111111111111"));
    let v = h.ok(
        "payment_swipe_text",
        json!({ "token": t, "cartId": cart["cartId"], "text": ";4111111111111111=28121010000000000?", "onProgress": h.channel().0 }),
    );
    assert_eq!(v["status"], "signature");
    let r = h.ok("payment_authorize", json!({ "token": t, "paymentId": v["paymentId"] }));
    assert_eq!(r["payment"]["cardMasked"], "411111******1111");
    let installer = h.login("Wang Fang");
    for (cmd, args) in [
        (
            "payment_start",
            json!({ "token": installer, "cartId": "00000000000000000000000000000000", "onProgress": h.channel().0 }),
        ),
        ("payment_cancel", json!({ "token": installer, "paymentId": "x" })),
        ("payment_authorize", json!({ "token": installer, "paymentId": "x" })),
        ("platform_key_set", json!({ "token": t, "keyHex": "00".repeat(32) })),
    ] {
        assert_eq!(h.err_code(cmd, args), "forbidden", "{cmd}");
    }
}

#[test]
fn the_installer_sets_the_platform_key_and_sees_only_its_fingerprint() {
    let h = harness();
    let i = h.login("Wang Fang");
    let key = "8f".repeat(32);
    assert_eq!(h.ok("platform_key_status", json!({ "token": i }))["set"], true, "demo key");
    let s = h.ok("platform_key_set", json!({ "token": i, "keyHex": key }));
    assert_eq!(s["set"], true);
    assert!(!s.to_string().to_lowercase().contains("8f8f"), "{s}");
    assert_eq!(h.ok("platform_key_status", json!({ "token": i }))["fingerprint"], s["fingerprint"]);
    assert_eq!(h.err_code("platform_key_set", json!({ "token": i, "keyHex": "xyz" })), "invalid_input");
}

#[test]
fn installers_set_the_payment_limits_and_managers_see_forwarded_declines() {
    let h = harness();
    let i = h.login("Wang Fang");
    // The installer screen sets the offline points limit through these; cashiers may not.
    let s = h.ok("payment_settings_get", json!({ "token": i }));
    assert_eq!((s["authorizationTimeoutS"].as_i64(), s["offlineMaxAgeHours"].as_i64()), (Some(15), Some(24)));
    let mut new = s.clone();
    new["offlineMaxPending"] = json!(3);
    assert_eq!(h.ok("payment_settings_set", json!({ "token": i, "settings": new }))["offlineMaxPending"], 3);
    let c = h.login("Chen Jing");
    assert_eq!(h.err_code("payment_settings_set", json!({ "token": c, "settings": new })), "forbidden");
    assert_eq!(h.err_code("forwarded_declines_list", json!({ "token": c })), "forbidden");
    let m = h.login("Li Wei");
    assert_eq!(h.ok("forwarded_declines_list", json!({ "token": m })), json!([]));
}

#[test]
fn managers_manage_users() {
    let h = harness();
    let m = h.login("Li Wei");
    let u = h.ok("user_create", json!({ "token": m, "name": "Zhao Min", "role": "cashier", "pin": "4321" }));
    assert_eq!(u["active"], true);
    assert_eq!(
        h.err_code("user_create", json!({ "token": m, "name": "Y", "role": "admin", "pin": "4321" })),
        "invalid_input"
    );
    let u = h.ok("user_set_active", json!({ "token": m, "userId": u["id"], "active": false }));
    assert_eq!(u["active"], false);
    assert_eq!(h.ok("users_list", json!({ "token": m })).as_array().unwrap().len(), 5);
    assert_eq!(h.ok("audit_verify", json!({ "token": m }))["ok"], true);
}

#[test]
fn only_an_owner_manages_installers_managers_and_owners() {
    let h = harness();
    let m = h.login("Li Wei");
    let users = h.ok("login_users", json!({}));
    let id = |role: &str| users.as_array().unwrap().iter().find(|u| u["role"] == role).unwrap()["id"].clone();
    // a manager cannot make themselves an installer: no new installer, no installer's PIN
    for role in ["installer", "manager", "owner"] {
        let args = json!({ "token": m, "name": "Sneaky", "role": role, "pin": "4321" });
        assert_eq!(h.err_code("user_create", args), "forbidden", "{role}");
    }
    assert_eq!(
        h.err_code("user_set_pin", json!({ "token": m, "userId": id("installer"), "pin": "9999" })),
        "forbidden"
    );
    assert_eq!(
        h.err_code("user_set_active", json!({ "token": m, "userId": id("owner"), "active": false })),
        "forbidden"
    );
    assert_eq!(h.err_code("login", json!({ "userId": id("installer"), "pin": "9999" })), "wrong_pin");
    let session = h.ok("login", json!({ "userId": id("manager"), "pin": "2222" }));
    assert_eq!(session["manages"], json!(["cashier"]));

    let o = h.login("Zhou Xin");
    let i = h.ok("user_create", json!({ "token": o, "name": "Ivy", "role": "installer", "pin": "4321" }));
    assert_eq!(i["role"], "installer");
    h.ok("user_set_pin", json!({ "token": o, "userId": id("installer"), "pin": "9999" }));
    assert_eq!(h.ok("login", json!({ "userId": id("installer"), "pin": "9999" }))["user"]["role"], "installer");
    let session = h.ok("login", json!({ "userId": id("owner"), "pin": "4444" }));
    assert_eq!(session["manages"], json!(["cashier", "manager", "installer", "owner"]));
}

#[test]
fn commands_no_screen_calls_are_refused_to_the_window() {
    let h = harness();
    let (c, i) = (h.login("Chen Jing"), h.login("Wang Fang"));
    h.refused_to_the_window("customer_clear", json!({ "token": c }));
    h.refused_to_the_window("receipt_get", json!({ "token": c, "orderId": 1 }));
    h.refused_to_the_window("sync_settings_clear", json!({ "token": i }));
    // and Tauri's own commands, none of which the window is granted
    h.refused_to_the_window("plugin:app|version", json!({}));
    h.refused_to_the_window("plugin:window|close", json!({}));
}

#[test]
fn a_database_from_a_newer_till_is_refused_with_a_clear_error_on_every_command() {
    let dir = tempfile::tempdir().unwrap();
    drop(till_store::Store::open(&dir.path().join("till.db")).unwrap());
    let c = rusqlite::Connection::open(dir.path().join("till.db")).unwrap();
    c.pragma_update(None, "user_version", 99).unwrap();
    drop(c);
    let opened = till_app::open_pos(dir.path(), false);
    let h = build(dir, opened.into());
    for cmd in ["app_info", "login_users"] {
        let e = h.call(cmd, json!({})).unwrap_err();
        assert_eq!(e["code"], "startup_failed", "{e}");
        assert!(e["message"].as_str().unwrap().contains("newer"), "{e}");
    }
}

fn harness_with_terminal(terminal: &str) -> Harness {
    let dir = tempfile::tempdir().unwrap();
    let mut config = till_pos::PosConfig::demo(dir.path().join("till.db"));
    config.card_reader = "sim://card-reader?delay_ms=1".into();
    config.points_terminal = Some(terminal.into());
    let pos = Arc::new(till_pos::Pos::open(config).unwrap());
    build(dir, till_app::TillState(Ok(pos)))
}

#[test]
fn installers_set_up_and_test_devices_and_nobody_else_may() {
    let h = harness_with_terminal("sim://points-terminal?auto_present_ms=10");
    let cashier = h.login("Chen Jing");
    let manager = h.login("Li Wei");
    for t in [&cashier, &manager] {
        for (cmd, args) in [
            ("devices_watch", json!({ "token": t, "onChange": h.channel().0 })),
            ("device_test", json!({ "token": t, "role": "card-reader" })),
            ("device_pair", json!({ "token": t })),
            ("device_remove", json!({ "token": t, "role": "card-reader" })),
            (
                "device_assign",
                json!({ "token": t, "assignment": { "uri": "sim://card-reader", "role": "card-reader", "driver": "sim" } }),
            ),
        ] {
            assert_eq!(h.err_code(cmd, args), "forbidden", "{cmd}");
        }
    }
    let (channel, lights) = h.channel();
    let watch = h.ok("device_status_watch", json!({ "token": cashier, "onChange": channel }));
    let status = h.pushed(lights).last().unwrap().clone();
    assert_eq!(status["cardReader"]["state"], "connected");
    h.ok("device_status_unwatch", json!({ "id": watch }));
    assert_eq!(status["pointsTerminal"]["state"], "connected");

    let i = h.login("Wang Fang");
    let (table, devices) = h.channel();
    h.ok("devices_watch", json!({ "token": i, "onChange": table }));
    let list = h.pushed(devices).last().unwrap().clone();
    let uris: Vec<&str> = list["discovered"].as_array().unwrap().iter().map(|d| d["uri"].as_str().unwrap()).collect();
    assert!(uris.contains(&"sim://card-reader") && uris.contains(&"sim://points-terminal"), "{uris:?}");
    let r = h.ok("device_test", json!({ "token": i, "role": "card-reader" }));
    assert_eq!((r["ok"].as_bool(), r["maskedPan"].as_str()), (Some(true), Some("411111******1111")), "{r}");
    assert!(h.call("device_test", json!({ "token": i, "role": "printer" })).is_err());
    let o = h.ok(
        "device_assign",
        json!({ "token": i, "assignment": { "uri": "sim://card-reader", "role": "card-reader", "driver": "sim", "swipeTimeoutS": 20 } }),
    );
    assert_eq!(o["configured"][0]["swipeTimeoutS"], 20);
    assert_eq!(
        h.err_code(
            "device_assign",
            json!({ "token": i, "assignment": { "uri": "sim://card-reader", "role": "card-reader", "driver": "zvt" } })
        ),
        "invalid_input"
    );
    let paired = h.ok("device_pair", json!({ "token": i }));
    assert_eq!(paired["terminalId"], "TILL-SIM-0001");
    // the installer's table was told of the pairing
    let list = h.pushed(devices).last().unwrap().clone();
    let terminal = list["configured"].as_array().unwrap().iter().find(|c| c["role"] == "points-terminal").unwrap();
    assert_eq!(terminal["paired"], true);
    assert!(terminal.get("pairingKeySealed").is_none(), "{terminal}");
}

#[test]
fn a_cashier_identifies_a_customer_and_faults_keep_the_cart() {
    let h = harness_with_terminal("sim://points-terminal?auto_present_ms=10");
    let t = h.login("Chen Jing");
    let cart = h.ok("cart_scan", json!({ "token": t, "code": "6901234567892" }));
    assert_eq!(h.ok("customer_get", json!({ "token": t })), Value::Null);
    let c = h.ok("customer_identify", json!({ "token": t }));
    assert_eq!(c["cartId"], cart["cartId"]);
    assert_eq!(c["accountShort"].as_str().unwrap().len(), 8);
    assert_eq!(h.ok("customer_get", json!({ "token": t }))["accountShort"], c["accountShort"]);
    h.pos().customer_clear(&till_core::SessionToken::parse(&t).unwrap()).unwrap();
    assert_eq!(h.ok("customer_get", json!({ "token": t })), Value::Null);

    let h = harness_with_terminal("serial:///dev/no-such-points-terminal");
    let t = h.login("Chen Jing");
    h.ok("cart_scan", json!({ "token": t, "code": "6901234567892" }));
    assert_eq!(h.err_code("customer_identify", json!({ "token": t })), "points_not_responding");
    assert_eq!(h.ok("cart_get", json!({ "token": t }))["lines"].as_array().unwrap().len(), 1);
    let i = h.login("Wang Fang");
    assert_eq!(h.err_code("customer_identify", json!({ "token": i })), "forbidden");
}

#[test]
fn sync_status_for_all_parked_events_for_managers_server_settings_for_installers() {
    let h = harness();
    let secret = "ab".repeat(32);
    let (c, m, i) = (h.login("Chen Jing"), h.login("Li Wei"), h.login("Wang Fang"));
    let (channel, line) = h.channel();
    h.ok("sync_status_watch", json!({ "token": c, "onChange": channel }));
    let s = h.pushed(line).last().unwrap().clone();
    assert_eq!(
        (s["configured"].clone(), s["pending"].clone(), s["parked"].clone()),
        (json!(false), json!(0), json!(0))
    );
    assert_eq!(h.ok("sync_parked_list", json!({ "token": m })), json!([]));
    assert_eq!(h.err_code("sync_parked_list", json!({ "token": c })), "forbidden");
    assert_eq!(h.err_code("sync_parked_retry", json!({ "token": m, "eventId": "nope" })), "not_found");
    assert_eq!(
        h.err_code("sync_parked_discard", json!({ "token": m, "eventId": "nope", "managerPin": "0000" })),
        "wrong_pin"
    );
    assert_eq!(h.err_code("sync_settings_get", json!({ "token": m })), "forbidden");
    assert_eq!(h.err_code("sync_test_connection", json!({ "token": i })), "sync_not_configured");
    let settings = json!({ "salesUrl": "http://127.0.0.1:9", "terminalId": "t-1", "secret": secret });
    assert_eq!(h.err_code("sync_settings_set", json!({ "token": c, "settings": settings })), "forbidden");
    let v = h.ok("sync_settings_set", json!({ "token": i, "settings": settings }));
    assert_eq!((v["configured"].clone(), v["secretSet"].clone()), (json!(true), json!(true)));
    assert_eq!(v["urls"]["payments"], "http://127.0.0.1:9");
    assert!(!v.to_string().contains(&secret), "{v}");
    let bad = json!({ "salesUrl": "not a url", "terminalId": "t-1", "secret": "" });
    assert_eq!(h.err_code("sync_settings_set", json!({ "token": i, "settings": bad })), "invalid_input");
    let t = h.ok("sync_test_connection", json!({ "token": i }));
    assert_eq!(t["ok"], false);
    assert_eq!(t["checks"][0]["outcome"], "connection_refused");
    let token = till_core::SessionToken::parse(&i).unwrap();
    assert!(!h.pos().sync_settings_clear(&token).unwrap().configured);
}

/// Sells one cash sale of `code` as the cashier and returns the receipt.
fn cash_sale(h: &Harness, t: &str, code: &str) -> Value {
    let cart = h.ok("cart_scan", json!({ "token": t, "code": code }));
    h.ok("checkout_cash", json!({ "token": t, "cartId": cart["cartId"], "tenderedMinor": 100_000 }))
}

fn orders_query() -> Value {
    json!({ "kind": "orders", "fromMs": null, "toMs": null, "cashierId": null, "tender": null, "status": null,
            "minAmountMinor": null, "maxAmountMinor": null, "cardLast4": null, "customer": null, "product": null,
            "lineCode": null, "deviceId": null, "orderNo": null, "sort": "newest" })
}

#[test]
fn the_back_office_is_for_managers_only() {
    let h = harness();
    let cashier = h.login("Chen Jing");
    let installer = h.login("Wang Fang");
    for t in [&cashier, &installer] {
        for (cmd, args) in [
            ("history_search", json!({ "token": t, "query": orders_query(), "cursor": null, "limit": 50 })),
            ("history_count", json!({ "token": t, "query": orders_query() })),
            ("order_detail", json!({ "token": t, "orderId": 1 })),
            ("receipt_reprint", json!({ "token": t, "orderId": 1 })),
            ("report_x", json!({ "token": t })),
            ("report_z", json!({ "token": t, "businessDate": "2026-12-04", "cashCountedMinor": 0 })),
            ("report_pdf", json!({ "token": t, "closeId": null })),
            ("export_start", json!({ "token": t, "fromMs": 0, "toMs": 1, "kinds": ["orders"] })),
            ("catalogue_list", json!({ "token": t, "query": "", "includeInactive": true, "offset": 0, "limit": 10 })),
            ("catalogue_import_preview", json!({ "token": t, "fileBase64": "" })),
            ("audit_list", json!({ "token": t, "beforeId": null, "limit": 10 })),
        ] {
            assert_eq!(h.err_code(cmd, args), "forbidden", "{cmd}");
        }
    }
}

#[test]
fn a_manager_finds_a_sale_reprints_it_closes_the_day_and_exports() {
    let h = harness();
    let cashier = h.login("Chen Jing");
    let first = cash_sale(&h, &cashier, "6901234567892");
    let second = cash_sale(&h, &cashier, "SNK-001");
    let m = h.login("Li Wei");

    let page = h.ok("history_search", json!({ "token": m, "query": orders_query(), "cursor": null, "limit": 50 }));
    let ids: Vec<i64> = page["rows"].as_array().unwrap().iter().map(|r| r["orderId"].as_i64().unwrap()).collect();
    assert_eq!(ids, vec![second["orderId"].as_i64().unwrap(), first["orderId"].as_i64().unwrap()]);
    let count = h.ok("history_count", json!({ "token": m, "query": orders_query() }));
    assert_eq!((count["count"].as_i64(), count["capped"].as_bool()), (Some(2), Some(false)));
    let mut by_code = orders_query();
    by_code["lineCode"] = first["lines"][0]["lineCode"].clone();
    let page = h.ok("history_search", json!({ "token": m, "query": by_code, "cursor": null, "limit": 50 }));
    assert_eq!(page["rows"].as_array().unwrap().len(), 1);
    assert_eq!(page["rows"][0]["orderId"], first["orderId"]);
    let mut bad = orders_query();
    bad["cardLast4"] = json!("12x4");
    assert_eq!(
        h.err_code("history_search", json!({ "token": m, "query": bad, "cursor": null, "limit": 50 })),
        "invalid_input"
    );

    let detail = h.ok("order_detail", json!({ "token": m, "orderId": first["orderId"] }));
    assert_eq!(detail["receipt"]["orderNo"], first["orderNo"]);
    let again = h.ok("receipt_reprint", json!({ "token": m, "orderId": first["orderId"] }));
    assert_eq!(again["total"], first["total"]);
    let audit = h.ok("audit_list", json!({ "token": m, "beforeId": null, "limit": 5 }));
    assert_eq!(audit["entries"][0]["action"], "receipt.reprinted");
    assert_eq!(audit["chainOk"], true);

    let x = h.ok("report_x", json!({ "token": m }));
    let sales = first["total"]["minor"].as_i64().unwrap() + second["total"]["minor"].as_i64().unwrap();
    assert_eq!((x["orders"].as_i64(), x["sales"]["minor"].as_i64()), (Some(2), Some(sales)));
    assert_eq!(x["cashExpected"]["minor"].as_i64(), Some(sales));
    assert_eq!(
        h.err_code("report_z", json!({ "token": m, "businessDate": "2026-13-40", "cashCountedMinor": sales })),
        "invalid_input"
    );
    let z = h.ok("report_z", json!({ "token": m, "businessDate": "2026-12-04", "cashCountedMinor": sales - 100 }));
    assert_eq!((z["kind"].as_str(), z["cashDifference"]["minor"].as_i64()), (Some("z"), Some(-100)));
    assert_eq!(
        h.err_code("report_z", json!({ "token": m, "businessDate": "2026-12-04", "cashCountedMinor": 0 })),
        "conflict"
    );
    let closed = h.ok("report_closed_list", json!({ "token": m }));
    assert_eq!(closed.as_array().unwrap().len(), 1);
    let pdf = h.ok("report_pdf", json!({ "token": m, "closeId": closed[0]["closeId"] }));
    assert!(std::fs::read(pdf["path"].as_str().unwrap()).unwrap().starts_with(b"%PDF-1."));

    let status = h.ok(
        "export_start",
        json!({ "token": m, "fromMs": 0, "toMs": i64::MAX / 2, "kinds": ["orders", "lines", "payments"] }),
    );
    let job = status["jobId"].clone();
    let start = std::time::Instant::now();
    let done = loop {
        let s = h.ok("export_status", json!({ "token": m, "jobId": job }));
        if s["done"] == true {
            break s;
        }
        assert!(start.elapsed() < std::time::Duration::from_secs(20), "export never finished: {s}");
        std::thread::sleep(std::time::Duration::from_millis(20));
    };
    assert!(done["error"].is_null(), "{done}");
    let files = done["files"].as_array().unwrap();
    assert_eq!(files.len(), 3);
    let orders_csv = files.iter().map(|f| f.as_str().unwrap()).find(|f| f.contains("orders")).unwrap();
    // a header and one line per order
    assert_eq!(std::fs::read_to_string(orders_csv).unwrap().lines().count(), 3);
    assert_eq!(
        h.err_code("export_start", json!({ "token": m, "fromMs": 10, "toMs": 5, "kinds": ["orders"] })),
        "invalid_input"
    );
}

#[test]
fn a_manager_edits_the_catalogue_and_imports_only_a_clean_file() {
    use base64::Engine;
    let b64 = |s: &str| base64::engine::general_purpose::STANDARD.encode(s.as_bytes());
    let h = harness();
    let cashier = h.login("Chen Jing");
    let sold = cash_sale(&h, &cashier, "SNK-001");
    let m = h.login("Li Wei");

    // A price change never alters a past order.
    let found = h.ok(
        "catalogue_list",
        json!({ "token": m, "query": "SNK-001", "includeInactive": true, "offset": 0, "limit": 10 }),
    );
    let p = &found[0];
    let input = json!({ "sku": p["sku"], "barcode": p["barcode"], "name": p["name"], "nameZh": p["nameZh"],
        "priceMinor": p["price"]["minor"].as_i64().unwrap() + 500, "taxRateBp": p["taxRateBp"],
        "taxInclusive": p["taxInclusive"], "serialised": p["serialised"] });
    let updated = h.ok("product_update", json!({ "token": m, "productId": p["id"], "input": input }));
    assert_eq!(updated["price"]["minor"].as_i64(), Some(p["price"]["minor"].as_i64().unwrap() + 500));
    let detail = h.ok("order_detail", json!({ "token": m, "orderId": sold["orderId"] }));
    assert_eq!(detail["receipt"]["total"], sold["total"]);

    // Errors are reported per row and nothing is written while any row has one.
    let bad =
        "sku,barcode,name,price,tax_rate\r\nNEW-1,,New one,12.50,13\r\nNEW-2,,,abc,13\r\nNEW-1,,Again,1.00,13\r\n";
    let preview = h.ok("catalogue_import_preview", json!({ "token": m, "fileBase64": b64(bad) }));
    let rows = preview["rows"].as_array().unwrap();
    let errors: Vec<(i64, usize)> =
        rows.iter().map(|r| (r["row"].as_i64().unwrap(), r["errors"].as_array().unwrap().len())).collect();
    assert_eq!(errors.iter().map(|e| e.0).collect::<Vec<_>>(), vec![2, 3, 4]);
    assert!(errors[1].1 >= 2, "row 3 has no name and no price: {preview}");
    assert!(errors[2].1 >= 1, "row 4 repeats a SKU: {preview}");
    assert_eq!(h.err_code("catalogue_import_apply", json!({ "token": m, "fileBase64": b64(bad) })), "invalid_input");
    let none = h.ok(
        "catalogue_list",
        json!({ "token": m, "query": "NEW-1", "includeInactive": true, "offset": 0, "limit": 10 }),
    );
    assert_eq!(none.as_array().unwrap().len(), 0);
    assert_eq!(
        h.err_code("catalogue_import_preview", json!({ "token": m, "fileBase64": "not base64!" })),
        "invalid_input"
    );

    let good = "sku,barcode,name,price,tax_rate\nNEW-1,,New one,12.50,13\n";
    let outcome = h.ok("catalogue_import_apply", json!({ "token": m, "fileBase64": b64(good) }));
    assert_eq!(outcome["created"].as_i64(), Some(1));
    let cart = h.ok("cart_scan", json!({ "token": cashier, "code": "NEW-1" }));
    assert_eq!(cart["lines"][0]["sku"], "NEW-1");
    assert_eq!(cart["lines"][0]["unitPrice"]["minor"].as_i64(), Some(1250));
}

#[test]
fn outside_demo_a_card_is_refused_as_not_set_up_across_ipc() {
    // A shop's till, set up with no payment platform.
    let (h, _owner) = ipc::set_up_shop_till();
    assert_eq!(h.ok("app_info", json!({}))["demoMode"], false);
    let session = h.ok("login", json!({ "userId": 1, "pin": "246810" }));
    // the Card button knows before it is pressed
    assert_eq!(session["cardPaymentsReady"], false, "{session}");
    let t = session["token"].as_str().unwrap().to_string();
    let cart = h.ok("cart_scan", json!({ "token": t, "code": "TEA-1" }));
    let (channel, id) = h.channel();
    let e =
        h.call("payment_start", json!({ "token": t, "cartId": cart["cartId"], "onProgress": channel })).unwrap_err();
    assert_eq!(e["code"], "card_payments_not_set_up", "{e}");
    assert!(e["message"].as_str().unwrap().contains("no payments server is configured"), "{e}");
    assert!(h.pushed(id).is_empty(), "no reader was armed");
    // the cart stays and takes cash
    assert_eq!(h.ok("cart_get", json!({ "token": t }))["cartId"], cart["cartId"]);
}
