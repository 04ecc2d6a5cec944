//! The payment journal against a real SQLite file: `authorising` is on disk before anything
//! else, `settled` lands in the sale's own commit (and a payment being reversed refuses its
//! sale), a reversal queues its outbox event with an audit entry in one commit, the platform's
//! answers settle it, and nothing of a card but its masked number is kept.
#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)]

use rand::rngs::StdRng;
use rand::SeedableRng;
use till_core::{Cart, Currency, Money, NewOrder, Payment, Role, Sku, TaxRate};
use till_store::delivery::Settlement;
use till_store::payment_journal::{reversal_event_id, Reversal};
use till_store::{JournalState, NewJournalPayment, NewProduct, Platform, Settle, Store, StoreError};

const CNY: Currency = Currency::CNY;

fn setup() -> (tempfile::TempDir, Store, i64) {
    let dir = tempfile::tempdir().unwrap();
    let s = Store::open(&dir.path().join("till.db")).unwrap();
    s.add_products(&[NewProduct {
        sku: Sku::parse("TEA").unwrap(),
        barcode: None,
        name: "Tea".into(),
        name_zh: None,
        price: Money::new(1999, CNY),
        tax_rate: TaxRate::from_basis_points(1300).unwrap(),
        tax_inclusive: true,
        serialised: false,
    }])
    .unwrap();
    let uid = s.write(|tx| till_store::users::insert(tx, "Ann", Role::Cashier, "h", 0)).unwrap();
    (dir, s, uid)
}

fn payment(id: &str, cart: &str, platform: Platform) -> NewJournalPayment {
    NewJournalPayment {
        payment_id: id.into(),
        method: "card".into(),
        platform,
        checkout_key: cart.into(),
        cashier_id: None,
        amount: Money::new(1999, CNY),
        masked_ref: Some("411111******1111".into()),
    }
}

fn card_order(s: &Store, uid: i64, cart_key: &str, auth_code: &str) -> NewOrder {
    let tea = s.product_by_sku(&Sku::parse("TEA").unwrap()).unwrap().unwrap();
    let mut cart = Cart::new(CNY);
    cart.add(&tea, 1).unwrap();
    let pay = Payment::Card(till_core::CardPayment {
        masked_pan: till_core::MaskedPan::from_pan("4111111111111111").unwrap(),
        pan_hash: "00".into(),
        brand: till_core::CardBrand::from_bin("411111"),
        auth_code: auth_code.into(),
        payment_id: None,
        reader: "sim://card-reader".into(),
        entry_mode: "magstripe".into(),
        cvm: "signature".into(),
        signature_svg: None,
    });
    NewOrder::from_cart(&cart, pay, cart_key.into(), uid, 5_000, &mut StdRng::seed_from_u64(4)).unwrap()
}

fn orders(s: &Store) -> i64 {
    s.read(|c| Ok(c.query_row("SELECT count(*) FROM orders", [], |r| r.get(0))?)).unwrap()
}

fn state(s: &Store, id: &str) -> JournalState {
    s.journal_entry(id).unwrap().unwrap().state
}

#[test]
fn authorising_then_approved_then_settled_in_the_sale_commit() {
    let (dir, s, uid) = setup();
    s.journal_begin(&payment("p1", "cart-1", Platform::PaymentPlatform), 1_000).unwrap();
    // on disk before anything else happens: another connection sees it
    let other = Store::open(&dir.path().join("till.db")).unwrap();
    assert_eq!(other.journal_unsettled().unwrap()[0].payment_id, "p1");
    s.journal_approved("p1", "123456", Some("ref-9"), 2_000).unwrap();
    let sale = s
        .record_sale_settling(
            &card_order(&s, uid, "cart-1", "123456"),
            "sale-1",
            None,
            Some(&Settle::Payment("p1".into())),
        )
        .unwrap();
    let e = s.journal_entry("p1").unwrap().unwrap();
    assert_eq!(
        (e.state, e.order_id, e.auth_code.as_deref()),
        (JournalState::Settled, Some(sale.order_id), Some("123456"))
    );
    assert_eq!(
        (e.platform_ref.as_deref(), e.amount, e.checkout_key.as_str()),
        (Some("ref-9"), Money::new(1999, CNY), "cart-1")
    );
    assert!(s.journal_unsettled().unwrap().is_empty());
    // settled is final: no reversal, no second settle
    assert_eq!(s.journal_reverse("p1", "x", None, 3_000).unwrap(), Reversal::Nothing(JournalState::Settled));
    assert!(matches!(s.journal_approved("p1", "1", None, 3_000), Err(StoreError::Conflict(_))));
}

#[test]
fn a_payment_being_reversed_refuses_its_sale_and_the_sale_writes_nothing() {
    let (_d, s, uid) = setup();
    s.journal_begin(&payment("p1", "cart-1", Platform::PaymentPlatform), 1_000).unwrap();
    s.journal_approved("p1", "123456", None, 2_000).unwrap();
    assert_eq!(
        s.journal_reverse("p1", "sale_not_recorded", Some(uid), 3_000).unwrap(),
        Reversal::Queued(reversal_event_id("p1"))
    );
    let r = s.record_sale_settling(
        &card_order(&s, uid, "cart-1", "123456"),
        "sale-1",
        None,
        Some(&Settle::Payment("p1".into())),
    );
    assert!(matches!(r, Err(StoreError::Conflict(ref m)) if m.contains("reversal_pending")), "{r:?}");
    assert_eq!(orders(&s), 0);
    assert!(s.outbox_events("sale.recorded").unwrap().is_empty());
    // a payment unknown to the journal cannot settle a sale either
    let r = s.record_sale_settling(
        &card_order(&s, uid, "cart-1", "1"),
        "sale-1",
        None,
        Some(&Settle::Payment("nope".into())),
    );
    assert!(matches!(r, Err(StoreError::NotFound(_))), "{r:?}");
    assert_eq!(orders(&s), 0);
}

#[test]
fn a_reversal_is_queued_with_its_audit_entry_and_settled_by_the_platforms_answer() {
    let (_d, s, uid) = setup();
    for id in ["p1", "p2", "p3", "p4"] {
        s.journal_begin(&payment(id, "cart-1", Platform::PaymentPlatform), 1_000).unwrap();
    }
    s.journal_approved("p1", "123456", None, 2_000).unwrap();
    for id in ["p1", "p2", "p3", "p4"] {
        s.journal_reverse(id, "sale_not_recorded", Some(uid), 3_000).unwrap();
        assert_eq!(state(&s, id), JournalState::ReversalPending);
    }
    let events = s.outbox_events("payment.reversal").unwrap();
    assert_eq!(events.len(), 4);
    assert_eq!(events[0].id, "reversal-p1");
    let body: serde_json::Value = serde_json::from_str(&events[0].payload).unwrap();
    assert_eq!(
        body,
        serde_json::json!({"payment_id": "p1", "amount": {"minor": 1999, "currency": "CNY"}, "reason": "sale_not_recorded"})
    );
    let audit = s
        .read(|c| {
            Ok(c.query_row("SELECT count(*) FROM audit_log WHERE action = 'payment.reversal_queued'", [], |r| {
                r.get::<_, i64>(0)
            })?)
        })
        .unwrap();
    assert_eq!(audit, 4);
    // the worker claims them and records the platform's answers
    let claimed = s.claim_due(10_000, 10, 60_000, &mut till_sync_free_prepare).unwrap();
    assert_eq!(claimed.len(), 4);
    let done = |id: &str, status: u16, body: &str| Settlement::Done {
        id: reversal_event_id(id),
        status,
        response: body.into(),
    };
    s.settle(
        11_000,
        &[
            done("p1", 200, r#"{"payment_id":"p1","status":"reversed"}"#),
            done("p2", 404, r#"{"code":"payment_not_found","message":"blocked"}"#),
            done("p3", 409, r#"{"code":"payment_declined","message":"declined"}"#),
            Settlement::Park { id: reversal_event_id("p4"), reason: "422 amount_mismatch: no".into() },
        ],
    )
    .unwrap();
    let e = |id: &str| s.journal_entry(id).unwrap().unwrap();
    assert_eq!(e("p1").state, JournalState::Reversed);
    assert_eq!(e("p1").updated_at_ms, 11_000);
    assert_eq!(e("p2").state, JournalState::Reversed);
    assert!(e("p2").reason.unwrap().contains("blocked"));
    assert_eq!(e("p3").state, JournalState::Declined);
    assert_eq!(
        (e("p4").state, e("p4").last_error.as_deref()),
        (JournalState::ReversalPending, Some("422 amount_mismatch: no"))
    );
    assert_eq!(s.journal_reversals_pending().unwrap().len(), 1);
    assert!(s.verify_audit().unwrap().ok);
}

/// The sync worker's `prepare`, without the sync crate: the payload as queued.
fn till_sync_free_prepare(e: &till_store::DueEvent) -> Result<till_store::Prepared, till_store::NotPrepared> {
    Ok(till_store::Prepared { wire_kind: "payment_reversal".into(), body: e.payload.clone() })
}

#[test]
fn the_stand_ins_approvals_are_reversed_here_and_offline_ones_are_written_settled() {
    let (_d, s, uid) = setup();
    s.journal_begin(&payment("p1", "cart-1", Platform::StandIn), 1_000).unwrap();
    s.journal_approved("p1", "SIM123", None, 2_000).unwrap();
    assert_eq!(s.journal_reverse("p1", "sale_not_recorded", Some(uid), 3_000).unwrap(), Reversal::Local);
    assert_eq!(state(&s, "p1"), JournalState::Reversed);
    assert!(s.outbox_events("payment.reversal").unwrap().is_empty());
    // an offline approval never left the till: its row is written with its sale, settled
    let offline = payment("p2", "cart-1", Platform::Offline);
    let sale = s
        .record_sale_settling(
            &card_order(&s, uid, "cart-1", "OFFLINE"),
            "sale-1",
            None,
            Some(&Settle::Offline(offline, "OFFLINE".into())),
        )
        .unwrap();
    let e = s.journal_entry("p2").unwrap().unwrap();
    assert_eq!(
        (e.state, e.order_id, e.auth_code.as_deref()),
        (JournalState::Settled, Some(sale.order_id), Some("OFFLINE"))
    );
    assert_eq!(s.journal_of_checkout("cart-1").unwrap().len(), 2);
}

#[test]
fn nothing_of_a_card_but_its_masked_number_and_no_bad_amount() {
    let (_d, s, _uid) = setup();
    let mut p = payment("p1", "cart-1", Platform::PaymentPlatform);
    p.masked_ref = Some("4111111111111111".into());
    assert!(matches!(s.journal_begin(&p, 1), Err(StoreError::Invalid(_))));
    p.masked_ref = Some("4111112222221111".into());
    assert!(s.journal_begin(&p, 1).is_err());
    p.masked_ref = None;
    p.amount = Money::new(0, CNY);
    assert!(matches!(s.journal_begin(&p, 1), Err(StoreError::Invalid(_))));
    assert!(s.journal_unsettled().unwrap().is_empty());
    // a declined payment is final
    p.amount = Money::new(5, CNY);
    s.journal_begin(&p, 1).unwrap();
    s.journal_declined("p1", "do_not_honour", 2).unwrap();
    assert_eq!(s.journal_reverse("p1", "x", None, 3).unwrap(), Reversal::Nothing(JournalState::Declined));
}
