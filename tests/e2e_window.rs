//! The real window's side of docs/security.md sections 4 and 12, through tauri-driver and
//! WebKitWebDriver (needs an X display, like tests/e2e.rs: run under Xvfb).
//!
//! The window runs under Tauri's isolation pattern: its isolation frame is in the page, a
//! well-formed call goes through it, a malformed one is turned away by the hook in
//! `isolation/hook.js`, and a command the window's capability does not grant is refused by
//! Tauri's ACL even though the till has it. The users screen offers a manager only the cashier
//! role and an owner every role.
//!
//! A shop's till (no `--demo`) opens on the first-run setup, which an installer finishes from
//! the keyboard; the owner then logs in, and no demo user or PIN was ever on screen.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a test fails by panicking

#[allow(dead_code)] // each test file uses part of the WebDriver client
mod support;

use serde_json::Value;
use std::time::Duration;
use support::driver::Driver;
use support::webdriver::{Session, ENTER, F2};

/// Starts tauri-driver for a till in `data_dir`: a demo till (`TILL_DEMO=1`, a simulated
/// reader), or a shop's (nothing in the environment that a shop's till would not have).
fn start_driver(data_dir: &std::path::Path, demo: bool) -> (Driver, String) {
    if demo {
        let env = [("TILL_DEMO", "1".to_string()), ("TILL_CARD_READER", "sim://card-reader?delay_ms=1".to_string())];
        support::driver::start(data_dir, &env, &[])
    } else {
        support::driver::start(data_dir, &[], &["TILL_DEMO", "TILL_CARD_READER", "TILL_POINTS_TERMINAL"])
    }
}

/// Calls `cmd` with `args` (JSON text) from the page, as the UI's own `invoke` does; the
/// answer or the refusal as `{ ok }` / `{ err }`.
fn invoke(s: &Session, cmd: &str, args: &str) -> Value {
    s.execute_async(&format!(
        "const done = arguments[arguments.length - 1];
         window.__TAURI_INTERNALS__.invoke({cmd:?}, {args})
           .then((ok) => done({{ ok }}), (err) => done({{ err: typeof err === 'string' ? err : JSON.stringify(err) }}));"
    ))
}

/// The values the users screen's role list offers.
fn offered_roles(s: &Session) -> Vec<String> {
    s.wait_for("#new-role");
    s.find_all("#new-role option").iter().map(|o| s.attribute(o, "value")).collect()
}

#[test]
fn the_window_is_isolated_and_granted_only_what_its_screens_call() {
    let dir = tempfile::tempdir().unwrap();
    let (_driver, base) = start_driver(dir.path(), true);
    let s = Session::start(&base, env!("CARGO_BIN_EXE_till")).expect("WebDriver session");
    s.wait_for(".login-user[data-user-id='1']");

    // The isolation frame Tauri adds under the isolation pattern, from its own scheme.
    let frame = s.execute_async(
        "const done = arguments[arguments.length - 1];
         const f = document.querySelector('iframe#__tauri_isolation__');
         done(f ? f.src : null);",
    );
    let frame = frame.as_str().expect("the isolation frame is in the page");
    assert!(frame.starts_with("isolation"), "{frame}");

    // A well-formed call goes through the frame and is answered.
    let info = invoke(&s, "app_info", "{}");
    assert_eq!(info["ok"]["demoMode"], true, "{info}");
    // A malformed one (arguments that are not an object) never reaches the command.
    let bad = invoke(&s, "login_users", "[1, 2, 3]");
    assert!(bad["err"].as_str().is_some_and(|e| e.contains("isolation_refused")), "{bad}");
    // A command the till has but no screen calls is refused by the capability...
    let ungranted = invoke(&s, "sync_settings_clear", "{ token: '00' }");
    assert!(ungranted["err"].as_str().is_some_and(|e| e.contains("not allowed")), "{ungranted}");
    // ... and so is one of Tauri's own (the hook turns it away before the ACL does).
    let core = invoke(&s, "plugin:app|version", "{}");
    assert!(core.get("err").is_some(), "{core}");

    // A manager may make cashiers only; an owner every role.
    s.login_as("2", "2222");
    s.wait_for("#scan-input");
    s.keys("\u{E039}"); // F9: users
    assert_eq!(offered_roles(&s), ["cashier"]);
    s.keys("\u{E00C}"); // Escape: back to the sale
    s.wait_for("#scan-input");
    s.log_out_to("4");
    s.login_as("4", "4444");
    s.wait_for("#scan-input");
    s.keys("\u{E039}");
    assert_eq!(offered_roles(&s), ["cashier", "manager", "installer", "owner"]);
    s.end();
}

/// Types `text` into the field `css` (found, focused, typed).
fn fill(s: &Session, css: &str, text: &str) {
    let field = s.wait_for(css);
    s.type_into(&field, text);
}

#[test]
fn a_shop_till_opens_on_the_setup_and_the_installer_finishes_it() {
    let dir = tempfile::tempdir().unwrap();
    let (_driver, base) = start_driver(dir.path(), false);
    let s = Session::start(&base, env!("CARGO_BIN_EXE_till")).expect("WebDriver session");
    s.wait_for("#setup[data-step='shop']");
    assert!(s.find_all("#demo-heading").is_empty(), "no demo panel");
    // In English, whatever an earlier run of the web view left in its storage.
    s.execute("if (localStorage.getItem('till.locale') !== 'en') { localStorage.setItem('till.locale', 'en'); location.reload(); }");
    s.wait_for("#setup[data-step='shop']");

    // Shop profile: the name field has the focus; a missing address is caught before sending.
    fill(&s, "#shop-name", "Green Leaf Grocery");
    s.click(&s.wait_for("#shop-save"));
    s.wait_for("#shop-address[aria-invalid='true']");
    fill(&s, "#shop-address", "12 Nanjing Road");
    fill(&s, "#shop-header", "Open 8:00-22:00");
    s.click(&s.wait_for("#shop-save"));

    // The owner and the installer: a four-digit PIN is refused, six digits are taken.
    s.wait_for("#setup[data-step='people']");
    fill(&s, "#owner-name", "Chen Mei");
    fill(&s, "#owner-pin", "1234");
    fill(&s, "#owner-pin2", "1234");
    fill(&s, "#installer-name", "Wang Jun");
    fill(&s, "#installer-pin", "135791");
    fill(&s, "#installer-pin2", "135791");
    s.click(&s.wait_for("#people-save"));
    s.wait_for("#owner-pin[aria-invalid='true']");
    assert_eq!(s.find_all("#installer-pin[aria-invalid='true']").len(), 0);
    // The refused PIN is cleared for typing again; the installer's stays.
    fill(&s, "#owner-pin", "246810");
    fill(&s, "#owner-pin2", "246810");
    s.click(&s.wait_for("#people-save"));

    // From here the installer logs in and enrols the till with a one-time code from a real
    // till-server; the payment key is left for later (F10).
    s.wait_for("#setup[data-step='server'] #setup-login");
    fill(&s, "#setup-login-pin", &format!("135791{ENTER}"));
    let server =
        till_server::local::LocalServer::start(&dir.path().join("server.db"), Default::default(), None).unwrap();
    let clock = till_core::SystemClock;
    let code = till_server::enrolment::issue(&*server.repo, "counter 1", &clock, &till_server::clock::OsEntropy)
        .unwrap()
        .enrolment_code;
    let url = s.wait_for("#enrol-url");
    s.execute("document.querySelector('#enrol-url').value = ''");
    s.type_into(&url, &server.url);
    fill(&s, "#enrol-code", &format!("{code}{ENTER}"));
    // Enrolled: the server settings show the terminal, never the secret.
    s.wait_for("#server-panel #server-secret-state[data-set='true']");
    assert!(s.find_all("#enrol-form").is_empty());
    s.keys("\u{E03A}"); // F10
    s.wait_for("#setup[data-step='payments'] #platform-key");
    s.keys("\u{E03A}");
    s.wait_for("#setup[data-step='devices'] #devices-table");
    s.click(&s.wait_for("#setup-continue"));

    // Done: the login screen, the owner and the installer, no PINs on screen.
    s.wait_for(".login-user[data-user-id='1']");
    let names = s.execute_async(
        "const done = arguments[arguments.length - 1];
         done([...document.querySelectorAll('.login-user .name')].map((e) => e.textContent));",
    );
    assert_eq!(names, serde_json::json!(["Chen Mei", "Wang Jun"]));
    let page = s.page_text();
    assert!(!page.contains("246810") && !page.contains("135791") && !page.contains("1111"), "{page}");
    s.login_as("1", "246810");
    s.wait_for(".topbar .user[data-role='owner']");

    // The shop's first sale (a product put in the catalogue beside the running till), for cash:
    // the receipt carries the shop's name, address and header from the setup.
    let db = rusqlite::Connection::open(dir.path().join("till.db")).unwrap();
    db.busy_timeout(Duration::from_secs(5)).unwrap();
    db.execute(
        "INSERT INTO products (sku, barcode, name, name_zh, price_minor, currency, tax_rate_bp, tax_inclusive, serialised)
         VALUES ('TEA-1', '6901234567892', 'Green tea', '绿茶', 1250, 'CNY', 1300, 1, 0)",
        [],
    )
    .unwrap();
    s.wait_for("#scan-input");
    s.keys(&format!("6901234567892{ENTER}"));
    s.wait_for_n(".cart-line", 1, Duration::from_secs(10));
    s.keys(F2);
    s.wait_for("#tendered");
    s.keys(&format!("20{ENTER}"));
    s.wait_for("#receipt");
    let heading = s.execute_async(
        "const done = arguments[arguments.length - 1];
         done(document.querySelector('#receipt header.shop').textContent);",
    );
    let heading = heading.as_str().unwrap_or_default().to_string();
    for expected in ["Green Leaf Grocery", "12 Nanjing Road", "Open 8:00-22:00"] {
        assert!(heading.contains(expected), "{expected} is not on the receipt: {heading}");
    }
    s.screenshot_for_docs("shop-receipt.png");
    s.end();
}
