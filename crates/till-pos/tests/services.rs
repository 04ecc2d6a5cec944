//! The service relay from the counter: a real till (SQLite), a real till-server on 127.0.0.1
//! and the reference provider (till-provider, in-process on 127.0.0.1) answering from its
//! shipped table; the till's calls go through its signed server calls.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

mod support;

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};
use support::{drained, online, server, Server};
use till_core::{SessionToken, SystemClock};
use till_pos::error::ErrorCode;
use till_pos::ipc::services::ServiceConversationView;
use till_pos::{Pos, PosConfig};
use till_provider::{table::Table, Provider, ProviderConfig};

const SECRET: &str = "the-demo-provider-shared-secret";
const ACCOUNT: &str = "demo-services";
const CASHIER: i64 = 1;

fn provider(listen: &str, secret: &str) -> Provider {
    let table = Table::load(&Path::new(env!("CARGO_MANIFEST_DIR")).join("../till-provider/responses.toml")).unwrap();
    let config = ProviderConfig {
        account: ACCOUNT.into(),
        secret: secret.as_bytes().to_vec(),
        table,
        paid_log: None,
        clock: Arc::new(SystemClock),
    };
    Provider::start(config, listen).unwrap()
}

fn register(srv: &Server, endpoint: &str) {
    till_server::services::providers::add(&*srv.repo, "Demo services", ACCOUNT, endpoint, SECRET, 0).unwrap();
}

fn till(dir: &Path) -> (Pos, SessionToken) {
    let pos = Pos::open(PosConfig::demo(dir.join("till.db"))).unwrap();
    let token = pos.login(CASHIER, "1111").unwrap().token;
    (pos, token)
}

fn send(pos: &Pos, t: &SessionToken, c: &str, text: &str) -> ServiceConversationView {
    pos.services_send(t, c, text).unwrap()
}

fn last_answer(v: &ServiceConversationView) -> String {
    v.rounds.last().unwrap().answer_text.clone().unwrap_or_default()
}

#[test]
fn a_top_up_over_several_rounds_is_sold_in_cash_and_the_provider_told_once() {
    let p = provider("127.0.0.1:0", SECRET);
    let srv = server();
    register(&srv, &p.endpoint());
    let dir = tempfile::tempdir().unwrap();
    let (pos, t) = till(dir.path());
    online(&pos, &srv);

    let listed = pos.services_providers(&t).unwrap();
    assert_eq!((listed.len(), listed[0].followed), (1, false));
    assert!(pos.services_follow(&t, ACCOUNT).unwrap().followed);
    assert!(pos.services_providers(&t).unwrap()[0].followed);

    let c = pos.services_start(&t, ACCOUNT).unwrap();
    let id = c.conversation_id.clone();
    assert!(last_answer(&send(&pos, &t, &id, "top up")).contains("mobile number"));
    assert!(last_answer(&send(&pos, &t, &id, "13800138000")).contains("How much"));
    assert!(last_answer(&send(&pos, &t, &id, "50")).contains("13800138000"));
    let v = send(&pos, &t, &id, "yes");
    assert_eq!(v.amount.map(|m| m.minor()), Some(5000));
    assert_eq!((v.status.as_str(), v.rounds.len(), v.in_cart), ("done", 4, false));

    let cart = pos.services_add_to_sale(&t, &id).unwrap();
    assert_eq!(cart.total.minor(), 5000);
    let line = &cart.lines[0];
    assert_eq!((line.sku.as_str(), line.name.as_str()), ("SERVICE-DEMO-SERVICES", "Demo services"));
    assert_eq!(line.origin.as_ref().map(|o| (o.kind.as_str(), o.reference.as_str())), Some(("service", id.as_str())));
    let twice = pos.services_add_to_sale(&t, &id).unwrap_err();
    assert_eq!(twice.code(), ErrorCode::Conflict);
    assert!(pos.services_conversation(&t, &id).unwrap().in_cart);

    let receipt = pos.checkout_cash(&t, &cart.cart_id, 5000).unwrap();
    drained(&pos);
    let deadline = Instant::now() + Duration::from_secs(10);
    while p.state.payments().is_empty() {
        assert!(Instant::now() < deadline, "the provider was never told");
        std::thread::sleep(Duration::from_millis(100));
    }
    std::thread::sleep(Duration::from_millis(1500));
    let payments = p.state.payments();
    assert_eq!(payments.len(), 1);
    assert_eq!((payments[0].conversation_id.as_str(), payments[0].amount.minor), (id.as_str(), 5000));
    assert_eq!(p.state.paid_notices(), 1, "acknowledged once, not sent again");

    let manager = pos.login(2, "2222").unwrap().token;
    let history = pos.services_history(&manager).unwrap();
    assert_eq!(history[0].conversation_id, id);
    assert_eq!(history[0].paid_order_no.as_deref(), Some(receipt.order_no.as_str()));
    assert_eq!(history[0].rounds.len(), 4);
    assert_eq!(pos.services_add_to_sale(&t, &id).unwrap_err().code(), ErrorCode::Conflict, "paid already");
}

#[test]
fn without_a_server_nothing_is_made_up_and_a_failed_round_is_kept_for_its_retry() {
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let listen = format!("127.0.0.1:{port}");
    let first = provider(&listen, SECRET);
    let srv = server();
    register(&srv, &first.endpoint());
    let dir = tempfile::tempdir().unwrap();
    let (pos, t) = till(dir.path());
    // No server settings yet: fail closed with a clear code.
    assert_eq!(pos.services_providers(&t).unwrap_err().code(), ErrorCode::SyncNotConfigured);
    online(&pos, &srv);
    pos.services_follow(&t, ACCOUNT).unwrap();
    let id = pos.services_start(&t, ACCOUNT).unwrap().conversation_id;
    send(&pos, &t, &id, "bill 100200300");
    drop(first);

    let v = send(&pos, &t, &id, "yes");
    let last = v.rounds.last().unwrap();
    assert_eq!((last.status.as_str(), last.error_code.as_deref()), ("failed", Some("provider_unavailable")));
    assert_eq!(last.request_text, "yes", "the request is kept");
    assert_eq!(v.amount, None, "no answer, no amount");
    assert_eq!(pos.services_add_to_sale(&t, &id).unwrap_err().code(), ErrorCode::InvalidInput);
    assert_eq!(pos.services_send(&t, &id, "no").unwrap_err().code(), ErrorCode::Conflict, "retry first");

    // The provider is back (restarted: the reference provider keeps conversations in memory,
    // so it answers the round afresh); the retry is the same round, now answered.
    let _back = provider(&listen, SECRET);
    let v = pos.services_retry(&t, &id).unwrap();
    assert_eq!(v.rounds.len(), 2, "the same round, not a new one");
    let last = v.rounds.last().unwrap();
    assert_eq!((last.seq, last.status.as_str(), last.request_text.as_str()), (2, "answered", "yes"));
    assert!(pos.services_retry(&t, &id).is_err(), "nothing left to retry");
}

#[test]
fn a_provider_signing_wrongly_is_a_clear_error_and_nothing_is_payable() {
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let listen = format!("127.0.0.1:{port}");
    let good = provider(&listen, SECRET);
    let srv = server();
    register(&srv, &good.endpoint());
    let dir = tempfile::tempdir().unwrap();
    let (pos, t) = till(dir.path());
    online(&pos, &srv);
    pos.services_follow(&t, ACCOUNT).unwrap();
    let id = pos.services_start(&t, ACCOUNT).unwrap().conversation_id;
    send(&pos, &t, &id, "top up 13800138000 30");
    drop(good);
    // Someone else answers at the provider's address, signing with another secret.
    let forger = provider(&listen, "not-the-shared-secret-at-all");
    let v = send(&pos, &t, &id, "yes");
    let last = v.rounds.last().unwrap();
    assert_eq!(last.error_code.as_deref(), Some("provider_signature_invalid"), "{last:?}");
    assert_eq!(v.amount, None);
    assert!(pos.services_add_to_sale(&t, &id).is_err());
    assert!(forger.state.payments().is_empty());
}
