//! An order pending collection, end to end through the real window (tauri-driver and
//! WebKitWebDriver under Xvfb, like tests/e2e_refunds.rs), against a real till-server on
//! 127.0.0.1: a web shop (this test, over HTTP with its merchant key) sends an order for the
//! store; the till's header shows the count; the cashier opens the Pending collection screen
//! (Alt+C), checks the customer's pickup code and takes cash; the server has the order collected
//! by that sale; the sale's lines carry line codes and the refund screen finds it like any sale.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a test fails by panicking

#[allow(dead_code)] // each test file uses part of the WebDriver client
mod support;

use serde_json::{json, Value};
use std::path::Path;
use std::time::{Duration, Instant};
use support::till_server::{cashier, TestServer};
use support::webdriver::{Session, ENTER, F2};

/// Alt+C (held Alt, then NULL releases it): the Pending collection screen.
const ALT_C: &str = "\u{E00A}c\u{E000}";
/// The WebDriver code for F11 (refunds).
const F11: &str = "\u{E03B}";

/// A till-server on 127.0.0.1 with this till registered and a web shop's merchant key.
struct Shop {
    srv: TestServer,
    merchant_key: String,
}

impl std::ops::Deref for Shop {
    type Target = TestServer;
    fn deref(&self) -> &TestServer {
        &self.srv
    }
}

impl Shop {
    fn start(dir: &Path) -> Shop {
        let srv = TestServer::start(dir);
        let merchant = till_server::merchants::add_merchant(
            &*srv.repo,
            "Web shop",
            till_server::merchants::DEFAULT_STORE,
            &till_core::SystemClock,
            &till_server::clock::OsEntropy,
        )
        .unwrap();
        Shop { srv, merchant_key: merchant.api_key }
    }

    /// The web shop's request, over HTTP with its key.
    fn merchant(&self, method: &str, path: &str, body: Option<&Value>) -> (u16, Value) {
        let req = ureq::request(method, &format!("{}{path}", self.url))
            .set("authorization", &format!("Bearer {}", self.merchant_key));
        let resp = match body {
            Some(b) => req.send_json(b.clone()),
            None => req.call(),
        };
        let resp = match resp {
            Ok(r) => r,
            Err(ureq::Error::Status(_, r)) => r,
            Err(e) => panic!("transport error: {e}"),
        };
        (resp.status(), resp.into_json().unwrap())
    }
}

/// Waits until the first element matching `css` has `name` = `want`.
fn wait_attr(s: &Session, css: &str, name: &str, want: &str, timeout: Duration) {
    let start = Instant::now();
    loop {
        if s.find_all(css).first().map(|e| s.attribute(e, name)).as_deref() == Some(want) {
            return;
        }
        assert!(start.elapsed() < timeout, "{css} [{name}] never became {want}: {}", s.page_text());
        std::thread::sleep(Duration::from_millis(200));
    }
}

#[test]
fn a_web_shops_order_is_collected_with_its_pickup_code_paid_in_cash_and_refundable() {
    let dir = tempfile::tempdir().unwrap();
    let srv = Shop::start(dir.path());
    let (_data, _driver, s) = cashier(dir.path(), &srv);
    wait_attr(&s, "#open-collect", "data-count", "0", Duration::from_secs(20));

    // The web shop sends an order: green tea ×2 at its promised 35.00 and chocolate at 15.00.
    let order = json!({
        "order_number": "WEB-1001", "store": "main",
        "customer": {"name": "Li Na", "phone": "+86 138 0013 8000"}, "currency": "CNY",
        "lines": [
            {"sku": "TEA-01", "name": "Organic green tea 250g", "quantity": 2, "unit_price_minor": 3500},
            {"sku": "SNK-002", "name": "Dark chocolate 100g", "quantity": 1, "unit_price_minor": 1500}
        ],
        "total_minor": 8500
    });
    let (status, sent) = srv.merchant("POST", "/v1/merchant/orders", Some(&order));
    assert_eq!(status, 201, "{sent}");
    let order_id = sent["order_id"].as_str().unwrap().to_string();
    let code = sent["pickup_code"].as_str().unwrap().to_string();

    // The till follows its store's orders: the header's count says one is waiting.
    wait_attr(&s, "#open-collect", "data-count", "1", Duration::from_secs(40));
    s.keys(ALT_C);
    let row = s.wait_for(".collect-order");
    assert_eq!(s.attribute(&row, "data-order-id"), order_id);
    s.keys(ENTER);
    s.wait_for("#collect-detail");
    s.wait_for_text("#collect-customer", "Li Na");
    s.wait_for_text("#collect-amount", "85.00");

    // A wrong code first: refused by the platform, nothing handed over.
    let wrong = if code == "000000" { "000001" } else { "000000" };
    let field = s.wait_for("#collect-code");
    s.type_into(&field, &format!("{wrong}{ENTER}"));
    wait_attr(&s, "#collect-error", "data-error-code", "wrong_pickup_code", Duration::from_secs(10));
    s.wait_for_text("#collect-code-state", "4 wrong codes");

    // The customer's code: reserved for this till, the items in the cart at the order's prices.
    s.execute("document.querySelector('#collect-code').value = ''");
    let field = s.wait_for("#collect-code");
    s.type_into(&field, &format!("{code}{ENTER}"));
    s.wait_for_n(".cart-line", 2, Duration::from_secs(10));
    s.wait_for_text("#total", "85.00");

    // Cash, as for any sale.
    s.keys(F2);
    s.wait_for("#tendered");
    s.keys(&format!("100{ENTER}"));
    s.wait_for("#receipt");
    let line_codes: Vec<String> = s.find_all(".line-code").iter().map(|e| s.text(e)).collect();
    assert_eq!(line_codes.len(), 2, "each line has its code");
    s.keys("n");
    s.wait_for("#scan-input");

    // The platform has the order collected by that sale; the merchant sees it.
    let start = Instant::now();
    let collected = loop {
        let (_, o) = srv.merchant("GET", &format!("/v1/merchant/orders/{order_id}"), None);
        if o["status"] == "collected" {
            break o;
        }
        assert!(start.elapsed() < Duration::from_secs(30), "not collected: {o}");
        std::thread::sleep(Duration::from_millis(300));
    };
    let sale_id = collected["collection"]["sale_order_id"].as_str().unwrap().to_string();
    assert!(collected["collection"].get("flag").is_none(), "{collected}");
    let terminal = collected["collection"]["terminal_id"].as_str().unwrap().to_string();
    let sale = till_server::repo::Repository::read(&*srv.repo).unwrap().order(&terminal, &sale_id).unwrap().unwrap();
    assert_eq!(sale.total_minor, 8500);
    // And the count goes back to nothing by itself.
    wait_attr(&s, "#open-collect", "data-count", "0", Duration::from_secs(40));

    // The sale is refundable like any other: the refund screen finds it by a line code.
    s.keys(F11);
    s.click(&s.wait_for("#refund-mode-line_code"));
    let input = s.wait_for("#refund-lookup-text");
    s.type_into(&input, &format!("{}{ENTER}", line_codes[0]));
    s.wait_for(".refund-line.matched");
    // The matched line, one unit, at the price the order promised.
    s.wait_for_text("#refund-amount", "35.00");
}
