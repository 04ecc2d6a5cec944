//! Refunds decided once, through the real window (tauri-driver and WebKitWebDriver under Xvfb,
//! like tests/e2e.rs), against a real till-server on 127.0.0.1, with the demo's simulated
//! receipt printer inside the till writing each printout (and each drawer kick) to `printed/`.
//!
//! In every case the refund receipt on screen, the till's database, the server's record and the
//! drawer (a kick printed only when cash leaves it) agree:
//! - a manager's PIN approves an anonymous customer's cash refund of the shop's own line: paid at
//!   once, the drawer opens, the server has it `refunded` with the approver;
//! - a line sold for another seller pays nothing until that seller confirms; the cashier then
//!   finds the refund by its number and pays it out, with its slip and the drawer;
//! - a seller deciding two lines differently: one paid out, one refused, each shown so;
//! - a refund the server cannot accept while online is refused before any money moves.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a test fails by panicking

#[allow(dead_code)] // each test file uses part of the WebDriver client
mod support;

use rusqlite::Connection;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};
use support::till_server::{cashier, TestServer};
use support::webdriver::{Session, ENTER, F2};

/// The WebDriver code for F11 (refunds).
const F11: &str = "\u{E03B}";

/// A cash sale of `codes` (one line each); the receipt's line codes.
fn sell(s: &Session, codes: &[&str]) -> Vec<String> {
    s.wait_for("#scan-input");
    for code in codes {
        s.keys(&format!("{code}{ENTER}"));
    }
    s.wait_for_n(".cart-line", codes.len(), Duration::from_secs(10));
    s.keys(F2);
    s.wait_for("#tendered");
    s.keys(&format!("5000{ENTER}"));
    s.wait_for("#receipt");
    let line_codes = s.find_all(".line-code").iter().map(|e| s.text(e)).collect();
    s.keys("n");
    s.wait_for("#scan-input");
    line_codes
}

/// Opens the refund screen and finds the sale by a line code (then waits for `ready`).
fn find_sale_then(s: &Session, line_code: &str, ready: &str) {
    s.keys(F11);
    s.click(&s.wait_for("#refund-mode-line_code"));
    let input = s.wait_for("#refund-lookup-text");
    s.execute("document.querySelector('#refund-lookup-text').value = ''");
    s.type_into(&input, &format!("{line_code}{ENTER}"));
    s.wait_for(ready);
}

/// Opens the refund screen, finds the sale by a line code and waits for the quote.
fn find_sale(s: &Session, line_code: &str) {
    find_sale_then(s, line_code, "#refund-amount");
}

/// Whether any printout after the first `after` kicked the drawer.
fn kicked_since(data: &Path, after: usize) -> bool {
    printouts(data).iter().skip(after).any(|p| p.contains("[DRAWER"))
}

/// Confirms the refund (it asks once more) and waits for its receipt.
fn confirm_refund(s: &Session) {
    s.click(&s.wait_for("#refund-confirm"));
    s.click(&s.wait_for("#confirm-ok"));
    s.wait_for("#refund-receipt");
}

/// Each line's state on the refund receipt (`data-state`).
fn line_states(s: &Session) -> Vec<String> {
    let v = s.execute_async(
        "const done = arguments[arguments.length - 1];
         done([...document.querySelectorAll('#refund-receipt .refund-line-state')].map(e => e.dataset.state));",
    );
    v.as_array().unwrap().iter().map(|x| x.as_str().unwrap().to_string()).collect()
}

/// The attribute `name` of the first element matching `css`.
fn attr(s: &Session, css: &str, name: &str) -> String {
    s.attribute(&s.wait_for(css), name)
}

/// Waits until `css` has `data-<name>` = `want`.
fn wait_attr(s: &Session, css: &str, name: &str, want: &str) {
    let start = Instant::now();
    loop {
        if s.find_all(css).first().map(|e| s.attribute(e, name)).as_deref() == Some(want) {
            return;
        }
        assert!(start.elapsed() < Duration::from_secs(15), "{css} [{name}] never became {want}: {}", s.page_text());
        std::thread::sleep(Duration::from_millis(150));
    }
}

/// The printouts of the till's simulated printer so far, oldest first.
fn printouts(data: &Path) -> Vec<String> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(data.join("printed"))
        .map(|d| d.map(|e| e.unwrap().path()).filter(|p| p.extension().is_some_and(|x| x == "txt")).collect())
        .unwrap_or_default();
    files.sort();
    files.iter().map(|p| std::fs::read_to_string(p).unwrap()).collect()
}

/// Waits until there are `n` printouts; answers them.
fn wait_printouts(data: &Path, n: usize) -> Vec<String> {
    let start = Instant::now();
    loop {
        let p = printouts(data);
        if p.len() >= n {
            return p;
        }
        assert!(start.elapsed() < Duration::from_secs(15), "{} printouts, expected {n}: {p:?}", p.len());
        std::thread::sleep(Duration::from_millis(150));
    }
}

/// The till's own word on the latest refund: (status, lines paid).
fn till_refund(data: &Path) -> (String, i64) {
    Connection::open(data.join("till.db"))
        .unwrap()
        .query_row(
            "SELECT r.status, (SELECT count(*) FROM refund_lines l WHERE l.refund_id = r.id AND l.paid_at_ms IS NOT NULL)
               FROM refunds r ORDER BY r.id DESC LIMIT 1",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap()
}

#[test]
fn a_managers_pin_pays_an_anonymous_customers_cash_refund_at_once_and_the_server_agrees() {
    let dir = tempfile::tempdir().unwrap();
    let srv = TestServer::start(dir.path());
    let (data, _driver, s) = cashier(dir.path(), &srv);
    let codes = sell(&s, &["TEA-02"]);
    srv.wait_orders(1);
    let sale_prints = wait_printouts(&data, 1).len();

    find_sale(&s, &codes[0]);
    // No customer: below the server's threshold; the shop's own line needs a manager.
    wait_attr(&s, "#refund-decisions [data-decision]", "data-decision", "needs_approval");
    s.execute(
        "const e = document.querySelector('#refund-manager'); e.value = '2'; e.dispatchEvent(new Event('change', { bubbles: true }));",
    );
    let pin = s.wait_for("#refund-manager-pin");
    s.type_into(&pin, "2222");
    confirm_refund(&s);
    assert_eq!(line_states(&s), ["paid"]);
    assert_eq!(attr(&s, "#refund-status", "data-status"), "confirmed");
    s.wait_for_text("#refund-sum-paid", "29.00");
    // The drawer opened for the cash that left it (a kick, then the refund receipt).
    let prints = wait_printouts(&data, sale_prints + 2);
    assert!(prints[sale_prints].contains("[DRAWER") && prints[sale_prints + 1].contains("REFUND"), "{prints:?}");
    assert_eq!(till_refund(&data), ("confirmed".to_string(), 1));
    srv.wait_refunds(1);
    let start = Instant::now();
    while srv.rows("SELECT status, decided_by, approved_by FROM refunds")[0].0 != "refunded" {
        assert!(start.elapsed() < Duration::from_secs(15));
        std::thread::sleep(Duration::from_millis(200));
    }
    assert_eq!(
        srv.rows("SELECT status, decided_by, approved_by FROM refunds"),
        [("refunded".to_string(), Some("shop_manager".to_string()), Some("Li Wei".to_string()))]
    );
}

#[test]
fn another_sellers_line_pays_nothing_until_confirmed_then_is_paid_out_with_its_slip() {
    let dir = tempfile::tempdir().unwrap();
    let srv = TestServer::start(dir.path());
    let (data, _driver, s) = cashier(dir.path(), &srv);
    let codes = sell(&s, &["MKT-001"]);
    srv.wait_orders(1);
    let sale_prints = wait_printouts(&data, 1).len();

    find_sale(&s, &codes[0]);
    // Sold for Acme Audio: it waits for Acme whatever a manager says; no approval is asked.
    wait_attr(&s, "#refund-decisions [data-decision]", "data-decision", "await_seller");
    confirm_refund(&s);
    assert_eq!(line_states(&s), ["awaiting_seller"]);
    assert_eq!(attr(&s, "#refund-status", "data-status"), "pending");
    s.wait_for_text("#refund-sum-awaiting", "199.00");
    let refund_no = s.text(&s.wait_for("#refund-no"));
    // Its receipt printed, and the drawer stayed shut: no money left.
    let prints = wait_printouts(&data, sale_prints + 1);
    assert!(prints[sale_prints].contains("REFUND"), "{prints:?}");
    assert!(!kicked_since(&data, sale_prints), "{prints:?}");
    assert_eq!(till_refund(&data), ("pending".to_string(), 0));
    srv.wait_refunds(1);

    // Acme confirms on the server. The cashier finds the refund by its number and pays it out.
    srv.seller_decides(19_900, true, "acme-audio");
    s.click(&s.wait_for("#refund-new"));
    s.click(&s.wait_for("#refund-mode-refund_no"));
    let input = s.wait_for("#refund-lookup-text");
    s.type_into(&input, &format!("{}{ENTER}", refund_no.trim()));
    s.wait_for("#refund-receipt");
    s.click(&s.wait_for("#refund-refresh"));
    wait_attr(&s, "#refund-receipt .refund-line-state", "data-state", "to_pay_out");
    s.wait_for_text("#refund-sum-to-pay-out", "199.00");
    s.click(&s.wait_for("#refund-pay-out"));
    s.click(&s.wait_for("#confirm-ok"));
    wait_attr(&s, "#refund-receipt .refund-line-state", "data-state", "paid");
    // The pay-out: the drawer opens, then its slip prints.
    let prints = wait_printouts(&data, sale_prints + 3);
    assert!(prints[sale_prints + 1].contains("[DRAWER"), "{prints:?}");
    assert!(prints[sale_prints + 2].contains("PAID OUT"), "{prints:?}");
    assert_eq!(till_refund(&data), ("confirmed".to_string(), 1));
    assert_eq!(srv.rows("SELECT status, decided_by, NULL FROM refunds")[0].0, "refunded");
    // Once: nothing is left to pay out.
    assert!(s.find_all("#refund-pay-out:not([disabled])").is_empty());
}

#[test]
fn a_seller_deciding_two_lines_differently_shows_each_and_pays_only_the_confirmed_one() {
    let dir = tempfile::tempdir().unwrap();
    let srv = TestServer::start(dir.path());
    let (data, _driver, s) = cashier(dir.path(), &srv);
    let codes = sell(&s, &["TEA-01", "TEA-02"]);
    srv.wait_orders(1);
    find_sale(&s, &codes[0]);
    // Both lines; the cashier leaves the refund to the seller.
    s.execute(
        "document.querySelectorAll('#refund-lines input[type=number]').forEach(i => { i.value = i.max; i.dispatchEvent(new Event('input', { bubbles: true })); });",
    );
    s.wait_for_text("#refund-amount", "67.00");
    s.click(&s.wait_for("#refund-wait-seller"));
    confirm_refund(&s);
    assert_eq!(line_states(&s), ["awaiting_seller", "awaiting_seller"]);
    srv.wait_refunds(2);
    srv.seller_decides(3_800, true, "shop");
    srv.seller_decides(2_900, false, "shop");
    s.click(&s.wait_for("#refund-refresh"));
    wait_attr(&s, "#refund-status", "data-status", "confirmed");
    assert_eq!(line_states(&s), ["to_pay_out", "refused"]);
    s.wait_for_text("#refund-sum-to-pay-out", "38.00");
    s.click(&s.wait_for("#refund-pay-out"));
    s.click(&s.wait_for("#confirm-ok"));
    wait_attr(&s, "#refund-receipt .refund-line-state", "data-state", "paid");
    assert_eq!(line_states(&s), ["paid", "refused"]);
    // The till, the server and the drawer agree line by line.
    assert_eq!(till_refund(&data), ("confirmed".to_string(), 1));
    let server: Vec<String> = srv
        .rows("SELECT status, NULL, NULL FROM refunds ORDER BY amount_minor DESC")
        .into_iter()
        .map(|r| r.0)
        .collect();
    assert_eq!(server, ["refunded", "rejected"]);
    let kicks = wait_printouts(&data, 5).iter().filter(|p| p.contains("[DRAWER")).count();
    assert_eq!(kicks, 2, "the sale's and the pay-out's, not the pending refund's");
}

#[test]
fn a_refund_the_server_cannot_accept_is_refused_online_and_no_money_moves() {
    let dir = tempfile::tempdir().unwrap();
    let srv = TestServer::start(dir.path());
    let (data, _driver, s) = cashier(dir.path(), &srv);
    let codes = sell(&s, &["TEA-01"]);
    srv.wait_orders(1);
    let sale_prints = wait_printouts(&data, 1).len();
    // The chain's server already refunded this line elsewhere: it holds nothing more for it.
    Connection::open(&srv.db).unwrap().execute("UPDATE order_lines SET refunded_minor = total_minor", []).unwrap();

    find_sale_then(&s, &codes[0], "#refund-quote-error");
    // The quote already asks the server: it says why before anything is recorded.
    s.wait_for_text("#refund-quote-error", "refund_exceeds_paid");
    assert!(s.find_all("#refund-confirm:not([disabled])").is_empty(), "nothing to confirm");
    let refunds: i64 = Connection::open(data.join("till.db"))
        .unwrap()
        .query_row("SELECT count(*) FROM refunds", [], |r| r.get(0))
        .unwrap();
    assert_eq!(refunds, 0, "nothing recorded");
    std::thread::sleep(Duration::from_millis(500));
    assert_eq!(printouts(&data).len(), sale_prints, "nothing printed, the drawer stayed shut");
}
