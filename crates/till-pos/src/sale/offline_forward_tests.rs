//! Tests of store-and-forward: offline approvals within the limits, forwarded once the
//! platform is back, and the unanswered attempt taken back by the payment journal.

use super::*;
use crate::error::ErrorCode;
use crate::ipc::sale::CardPaymentStatus;
use crate::sale::card::remote_authorizer::tests::{authorizer, Server};
use crate::sale::card::remote_authorizer::RemoteConfig;
use crate::sale::card::tests::start_payment;
use crate::tests::{CASHIER, INSTALLER, MANAGER};
use crate::{ManualClock, PosConfig};
use rand::rngs::StdRng;
use rand::SeedableRng;
use std::sync::Arc;
use std::time::Duration;
use till_core::Currency;
use till_store::{JournalState, Platform};

pub(crate) const NOW: i64 = 1_790_000_000_000;
pub(crate) const TEA: &str = "6901234567892";
pub(crate) const DECLINED_TRACK2: &str = "%3B4000000000000002%3D28121010000000000%3F";

fn cny(minor: i64) -> Money {
    Money::new(minor, Currency::CNY)
}

#[test]
fn limits_amount_count_and_age() {
    let l = PaymentSettings::default();
    let none = PendingForwards::default();
    let code = |r: std::result::Result<(), PaymentError>| match r {
        Ok(()) => "ok".to_string(),
        Err(PaymentError::Declined { reason_code, .. }) => reason_code,
        Err(e) => format!("{e:?}"),
    };
    assert_eq!(code(check_offline(&l, cny(50_000), false, none, NOW)), "ok");
    assert_eq!(code(check_offline(&l, cny(50_001), false, none, NOW)), "offline_amount");
    assert_eq!(code(check_offline(&l, cny(100), true, none, NOW)), "offline_pin");
    let nineteen = PendingForwards { count: 19, oldest_at_ms: Some(NOW - 1000) };
    assert_eq!(code(check_offline(&l, cny(100), false, nineteen, NOW)), "ok");
    let twenty = PendingForwards { count: 20, oldest_at_ms: Some(NOW - 1000) };
    assert_eq!(code(check_offline(&l, cny(100), false, twenty, NOW)), "offline_count");
    // age by the injected clock: 24 h is still fine, a moment later it is not
    let old = PendingForwards { count: 1, oldest_at_ms: Some(NOW) };
    assert_eq!(code(check_offline(&l, cny(100), false, old, NOW + 24 * HOUR_MS)), "ok");
    assert_eq!(code(check_offline(&l, cny(100), false, old, NOW + 24 * HOUR_MS + 1)), "offline_age");
    let off = PaymentSettings { offline_max_amount_minor: 0, ..l };
    assert_eq!(code(check_offline(&off, cny(1), false, none, NOW)), "offline_off");
    let msg = check_offline(&l, cny(50_001), false, none, NOW).unwrap_err().to_string();
    assert!(msg.contains("another tender") && msg.contains("500.00"), "{msg}");
}

/// A till whose payment platform is `url`, selling with the simulated reader's `track2`.
pub(crate) fn till(
    dir: &tempfile::TempDir,
    clock: Arc<ManualClock>,
    url: impl FnOnce(&Server) -> String,
    track2: Option<&str>,
) -> (Pos, Server) {
    // The key the server must know: the till's own, read back after it opened.
    let reader = match track2 {
        Some(t) => format!("sim://card-reader?delay_ms=1&track2={t}"),
        None => "sim://card-reader?delay_ms=1".into(),
    };
    let key_pos = Pos::open(PosConfig {
        clock: clock.clone(),
        rng: Box::new(StdRng::seed_from_u64(5)),
        card_reader: reader.clone(),
        ..PosConfig::demo(dir.path().join("till.db"))
    })
    .unwrap();
    let key = key_pos.sale.card_payments.keys.get().unwrap();
    drop(key_pos);
    let server = Server::start(&key);
    let url = url(&server);
    let remote = authorizer(server.config(&url, Duration::from_millis(500)));
    let pos = Pos::open(PosConfig {
        clock,
        rng: Box::new(StdRng::seed_from_u64(6)),
        card_reader: reader,
        authorizer: Some(Arc::new(remote)),
        ..PosConfig::demo(dir.path().join("till.db"))
    })
    .unwrap();
    (pos, server)
}

pub(crate) fn closed_url() -> String {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    format!("http://{}", l.local_addr().unwrap())
}

/// A proxy to `upstream` that passes the request on at once but holds the answer back for
/// a second: the platform authorises, the till times out first.
pub(crate) fn slow_proxy(upstream: &str) -> String {
    use std::io::{Read, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let upstream = upstream.trim_start_matches("http://").to_string();
    std::thread::spawn(move || {
        for client in listener.incoming() {
            let Ok(mut client) = client else { return };
            let Ok(mut server) = std::net::TcpStream::connect(&upstream) else { return };
            let (mut c2, mut s2) = (client.try_clone().unwrap(), server.try_clone().unwrap());
            std::thread::spawn(move || std::io::copy(&mut c2, &mut s2));
            std::thread::spawn(move || {
                let mut buf = [0u8; 8192];
                let n = server.read(&mut buf).unwrap_or(0);
                std::thread::sleep(Duration::from_millis(1000));
                let _ = client.write_all(&buf[..n]);
            });
        }
    });
    url
}

pub(crate) fn pay(p: &Pos, t: &SessionToken) -> Result<crate::ipc::views::Receipt> {
    let cart = p.cart_scan(t, TEA).unwrap();
    let (v, pushed) = start_payment(p, t, &cart.cart_id).unwrap();
    assert_eq!(pushed.read().status, CardPaymentStatus::Signature);
    p.payment_authorize(t, &v.payment_id)
}

pub(crate) fn forward(p: &Pos, server: &Server) -> till_sync::RoundReport {
    // Each drain signs with fresh nonces: the server refuses a nonce it has seen.
    static SEEDS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(7);
    let seed = SEEDS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let store = Arc::new(till_store::Store::open(p.store().path()).unwrap());
    let secret = till_client::Secret::from_hex(&server.secret_hex).unwrap();
    let mut config = till_sync::SyncConfig::new(&server.url(), &server.terminal_id, secret);
    // A sold phone is named by its blind: the worker holds the platform's device key, as the
    // till's own worker does once it has fetched it.
    let key = {
        use till_server::repo::Repository;
        let repo = till_server::repo::sqlite::SqliteRepository::open(&server.db).unwrap();
        let key = repo.read().unwrap().device_identifier_key().unwrap();
        key
    };
    config.device_keys = Some(till_sync::DeviceKeys(Arc::new(move || Some(key.clone()))));
    let mut syncer =
        till_sync::Syncer::new(store, config, Arc::new(till_core::SystemClock), Box::new(StdRng::seed_from_u64(seed)))
            .unwrap();
    syncer.drain().unwrap()
}

fn assert_no_pan_on_disk(dir: &tempfile::TempDir, pan: &str) {
    for e in std::fs::read_dir(dir.path()).unwrap() {
        let bytes = std::fs::read(e.unwrap().path()).unwrap();
        assert!(!bytes.windows(pan.len()).any(|w| w == pan.as_bytes()), "the PAN is on disk");
    }
}

#[test]
fn offline_within_limits_then_forwarded_and_approved() {
    let dir = tempfile::tempdir().unwrap();
    let clock = Arc::new(ManualClock::new(NOW));
    let (p, server) = till(&dir, clock.clone(), |_| closed_url(), None);
    let t = p.login(CASHIER, "1111").unwrap().token;
    let r = pay(&p, &t).unwrap();
    assert!(r.payment.offline_approval, "{r:?}");
    assert_eq!(r.payment.auth_code.as_deref(), Some(OFFLINE_AUTH_CODE));
    // the forward is queued with the sale, its card data encrypted, no PIN block
    let stored = p.store().outbox_events(PAYMENT_FORWARD).unwrap();
    assert_eq!((stored.len(), stored[0].state.as_str()), (1, "pending"));
    let payload = forward_payload(p.store(), &stored[0].id).unwrap().unwrap();
    assert_eq!(payload["card"]["scheme"], "platform_gcm");
    assert!(payload["card"]["data"].as_str().unwrap().len() > 56);
    assert!(payload.get("pin_block").is_none());
    assert_eq!(p.pending_forwards().unwrap().count, 1);
    assert_no_pan_on_disk(&dir, "4111111111111111");
    // the unanswered attempt is taken back; the offline approval is a payment of its own
    let checkout = p.store().order(r.order_id).unwrap().checkout_key;
    let journal = p.store().journal_of_checkout(&checkout).unwrap();
    let states: Vec<_> = journal.iter().map(|e| (e.platform, e.state)).collect();
    assert_eq!(
        states,
        [(Platform::PaymentPlatform, JournalState::ReversalPending), (Platform::Offline, JournalState::Settled)]
    );
    assert_eq!(stored[0].id, journal[1].payment_id, "the forward is the offline payment's");
    // the platform is back: the worker sends the reversal, the sale and the forward
    let report = forward(&p, &server);
    assert_eq!((report.done, report.parked), (3, 0), "{report:?}");
    // the platform never saw the first attempt: it is blocked there, and reversed here
    assert_eq!(server.reversals(), [(journal[0].payment_id.clone(), false)]);
    assert_eq!(server.authorizations(), [(journal[1].payment_id.clone(), "approved".to_string())]);
    assert_eq!(p.store().journal_entry(&journal[0].payment_id).unwrap().unwrap().state, JournalState::Reversed);
    let after = p.store().outbox_events(PAYMENT_FORWARD).unwrap();
    assert_eq!(after[0].state, "done");
    // answered: the encrypted card data is gone, the masked number stays
    let payload = forward_payload(p.store(), &stored[0].id).unwrap().unwrap();
    assert!(payload["card"].get("data").is_none(), "{payload}");
    assert_eq!(payload["card"]["masked_pan"], "411111******1111");
    assert_eq!(p.pending_forwards().unwrap().count, 0);
    let m = p.login(MANAGER, "2222").unwrap().token;
    assert!(p.forwarded_declines_list(&m).unwrap().is_empty());
    assert_no_pan_on_disk(&dir, "4111111111111111");
}

#[test]
fn a_forwarded_decline_is_put_in_front_of_the_manager() {
    let dir = tempfile::tempdir().unwrap();
    let clock = Arc::new(ManualClock::new(NOW));
    let (p, server) = till(&dir, clock, |_| closed_url(), Some(DECLINED_TRACK2));
    let t = p.login(CASHIER, "1111").unwrap().token;
    let r = pay(&p, &t).unwrap();
    assert!(r.payment.offline_approval);
    forward(&p, &server);
    let m = p.login(MANAGER, "2222").unwrap().token;
    let list = p.forwarded_declines_list(&m).unwrap();
    assert_eq!(list.len(), 1, "{list:?}");
    let d = &list[0];
    assert_eq!((d.outcome.as_str(), d.reason.as_str()), ("declined", "do_not_honour"));
    assert_eq!((d.order_id, d.card_masked.as_str()), (Some(r.order_id), "400000******0002"));
    assert_eq!(d.amount, r.total);
    assert_eq!(p.forwarded_declines_list(&t).unwrap_err().code(), ErrorCode::Forbidden);
    assert_no_pan_on_disk(&dir, "4000000000000002");
}

#[test]
fn a_timed_out_attempt_is_reversed_and_the_offline_approval_authorised_once() {
    let dir = tempfile::tempdir().unwrap();
    let clock = Arc::new(ManualClock::new(NOW));
    let (p, server) = till(&dir, clock, |s| slow_proxy(&s.url()), None);
    let t = p.login(CASHIER, "1111").unwrap().token;
    // the platform approved it, but the answer came after the till's timeout
    let r = pay(&p, &t).unwrap();
    assert!(r.payment.offline_approval);
    std::thread::sleep(Duration::from_millis(1200));
    let checkout = p.store().order(r.order_id).unwrap().checkout_key;
    let journal = p.store().journal_of_checkout(&checkout).unwrap();
    let (timed_out, offline) = (journal[0].payment_id.clone(), journal[1].payment_id.clone());
    assert_ne!(timed_out, offline);
    assert_eq!(journal[0].state, JournalState::ReversalPending);
    assert_eq!(server.authorizations(), [(timed_out.clone(), "approved".to_string())], "charged, no answer");
    // the worker takes the timed-out attempt back and forwards the offline approval: the
    // platform ends with one approved authorisation for the sale, not two
    let report = forward(&p, &server);
    assert_eq!((report.done, report.parked), (3, 0), "{report:?}");
    let mut expected = vec![(timed_out.clone(), "reversed".to_string()), (offline, "approved".to_string())];
    expected.sort();
    assert_eq!(server.authorizations(), expected);
    assert_eq!(server.reversals(), [(timed_out.clone(), true)]);
    assert_eq!(p.store().journal_entry(&timed_out).unwrap().unwrap().state, JournalState::Reversed);
    let m = p.login(MANAGER, "2222").unwrap().token;
    assert!(p.forwarded_declines_list(&m).unwrap().is_empty());
}

#[test]
fn beyond_the_limits_the_card_is_declined_and_the_cart_kept() {
    let dir = tempfile::tempdir().unwrap();
    let clock = Arc::new(ManualClock::new(NOW));
    let (p, _server) = till(&dir, clock.clone(), |_| closed_url(), None);
    let i = p.login(INSTALLER, "3333").unwrap().token;
    let limits = PaymentSettings { offline_max_pending: 1, ..PaymentSettings::default() };
    p.payment_settings_set(&i, limits).unwrap();
    let t = p.login(CASHIER, "1111").unwrap().token;
    assert!(pay(&p, &t).unwrap().payment.offline_approval);
    // the second one is over the count limit: declined, nothing recorded, the cart stays
    let cart = p.cart_scan(&t, TEA).unwrap();
    let (v, pushed) = start_payment(&p, &t, &cart.cart_id).unwrap();
    pushed.read();
    let e = p.payment_authorize(&t, &v.payment_id).unwrap_err();
    assert_eq!(e.code(), ErrorCode::CardDeclined);
    assert!(e.to_string().contains("offline_count") && e.to_string().contains("another tender"), "{e}");
    assert_eq!(p.cart_get(&t).unwrap().cart_id, cart.cart_id);
    assert_eq!(p.store().outbox_events(PAYMENT_FORWARD).unwrap().len(), 1);
    // cash for the same cart does not take the refused payment's forward with it
    p.checkout_cash(&t, &cart.cart_id, 100_000).unwrap();
    assert_eq!(p.store().outbox_events(PAYMENT_FORWARD).unwrap().len(), 1);
    // the age limit, by the injected clock
    let limits = PaymentSettings { offline_max_pending: 5, ..PaymentSettings::default() };
    p.payment_settings_set(&i, limits).unwrap();
    clock.advance(25 * HOUR_MS);
    let t = p.login(CASHIER, "1111").unwrap().token;
    let e = pay(&p, &t).unwrap_err();
    assert!(e.to_string().contains("offline_age"), "{e}");
}

#[test]
fn settings_are_for_installers_and_checked() {
    let dir = tempfile::tempdir().unwrap();
    let p = Pos::open(PosConfig {
        clock: Arc::new(ManualClock::new(NOW)),
        rng: Box::new(StdRng::seed_from_u64(5)),
        ..PosConfig::demo(dir.path().join("till.db"))
    })
    .unwrap();
    let i = p.login(INSTALLER, "3333").unwrap().token;
    let m = p.login(MANAGER, "2222").unwrap().token;
    assert_eq!(p.payment_settings_get(&i).unwrap(), PaymentSettings::default());
    assert_eq!(p.payment_settings_get(&m).unwrap_err().code(), ErrorCode::Forbidden);
    let d = PaymentSettings::default();
    assert_eq!(p.payment_settings_set(&m, d).unwrap_err().code(), ErrorCode::Forbidden);
    for bad in [
        PaymentSettings { authorization_timeout_s: 0, ..d },
        PaymentSettings { offline_max_age_hours: 0, ..d },
        PaymentSettings { offline_max_amount_minor: -1, ..d },
        PaymentSettings { offline_max_pending: 5000, ..d },
        PaymentSettings { offline_points_cap: -1, ..d },
        PaymentSettings { offline_points_cap: 1_000_001, ..d },
    ] {
        assert_eq!(p.payment_settings_set(&i, bad).unwrap_err().code(), ErrorCode::InvalidInput);
    }
    assert_eq!(p.payment_settings_get(&i).unwrap(), d);
    assert_eq!(d.offline_points_cap, 0, "no points are redeemed offline until the installer sets a limit");
    let new =
        PaymentSettings { authorization_timeout_s: 5, offline_max_amount_minor: 10_000, offline_points_cap: 500, ..d };
    p.payment_settings_set(&i, new).unwrap();
    assert_eq!(p.payment_settings_get(&i).unwrap(), new);
    assert_eq!(new.timeout(), Duration::from_secs(5));
    let _ = RemoteConfig::new(till_client::ClientConfig::new("http://x", "t", till_client::Secret::new([1; 32])));
}
