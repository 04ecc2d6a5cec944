//! A generated history syncs like a real one: `tillctl demo generate` writes 2,000 orders with
//! refunds through the till's own checkout and refund code, `tillctl sync run --once` drains
//! them to a real till-server on 127.0.0.1, and afterwards the server holds exactly the till's
//! sales, payments, devices and refunds, with no event parked. A generated payload the server or
//! the sync worker cannot take fails this test.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a test fails by panicking

use std::time::Instant;

mod support;
use support::{map, one, set, tillctl};

#[test]
fn two_thousand_generated_orders_with_refunds_drain_to_a_real_server_and_both_sides_agree() {
    let started = Instant::now();
    let dir = tempfile::tempdir().unwrap();
    let support::TestServer { server, db: server_db, terminal_id, secret_file } = support::start_server(dir.path());
    let data = dir.path().join("till");

    let out = tillctl()
        .args(["demo", "generate", "--orders", "2000", "--seed", "11", "--days", "90", "--data-dir"])
        .arg(&data)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let generated = started.elapsed();

    let till = rusqlite::Connection::open(data.join("till.db")).unwrap();
    let refunds = one(&till, "SELECT count(*) FROM refunds");
    assert!(refunds >= 30, "only {refunds} refunds to sync");
    assert!(one(&till, "SELECT count(*) FROM order_lines WHERE serial_number IS NOT NULL") > 0, "no phones sold");
    let events = one(&till, "SELECT count(*) FROM outbox");
    assert_eq!(one(&till, "SELECT count(*) FROM outbox WHERE state = 'pending'"), events);
    approve_generated_card_payments(&till, &server_db, &terminal_id);

    let out = tillctl()
        .args(["sync", "run", "--once", "--data-dir"])
        .arg(&data)
        .args(["--url", &server.url(), "--terminal-id", &terminal_id, "--secret-file"])
        .arg(&secret_file)
        .args(["--batch", "100"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));

    // The till's view: everything delivered, nothing parked.
    let parked: Vec<(String, String)> = till
        .prepare("SELECT kind, parked_reason FROM outbox WHERE state = 'parked' LIMIT 5")
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .map(|r| r.unwrap())
        .collect();
    assert!(parked.is_empty(), "parked: {parked:?}");
    assert_eq!(one(&till, "SELECT count(*) FROM outbox WHERE state = 'done'"), events);

    // The server's view, from its SQLite file, against the till's.
    let srv = rusqlite::Connection::open(&server_db).unwrap();
    let keys = set(&srv, "SELECT idem_key FROM idempotency");
    let ids = set(&till, "SELECT id FROM outbox");
    assert_eq!(keys, ids, "every event applied once");
    assert_eq!(
        map(&srv, "SELECT order_id, total_minor FROM orders"),
        map(&till, "SELECT order_no, total_minor FROM orders"),
        "the same sales with the same totals"
    );
    assert_eq!(one(&srv, "SELECT count(*) FROM orders"), 2_000);
    assert_eq!(
        map(&srv, "SELECT tender, sum(amount_minor) FROM payments GROUP BY tender"),
        map(&till, "SELECT tender, sum(amount_minor) FROM payments GROUP BY tender"),
        "the same money by tender"
    );
    assert_eq!(map(&srv, "SELECT tender, count(*) FROM payments GROUP BY tender").len(), 3, "cash, card and points");
    assert_eq!(
        map(&srv, "SELECT line_code, price_minor FROM sold_devices"),
        map(&till, "SELECT line_code, gross_minor FROM order_lines WHERE serial_number IS NOT NULL"),
        "the sold-devices list learnt every phone"
    );
    assert_eq!(
        map(&srv, "SELECT line_code, refunded_minor FROM order_lines WHERE refunded_minor > 0"),
        map(
            &till,
            "SELECT l.line_code, sum(rl.amount_minor) FROM refund_lines rl JOIN order_lines l ON l.id = rl.order_line_id GROUP BY l.line_code"
        ),
        "the same refunds, line by line"
    );
    assert_eq!(
        one(&srv, "SELECT coalesce(sum(amount_minor), 0) FROM refunds"),
        one(&till, "SELECT coalesce(sum(amount_minor), 0) FROM refunds")
    );
    assert_eq!(one(&srv, "SELECT count(*) FROM refunds"), one(&till, "SELECT count(*) FROM refund_lines"));
    assert_eq!(one(&srv, "SELECT count(*) FROM order_lines"), one(&till, "SELECT count(*) FROM order_lines"));
    assert_eq!(
        map(&srv, "SELECT order_id, length(customer_id) FROM orders WHERE customer_id IS NOT NULL"),
        map(&till, "SELECT order_no, length(customer_ref) FROM orders WHERE customer_ref IS NOT NULL"),
        "the loyalty customers came along"
    );
    // Card refunds named the approval code of the sale, and the server found the card that paid.
    assert!(one(&srv, "SELECT count(*) FROM refunds WHERE tender = 'card' AND refund_to GLOB '*[*]*'") > 0);
    assert_eq!(one(&srv, "SELECT count(*) FROM refunds WHERE tender = 'card' AND original_auth_code IS NULL"), 0);
    eprintln!("generated in {generated:?}, drained and compared in {:?}", started.elapsed() - generated);
}

/// A generated card sale was never authorised by a platform, and the server refunds to a card
/// only what the platform approved: record, as the platform would have, an approval of each
/// generated card payment under the payment id its sale names.
fn approve_generated_card_payments(till: &rusqlite::Connection, server_db: &std::path::Path, terminal_id: &str) {
    let payments: Vec<(String, String, i64, String, String)> = till
        .prepare(
            "SELECT json_extract(payload, '$.payment.payment_id'), json_extract(payload, '$.payment.card_masked'),
                    json_extract(payload, '$.payment.amount'), json_extract(payload, '$.currency'),
                    json_extract(payload, '$.payment.auth_code')
               FROM outbox WHERE kind = 'sale.recorded' AND json_extract(payload, '$.payment.tender') = 'card'",
        )
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)))
        .unwrap()
        .map(|r| r.unwrap())
        .collect();
    assert!(payments.len() > 100, "only {} card sales", payments.len());
    let mut srv = rusqlite::Connection::open(server_db).unwrap();
    srv.busy_timeout(std::time::Duration::from_secs(5)).unwrap();
    let tx = srv.transaction().unwrap();
    for (payment_id, masked, amount, currency, auth_code) in payments {
        tx.execute(
            "INSERT INTO authorizations (terminal_id, payment_id, order_id, amount_minor, currency, masked_pan, approved,
                                         auth_code, reason_code, created_at, status)
             VALUES (?1, ?2, 'generated', ?3, ?4, ?5, 1, ?6, NULL, 0, 'approved')",
            rusqlite::params![terminal_id, payment_id, amount, currency, masked, auth_code],
        )
        .unwrap();
    }
    tx.commit().unwrap();
}
