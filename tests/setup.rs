//! A shop's till as the desktop app opens it without `--demo`: nothing demo-like, and the
//! first-run setup through the window's commands (adapters, ACL, `{code, message}` errors).

#![allow(clippy::unwrap_used, clippy::expect_used)] // a test fails by panicking

#[path = "support/ipc.rs"]
mod ipc;

use ipc::{build, Harness};
use serde_json::{json, Value};

fn shop_till(dir: tempfile::TempDir) -> Harness {
    let opened = till_app::open_pos(dir.path(), false);
    build(dir, opened.into())
}

fn profile() -> Value {
    json!({
        "name": "Green Leaf Grocery", "address": "12 Nanjing Road\nShanghai", "taxId": "91310000MA1FL0XX1X",
        "currency": "CNY", "taxRates": [{ "name": "Standard", "rateBp": 1300 }, { "name": "Food", "rateBp": 900 }],
        "defaultTaxRate": 0, "receiptHeader": "Open 8:00-22:00", "receiptFooter": "Thank you!",
        "timeZone": "Asia/Shanghai", "tillName": "Counter 1",
    })
}

#[test]
fn demo_mode_is_asked_for() {
    let args = |a: &[&str]| a.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    assert!(till_app::demo_requested(args(&["--demo"]), None));
    assert!(till_app::demo_requested(args(&[]), Some("1".into())));
    assert!(till_app::demo_requested(args(&[]), Some("true".into())));
    assert!(!till_app::demo_requested(args(&[]), None));
    assert!(!till_app::demo_requested(args(&["--demonstrate"]), Some("0".into())));
}

#[test]
fn a_shop_till_shows_nothing_demo_like_and_is_set_up_through_the_window() {
    let h = shop_till(tempfile::tempdir().unwrap());
    let info = h.ok("app_info", json!({}));
    assert_eq!(info["demoMode"], false);
    assert_eq!(info["demoUsers"], json!([]), "no PINs on screen");
    assert_eq!(info["setup"]["step"], "shop");
    assert_eq!(info["setup"]["pinMinLength"], 6);
    assert_eq!(info["setup"]["platformKeySet"], false, "no sandbox key");
    assert_eq!(h.ok("login_users", json!({})), json!([]), "no demo users");

    // Shop profile: bad input is refused and changes nothing.
    let mut bad = profile();
    bad["name"] = json!("");
    assert_eq!(h.err_code("setup_shop_save", json!({ "profile": bad })), "invalid_input");
    assert_eq!(h.ok("setup_status", json!({}))["step"], "shop");
    h.ok("setup_shop_save", json!({ "profile": profile() }));

    // The owner and the installer, with PINs of six digits at least.
    let people = |owner_pin: &str| json!({ "input": { "ownerName": "Chen Mei", "ownerPin": owner_pin, "installerName": "Wang Jun", "installerPin": "135791" } });
    assert_eq!(h.err_code("setup_first_people", people("1234")), "invalid_input");
    h.ok("setup_first_people", people("246810"));
    assert_eq!(h.err_code("setup_first_people", people("864200")), "setup_incomplete", "made once only");
    assert_eq!(h.err_code("setup_shop_save", json!({ "profile": profile() })), "setup_incomplete");

    let status = h.ok("setup_status", json!({}));
    assert_eq!(status["step"], "server");
    assert_eq!(status["shop"]["name"], "Green Leaf Grocery");
    let users = h.ok("login_users", json!({}));
    let id = |name: &str| users.as_array().unwrap().iter().find(|u| u["name"] == name).unwrap()["id"].clone();
    let installer = h.ok("login", json!({ "userId": id("Wang Jun"), "pin": "135791" }))["token"].clone();
    let owner = h.ok("login", json!({ "userId": id("Chen Mei"), "pin": "246810" }))["token"].clone();
    // The owner changes the profile, not the setup's steps.
    assert_eq!(h.err_code("setup_pass", json!({ "token": owner, "step": "server" })), "forbidden");
    for step in ["server", "payments", "devices"] {
        h.ok("setup_pass", json!({ "token": installer, "step": step }));
    }
    let status = h.ok("setup_status", json!({}));
    assert_eq!(status["step"], "done");
    assert_eq!(status["skipped"], json!(["server", "payments"]));
}

#[test]
fn a_shop_till_never_opens_in_demo_mode_nor_demo_data_without_it() {
    let dir = tempfile::tempdir().unwrap();
    drop(till_app::open_pos(dir.path(), false).unwrap());
    let e = till_app::open_pos(dir.path(), true).err().unwrap();
    assert!(e.to_string().contains("shop's till"), "{e}");
    // The window still opens and says why on every command.
    let h = build(dir, Err::<till_pos::Pos, _>(e).into());
    let e = h.call("app_info", json!({})).unwrap_err();
    assert_eq!(e["code"], "startup_failed", "{e}");

    let demo = tempfile::tempdir().unwrap();
    drop(till_app::open_pos(demo.path(), true).unwrap());
    let e = till_app::open_pos(demo.path(), false).err().unwrap();
    assert!(e.to_string().contains("--demo"), "{e}");
}
