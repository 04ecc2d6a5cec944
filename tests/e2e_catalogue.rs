//! The catalogue from HQ, end to end through the real window (tauri-driver and WebKitWebDriver
//! under Xvfb, like tests/e2e_orders.rs), against a real till-server on 127.0.0.1: HQ imports
//! its catalogue, the till's sync worker pulls it and the cashier's scan rings HQ's price; HQ
//! changes the price (`catalogue set-price`), one catalogue round later the next scan rings the
//! new one.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a test fails by panicking

#[allow(dead_code)] // each test file uses part of the WebDriver client
mod support;

use std::path::Path;
use std::time::{Duration, Instant};
use support::till_server::{cashier, TestServer};
use support::webdriver::{ENTER, F2};
use till_core::{Clock, Currency, SystemClock};

/// The till's HQ cursor, read from its database beside the running app.
fn cursor(data: &Path) -> Option<String> {
    let c = rusqlite::Connection::open_with_flags(data.join("till.db"), rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
        .unwrap();
    c.query_row("SELECT cursor FROM hq_catalogue WHERE id = 1", [], |r| r.get(0)).ok()
}

/// Waits until the till applied a page after `before` (a catalogue round).
fn round_after(data: &Path, before: Option<String>) -> Option<String> {
    let start = Instant::now();
    loop {
        let now = cursor(data);
        if now.is_some() && now != before {
            return now;
        }
        assert!(start.elapsed() < Duration::from_secs(60), "no catalogue round");
        std::thread::sleep(Duration::from_millis(200));
    }
}

#[test]
fn a_price_changed_at_hq_rings_on_the_cashiers_next_scan() {
    let dir = tempfile::tempdir().unwrap();
    let srv = TestServer::start(dir.path());
    let csv = "sku,name,name_zh,price,tax_rate\nTEA-01,Green tea from HQ,总部绿茶,40.00,13\n";
    let now = SystemClock.now_unix();
    till_server::catalogue::import::import_csv(&*srv.repo, "default", csv.as_bytes(), Currency::CNY, now).unwrap();
    let (data, _driver, s) = cashier(dir.path(), &srv);
    let first = round_after(&data, None);

    let scan = s.wait_for("#scan-input");
    s.type_into(&scan, &format!("TEA-01{ENTER}"));
    s.wait_for_text("#total", "40.00");
    s.wait_for_text(".cart-line", "Green tea from HQ");
    s.keys(F2);
    s.wait_for("#tendered");
    s.keys(&format!("50{ENTER}"));
    s.wait_for("#receipt");
    s.keys("n");

    till_server::catalogue::set_price(&*srv.repo, "default", "TEA-01", "41.50", now).unwrap();
    round_after(&data, first);
    let scan = s.wait_for("#scan-input");
    s.type_into(&scan, &format!("TEA-01{ENTER}"));
    s.wait_for_text("#total", "41.50");
}
