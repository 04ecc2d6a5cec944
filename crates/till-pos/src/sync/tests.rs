//! Tests of sync.

use super::*;
use crate::error::ErrorCode;
use crate::ipc::sync::{ConnectionOutcome, SyncSettingsInput};
use crate::sync::settings::SETTING;
use crate::tests::{CASHIER, INSTALLER, MANAGER};
use crate::{ManualClock, PosConfig};

const SECRET: &str = "0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f0";

/// A till whose clock reads the real time (the server checks signing times against its own).
fn till() -> (tempfile::TempDir, Arc<ManualClock>, Pos) {
    let dir = tempfile::tempdir().unwrap();
    let clock = Arc::new(ManualClock::new(crate::Clock::now_ms(&crate::SystemClock)));
    let pos = Pos::open(PosConfig {
        card_reader: "sim://card-reader?delay_ms=1".into(),
        clock: clock.clone(),
        rng: Box::new(StdRng::seed_from_u64(7)),
        ..PosConfig::demo(dir.path().join("till.db"))
    })
    .unwrap();
    (dir, clock, pos)
}

/// A real till-server on 127.0.0.1 with one registered terminal.
struct Server {
    _bg: till_server::server::Background,
    url: String,
    db: std::path::PathBuf,
    terminal_id: String,
    secret: String,
    _dir: tempfile::TempDir,
}

fn server() -> Server {
    let dir = tempfile::tempdir().unwrap();
    let s = till_server::local::LocalServer::start(&dir.path().join("server.db"), Default::default(), None).unwrap();
    Server { url: s.url, _bg: s.background, db: s.db, terminal_id: s.terminal_id, secret: s.secret, _dir: dir }
}

fn input(url: &str, terminal: &str, secret: &str) -> SyncSettingsInput {
    SyncSettingsInput {
        sales_url: url.into(),
        refunds_url: String::new(),
        points_url: String::new(),
        payments_url: String::new(),
        terminal_id: terminal.into(),
        secret: secret.into(),
        cert_sha256: String::new(),
        ca_pem: String::new(),
    }
}

/// The audit log's (action, detail) pairs, read from the database file.
fn audit(p: &Pos) -> Vec<(String, String)> {
    let c = rusqlite::Connection::open(p.store().path()).unwrap();
    let mut s = c.prepare("SELECT action, detail FROM audit_log ORDER BY id").unwrap();
    let rows = s.query_map([], |r| Ok((r.get(0)?, r.get(1)?))).unwrap();
    rows.map(|r| r.unwrap()).collect()
}

#[test]
fn settings_round_trip_with_the_secret_sealed_and_installers_only() {
    let (dir, _c, p) = till();
    let i = p.login(INSTALLER, "3333").unwrap().token;
    assert!(!p.sync_settings_get(&i).unwrap().configured);
    let view = p.sync_settings_set(&i, input("http://127.0.0.1:9/", "t-1", SECRET)).unwrap();
    assert!(view.configured && view.secret_set);
    let urls = view.urls.clone().unwrap();
    assert_eq!((urls.sales.as_str(), urls.payments.as_str()), ("http://127.0.0.1:9", "http://127.0.0.1:9"));
    let json = serde_json::to_string(&p.sync_settings_get(&i).unwrap()).unwrap();
    assert!(!json.contains(&SECRET[..16]), "{json}");
    // an empty secret keeps the stored one; per-service URLs are kept apart
    let mut change = input("https://sales.example", "t-1", "");
    change.points_url = "https://points.example:8443".into();
    let v = p.sync_settings_set(&i, change).unwrap();
    assert_eq!(v.urls.unwrap().points, "https://points.example:8443");
    assert_eq!(p.sync_credentials().unwrap().unwrap().secret.bytes().to_vec(), hex::decode(SECRET).unwrap());
    // the worker sends each service's events to that service's server
    let config = p.sync_credentials().unwrap().unwrap().worker_config();
    assert_eq!(config.url_for("sale"), "https://sales.example");
    assert_eq!(config.url_for("refund"), "https://sales.example");
    assert_eq!(config.url_for("points_update"), "https://points.example:8443");
    assert_eq!(config.url_for("payment_authorize"), "https://sales.example");
    // bad input changes nothing
    for bad in [
        input("ftp://x", "t-1", SECRET),
        input("http://host/path", "t-1", SECRET),
        input("http://host:0", "t-1", SECRET),
        input("https://h", "", SECRET),
        input("https://h", "t 1", SECRET),
        input("https://h", "t-1", "abcd"),
        input("https://h", "t-1", &"zz".repeat(32)),
    ] {
        assert_eq!(p.sync_settings_set(&i, bad).unwrap_err().code(), ErrorCode::InvalidInput);
    }
    assert_eq!(p.sync_settings_get(&i).unwrap().urls.unwrap().sales, "https://sales.example");
    // installers only
    for (user, pin) in [(CASHIER, "1111"), (MANAGER, "2222")] {
        let t = p.login(user, pin).unwrap().token;
        assert_eq!(p.sync_settings_get(&t).unwrap_err().code(), ErrorCode::Forbidden);
        assert_eq!(p.sync_settings_set(&t, input("http://h", "x", SECRET)).unwrap_err().code(), ErrorCode::Forbidden);
        assert_eq!(p.sync_test_connection(&t).unwrap_err().code(), ErrorCode::Forbidden);
    }
    assert!(audit(&p).iter().any(|(a, _)| a == "sync.settings_set"));
    drop(p);
    // sealed at rest: neither the bytes nor the hex are in any file beside the database
    let raw = hex::decode(SECRET).unwrap();
    for e in std::fs::read_dir(dir.path()).unwrap() {
        let bytes = std::fs::read(e.unwrap().path()).unwrap();
        assert!(!bytes.windows(32).any(|w| w == raw.as_slice()));
        assert!(!bytes.windows(16).any(|w| w == &SECRET.as_bytes()[..16]));
    }
}

#[test]
fn test_connection_names_exactly_what_failed() {
    let srv = server();
    let (_d, clock, p) = till();
    let i = p.login(INSTALLER, "3333").unwrap().token;
    assert_eq!(p.sync_test_connection(&i).unwrap_err().code(), ErrorCode::SyncNotConfigured);
    let outcome = |p: &Pos| {
        // a fresh session: the clock jumps past the idle timeout below
        let t = p.sync_test_connection(&p.login(INSTALLER, "3333").unwrap().token).unwrap();
        assert_eq!(t.checks.len(), 1, "one URL for the four services");
        (t.checks[0].outcome, t.checks[0].message.clone())
    };
    p.sync_settings_set(&i, input(&srv.url, &srv.terminal_id, &srv.secret)).unwrap();
    let t = p.sync_test_connection(&i).unwrap();
    assert!(t.ok, "{t:?}");
    assert_eq!(t.checks[0].services.len(), 4);

    let wrong = "11".repeat(32);
    p.sync_settings_set(&i, input(&srv.url, &srv.terminal_id, &wrong)).unwrap();
    let (o, m) = outcome(&p);
    assert_eq!(o, ConnectionOutcome::BadSecret, "{m}");
    assert!(m.contains("secret is wrong"), "{m}");

    p.sync_settings_clear(&i).unwrap();
    p.sync_settings_set(&i, input(&srv.url, "no-such-terminal", &srv.secret)).unwrap();
    let (o, m) = outcome(&p);
    assert_eq!(o, ConnectionOutcome::UnknownTerminal, "{m}");

    p.sync_settings_clear(&i).unwrap();
    p.sync_settings_set(&i, input(&srv.url, &srv.terminal_id, &srv.secret)).unwrap();
    clock.advance(-3_600_000);
    let (o, m) = outcome(&p);
    assert_eq!(o, ConnectionOutcome::ClockSkew, "{m}");
    // the real clock moved on a little since the till's was read
    assert!(m.starts_with("clock skew of 360") && m.contains("behind the server's"), "{m}");
    clock.advance(3_600_000 + 120_000);
    let (o, m) = outcome(&p);
    assert_eq!(o, ConnectionOutcome::ClockSkew, "within the server's window, but reported: {m}");
    assert!(m.contains("ahead of"), "{m}");
    clock.advance(-120_000);
    let i = p.login(INSTALLER, "3333").unwrap().token;

    // nothing listens: a port that was just free
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    p.sync_settings_set(&i, input(&format!("http://127.0.0.1:{port}"), &srv.terminal_id, "")).unwrap();
    let (o, m) = outcome(&p);
    assert_eq!(o, ConnectionOutcome::ConnectionRefused, "{m}");

    // TLS to a plain HTTP server
    p.sync_settings_set(&i, input(&srv.url.replace("http://", "https://"), &srv.terminal_id, "")).unwrap();
    let (o, m) = outcome(&p);
    assert_eq!(o, ConnectionOutcome::TlsFailed, "{m}");

    // a server that accepts the connection and never answers
    let silent = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", silent.local_addr().unwrap());
    p.sync_settings_set(&i, input(&url, &srv.terminal_id, "")).unwrap();
    let (o, m) = outcome(&p);
    assert_eq!(o, ConnectionOutcome::Timeout, "{m}");
    assert!(m.starts_with("no answer from 127.0.0.1:"), "{m}");
    drop(silent);

    // a name that cannot resolve (.invalid is reserved)
    p.sync_settings_set(&i, input("https://till-server.invalid:8787", &srv.terminal_id, "")).unwrap();
    let (o, m) = outcome(&p);
    assert_eq!(o, ConnectionOutcome::DnsFailed, "{m}");
}

#[test]
fn a_sale_reaches_the_server_and_the_status_line_follows() {
    let srv = server();
    let (_d, _c, p) = till();
    let p = Arc::new(p);
    Pos::start_sync_status_feed(&p).unwrap();
    let c = p.login(CASHIER, "1111").unwrap().token;
    // the status line as the window hears it: told at once, then on every change
    let (tx, told) = std::sync::mpsc::channel::<SyncStatusView>();
    let tx = Mutex::new(tx);
    p.sync_status_watch(&c, Arc::new(move |s: &SyncStatusView| lock(&tx).send(s.clone()).unwrap())).unwrap();
    let next = || told.recv_timeout(Duration::from_secs(20)).expect("a change of the status line was not told");
    let s = next();
    assert!(!s.configured && !s.running && s.pending == 0);
    let cart = p.cart_scan(&c, "6901234567892").unwrap();
    let receipt = p.checkout_cash(&c, &cart.cart_id, cart.total.minor()).unwrap();
    let s = next();
    assert_eq!((s.pending, s.online), (1, None));
    assert!(p.sync_seed_settings(&srv.url, &srv.terminal_id, &srv.secret).unwrap());
    assert!(!p.sync_seed_settings(&srv.url, &srv.terminal_id, &srv.secret).unwrap(), "unchanged");
    p.sync_start().unwrap();
    p.sync_nudge();
    let s = loop {
        let s = next();
        if s.pending == 0 {
            break s;
        }
    };
    assert_eq!((s.pending, s.online, s.delivered, s.running), (0, Some(true), 1, true), "{s:?}");
    // nothing changes, nothing is told
    p.sync_nudge();
    assert!(told.recv_timeout(Duration::from_millis(500)).is_err(), "told of a change that did not happen");
    let server = rusqlite::Connection::open(&srv.db).unwrap();
    let n: i64 =
        server.query_row("SELECT count(*) FROM orders WHERE order_id = ?1", [&receipt.order_no], |r| r.get(0)).unwrap();
    assert_eq!(n, 1, "the server holds the sale");
    // restarting with other settings stops the old worker first
    let i = p.login(INSTALLER, "3333").unwrap().token;
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    p.sync_settings_set(&i, input(&format!("http://127.0.0.1:{port}"), &srv.terminal_id, "")).unwrap();
    assert!(p.sync_status_now().unwrap().running);
}

/// Waits (at most `limit`) until nothing is pending; how long it took.
fn delivered_within(p: &Pos, limit: Duration) -> Option<Duration> {
    let start = std::time::Instant::now();
    while start.elapsed() < limit {
        let s = p.sync_status_now().unwrap();
        if s.pending == 0 && s.delivered > 0 {
            return Some(start.elapsed());
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    None
}

#[test]
fn a_checkout_nudges_the_worker_so_the_sale_goes_out_at_once() {
    let srv = server();
    let (_d, _c, p) = till();
    *lock(&p.sync.idle_poll) = Some(Duration::from_secs(60));
    assert!(p.sync_seed_settings(&srv.url, &srv.terminal_id, &srv.secret).unwrap());
    p.sync_start().unwrap();
    // let the worker finish its first (empty) round and go to sleep for a minute
    std::thread::sleep(Duration::from_millis(300));
    let c = p.login(CASHIER, "1111").unwrap().token;
    let cart = p.cart_scan(&c, "6901234567892").unwrap();
    p.checkout_cash(&c, &cart.cart_id, cart.total.minor()).unwrap();
    let took = delivered_within(&p, Duration::from_secs(5));
    assert!(took.is_some_and(|t| t < Duration::from_secs(3)), "cash sale not delivered at once: {took:?}");
    std::thread::sleep(Duration::from_millis(300));
    // a card sale too (authorised by the same server)
    const SIGNATURE: &str =
        r#"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 600 200"><path d="M 10 10 L 50 60 L 90 20"/></svg>"#;
    let cart = p.cart_scan(&c, "6901234567892").unwrap();
    let (_, pushed) = crate::sale::card::tests::start_payment(&p, &c, &cart.cart_id).unwrap();
    let v = pushed.read();
    p.payment_sign(&c, &v.payment_id, Some(SIGNATURE.into())).unwrap();
    let receipt = p.payment_authorize(&c, &v.payment_id).unwrap();
    let start = std::time::Instant::now();
    let server = rusqlite::Connection::open(&srv.db).unwrap();
    let on_server = || -> i64 {
        server.query_row("SELECT count(*) FROM orders WHERE order_id = ?1", [&receipt.order_no], |r| r.get(0)).unwrap()
    };
    while on_server() == 0 && start.elapsed() < Duration::from_secs(5) {
        std::thread::sleep(Duration::from_millis(20));
    }
    assert_eq!(on_server(), 1);
    assert!(start.elapsed() < Duration::from_secs(3), "card sale not delivered at once: {:?}", start.elapsed());
    // the server commits before the till hears its answer: give the till a moment to record it
    while p.sync_status_now().unwrap().delivered < 2 && start.elapsed() < Duration::from_secs(5) {
        std::thread::sleep(Duration::from_millis(20));
    }
    assert_eq!(p.sync_status_now().unwrap().delivered, 2);
}

fn park_one(p: &Pos, id: &str) {
    let now = p.now_ms();
    p.store()
        .write(|tx| till_store::outbox::enqueue(tx, id, "test.kind", "order/9", &serde_json::json!({}), now))
        .unwrap();
    let claimed = p.store().claim_due(now, 10, 1000, &mut |_| Err("422 invalid_request: no".into())).unwrap();
    assert!(claimed.is_empty());
}

#[test]
fn the_environment_seeds_settings_but_never_overrides_the_installer() {
    let (_d, _c, p) = till();
    assert!(p.sync_seed_settings("http://127.0.0.1:8787", "demo-1", SECRET).unwrap());
    let i = p.login(INSTALLER, "3333").unwrap().token;
    assert!(p.sync_settings_get(&i).unwrap().from_environment);
    // a new demo terminal replaces the one seeded before
    assert!(p.sync_seed_settings("http://127.0.0.1:8787", "demo-2", SECRET).unwrap());
    assert_eq!(p.sync_settings_get(&i).unwrap().terminal_id.as_deref(), Some("demo-2"));
    assert!(p.sync_seed_settings("not a url", "demo-2", SECRET).is_err());
    p.sync_settings_set(&i, input("https://shop.example", "shop-1", &"33".repeat(32))).unwrap();
    assert!(!p.sync_seed_settings("http://127.0.0.1:8787", "demo-3", SECRET).unwrap());
    let v = p.sync_settings_get(&i).unwrap();
    assert_eq!((v.terminal_id.as_deref(), v.from_environment), (Some("shop-1"), false));
}

#[test]
fn a_parked_offline_card_payment_cannot_be_retried_without_its_card_data() {
    let (_d, _c, p) = till();
    let now = p.now_ms();
    let payload = serde_json::json!({"payment_id": "pay-1", "card": {"scheme": "platform_gcm", "data": "c2VjcmV0"}});
    p.store()
        .write(|tx| {
            till_store::outbox::enqueue(tx, "pay-1", till_store::delivery::PAYMENT_FORWARD, "order/9", &payload, now)
        })
        .unwrap();
    let mut as_is = |ev: &till_store::DueEvent| {
        Ok(till_store::Prepared { wire_kind: "payment_authorize".into(), body: ev.payload.clone() })
    };
    assert_eq!(p.store().claim_due(now, 10, 1000, &mut as_is).unwrap().len(), 1);
    let park = till_store::Settlement::Park { id: "pay-1".into(), reason: "400 invalid_request: no".into() };
    p.store().settle(now, &[park]).unwrap();
    let m = p.login(MANAGER, "2222").unwrap().token;
    let err = p.sync_parked_retry(&m, "pay-1").unwrap_err();
    assert!(matches!(err, PosError::ForwardCardDataGone), "{err:?}");
    let ipc = crate::IpcError::from(err);
    assert_eq!(ipc.code, ErrorCode::Conflict);
    assert_eq!(ipc.message, "the card data of this offline payment is gone; ask the customer to pay again");
    // still parked, for the manager to discard
    assert_eq!(p.sync_parked_list(&m).unwrap().len(), 1);
    p.sync_parked_discard(&m, "pay-1", "2222".into()).unwrap();
    assert!(p.sync_parked_list(&m).unwrap().is_empty());
}

#[test]
fn managers_retry_or_discard_parked_events_with_their_pin_and_it_is_audited() {
    let (_d, clock, p) = till();
    park_one(&p, "ev-1");
    park_one(&p, "ev-2");
    let m = p.login(MANAGER, "2222").unwrap().token;
    let c = p.login(CASHIER, "1111").unwrap().token;
    assert_eq!(p.sync_parked_list(&c).unwrap_err().code(), ErrorCode::Forbidden);
    assert_eq!(p.sync_parked_retry(&c, "ev-1").unwrap_err().code(), ErrorCode::Forbidden);
    assert_eq!(p.sync_parked_discard(&c, "ev-1", "1111".into()).unwrap_err().code(), ErrorCode::Forbidden);
    clock.advance(5_000);
    let list = p.sync_parked_list(&m).unwrap();
    assert_eq!(list.len(), 2);
    assert_eq!((list[0].id.as_str(), list[0].kind.as_str(), list[0].age_ms), ("ev-1", "test.kind", 5_000));
    assert!(list[0].reason.contains("422 invalid_request"), "{:?}", list[0]);
    assert_eq!(p.sync_status_now().unwrap().parked, 2);

    // a wrong PIN changes nothing and counts
    let e = p.sync_parked_discard(&m, "ev-1", "9999".into()).unwrap_err();
    assert_eq!(e.code(), ErrorCode::WrongPin);
    assert_eq!(p.store().user(MANAGER).unwrap().failed_attempts, 1);
    assert_eq!(p.sync_parked_list(&m).unwrap().len(), 2);
    let left = p.sync_parked_discard(&m, "ev-1", "2222".into()).unwrap();
    assert_eq!(left.len(), 1);
    assert_eq!(p.store().user(MANAGER).unwrap().failed_attempts, 0);
    assert_eq!(p.sync_parked_discard(&m, "ev-1", "2222".into()).unwrap_err().code(), ErrorCode::NotFound);
    let left = p.sync_parked_retry(&m, "ev-2").unwrap();
    assert!(left.is_empty());
    assert_eq!(p.sync_status_now().unwrap().pending, 1);
    let audit = audit(&p);
    let discard = audit.iter().find(|(a, _)| a == "outbox.discard").unwrap();
    assert!(discard.1.contains("ev-1"), "{discard:?}");
    assert!(audit.iter().any(|(a, d)| a == "outbox.retry" && d.contains("ev-2")));
}

#[test]
fn the_guard_refuses_losing_undelivered_events() {
    let (_d, _c, p) = till();
    let i = p.login(INSTALLER, "3333").unwrap().token;
    p.sync_settings_set(&i, input("http://127.0.0.1:9", "t-1", SECRET)).unwrap();
    assert!(p.ensure_sync_drained().is_ok());
    park_one(&p, "ev-1");
    let e = p.sync_settings_clear(&i).unwrap_err();
    assert_eq!(e.code(), ErrorCode::SyncPending);
    assert!(e.to_string().contains("0 event(s) have not reached the server yet and 1 wait"), "{e}");
    assert_eq!(p.sync_settings_set(&i, input("https://h", "t-2", "")).unwrap_err().code(), ErrorCode::SyncPending);
    assert_eq!(p.ensure_sync_drained().unwrap_err().code(), ErrorCode::SyncPending);
    // fixing the URL or the secret of the same terminal is always allowed
    p.sync_settings_set(&i, input("http://127.0.0.1:10", "t-1", &"22".repeat(32))).unwrap();
    assert!(p.store().setting(SETTING).unwrap().is_some());
    // a user's own logout is never refused
    let c = p.login(CASHIER, "1111").unwrap().token;
    p.logout(&c).unwrap();
}
