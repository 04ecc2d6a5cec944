//! The history's tests: every filter against a model of the data, across pages.

use super::*;
use crate::demo_data::{generate, GenerateSpec};
use std::collections::{HashMap, HashSet};
use till_core::Role;

const DAY: i64 = 86_400_000;

/// A row as the brute-force model sees it.
#[derive(Debug, Clone)]
struct M {
    kind: HistoryKind,
    id: i64,
    order: Option<i64>,
    at: i64,
    amount: Option<i64>,
    cashier: Option<i64>,
    tender: Option<String>,
    status: String,
    customer: Option<String>,
    last4: Option<String>,
}

#[derive(Debug, Default, Clone)]
struct O {
    cashier: i64,
    customer: Option<String>,
    tenders: HashSet<String>,
    last4: HashSet<String>,
    products: HashSet<i64>,
    codes: HashSet<String>,
    serials: HashSet<String>,
}

struct World {
    rows: Vec<M>,
    orders: HashMap<i64, O>,
    products: Vec<(i64, String, Option<String>, String)>,
}

fn setup(n: u64) -> (tempfile::TempDir, Store) {
    let dir = tempfile::tempdir().unwrap();
    let s = Store::open(&dir.path().join("t.db")).unwrap();
    s.write(|tx| {
        crate::users::insert(tx, "Ann", Role::Cashier, "h", 0)?;
        crate::users::insert(tx, "Bob", Role::Cashier, "h", 0)?;
        crate::users::insert(tx, "Meg", Role::Manager, "h", 0)?;
        Ok(())
    })
    .unwrap();
    let spec = GenerateSpec { orders: n, seed: 7, start_ms: 1_700_000_000_000, days: 40, currency: Currency::CNY };
    generate(&s, &spec, &mut |_, _| {}).unwrap();
    (dir, s)
}

/// Reads every table into plain Rust values (no filtering in SQL).
fn world(s: &Store) -> World {
    s.read(|c| {
        let mut orders: HashMap<i64, O> = HashMap::new();
        let mut rows = Vec::new();
        let mut st =
            c.prepare("SELECT id, cashier_id, customer_ref, created_at_ms, total_minor, status FROM orders")?;
        for r in st.query_map([], |r| {
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, i64>(1)?,
                r.get::<_, Option<String>>(2)?,
                r.get(3)?,
                r.get(4)?,
                r.get(5)?,
            ))
        })? {
            let (id, cashier, customer, at, total, status) = r?;
            orders.insert(id, O { cashier, customer: customer.clone(), ..Default::default() });
            rows.push(M {
                kind: HistoryKind::Orders,
                id,
                order: Some(id),
                at,
                amount: Some(total),
                cashier: Some(cashier),
                tender: None,
                status,
                customer,
                last4: None,
            });
        }
        let by_id: HashMap<i64, M> = rows.iter().map(|m| (m.id, m.clone())).collect();
        let mut st = c.prepare("SELECT id, order_id, tender, amount_minor, card_masked FROM payments")?;
        for r in st.query_map([], |r| {
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, i64>(1)?,
                r.get::<_, String>(2)?,
                r.get(3)?,
                r.get::<_, Option<String>>(4)?,
            ))
        })? {
            let (id, oid, tender, amount, masked) = r?;
            let last4 = masked.map(|m| m[m.len() - 4..].to_string());
            let o = orders.get_mut(&oid).unwrap();
            o.tenders.insert(tender.clone());
            if let Some(l) = &last4 {
                o.last4.insert(l.clone());
            }
            let om = &by_id[&oid];
            rows.push(M {
                kind: HistoryKind::Payments,
                id,
                order: Some(oid),
                at: om.at,
                amount: Some(amount),
                cashier: om.cashier,
                tender: Some(tender),
                status: om.status.clone(),
                customer: om.customer.clone(),
                last4,
            });
        }
        let mut st = c.prepare("SELECT order_id, product_id, line_code, serial_number FROM order_lines")?;
        for r in st.query_map([], |r| {
            Ok((r.get::<_, i64>(0)?, r.get::<_, i64>(1)?, r.get::<_, String>(2)?, r.get::<_, Option<String>>(3)?))
        })? {
            let (oid, pid, code, serial) = r?;
            let o = orders.get_mut(&oid).unwrap();
            o.products.insert(pid);
            o.codes.insert(code);
            o.serials.extend(serial);
        }
        let mut st =
            c.prepare("SELECT id, order_id, created_at_ms, amount_minor, cashier_id, tender, status FROM refunds")?;
        for r in st.query_map([], |r| {
            Ok(M {
                kind: HistoryKind::Refunds,
                id: r.get(0)?,
                order: Some(r.get(1)?),
                at: r.get(2)?,
                amount: Some(r.get(3)?),
                cashier: Some(r.get(4)?),
                tender: Some(r.get(5)?),
                status: r.get(6)?,
                customer: None,
                last4: None,
            })
        })? {
            rows.push(r?);
        }
        let mut st = c.prepare("SELECT id, order_id, created_at_ms, status, customer_ref FROM points_ledger")?;
        for r in st.query_map([], |r| {
            Ok(M {
                kind: HistoryKind::Points,
                id: r.get(0)?,
                order: r.get(1)?,
                at: r.get(2)?,
                amount: None,
                cashier: None,
                tender: None,
                status: r.get(3)?,
                customer: Some(r.get(4)?),
                last4: None,
            })
        })? {
            rows.push(r?);
        }
        let mut st = c.prepare("SELECT rowid, subject, created_at_ms, state FROM outbox")?;
        for r in st.query_map([], |r| {
            Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?, r.get::<_, i64>(2)?, r.get::<_, String>(3)?))
        })? {
            let (id, subject, at, state) = r?;
            rows.push(M {
                kind: HistoryKind::Sync,
                id,
                order: subject.strip_prefix("order/").map(|n| n.parse().unwrap()),
                at,
                amount: None,
                cashier: None,
                tender: None,
                status: sync_status(&state).into(),
                customer: None,
                last4: None,
            });
        }
        let mut st = c.prepare("SELECT id, sku, barcode, name FROM products")?;
        let products = st
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))?
            .collect::<std::result::Result<Vec<_>, _>>()?;
        Ok(World { rows, orders, products })
    })
    .unwrap()
}

fn statuses(kind: HistoryKind) -> &'static [&'static str] {
    match kind {
        HistoryKind::Orders | HistoryKind::Payments => ORDER_STATUSES,
        HistoryKind::Refunds => REFUND_STATUSES,
        HistoryKind::Points => POINTS_STATUSES,
        _ => SYNC_STATUSES,
    }
}

/// The filter semantics, restated over plain values.
fn matches(w: &World, q: &HistoryQuery, m: &M) -> bool {
    if q.kind != HistoryKind::All && q.kind != m.kind {
        return false;
    }
    let o = m.order.and_then(|id| w.orders.get(&id));
    let via = |f: &dyn Fn(&O) -> bool| o.is_some_and(f);
    if q.from_ms.is_some_and(|f| m.at < f) || q.to_ms.is_some_and(|t| m.at >= t) {
        return false;
    }
    if q.min_amount_minor.is_some() || q.max_amount_minor.is_some() {
        let Some(a) = m.amount else { return false };
        if q.min_amount_minor.is_some_and(|x| a < x) || q.max_amount_minor.is_some_and(|x| a > x) {
            return false;
        }
    }
    if let Some(st) = &q.status {
        if !statuses(m.kind).contains(&st.as_str()) || &m.status != st {
            return false;
        }
    }
    if let Some(c) = q.cashier_id {
        let ok = match m.kind {
            HistoryKind::Orders | HistoryKind::Payments | HistoryKind::Refunds => m.cashier == Some(c),
            _ => via(&|o| o.cashier == c),
        };
        if !ok {
            return false;
        }
    }
    if let Some(t) = &q.tender {
        let ok = match m.kind {
            HistoryKind::Payments | HistoryKind::Refunds => m.tender.as_ref() == Some(t),
            _ => via(&|o| o.tenders.contains(t)),
        };
        if !ok {
            return false;
        }
    }
    if let Some(cu) = &q.customer {
        let ok = match m.kind {
            HistoryKind::Orders | HistoryKind::Payments | HistoryKind::Points => m.customer.as_ref() == Some(cu),
            _ => via(&|o| o.customer.as_ref() == Some(cu)),
        };
        if !ok {
            return false;
        }
    }
    if let Some(l) = &q.card_last4 {
        let ok = match m.kind {
            HistoryKind::Orders => via(&|o| o.last4.contains(l)),
            HistoryKind::Payments => m.last4.as_ref() == Some(l),
            _ => false,
        };
        if !ok {
            return false;
        }
    }
    if let Some(p) = &q.product {
        let ids: HashSet<i64> = w
            .products
            .iter()
            .filter(|(_, sku, bc, name)| sku == p || bc.as_ref() == Some(p) || name.starts_with(p.as_str()))
            .map(|x| x.0)
            .collect();
        if !via(&|o| o.products.iter().any(|x| ids.contains(x))) {
            return false;
        }
    }
    if let Some(code) = &q.line_code {
        let code = LineCode::parse(code).unwrap().as_str().to_string();
        if !via(&|o| o.codes.contains(&code)) {
            return false;
        }
    }
    if let Some(d) = &q.device_id {
        if !via(&|o| o.serials.contains(d)) {
            return false;
        }
    }
    if let Some(n) = &q.order_no {
        if m.order != Some(n.parse::<i64>().unwrap()) {
            return false;
        }
    }
    true
}

fn all_pages(s: &Store, q: &HistoryQuery, limit: u32) -> Vec<HistoryRow> {
    let mut out = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let page = s.history_page(q, cursor.as_deref(), limit).unwrap();
        assert!(page.rows.len() <= limit as usize);
        out.extend(page.rows);
        match page.next_cursor {
            Some(c) => cursor = Some(c),
            None => return out,
        }
    }
}

fn sort_key(q: &HistoryQuery, kind: HistoryKind, at: i64, amount: Option<i64>, id: i64) -> (i64, i64, i64) {
    let k = match q.sort {
        HistorySort::Newest | HistorySort::Oldest => at,
        _ => amount.unwrap_or(0),
    };
    (k, kind_rank(kind), id)
}

fn check(s: &Store, w: &World, q: &HistoryQuery) -> usize {
    let got = all_pages(s, q, 97);
    let keys: Vec<(HistoryKind, i64)> = got.iter().map(|r| (r.kind, r.id)).collect();
    let unique: HashSet<_> = keys.iter().copied().collect();
    assert_eq!(unique.len(), keys.len(), "a row came twice for {q:?}");
    let want: HashSet<(HistoryKind, i64)> =
        w.rows.iter().filter(|m| matches(w, q, m)).map(|m| (m.kind, m.id)).collect();
    assert_eq!(unique, want, "wrong rows for {q:?}");
    // In page order, strictly.
    let ks: Vec<_> = got.iter().map(|r| sort_key(q, r.kind, r.at_ms, r.amount.map(|a| a.minor()), r.id)).collect();
    for pair in ks.windows(2) {
        if descending(q.sort) {
            assert!(pair[0] > pair[1], "out of order for {q:?}");
        } else {
            assert!(pair[0] < pair[1], "out of order for {q:?}");
        }
    }
    let n = s.history_count(q, 1_000_000).unwrap();
    assert_eq!((n.count, n.capped), (want.len() as i64, false), "count for {q:?}");
    if want.len() > 3 {
        assert_eq!(s.history_count(q, 3).unwrap(), HistoryCount { count: 3, capped: true });
    }
    want.len()
}

#[test]
fn every_filter_returns_exactly_its_rows_in_order_across_pages() {
    let (_d, s) = setup(1_200);
    let w = world(&s);
    let pay = w.rows.iter().find(|m| m.last4.is_some() && m.id > 300).unwrap();
    let last4 = pay.last4.clone();
    let customer = w.orders.values().find_map(|o| o.customer.clone());
    let refunded = w.rows.iter().find(|m| m.kind == HistoryKind::Refunds).unwrap().order.unwrap();
    let o = &w.orders[&refunded];
    let code = o.codes.iter().next().unwrap().to_lowercase();
    let serial = w.orders.values().find_map(|o| o.serials.iter().next().cloned());
    assert!(serial.is_some(), "some phones were sold");
    let t0 = 1_700_000_000_000 + 10 * DAY;
    let base = HistoryQuery::default();
    let queries = vec![
        base.clone(),
        HistoryQuery { from_ms: Some(t0), to_ms: Some(t0 + 5 * DAY), ..base.clone() },
        HistoryQuery { cashier_id: Some(1), ..base.clone() },
        HistoryQuery { tender: Some("card".into()), ..base.clone() },
        HistoryQuery { tender: Some("points".into()), ..base.clone() },
        HistoryQuery { status: Some("partly_refunded".into()), ..base.clone() },
        HistoryQuery { status: Some("confirmed".into()), ..base.clone() },
        HistoryQuery { status: Some("sent".into()), ..base.clone() },
        HistoryQuery { min_amount_minor: Some(5_000), max_amount_minor: Some(20_000), ..base.clone() },
        HistoryQuery { card_last4: last4, ..base.clone() },
        HistoryQuery { customer: customer.clone(), ..base.clone() },
        HistoryQuery { product: Some("GEN-ITEM-2".into()), ..base.clone() },
        HistoryQuery { product: Some("Phone Demo".into()), ..base.clone() },
        HistoryQuery { line_code: Some(code), ..base.clone() },
        HistoryQuery { device_id: serial, ..base.clone() },
        HistoryQuery { order_no: Some(format!("{refunded:08}")), ..base.clone() },
        HistoryQuery {
            cashier_id: Some(2),
            tender: Some("cash".into()),
            from_ms: Some(t0),
            to_ms: Some(t0 + 20 * DAY),
            ..base.clone()
        },
        HistoryQuery { product: Some("no such thing".into()), ..base.clone() },
    ];
    let kinds = [
        HistoryKind::All,
        HistoryKind::Orders,
        HistoryKind::Payments,
        HistoryKind::Refunds,
        HistoryKind::Points,
        HistoryKind::Sync,
    ];
    let mut nonempty = 0;
    for q in &queries {
        for kind in kinds {
            if check(&s, &w, &HistoryQuery { kind, ..q.clone() }) > 0 {
                nonempty += 1;
            }
        }
    }
    // Not a vacuous pass: most filters find something in most kinds.
    assert!(nonempty > 60, "only {nonempty} filters found rows");
    for sort in [HistorySort::Oldest, HistorySort::AmountDesc, HistorySort::AmountAsc] {
        for q in [&queries[0], &queries[1], &queries[8], &queries[10]] {
            for kind in [HistoryKind::All, HistoryKind::Orders, HistoryKind::Payments] {
                check(&s, &w, &HistoryQuery { kind, sort, ..q.clone() });
            }
        }
    }
}

#[test]
fn rows_written_between_pages_do_not_shift_them() {
    let (_d, s) = setup(300);
    let q = HistoryQuery::default();
    let first = s.history_page(&q, None, 50).unwrap();
    let second_before = s.history_page(&q, first.next_cursor.as_deref(), 50).unwrap();
    // A newer sale arrives; the second page from the same cursor is unchanged.
    let spec = GenerateSpec { orders: 5, seed: 9, start_ms: 1_800_000_000_000, days: 1, currency: Currency::CNY };
    generate(&s, &spec, &mut |_, _| {}).unwrap();
    let second_after = s.history_page(&q, first.next_cursor.as_deref(), 50).unwrap();
    assert_eq!(second_before, second_after);
    assert!(s.history_page(&q, None, 1).unwrap().rows[0].at_ms >= 1_800_000_000_000);
}

#[test]
fn bad_input_is_refused_with_a_reason() {
    let (_d, s) = setup(20);
    let bad = |q: HistoryQuery| match s.history_page(&q, None, 50) {
        Err(StoreError::Invalid(m)) => m,
        other => panic!("{q:?} gave {other:?}"),
    };
    let base = HistoryQuery::default();
    assert!(bad(HistoryQuery { from_ms: Some(10), to_ms: Some(5), ..base.clone() }).contains("after its end"));
    assert!(bad(HistoryQuery { card_last4: Some("12a4".into()), ..base.clone() }).contains("4 digits"));
    assert!(bad(HistoryQuery { card_last4: Some("12345".into()), ..base.clone() }).contains("4 digits"));
    assert!(bad(HistoryQuery { min_amount_minor: Some(9), max_amount_minor: Some(1), ..base.clone() }).contains("swap"));
    assert!(bad(HistoryQuery { tender: Some("cheque".into()), ..base.clone() })
        .contains("cash, card, points or payment_code"));
    assert!(bad(HistoryQuery { status: Some("lost".into()), ..base.clone() }).contains("unknown status"));
    assert!(bad(HistoryQuery { line_code: Some("ABC".into()), ..base.clone() }).contains("line code"));
    assert!(bad(HistoryQuery { order_no: Some("12x".into()), ..base.clone() }).contains("order number"));
    for cursor in ["", "zzz", "n1.2", "n1.9.3", "a1.1.1", "n1.1.x"] {
        assert!(matches!(s.history_page(&base, Some(cursor), 50), Err(StoreError::Invalid(_))), "cursor {cursor:?}");
    }
    assert!(matches!(s.history_page(&base, None, 0), Err(StoreError::Invalid(_))));
    assert!(matches!(s.history_count(&base, -1), Err(StoreError::Invalid(_))));
    // The UI sends camelCase and may leave anything out.
    let q: HistoryQuery = serde_json::from_str(r#"{"kind":"refunds","cardLast4":"1234"}"#).unwrap();
    assert_eq!((q.kind, q.sort, q.card_last4.as_deref()), (HistoryKind::Refunds, HistorySort::Newest, Some("1234")));
}

#[test]
fn order_extras_list_refunds_points_and_sync_of_that_order() {
    let (_d, s) = setup(1_500);
    let (order_id, refund_id): (i64, i64) = s
        .read(|c| {
            Ok(c.query_row(
                "SELECT r.order_id, r.id FROM refunds r JOIN orders o ON o.id = r.order_id
                 WHERE o.customer_ref IS NOT NULL ORDER BY r.id LIMIT 1",
                [],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )?)
        })
        .unwrap();
    // Generated customers earn no points (no loyalty token), so the order gets one here.
    s.write(|tx| {
        Ok(tx.execute(
            "INSERT INTO points_ledger (customer_ref, order_id, kind, points, status, created_at_ms)
             SELECT customer_ref, id, 'earn', 12, 'confirmed', created_at_ms FROM orders WHERE id = ?1",
            [order_id],
        )?)
    })
    .unwrap();
    s.audit(1, None, "receipt.reprinted", &serde_json::json!({ "order_id": order_id })).unwrap();
    s.audit(1, None, "receipt.reprinted", &serde_json::json!({ "order_id": order_id * 10 + 1 })).unwrap();
    let x = s.order_extras(order_id).unwrap();
    assert!(x.status == "refunded" || x.status == "partly_refunded");
    let paid: i64 = x.payments.iter().map(|p| p.amount.minor()).sum();
    let total: i64 =
        s.read(|c| Ok(c.query_row("SELECT total_minor FROM orders WHERE id = ?1", [order_id], |r| r.get(0))?)).unwrap();
    assert_eq!(paid, total);
    assert_eq!(x.refunds.len(), 1);
    assert_eq!(x.refunds[0].id, refund_id);
    assert_eq!(x.refunds[0].refund_no, format!("R{refund_id:07}"));
    assert_eq!(x.refunds[0].lines.iter().map(|l| l.amount.minor()).sum::<i64>(), x.refunds[0].amount.minor());
    assert!(x.points.iter().any(|p| p.kind == "earn"));
    assert!(x.points.iter().all(|p| p.customer_ref.len() == 32));
    let kinds: Vec<&str> = x.sync.iter().map(|e| e.kind.as_str()).collect();
    let mut expected = vec!["sale.recorded"];
    expected.extend(x.refunds[0].lines.iter().map(|_| "refund.requested"));
    assert_eq!(kinds, expected);
    let actions: Vec<&str> = x.audit.iter().map(|a| a.action.as_str()).collect();
    assert_eq!(
        actions,
        ["sale.recorded", "refund.recorded", "receipt.reprinted"],
        "only the entries naming this order: {:?}",
        x.audit
    );
    assert!(matches!(s.order_extras(999_999), Err(StoreError::NotFound(_))));
}
