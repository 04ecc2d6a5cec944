//! Per-service routing over loopback: sales and refunds go to one real till-server, points and
//! forwarded card payments to another; each event lands on its own server exactly once.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use rand::SeedableRng;
use serde_json::json;
use std::sync::Arc;
use support::{now_ms, App, Server};
use till_core::SystemClock;
use till_server::payments::card;
use till_sync::{Delivery, Service, Syncer};

fn platform_key() -> [u8; 32] {
    hex::decode(till_server::config::Config::default().sandbox.platform_key).unwrap().try_into().unwrap()
}

/// Queues `count` card payments approved offline (`payment.forward`), returns their ids.
fn queue_forwards(app: &App, count: usize, now: i64) -> Vec<String> {
    let ids: Vec<String> = (0..count).map(|i| format!("pay-{i:04}")).collect();
    app.store
        .write(|tx| {
            for (i, id) in ids.iter().enumerate() {
                let data = card::seal_platform_gcm(&platform_key(), id, [3; 12], "4111111111111111", "2812");
                let body = json!({"payment_id": id, "order_id": format!("fwd-{i}"),
                                  "amount": {"minor": 100 + i as i64, "currency": "CNY"},
                                  "card": {"scheme": "platform_gcm", "data": data}, "pin_block": null});
                till_store::outbox::enqueue(tx, id, "payment.forward", &format!("payment/{id}"), &body, now)?;
            }
            Ok(())
        })
        .unwrap();
    ids
}

#[test]
fn each_service_goes_to_its_own_server_exactly_once() {
    for (mode, seed) in [(Delivery::Batched, 21), (Delivery::OneByOne, 22)] {
        let sales = Server::start();
        let other = Server::start_for(&sales);
        let mut app = App::new(seed);
        app.queue_mixed(120, now_ms());
        let payments = queue_forwards(&app, 5, now_ms());
        app.queue_mixed(60, now_ms());
        let mut config = sales.config(&sales.url());
        config.set_service_url(Service::Points, &other.url());
        config.set_service_url(Service::Payments, &other.url());
        config.delivery = mode;
        config.batch_size = 32;
        let mut s = Syncer::new(
            app.store.clone(),
            config,
            Arc::new(SystemClock),
            Box::new(rand::rngs::StdRng::seed_from_u64(seed)),
        )
        .unwrap();
        let r = s.drain().unwrap();
        assert_eq!((r.done, r.retried, r.parked), (185, 0, 0), "{mode:?}");
        assert_eq!(s.drain().unwrap().claimed, 0);

        // sales and refunds on the sales server, nothing else
        let on_sales = sales.ledger();
        let on_other = other.ledger();
        assert_eq!(on_sales.sales, app.expected.sales, "{mode:?}");
        assert_eq!(on_sales.refunds, app.expected.refunds, "{mode:?}");
        assert!(on_sales.enrolments.is_empty(), "{mode:?}");
        assert_eq!(sales.authorizations(), 0, "{mode:?}");
        // points and payments on the other server, nothing else
        assert!(on_other.sales.is_empty() && on_other.refunds.is_empty(), "{mode:?}");
        assert_eq!(on_other.enrolments, app.expected.enrolments, "{mode:?}");
        assert!(on_other.enrolments.values().all(|n| *n == 1));
        assert_eq!(other.authorizations(), 5, "{mode:?}");
        // every key on exactly one server, and every event's key somewhere
        assert!(on_sales.keys.is_disjoint(&on_other.keys), "{mode:?}");
        let mut all = on_sales.keys.clone();
        all.extend(on_other.keys.iter().cloned());
        let mut expected = app.expected.keys.clone();
        expected.extend(payments.iter().cloned());
        assert_eq!(all, expected, "{mode:?}");
        assert!(payments.iter().all(|p| on_other.keys.contains(p)));
    }
}

#[test]
fn a_refund_on_another_server_waits_for_its_sale() {
    let sales = Server::start();
    let refunds = Server::start_for(&sales);
    let mut app = App::new(23);
    let (p, code, gross) = app.sale_payload(1);
    let refund = json!({"refund_id": "r-1", "line_code": code, "amount": {"minor": gross.min(100), "currency": "CNY"},
                        "tender": "original", "reason": "defect"});
    app.store
        .write(|tx| {
            till_store::outbox::enqueue(tx, "e-sale", "sale.recorded", "order/1", &p, 1)?;
            till_store::outbox::enqueue(tx, "e-refund", "refund.requested", "order/1", &refund, 2)
        })
        .unwrap();
    let mut config = sales.config(&sales.url());
    config.set_service_url(Service::Refunds, &refunds.url());
    let mut s =
        Syncer::new(app.store.clone(), config, Arc::new(SystemClock), Box::new(rand::rngs::StdRng::seed_from_u64(23)))
            .unwrap();
    // the first round sends the sale only; the refund is released, not counted as an attempt
    let r = s.round().unwrap();
    assert_eq!((r.claimed, r.done), (1, 1));
    assert_eq!(sales.ledger().keys.len(), 1);
    assert!(refunds.ledger().keys.is_empty());
    assert_eq!(app.store.outbox_counts().unwrap().pending, 1);
    // the next round sends the refund to its own server (which has never seen the sale: a
    // merchant who splits them runs a refunds server that knows the sales)
    let r = s.round().unwrap();
    assert_eq!(r.claimed, 1);
    assert_eq!(sales.ledger().keys.len(), 1);
    assert_eq!(s.round().unwrap().claimed, 0);
}
