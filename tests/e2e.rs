//! End to end, through the real window: tauri-driver + WebKitWebDriver drive the Till app
//! (needs an X display: `make test` runs the suite under Xvfb). A cashier logs in, scans three
//! barcodes into the always-focused scan input and pays cash by keyboard alone, sees the receipt
//! with a line code per line; the database file then holds exactly that order. A second sale by
//! card, with the mouse, through the simulated reader: the card asks for a PIN, typed on the
//! PIN pad, then the customer signs on the signature pad (WebDriver pointer actions). A third
//! sale is paid with a keyboard-wedge swipe typed into the scan input. The receipts show only
//! the masked number, and the test card number is then found in no file at all.
//!
//! Devices: the installer assigns and tests the simulated card reader on the device setup
//! screen and sees the masked read; a cashier then identifies a customer with the simulated
//! points terminal (F7), and the pairing key it got is in the database only sealed.
//!
//! Back office: a cashier sells by card and by cash; the manager finds the card sale by its last
//! four digits, opens it, reprints it, runs the X and Z reports (the cash counted against the
//! cash expected) and exports the day to CSV, which holds exactly the two orders.
//!
//! Sync: with a real till-server that refuses the terminal at first, a cash sale shows on the
//! header's sync chip as pending with the server's error; once the server takes the terminal the
//! chip turns online with nothing pending, and the server holds the sale.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a test fails by panicking

#[allow(dead_code)] // each test file uses part of the WebDriver client
mod support;

use rusqlite::Connection;
use std::time::{Duration, Instant};
use support::driver::Driver;
use support::webdriver::{Session, ENTER, F2};

/// The Visa test card with service code 220: it asks for a PIN.
const PIN_CARD_TRACK2: &str = "%3B4111111111111111%3D28122200000000000%3F";
/// What a keyboard-wedge reader types for the Visa test card (service code 101: no PIN).
const WEDGE_SWIPE: &str = "%B4111111111111111^TEST/CARD^28121010000000000000?;4111111111111111=28121010000000000?";
/// The test card the stand-in authoriser declines, as a wedge types it.
const DECLINED_SWIPE: &str = ";4000000000000002=28121010000000000?";

/// Saves a screenshot when `TILL_SCREENSHOTS` names a directory (how docs/screenshots are made).
fn screenshot(s: &Session, name: &str) {
    s.screenshot_for_docs(name);
}

/// Starts the window in English: the language is kept in the web view's storage, which every
/// run of the app shares (another test may have left it in Chinese).
fn in_english(s: &Session) {
    s.wait_for(".login-user");
    s.execute("if (localStorage.getItem('till.locale') !== 'en') { localStorage.setItem('till.locale', 'en'); location.reload(); }");
    std::thread::sleep(Duration::from_millis(300));
    s.wait_for(".login-user");
}

fn start_driver(data_dir: &std::path::Path) -> (Driver, String) {
    start_driver_with(data_dir, &[])
}

/// Starts tauri-driver for a demo till with the PIN card in the simulated reader, and extra
/// environment for the app (e.g. the sync server's address).
fn start_driver_with(data_dir: &std::path::Path, env: &[(&str, String)]) -> (Driver, String) {
    let mut all = vec![
        ("TILL_DEMO", "1".to_string()),
        ("TILL_CARD_READER", format!("sim://card-reader?delay_ms=1500&track2={PIN_CARD_TRACK2}")),
    ];
    all.extend(env.iter().cloned());
    support::driver::start(data_dir, &all, &[])
}

#[test]
fn a_cashier_sells_by_keyboard_and_scanner_alone_then_by_card_with_the_mouse() {
    let dir = tempfile::tempdir().unwrap();
    let (_driver, base) = start_driver(dir.path());
    let s = Session::start(&base, env!("CARGO_BIN_EXE_till")).expect("WebDriver session");

    // English, whatever language an earlier run left in the webview's storage.
    s.wait_for(".login-user[data-user-id='1']");
    in_english(&s);

    // Keyboard and scanner only. Login: "1" picks the first user, Enter, the PIN, Enter.
    s.wait_for(".login-user[data-user-id='1']");
    s.keys(&format!("1{ENTER}"));
    s.wait_for("#pin-pad");
    s.keys(&format!("1111{ENTER}"));

    // Scan three different barcodes as a scanner does: the code, then Enter, into whatever has
    // the focus, which must be the scan input every time.
    s.wait_for("#scan-input");
    let codes = [
        "6901234567892".to_string(),
        till_core::Barcode::with_check_digit("692088880003").unwrap().to_string(),
        till_core::Barcode::with_check_digit("692088880010").unwrap().to_string(),
    ];
    for (i, code) in codes.iter().enumerate() {
        assert_eq!(s.attribute(&s.active(), "id"), "scan-input", "the scan input lost the focus");
        s.keys(&format!("{code}{ENTER}"));
        s.wait_for_n(".cart-line", i + 1, Duration::from_secs(10));
    }
    let total_text = s.text(&s.wait_for("#total"));

    // F2: cash. The tendered field has the focus; 100, Enter.
    s.keys(F2);
    s.wait_for("#tendered");
    assert_eq!(s.attribute(&s.active(), "id"), "tendered");
    s.keys(&format!("100{ENTER}"));

    // The receipt, with one line code per line.
    s.wait_for("#receipt");
    let codes_shown = s.wait_for_n(".line-code", 3, Duration::from_secs(10));
    let shown: Vec<String> = codes_shown.iter().map(|e| s.text(e).trim().to_string()).collect();
    s.keys("n"); // new sale

    // A second sale, this time with the mouse, by card through the simulated reader: the reader
    // counts down, the card asks for a PIN (tapped on the pad), the customer signs, and the
    // receipt shows the masked number and the approval code.
    let input = s.wait_for("#scan-input");
    s.type_into(&input, &format!("SVC-002{ENTER}"));
    s.wait_for_n(".cart-line", 1, Duration::from_secs(10));
    s.click(&s.wait_for("#pay-card"));
    let countdown = s.wait_for("#card-countdown");
    assert!(s.attribute(&countdown, "data-seconds").parse::<u32>().unwrap() > 0);
    screenshot(&s, "card-swipe.png");
    s.wait_for("#card-pin-pad");
    assert!(s.text(&s.wait_for("#card-masked")).contains("411111******1111"));
    for d in ["1", "2", "3", "4"] {
        s.click(&s.wait_for(&format!("#card-pin-pad button[data-digit='{d}']")));
    }
    assert_eq!(s.attribute(&s.wait_for("#card-pin-dots"), "data-count"), "4");
    screenshot(&s, "pin-pad.png");
    s.click(&s.wait_for("#card-pin-ok"));
    let pad = s.wait_for("#signature-pad");
    s.draw(
        &pad,
        &[&[(-200, 20), (-160, -30), (-120, 30), (-80, -25), (-40, 25)], &[(0, 10), (60, -20), (120, 15), (200, -10)]],
    );
    assert_eq!(s.attribute(&pad, "data-strokes"), "2", "the signature pad took no strokes");
    screenshot(&s, "signature.png");
    s.click(&s.wait_for("#signature-accept"));
    let receipt = s.wait_for("#receipt");
    let card_receipt = s.text(&receipt);
    assert!(card_receipt.contains("411111******1111"), "card receipt: {card_receipt}");
    assert!(card_receipt.contains("SIM"), "no approval code on the receipt: {card_receipt}");
    s.click(&s.wait_for("#new-sale"));

    // A declined card: a wedge swipe of the stand-in's declining test card. The dialog says why
    // and offers Retry or Cash; F2 takes cash for the same cart.
    let input = s.wait_for("#scan-input");
    s.type_into(&input, &format!("SVC-002{ENTER}"));
    s.wait_for_n(".cart-line", 1, Duration::from_secs(10));
    s.keys(&format!("{DECLINED_SWIPE}{ENTER}"));
    s.wait_for("#signature-pad");
    s.keys(ENTER);
    s.wait_for("#signature-empty");
    s.keys(ENTER);
    s.wait_for("#payment-error[data-error-code='card_declined']");
    s.wait_for("#card-pay-cash");
    screenshot(&s, "card-declined.png");
    s.keys(F2);
    s.wait_for("#tendered");
    s.keys(&format!("100{ENTER}"));
    s.wait_for("#receipt");
    s.click(&s.wait_for("#new-sale"));

    // A fourth sale paid with a keyboard-wedge reader: the swipe is typed into the scan input,
    // fast, then Enter. It is never shown or searched; the card goes straight to the signature
    // (no PIN for this card), which the keyboard skips with Enter twice.
    let input = s.wait_for("#scan-input");
    s.type_into(&input, &format!("SVC-002{ENTER}"));
    s.wait_for_n(".cart-line", 1, Duration::from_secs(10));
    assert_eq!(s.attribute(&s.active(), "id"), "scan-input");
    s.keys(&format!("{WEDGE_SWIPE}{ENTER}"));
    s.wait_for("#signature-pad");
    assert!(!s.page_text().contains("4111111111111111"), "the swipe was shown");
    s.keys(ENTER);
    s.wait_for("#signature-empty");
    s.keys(ENTER);
    let receipt = s.text(&s.wait_for("#receipt"));
    assert!(receipt.contains("411111******1111"), "wedge receipt: {receipt}");
    s.click(&s.wait_for("#new-sale"));
    s.wait_for("#scan-input");
    s.end();

    // The database file holds that order, whole.
    let db = Connection::open(dir.path().join("till.db")).unwrap();
    let (orders, total, tender, tendered_minor): (i64, i64, String, i64) = db
        .query_row(
            "SELECT (SELECT count(*) FROM orders), o.total_minor, p.tender, p.tendered_minor
             FROM orders o JOIN payments p ON p.order_id = o.id WHERE o.id = 1",
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
        )
        .unwrap();
    assert_eq!((orders, tender.as_str(), tendered_minor), (4, "cash", 10_000));
    let cards: Vec<(String, String, Option<String>)> = {
        let mut q = db
            .prepare("SELECT entry_mode, cvm, signature_svg FROM payments WHERE tender = 'card' ORDER BY id")
            .unwrap();
        let rows = q.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?))).unwrap().map(|r| r.unwrap()).collect();
        rows
    };
    assert_eq!(cards.len(), 2);
    assert_eq!((cards[0].0.as_str(), cards[0].1.as_str()), ("magstripe", "pin-and-signature"));
    assert!(
        cards[0].2.as_deref().unwrap().starts_with("<svg") && cards[0].2.as_deref().unwrap().contains("<path d=\"M ")
    );
    assert_eq!((cards[1].0.as_str(), cards[1].1.as_str(), cards[1].2.as_deref()), ("magstripe-wedge", "none", None));
    let mut stmt = db
        .prepare(
            "SELECT line_code FROM order_lines l JOIN payments p USING (order_id) WHERE order_id = 1 ORDER BY line_no",
        )
        .unwrap();
    let stored: Vec<String> = stmt.query_map([], |r| r.get(0)).unwrap().map(|r| r.unwrap()).collect();
    assert_eq!(stored.len(), 3);
    for code in &stored {
        let grouped = till_core::LineCode::parse(code).unwrap().grouped();
        assert!(shown.iter().any(|t| t.contains(&grouped)), "line code {grouped} not on the receipt {shown:?}");
    }
    let expected: i64 =
        db.query_row("SELECT sum(gross_minor) FROM order_lines WHERE order_id = 1", [], |r| r.get(0)).unwrap();
    assert_eq!(total, expected);
    assert!(
        total_text.contains(&format!("{}.{:02}", total / 100, total % 100)),
        "screen showed {total_text}, stored {total}"
    );

    drop(stmt);
    drop(db);

    // The card number is nowhere on disk: not in the database, its WAL, the app's log or the
    // driver's log (which holds the app's stderr).
    let pan = b"4111111111111111";
    let mut checked = 0;
    for entry in std::fs::read_dir(dir.path()).unwrap() {
        let path = entry.unwrap().path();
        if path.is_file() {
            let bytes = std::fs::read(&path).unwrap();
            assert!(!bytes.windows(pan.len()).any(|w| w == pan), "test PAN found in {}", path.display());
            assert!(!bytes.windows(16).any(|w| w == b"4000000000000002"), "declined PAN found in {}", path.display());
            checked += 1;
        }
    }
    assert!(dir.path().join("till.log").exists() && checked >= 3, "expected db and logs to check");
}

/// The WebDriver code for F7 (the cashier's Customer key).
const F7: &str = "\u{E037}";
/// The WebDriver code for F12 (log out).
const F12: &str = "\u{E03C}";
/// The WebDriver code for F8 (the manager's back office).
const F8: &str = "\u{E038}";
/// The WebDriver code for Escape.
const ESC: &str = "\u{E00C}";

#[test]
fn an_installer_tests_the_simulated_reader_and_a_cashier_identifies_a_customer() {
    let dir = tempfile::tempdir().unwrap();
    let (_driver, base) = start_driver(dir.path());
    let s = Session::start(&base, env!("CARGO_BIN_EXE_till")).expect("WebDriver session");

    in_english(&s);

    // The installer (user 3, PIN 3333) lands on the device setup screen, which lists the
    // simulators among the devices found.
    s.wait_for(".login-user[data-user-id='3']");
    s.keys(&format!("3{ENTER}"));
    s.wait_for("#pin-pad");
    s.keys(&format!("3333{ENTER}"));
    s.wait_for("#devices-table .device-row[data-uri='sim://card-reader']");
    s.wait_for("#devices-table .device-row[data-uri='sim://points-terminal']");
    assert!(s.text(&s.wait_for("#light-card-reader[data-state='connected']")).contains("connected"));

    // Assign the simulated reader by keyboard: pick its row, Enter, a swipe timeout, Enter.
    s.click(&s.wait_for("#devices-table .device-row[data-uri='sim://card-reader'] td"));
    s.keys(ENTER);
    s.wait_for("#assign-form");
    // The role field takes the focus once the form is drawn.
    let start = Instant::now();
    while s.attribute(&s.active(), "id") != "assign-role" {
        assert!(start.elapsed() < Duration::from_secs(5), "the role field did not get the focus");
        std::thread::sleep(Duration::from_millis(50));
    }
    let timeout = s.wait_for("#assign-timeout");
    s.type_into(&timeout, &format!("20{ENTER}"));
    let saved = s.text(&s.wait_for("#assign-result"));
    assert!(saved.contains("sim://card-reader"), "{saved}");
    s.wait_for("#device-card-reader #test-card-reader");

    // Test the simulated card reader: it "swipes" the test card, and the masked read shows.
    s.click(&s.wait_for("#test-card-reader"));
    let ok = s.wait_for_n("#test-result-card-reader [data-ok='true']", 1, Duration::from_secs(15));
    let shown = s.text(&ok[0]);
    assert!(shown.contains("411111******1111"), "test result: {shown}");
    screenshot(&s, "installer.png");

    // The cashier identifies a customer: a cart, then F7; the simulated terminal's demo phone
    // presents itself, and the customer shows as identified with the cart.
    s.keys(F12);
    s.wait_for(".login-user[data-user-id='1']");
    s.keys(&format!("1{ENTER}"));
    s.wait_for("#pin-pad");
    s.keys(&format!("1111{ENTER}"));
    s.wait_for("#scan-input");
    s.keys(&format!("6901234567892{ENTER}"));
    s.wait_for_n(".cart-line", 1, Duration::from_secs(10));
    s.keys(F7);
    let waiting = s.text(&s.wait_for("#customer-dialog"));
    assert!(waiting.contains("present their phone") || waiting.contains("identified"), "dialog: {waiting}");
    let identified = s.wait_for_n("#customer-identified", 1, Duration::from_secs(15));
    assert!(s.text(&identified[0]).contains("identified"));
    screenshot(&s, "customer.png");
    let chip = s.wait_for_n("#customer", 1, Duration::from_secs(10));
    assert!(s.text(&chip[0]).contains("identified"), "{}", s.text(&chip[0]));
    assert_eq!(s.find_all(".cart-line").len(), 1, "the cart is kept");
    s.end();

    // The pairing key the demo terminal got is in the database only sealed.
    let db = Connection::open(dir.path().join("till.db")).unwrap();
    let (terminal_id, sealed_len): (String, i64) = db
        .query_row(
            "SELECT terminal_id, length(pairing_key_sealed) FROM devices WHERE role = 'points-terminal'",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    assert_eq!((terminal_id.as_str(), sealed_len), ("TILL-SIM-0001", 1 + 12 + 32 + 16));
}

#[test]
fn a_sale_reaches_a_real_till_server_and_the_sync_chip_follows() {
    use std::sync::Arc;
    use till_core::SystemClock;
    use till_server::clock::OsEntropy;
    let dir = tempfile::tempdir().unwrap();
    let server_db = dir.path().join("server.db");
    let repo = Arc::new(till_server::repo::sqlite::SqliteRepository::open(&server_db).unwrap());
    let t = till_server::admin::add_terminal(&*repo, "e2e till", &SystemClock, &OsEntropy).unwrap();
    // Disabled at first, so the sale stays pending (and says why) long enough to be seen.
    till_server::admin::set_terminal_disabled(&*repo, &t.terminal_id, true).unwrap();
    let state = till_server::state::AppState::new(
        repo.clone(),
        Arc::new(SystemClock),
        Arc::new(OsEntropy),
        till_server::config::Config::default(),
    );
    let server = till_server::server::Background::start(state, None).unwrap();
    let data = dir.path().join("till");
    std::fs::create_dir_all(&data).unwrap();
    let env = [
        ("TILL_SYNC_URL", server.url()),
        ("TILL_SYNC_TERMINAL_ID", t.terminal_id.clone()),
        ("TILL_SYNC_SECRET", t.secret.clone()),
    ];
    let (_driver, base) = start_driver_with(&data, &env);
    let s = Session::start(&base, env!("CARGO_BIN_EXE_till")).expect("WebDriver session");
    s.wait_for(".login-user[data-user-id='1']");
    in_english(&s);
    s.wait_for(".login-user[data-user-id='1']");
    s.keys(&format!("1{ENTER}"));
    s.wait_for("#pin-pad");
    s.keys(&format!("1111{ENTER}"));
    s.wait_for("#scan-input");
    s.wait_for("#sync-status[data-pending='0']");

    s.keys(&format!("6901234567892{ENTER}"));
    s.wait_for(".cart-line");
    s.keys(F2);
    s.wait_for("#tendered");
    s.keys(&format!("100{ENTER}"));
    s.wait_for("#receipt");
    // The server answers (so the till is online) but refuses the terminal: one sale pending.
    let chip =
        s.wait_for_n("#sync-status[data-state='pending'][data-pending='1']", 1, Duration::from_secs(15)).remove(0);
    assert!(s.text(&chip).contains("1 pending"), "{}", s.text(&chip));
    let start = Instant::now();
    while !s.attribute(&chip, "title").contains("terminal_disabled") {
        assert!(start.elapsed() < Duration::from_secs(15), "no error on the chip: {:?}", s.attribute(&chip, "title"));
        std::thread::sleep(Duration::from_millis(200));
    }
    assert_eq!(s.attribute(&chip, "data-state"), "pending");
    s.click(&chip); // pins the last error open, for the screenshot
    screenshot(&s, "sync-status.png");

    till_server::admin::set_terminal_disabled(&*repo, &t.terminal_id, false).unwrap();
    let chip =
        s.wait_for_n("#sync-status[data-state='online'][data-pending='0']", 1, Duration::from_secs(30)).remove(0);
    assert!(s.text(&chip).contains("Online"), "{}", s.text(&chip));

    let local: String = Connection::open(data.join("till.db"))
        .unwrap()
        .query_row("SELECT order_no FROM orders", [], |r| r.get(0))
        .unwrap();
    let remote: Vec<String> = {
        let c = Connection::open(&server_db).unwrap();
        let mut q = c.prepare("SELECT order_id FROM orders").unwrap();
        let rows = q.query_map([], |r| r.get(0)).unwrap().map(|r| r.unwrap()).collect();
        rows
    };
    assert_eq!(remote, vec![local], "the server holds exactly the sale");
}

/// A Mastercard test card as a keyboard-wedge reader types it (service code 101: no PIN).
const MASTERCARD_SWIPE: &str = "%B5555555555554444^TEST/CARD^28121010000000000000?;5555555555554444=28121010000000000?";

/// Waits until `css` matches an element whose text contains `needle`.
fn wait_text(s: &Session, css: &str, needle: &str) -> String {
    let start = Instant::now();
    loop {
        let found = s.find_all(css).iter().map(|e| s.text(e)).find(|t| t.contains(needle));
        if let Some(t) = found {
            return t;
        }
        assert!(start.elapsed() < Duration::from_secs(15), "{css} never showed {needle:?}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn a_manager_finds_a_card_sale_reprints_it_closes_the_day_and_exports_csv() {
    let dir = tempfile::tempdir().unwrap();
    let (_driver, base) = start_driver(dir.path());
    let s = Session::start(&base, env!("CARGO_BIN_EXE_till")).expect("WebDriver session");
    s.wait_for(".login-user[data-user-id='1']");
    in_english(&s);

    // The cashier: one sale by card (a Mastercard typed by a wedge reader), one by cash.
    s.login_as("1", "1111");
    s.wait_for("#scan-input");
    s.keys(&format!("SVC-002{ENTER}"));
    s.wait_for_n(".cart-line", 1, Duration::from_secs(10));
    s.keys(&format!("{MASTERCARD_SWIPE}{ENTER}"));
    s.wait_for("#signature-pad");
    s.keys(ENTER);
    s.wait_for("#signature-empty");
    s.keys(ENTER);
    let receipt = s.text(&s.wait_for("#receipt"));
    assert!(receipt.contains("555555******4444"), "card receipt: {receipt}");
    s.click(&s.wait_for("#new-sale"));
    s.wait_for("#scan-input");
    s.keys(&format!("6901234567892{ENTER}"));
    s.wait_for_n(".cart-line", 1, Duration::from_secs(10));
    s.keys(F2);
    s.wait_for("#tendered");
    s.keys(&format!("100{ENTER}"));
    s.wait_for("#receipt");
    s.click(&s.wait_for("#new-sale"));
    s.wait_for("#scan-input");
    s.keys(F12);
    // Without a server the sales wait to be sent; logging out asks first.
    let start = Instant::now();
    while s.find_all(".login-user[data-user-id='2']").is_empty() {
        if !s.find_all("[role=alertdialog], [role=dialog]").is_empty() {
            s.keys(ENTER);
        }
        if start.elapsed() > Duration::from_secs(10) {
            screenshot(&s, "logout-failed.png");
            panic!("could not log out");
        }
        std::thread::sleep(Duration::from_millis(100));
    }

    // The manager: F8 opens the back office on the history.
    s.login_as("2", "2222");
    s.wait_for("#scan-input");
    screenshot(&s, "manager-till.png");
    s.keys(F8);
    s.wait_for("#history-list");
    s.wait_for_n(".history-row[data-order-id]", 2, Duration::from_secs(10));
    let last4 = s.wait_for("#history-last4");
    s.type_into(&last4, &format!("4444{ENTER}"));
    let start = Instant::now();
    let rows = loop {
        let rows = s.find_all(".history-row[data-order-id]");
        if rows.len() == 1 {
            break rows;
        }
        assert!(start.elapsed() < Duration::from_secs(10), "the filter left {} rows", rows.len());
        std::thread::sleep(Duration::from_millis(100));
    };
    assert_eq!(s.attribute(&rows[0], "data-order-id"), "1");
    screenshot(&s, "history.png");
    s.click(&rows[0]);
    // The detail opens with "Loading order…"; the card shows once the order is read.
    let detail = s.wait_for_text("#order-detail", "555555******4444");
    assert!(!detail.contains("5555555555554444"));
    screenshot(&s, "order-detail.png");
    // Printing opens the system dialog, which a headless run cannot answer.
    s.execute("window.print = () => { window.__printed = (window.__printed || 0) + 1; };");
    s.click(&s.wait_for("#reprint"));
    wait_text(&s, "#receipt", "555555******4444");
    s.keys(ESC);
    std::thread::sleep(Duration::from_millis(200));
    s.keys(ESC);
    std::thread::sleep(Duration::from_millis(200));

    // End of day: the X report, then the Z with the cash counted (the cash sale: 38.00).
    s.click(&s.wait_for("#tab-reports"));
    s.click(&s.wait_for("#report-x"));
    let x = wait_text(&s, "#report-view", "38.00");
    assert!(x.contains("2"), "X report: {x}");
    let counted = s.wait_for("#cash-counted");
    s.type_into(&counted, "37.50");
    s.click(&s.wait_for("#report-z"));
    s.wait_for("[role=dialog]");
    s.keys(ENTER);
    let z = wait_text(&s, "#report-view", "Z");
    let difference = s.wait_for("#report-cash-difference");
    assert_eq!(s.attribute(&difference, "data-state"), "short", "Z report: {z}");
    assert!(s.text(&difference).contains("-¥0.50"), "the difference is not shown: {z}");
    screenshot(&s, "z-report.png");

    // Export today's data to CSV.
    s.click(&s.wait_for("#tab-export"));
    s.click(&s.wait_for("#export-start"));
    wait_text(&s, "#export-files", "orders");
    let files: Vec<String> = s.find_all("#export-files li").iter().map(|li| s.text(li).trim().to_string()).collect();
    screenshot(&s, "export.png");

    // Every tab in Chinese: no English left behind, no raw message key.
    s.click(&s.wait_for("#lang-toggle"));
    wait_text(&s, "#tab-history", "历史");
    for tab in ["history", "reports", "charts", "export", "catalogue", "audit", "loyalty"] {
        s.click(&s.wait_for(&format!("#tab-{tab}")));
        let start = Instant::now();
        let text = loop {
            let text = s.text(&s.wait_for(&format!("#panel-{tab}")));
            if text.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c)) {
                break text;
            }
            assert!(start.elapsed() < Duration::from_secs(10), "no Chinese on the {tab} tab: {text}");
            std::thread::sleep(Duration::from_millis(100));
        };
        // Data (product names, cashiers) may stay English; the screen's own words may not.
        assert!(
            !["history.", "reports.", "office.", "charts.", "export.", "catalogue.", "audit.", "loyalty."]
                .iter()
                .any(|k| text.contains(k)),
            "a raw message key on the {tab} tab: {text}"
        );
        screenshot(&s, &format!("office-{tab}-zh.png"));
    }
    s.click(&s.wait_for("#lang-toggle"));
    wait_text(&s, "#tab-history", "History");
    s.end();

    assert_eq!(files.len(), 5, "one file per kind: {files:?}");
    let orders_csv = files.iter().find(|f| f.contains("/orders-") && f.ends_with(".csv")).unwrap();
    let csv = std::fs::read_to_string(orders_csv).unwrap();
    assert_eq!(csv.lines().count(), 3, "header and two orders: {csv}");
    let db = Connection::open(dir.path().join("till.db")).unwrap();
    let (closes, reprints): (i64, i64) = db
        .query_row(
            "SELECT (SELECT count(*) FROM day_closes), (SELECT count(*) FROM audit_log WHERE action = 'receipt.reprinted')",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    assert_eq!((closes, reprints), (1, 1));
    drop(db);
    // The card number is nowhere on disk, exports included.
    let pan = b"5555555555554444";
    for dir in [dir.path().to_path_buf(), dir.path().join("exports")] {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_file() {
                let bytes = std::fs::read(&path).unwrap();
                assert!(!bytes.windows(pan.len()).any(|w| w == pan), "test PAN found in {}", path.display());
            }
        }
    }
}

/// The WebDriver code for F11 (refunds).
const F11: &str = "\u{E03B}";
/// The WebDriver codes for the Control and Alt keys (held until the next NULL) and NULL.
const CTRL: &str = "\u{E009}";
const ALT: &str = "\u{E00A}";
const NULL: &str = "\u{E000}";

/// A till-server on 127.0.0.1 with this till registered, and the app's environment for it.
struct TestServer {
    server: till_server::server::Background,
    repo: std::sync::Arc<dyn till_server::repo::Repository>,
    db: std::path::PathBuf,
    env: Vec<(&'static str, String)>,
}

fn test_server(dir: &std::path::Path) -> TestServer {
    let s = till_server::local::LocalServer::start(&dir.join("server.db"), Default::default(), None).unwrap();
    let env = vec![
        ("TILL_SYNC_URL", s.url.clone()),
        ("TILL_SYNC_TERMINAL_ID", s.terminal_id.clone()),
        ("TILL_SYNC_SECRET", s.secret.clone()),
    ];
    TestServer { server: s.background, repo: s.repo, db: s.db, env }
}

impl TestServer {
    fn q(&self, sql: &str) -> i64 {
        Connection::open(&self.db).unwrap().query_row(sql, [], |r| r.get(0)).unwrap()
    }

    /// Waits until `sql` on the server's database gives `want`.
    fn wait_for(&self, sql: &str, want: i64) {
        let start = Instant::now();
        loop {
            let got = self.q(sql);
            if got == want {
                return;
            }
            assert!(start.elapsed() < Duration::from_secs(20), "{sql}: {got}, expected {want}");
            std::thread::sleep(Duration::from_millis(200));
        }
    }
}

/// A till-server, the app pointed at it (its data in `dir/till`), and the cashier signed in.
fn cashier_with_server(dir: &std::path::Path) -> (TestServer, std::path::PathBuf, Driver, Session) {
    let srv = test_server(dir);
    let data = dir.join("till");
    std::fs::create_dir_all(&data).unwrap();
    let (driver, base) = start_driver_with(&data, &srv.env);
    let s = Session::start(&base, env!("CARGO_BIN_EXE_till")).expect("WebDriver session");
    in_english(&s);
    s.login_as("1", "1111");
    s.wait_for("#scan-input");
    (srv, data, driver, s)
}

/// Sets a `<select>` by value as a person choosing an option would (Svelte listens to change).
fn choose(s: &Session, css: &str, value: &str) {
    s.wait_for(css);
    s.execute(&format!(
        "const e = document.querySelector({css:?}); e.value = {value:?}; e.dispatchEvent(new Event('change', {{ bubbles: true }}));"
    ));
}

/// Pays the cart in cash (a 5,000 note covers every cart here); the receipt's text.
fn pay_cash(s: &Session) -> String {
    s.keys(F2);
    s.wait_for("#tendered");
    s.keys(&format!("5000{ENTER}"));
    let receipt = s.wait_for("#receipt");
    s.text(&receipt)
}

/// Looks a sale up on the refund screen.
fn refund_lookup(s: &Session, mode: &str, text: &str) {
    s.click(&s.wait_for(&format!("#refund-mode-{mode}")));
    let input = s.wait_for("#refund-lookup-text");
    s.execute("document.querySelector('#refund-lookup-text').value = ''");
    s.type_into(&input, &format!("{text}{ENTER}"));
    s.wait_for("#refund-amount");
}

/// Confirms the refund (the irreversible step asks once more) and returns the receipt's text.
fn refund_confirm(s: &Session) -> String {
    s.click(&s.wait_for("#refund-confirm"));
    s.click(&s.wait_for("#confirm-ok"));
    let r = s.wait_for("#refund-receipt");
    s.text(&r)
}

#[test]
fn a_phone_is_refunded_by_its_imei_and_a_line_by_its_code_with_a_managers_pin() {
    let dir = tempfile::tempdir().unwrap();
    let (srv, data, _driver, s) = cashier_with_server(dir.path());

    // A phone: scanning it asks for its IMEI; a wrong check digit is refused at the counter.
    s.keys(&format!("PHN-001{ENTER}"));
    let imei = s.wait_for("#device-input");
    s.type_into(&imei, &format!("490154203237517{ENTER}"));
    wait_text(&s, "#device-error", "check digit");
    s.execute("document.querySelector('#device-input').value = ''");
    s.type_into(&imei, &format!("490154203237518{ENTER}"));
    s.wait_for(".device[data-device='490154203237518']");
    screenshot(&s, "cashier-imei.png");
    let phone_receipt = pay_cash(&s);
    assert!(phone_receipt.contains("490154203237518"), "{phone_receipt}");
    s.keys("n");

    // Three items; the second line's code is kept for its refund.
    s.wait_for("#scan-input");
    for code in ["TEA-01", "TEA-02", "DRK-001"] {
        s.keys(&format!("{code}{ENTER}"));
    }
    s.wait_for_n(".cart-line", 3, Duration::from_secs(10));
    pay_cash(&s);
    let codes: Vec<String> = s.find_all(".line-code").iter().map(|e| s.text(e)).collect();
    assert_eq!(codes.len(), 3);
    s.keys("n");
    // The server holds the phone under its blind, never its IMEI (docs/device-services.md).
    let blind = till_server::local::device_blind(&*srv.repo, "490154203237518").unwrap();
    srv.wait_for(&format!("SELECT count(*) FROM sold_devices WHERE blind = '{blind}'"), 1);

    // Refund the phone by scanning its IMEI; above the cashier's limit, left to the seller.
    s.wait_for("#scan-input");
    s.keys(F11);
    refund_lookup(&s, "device", "490154203237518");
    wait_text(&s, "#refund-amount", "3999.00");
    s.click(&s.wait_for("#refund-wait-seller"));
    screenshot(&s, "refund-imei.png");
    let receipt = refund_confirm(&s);
    assert!(receipt.contains("490154203237518"), "{receipt}");
    wait_text(&s, "#refund-status", "ending");
    srv.wait_for(&format!("SELECT refunded FROM sold_devices WHERE blind = '{blind}'"), 1);
    let server_refund: String = Connection::open(&srv.db)
        .unwrap()
        .query_row("SELECT refund_id FROM refunds WHERE device_blind IS NOT NULL", [], |r| r.get(0))
        .unwrap();
    till_server::routes::refunds::decide(&*srv.repo, &server_refund, true, "seller", 0).unwrap();
    s.click(&s.wait_for("#refund-refresh"));
    wait_text(&s, "#refund-status", "onfirmed");

    // Refund the second line by its code: the manager approves with their PIN.
    s.keys("n");
    refund_lookup(&s, "line_code", &codes[1]);
    wait_text(&s, "#refund-amount", "29.00");
    choose(&s, "#refund-manager", "2");
    let pin = s.wait_for("#refund-manager-pin");
    s.type_into(&pin, "2222");
    // A photo of the defect, as the file picker hands it over (WebKitWebDriver cannot drive
    // the picker itself): kept on the till, its SHA-256 sent.
    // Its kind is read from its bytes (a PNG signature), not its name.
    let bytes = b"\x89PNG\r\n\x1a\n a photo of a torn tea bag".to_vec();
    s.wait_for("#refund-photo");
    s.execute(&format!(
        "const dt = new DataTransfer(); dt.items.add(new File([new Uint8Array({:?})], 'defect.png', {{ type: 'image/png' }}));
         const input = document.querySelector('#refund-photo'); input.files = dt.files;
         input.dispatchEvent(new Event('change', {{ bubbles: true }}));",
        bytes
    ));
    s.wait_for("#refund-photo-name[title='defect.png']");
    screenshot(&s, "refund-line-code.png");
    let receipt = refund_confirm(&s);
    assert!(receipt.contains("Li Wei"), "{receipt}");
    let c = Connection::open(data.join("till.db")).unwrap();
    let (approval, amount): (String, i64) = c
        .query_row("SELECT approval, amount_minor FROM refunds ORDER BY id DESC LIMIT 1", [], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })
        .unwrap();
    assert_eq!((approval.as_str(), amount), ("manager", 2900));
    let evidence: String =
        c.query_row("SELECT evidence_sha256 FROM refunds ORDER BY id DESC LIMIT 1", [], |r| r.get(0)).unwrap();
    assert_eq!(evidence, hex::encode(<sha2::Sha256 as sha2::Digest>::digest(&bytes)));
    assert_eq!(std::fs::read(data.join("evidence").join(format!("{evidence}.img"))).unwrap(), bytes);
    let overrides: i64 =
        c.query_row("SELECT count(*) FROM audit_log WHERE action = 'refund.override'", [], |r| r.get(0)).unwrap();
    assert_eq!(overrides, 1);
    srv.wait_for("SELECT count(*) FROM refunds", 2);

    // The refund receipt in Chinese: no English left behind, no raw message key.
    s.click(&s.wait_for("#lang-toggle"));
    let text = wait_text(&s, "#refund-receipt", "退款");
    assert!(!text.contains("refund."), "a raw message key: {text}");
    screenshot(&s, "refund-receipt-zh.png");
    s.click(&s.wait_for("#lang-toggle"));
    drop(srv.server);
}

#[test]
fn a_customer_enrols_earns_redeems_and_is_refunded_with_the_balance_on_the_server() {
    let dir = tempfile::tempdir().unwrap();
    let (srv, _data, _driver, s) = cashier_with_server(dir.path());

    // Enrol: the QR code for the phone; the simulator's phone takes it.
    s.keys(&format!("{CTRL}e{NULL}"));
    s.wait_for("#enrol-account");
    screenshot(&s, "enrol-qr.png");
    s.click(&s.wait_for("#enrol-done"));
    let account: String = Connection::open(&srv.db)
        .unwrap()
        .query_row("SELECT account_id FROM points_accounts", [], |r| r.get(0))
        .unwrap();
    let balance =
        |want: i64| srv.wait_for(&format!("SELECT balance FROM points_accounts WHERE account_id = '{account}'"), want);
    balance(0);

    // Earn: 38.00 of tea, one point per yuan.
    s.keys(&format!("TEA-01{ENTER}"));
    s.wait_for(".cart-line");
    s.keys(F7);
    s.wait_for("#customer");
    let receipt = pay_cash(&s);
    assert!(receipt.contains("+38"), "{receipt}");
    wait_text(&s, "#receipt-points-balance", "38");
    balance(38);
    s.keys("n");

    // Redeem 10 points (0.10) against 29.00 of tea; earn on the 28.90 paid in cash.
    s.wait_for("#scan-input");
    s.keys(&format!("TEA-02{ENTER}"));
    s.wait_for(".cart-line");
    s.keys(F7);
    s.wait_for("#customer");
    s.keys(&format!("{ALT}p{NULL}"));
    let pts = s.wait_for("#redeem-points");
    s.type_into(&pts, &format!("10{ENTER}"));
    wait_text(&s, "#amount-to-pay", "28.90");
    let receipt = pay_cash(&s);
    assert!(receipt.contains("+28"), "{receipt}");
    wait_text(&s, "#receipt-points-balance", "56");
    screenshot(&s, "receipt-points.png");
    balance(56);
    let code = s.text(&s.find_all(".line-code")[0]);
    s.keys("n");

    // Refund that sale: the 28 earned come off and the 10 redeemed come back.
    s.wait_for("#scan-input");
    s.keys(F11);
    refund_lookup(&s, "line_code", &code);
    choose(&s, "#refund-manager", "2");
    s.type_into(&s.wait_for("#refund-manager-pin"), "2222");
    let receipt = refund_confirm(&s);
    assert!(receipt.contains("28") && receipt.contains("10"), "{receipt}");
    balance(38);
    drop(srv.server);
}
