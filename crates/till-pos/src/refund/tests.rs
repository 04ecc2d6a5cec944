//! Refunds of card sales the till approved offline, against a real till-server: the server
//! pays back to the card only when the platform approved the forwarded payment. The till asks
//! the server before any money moves, so a refund the server would refuse is refused here with
//! the server's code, and nothing is recorded.

use super::refusal_code;
use crate::ipc::refund::RemoteRefundInput;
use crate::ipc::refund::{RefundInput, RefundLineInput, RefundLookup};
use crate::ipc::sale::{CardPaymentStatus, PaymentSettings};
use crate::sale::card::tests::start_payment;
use crate::sale::offline_forward::tests::{closed_url, forward, pay, till, DECLINED_TRACK2, NOW};
use crate::tests::{CASHIER, INSTALLER, MANAGER};
use crate::{ManualClock, Pos};
use std::sync::Arc;
use till_core::SessionToken;

/// Refunds the whole sale `order_no` (found by its first line's code) as the signed-in manager.
fn refund_all(p: &Pos, m: &SessionToken, line_code: &str) -> crate::Result<crate::ipc::refund::RefundReceipt> {
    let found = p
        .refund_find(
            m,
            RefundLookup {
                by: "line_code".into(),
                text: line_code.into(),
                date: None,
                amount_minor: None,
                utc_offset_minutes: None,
            },
        )
        .unwrap();
    let input = RefundInput {
        order_id: found.order_id,
        lines: found
            .lines
            .iter()
            .map(|l| RefundLineInput { order_line_id: l.order_line_id, quantity: l.refundable })
            .collect(),
        reason: "defective".into(),
        photo_base64: None,
        manager_id: None,
        manager_pin: None,
        wait_for_seller: false,
    };
    p.refund_record(m, input)
}

/// The server's code of a refusal the till passed on.
fn refused_code(e: crate::PosError) -> String {
    match e {
        crate::PosError::ServerRefused { code, .. } => code,
        other => panic!("expected the server's refusal, got {other:?}"),
    }
}

#[test]
fn a_card_refund_decided_offline_whose_sale_the_platform_declined_is_refused_when_the_server_answers() {
    let dir = tempfile::tempdir().unwrap();
    let (p, server) = till(&dir, Arc::new(ManualClock::new(NOW)), |_| closed_url(), Some(DECLINED_TRACK2));
    let t = p.login(CASHIER, "1111").unwrap().token;
    let sale = pay(&p, &t).unwrap();
    assert!(sale.payment.offline_approval, "{sale:?}");
    // The platform is back: the sale and the forward go; the platform declines the card.
    forward(&p, &server);
    let m = p.login(MANAGER, "2222").unwrap().token;
    // This till has no refunds server to ask (its sync is not set up): it decides itself, the
    // manager confirming the shop's own line, and says it decided offline.
    let r = refund_all(&p, &m, &sale.lines[0].line_code).unwrap();
    assert_eq!((r.tender.as_str(), r.status.as_str(), r.decided_offline), ("card", "confirmed", true));
    let report = forward(&p, &server);
    assert_eq!(report.parked, 1, "{report:?}");
    // The card was never refunded (the server pays cards, and refused): the line is refused,
    // and no cash left the drawer, so there is no disagreement to show.
    let r = p.refund_receipt(&m, r.refund_id).unwrap();
    assert_eq!((r.status.as_str(), r.server_refusal.as_deref()), ("refused", Some("card_sale_not_authorised")));
    assert_eq!(r.lines[0].state.status, "refused");
    assert!(p.refund_disagreements(&m).unwrap().is_empty());
    let parked = p.store().parked_events().unwrap();
    assert!(parked[0].reason.starts_with("422 card_sale_not_authorised:"), "{parked:?}");
    let refunded: i64 = rusqlite::Connection::open(&server.db)
        .unwrap()
        .query_row("SELECT count(*) FROM refunds", [], |r| r.get(0))
        .unwrap();
    assert_eq!(refunded, 0, "the server refunded nothing");
}

#[test]
fn a_card_refund_of_an_offline_sale_whose_forward_was_approved_goes_to_the_card() {
    let dir = tempfile::tempdir().unwrap();
    let (p, server) = till(&dir, Arc::new(ManualClock::new(NOW)), |_| closed_url(), None);
    let t = p.login(CASHIER, "1111").unwrap().token;
    let sale = pay(&p, &t).unwrap();
    assert!(sale.payment.offline_approval);
    forward(&p, &server);
    let m = p.login(MANAGER, "2222").unwrap().token;
    let r = refund_all(&p, &m, &sale.lines[0].line_code).unwrap();
    // No customer, but the shop's manager gave it: the shop's confirmation as the seller.
    assert_eq!((r.status.as_str(), r.lines[0].state.decision.as_deref()), ("confirmed", Some("shop_manager")));
    let report = forward(&p, &server);
    assert_eq!((report.done, report.parked), (1, 0), "{report:?}");
    let r = p.refund_receipt(&m, r.refund_id).unwrap();
    assert_eq!((r.status.as_str(), r.server_refusal), ("confirmed", None));
    assert_eq!(r.lines[0].state.server_status.as_deref(), Some("refunded"));
    let refund_to: String = rusqlite::Connection::open(&server.db)
        .unwrap()
        .query_row("SELECT refund_to FROM refunds", [], |r| r.get(0))
        .unwrap();
    assert_eq!(refund_to, "411111******1111");
}

#[test]
fn a_phone_whose_offline_card_sale_was_declined_is_refused_when_another_till_refunds_it() {
    let dir = tempfile::tempdir().unwrap();
    let (p, server) = till(&dir, Arc::new(ManualClock::new(NOW)), |_| closed_url(), Some(DECLINED_TRACK2));
    // A phone is above the default offline limit: the installer raised it.
    let i = p.login(INSTALLER, "3333").unwrap().token;
    let limits = PaymentSettings { offline_max_amount_minor: 1_000_000, ..PaymentSettings::default() };
    p.payment_settings_set(&i, limits).unwrap();
    let t = p.login(CASHIER, "1111").unwrap().token;
    let cart = p.cart_scan(&t, "PHN-001").unwrap();
    let cart = p.cart_set_device(&t, cart.lines[0].line_no, "490154203237518").unwrap();
    let (v, pushed) = start_payment(&p, &t, &cart.cart_id).unwrap();
    assert_eq!(pushed.read().status, CardPaymentStatus::Signature);
    assert!(p.payment_authorize(&t, &v.payment_id).unwrap().payment.offline_approval);
    forward(&p, &server);

    // Another till of the shop, its own terminal on the same server, refunds the phone there.
    let repo = till_server::repo::sqlite::SqliteRepository::open(&server.db).unwrap();
    let t2 = till_server::admin::add_terminal(&repo, "till 2", &till_core::SystemClock, &till_server::clock::OsEntropy)
        .unwrap();
    let other_dir = tempfile::tempdir().unwrap();
    let other = Pos::open(crate::PosConfig::demo(other_dir.path().join("till.db"))).unwrap();
    other.sync_seed_settings(&server.url(), &t2.terminal_id, &t2.secret).unwrap();
    other.sync_start().unwrap();
    let m = other.login(MANAGER, "2222").unwrap().token;
    let input = RemoteRefundInput {
        identifier: "490154203237518".into(),
        reason: "defective".into(),
        photo_base64: None,
        manager_id: None,
        manager_pin: None,
        wait_for_seller: false,
    };
    let e = other.refund_remote(&m, input).unwrap_err();
    assert_eq!(refused_code(e), "card_sale_not_authorised");
    assert!(other.remote_refunds(&m).unwrap().is_empty(), "nothing recorded");
}

#[test]
fn the_code_is_read_from_the_reason_the_sync_worker_parked_with() {
    assert_eq!(
        refusal_code("422 card_sale_not_authorised: the card payment of order 7 is not authorised"),
        "card_sale_not_authorised"
    );
    assert_eq!(refusal_code("409 refund_exists: refund r already exists"), "refund_exists");
    // A refusal without a JSON body has no code: the reason itself.
    assert_eq!(refusal_code("400: <html>bad</html>"), "400: <html>bad</html>");
    assert_eq!(refusal_code("no server endpoint for \"x\""), "no server endpoint for \"x\"");
}
