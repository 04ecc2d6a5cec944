//! The IPC harness of the shell's tests: the app's real config and capabilities on Tauri's mock
//! runtime, so every call goes through the command adapters, argument decoding, the ACL and the
//! `{code, message}` error shape, exactly as the window's `invoke` does. Included by path from
//! each test file that needs it (`#[path = "support/ipc.rs"] mod ipc;`).

#![allow(dead_code)] // each test file uses its own part

use serde_json::{json, Value};
use std::collections::HashMap;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use tauri::test::{get_ipc_response, mock_builder, MockRuntime, INVOKE_KEY};
use tauri::webview::InvokeRequest;
use tauri::WebviewWindow;

/// What the commands sent to the window's channels, by channel id, in order.
type Pushed = Arc<Mutex<HashMap<u32, Vec<Value>>>>;

/// Calls `cmd` with `args` from `window`, as its page's `invoke` would: the answer, or the
/// refusal (the ACL's or the command's).
pub fn invoke(window: &WebviewWindow<MockRuntime>, cmd: &str, args: Value) -> Result<Value, Value> {
    get_ipc_response(
        window,
        InvokeRequest {
            cmd: cmd.into(),
            callback: tauri::ipc::CallbackFn(0),
            error: tauri::ipc::CallbackFn(1),
            url: "tauri://localhost".parse().unwrap(),
            body: tauri::ipc::InvokeBody::Json(args),
            headers: Default::default(),
            invoke_key: INVOKE_KEY.to_string(),
        },
    )
    .map(|body| body.deserialize::<Value>().unwrap())
}

pub struct Harness {
    pub _dir: tempfile::TempDir,
    /// The mock app, for a test that grants its window more (tests/permissions.rs).
    pub app: tauri::App<MockRuntime>,
    window: WebviewWindow<MockRuntime>,
    pushed: Pushed,
    next_channel: AtomicU32,
}

pub fn harness() -> Harness {
    harness_with_reader("sim://card-reader?delay_ms=1")
}

pub fn harness_with_reader(reader: &str) -> Harness {
    let dir = tempfile::tempdir().unwrap();
    let mut config = till_pos::PosConfig::demo(dir.path().join("till.db"));
    config.card_reader = reader.into();
    let pos = Arc::new(till_pos::Pos::open(config).unwrap());
    build(dir, till_app::TillState(Ok(pos)))
}

pub fn build(dir: tempfile::TempDir, till: till_app::TillState) -> Harness {
    // The mock window runs no script, so what a command sends to a channel is caught here on
    // its way to the window.
    let pushed: Pushed = Arc::default();
    let into = pushed.clone();
    let builder = mock_builder().channel_interceptor(move |_, channel, _, body| {
        if let tauri::ipc::InvokeResponseBody::Json(json) = body {
            into.lock().unwrap().entry(channel.0).or_default().push(serde_json::from_str(json).unwrap());
        }
        true
    });
    let app = till_app::setup(builder, till).build(tauri::generate_context!()).unwrap();
    let window = match tauri::Manager::get_webview_window(&app, "main") {
        Some(w) => w,
        None => tauri::WebviewWindowBuilder::new(&app, "main", Default::default()).build().unwrap(),
    };
    Harness { _dir: dir, app, window, pushed, next_channel: AtomicU32::new(1) }
}

impl Harness {
    pub fn call(&self, cmd: &str, args: Value) -> Result<Value, Value> {
        invoke(&self.window, cmd, args)
    }

    pub fn ok(&self, cmd: &str, args: Value) -> Value {
        self.call(cmd, args).unwrap_or_else(|e| panic!("{cmd} failed: {e}"))
    }

    pub fn err_code(&self, cmd: &str, args: Value) -> String {
        let e = self.call(cmd, args).expect_err(cmd);
        assert!(e["message"].as_str().is_some_and(|m| !m.is_empty()), "{e}");
        e["code"].as_str().unwrap_or_else(|| panic!("no code in {e}")).to_string()
    }

    /// A new channel as the window passes it to a command, and its id.
    pub fn channel(&self) -> (String, u32) {
        let id = self.next_channel.fetch_add(1, Ordering::Relaxed);
        (format!("__CHANNEL__:{id}"), id)
    }

    /// What was sent to a channel so far.
    pub fn pushed(&self, channel: u32) -> Vec<Value> {
        self.pushed.lock().unwrap().get(&channel).cloned().unwrap_or_default()
    }

    /// The till behind the window, for what the window may not do itself (commands no screen
    /// calls are not granted to it).
    pub fn pos(&self) -> Arc<till_pos::Pos> {
        let state = tauri::Manager::state::<till_app::TillState>(&self.window);
        state.0.as_ref().unwrap().clone()
    }

    /// Asserts that Tauri's ACL refuses `cmd` to the window before it reaches the till.
    pub fn refused_to_the_window(&self, cmd: &str, args: Value) {
        let e = self.call(cmd, args).expect_err(cmd);
        assert!(e.get("code").is_none() && e.to_string().contains("not allowed"), "{cmd}: {e}");
    }

    pub fn login(&self, name: &str) -> String {
        let info = self.ok("app_info", json!({}));
        let user = info["demoUsers"].as_array().unwrap().iter().find(|u| u["name"] == name).unwrap().clone();
        let s = self.ok("login", json!({ "userId": user["userId"], "pin": user["pin"] }));
        s["token"].as_str().unwrap().to_string()
    }
}

/// A shop's till in a fresh directory, as the app opens it without `--demo`, set up through
/// the window's commands: a profile, owner Chen Mei (PIN 246810) and installer Wang Jun
/// (135791), the later steps left for later, and one product (`TEA-1`, 12.50). Returns the
/// harness and the owner's token (owners sell).
pub fn set_up_shop_till() -> (Harness, String) {
    let dir = tempfile::tempdir().unwrap();
    let opened = till_app::open_pos(dir.path(), false);
    let h = build(dir, opened.into());
    let profile = json!({
        "name": "Green Leaf Grocery", "address": "12 Nanjing Road\nShanghai", "taxId": "",
        "currency": "CNY", "taxRates": [{ "name": "Standard", "rateBp": 1300 }], "defaultTaxRate": 0,
        "receiptHeader": "", "receiptFooter": "Thank you!", "timeZone": "Asia/Shanghai", "tillName": "Counter 1",
    });
    h.ok("setup_shop_save", json!({ "profile": profile }));
    h.ok(
        "setup_first_people",
        json!({ "input": { "ownerName": "Chen Mei", "ownerPin": "246810", "installerName": "Wang Jun", "installerPin": "135791" } }),
    );
    let installer = h.ok("login", json!({ "userId": 2, "pin": "135791" }))["token"].clone();
    for step in ["server", "payments", "devices"] {
        h.ok("setup_pass", json!({ "token": installer, "step": step }));
    }
    let owner = h.ok("login", json!({ "userId": 1, "pin": "246810" }))["token"].as_str().unwrap().to_string();
    let product = json!({ "sku": "TEA-1", "barcode": null, "name": "Green tea", "nameZh": "绿茶", "priceMinor": 1250,
        "taxRateBp": 1300, "taxInclusive": true, "serialised": false });
    h.ok("product_create", json!({ "token": owner, "input": product }));
    (h, owner)
}
