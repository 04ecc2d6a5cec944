//! Customers' payment codes through the real window (tauri-driver and WebKitWebDriver under
//! Xvfb, like tests/e2e.rs), against a real till-server on 127.0.0.1 whose sandbox platform
//! decides by the code:
//! - a WeChat Pay code scanned into the product field pays the cart: the receipt names the
//!   wallet and shows the code masked, the server has the sale paid by that wallet, and the
//!   code is nowhere in the till's files;
//! - an Alipay code with too low a balance is declined with the reason, the cart is kept, and
//!   cash then pays it.

#![allow(clippy::unwrap_used, clippy::expect_used)]

#[allow(dead_code)] // each test file uses part of the WebDriver client
mod support;

use std::path::{Path, PathBuf};
use std::time::Duration;
use support::till_server::{cashier, TestServer};
use support::webdriver::{ENTER, F2};

const WECHAT_PAID: &str = "134567890123456789";
const ALIPAY_LOW_BALANCE: &str = "2851234567890123";

/// Every file under `dir`, recursively.
fn files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap().flatten() {
        let p = e.path();
        if p.is_dir() {
            out.extend(files(&p));
        } else {
            out.push(p);
        }
    }
    out
}

#[test]
fn a_scanned_wallet_code_pays_and_a_declined_one_keeps_the_cart() {
    let dir = tempfile::tempdir().unwrap();
    let srv = TestServer::start(dir.path());
    let (data, _driver, s) = cashier(dir.path(), &srv);

    // Paid at once: the code goes into the product field like any barcode.
    s.keys(&format!("TEA-01{ENTER}"));
    s.wait_for_n(".cart-line", 1, Duration::from_secs(10));
    s.keys(&format!("{WECHAT_PAID}{ENTER}"));
    s.wait_for("#code-dialog");
    let receipt = s.wait_for("#receipt");
    let text = s.text(&receipt);
    assert!(text.contains("WeChat Pay") || s.page_text().contains("WeChat Pay"), "{}", s.page_text());
    assert!(s.page_text().contains("1345**********6789"), "{}", s.page_text());
    assert!(!s.page_text().contains(WECHAT_PAID));
    s.screenshot_for_docs("payment-code-receipt.png");
    srv.wait_count("SELECT count(*) FROM payments WHERE tender = 'payment_code'", 1);
    let paid = srv.rows("SELECT masked_pan, auth_code, tender FROM payments");
    assert_eq!(paid[0].0, "1345**********6789");
    assert!(paid[0].1.as_deref().is_some_and(|r| r.starts_with("WE")), "{paid:?}");
    s.keys("n");
    s.wait_for("#scan-input");

    // Declined: the reason is shown, the cart kept, and cash pays it.
    s.keys(&format!("TEA-01{ENTER}"));
    s.wait_for_n(".cart-line", 1, Duration::from_secs(10));
    s.keys(&format!("{ALIPAY_LOW_BALANCE}{ENTER}"));
    s.wait_for_text("#code-status-text", "balance is too low");
    s.screenshot_for_docs("payment-code-declined.png");
    s.keys("\u{E00C}"); // Esc
    s.wait_for("#scan-input");
    // charged once: a decline never re-sends the code
    assert_eq!(srv.rows("SELECT payment_id, NULL, NULL FROM authorizations WHERE status = 'declined'").len(), 1);
    assert_eq!(s.find_all(".cart-line").len(), 1, "the cart is kept");
    s.keys(F2);
    s.wait_for("#tendered");
    s.keys(&format!("5000{ENTER}"));
    s.wait_for("#receipt");
    srv.wait_count("SELECT count(*) FROM orders", 2);
    s.end();

    // The clear codes are nowhere in the till's data directory (database, WAL, log, printouts).
    for f in files(&data) {
        let bytes = std::fs::read(&f).unwrap_or_default();
        for code in [WECHAT_PAID, ALIPAY_LOW_BALANCE] {
            assert!(!bytes.windows(code.len()).any(|w| w == code.as_bytes()), "{code} in {f:?}");
        }
    }
}
