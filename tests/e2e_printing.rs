//! Receipt printing through the real window (tauri-driver and WebKitWebDriver under Xvfb, like
//! tests/e2e.rs), against the simulated ESC/POS printer served on a real TCP port of
//! 127.0.0.1, as a network printer on port 9100 is reached.
//!
//! The installer adds the network printer by its address on the device setup and prints a test
//! page; a cashier's cash sale prints its receipt and kicks the drawer; with the paper out the
//! next sale is recorded all the same, the screen says what is wrong, and "paper loaded – print
//! again" prints the held receipt exactly once.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a test fails by panicking

#[allow(dead_code)] // each test file uses part of the WebDriver client
mod support;

use std::net::TcpListener;
use std::time::{Duration, Instant};
use support::webdriver::{Session, ENTER, F2};
use till_devices::printer::simulator::{serve, SimHandle};
use till_devices::printer::PaperWidth;

/// Waits until the printer has printed `n` jobs; answers them (the screen's text in the failure).
fn wait_jobs(s: &Session, printer: &SimHandle, n: usize) -> Vec<String> {
    let start = Instant::now();
    loop {
        let jobs = printer.jobs();
        if jobs.len() >= n {
            return jobs;
        }
        if start.elapsed() > Duration::from_secs(20) {
            panic!("{} jobs printed, {n} expected: {jobs:?}\nscreen: {}", jobs.len(), s.page_text());
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// One cash sale of the demo's green tea (¥38.00), paid with 50.
fn cash_sale(s: &Session) {
    s.wait_for("#scan-input");
    s.keys(&format!("6901234567892{ENTER}"));
    s.wait_for_n(".cart-line", 1, Duration::from_secs(10));
    s.keys(F2);
    s.wait_for("#tendered");
    s.keys(&format!("50{ENTER}"));
    s.wait_for("#receipt");
}

#[test]
fn an_installer_sets_up_a_network_printer_and_a_paper_fault_costs_neither_sale_nor_receipt() {
    let dir = tempfile::tempdir().unwrap();
    let printer = SimHandle::new(PaperWidth::Mm80);
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let address = format!("tcp://{}", listener.local_addr().unwrap());
    let _server = serve::tcp(printer.clone(), listener).unwrap();

    let env = [("TILL_DEMO", "1".to_string())];
    let (_driver, base) = support::driver::start(dir.path(), &env, &[]);
    let s = Session::start(&base, env!("CARGO_BIN_EXE_till")).expect("WebDriver session");
    s.wait_for(".login-user");
    s.execute("if (localStorage.getItem('till.locale') !== 'en') { localStorage.setItem('till.locale', 'en'); location.reload(); }");
    std::thread::sleep(Duration::from_millis(300));
    s.wait_for(".login-user");

    // The installer types the network printer's address, picks 58 mm paper and saves.
    s.login_as("3", "3333");
    // The button is drawn before the screen has settled: click until the form is there.
    let start = Instant::now();
    while s.find_all("#assign-uri").is_empty() {
        assert!(start.elapsed() < Duration::from_secs(20), "no address form: {}", s.page_text());
        if let Some(b) = s.find_all("#add-network-printer").first() {
            s.click(b);
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    let uri = s.wait_for("#assign-uri");
    s.execute("document.querySelector('#assign-uri').value = ''");
    s.type_into(&uri, &address);
    s.execute(
        "const p = document.querySelector('#assign-paper'); p.value = '58'; p.dispatchEvent(new Event('change'));",
    );
    s.click(&s.wait_for("#assign-save"));
    let saved = s.text(&s.wait_for("#assign-result"));
    assert!(saved.contains(&address), "{saved}");
    s.wait_for_text("#printer-paper", "58 mm");
    // F7 prints a test page on it.
    s.keys("\u{E037}");
    let jobs = wait_jobs(&s, &printer, 1);
    assert!(jobs[0].contains("[QR"), "the test page has a QR code: {}", jobs[0]);
    s.log_out_to("1");

    // A cashier's cash sale prints its receipt (shop, line code as text and QR code) and
    // opens the drawer.
    s.login_as("1", "1111");
    cash_sale(&s);
    // The drawer is kicked first (the cashier counts the change while the receipt prints).
    let jobs = wait_jobs(&s, &printer, 3);
    assert_eq!(jobs[1].trim(), "[DRAWER pin=0 on=50ms off=500ms]", "{jobs:?}");
    let receipt = &jobs[2];
    assert!(receipt.contains("[CUT]"), "{receipt}");
    let line_code = s.text(&s.wait_for("#receipt .line-code"));
    let line_code = line_code.trim().trim_start_matches("Line code").trim().to_string();
    assert!(receipt.contains(&format!("[QR {line_code}]")), "{line_code} as a QR code in {receipt}");
    assert!(printer.drawer_open(), "the drawer was kicked open");
    s.wait_for("#receipt-print-state[data-state='printed']");
    s.click(&s.wait_for("#new-sale"));

    // Paper out: the next sale is recorded and its receipt shown, the screen says what is
    // wrong, nothing prints, and the drawer opens all the same (a real-time kick) for the change.
    printer.drawer_closed();
    printer.paper_out();
    cash_sale(&s);
    s.wait_for_text("#printer-fault", "out of paper");
    s.wait_for("#receipt-print-state[data-state='held']");
    let held = s.wait_for(".held-job[data-kind='receipt']");
    assert_eq!(s.attribute(&held, "data-fault"), "paper-end");
    s.screenshot_for_docs("printer-paper-out.png");
    let jobs = wait_jobs(&s, &printer, 4);
    assert_eq!(jobs.len(), 4, "nothing printed while the paper is out: {jobs:?}");
    assert_eq!(jobs[3].trim(), "[DRAWER pin=0 on=100ms off=100ms]", "{jobs:?}");
    assert!(printer.drawer_open(), "the drawer opened for the change");
    let orders: i64 = {
        let db = rusqlite::Connection::open(dir.path().join("till.db")).unwrap();
        db.query_row("SELECT count(*) FROM orders", [], |r| r.get(0)).unwrap()
    };
    assert_eq!(orders, 2, "both sales are recorded");
    let second_code = s.text(&s.wait_for("#receipt .line-code")).trim().to_string();
    assert_ne!(second_code, line_code);

    // Paper loaded, print again: the held receipt prints once, and the alert goes.
    printer.paper_loaded();
    s.click(&s.wait_for("#print-retry"));
    wait_jobs(&s, &printer, 5);
    let start = Instant::now();
    while !s.find_all("#printer-alert").is_empty() {
        assert!(start.elapsed() < Duration::from_secs(10), "the printer alert stayed");
        std::thread::sleep(Duration::from_millis(100));
    }
    std::thread::sleep(Duration::from_secs(2));
    let jobs = printer.jobs();
    let printed = jobs.iter().filter(|j| j.contains(&format!("[QR {second_code}]"))).count();
    assert_eq!((jobs.len(), printed), (5, 1), "the held receipt printed exactly once: {jobs:?}");
    assert!(!jobs[4].contains("[DRAWER"), "the drawer is not kicked twice: {}", jobs[4]);

    // A manager watching the audit log refreshes it with F5 (the key reaches the screen; the
    // window itself never reloads): the printer set up again from the command line's side
    // shows as a new entry.
    s.click(&s.wait_for("#new-sale"));
    s.log_out_to("2");
    s.login_as("2", "2222");
    s.wait_for("#scan-input");
    s.keys("\u{E038}"); // F8: the back office
    s.wait_for("#office-back");
    s.keys("\u{E00A}6\u{E000}"); // Alt+6: the audit log
    s.wait_for("#audit-table");
    // Counted in the page: rows scrolled out of the table's view have no WebDriver text.
    let assigned = |s: &Session| {
        s.execute_async(
            "const done = arguments[arguments.length - 1];
             done([...document.querySelectorAll('#audit-table td.mono')].filter((c) => c.textContent === 'device.assigned').length);",
        )
        .as_u64()
        .unwrap()
    };
    let before = assigned(&s);
    let pos = till_pos::Pos::open(till_pos::PosConfig::demo(dir.path().join("till.db"))).unwrap();
    let installer = pos.login(3, "3333").unwrap().token;
    let again = till_pos::ipc::devices::DeviceAssignment {
        uri: address.clone(),
        role: till_core::DeviceRole::ReceiptPrinter,
        driver: "escpos".into(),
        baud: None,
        parity: None,
        swipe_timeout_s: None,
        paper_mm: Some(80),
        code_page: None,
    };
    pos.device_assign(&installer, &again).unwrap();
    drop(pos);
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(assigned(&s), before, "not shown before F5");
    s.keys("\u{E035}"); // F5
    let start = Instant::now();
    while assigned(&s) == before {
        assert!(start.elapsed() < Duration::from_secs(10), "F5 did not refresh the audit log: {}", s.page_text());
        std::thread::sleep(Duration::from_millis(100));
    }
    s.end();
}
