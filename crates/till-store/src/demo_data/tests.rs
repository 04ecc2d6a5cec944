use super::*;
use till_core::Role;

fn store() -> (tempfile::TempDir, Store) {
    let dir = tempfile::tempdir().unwrap();
    let s = Store::open(&dir.path().join("t.db")).unwrap();
    (dir, s)
}

fn spec(orders: u64) -> GenerateSpec {
    GenerateSpec { orders, seed: 3, start_ms: 1_700_000_000_000, days: 30, currency: Currency::CNY }
}

fn with_cashier() -> (tempfile::TempDir, Store) {
    let (d, s) = store();
    s.write(|tx| crate::users::insert(tx, "Ann", Role::Cashier, "h", 0)).unwrap();
    (d, s)
}

#[test]
fn without_a_cashier_it_says_so() {
    let (_d, s) = store();
    let r = generate(&s, &spec(10), &mut |_, _| {});
    assert!(matches!(r, Err(StoreError::Invalid(m)) if m.contains("cashier")));
}

#[test]
fn the_data_is_consistent() {
    let (_d, s) = with_cashier();
    let mut calls = Vec::new();
    let r = generate(&s, &GenerateSpec { orders: 12_345, ..spec(0) }, &mut |d, t| calls.push((d, t))).unwrap();
    assert_eq!(calls, [(10_000, 12_345), (12_345, 12_345)]);
    assert_eq!(r.orders, 12_345);
    assert!(r.refunds > 200 && r.refunds < 600, "about 3 %: {}", r.refunds);
    s.read(|c| {
        let q = |sql: &str| c.query_row(sql, [], |r| r.get::<_, i64>(0)).unwrap();
        // Totals are the sums of the lines; payments add up to the total.
        assert_eq!(q("SELECT count(*) FROM orders o WHERE total_minor <> (SELECT sum(gross_minor) FROM order_lines WHERE order_id = o.id)
                       OR subtotal_minor <> (SELECT sum(net_minor) FROM order_lines WHERE order_id = o.id)
                       OR tax_minor <> (SELECT sum(tax_minor) FROM order_lines WHERE order_id = o.id)
                       OR line_count <> (SELECT count(*) FROM order_lines WHERE order_id = o.id)"), 0);
        assert_eq!(q("SELECT count(*) FROM orders o WHERE total_minor <> (SELECT sum(amount_minor) FROM payments WHERE order_id = o.id)"), 0);
        // Refunded quantities are those of the refunds.
        assert_eq!(q("SELECT count(*) FROM order_lines l WHERE refunded_quantity <> (SELECT coalesce(sum(rl.quantity), 0)
                       FROM refund_lines rl JOIN refunds r ON r.id = rl.refund_id WHERE rl.order_line_id = l.id AND r.status <> 'refused')"), 0);
        assert_eq!(q("SELECT count(*) FROM refunds r WHERE amount_minor <> (SELECT sum(amount_minor) FROM refund_lines WHERE refund_id = r.id)"), 0);
        assert_eq!(q("SELECT count(*) FROM orders o WHERE status <> 'paid' AND NOT EXISTS (SELECT 1 FROM refunds WHERE order_id = o.id)"), 0);
        assert_eq!(q("SELECT count(DISTINCT tender) FROM payments"), 3);
        assert!(q("SELECT count(DISTINCT substr(card_masked, -4)) FROM payments") > 1_000);
        assert!(q("SELECT count(*) FROM orders WHERE customer_ref IS NOT NULL") > 3_000);
        // Every event is the till's own kind, waiting to be sent: one per sale, one per refunded line.
        assert_eq!(q("SELECT count(*) FROM outbox WHERE kind = 'sale.recorded'"), 12_345);
        assert_eq!(q("SELECT count(*) FROM outbox WHERE kind = 'refund.requested'"), q("SELECT count(*) FROM refund_lines"));
        assert_eq!(q("SELECT count(*) FROM outbox WHERE state <> 'pending'"), 0);
        assert_eq!(q("SELECT count(*) FROM outbox"), r.events as i64);
        assert_eq!(q("SELECT count(*) FROM points_ledger"), 0);
        // Ids follow time, as at a real till; refunds come after their sale.
        assert_eq!(q("SELECT count(*) FROM orders a JOIN orders b ON b.id = a.id + 1 WHERE b.created_at_ms < a.created_at_ms"), 0);
        assert_eq!(q("SELECT count(*) FROM refunds r JOIN orders o ON o.id = r.order_id WHERE r.created_at_ms < o.created_at_ms"), 0);
        // Only the masked number and a keyed hash of a card are kept, never the number.
        let d6 = "[0-9]".repeat(6);
        let masked = format!("{d6}{}{}", "[*]".repeat(6), "[0-9]".repeat(4));
        let bad: i64 = c.query_row(
            "SELECT count(*) FROM payments WHERE tender = 'card' AND (card_masked NOT GLOB ?1 OR length(card_pan_hash) <> 64)",
            [&masked],
            |r| r.get(0),
        )?;
        assert_eq!(bad, 0);
        let pan = format!("*\"{}\"*", "[0-9]".repeat(16));
        let leaked: Option<String> =
            c.query_row("SELECT payload FROM outbox WHERE payload GLOB ?1 LIMIT 1", [&pan], |r| r.get(0)).ok();
        assert_eq!(leaked, None);
        let serials: Vec<String> = c
            .prepare("SELECT serial_number FROM order_lines WHERE serial_number IS NOT NULL")?
            .query_map([], |r| r.get(0))?
            .collect::<std::result::Result<_, _>>()?;
        assert!(!serials.is_empty());
        assert!(serials.iter().all(|s| s.len() == 15 && till_core::luhn::is_valid(s)), "IMEIs pass Luhn");
        Ok(())
    })
    .unwrap();
    let cache: i64 = s.write(|tx| Ok(tx.query_row("PRAGMA cache_size", [], |r| r.get(0))?)).unwrap();
    assert_eq!(cache, -2000, "the till's own cache size is back");
    let audit = s.verify_audit().unwrap();
    assert!(audit.ok);
    assert_eq!(audit.entries, (r.orders + r.refunds) as i64, "one entry per sale and per refund, as at the till");
    s.integrity_check().unwrap();
    assert!(s.check_invariants().unwrap().is_ok());
    assert!(s.partial_orders().unwrap().is_empty());
    // A second run adds to the first.
    generate(&s, &GenerateSpec { orders: 10, ..spec(0) }, &mut |_, _| {}).unwrap();
}

#[test]
fn the_same_seed_gives_the_same_history() {
    let dump = || {
        let (_d, s) = with_cashier();
        generate(&s, &spec(300), &mut |_, _| {}).unwrap();
        s.read(|c| {
            let mut st = c.prepare("SELECT id, kind, payload FROM outbox ORDER BY rowid")?;
            let rows =
                st.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?, r.get::<_, String>(2)?)))?;
            Ok(rows.collect::<std::result::Result<Vec<_>, _>>()?)
        })
        .unwrap()
    };
    let first = dump();
    assert!(first.iter().any(|e| e.1 == "refund.requested"));
    assert_eq!(first, dump());
}

#[test]
fn card_numbers_are_hashed_with_the_tills_own_key() {
    let (_d, s) = with_cashier();
    let tills_hash = |pan: &str| format!("{:x}", Sha256::new().chain_update(b"till key").chain_update(pan).finalize());
    generate_with_pan_hash(&s, &spec(100), &tills_hash, &mut |_, _| {}).unwrap();
    let other = with_cashier();
    generate(&other.1, &spec(100), &mut |_, _| {}).unwrap();
    let hashes = |s: &Store| -> Vec<String> {
        s.read(|c| {
            let mut st = c.prepare("SELECT card_pan_hash FROM payments WHERE tender = 'card' ORDER BY id")?;
            let rows = st.query_map([], |r| r.get(0))?;
            Ok(rows.collect::<std::result::Result<_, _>>()?)
        })
        .unwrap()
    };
    let (a, b) = (hashes(&s), hashes(&other.1));
    assert!(!a.is_empty() && a.len() == b.len());
    assert!(a.iter().zip(&b).all(|(x, y)| x != y), "a different key gives different hashes");
    // the till's hasher is what was stored, and no key went into the settings
    assert!(a.iter().all(|h| h.len() == 64));
    let settings: i64 = s
        .read(|c| Ok(c.query_row("SELECT count(*) FROM settings WHERE key LIKE '%hash%'", [], |r| r.get(0))?))
        .unwrap();
    assert_eq!(settings, 0);
}

#[test]
fn luhn() {
    assert!(till_core::luhn::is_valid("490154203237518"));
    assert!(!till_core::luhn::is_valid("490154203237517"));
    assert!(till_core::luhn::is_valid("4111111111111111"));
}
