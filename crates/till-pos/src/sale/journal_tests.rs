//! Tests of the payment journal in the card flow, against a real till-server on 127.0.0.1: an
//! approval whose sale cannot be recorded is taken back and the cart kept, the stand-in's is
//! reversed on the till, and the start-up check takes back what a stopped till left (or settles
//! it when its sale is there).

use super::*;
use crate::error::ErrorCode;
use crate::ipc::sale::CardPaymentStatus;
use crate::sale::card::tests::start_payment;
use crate::sale::offline_forward::tests::{forward, till, NOW, TEA};
use crate::tests::{CASHIER, MANAGER};
use crate::ManualClock;
use std::sync::Arc;
use till_core::{Money, PaymentId, SessionToken};
use till_store::{NewJournalPayment, Platform};

/// Starts a card payment of one tea and waits for the card read; returns the cart and payment ids.
fn read_card(p: &Pos, t: &SessionToken) -> (till_core::CartId, PaymentId) {
    let cart = p.cart_scan(t, TEA).unwrap();
    let (v, pushed) = start_payment(p, t, &cart.cart_id).unwrap();
    assert_eq!(pushed.read().status, CardPaymentStatus::Signature);
    (cart.cart_id, v.payment_id)
}

fn close_the_day(p: &Pos) {
    let date = till_core::calendar::utc_date(NOW);
    p.store().close_day(&date, Money::new(0, p.currency()), MANAGER, NOW + 1_000).unwrap();
}

#[test]
fn an_approval_whose_sale_cannot_be_recorded_is_reversed_and_the_cart_kept() {
    let dir = tempfile::tempdir().unwrap();
    let (p, server) = till(&dir, Arc::new(ManualClock::new(NOW)), |s| s.url(), None);
    let t = p.login(CASHIER, "1111").unwrap().token;
    let (cart_id, payment_id) = read_card(&p, &t);
    let before = p.cart_get(&t).unwrap();
    // a manager closes the day while the card is being authorised: the sale cannot be recorded
    close_the_day(&p);
    let e = p.payment_authorize(&t, &payment_id).unwrap_err();
    assert_eq!(e.code(), ErrorCode::PaymentNotRecorded, "{e}");
    assert!(e.to_string().contains("reversed") && e.to_string().contains("day"), "{e}");
    // the platform approved it, the till recorded nothing and queued the reversal
    assert_eq!(server.authorizations(), [(payment_id.to_string(), "approved".to_string())]);
    let entry = p.store().journal_entry(payment_id.as_str()).unwrap().unwrap();
    assert_eq!((entry.state, entry.reason.as_deref()), (JournalState::ReversalPending, Some(REASON_SALE_NOT_RECORDED)));
    assert!(p.store().order_by_checkout_key(cart_id.as_str()).unwrap().is_none());
    // the cart is as it was, for another try
    let after = p.cart_get(&t).unwrap();
    assert_eq!(serde_json::to_value(&after).unwrap(), serde_json::to_value(&before).unwrap());
    // the manager can see it in the audit log; the worker takes it back at the platform
    let queued: i64 = p
        .store()
        .read(|c| {
            Ok(c.query_row("SELECT count(*) FROM audit_log WHERE action = 'payment.reversal_queued'", [], |r| {
                r.get(0)
            })?)
        })
        .unwrap();
    assert_eq!(queued, 1);
    let report = forward(&p, &server);
    assert_eq!((report.done, report.parked), (1, 0), "{report:?}");
    assert_eq!(server.authorizations(), [(payment_id.to_string(), "reversed".to_string())]);
    assert_eq!(p.store().journal_entry(payment_id.as_str()).unwrap().unwrap().state, JournalState::Reversed);
}

#[test]
fn a_stand_in_approval_whose_sale_cannot_be_recorded_is_reversed_on_the_till() {
    let (_d, _c, p) = crate::tests::pos();
    let t = p.login(CASHIER, "1111").unwrap().token;
    let (_cart, payment_id) = read_card(&p, &t);
    close_the_day(&p);
    assert_eq!(p.payment_authorize(&t, &payment_id).unwrap_err().code(), ErrorCode::PaymentNotRecorded);
    let e = p.store().journal_entry(payment_id.as_str()).unwrap().unwrap();
    assert_eq!((e.platform, e.state), (Platform::StandIn, JournalState::Reversed));
    assert!(e.auth_code.unwrap().starts_with("SIM"));
    assert!(p.store().outbox_events("payment.reversal").unwrap().is_empty(), "nothing to send: it never left");
}

#[test]
fn a_recorded_sale_settles_its_payment_and_a_decline_is_final() {
    let (_d, _c, p) = crate::tests::pos();
    let t = p.login(CASHIER, "1111").unwrap().token;
    let (cart, payment_id) = read_card(&p, &t);
    let r = p.payment_authorize(&t, &payment_id).unwrap();
    let e = p.store().journal_entry(payment_id.as_str()).unwrap().unwrap();
    assert_eq!(
        (e.state, e.order_id, e.checkout_key.as_str()),
        (JournalState::Settled, Some(r.order_id), cart.as_str())
    );
    assert_eq!(e.masked_ref.as_deref(), Some("411111******1111"));
    assert!(p.store().journal_unsettled().unwrap().is_empty());

    let (_d, _c, p) =
        crate::tests::pos_with_reader("sim://card-reader?delay_ms=1&track2=%3B4000000000000002%3D28121010000000000%3F");
    let t = p.login(CASHIER, "1111").unwrap().token;
    let (_cart, payment_id) = read_card(&p, &t);
    assert_eq!(p.payment_authorize(&t, &payment_id).unwrap_err().code(), ErrorCode::CardDeclined);
    let e = p.store().journal_entry(payment_id.as_str()).unwrap().unwrap();
    assert_eq!((e.state, e.reason.as_deref()), (JournalState::Declined, Some("05")));
    assert!(p.store().journal_unsettled().unwrap().is_empty());
}

fn unsettled(p: &Pos, id: &str, cart: &str, platform: Platform, approved: Option<&str>) {
    let new = NewJournalPayment {
        payment_id: id.into(),
        method: "card".into(),
        platform,
        checkout_key: cart.into(),
        cashier_id: Some(CASHIER),
        amount: Money::new(350, p.currency()),
        masked_ref: Some("411111******1111".into()),
    };
    p.store().journal_begin(&new, NOW).unwrap();
    if let Some(code) = approved {
        p.store().journal_approved(id, code, None, NOW).unwrap();
    }
}

#[test]
fn start_up_takes_back_what_the_last_run_left() {
    let dir = tempfile::tempdir().unwrap();
    let (p, server) = till(&dir, Arc::new(ManualClock::new(NOW)), |s| s.url(), None);
    let t = p.login(CASHIER, "1111").unwrap().token;
    // a sale recorded whose payment the journal still shows approved (as if settled by hand)
    let sold = p.cart_scan(&t, TEA).unwrap();
    let receipt = p.checkout_cash(&t, &sold.cart_id, 100_000).unwrap();
    let order_code = receipt.payment.auth_code.clone();
    assert!(order_code.is_none(), "cash has no approval code");
    unsettled(&p, "left-approved", "cart-gone", Platform::PaymentPlatform, Some("123456"));
    unsettled(&p, "left-authorising", "cart-gone", Platform::PaymentPlatform, None);
    unsettled(&p, "left-by-stand-in", "cart-gone", Platform::StandIn, Some("SIM000001"));
    // paid by cash: a card payment left approved for that cart did not pay it
    unsettled(&p, "cash-paid-it", sold.cart_id.as_str(), Platform::PaymentPlatform, Some("654321"));
    drop(p);

    let p = crate::tests::reopen(&dir);
    let state = |id: &str| p.store().journal_entry(id).unwrap().unwrap().state;
    assert_eq!(state("left-approved"), JournalState::ReversalPending);
    assert_eq!(state("left-authorising"), JournalState::ReversalPending);
    assert_eq!(state("left-by-stand-in"), JournalState::Reversed);
    assert_eq!(state("cash-paid-it"), JournalState::ReversalPending);
    let reasons: Vec<_> = p.store().journal_reversals_pending().unwrap().into_iter().map(|e| e.reason).collect();
    assert!(reasons.iter().all(|r| r.as_deref() == Some(REASON_TILL_RESTARTED)), "{reasons:?}");
    // a second start changes nothing more
    drop(p);
    let p = crate::tests::reopen(&dir);
    assert_eq!(p.store().outbox_events("payment.reversal").unwrap().len(), 3);
    // the platform never saw them: each is blocked there and reversed here
    let report = forward(&p, &server);
    assert_eq!(report.parked, 0, "{report:?}");
    assert_eq!(server.reversals().len(), 3);
    assert!(p.store().journal_reversals_pending().unwrap().is_empty());
}

#[test]
fn start_up_settles_an_approved_payment_whose_sale_is_recorded() {
    let (dir, _c, p) = crate::tests::pos();
    let t = p.login(CASHIER, "1111").unwrap().token;
    let (cart, payment_id) = read_card(&p, &t);
    let r = p.payment_authorize(&t, &payment_id).unwrap();
    // as if the sale had committed without its journal row (an older till's sale, or a row
    // written back by hand): the journal says approved, the order carries its code
    p.store()
        .write(|tx| {
            tx.execute(
                "UPDATE payment_journal SET state = 'approved', order_id = NULL WHERE payment_id = ?1",
                [payment_id.as_str()],
            )?;
            Ok(())
        })
        .unwrap();
    drop(p);
    let p = crate::tests::reopen(&dir);
    let e = p.store().journal_entry(payment_id.as_str()).unwrap().unwrap();
    assert_eq!((e.state, e.order_id), (JournalState::Settled, Some(r.order_id)));
    assert_eq!(p.store().journal_of_checkout(cart.as_str()).unwrap().len(), 1);
}
