//! An earn refused because its identify token expired before it could be sent waits for the
//! customer's next identification (pending, off the manager's lists), and is sent again then as
//! a new event, once: against real SQLite files, through the outbox's own claim and settle.
#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)]

use rand::rngs::StdRng;
use rand::SeedableRng;
use serde_json::{json, Value};
use till_core::{Cart, CashPayment, Currency, Money, NewOrder, Payment, Role, Sku, TaxRate};
use till_store::{NewProduct, PointsChange, Prepared, SaleLoyalty, Settlement, Store};

const CNY: Currency = Currency::CNY;
const EXPIRED: &str = "422 token_expired: the token was issued 700 s from the server's clock";
const ACCOUNT: &str = "abababababababababababababababab";

fn setup(dir: &tempfile::TempDir) -> (Store, i64) {
    let s = Store::open(&dir.path().join("till.db")).unwrap();
    s.add_products(&[NewProduct {
        sku: Sku::parse("TEA").unwrap(),
        barcode: None,
        name: "Tea".into(),
        name_zh: None,
        price: Money::new(3800, CNY),
        tax_rate: TaxRate::from_basis_points(1300).unwrap(),
        tax_inclusive: true,
        serialised: false,
    }])
    .unwrap();
    let uid = s.write(|tx| till_store::users::insert(tx, "Ann", Role::Cashier, "h", 0)).unwrap();
    (s, uid)
}

/// A cash sale of one tea for the customer, earning 38 points with `token`, maybe redeeming
/// 100 (1.00) first; the order id.
fn sell(s: &Store, uid: i64, n: u64, token: &str, redeem: bool) -> i64 {
    let tea = s.product_by_sku(&Sku::parse("TEA").unwrap()).unwrap().unwrap();
    let mut cart = Cart::new(CNY);
    cart.add(&tea, 1).unwrap();
    let points_value = if redeem { 100 } else { 0 };
    let cash = Money::new(cart.totals().unwrap().total.minor() - points_value, CNY);
    let pay = Payment::Cash(CashPayment::take(cash, cash).unwrap());
    let order =
        NewOrder::from_cart(&cart, pay, format!("cart-{n}"), uid, 1_000 + n as i64, &mut StdRng::seed_from_u64(n))
            .unwrap();
    let change = |id: &str, points: i64, token: &str| PointsChange {
        event_id: format!("{id}-{n}"),
        points,
        token_hex: token.to_string(),
    };
    let loyalty = SaleLoyalty {
        customer_ref: ACCOUNT.into(),
        redeem: redeem.then(|| (change("redeem", 100, &"22".repeat(66)), Money::new(points_value, CNY))),
        earn: Some(change("earn", 38, token)),
        redeem_first: true,
    };
    s.record_sale_with_points(&order, &format!("sale-{n}"), Some(&loyalty)).unwrap().order_id
}

/// One round of the sync worker: every due event claimed and settled by `answer` (by its id).
fn round(s: &Store, now: i64, answer: &dyn Fn(&str) -> Option<Result<Value, &'static str>>) -> Vec<String> {
    let claimed = s
        .claim_due(now, 100, 60_000, &mut |ev| Ok(Prepared { wire_kind: "x".into(), body: ev.payload.clone() }))
        .unwrap();
    let settlements: Vec<Settlement> = claimed
        .iter()
        .map(|e| match answer(&e.id) {
            None => Settlement::Done { id: e.id.clone(), status: 201, response: "{}".into() },
            Some(Ok(body)) => Settlement::Done { id: e.id.clone(), status: 200, response: body.to_string() },
            Some(Err(reason)) => Settlement::Park { id: e.id.clone(), reason: reason.into() },
        })
        .collect();
    s.settle(now, &settlements).unwrap();
    claimed.into_iter().map(|e| e.id).collect()
}

fn event_state(s: &Store, id: &str) -> String {
    s.read(|c| Ok(c.query_row("SELECT state FROM outbox WHERE id = ?1", [id], |r| r.get(0))?)).unwrap()
}

fn audit_count(s: &Store, action: &str) -> i64 {
    s.read(|c| Ok(c.query_row("SELECT count(*) FROM audit_log WHERE action = ?1", [action], |r| r.get(0))?)).unwrap()
}

#[test]
fn an_expired_earn_waits_for_the_next_identification_and_is_sent_again_once() {
    let dir = tempfile::tempdir().unwrap();
    let (s, uid) = setup(&dir);
    let sale_token = "11".repeat(44);
    let order = sell(&s, uid, 1, &sale_token, true);
    // Offline too long: the server refuses both points changes as expired.
    round(&s, 10_000, &|id| (id.starts_with("redeem-") || id.starts_with("earn-")).then_some(Err(EXPIRED)));

    let rows = s.points_of_order(order).unwrap();
    let earn = rows.iter().find(|e| e.kind == "earn").unwrap();
    let redeem = rows.iter().find(|e| e.kind == "redeem").unwrap();
    // The earn waits, pending; the redemption (its token names that sale) is rejected as before.
    assert_eq!(
        (earn.status.as_str(), earn.awaiting_identify, earn.rejected_reason.as_deref()),
        ("pending", true, None)
    );
    assert_eq!((redeem.status.as_str(), redeem.awaiting_identify), ("rejected", false));
    let problems: Vec<i64> = s.points_rejected(10).unwrap().iter().map(|e| e.id).collect();
    assert_eq!(problems, [redeem.id], "the manager's list has the redemption only");
    let parked: Vec<String> = s.parked_events().unwrap().into_iter().map(|e| e.id).collect();
    assert_eq!(parked, ["redeem-1"], "the refused earn is not left for a manager");
    assert_eq!(event_state(&s, "earn-1"), "discarded");
    assert_eq!(audit_count(&s, "points.awaiting_identify"), 1);
    assert_eq!(s.points_awaiting_identify(ACCOUNT).unwrap().len(), 1);
    assert!(s.points_awaiting_identify("cdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcd").unwrap().is_empty());
    // Any other refusal of an earn still rejects it.
    let replayed = sell(&s, uid, 2, &"33".repeat(44), false);
    round(&s, 11_000, &|id| id.starts_with("earn-").then_some(Err("422 token_replayed: counter 3 is not above 3")));
    let r = &s.points_of_order(replayed).unwrap()[0];
    assert_eq!((r.status.as_str(), r.awaiting_identify), ("rejected", false));

    // The customer is identified again: the earn goes again as a new event, the sale's own
    // token and the new one beside it, and stops waiting.
    let mut n = 0;
    let mut ids = || {
        n += 1;
        format!("again-{n}")
    };
    let fresh = "44".repeat(44);
    let resent = s.points_resend_awaiting(Some(uid), ACCOUNT, &fresh, 20_000, &mut ids).unwrap();
    assert_eq!(resent.len(), 1);
    assert_eq!((resent[0].ledger_id, resent[0].order_id, resent[0].points), (earn.id, Some(order), 38));
    let event = s.outbox_events("points.updated").unwrap().into_iter().find(|e| e.id == "again-1").unwrap();
    let body: Value = serde_json::from_str(&event.payload).unwrap();
    let order_no: String =
        s.read(|c| Ok(c.query_row("SELECT order_no FROM orders WHERE id = ?1", [order], |r| r.get(0))?)).unwrap();
    assert_eq!(
        body,
        json!({"token": sale_token, "kind": "earn", "points": 38, "order_id": order_no, "identified_again": fresh})
    );
    let row = s.points_of_order(order).unwrap().into_iter().find(|e| e.kind == "earn").unwrap();
    assert_eq!((row.status.as_str(), row.awaiting_identify), ("pending", false));
    assert_eq!(audit_count(&s, "points.resent"), 1);
    // A second identification sends nothing more.
    assert!(s.points_resend_awaiting(Some(uid), ACCOUNT, &"55".repeat(44), 21_000, &mut ids).unwrap().is_empty());

    // Offline too long again: the new event is refused as expired too, and waits again.
    assert_eq!(round(&s, 30_000, &|_| Some(Err(EXPIRED))), ["again-1"]);
    assert!(s.points_of_order(order).unwrap().iter().any(|e| e.kind == "earn" && e.awaiting_identify));
    // The next identification sends it with that one's token; this time the server answers.
    let fresher = "66".repeat(44);
    assert_eq!(s.points_resend_awaiting(Some(uid), ACCOUNT, &fresher, 40_000, &mut ids).unwrap().len(), 1);
    let event = s.outbox_events("points.updated").unwrap().into_iter().find(|e| e.id == "again-2").unwrap();
    let body: Value = serde_json::from_str(&event.payload).unwrap();
    assert_eq!(
        (body["token"].as_str(), body["identified_again"].as_str()),
        (Some(sale_token.as_str()), Some(fresher.as_str()))
    );
    round(&s, 41_000, &|_| Some(Ok(json!({"balance": 138, "level": "member"}))));
    let row = s.points_of_order(order).unwrap().into_iter().find(|e| e.kind == "earn").unwrap();
    assert_eq!((row.status.as_str(), row.balance_after, row.awaiting_identify), ("confirmed", Some(138), false));
    assert_eq!(s.points_last_balance(ACCOUNT).unwrap().map(|(b, _)| b), Some(138));

    // After a restart, identifications still find nothing to send.
    drop(s);
    let s = Store::open(&dir.path().join("till.db")).unwrap();
    assert!(s.points_resend_awaiting(Some(uid), ACCOUNT, &"77".repeat(44), 50_000, &mut ids).unwrap().is_empty());
    let earns = s.outbox_events("points.updated").unwrap().iter().filter(|e| e.id.starts_with("again-")).count();
    assert_eq!(earns, 2, "sent again once per identification that found it waiting");
}

#[test]
fn only_a_pending_earn_can_wait_for_an_identification() {
    let dir = tempfile::tempdir().unwrap();
    let (s, uid) = setup(&dir);
    let order = sell(&s, uid, 1, &"11".repeat(44), true);
    let set = |kind: &str| {
        s.write(|tx| {
            Ok(tx.execute(
                "UPDATE points_ledger SET awaiting_identify = 1 WHERE order_id = ?1 AND kind = ?2",
                rusqlite::params![order, kind],
            )?)
        })
    };
    assert!(set("redeem").is_err(), "a redemption never waits");
    round(&s, 10_000, &|id| id.starts_with("earn-").then_some(Ok(json!({"balance": 38}))));
    assert!(set("earn").is_err(), "a confirmed earn never waits");
}

/// A refund's reversal of `order`'s earn (10 points), queued as a refund would queue it; its
/// event id.
fn queue_reversal(s: &Store, order: i64, n: u64) -> String {
    let id = format!("rev-{n}");
    s.write(|tx| {
        tx.execute(
            "INSERT INTO points_ledger (customer_ref, order_id, kind, points, created_at_ms, event_id)
             VALUES (?1, ?2, 'reverse-earn', -10, ?3, ?4)",
            rusqlite::params![ACCOUNT, order, 5_000 + n as i64, id],
        )?;
        till_store::outbox::enqueue(
            tx,
            &id,
            "points.reversed",
            &format!("order/{order}"),
            &json!({"refund_id": format!("r-{n}"), "order_id": "x", "account_id": ACCOUNT, "kind": "reverse_earn", "points": 10}),
            5_000 + n as i64,
        )
    })
    .unwrap();
    id
}

fn reversal_row(s: &Store, order: i64) -> till_store::points_ledger::LedgerEntry {
    s.points_of_order(order).unwrap().into_iter().find(|e| e.kind == "reverse-earn").unwrap()
}

const NOTHING_TO_REVERSE: &str = "422 no_points_to_reverse: this terminal recorded no earn for order x";

#[test]
fn a_refunds_reversal_of_a_waiting_earn_waits_for_it_and_goes_behind_it() {
    let dir = tempfile::tempdir().unwrap();
    let (s, uid) = setup(&dir);
    let order = sell(&s, uid, 1, &"11".repeat(44), false);
    // Offline: the sale, then a refund of it. Back online, the earn is refused as expired and
    // its reversal finds nothing to take back: it waits with the earn, rejected by nobody.
    let rev = queue_reversal(&s, order, 1);
    round(&s, 10_000, &|id| {
        if id.starts_with("earn-") {
            Some(Err(EXPIRED))
        } else {
            id.starts_with("rev-").then_some(Err(NOTHING_TO_REVERSE))
        }
    });
    let r = reversal_row(&s, order);
    assert_eq!((r.status.as_str(), r.rejected_reason.as_deref()), ("pending", None));
    assert_eq!(event_state(&s, &rev), "discarded");
    assert!(s.points_rejected(10).unwrap().is_empty() && s.parked_events().unwrap().is_empty());

    // Identified again: the earn goes, and the reversal behind it.
    let mut n = 0;
    let mut ids = || {
        n += 1;
        format!("again-{n}")
    };
    let resent = s.points_resend_awaiting(Some(uid), ACCOUNT, &"44".repeat(44), 20_000, &mut ids).unwrap();
    assert_eq!((resent[0].event_id.as_str(), resent[0].reversals.clone()), ("again-1", vec!["again-2".to_string()]));
    let rev_again = s.outbox_events("points.reversed").unwrap().into_iter().find(|e| e.id == "again-2").unwrap();
    let old = s.outbox_events("points.reversed").unwrap().into_iter().find(|e| e.id == rev).unwrap();
    assert_eq!(rev_again.payload, old.payload, "the same reversal");
    assert_eq!(
        round(&s, 21_000, &|id| Some(Ok(json!({"balance": if id == "again-1" { 38 } else { 28 }})))),
        ["again-1", "again-2"]
    );
    assert_eq!(reversal_row(&s, order).status, "confirmed");
    assert!(s.points_resend_awaiting(Some(uid), ACCOUNT, &"55".repeat(44), 22_000, &mut ids).unwrap().is_empty());
}

#[test]
fn a_reversal_that_overtakes_the_earn_sent_again_goes_again_behind_it() {
    let dir = tempfile::tempdir().unwrap();
    let (s, uid) = setup(&dir);
    let order = sell(&s, uid, 1, &"11".repeat(44), false);
    let rev = queue_reversal(&s, order, 1);
    // The earn is refused as expired; the reversal's attempt fails and waits for a retry.
    let claimed = s
        .claim_due(10_000, 100, 60_000, &mut |ev| Ok(Prepared { wire_kind: "x".into(), body: ev.payload.clone() }))
        .unwrap();
    let settle: Vec<Settlement> = claimed
        .iter()
        .map(|e| match e.id.as_str() {
            id if id.starts_with("earn-") => Settlement::Park { id: id.into(), reason: EXPIRED.into() },
            id if id.starts_with("rev-") => {
                Settlement::Retry { id: id.into(), next_attempt_at_ms: 15_000, error: "timeout".into() }
            }
            id => Settlement::Done { id: id.into(), status: 201, response: "{}".into() },
        })
        .collect();
    s.settle(10_000, &settle).unwrap();
    // Identified again before the reversal's retry: it is ahead of the earn sent again, and the
    // server has no earn to take back yet.
    let mut ids = || "again-1".to_string();
    s.points_resend_awaiting(Some(uid), ACCOUNT, &"44".repeat(44), 12_000, &mut ids).unwrap();
    assert_eq!(
        round(&s, 16_000, &|id| if id == rev {
            Some(Err(NOTHING_TO_REVERSE))
        } else {
            Some(Ok(json!({"balance": 38})))
        }),
        [rev.as_str(), "again-1"]
    );
    // The reversal went again at once, behind the earn, under a new key; nothing was rejected.
    let r = reversal_row(&s, order);
    assert_eq!((r.status.as_str(), event_state(&s, &rev)), ("pending", "discarded".to_string()));
    assert!(s.points_rejected(10).unwrap().is_empty() && s.parked_events().unwrap().is_empty());
    let sent = round(&s, 17_000, &|_| Some(Ok(json!({"balance": 28}))));
    assert_eq!(sent.len(), 1);
    assert_ne!(sent[0], rev);
    assert_eq!(reversal_row(&s, order).status, "confirmed");
    assert_eq!(s.points_last_balance(ACCOUNT).unwrap().map(|(b, _)| b), Some(28));
}
