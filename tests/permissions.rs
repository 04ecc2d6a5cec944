//! Every IPC command, called as every role and with no session, through Tauri's mock runtime
//! with the app's real config: each answer must be what the permissions table
//! (`till_pos::admin::permissions::TABLE`) says, refused as `forbidden` (or `unauthenticated`
//! without a session) or let through to the command itself. And the table in docs/security.md
//! (section 4) must be that table.
//!
//! The window's capability grants only the commands the UI calls; the few it does not are
//! granted here to the test's window at run time, so their roles are checked too.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a test fails by panicking

#[path = "support/ipc.rs"]
mod ipc;

use ipc::Harness;
use serde_json::{json, Value};
use std::collections::BTreeSet;
use tauri::ipc::CapabilityBuilder;
use tauri::Manager;
use till_core::Role;
use till_pos::admin::permissions::{Access, TABLE};

/// The demo till behind its window, the window granted every command: those its capability
/// leaves out (the UI never calls them) through a capability of this test's own.
fn harness() -> Harness {
    let h = ipc::harness();
    let granted = window_grants();
    let mut extra = CapabilityBuilder::new("permissions-test").window("main");
    for row in TABLE.iter().filter(|r| !granted.contains(r.name)) {
        extra = extra.permission(format!("allow-{}", row.name.replace('_', "-")));
    }
    h.app.add_capability(extra).unwrap();
    h
}

/// The commands `capabilities/main-window.json` allows.
fn window_grants() -> BTreeSet<String> {
    let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/capabilities/main-window.json")).unwrap();
    let capability: Value = serde_json::from_str(&text).unwrap();
    capability["permissions"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|p| p.as_str()?.strip_prefix("allow-").map(|c| c.replace('-', "_")))
        .collect()
}

/// A token that is well formed but belongs to no session.
const NO_SESSION: &str = "0000000000000000000000000000000000000000000000000000000000000000";

fn orders_query() -> Value {
    json!({ "kind": "orders", "fromMs": null, "toMs": null, "cashierId": null, "tender": null, "status": null,
            "minAmountMinor": null, "maxAmountMinor": null, "cardLast4": null, "customer": null, "product": null,
            "lineCode": null, "deviceId": null, "orderNo": null, "sort": "newest" })
}

/// Arguments each command decodes, chosen so that an allowed call does little: ids that do not
/// exist, values the command refuses after its role check, or changes that are harmless.
/// `n` makes names unique across calls.
fn args(cmd: &str, token: &str, users: &Users, n: usize) -> Value {
    let t = token;
    let no_cart = "0".repeat(32);
    let no_payment = "0".repeat(32);
    let refund = json!({ "orderId": 999_999, "lines": [{ "orderLineId": 1, "quantity": 1 }], "reason": "probe",
                         "photoBase64": null, "managerId": null, "managerPin": null, "waitForSeller": false });
    let product = json!({ "sku": "", "barcode": null, "name": "", "nameZh": null, "priceMinor": -1,
                          "taxRateBp": 0, "taxInclusive": true, "serialised": false });
    match cmd {
        "app_info" | "login_users" => json!({}),
        "login" => json!({ "userId": users.login_probe, "pin": "1357" }),
        "logout"
        | "cart_get"
        | "cart_clear"
        | "platform_key_status"
        | "payment_settings_get"
        | "forwarded_declines_list"
        | "users_list"
        | "audit_verify"
        | "device_pair"
        | "device_cancel"
        | "customer_get"
        | "customer_clear"
        | "sync_settings_get"
        | "sync_settings_clear"
        | "sync_test_connection"
        | "sync_parked_list"
        | "history_cashiers"
        | "report_x"
        | "report_closed_list"
        | "points_problems"
        | "refunds_to_pay_out"
        | "remote_refunds"
        | "refund_disagreements"
        | "loyalty_settings_get"
        | "customer_identify"
        | "points_enrol"
        | "backup_settings_get"
        | "backup_status"
        | "backup_now"
        | "print_retry" => json!({ "token": t }),
        "print_status_watch" => json!({ "token": t, "onChange": format!("__CHANNEL__:{}", 100 + n) }),
        "print_status_unwatch" => json!({ "id": 999_999 }),
        "print_reprint" => json!({ "token": t, "orderId": 999_999 }),
        "print_refund_receipt" => json!({ "token": t, "refundId": 999_999 }),
        "print_set_language" => json!({ "token": t, "lang": "xx" }),
        "print_cancel_job" => json!({ "token": t, "jobId": 999_999 }),
        "print_on_other" => json!({ "token": t, "jobId": 999_999, "uri": "not a printer" }),
        "print_report" => json!({ "token": t, "kind": "z", "closeId": null }),
        "drawer_open" => json!({ "token": t, "reason": "" }),
        "services_providers" | "services_history" => json!({ "token": t }),
        "services_follow" | "services_start" => json!({ "token": t, "accountId": "" }),
        "services_conversation" | "services_retry" | "services_add_to_sale" => {
            json!({ "token": t, "conversationId": "none" })
        }
        "services_send" => json!({ "token": t, "conversationId": "none", "text": "" }),
        "device_lookup" => json!({ "token": t, "identifier": "" }),
        "device_repair_open" => json!({ "token": t, "input": { "identifier": "", "fault": "" } }),
        "device_repair_status" => json!({ "token": t, "input": { "serviceOrderId": 999_999, "status": "nope" } }),
        "device_repair_reprint" => json!({ "token": t, "serviceOrderId": 999_999 }),
        "device_software_record" => json!({ "token": t, "input": { "identifier": "", "version": "" } }),
        "service_orders_list" => json!({ "token": t, "query": { "fromMs": 10, "toMs": 5 } }),
        "backup_settings_set" => {
            json!({ "token": t, "settings": { "hour": 99, "utcOffsetMinutes": 0, "secondTarget": "" } })
        }
        "catalogue_search" => json!({ "token": t, "query": "tea", "limit": 5 }),
        "cart_scan" => json!({ "token": t, "code": "0000000000000" }),
        "cart_add" => json!({ "token": t, "productId": 999_999, "quantity": 1 }),
        "cart_set_quantity" => json!({ "token": t, "lineNo": 99, "quantity": 1 }),
        "cart_remove" => json!({ "token": t, "lineNo": 99 }),
        "cart_set_device" => json!({ "token": t, "lineNo": 99, "identifier": "X" }),
        "checkout_cash" => json!({ "token": t, "cartId": no_cart, "tenderedMinor": 1 }),
        "payment_start" => json!({ "token": t, "cartId": no_cart, "onProgress": "__CHANNEL__:1" }),
        "payment_swipe_text" => {
            json!({ "token": t, "cartId": no_cart, "text": "not a swipe", "onProgress": "__CHANNEL__:2" })
        }
        "payment_code_pay" => {
            json!({ "token": t, "cartId": no_cart, "code": "not a code", "onProgress": "__CHANNEL__:3" })
        }
        "payment_code_cancel" => json!({ "token": t, "paymentId": "no-such-payment" }),
        "payment_cancel" | "payment_authorize" => json!({ "token": t, "paymentId": no_payment }),
        "payment_pin" => json!({ "token": t, "paymentId": no_payment, "pin": "12" }),
        "payment_sign" => json!({ "token": t, "paymentId": no_payment, "svg": null }),
        "platform_key_set" => json!({ "token": t, "keyHex": "not hex" }),
        "payment_settings_set" => json!({ "token": t, "settings": { "authorizationTimeoutS": 0,
            "offlineMaxAmountMinor": -1, "offlineMaxPending": 0, "offlineMaxAgeHours": 0 } }),
        "receipt_get" | "order_detail" | "receipt_reprint" | "refunds_of_order" => {
            json!({ "token": t, "orderId": 999_999 })
        }
        "user_create" => json!({ "token": t, "name": format!("Probe {n}"), "role": "cashier", "pin": "2468" }),
        "user_set_active" => json!({ "token": t, "userId": users.target, "active": true }),
        "user_set_pin" => json!({ "token": t, "userId": users.target, "pin": "2468" }),
        "devices_watch" | "device_status_watch" | "sync_status_watch" | "pending_orders_watch" => {
            json!({ "token": t, "onChange": format!("__CHANNEL__:{}", 100 + n) })
        }
        "devices_unwatch" | "device_status_unwatch" | "sync_status_unwatch" | "pending_orders_unwatch" => {
            json!({ "id": 999_999 })
        }
        "pending_orders_list" | "pending_orders_refresh" => json!({ "token": t }),
        "pending_order_get" | "pending_order_release" => json!({ "token": t, "orderId": "PO-NOSUCHORDER" }),
        "pending_order_collect" => json!({ "token": t, "orderId": "PO-NOSUCHORDER", "pickupCode": "12" }),
        "device_assign" => json!({ "token": t, "assignment": { "uri": "sim://nothing", "role": "card-reader",
            "driver": "no-such-driver", "baud": null, "parity": null, "swipeTimeoutS": null } }),
        "device_remove" => json!({ "token": t, "role": "points-terminal" }),
        "device_test" => json!({ "token": t, "role": "card-reader" }),
        "sync_settings_set" => {
            json!({ "token": t, "settings": { "salesUrl": "not a url", "terminalId": "t-1", "secret": "" } })
        }
        "sync_parked_retry" => json!({ "token": t, "eventId": "nope" }),
        "sync_parked_discard" => json!({ "token": t, "eventId": "nope", "managerPin": "0000" }),
        "history_search" => json!({ "token": t, "query": orders_query(), "cursor": null, "limit": 5 }),
        "history_count" => json!({ "token": t, "query": orders_query() }),
        "report_z" => json!({ "token": t, "businessDate": "2026-13-40", "cashCountedMinor": 0 }),
        "report_closed_get" => json!({ "token": t, "closeId": 999_999 }),
        "report_pdf" => json!({ "token": t, "closeId": 999_999 }),
        "charts_get" => json!({ "token": t, "fromMs": 10, "toMs": 5, "bucket": "day", "utcOffsetMinutes": 0 }),
        "export_start" => json!({ "token": t, "fromMs": 10, "toMs": 5, "kinds": ["orders"] }),
        "export_status" | "export_cancel" => json!({ "token": t, "jobId": "nope" }),
        "catalogue_list" => json!({ "token": t, "query": "", "includeInactive": false, "offset": 0, "limit": 5 }),
        "product_create" => json!({ "token": t, "input": product }),
        "product_update" => json!({ "token": t, "productId": 999_999, "input": product }),
        "product_set_active" => json!({ "token": t, "productId": 999_999, "active": true }),
        "catalogue_import_preview" | "catalogue_import_apply" => json!({ "token": t, "fileBase64": "!!" }),
        "audit_list" => json!({ "token": t, "beforeId": null, "limit": 5 }),
        "refund_find" => json!({ "token": t, "lookup": { "by": "line_code", "text": "NOPE", "date": null,
            "amountMinor": null, "utcOffsetMinutes": null } }),
        "refund_quote" | "refund_record" => json!({ "token": t, "input": refund }),
        "refund_remote" => json!({ "token": t, "input": { "identifier": "", "reason": "probe", "photoBase64": null,
            "managerId": null, "managerPin": null, "waitForSeller": false } }),
        "refund_refresh" | "refund_pay_out" => json!({ "token": t, "refundId": 999_999 }),
        "refund_by_number" => json!({ "token": t, "refundNo": "R9999999" }),
        "points_redeem" => json!({ "token": t, "points": 0 }),
        "loyalty_settings_set" => json!({ "token": t, "settings": { "pointsPerUnit": -1, "redeemValueMinor": -1,
            "multipliers": [], "cashierRefundLimitMinor": -1 } }),
        // On the demo till the setup's commands are closed, and the profile is malformed: nothing changes.
        "setup_status" => json!({}),
        "setup_shop_save" => json!({ "profile": bad_profile() }),
        "setup_first_people" => {
            json!({ "input": { "ownerName": "", "ownerPin": "", "installerName": "", "installerPin": "" } })
        }
        "setup_pass" => json!({ "token": t, "step": "server" }),
        "shop_profile_set" => json!({ "token": t, "profile": bad_profile() }),
        // Refused before anything is sent: the code is empty.
        "sync_enrol" => {
            json!({ "token": t, "input": { "url": "http://127.0.0.1:9", "code": "", "certSha256": "", "caPem": "" } })
        }
        other => panic!("no sample arguments for {other}: add them to tests/permissions.rs"),
    }
}

/// A shop profile the till refuses (no name).
fn bad_profile() -> Value {
    json!({ "name": "", "address": "", "taxId": "", "currency": "CNY", "taxRates": [], "defaultTaxRate": 0,
        "receiptHeader": "", "receiptFooter": "", "timeZone": "UTC", "tillName": "" })
}

/// Users the calls act on, made for the test so no demo user is changed.
struct Users {
    /// A cashier whose PIN and activity the user commands set.
    target: i64,
    /// A cashier who logs in (PIN 1357) for the `login` row.
    login_probe: i64,
}

/// The roles as the demo till has them, by login name.
const CALLERS: [(Role, &str, &str); 4] = [
    (Role::Owner, "Zhou Xin", "4444"),
    (Role::Manager, "Li Wei", "2222"),
    (Role::Cashier, "Chen Jing", "1111"),
    (Role::Installer, "Wang Fang", "3333"),
];

#[test]
fn every_command_answers_every_role_as_the_permissions_table_says() {
    let h = harness();
    let users = h.pos().login_users().unwrap();
    let id_of = |name: &str| users.iter().find(|u| u.name == name).unwrap().id;
    let owner = h.pos().login(id_of("Zhou Xin"), "4444").unwrap().token;
    let made = Users {
        target: h.pos().user_create(&owner, "Probe Target", "cashier", "1234").unwrap().id,
        login_probe: h.pos().user_create(&owner, "Probe Login", "cashier", "1357").unwrap().id,
    };
    let tokens: Vec<(Role, String)> = CALLERS
        .iter()
        .map(|(role, name, pin)| {
            let s = h.call("login", json!({ "userId": id_of(name), "pin": pin })).unwrap();
            (*role, s["token"].as_str().unwrap().to_string())
        })
        .collect();

    let mut wrong = Vec::new();
    let mut n = 0;
    // `logout` ends the caller's session: it goes last.
    let rows = TABLE.iter().filter(|r| r.name != "logout").chain(TABLE.iter().filter(|r| r.name == "logout"));
    for row in rows {
        let mut cells = tokens.iter().map(|(r, t)| (Some(*r), t.as_str())).collect::<Vec<_>>();
        cells.push((None, NO_SESSION));
        for (role, token) in cells {
            n += 1;
            let answer = h.call(row.name, args(row.name, token, &made, n));
            let code = match &answer {
                Ok(_) => None,
                Err(e) => match e["code"].as_str() {
                    Some(code) => Some(code.to_string()),
                    None => panic!("{} did not reach the till (arguments or ACL): {e}", row.name),
                },
            };
            let expected = match (role, row.access) {
                (_, Access::Public) => "let through",
                (None, Access::Roles(_)) => "unauthenticated",
                (Some(r), access) if access.allows(r) => "let through",
                (Some(_), _) => "forbidden",
            };
            let got = match code.as_deref() {
                Some("forbidden") => "forbidden",
                Some("unauthenticated") => "unauthenticated",
                _ => "let through",
            };
            if got != expected {
                let who = role.map(|r| r.as_str()).unwrap_or("no session");
                wrong.push(format!("{} as {who}: expected {expected}, got {answer:?}", row.name));
            }
        }
    }
    assert!(wrong.is_empty(), "{} cells differ from the table:\n{}", wrong.len(), wrong.join("\n"));
    assert_eq!(n, TABLE.len() * 5);
}

/// The table as docs/security.md writes it.
fn rendered_table() -> String {
    let cell = |yes: bool| if yes { "yes" } else { "no" };
    let mut out = String::from("| command | no session | owner | manager | cashier | installer |\n");
    out.push_str("| --- | --- | --- | --- | --- | --- |\n");
    for row in TABLE {
        let mut line = format!("| `{}` | {} |", row.name, cell(row.access == Access::Public));
        for role in [Role::Owner, Role::Manager, Role::Cashier, Role::Installer] {
            let mut text = cell(row.access.allows(role)).to_string();
            if role == Role::Manager && row.name.starts_with("user_") && row.access.allows(role) {
                text.push_str(" ¹");
            }
            line.push_str(&format!(" {text} |"));
        }
        out.push_str(&line);
        out.push('\n');
    }
    out
}

#[test]
fn the_table_in_docs_security_md_is_the_table_in_the_code() {
    let docs = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/docs/security.md")).unwrap();
    let section = docs.split("\n## 4.").nth(1).expect("docs/security.md has a section 4");
    let section = section.split("\n## ").next().unwrap();
    let table: String = section
        .lines()
        .skip_while(|l| !l.starts_with("| command |"))
        .take_while(|l| l.starts_with('|'))
        .map(|l| format!("{l}\n"))
        .collect();
    let expected = rendered_table();
    assert!(
        table == expected,
        "the command × role table of docs/security.md section 4 differs from the code's; it should read:\n\n{expected}"
    );
}
