//! Customers' payment codes against a real till-server on 127.0.0.1: recognised in the scan
//! field, charged through the payment journal, followed while the customer confirms on the
//! phone, taken back when nobody confirms, and never written anywhere in clear.
#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::sync::{Arc, Mutex};
use std::time::Duration;
use support::{drained, online, server, Server};
use till_core::{Clock, ManualClock, SessionToken};
use till_pos::ipc::sale::CodePaymentView;
use till_pos::ipc::views::{CartView, Tender};
use till_pos::{ErrorCode, Pos, PosConfig};

const CASHIER: i64 = 1;
const PAID_AT_ONCE: &str = "134567890123456789";
const LOW_BALANCE: &str = "2851234567890123";
const CONFIRMS: &str = "6271234567890123456";
const NEVER_ANSWERS: &str = "139567890123456789";

fn till(clock: Arc<dyn Clock>) -> (tempfile::TempDir, Pos) {
    let dir = tempfile::tempdir().unwrap();
    let config =
        PosConfig { clock, code_poll: Duration::from_millis(100), ..PosConfig::demo(dir.path().join("till.db")) };
    (dir, Pos::open(config).unwrap())
}

fn system() -> Arc<dyn Clock> {
    Arc::new(till_core::SystemClock)
}

fn cart(p: &Pos, t: &SessionToken) -> CartView {
    p.cart_scan(t, "TEA-01").unwrap()
}

/// Pays `code` and returns the outcome with every status pushed on the way.
fn pay(p: &Pos, t: &SessionToken, cart: &CartView, code: &str) -> (till_pos::Result<i64>, Vec<String>) {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let s = seen.clone();
    let watch: till_pos::ipc::watch::Watch<CodePaymentView> = Arc::new(move |v: &CodePaymentView| {
        assert!(!v.masked_code.contains(&code_digits(v)), "a clear code was pushed");
        s.lock().unwrap().push(v.status.clone());
    });
    let r = p.payment_code_pay(t, &cart.cart_id, code, watch).map(|r| r.order_id);
    let mut statuses: Vec<String> = seen.lock().unwrap().clone();
    statuses.dedup();
    (r, statuses)
}

fn code_digits(v: &CodePaymentView) -> String {
    // the masked form never holds more than eight digits
    assert!(v.masked_code.chars().filter(char::is_ascii_digit).count() <= 8);
    "no clear code here".into()
}

fn server_status(srv: &Server, payment_id_like: &str) -> Vec<(String, String)> {
    let c = rusqlite::Connection::open(&srv.db).unwrap();
    let mut s = c.prepare("SELECT status, masked_pan FROM authorizations WHERE order_id LIKE ?1").unwrap();
    s.query_map([payment_id_like], |r| Ok((r.get(0)?, r.get(1)?))).unwrap().map(|r| r.unwrap()).collect()
}

#[test]
fn a_scanned_code_is_payment_and_the_sale_names_the_wallet_and_never_the_code() {
    let srv = server();
    let (dir, p) = till(system());
    online(&p, &srv);
    let t = p.login(CASHIER, "1111").unwrap().token;
    let cart = cart(&p, &t);
    let e = p.cart_scan(&t, PAID_AT_ONCE).unwrap_err();
    assert_eq!(e.code(), ErrorCode::PaymentCodeScanned);
    assert!(!e.to_string().contains(PAID_AT_ONCE));
    let (order, statuses) = pay(&p, &t, &cart, PAID_AT_ONCE);
    let order = order.unwrap();
    assert_eq!(statuses, vec!["submitting", "paid"]);
    let receipt = p.receipt(&t, till_core::OrderId::new(order).unwrap()).unwrap();
    assert_eq!(receipt.payment.tender, Tender::PaymentCode);
    assert_eq!(receipt.payment.card_brand.as_deref(), Some("wechat_pay"));
    assert_eq!(receipt.payment.card_masked.as_deref(), Some("1345**********6789"));
    drained(&p);
    let c = rusqlite::Connection::open(&srv.db).unwrap();
    let (tender, masked): (String, String) =
        c.query_row("SELECT tender, masked_pan FROM payments", [], |r| Ok((r.get(0)?, r.get(1)?))).unwrap();
    assert_eq!((tender.as_str(), masked.as_str()), ("payment_code", "1345**********6789"));
    drop(p);
    // the code is a bearer instrument: nowhere on disk, in the till's files or the server's
    let mut files: Vec<std::path::PathBuf> =
        std::fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().path()).filter(|p| p.is_file()).collect();
    files.push(srv.db.clone());
    files.push(srv.db.with_extension("db-wal"));
    for f in files {
        let bytes = std::fs::read(&f).unwrap_or_default();
        assert!(!bytes.windows(PAID_AT_ONCE.len()).any(|w| w == PAID_AT_ONCE.as_bytes()), "code in {f:?}");
    }
}

#[test]
fn a_declined_code_charges_nothing_and_keeps_the_cart() {
    let srv = server();
    let (_d, p) = till(system());
    online(&p, &srv);
    let t = p.login(CASHIER, "1111").unwrap().token;
    let cart = cart(&p, &t);
    let (r, statuses) = pay(&p, &t, &cart, LOW_BALANCE);
    let e = r.unwrap_err();
    assert_eq!(e.code(), ErrorCode::PaymentCodeDeclined);
    assert!(e.to_string().contains("insufficient_balance"), "{e}");
    assert_eq!(statuses.last().map(String::as_str), Some("declined"));
    assert_eq!(p.cart_get(&t).unwrap().cart_id, cart.cart_id, "the cart is kept");
    let journal = p.store().journal_of_checkout(cart.cart_id.as_str()).unwrap();
    assert_eq!(journal.iter().map(|j| j.state.as_str()).collect::<Vec<_>>(), vec!["declined"]);
}

#[test]
fn a_customer_confirming_on_the_phone_is_followed_until_paid() {
    let srv = server();
    let (_d, p) = till(system());
    online(&p, &srv);
    let t = p.login(CASHIER, "1111").unwrap().token;
    let cart = cart(&p, &t);
    let (r, statuses) = pay(&p, &t, &cart, CONFIRMS);
    assert!(r.is_ok(), "{r:?}");
    assert_eq!(statuses, vec!["submitting", "user_paying", "paid"]);
    assert_eq!(server_status(&srv, "%").iter().map(|s| s.0.as_str()).collect::<Vec<_>>(), vec!["approved"]);
}

#[test]
fn a_code_nobody_confirms_is_taken_back_after_a_minute_and_the_cart_is_kept() {
    let srv = server();
    let clock = Arc::new(ManualClock::at_unix(till_core::SystemClock.now_unix()));
    let (_d, p) = till(clock.clone());
    online(&p, &srv);
    let t = p.login(CASHIER, "1111").unwrap().token;
    let cart = cart(&p, &t);
    // the till's minute passes in a second of real time
    let ticking = clock.clone();
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let stopped = stop.clone();
    let ticker = std::thread::spawn(move || {
        while !stopped.load(std::sync::atomic::Ordering::SeqCst) {
            ticking.advance(5_000);
            std::thread::sleep(Duration::from_millis(100));
        }
    });
    let (r, statuses) = pay(&p, &t, &cart, NEVER_ANSWERS);
    stop.store(true, std::sync::atomic::Ordering::SeqCst);
    ticker.join().unwrap();
    let e = r.unwrap_err();
    assert_eq!(e.code(), ErrorCode::PaymentCodeUnconfirmed, "{e}");
    assert!(
        statuses.contains(&"user_paying".to_string()) && statuses.contains(&"reversing".to_string()),
        "{statuses:?}"
    );
    assert_eq!(p.cart_get(&t).unwrap().cart_id, cart.cart_id);
    // the reversal goes out through the outbox, and the platform closes the payment unpaid
    drained(&p);
    assert_eq!(server_status(&srv, "%").iter().map(|s| s.0.as_str()).collect::<Vec<_>>(), vec!["reversed"]);
    let journal = p.store().journal_of_checkout(cart.cart_id.as_str()).unwrap();
    assert_eq!(journal.iter().map(|j| j.state.as_str()).collect::<Vec<_>>(), vec!["reversed"]);
}

#[test]
fn without_a_payments_server_no_code_is_taken() {
    let (_d, p) = till(system());
    let t = p.login(CASHIER, "1111").unwrap().token;
    let cart = cart(&p, &t);
    let (r, _) = pay(&p, &t, &cart, PAID_AT_ONCE);
    assert_eq!(r.unwrap_err().code(), ErrorCode::PaymentCodesNotSetUp);
    assert!(
        p.store().journal_of_checkout(cart.cart_id.as_str()).unwrap().is_empty(),
        "nothing journalled, nothing sent"
    );
}

#[test]
fn a_refund_of_a_code_sale_goes_back_to_the_same_wallet() {
    use till_pos::ipc::refund::{RefundInput, RefundLineInput, RefundLookup};
    let srv = server();
    let (_d, p) = till(system());
    online(&p, &srv);
    let t = p.login(CASHIER, "1111").unwrap().token;
    let cart = cart(&p, &t);
    let order = pay(&p, &t, &cart, PAID_AT_ONCE).0.unwrap();
    let receipt = p.receipt(&t, till_core::OrderId::new(order).unwrap()).unwrap();
    drained(&p);
    let m = p.login(2, "2222").unwrap().token;
    let lookup = RefundLookup {
        by: "line_code".into(),
        text: receipt.lines[0].line_code.clone(),
        date: None,
        amount_minor: None,
        utc_offset_minutes: None,
    };
    let found = p.refund_find(&m, lookup).unwrap();
    let input = RefundInput {
        order_id: found.order_id,
        lines: vec![RefundLineInput { order_line_id: found.lines[0].order_line_id, quantity: 1 }],
        reason: "changed_mind".into(),
        photo_base64: None,
        manager_id: None,
        manager_pin: None,
        wait_for_seller: false,
    };
    let refund = p.refund_record(&m, input).unwrap();
    assert_eq!(refund.tender, "payment_code");
    drained(&p);
    let c = rusqlite::Connection::open(&srv.db).unwrap();
    let (status, refund_to): (String, String) =
        c.query_row("SELECT status, refund_to FROM refunds", [], |r| Ok((r.get(0)?, r.get(1)?))).unwrap();
    assert_eq!((status.as_str(), refund_to.as_str()), ("refunded", "1345**********6789"));
}
