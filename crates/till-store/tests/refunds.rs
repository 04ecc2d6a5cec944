//! Refund invariants against real SQLite files: over random sequences of sales and partial
//! refunds, no line is refunded past what was sold and no sale past what was paid, refunding
//! everything pays back exactly the total, and two connections refunding the same line at the
//! same moment cannot both succeed.
#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)]

use proptest::prelude::*;
use rand::rngs::StdRng;
use rand::SeedableRng;
use std::sync::{Arc, Barrier};
use till_core::{Cart, CashPayment, Currency, DeviceIdentifier, Money, NewOrder, Payment, Role, Sku, TaxRate};
use till_store::{NewProduct, NewRefund, Store, StoreError};

const CNY: Currency = Currency::CNY;

fn setup() -> (tempfile::TempDir, Store, i64) {
    let dir = tempfile::tempdir().unwrap();
    let s = Store::open(&dir.path().join("till.db")).unwrap();
    let specs = [("TEA", 3333, false), ("BOOK", 1550, false), ("PHONE", 399_900, true), ("CHEAP", 1, false)];
    s.add_products(
        &specs
            .iter()
            .map(|(sku, price, serialised)| NewProduct {
                sku: Sku::parse(sku).unwrap(),
                barcode: None,
                name: (*sku).into(),
                name_zh: None,
                price: Money::new(*price, CNY),
                tax_rate: TaxRate::from_basis_points(1300).unwrap(),
                tax_inclusive: true,
                serialised: *serialised,
            })
            .collect::<Vec<_>>(),
    )
    .unwrap();
    let uid = s.write(|tx| till_store::users::insert(tx, "Ann", Role::Cashier, "h", 0)).unwrap();
    (dir, s, uid)
}

/// Sells `items` (product index, quantity) for cash; returns the order id.
fn sell(s: &Store, uid: i64, items: &[(usize, i64)], n: u64) -> i64 {
    let mut cart = Cart::new(CNY);
    let products: Vec<_> = ["TEA", "BOOK", "PHONE", "CHEAP"]
        .iter()
        .map(|k| s.product_by_sku(&Sku::parse(k).unwrap()).unwrap().unwrap())
        .collect();
    for (i, &(p, q)) in items.iter().enumerate() {
        if products[p].serialised {
            let line = cart.add(&products[p], 1).unwrap();
            let imei = format!("{:014}", n * 100 + i as u64);
            let digits: Vec<u8> = imei.bytes().map(|b| b - b'0').collect();
            let check = till_core::luhn::check_digit(&digits);
            cart.set_device(line, DeviceIdentifier::parse(&format!("{imei}{check}")).unwrap()).unwrap();
        } else {
            cart.add(&products[p], q).unwrap();
        }
    }
    let total = cart.totals().unwrap().total;
    let pay = Payment::Cash(CashPayment::take(total, total).unwrap());
    let order =
        NewOrder::from_cart(&cart, pay, format!("cart-{n}"), uid, 1_000 + n as i64, &mut StdRng::seed_from_u64(n))
            .unwrap();
    s.record_sale(&order, &format!("sale-{n}")).unwrap().order_id
}

fn refund(
    s: &Store,
    uid: i64,
    order_id: i64,
    lines: Vec<(i64, i64)>,
    n: usize,
) -> Result<till_store::RecordedRefund, StoreError> {
    s.record_refund(&NewRefund {
        order_id,
        event_ids: (0..lines.len() + 2).map(|i| format!("ev-{n}-{i}")).collect(),
        lines,
        reason: "defective".into(),
        evidence_sha256: None,
        photo: None,
        cashier_id: uid,
        approved_by: None,
        approval: "policy".into(),
        customer_ref: None,
        key: format!("key-{n}"),
        decisions: Vec::new(),
        decided_offline: false,
        now_ms: 10_000 + n as i64,
    })
}

fn q(s: &Store, sql: &str) -> i64 {
    s.read(|c| Ok(c.query_row(sql, [], |r| r.get(0))?)).unwrap()
}

/// The invariants, computed from the rows: every line within its quantity, every order within
/// its total, refund lines adding up to their refund.
fn assert_invariants(s: &Store) {
    assert_eq!(q(s, "SELECT count(*) FROM order_lines WHERE refunded_quantity > quantity OR refunded_quantity < 0"), 0);
    assert_eq!(
        q(
            s,
            "SELECT count(*) FROM order_lines l WHERE refunded_quantity <>
              (SELECT coalesce(sum(rl.quantity), 0) FROM refund_lines rl JOIN refunds r ON r.id = rl.refund_id
                WHERE rl.order_line_id = l.id AND r.status <> 'refused')"
        ),
        0
    );
    assert_eq!(
        q(
            s,
            "SELECT count(*) FROM orders o WHERE total_minor <
              (SELECT coalesce(sum(amount_minor), 0) FROM refunds WHERE order_id = o.id AND status <> 'refused')"
        ),
        0
    );
    assert_eq!(
        q(s, "SELECT count(*) FROM refunds r WHERE amount_minor <> (SELECT sum(amount_minor) FROM refund_lines WHERE refund_id = r.id)"),
        0
    );
}

#[test]
fn refunding_every_unit_in_steps_pays_back_exactly_the_total() {
    let (_d, s, uid) = setup();
    let order_id = sell(&s, uid, &[(0, 3), (1, 2), (2, 1)], 1);
    let o = s.refundable_order(order_id).unwrap().unwrap();
    let ids: Vec<i64> = o.lines.iter().map(|l| l.order_line_id).collect();
    let mut paid = 0;
    paid += refund(&s, uid, order_id, vec![(ids[0], 1)], 1).unwrap().amount_minor;
    paid += refund(&s, uid, order_id, vec![(ids[0], 1), (ids[1], 1)], 2).unwrap().amount_minor;
    assert_eq!(s.refundable_order(order_id).unwrap().unwrap().lines[0].refunded_quantity, 2);
    paid += refund(&s, uid, order_id, vec![(ids[0], 1), (ids[1], 1), (ids[2], 1)], 3).unwrap().amount_minor;
    assert_eq!(paid, o.total_minor);
    assert_eq!(q(&s, &format!("SELECT status = 'refunded' FROM orders WHERE id = {order_id}")), 1);
    // the same quantity twice: refused, nothing written
    let before = q(&s, "SELECT count(*) FROM refunds");
    let err = refund(&s, uid, order_id, vec![(ids[0], 1)], 4).unwrap_err();
    assert!(matches!(err, StoreError::RefundExceedsSold { line_no: 1, left: 0 }), "{err:?}");
    assert_eq!(q(&s, "SELECT count(*) FROM refunds"), before);
    // one event per refund line, the phone refunded by its IMEI
    let events = s.outbox_events("refund.requested").unwrap();
    assert_eq!(events.len(), 6);
    assert!(events.iter().any(|e| e.payload.contains("device_identifier")));
    assert_invariants(&s);
}

#[test]
fn the_database_refuses_what_the_domain_would_refuse() {
    let (_d, s, uid) = setup();
    let order_id = sell(&s, uid, &[(0, 1)], 1);
    let line = s.refundable_order(order_id).unwrap().unwrap().lines[0].order_line_id;
    refund(&s, uid, order_id, vec![(line, 1)], 1).unwrap();
    // bypassing the domain check: the trigger still says no
    let r = s.write(|tx| {
        tx.execute(
            "INSERT INTO refunds (order_id, created_at_ms, cashier_id, tender, currency, amount_minor, tax_minor, reason)
             VALUES (?1, 20000, ?2, 'cash', 'CNY', 1, 0, 'x')",
            [order_id, uid],
        )?;
        Ok(())
    });
    assert!(matches!(r, Err(StoreError::RefundExceedsPaid { .. })), "{r:?}");
    let second = sell(&s, uid, &[(0, 1)], 2);
    let r = s.write(|tx| {
        tx.execute(
            "INSERT INTO refunds (order_id, created_at_ms, cashier_id, tender, currency, amount_minor, tax_minor, reason)
             VALUES (?1, 20000, ?2, 'cash', 'CNY', 1, 0, 'x')",
            [second, uid],
        )?;
        let rid = tx.last_insert_rowid();
        tx.execute("INSERT INTO refund_lines (refund_id, order_line_id, quantity, amount_minor, tax_minor) VALUES (?1, ?2, 1, 1, 0)", [rid, line])?;
        Ok(())
    });
    assert!(matches!(r, Err(StoreError::RefundExceedsSold { .. })), "{r:?}");
    assert_invariants(&s);
}

#[test]
fn two_tills_refunding_the_same_line_at_once_cannot_both_succeed() {
    let (dir, s, uid) = setup();
    let order_id = sell(&s, uid, &[(0, 1), (1, 1)], 1);
    let line = s.refundable_order(order_id).unwrap().unwrap().lines[0].order_line_id;
    let path = dir.path().join("till.db");
    for round in 0..5 {
        // a fresh sale each round, refunded by two connections at the same instant
        let order_id = if round == 0 { order_id } else { sell(&s, uid, &[(0, 1)], 10 + round) };
        let line =
            if round == 0 { line } else { s.refundable_order(order_id).unwrap().unwrap().lines[0].order_line_id };
        let barrier = Arc::new(Barrier::new(2));
        let handles: Vec<_> = (0..2)
            .map(|t| {
                let path = path.clone();
                let barrier = barrier.clone();
                std::thread::spawn(move || {
                    let till = Store::open(&path).unwrap();
                    barrier.wait();
                    refund(&till, uid, order_id, vec![(line, 1)], 100 * round as usize + t).map(|r| r.amount_minor)
                })
            })
            .collect();
        let results: Vec<_> = handles.into_iter().map(|h| h.join().unwrap()).collect();
        let ok = results.iter().filter(|r| r.is_ok()).count();
        assert_eq!(ok, 1, "round {round}: {results:?}");
        assert!(results.iter().any(|r| matches!(r, Err(StoreError::RefundExceedsSold { .. }))));
    }
    assert_invariants(&s);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]
    #[test]
    fn random_sales_and_partial_refunds_keep_every_invariant(
        sales in proptest::collection::vec(proptest::collection::vec((0usize..4, 1i64..5), 1..4), 1..4),
        refunds in proptest::collection::vec((0usize..4, proptest::collection::vec((0usize..4, 1i64..4), 1..3)), 0..12),
    ) {
        let (_d, s, uid) = setup();
        let orders: Vec<i64> = sales.iter().enumerate().map(|(n, items)| sell(&s, uid, items, n as u64)).collect();
        for (n, (o, lines)) in refunds.into_iter().enumerate() {
            let order_id = orders[o % orders.len()];
            let before = s.refundable_order(order_id).unwrap().unwrap();
            let mut picked: Vec<(i64, i64)> = Vec::new();
            for (l, qty) in lines {
                let line = &before.lines[l % before.lines.len()];
                if !picked.iter().any(|(id, _)| *id == line.order_line_id) {
                    picked.push((line.order_line_id, qty));
                }
            }
            // the model: a refund is accepted exactly when every line has the units left
            let fits = picked.iter().all(|(id, qty)| {
                let line = before.lines.iter().find(|l| l.order_line_id == *id).unwrap();
                *qty <= line.quantity - line.refunded_quantity
            });
            let result = refund(&s, uid, order_id, picked.clone(), n);
            let after = s.refundable_order(order_id).unwrap().unwrap();
            match result {
                Ok(r) => {
                    prop_assert!(fits);
                    prop_assert_eq!(after.refunded_minor, before.refunded_minor + r.amount_minor);
                    for (id, qty) in &picked {
                        let b = before.lines.iter().find(|l| l.order_line_id == *id).unwrap();
                        let a = after.lines.iter().find(|l| l.order_line_id == *id).unwrap();
                        prop_assert_eq!(a.refunded_quantity, b.refunded_quantity + qty);
                    }
                }
                Err(e) => {
                    prop_assert!(!fits || matches!(e, StoreError::Invalid(_)), "{e:?}");
                    prop_assert_eq!(&after, &before);
                }
            }
            // fully refunded lines have paid back exactly their amount
            let fully = q(&s, "SELECT count(*) FROM order_lines l WHERE refunded_quantity = quantity AND gross_minor <>
                               (SELECT sum(rl.amount_minor) FROM refund_lines rl WHERE rl.order_line_id = l.id)");
            prop_assert_eq!(fully, 0);
            assert_invariants(&s);
        }
    }
}

#[test]
fn a_sale_paid_partly_with_points_refunds_points_as_points_and_the_rest_in_cash() {
    let (_d, s, uid) = setup();
    let tea = s.product_by_sku(&Sku::parse("TEA").unwrap()).unwrap().unwrap();
    let mut cart = Cart::new(CNY);
    cart.add(&tea, 3).unwrap(); // 99.99
    let total = cart.totals().unwrap().total;
    let points_value = Money::new(999, CNY);
    let cash = Money::new(total.minor() - points_value.minor(), CNY);
    let pay = Payment::Cash(CashPayment::take(cash, cash).unwrap());
    let order = NewOrder::from_cart(&cart, pay, "cart-p".into(), uid, 1_000, &mut StdRng::seed_from_u64(9)).unwrap();
    let token = "00".repeat(44);
    let loyalty = till_store::SaleLoyalty {
        customer_ref: "ab".repeat(16),
        redeem: Some((
            till_store::PointsChange { event_id: "p-redeem".into(), points: 999, token_hex: token.clone() },
            points_value,
        )),
        earn: Some(till_store::PointsChange { event_id: "p-earn".into(), points: 90, token_hex: token }),
        redeem_first: true,
    };
    let order_id = s.record_sale_with_points(&order, "sale-p", Some(&loyalty)).unwrap().order_id;
    let payments: Vec<(String, i64)> = s
        .read(|c| {
            let mut st = c.prepare("SELECT tender, amount_minor FROM payments WHERE order_id = ?1 ORDER BY id")?;
            let rows = st.query_map([order_id], |r| Ok((r.get(0)?, r.get(1)?)))?;
            Ok(rows.collect::<Result<Vec<_>, _>>()?)
        })
        .unwrap();
    assert_eq!(payments, vec![("cash".into(), cash.minor()), ("points".into(), 999)]);
    // the points events go out in token order: the redemption first, as asked
    let kinds: Vec<String> = s.outbox_events("points.updated").unwrap().iter().map(|e| e.id.clone()).collect();
    assert_eq!(kinds, vec!["p-redeem".to_string(), "p-earn".to_string()]);

    let line = s.refundable_order(order_id).unwrap().unwrap().lines[0].order_line_id;
    let r = refund(&s, uid, order_id, vec![(line, 3)], 1).unwrap();
    assert_eq!((r.amount_minor, r.points_value_minor, r.tender.as_str()), (total.minor(), 999, "cash"));
    assert_eq!((r.points_reversed, r.points_returned), (90, 999));
    let x = s.x_report(2_000_000).unwrap();
    let refunds = |t: &str| x.tenders.iter().find(|x| x.tender == t).map(|x| x.refunds.minor()).unwrap_or(0);
    assert_eq!((refunds("cash"), refunds("points")), (cash.minor(), 999));
    assert_eq!(x.refunds.minor(), total.minor());
}

#[test]
fn a_card_sale_is_refunded_to_the_card_quoting_the_original_authorisation() {
    let (_d, s, uid) = setup();
    let book = s.product_by_sku(&Sku::parse("BOOK").unwrap()).unwrap().unwrap();
    let mut cart = Cart::new(CNY);
    cart.add(&book, 2).unwrap();
    let pay = Payment::Card(till_core::CardPayment {
        masked_pan: till_core::MaskedPan::from_pan("5555555555554444").unwrap(),
        pan_hash: "00".into(),
        brand: till_core::CardBrand::from_bin("555555"),
        auth_code: "A12345".into(),
        payment_id: None,
        reader: "sim://card-reader".into(),
        entry_mode: "magstripe".into(),
        cvm: "pin".into(),
        signature_svg: None,
    });
    let order = NewOrder::from_cart(&cart, pay, "cart-c".into(), uid, 1_000, &mut StdRng::seed_from_u64(4)).unwrap();
    let order_id = s.record_sale(&order, "sale-c").unwrap().order_id;
    let line = s.refundable_order(order_id).unwrap().unwrap().lines[0].order_line_id;
    let r = refund(&s, uid, order_id, vec![(line, 1)], 1).unwrap();
    assert_eq!((r.tender.as_str(), r.amount_minor), ("card", 1550));
    let ev = &s.outbox_events("refund.requested").unwrap()[0];
    let body: serde_json::Value = serde_json::from_str(&ev.payload).unwrap();
    assert_eq!((body["tender"].as_str(), body["original_auth_code"].as_str()), (Some("card"), Some("A12345")));
    assert_eq!(body["amount"]["minor"], 1550);
    // only the masked number is anywhere in the event; never the card number
    assert!(!ev.payload.contains("5555555555554444"));
}

#[test]
fn a_cash_refund_queues_its_receipt_with_the_drawer_kick_in_its_own_commit_when_a_printer_is_set_up() {
    let (_d, s, uid) = setup();
    let jobs = |s: &Store| {
        s.read(|c| {
            let rows = c
                .prepare("SELECT kind, refund_id, kick_drawer FROM print_jobs ORDER BY id")?
                .query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, Option<i64>>(1)?, r.get::<_, i64>(2)?)))?
                .collect::<Result<Vec<_>, _>>()?;
            Ok(rows)
        })
        .unwrap()
    };
    let order = sell(&s, uid, &[(0, 3)], 1);
    let line = s.refundable_order(order).unwrap().unwrap().lines[0].order_line_id;
    refund(&s, uid, order, vec![(line, 1)], 1).unwrap();
    assert!(jobs(&s).is_empty(), "no printer, no job");
    let printer = till_store::DeviceConfig::printer("escpos", "tcp://127.0.0.1:9100", 80, "gb18030");
    s.write(|tx| till_store::devices::put(tx, &printer, 1)).unwrap();
    let r = refund(&s, uid, order, vec![(line, 1)], 2).unwrap();
    assert_eq!(r.tender, "cash");
    assert_eq!(jobs(&s), vec![("refund".to_string(), Some(r.refund_id), 1)]);
    // A refund the checks refuse writes no job either.
    assert!(refund(&s, uid, order, vec![(line, 5)], 3).is_err());
    assert_eq!(jobs(&s).len(), 1);
}

/// Gives order `order_id` a loyalty customer who earned `points` on it.
fn earned(s: &Store, order_id: i64, points: i64) {
    s.write(|tx| {
        tx.execute("UPDATE orders SET customer_ref = 'C1' WHERE id = ?1", [order_id])?;
        tx.execute(
            "INSERT INTO points_ledger (customer_ref, order_id, kind, points, status, created_at_ms)
             VALUES ('C1', ?1, 'earn', ?2, 'confirmed', 1)",
            [order_id, points],
        )?;
        Ok(())
    })
    .unwrap();
}

fn reversed(s: &Store, order_id: i64) -> i64 {
    q(
        s,
        &format!(
            "SELECT coalesce(-sum(points), 0) FROM points_ledger WHERE order_id = {order_id} AND kind = 'reverse-earn'"
        ),
    )
}

#[test]
fn points_go_back_with_the_money_when_the_seller_confirms_and_never_for_a_refused_line() {
    use till_core::refund::Decision;
    let (_d, s, uid) = setup();
    let order = sell(&s, uid, &[(0, 1), (1, 1)], 1); // 33.33 + 15.50
    earned(&s, order, 100);
    let lines = s.refundable_order(order).unwrap().unwrap().lines;
    let new = |n: usize, decisions: Vec<Decision>| NewRefund {
        order_id: order,
        event_ids: (0..4).map(|i| format!("ev-{n}-{i}")).collect(),
        lines: vec![(lines[0].order_line_id, 1), (lines[1].order_line_id, 1)],
        reason: "defective".into(),
        evidence_sha256: None,
        photo: None,
        cashier_id: uid,
        approved_by: None,
        approval: "policy".into(),
        customer_ref: None,
        key: format!("key-{n}"),
        decisions,
        decided_offline: false,
        now_ms: 10_000,
    };
    // The tea is approved now, the book waits for its seller: only the tea's share goes back.
    let r = s.record_refund(&new(7, vec![Decision::Policy, Decision::AwaitSeller])).unwrap();
    assert_eq!(r.points_reversed, 100 * 3333 / 4883);
    assert_eq!(reversed(&s, order), 68);
    // The seller confirms the book: its share goes back now, once, under its own refund id.
    s.refund_line_decided("ev-7-1", "refunded", 20_000).unwrap();
    assert_eq!(reversed(&s, order), 100, "everything earned, never more");
    s.refund_line_decided("ev-7-1", "refunded", 21_000).unwrap();
    assert_eq!(reversed(&s, order), 100, "once");
    let body: String = s
        .read(|c| {
            Ok(c.query_row(
                "SELECT payload FROM outbox WHERE kind = 'points.reversed' ORDER BY created_at_ms DESC, rowid DESC LIMIT 1",
                [],
                |r| r.get(0),
            )?)
        })
        .unwrap();
    assert!(body.contains("\"refund_id\":\"key-7-2\"") && body.contains("\"points\":32"), "{body}");

    // Another sale: a line refused by its seller gives no points back at all.
    let order = sell(&s, uid, &[(0, 1)], 2);
    earned(&s, order, 50);
    let line = s.refundable_order(order).unwrap().unwrap().lines[0].order_line_id;
    s.record_refund(&NewRefund {
        order_id: order,
        lines: vec![(line, 1)],
        key: "key-8".into(),
        event_ids: (0..3).map(|i| format!("ev-8-{i}")).collect(),
        decisions: vec![Decision::AwaitSeller],
        ..new(8, Vec::new())
    })
    .unwrap();
    assert_eq!(reversed(&s, order), 0, "nothing back while it waits");
    s.refund_line_decided("ev-8-0", "rejected", 20_000).unwrap();
    assert_eq!(reversed(&s, order), 0, "nor once refused");
}
