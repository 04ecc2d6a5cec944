//! End to end over loopback: the app's SQLite file, the sync worker, a real till-server with
//! its own SQLite file, and (for the fault tests) the fault-injecting proxy between them.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use rand::SeedableRng;
use std::sync::Arc;
use std::time::{Duration, Instant};
use support::proxy::{Fault, Proxy, ALL};
use support::{now_ms, App, Server};
use till_core::SystemClock;
use till_sync::{Delivery, SyncWorker, Syncer};

fn syncer(app: &App, config: till_sync::SyncConfig, seed: u64) -> Syncer {
    Syncer::new(app.store.clone(), config, Arc::new(SystemClock), Box::new(rand::rngs::StdRng::seed_from_u64(seed)))
        .unwrap()
}

fn wait_until(deadline: Duration, mut f: impl FnMut() -> bool) -> bool {
    let end = Instant::now() + deadline;
    while Instant::now() < end {
        if f() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    f()
}

#[test]
fn batched_and_one_by_one_delivery_apply_every_event_once_and_keep_the_answers() {
    for (mode, seed) in [(Delivery::Batched, 1), (Delivery::OneByOne, 2)] {
        let server = Server::start();
        let mut app = App::new(seed);
        app.queue_mixed(300, now_ms());
        let mut config = server.config(&server.url());
        config.delivery = mode;
        config.batch_size = 64;
        let mut s = syncer(&app, config, seed);
        let r = s.drain().unwrap();
        assert_eq!((r.claimed, r.done, r.retried, r.parked), (300, 300, 0, 0), "{mode:?}");
        assert_eq!(server.ledger(), app.expected, "{mode:?}");
        let status = s.status().unwrap();
        assert_eq!((status.online, status.pending, status.parked, status.done), (Some(true), 0, 0, 300));
        assert_eq!(status.last_error, None);
        // the server's answer is kept with each event
        let first = app.store.outbox_events("sale.recorded").unwrap()[0].id.clone();
        let (code, body) = app.store.delivery_response(&first).unwrap().unwrap();
        assert_eq!(code, 201);
        assert!(body.contains("\"recorded_at\""), "{body}");
        // draining again sends nothing
        assert_eq!(s.drain().unwrap().claimed, 0);
    }
}

#[test]
fn a_refused_event_is_parked_with_its_reason_then_retried_or_discarded_by_a_manager() {
    let server = Server::start();
    let mut app = App::new(3);
    let (mut bad, _, _) = app.sale_payload(1);
    bad["payment"]["amount"] = serde_json::json!(1); // payments no longer add up to the lines
    app.store
        .write(|tx| {
            till_store::outbox::enqueue(tx, "bad-1", "sale.recorded", "order/1", &bad, 0)?;
            till_store::outbox::enqueue(tx, "odd-1", "mystery.kind", "x/1", &serde_json::json!({}), 1)
        })
        .unwrap();
    app.queue_mixed(20, 2);
    let mut s = syncer(&app, server.config(&server.url()), 3);
    let r = s.drain().unwrap();
    assert_eq!((r.done, r.parked), (20, 1), "the unknown kind is parked before it is sent");
    let parked = app.store.parked_events().unwrap();
    assert_eq!(parked.len(), 2);
    let reason = &parked[0].reason;
    assert!(reason.starts_with("400 invalid_request") && reason.contains("payments add up to"), "{reason}");
    assert!(parked[1].reason.contains("mystery.kind"), "{}", parked[1].reason);
    assert_eq!(server.ledger(), app.expected);
    let err = till_sync::ensure_nothing_pending(&app.store).unwrap_err();
    assert!(matches!(err, till_sync::SyncError::EventsPending { pending: 0, parked: 2 }));
    // a retry sends the same body again and it is parked again; a discard ends it, audited
    app.store.retry_parked("bad-1", 1, now_ms()).unwrap();
    let r = s.drain().unwrap();
    assert_eq!((r.claimed, r.parked), (1, 1));
    app.store.discard_parked("bad-1", 1, "keyed in wrong, re-rung as a new sale", now_ms()).unwrap();
    app.store.discard_parked("odd-1", 1, "unknown", now_ms()).unwrap();
    till_sync::ensure_nothing_pending(&app.store).unwrap();
    assert_eq!(app.store.verify_audit().unwrap().entries, 3);
}

#[test]
fn server_down_shows_offline_keeps_events_and_they_go_through_when_it_is_back() {
    let server = Server::start();
    let proxy = Proxy::start(server.server.addr, &[(Fault::Pass, 1)], 4, Duration::from_millis(1000));
    proxy.set_down(true);
    let mut app = App::new(4);
    app.queue_mixed(50, now_ms());
    let worker = SyncWorker::start(
        app.store.clone(),
        server.config(&proxy.url()),
        Arc::new(SystemClock),
        Box::new(rand::rngs::StdRng::seed_from_u64(4)),
    )
    .unwrap();
    assert!(wait_until(Duration::from_secs(10), || worker.status().unwrap().online == Some(false)));
    let st = worker.status().unwrap();
    assert_eq!(st.pending, 50);
    assert!(st.last_error.as_deref().unwrap_or("").contains("network error"), "{st:?}");
    assert!(st.oldest_pending_age_ms.is_some());
    proxy.set_down(false);
    worker.nudge();
    // The events are settled a moment before the round's outcome reaches the status line: wait
    // for both, or the line may still show the failure before.
    assert!(wait_until(Duration::from_secs(20), || {
        let st = worker.status().unwrap();
        st.pending == 0 && st.online == Some(true)
    }));
    let st = worker.status().unwrap();
    assert_eq!((st.online, st.done, st.last_error.as_deref()), (Some(true), 50, None));
    worker.stop();
    assert_eq!(server.ledger(), app.expected);
}

#[test]
fn ten_thousand_mixed_events_through_every_fault_take_effect_exactly_once() {
    let weights = [
        (Fault::Pass, 40),
        (Fault::Slow, 10),
        (Fault::Drop, 8),
        (Fault::Reset, 8),
        (Fault::Error500, 10),
        (Fault::DelayAfterCommit, 6),
        (Fault::Duplicate, 10),
        (Fault::Reorder, 5),
        (Fault::AnswerTwice, 8),
    ];
    through_faults(Delivery::Batched, 250, 10_000, &weights, Duration::from_millis(800));
}

#[test]
fn four_hundred_events_one_request_each_through_every_fault_take_effect_exactly_once() {
    // One request per event meets a fault per event: fewer of the slow ones, shorter holds.
    let weights = [
        (Fault::Pass, 60),
        (Fault::Slow, 5),
        (Fault::Drop, 5),
        (Fault::Reset, 5),
        (Fault::Error500, 5),
        (Fault::DelayAfterCommit, 2),
        (Fault::Duplicate, 8),
        (Fault::Reorder, 2),
        (Fault::AnswerTwice, 10),
    ];
    through_faults(Delivery::OneByOne, 1, 400, &weights, Duration::from_millis(300));
}

fn through_faults(mode: Delivery, batch: usize, events: usize, weights: &[(Fault, u32)], timeout: Duration) {
    let server = Server::start();
    let proxy = Proxy::start(server.server.addr, weights, 5, timeout + Duration::from_millis(200));
    // Every fault at least once, first; then drawn from the weights.
    proxy.script(&ALL);
    let mut app = App::new(5);
    app.queue_mixed(events, now_ms());
    let mut config = server.config(&proxy.url());
    config.batch_size = batch;
    config.delivery = mode;
    config.request_timeout = timeout;
    let worker = SyncWorker::start(
        app.store.clone(),
        config,
        Arc::new(SystemClock),
        Box::new(rand::rngs::StdRng::seed_from_u64(5)),
    )
    .unwrap();
    // A short outage in the middle.
    std::thread::sleep(Duration::from_millis(300));
    proxy.set_down(true);
    std::thread::sleep(Duration::from_millis(300));
    proxy.set_down(false);
    let drained = wait_until(Duration::from_secs(100), || {
        let s = worker.status().unwrap();
        s.pending == 0
    });
    let st = worker.status().unwrap();
    worker.stop();
    // Anything still held back by the proxy reaches the server late: it must change nothing.
    proxy.flush_held();
    assert!(drained, "not drained: {st:?}, faults {:?}", proxy.counts());
    assert_eq!((st.parked, st.done), (0, events as i64), "{st:?} {:?}", app.store.parked_events().unwrap());
    let counts = proxy.counts();
    for f in ALL {
        assert!(counts.get(&f).copied().unwrap_or(0) > 0, "fault {f:?} never happened: {counts:?}");
    }
    let ledger = server.ledger();
    assert_eq!(ledger.keys, app.expected.keys);
    assert_eq!(ledger.sales, app.expected.sales);
    assert_eq!(ledger.refunds, app.expected.refunds);
    assert_eq!(ledger.refunded_by_line, app.expected.refunded_by_line);
    assert_eq!(ledger.enrolments, app.expected.enrolments);
}

#[test]
fn https_with_a_trusted_self_signed_certificate_and_refused_without_it() {
    use till_core::SystemClock as ServerClock;
    use till_server::clock::OsEntropy;
    let fixtures = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../till-server/tests/fixtures");
    let dir = tempfile::tempdir().unwrap();
    let repo = Arc::new(till_server::repo::sqlite::SqliteRepository::open(&dir.path().join("s.db")).unwrap());
    let t = till_server::admin::add_terminal(&*repo, "till", &ServerClock, &OsEntropy).unwrap();
    let state = till_server::state::AppState::new(
        repo,
        Arc::new(ServerClock),
        Arc::new(OsEntropy),
        till_server::config::Config::default(),
    );
    let tls =
        till_server::server::TlsFiles { cert: fixtures.join("test-cert.pem"), key: fixtures.join("test-key.pem") };
    let server = till_server::server::Background::start(state, Some(tls)).unwrap();
    let url = format!("https://localhost:{}", server.addr.port());
    let mut app = App::new(6);
    app.queue_mixed(20, now_ms());
    let mut config =
        till_sync::SyncConfig::new(&url, &t.terminal_id, till_client::Secret::from_hex(&t.secret).unwrap());
    config.backoff = till_sync::BackoffPolicy { base: Duration::from_secs(60), cap: Duration::from_secs(60) };
    // The system's roots do not vouch for a self-signed certificate: nothing is sent, all stays.
    let r = syncer(&app, config.clone(), 6).drain().unwrap();
    assert_eq!((r.done, r.retried), (0, 20));
    let st = app.store.outbox_counts().unwrap();
    assert!(st.last_error.as_deref().unwrap_or("").contains("network error"), "{st:?}");
    app.store.release_claims().unwrap();
    app.store.write(|tx| Ok(tx.execute("UPDATE outbox SET next_attempt_at_ms = 0", [])?)).unwrap();
    config.trusted_roots_pem = Some(std::fs::read(fixtures.join("test-cert.pem")).unwrap());
    let r = syncer(&app, config, 6).drain().unwrap();
    assert_eq!((r.done, r.parked), (20, 0));
}
