//! The customer window may ask the till for nothing: through Tauri's mock runtime with the
//! app's real config and capabilities, a window labelled `customer` (opened as the shell opens
//! it) is refused every command the till's own window may call, and Tauri's core events, by the
//! ACL, before anything reaches the till.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a test fails by panicking

#[path = "support/ipc.rs"]
mod ipc;

use serde_json::{json, Value};
use tauri::test::MockRuntime;
use tauri::WebviewWindow;

use ipc::invoke;

fn refused(window: &WebviewWindow<MockRuntime>, cmd: &str, args: Value) {
    let e = invoke(window, cmd, args).expect_err(cmd);
    // The ACL's refusal, not the till's {code, message}: the command never ran.
    assert!(e.get("code").is_none() && e.to_string().contains("not allowed"), "{cmd}: {e}");
}

#[test]
fn the_customer_window_can_call_no_command() {
    let h = ipc::harness();
    let token = h.login("Chen Jing");
    let customer = till_app::customer_window::open(&h.app, h.pos()).unwrap();
    assert_eq!(customer.label(), till_app::customer_window::LABEL);

    // The till's own window may call these; the customer window none of them.
    assert!(h.call("app_info", json!({})).is_ok());
    assert!(h.call("cart_get", json!({ "token": token })).is_ok());
    for (cmd, args) in [
        ("app_info", json!({})),
        ("login_users", json!({})),
        ("login", json!({ "userId": 1, "pin": "1111" })),
        ("cart_get", json!({ "token": token })),
        ("cart_scan", json!({ "token": token, "code": "6901234567892" })),
        ("checkout_cash", json!({ "token": token, "cartId": "00000000000000000000000000000000", "tenderedMinor": 1 })),
        ("points_enrol", json!({ "token": token })),
        ("device_status_watch", json!({ "token": token, "onStatus": "__CHANNEL__:1" })),
        ("plugin:event|listen", json!({ "event": "x", "target": { "kind": "Any" }, "handler": 1 })),
        ("plugin:event|emit", json!({ "event": "x", "payload": null })),
        ("plugin:window|close", json!({ "label": "main" })),
        ("plugin:webview|create_webview_window", json!({ "options": { "label": "x" } })),
    ] {
        refused(&customer, cmd, args);
    }
    // Nothing the customer window tried reached the till: the cart is still empty.
    assert!(h.ok("cart_get", json!({ "token": token }))["lines"].as_array().unwrap().is_empty());
}

#[test]
fn only_the_main_window_is_granted_the_tills_commands() {
    let read = |name: &str| -> Value {
        let path = format!("{}/capabilities/{name}", env!("CARGO_MANIFEST_DIR"));
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
    };
    let main = read("main-window.json");
    assert_eq!(main["windows"], json!(["main"]));
    assert!(main.get("webviews").is_none() && main.get("remote").is_none());
    let customer = read("customer-display.json");
    assert_eq!(customer["windows"], json!(["customer"]));
    assert_eq!(customer["permissions"], json!([]));
    let conf: Value = serde_json::from_str(
        &std::fs::read_to_string(format!("{}/tauri.conf.json", env!("CARGO_MANIFEST_DIR"))).unwrap(),
    )
    .unwrap();
    assert_eq!(conf["app"]["security"]["capabilities"], json!(["main-window", "customer-display"]));
}
