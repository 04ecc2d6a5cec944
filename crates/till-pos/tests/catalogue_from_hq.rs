//! The catalogue from HQ through the till's application layer against a real till-server on
//! 127.0.0.1: the sync worker pulls HQ's products on start; `catalogue set-price` at HQ reaches
//! the till in one catalogue round and the cashier's next scan rings the new price; with the
//! server gone the till sells on with its last catalogue. And through the HQ console in a real
//! browser (headless Chromium through chromedriver, the console tests' own WebDriver client):
//! an admin changes the price on the catalogue page and the till's next round and scan ring it.
#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)]

#[path = "../../till-server/tests/support/browser.rs"]
mod browser;
mod support;

use std::time::{Duration, Instant};
use support::{online, server};
use till_core::{Clock, Currency, SystemClock};
use till_pos::{Pos, PosConfig};

const CASHIER: i64 = 1;

fn till() -> (tempfile::TempDir, Pos) {
    let dir = tempfile::tempdir().unwrap();
    let pos = Pos::open(PosConfig::demo(dir.path().join("till.db"))).unwrap();
    (dir, pos)
}

/// Waits until the till's HQ cursor differs from `before` (one catalogue round applied a page).
fn round_after(p: &Pos, before: Option<String>) -> Option<String> {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let now = p.store().hq_catalogue_cursor().unwrap();
        if now != before {
            return now;
        }
        assert!(Instant::now() < deadline, "no catalogue round: {:?}", p.sync_catalogue_error());
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn scanned_price(p: &Pos, token: &till_core::SessionToken, code: &str) -> i64 {
    let cart = p.cart_scan(token, code).unwrap();
    cart.lines.last().unwrap().unit_price.minor()
}

#[test]
fn a_price_changed_at_hq_rings_on_the_next_scan_and_offline_the_till_sells_on() {
    let srv = server();
    let now = SystemClock.now_unix();
    let csv = "sku,name,name_zh,price,tax_rate\nTEA-01,Green tea (HQ),绿茶,40.00,13\nHQ-NEW,Only at HQ,,12.00,13\n";
    till_server::catalogue::import::import_csv(&*srv.repo, "default", csv.as_bytes(), Currency::CNY, now).unwrap();
    let (_d, p) = till();
    p.set_sync_catalogue_every(Duration::from_millis(50));
    let c = p.login(CASHIER, "1111").unwrap().token;
    // The demo catalogue's own TEA-01 rings at its local price before HQ is heard of.
    let local = scanned_price(&p, &c, "TEA-01");
    assert_ne!(local, 4000);
    p.cart_clear(&c).unwrap();

    online(&p, &srv);
    let cursor = round_after(&p, None);
    assert_eq!(scanned_price(&p, &c, "TEA-01"), 4000, "HQ's product took over the SKU");
    assert_eq!(scanned_price(&p, &c, "HQ-NEW"), 1200);
    let cart = p.cart_get(&c).unwrap();
    p.checkout_cash(&c, &cart.cart_id, 10_000).unwrap();

    till_server::catalogue::set_price(&*srv.repo, "default", "TEA-01", "41.50", now).unwrap();
    round_after(&p, cursor);
    assert_eq!(scanned_price(&p, &c, "TEA-01"), 4150, "the next scan after one round");

    // Offline: the server is gone; the till sells on with the catalogue it has.
    drop(srv);
    assert_eq!(scanned_price(&p, &c, "HQ-NEW"), 1200);
    let cart = p.cart_get(&c).unwrap();
    assert_eq!(cart.total.minor(), 5350);
    let receipt = p.checkout_cash(&c, &cart.cart_id, 10_000).unwrap();
    assert_eq!(receipt.total.minor(), 5350);
}

#[test]
fn a_price_changed_in_the_console_rings_after_the_tills_next_round() {
    let srv = server();
    let now = SystemClock.now_unix();
    let csv = "sku,barcode,name,price,tax_rate\nTEA-01,6901234567892,Green tea (HQ),40.00,13\n";
    till_server::catalogue::import::import_csv(&*srv.repo, "default", csv.as_bytes(), Currency::CNY, now).unwrap();
    let password = "hq price editor 1";
    till_server::console::admins::add_admin(
        &*srv.repo,
        "hq",
        "default",
        password,
        &SystemClock,
        &till_server::clock::OsEntropy,
    )
    .unwrap();
    let (_d, p) = till();
    p.set_sync_catalogue_every(Duration::from_millis(50));
    let c = p.login(CASHIER, "1111").unwrap().token;
    online(&p, &srv);
    let cursor = round_after(&p, None);
    assert_eq!(scanned_price(&p, &c, "6901234567892"), 4000, "HQ's price, scanned by barcode");
    p.cart_clear(&c).unwrap();

    let b = browser::Browser::start();
    b.go(&format!("{}/console/sign-in", srv.url));
    b.type_into("#username", "hq");
    b.type_into("#password", password);
    b.click("#sign-in");
    b.wait_for("#admin-name");
    // Alt+6 is the catalogue; the product's Edit link, the price, Save.
    b.alt("6");
    b.wait_for("#products tr[data-sku='TEA-01']");
    assert_eq!(b.text("h1"), "Catalogue");
    assert_eq!(b.text("#products tr[data-sku='TEA-01'] td.price"), "CNY 40.00");
    b.click("#products tr[data-sku='TEA-01'] a.edit-link");
    b.wait_for("form.product-form");
    assert_eq!(b.execute("return document.activeElement.id;"), "name", "the keyboard starts at the name");
    // A price the till cannot ring is shown in the form and changes nothing.
    b.type_into("#price", "41.505");
    b.click("#save");
    assert!(b.text("#price-error").contains("12.50"), "{}", b.page_text());
    assert_eq!(b.execute("return document.activeElement.id;"), "price", "the keyboard is at the field to fix");
    b.type_into("#price", "41.50");
    b.click("#save");
    assert!(b.text("#done").contains("saved"), "{}", b.page_text());
    assert_eq!(b.text("#products tr[data-sku='TEA-01'] td.price"), "CNY 41.50");

    // The till's next catalogue round, then the next scan rings the new price.
    round_after(&p, cursor);
    assert_eq!(scanned_price(&p, &c, "6901234567892"), 4150, "the next scan after one round");
    let audit = srv.repo.read().unwrap().console_audit("default", 10).unwrap();
    let change = audit.iter().find(|a| a.entry.action == "catalogue.update").expect("the change is audited");
    assert_eq!((change.entry.admin.as_str(), change.entry.subject.as_str()), ("hq", "TEA-01"));
    assert!(change.entry.detail.contains("price_minor 4000 -> 4150"), "{}", change.entry.detail);
}
