//! Orders pending collection through the till's application layer against a real till-server on
//! 127.0.0.1: the till follows its store's orders by cursor and pushes the count, the pickup code
//! is checked by reserving at the server (offline: nothing goes into the cart), the order's lines
//! go into the cart at its prices, any tender pays, and the server marks the order collected by
//! that sale; releasing takes the lines out and lets the order go.
#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::sync::{Arc, Mutex};
use support::{drained, online, server, Server};
use till_api::merchant_orders::{CustomerIn, MerchantOrderRequest, OrderLineIn};
use till_core::Clock;
use till_pos::ipc::collect::PendingOrdersCount;
use till_pos::{ErrorCode, Pos, PosConfig};
use till_server::clock::SeededEntropy;

const CASHIER: i64 = 1;

fn till() -> (tempfile::TempDir, Pos) {
    let dir = tempfile::tempdir().unwrap();
    let pos = Pos::open(PosConfig::demo(dir.path().join("till.db"))).unwrap();
    (dir, pos)
}

/// A web shop's order for the default store, made as the merchant's POST makes it.
fn push(srv: &Server, number: &str) -> (String, String) {
    let merchant = {
        let found = till_server::merchants::list_merchants(&*srv.repo).unwrap();
        if found.is_empty() {
            till_server::merchants::add_merchant(
                &*srv.repo,
                "Web shop",
                "main",
                &till_core::SystemClock,
                &SeededEntropy::new(3),
            )
            .unwrap();
        }
        let id = till_server::merchants::list_merchants(&*srv.repo).unwrap()[0].merchant_id.clone();
        srv.repo.read().unwrap().merchant(&id).unwrap().unwrap()
    };
    let req = MerchantOrderRequest {
        order_number: number.into(),
        store: "main".into(),
        customer: CustomerIn { name: "Li Na".into(), phone: "13800138000".into() },
        currency: "CNY".into(),
        lines: vec![
            OrderLineIn { sku: "TEA-01".into(), name: "Green tea".into(), quantity: 2, unit_price_minor: 3500 },
            OrderLineIn { sku: "SNK-002".into(), name: "Chocolate".into(), quantity: 1, unit_price_minor: 1500 },
        ],
        total_minor: 8500,
        expires_at: None,
    };
    let mut tx = srv.repo.begin().unwrap();
    let (_, order) = till_server::routes::merchant_orders::create(
        &mut *tx,
        &merchant,
        &req,
        number,
        till_core::SystemClock.now_unix(),
        &SeededEntropy::new(number.len() as u64),
    )
    .unwrap();
    tx.commit().unwrap();
    (order.order_id, order.pickup_code)
}

fn audit_actions(p: &Pos) -> Vec<String> {
    p.store()
        .read(|c| {
            let mut s = c.prepare("SELECT action FROM audit_log ORDER BY id")?;
            let rows = s.query_map([], |r| r.get(0))?.collect::<Result<Vec<String>, _>>()?;
            Ok(rows)
        })
        .unwrap()
}

fn server_order(srv: &Server, id: &str) -> till_server::repo::MerchantOrderRecord {
    srv.repo.read().unwrap().merchant_order(id).unwrap().unwrap()
}

#[test]
fn a_pushed_order_is_counted_collected_with_the_pickup_code_paid_and_marked_collected() {
    let srv = server();
    let (_d, p) = till();
    let p = Arc::new(p);
    online(&p, &srv);
    let c = p.login(CASHIER, "1111").unwrap().token;
    let heard: Arc<Mutex<Vec<PendingOrdersCount>>> = Arc::default();
    let h = heard.clone();
    p.pending_orders_watch(&c, Arc::new(move |v: &PendingOrdersCount| h.lock().unwrap().push(v.clone()))).unwrap();
    assert_eq!(heard.lock().unwrap().last().unwrap().open, 0);

    let (id, code) = push(&srv, "WEB-1");
    assert_eq!(p.pending_orders_follow().unwrap(), 1);
    assert_eq!(heard.lock().unwrap().last().unwrap().open, 1, "the count was pushed");
    let sent = heard.lock().unwrap().len();
    assert_eq!(p.pending_orders_follow().unwrap(), 0, "nothing new past the cursor");
    assert_eq!(heard.lock().unwrap().len(), sent, "an unchanged count is not pushed again");

    let list = p.pending_orders_list(&c).unwrap();
    assert_eq!(list.len(), 1);
    let o = &list[0];
    assert_eq!((o.order_id.as_str(), o.customer_name.as_str(), o.phone_tail.as_str()), (id.as_str(), "Li Na", "8000"));
    assert_eq!((o.total.minor(), o.lines.len(), o.lines.iter().all(|l| l.in_catalogue)), (8500, 2, true));

    // A wrong code: refused by the server, nothing in the cart, the attempts counted.
    let wrong = if code == "000000" { "000001" } else { "000000" };
    let e = p.pending_order_collect(&c, &id, wrong).unwrap_err();
    assert_eq!(e.code(), ErrorCode::WrongPickupCode, "{e}");
    assert!(p.cart_get(&c).unwrap().lines.is_empty());
    assert_eq!(server_order(&srv, &id).pickup_failures, 1);

    // The right code: reserved here, the lines in the cart at the order's prices.
    let got = p.pending_order_collect(&c, &id, &format!("{} {}", &code[..3], &code[3..])).unwrap();
    assert!(got.order.reserved_here && got.order.in_cart);
    let lines: Vec<_> = got.cart.lines.iter().map(|l| (l.sku.as_str(), l.quantity, l.unit_price.minor())).collect();
    assert_eq!(lines, [("TEA-01", 2, 3500), ("SNK-002", 1, 1500)]);
    assert_eq!(got.cart.total.minor(), 8500);
    assert_eq!(server_order(&srv, &id).reserved_by.as_deref(), Some(srv.terminal_id.as_str()));
    assert_eq!(p.pending_order_collect(&c, &id, &code).unwrap_err().code(), ErrorCode::Conflict, "not twice");

    // Paid in cash; the sale reaches the server, which marks the order collected by it.
    let receipt = p.checkout_cash(&c, &got.cart.cart_id, 10_000).unwrap();
    assert!(receipt.lines.iter().all(|l| !l.line_code.is_empty()));
    drained(&p);
    let o = server_order(&srv, &id);
    assert_eq!(o.status, "collected");
    assert_eq!(o.collected_terminal.as_deref(), Some(srv.terminal_id.as_str()));
    assert_eq!(o.collected_sale.as_deref(), Some(receipt.order_no.as_str()), "the sale's order id");
    assert_eq!(o.collected_flag, None);
    // The till learns it at its next pull: nothing left to collect.
    p.pending_orders_follow().unwrap();
    assert!(p.pending_orders_list(&c).unwrap().is_empty());
    assert_eq!(heard.lock().unwrap().last().unwrap().open, 0);
    let audit = audit_actions(&p);
    assert!(audit.iter().any(|a| a == "pending_order.collect"), "{audit:?}");
}

#[test]
fn releasing_takes_the_lines_out_and_lets_another_till_have_it() {
    let srv = server();
    let (_d, p) = till();
    online(&p, &srv);
    let c = p.login(CASHIER, "1111").unwrap().token;
    let (id, code) = push(&srv, "WEB-2");
    p.pending_orders_follow().unwrap();
    p.cart_scan(&c, "TEA-02").unwrap();
    p.pending_order_collect(&c, &id, &code).unwrap();
    assert_eq!(p.cart_get(&c).unwrap().lines.len(), 3);
    let r = p.pending_order_release(&c, &id).unwrap();
    assert!(r.server_told && !r.order.reserved_here && !r.order.in_cart);
    let left: Vec<_> = r.cart.lines.iter().map(|l| l.sku.as_str()).collect();
    assert_eq!(left, ["TEA-02"], "only the order's lines left the cart");
    let o = server_order(&srv, &id);
    assert_eq!((o.status.as_str(), o.reserved_by), ("pending", None));
    let audit = audit_actions(&p);
    assert!(audit.iter().any(|a| a == "pending_order.release"), "{audit:?}");
}

#[test]
fn without_the_server_nothing_is_handed_over() {
    let srv = server();
    let (_d, p) = till();
    online(&p, &srv);
    let c = p.login(CASHIER, "1111").unwrap().token;
    let (id, code) = push(&srv, "WEB-3");
    p.pending_orders_follow().unwrap();
    drop(srv);
    let e = p.pending_order_collect(&c, &id, &code).unwrap_err();
    assert_eq!(e.code(), ErrorCode::ServerUnreachable, "{e}");
    assert!(p.cart_get(&c).unwrap().lines.is_empty(), "fail closed: nothing in the cart");
    // The list stays as last known; the count says why it is not fresh.
    assert_eq!(p.pending_orders_list(&c).unwrap().len(), 1);
    assert!(p.pending_orders_follow().is_err());
    assert!(p.pending_orders_count_now().unwrap().last_error.is_some());
    // A till without server settings cannot collect at all.
    let (_d2, q) = till();
    let c2 = q.login(CASHIER, "1111").unwrap().token;
    assert_eq!(q.pending_orders_refresh(&c2).unwrap_err().code(), ErrorCode::SyncNotConfigured);
}
