//! Recording a sale: the order, its lines, its payment, an audit entry and the outbox event,
//! all in one IMMEDIATE transaction and so one commit (one WAL fsync).

use crate::sale_event::SaleRecorded;
use crate::{audit, outbox, Result, Store, StoreError};
use rusqlite::{params, OptionalExtension, Transaction};
use serde_json::json;
use till_core::{EventKind, NewOrder, Payment};

/// What the commit of a sale returns.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordedSale {
    /// Database id of the order.
    pub order_id: i64,
    /// Printed order number.
    pub order_no: String,
}

/// An extra outbox event written with the sale of one checkout, in the same transaction: a card
/// payment approved offline and its `payment.forward` event are on disk together or not at all.
/// Its subject is the order (`order/<id>`).
#[derive(Clone, PartialEq, Eq)]
pub struct LinkedEvent {
    /// Event id (Idempotency-Key).
    pub id: String,
    /// Local kind.
    pub kind: String,
    /// Payload.
    pub payload: serde_json::Value,
}

impl std::fmt::Debug for LinkedEvent {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The payload may hold encrypted card data; not for logs.
        f.debug_struct("LinkedEvent").field("id", &self.id).field("kind", &self.kind).finish_non_exhaustive()
    }
}

/// A points change of a sale, sent to the points server with the customer's loyalty token.
#[derive(Clone, PartialEq, Eq)]
pub struct PointsChange {
    /// Outbox event id (Idempotency-Key).
    pub event_id: String,
    /// Points, above zero.
    pub points: i64,
    /// The 44-byte loyalty token, hex; only the points server can check it.
    pub token_hex: String,
}

impl std::fmt::Debug for PointsChange {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PointsChange")
            .field("event_id", &self.event_id)
            .field("points", &self.points)
            .finish_non_exhaustive()
    }
}

/// The loyalty side of a sale: who the customer is, the points redeemed as a tender (with their
/// money value) and the points earned. Written with the sale, in the same transaction: the
/// ledger rows start `pending` and their events are queued in token-counter order (the server
/// accepts a token only after every lower counter of that account).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SaleLoyalty {
    /// The points account (32 hex digits).
    pub customer_ref: String,
    /// Points redeemed and what they paid of the total.
    pub redeem: Option<(PointsChange, till_core::Money)>,
    /// Points earned.
    pub earn: Option<PointsChange>,
    /// The events in sending order: `true` when the redemption goes first.
    pub redeem_first: bool,
}

impl SaleLoyalty {
    /// What the points paid of the order.
    pub fn points_paid(&self) -> i64 {
        self.redeem.as_ref().map(|(_, m)| m.minor()).unwrap_or(0)
    }
}

/// The steps of a checkout, in order; a test can make the store fail right after any of them.
pub const STEPS: &[&str] = &["order", "lines", "payment", "audit", "outbox"];

/// Writes the loyalty side of a sale: the customer on the order, the points payment, the
/// pending ledger rows and their `points.updated` events.
fn write_loyalty(
    tx: &Transaction<'_>,
    l: &SaleLoyalty,
    order_id: i64,
    order_no: &str,
    now_ms: i64,
    cur: &str,
) -> Result<()> {
    tx.prepare_cached("UPDATE orders SET customer_ref = ?2 WHERE id = ?1")?
        .execute(params![order_id, l.customer_ref])?;
    if let Some((_, value)) = &l.redeem {
        tx.prepare_cached(
            "INSERT INTO payments (order_id, tender, amount_minor, currency) VALUES (?1, 'points', ?2, ?3)",
        )?
        .execute(params![order_id, value.minor(), cur])?;
    }
    let mut changes: Vec<(&PointsChange, &str)> = Vec::new();
    if let Some((r, _)) = &l.redeem {
        changes.push((r, "redeem"));
    }
    if let Some(e) = &l.earn {
        changes.push((e, "earn"));
    }
    if !l.redeem_first {
        changes.reverse();
    }
    for (c, kind) in changes {
        if c.points <= 0 {
            continue;
        }
        let signed = if kind == "redeem" { -c.points } else { c.points };
        tx.prepare_cached(
            "INSERT INTO points_ledger (customer_ref, order_id, kind, points, created_at_ms, event_id)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        )?
        .execute(params![l.customer_ref, order_id, kind, signed, now_ms, c.event_id])?;
        outbox::enqueue_kind(
            tx,
            &c.event_id,
            EventKind::PointsUpdated,
            &format!("order/{order_id}"),
            &json!({ "token": c.token_hex, "kind": kind, "points": c.points, "order_id": order_no }),
            now_ms,
        )?;
    }
    Ok(())
}

/// Writes a paid sale inside an open transaction: the order, its lines, its payments, the
/// audit entry, the `sale.recorded` event (and the loyalty side and any linked event). The one
/// writer of a sale: [`Store::record_sale`] calls it in a transaction of its own, the demo
/// generator ([`crate::demo_data`]) with many sales per transaction, so a generated sale is
/// exactly what the till would have written and its events sync the same way. `print` queues
/// the receipt's print job when a receipt printer is set up (the demo generator prints nothing).
pub(crate) fn write_sale(
    tx: &Transaction<'_>,
    order: &NewOrder,
    event_id: &str,
    linked: Option<&LinkedEvent>,
    loyalty: Option<&SaleLoyalty>,
    print: bool,
    fail_after: &dyn Fn(&'static str) -> Result<()>,
) -> Result<RecordedSale> {
    if let Some(l) = loyalty {
        if l.points_paid() < 0 || l.points_paid() > order.total.minor() {
            return Err(StoreError::Invalid("points cannot pay more than the total".into()));
        }
    }
    let existing: Option<i64> = tx
        .prepare_cached("SELECT id FROM orders WHERE checkout_key = ?1")?
        .query_row([&order.checkout_key], |r| r.get(0))
        .optional()?;
    if let Some(order_id) = existing {
        return Err(StoreError::AlreadyCheckedOut { order_id });
    }
    let cur = order.currency.code();
    let (order_id, order_no): (i64, String) = tx
        .prepare_cached(
            "INSERT INTO orders (checkout_key, cashier_id, created_at_ms, currency, subtotal_minor, tax_minor, total_minor, line_count)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8) RETURNING id, order_no",
        )?
        .query_row(
            params![
                order.checkout_key,
                order.cashier_id,
                order.created_at_ms,
                cur,
                order.subtotal.minor(),
                order.tax.minor(),
                order.total.minor(),
                order.lines.len() as i64
            ],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )?;
    fail_after("order")?;

    let mut line = tx.prepare_cached(
        "INSERT INTO order_lines (order_id, line_no, line_code, product_id, sku, name, name_zh, quantity, unit_price_minor,
                                  tax_rate_bp, tax_inclusive, net_minor, tax_minor, gross_minor, serial_number, seller,
                                  origin_kind, origin_ref)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15,
                 (SELECT seller FROM products WHERE id = ?4), ?16, ?17)
         RETURNING seller",
    )?;
    // The seller a line is sold for comes from its product, as it is now (the sale event
    // carries it to the server, whose refund decision depends on it).
    let mut sellers = Vec::with_capacity(order.lines.len());
    for (i, l) in order.lines.iter().enumerate() {
        let seller: Option<String> = line.query_row(
            params![
                order_id,
                i as i64 + 1,
                l.line_code.as_str(),
                l.product_id.0,
                l.sku,
                l.name,
                l.name_zh,
                l.quantity,
                l.unit_price.minor(),
                l.tax_rate_bp,
                l.tax_inclusive,
                l.net.minor(),
                l.tax.minor(),
                l.gross.minor(),
                l.device.as_ref().map(|d| d.as_str()),
                l.origin.as_ref().map(|o| o.kind()),
                l.origin.as_ref().map(|o| o.reference())
            ],
            |r| r.get(0),
        )?;
        sellers.push(seller);
    }
    // A sold device keeps the warranty and software its product has now (device services).
    let device_services = crate::device_services::record_line_services(tx, order_id)?;
    fail_after("lines")?;
    // What was not paid with points is the cash or card payment.
    let money = order.total.minor() - loyalty.map(SaleLoyalty::points_paid).unwrap_or(0);

    let mut pay = tx.prepare_cached(
        "INSERT INTO payments (order_id, tender, amount_minor, currency, tendered_minor, change_minor, card_masked, card_pan_hash, card_brand, auth_code, reader,
                               entry_mode, cvm, signature_svg)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)",
    )?;
    match &order.payment {
        Payment::Cash(_) if money == 0 => 0,
        Payment::Cash(c) => pay.execute(params![
            order_id,
            "cash",
            money,
            cur,
            c.tendered.minor(),
            c.change.minor(),
            None::<String>,
            None::<String>,
            None::<String>,
            None::<String>,
            None::<String>,
            None::<String>,
            None::<String>,
            None::<String>
        ])?,
        Payment::Card(c) => pay.execute(params![
            order_id,
            "card",
            money,
            cur,
            None::<i64>,
            None::<i64>,
            c.masked_pan.as_str(),
            c.pan_hash,
            c.brand.name(),
            c.auth_code,
            c.reader,
            c.entry_mode,
            c.cvm,
            c.signature_svg
        ])?,
        // The masked code stands where a card's masked number does (the last four digits find
        // the payment in the history); the wallet where the card's brand does.
        Payment::Code(c) => pay.execute(params![
            order_id,
            "payment_code",
            money,
            cur,
            None::<i64>,
            None::<i64>,
            c.masked_code,
            None::<String>,
            c.wallet.as_str(),
            c.platform_ref,
            None::<String>,
            None::<String>,
            None::<String>,
            None::<String>
        ])?,
    };
    fail_after("payment")?;

    audit::append(
        tx,
        order.created_at_ms,
        Some(order.cashier_id),
        "sale.recorded",
        &json!({ "order_id": order_id, "order_no": order_no, "total": order.total.minor(), "currency": cur, "tender": order.payment.tender().as_str() }),
    )?;
    fail_after("audit")?;

    // The cart is paid: it is no longer open, in the same commit.
    tx.prepare_cached("DELETE FROM open_carts WHERE cart_id = ?1")?.execute([&order.checkout_key])?;

    outbox::enqueue_kind(
        tx,
        event_id,
        EventKind::SaleRecorded,
        &format!("order/{order_id}"),
        &SaleRecorded::of(
            order,
            order_id,
            &order_no,
            loyalty.map(|l| l.customer_ref.as_str()),
            loyalty.map(SaleLoyalty::points_paid).unwrap_or(0),
        )
        .with_sellers(sellers)
        .with_device_services(device_services),
        order.created_at_ms,
    )?;
    if let Some(l) = loyalty {
        write_loyalty(tx, l, order_id, &order_no, order.created_at_ms, cur)?;
    }
    if let Some(ev) = linked {
        outbox::enqueue(tx, &ev.id, &ev.kind, &format!("order/{order_id}"), &ev.payload, order.created_at_ms)?;
    }
    if print {
        // The receipt's print job commits with the sale (when a receipt printer is set up): a
        // printer fault can never lose it, and printing never holds up this commit. Cash
        // opens the drawer.
        let cash = matches!(order.payment, Payment::Cash(_));
        crate::print_queue::queue_receipt(tx, order_id, cash, order.created_at_ms)?;
    }
    fail_after("outbox")?;

    Ok(RecordedSale { order_id, order_no })
}

impl Store {
    /// Records a paid order in one transaction. `event_id` becomes the outbox event's id and
    /// Idempotency-Key. A second call with the same `checkout_key` writes nothing and returns
    /// [`StoreError::AlreadyCheckedOut`].
    ///
    /// A card sale whose checkout key has a [`LinkedEvent`] ([`Store::link_to_checkout`]) writes
    /// that event too, in the same transaction, and the link is used up.
    pub fn record_sale(&self, order: &NewOrder, event_id: &str) -> Result<RecordedSale> {
        self.record_sale_with_points(order, event_id, None)
    }

    /// [`Store::record_sale`] with the loyalty side of the sale ([`SaleLoyalty`]) in the same
    /// transaction.
    pub fn record_sale_with_points(
        &self,
        order: &NewOrder,
        event_id: &str,
        loyalty: Option<&SaleLoyalty>,
    ) -> Result<RecordedSale> {
        self.record_sale_settling(order, event_id, loyalty, None)
    }

    /// [`Store::record_sale_with_points`] that also settles the payment the tender was approved
    /// under in the payment journal ([`crate::payment_journal`]), in the same transaction: the
    /// sale and `settled` are on disk together or not at all, and a payment no longer
    /// `authorising` or `approved` (being reversed) refuses the sale.
    pub fn record_sale_settling(
        &self,
        order: &NewOrder,
        event_id: &str,
        loyalty: Option<&SaleLoyalty>,
        settle: Option<&crate::payment_journal::Settle>,
    ) -> Result<RecordedSale> {
        let linked = match order.payment {
            Payment::Card(_) => self.linked().get(&order.checkout_key).cloned(),
            Payment::Cash(_) | Payment::Code(_) => None,
        };
        let recorded = self.write(|tx| {
            let sale = write_sale(tx, order, event_id, linked.as_ref(), loyalty, true, &|_| Ok(()))?;
            if let Some(s) = settle {
                crate::payment_journal::settle(tx, s, sale.order_id, order.created_at_ms)?;
            }
            Ok(sale)
        })?;
        if linked.is_some() {
            self.linked().remove(&order.checkout_key);
        }
        Ok(recorded)
    }

    /// Links `event` to the card sale of `checkout_key`: the next [`Store::record_sale`] of that
    /// checkout writes it in the same transaction. In memory only; replaces an earlier link.
    pub fn link_to_checkout(&self, checkout_key: &str, event: LinkedEvent) {
        self.linked().insert(checkout_key.to_string(), event);
    }

    /// Drops the link of `checkout_key` (the sale was not recorded), returning it.
    pub fn unlink_checkout(&self, checkout_key: &str) -> Option<LinkedEvent> {
        self.linked().remove(checkout_key)
    }

    fn linked(&self) -> std::sync::MutexGuard<'_, std::collections::HashMap<String, LinkedEvent>> {
        // Plain map operations cannot leave it inconsistent, so a poisoned lock is still good.
        self.linked.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Like [`Store::record_sale`] but fails right after `step` (one of [`STEPS`]), to prove
    /// that a failure mid-checkout leaves nothing behind. For tests and the crash drill.
    pub fn record_sale_failing_after(&self, order: &NewOrder, event_id: &str, step: &str) -> Result<RecordedSale> {
        self.write(|tx| {
            write_sale(tx, order, event_id, None, None, true, &|s| {
                if s == step {
                    Err(StoreError::Injected(s))
                } else {
                    Ok(())
                }
            })
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalogue::tests::product;
    use rand::rngs::StdRng;
    use rand::SeedableRng;
    use till_core::{Cart, CashPayment, Currency, Money, Role};

    fn setup() -> (tempfile::TempDir, Store, NewOrder) {
        let dir = tempfile::tempdir().unwrap();
        let s = Store::open(&dir.path().join("t.db")).unwrap();
        s.add_products(&[product("A", None, "Apple", None, 350), product("B", None, "Bread", None, 1200)]).unwrap();
        let uid = s.write(|tx| crate::users::insert(tx, "Ann", Role::Cashier, "h", 0)).unwrap();
        let mut cart = Cart::new(Currency::parse("CNY").unwrap());
        for p in s.search_products("a", 10).unwrap().iter().chain(s.search_products("b", 10).unwrap().iter()) {
            cart.add(p, 2).unwrap();
        }
        let total = cart.totals().unwrap().total;
        let pay = Payment::Cash(CashPayment::take(total, Money::new(10_000, total.currency())).unwrap());
        let order =
            NewOrder::from_cart(&cart, pay, "cart-1".into(), uid, 1_000, &mut StdRng::seed_from_u64(3)).unwrap();
        (dir, s, order)
    }

    fn counts(s: &Store) -> [i64; 5] {
        s.read(|c| {
            let n = |t: &str| c.query_row(&format!("SELECT count(*) FROM {t}"), [], |r| r.get::<_, i64>(0));
            Ok([n("orders")?, n("order_lines")?, n("payments")?, n("audit_log")?, n("outbox")?])
        })
        .unwrap()
    }

    #[test]
    fn writes_everything_in_one_go() {
        let (_d, s, order) = setup();
        let rec = s.record_sale(&order, "evt-1").unwrap();
        assert_eq!(counts(&s), [1, 2, 1, 1, 1]);
        assert_eq!(rec.order_no, format!("{:08}", rec.order_id));
        let ev = s.outbox_events("sale.recorded").unwrap();
        assert_eq!(ev[0].id, "evt-1");
        assert!(ev[0].payload.contains(order.lines[0].line_code.as_str()));
        // the event carries all the server needs: the sync worker reads nothing back
        let queued: crate::sale_event::SaleRecorded = serde_json::from_str(&ev[0].payload).unwrap();
        assert_eq!(queued.lines[0].name, order.lines[0].name);
        assert_eq!(queued.order_no.as_deref(), Some(rec.order_no.as_str()));
        assert!(s.verify_audit().unwrap().ok);
    }

    #[test]
    fn a_torn_order_is_reported_as_partial() {
        let (_d, s, order) = setup();
        let rec = s.record_sale(&order, "evt-1").unwrap();
        assert!(s.partial_orders().unwrap().is_empty());
        s.write(|tx| Ok(tx.execute("DELETE FROM outbox", [])?)).unwrap();
        assert_eq!(s.partial_orders().unwrap(), vec![rec.order_id]);
        s.write(|tx| Ok(tx.execute("DELETE FROM order_lines WHERE line_no = 2", [])?)).unwrap();
        assert_eq!(s.partial_orders().unwrap(), vec![rec.order_id]);
    }

    #[test]
    fn a_second_checkout_of_the_same_cart_writes_nothing() {
        let (_d, s, order) = setup();
        let rec = s.record_sale(&order, "evt-1").unwrap();
        let again = s.record_sale(&order, "evt-2");
        assert!(matches!(again, Err(StoreError::AlreadyCheckedOut { order_id }) if order_id == rec.order_id));
        assert_eq!(counts(&s), [1, 2, 1, 1, 1]);
    }

    #[test]
    fn a_failure_between_any_two_statements_leaves_nothing() {
        let (_d, s, order) = setup();
        let open = crate::SavedCart {
            cart_id: order.checkout_key.clone(),
            lines: vec![(1, 2), (2, 2)],
            devices: vec![],
            origins: vec![],
        };
        s.save_open_cart(order.cashier_id, &open, 0).unwrap();
        for step in STEPS {
            let r = s.record_sale_failing_after(&order, "evt-1", step);
            assert!(matches!(r, Err(StoreError::Injected(x)) if x == *step));
            assert_eq!(counts(&s), [0, 0, 0, 0, 0], "after failing at {step}");
            assert_eq!(s.open_cart(order.cashier_id).unwrap().as_ref(), Some(&open), "cart kept after {step}");
        }
        // and the same order then goes through whole, closing the open cart in the same commit
        s.record_sale(&order, "evt-1").unwrap();
        assert_eq!(counts(&s), [1, 2, 1, 1, 1]);
        assert_eq!(s.open_cart(order.cashier_id).unwrap(), None);
    }

    #[test]
    fn a_reused_line_code_fails_the_whole_sale() {
        let (_d, s, order) = setup();
        s.record_sale(&order, "evt-1").unwrap();
        let mut second = order.clone();
        second.checkout_key = "cart-2".into();
        let r = s.record_sale(&second, "evt-2");
        assert!(r.unwrap_err().is_unique_violation());
        assert_eq!(counts(&s), [1, 2, 1, 1, 1]);
    }

    fn jobs(s: &Store) -> Vec<(String, i64, i64)> {
        s.read(|c| {
            let rows = c
                .prepare("SELECT kind, order_id, kick_drawer FROM print_jobs ORDER BY id")?
                .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
                .collect::<std::result::Result<_, _>>()?;
            Ok(rows)
        })
        .unwrap()
    }

    #[test]
    fn a_cash_sale_queues_one_receipt_with_the_kick_only_when_a_printer_is_set_up() {
        let (_d, s, order) = setup();
        let first = s.record_sale(&order, "evt-1").unwrap();
        assert!(jobs(&s).is_empty(), "no printer, no job");
        s.write(|tx| crate::devices::put(tx, &crate::print_queue::tests::printer(), 1)).unwrap();
        let mut second = order.clone();
        second.checkout_key = "cart-2".into();
        for (i, l) in second.lines.iter_mut().enumerate() {
            l.line_code = till_core::LineCode::generate(&mut StdRng::seed_from_u64(100 + i as u64));
        }
        let rec = s.record_sale(&second, "evt-2").unwrap();
        assert_ne!(rec.order_id, first.order_id);
        assert_eq!(jobs(&s), vec![("receipt".to_string(), rec.order_id, 1)]);
        assert_eq!(s.print_next().unwrap().unwrap().order_no.as_deref(), Some(rec.order_no.as_str()));
    }

    #[test]
    fn a_sale_that_fails_to_record_leaves_no_print_job() {
        let (_d, s, order) = setup();
        s.write(|tx| crate::devices::put(tx, &crate::print_queue::tests::printer(), 1)).unwrap();
        for step in STEPS {
            assert!(s.record_sale_failing_after(&order, "evt-1", step).is_err());
            assert!(jobs(&s).is_empty(), "after failing at {step}");
        }
        s.record_sale(&order, "evt-1").unwrap();
        assert_eq!(jobs(&s).len(), 1);
    }
}
