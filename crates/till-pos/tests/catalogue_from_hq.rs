//! The catalogue from HQ through the till's application layer against a real till-server on
//! 127.0.0.1: the sync worker pulls HQ's products on start; `catalogue set-price` at HQ reaches
//! the till in one catalogue round and the cashier's next scan rings the new price; with the
//! server gone the till sells on with its last catalogue.
#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)]

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
