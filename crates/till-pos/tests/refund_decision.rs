//! One decision per refund line, the same at the till and at the server, and the money follows
//! it: through the till's application layer against a real till-server on 127.0.0.1 and real
//! SQLite files. Each test checks the refund at the till, the server's record and the drawer
//! (the X report's cash) against each other.
#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)]

mod support;

use support::{drained, online, server, Server};
use till_core::SessionToken;
use till_pos::ipc::refund::{RefundInput, RefundLineInput, RefundLookup, RefundReceipt, RemoteRefundInput};
use till_pos::ipc::views::Receipt;
use till_pos::{ErrorCode, Pos, PosConfig, PosError};

const CASHIER: i64 = 1;
const MANAGER: i64 = 2;

fn till() -> (tempfile::TempDir, Pos) {
    let dir = tempfile::tempdir().unwrap();
    let pos = Pos::open(PosConfig::demo(dir.path().join("till.db"))).unwrap();
    (dir, pos)
}

fn server_rows(srv: &Server, sql: &str) -> Vec<(String, Option<String>, Option<String>)> {
    let c = rusqlite::Connection::open(&srv.db).unwrap();
    let mut s = c.prepare(sql).unwrap();
    s.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?))).unwrap().map(|r| r.unwrap()).collect()
}

/// A cash sale of `skus`, one line each.
fn sell(p: &Pos, t: &SessionToken, skus: &[&str]) -> Receipt {
    let mut cart = None;
    for sku in skus {
        cart = Some(p.cart_scan(t, sku).unwrap());
    }
    let cart = cart.unwrap();
    p.checkout_cash(t, &cart.cart_id, cart.total.minor()).unwrap()
}

/// The whole sale, every line, as the refund screen would ask.
fn whole(p: &Pos, t: &SessionToken, sale: &Receipt, wait_for_seller: bool) -> RefundInput {
    let lookup = RefundLookup {
        by: "line_code".into(),
        text: sale.lines[0].line_code.clone(),
        date: None,
        amount_minor: None,
        utc_offset_minutes: None,
    };
    let found = p.refund_find(t, lookup).unwrap();
    RefundInput {
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
        wait_for_seller,
    }
}

fn states(r: &RefundReceipt) -> Vec<(&str, &str, bool)> {
    r.lines.iter().map(|l| (l.name.as_str(), l.state.status.as_str(), l.state.paid)).collect()
}

fn cash_expected(p: &Pos, m: &SessionToken) -> i64 {
    p.report_x(m).unwrap().cash_expected.minor()
}

fn server_refund_id(srv: &Server, status: &str) -> String {
    server_rows(srv, &format!("SELECT refund_id, status, NULL FROM refunds WHERE status = '{status}'")).remove(0).0
}

#[test]
fn another_sellers_line_pays_nothing_until_the_seller_confirms_and_is_then_paid_out_once() {
    let srv = server();
    let (_d, p) = till();
    online(&p, &srv);
    let c = p.login(CASHIER, "1111").unwrap().token;
    let m = p.login(MANAGER, "2222").unwrap().token;
    // Green tea (the shop's own, 38.00) and a speaker sold for Acme Audio (199.00).
    let sale = sell(&p, &c, &["TEA-01", "MKT-001"]);
    drained(&p);
    let before = cash_expected(&p, &m);

    // The quote says so per line: the shop's line needs a manager (an anonymous customer is
    // below the threshold), Acme's waits for Acme whatever the manager says.
    let q = p.refund_quote(&c, whole(&p, &c, &sale, false)).unwrap();
    let decisions: Vec<(&str, Option<&str>)> =
        q.lines.iter().map(|l| (l.decision.as_str(), l.seller.as_deref())).collect();
    assert_eq!(decisions, [("needs_approval", None), ("await_seller", Some("acme-audio"))]);
    assert!(!q.offline && !q.within_policy);

    // The manager's PIN: the tea is paid back now, the speaker waits and pays nothing yet.
    let input =
        RefundInput { manager_id: Some(MANAGER), manager_pin: Some("2222".into()), ..whole(&p, &c, &sale, false) };
    let r = p.refund_record(&c, input).unwrap();
    assert_eq!(
        states(&r),
        [("Organic green tea 250g", "approved", true), ("Bluetooth speaker (Acme Audio)", "awaiting_seller", false)]
    );
    assert_eq!((r.status.as_str(), r.awaiting_seller.minor(), r.to_pay_out.minor()), ("pending", 19_900, 0));
    assert_eq!(cash_expected(&p, &m), before - 3_800, "only the tea left the drawer");
    drained(&p);
    let rows = server_rows(&srv, "SELECT status, decided_by, approved_by FROM refunds ORDER BY amount_minor");
    let li = Some("Li Wei".to_string());
    assert_eq!(
        rows,
        [
            ("refunded".to_string(), Some("shop_manager".to_string()), li.clone()),
            // Acme's line: the manager's name is recorded; it is not Acme's confirmation.
            ("pending_seller_confirmation".to_string(), None, li),
        ]
    );
    assert!(p.refunds_to_pay_out(&c).unwrap().is_empty(), "nothing to pay out before Acme decides");
    assert_eq!(p.refund_pay_out(&c, r.refund_id).unwrap_err().code(), ErrorCode::Conflict);

    // Acme confirms on the server; the till learns it and the cashier pays it out, once.
    till_server::routes::refunds::decide(
        &*srv.repo,
        &server_refund_id(&srv, "pending_seller_confirmation"),
        true,
        "acme-audio",
        0,
    )
    .unwrap();
    // The running till follows the sellers' decisions with its sync rounds: no Refresh needed.
    assert_eq!(p.follow_seller_decisions().unwrap(), 1);
    assert_eq!(p.follow_seller_decisions().unwrap(), 0, "decided: nothing more to ask");
    let r = p.refund_receipt(&c, r.refund_id).unwrap();
    assert_eq!((r.status.as_str(), r.to_pay_out.minor()), ("confirmed", 19_900));
    assert_eq!(r.lines[1].state.decision.as_deref(), Some("seller"));
    let due = p.refunds_to_pay_out(&c).unwrap();
    assert_eq!((due.len(), due[0].refund_no.as_str(), due[0].amount.minor()), (1, r.refund_no.as_str(), 19_900));
    let found = p.refund_by_number(&c, &r.refund_no).unwrap();
    assert_eq!(found.refund_id, r.refund_id);
    assert_eq!(p.refund_by_number(&c, "1").unwrap().refund_id, r.refund_id, "the digits alone");
    let remote_number = p.refund_by_number(&c, "RR000001").unwrap_err();
    assert_eq!(remote_number.code(), ErrorCode::NotFound, "a remote refund's number is not a local refund");
    assert_eq!(cash_expected(&p, &m), before - 3_800, "confirmed is not paid yet");
    let paid = p.refund_pay_out(&c, r.refund_id).unwrap();
    assert_eq!(states(&paid).iter().filter(|s| s.2).count(), 2);
    assert_eq!(paid.to_pay_out.minor(), 0);
    assert_eq!(cash_expected(&p, &m), before - 3_800 - 19_900, "the drawer agrees with the refund");
    assert_eq!(p.refund_pay_out(&c, r.refund_id).unwrap_err().code(), ErrorCode::Conflict, "never twice");
    let audit = p.audit_list(&m, None, 50).unwrap();
    assert_eq!(audit.entries.iter().filter(|e| e.action == "refund.paid_out").count(), 1);
}

#[test]
fn a_seller_deciding_each_line_differently_is_kept_line_by_line() {
    let srv = server();
    let (_d, p) = till();
    online(&p, &srv);
    let c = p.login(CASHIER, "1111").unwrap().token;
    let m = p.login(MANAGER, "2222").unwrap().token;
    let sale = sell(&p, &c, &["TEA-01", "TEA-02"]);
    drained(&p);
    let before = cash_expected(&p, &m);
    // No manager about: the cashier leaves both lines to the seller. Nothing is paid.
    let r = p.refund_record(&c, whole(&p, &c, &sale, true)).unwrap();
    assert_eq!((r.approval.as_str(), r.status.as_str(), r.awaiting_seller.minor()), ("seller", "pending", 6_700));
    assert!(states(&r).iter().all(|s| s.1 == "awaiting_seller" && !s.2));
    drained(&p);
    // The seller confirms the green tea and rejects the jasmine tea.
    let pending = server_rows(&srv, "SELECT refund_id, status, NULL FROM refunds ORDER BY amount_minor DESC");
    assert_eq!(pending.len(), 2);
    till_server::routes::refunds::decide(&*srv.repo, &pending[0].0, true, "shop", 0).unwrap();
    till_server::routes::refunds::decide(&*srv.repo, &pending[1].0, false, "shop", 0).unwrap();
    let r = p.refund_refresh(&c, r.refund_id).unwrap();
    assert_eq!(states(&r), [("Organic green tea 250g", "approved", false), ("Jasmine tea 100g", "refused", false)]);
    // The refund stands for what was confirmed; the refused unit can be refunded again.
    assert_eq!((r.status.as_str(), r.to_pay_out.minor(), r.awaiting_seller.minor()), ("confirmed", 3_800, 0));
    let again = p.refund_find(
        &c,
        RefundLookup {
            by: "line_code".into(),
            text: sale.lines[1].line_code.clone(),
            date: None,
            amount_minor: None,
            utc_offset_minutes: None,
        },
    );
    assert_eq!(again.unwrap().lines[1].refundable, 1);
    p.refund_pay_out(&c, r.refund_id).unwrap();
    assert_eq!(cash_expected(&p, &m), before - 3_800, "only the confirmed line left the drawer");
    let server = server_rows(&srv, "SELECT status, decided_by, NULL FROM refunds ORDER BY amount_minor DESC");
    assert_eq!(
        server.iter().map(|r| r.0.as_str()).collect::<Vec<_>>(),
        ["refunded", "rejected"],
        "the server and the till agree line by line"
    );
}

#[test]
fn a_refund_the_server_cannot_accept_is_refused_online_before_any_money_moves() {
    let srv = server();
    let (_d, p) = till();
    let c = p.login(CASHIER, "1111").unwrap().token;
    let m = p.login(MANAGER, "2222").unwrap().token;
    // The till can reach the server, but its sync worker has not sent the sale yet.
    p.sync_seed_settings(&srv.url, &srv.terminal_id, &srv.secret).unwrap();
    let sale = sell(&p, &c, &["TEA-01"]);
    let before = cash_expected(&p, &m);
    let input =
        RefundInput { manager_id: Some(MANAGER), manager_pin: Some("2222".into()), ..whole(&p, &c, &sale, false) };
    let e = p.refund_record(&c, input).unwrap_err();
    match &e {
        PosError::ServerRefused { code, message } => {
            assert_eq!(code, "not_found", "{message}");
            assert!(message.contains("Organic green tea 250g"), "{message}");
        }
        other => panic!("expected the server's refusal, got {other:?}"),
    }
    let recorded: i64 = rusqlite::Connection::open(p.store().path())
        .unwrap()
        .query_row("SELECT count(*) FROM refunds", [], |r| r.get(0))
        .unwrap();
    assert_eq!(recorded, 0, "nothing recorded");
    assert_eq!(cash_expected(&p, &m), before, "no money moved");
}

#[test]
fn a_decision_taken_offline_that_the_server_overrules_is_shown_with_the_amount_at_stake() {
    let srv = server();
    let (_d, p) = till();
    let c = p.login(CASHIER, "1111").unwrap().token;
    let m = p.login(MANAGER, "2222").unwrap().token;
    // Offline all along: no server set up yet. The server's threshold as the till last saw it
    // was 0 (everyone refunded directly).
    p.store().set_setting("refund.server_threshold", "0").unwrap();
    let sale = sell(&p, &c, &["MKT-001"]);
    let q = p.refund_quote(&c, whole(&p, &c, &sale, false)).unwrap();
    assert!(q.offline && q.within_policy, "{q:?}");
    let r = p.refund_record(&m, whole(&p, &c, &sale, false)).unwrap();
    assert!(r.decided_offline);
    assert_eq!(states(&r), [("Bluetooth speaker (Acme Audio)", "approved", true)]);
    assert!(p.refund_disagreements(&m).unwrap().is_empty(), "nothing known to disagree yet");
    // Back online, the server (threshold 60, an anonymous customer, Acme's line) waits for Acme.
    online(&p, &srv);
    drained(&p);
    let d = p.refund_disagreements(&m).unwrap();
    assert_eq!(d.len(), 1, "{d:?}");
    assert_eq!(
        (d[0].refund_no.as_str(), d[0].amount.minor(), d[0].server_status.as_str(), d[0].decided_offline),
        (r.refund_no.as_str(), 19_900, "pending_seller_confirmation", true)
    );
    // The cash stays paid on the till's record: it left the drawer.
    let r = p.refund_receipt(&m, r.refund_id).unwrap();
    assert_eq!(states(&r), [("Bluetooth speaker (Acme Audio)", "approved", true)]);
    assert_eq!(p.refund_disagreements(&c).unwrap_err().code(), ErrorCode::Forbidden, "managers only");
}

#[test]
fn a_device_sold_at_another_till_is_refunded_on_the_record_here_and_listed_apart() {
    let srv = server();
    let (_a, seller_till) = till();
    online(&seller_till, &srv);
    let c = seller_till.login(CASHIER, "1111").unwrap().token;
    let cart = seller_till.cart_scan(&c, "PHN-003").unwrap();
    let cart = seller_till.cart_set_device(&c, cart.lines[0].line_no, "490154203237518").unwrap();
    seller_till.checkout_cash(&c, &cart.cart_id, cart.total.minor()).unwrap();
    drained(&seller_till);

    // Another till of the shop, its own terminal on the same server.
    let t2 =
        till_server::admin::add_terminal(&*srv.repo, "till 2", &till_core::SystemClock, &till_server::clock::OsEntropy)
            .unwrap();
    let (_b, p) = till();
    p.sync_seed_settings(&srv.url, &t2.terminal_id, &t2.secret).unwrap();
    p.sync_start().unwrap();
    let m = p.login(MANAGER, "2222").unwrap().token;
    let before = p.report_x(&m).unwrap();
    let input = RemoteRefundInput {
        identifier: "490154203237518".into(),
        reason: "defective".into(),
        photo_base64: None,
        manager_id: None,
        manager_pin: None,
        wait_for_seller: false,
    };
    let r = p.refund_remote(&m, input).unwrap();
    assert_eq!((r.refund_no.as_str(), r.status.as_str()), ("RR000001", "refunded"));
    let listed = p.remote_refunds(&m).unwrap();
    assert_eq!((listed.len(), listed[0].status.as_str(), listed[0].amount.minor()), (1, "confirmed", 129_900));
    let after = p.report_x(&m).unwrap();
    assert_eq!(after.cash_expected, before.cash_expected, "no money through this drawer");
    assert_eq!(after.refunds, before.refunds);
    assert_eq!(after.remote_refunds.len(), 1);
    assert_eq!(
        (after.remote_refunds[0].refund_no.as_str(), after.remote_refunds[0].status.as_str()),
        ("RR000001", "confirmed")
    );
    let audit = p.audit_list(&m, None, 20).unwrap();
    assert!(audit.entries.iter().any(|e| e.action == "refund.remote_requested"));
}

#[test]
fn above_the_cashiers_limit_the_cashier_pays_nothing_alone() {
    let srv = server();
    let (_d, p) = till();
    online(&p, &srv);
    let c = p.login(CASHIER, "1111").unwrap().token;
    let m = p.login(MANAGER, "2222").unwrap().token;
    // Four oolong teas, 224.00: above the cashier's 200.00.
    let sale = sell(&p, &c, &["TEA-03", "TEA-03", "TEA-03", "TEA-03"]);
    assert_eq!(sale.total.minor(), 22_400);
    drained(&p);
    let before = cash_expected(&p, &m);
    assert_eq!(p.refund_record(&c, whole(&p, &c, &sale, false)).unwrap_err().code(), ErrorCode::ApprovalRequired);
    // Left to the seller: recorded, nothing paid, and the server holds it for the seller.
    let r = p.refund_record(&c, whole(&p, &c, &sale, true)).unwrap();
    assert_eq!((r.status.as_str(), r.awaiting_seller.minor()), ("pending", 22_400));
    assert_eq!(cash_expected(&p, &m), before);
    drained(&p);
    let rows = server_rows(&srv, "SELECT status, decided_by, approved_by FROM refunds");
    assert_eq!(rows, [("pending_seller_confirmation".to_string(), None, None)]);
}
