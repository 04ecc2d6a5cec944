//! Someone between the till and its server answers in the server's place. A small HTTP proxy on
//! 127.0.0.1, written here, stands between the till's real clients (the card authorisation's
//! `RemoteAuthorizer` and the sync worker, both over till-client) and a real till-server, and:
//!
//! - (a) rewrites a card authorisation's answer from declined to approved;
//! - (b) answers 200 to a batch of sales without forwarding it;
//! - (c) forwards a batch but strips the answer's signature;
//! - (d) replays a genuine answer given to another request (another nonce);
//! - (e) answers with a body over 8 MiB.
//!
//! Each is refused by the till as no answer at all: no approval, the event not marked delivered
//! (and sent again, so once the proxy lets the server's own answer through, it is delivered).
//! The till before signed answers believed every one of them.
#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)]

use rand::rngs::StdRng;
use rand::SeedableRng;
use serde_json::{json, Value};
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use till_core::{CardBrand, Currency, MaskedPan, Money, SystemClock};
use till_pos::sale::card::authorizer::{
    AuthorizationRequest, AuthorizationResponse, EntryMode, PaymentAuthorizer, PlatformCardData,
};
use till_pos::sale::card::platform_key::PlatformKey;
use till_pos::sale::card::remote_authorizer::{RemoteAuthorizer, RemoteConfig};
use till_pos::PosError;

/// The sandbox platform's default key (till-server's `Config::default()`), shared by the till.
const PLATFORM_KEY: &str = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";
const APPROVED_CARD: &str = "4111111111111111";
const DECLINED_CARD: &str = "4000000000000002";

// ---- the proxy ------------------------------------------------------------------------------

/// What the proxy does with the next requests.
#[derive(Clone)]
enum Mode {
    /// Forwards, answers with the server's answer untouched.
    Pass,
    /// Forwards, answers with this body instead of the server's (headers kept, length fixed).
    RewriteBody(Vec<u8>),
    /// Does not forward; answers 200 with a batch answer saying every event was recorded.
    AcknowledgeBatch,
    /// Forwards, answers without the answer's signature header.
    StripSignature,
    /// Does not forward; answers with the server's answer it recorded for an earlier request.
    ReplayRecorded,
    /// Does not forward; answers 200 with a batch answer acknowledging every event, padded
    /// with white space (still valid JSON) past 8 MiB, sent chunked with no length announced.
    Huge,
}

struct Proxy {
    addr: SocketAddr,
    mode: Arc<Mutex<Mode>>,
}

impl Proxy {
    fn start(upstream: SocketAddr) -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let mode = Arc::new(Mutex::new(Mode::Pass));
        // The last answer the server gave through the proxy, as bytes on the wire.
        let recorded = Arc::new(Mutex::new(None));
        let (m, r) = (mode.clone(), recorded);
        // Runs until the test process ends; the till opens a fresh connection per request.
        std::thread::spawn(move || {
            for client in listener.incoming() {
                let Ok(client) = client else { return };
                let (m, r) = (m.clone(), r.clone());
                std::thread::spawn(move || serve(client, upstream, &m, &r));
            }
        });
        Proxy { addr, mode }
    }

    fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    fn set(&self, mode: Mode) {
        *self.mode.lock().unwrap() = mode;
    }
}

/// One HTTP/1.1 message: head (start line and headers, without the blank line) and body.
struct Message {
    head: String,
    body: Vec<u8>,
}

impl Message {
    fn bytes(&self) -> Vec<u8> {
        let mut head: Vec<String> = self
            .head
            .lines()
            .filter(|l| !l.to_ascii_lowercase().starts_with("content-length:"))
            .map(str::to_string)
            .collect();
        head.push(format!("content-length: {}", self.body.len()));
        let mut out = format!("{}\r\n\r\n", head.join("\r\n")).into_bytes();
        out.extend_from_slice(&self.body);
        out
    }

    fn without_header(mut self, name: &str) -> Message {
        let prefix = format!("{name}:");
        self.head =
            self.head.lines().filter(|l| !l.to_ascii_lowercase().starts_with(&prefix)).collect::<Vec<_>>().join("\r\n");
        self
    }
}

/// Reads one message with a content-length body (all the till and the server send).
fn read_message(s: &mut TcpStream) -> Option<Message> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 16 * 1024];
    let end = loop {
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i;
        }
        let n = s.read(&mut chunk).ok()?;
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
    };
    let head = String::from_utf8_lossy(&buf[..end]).to_string();
    let len = head
        .lines()
        .find_map(|l| {
            l.to_ascii_lowercase().strip_prefix("content-length:").map(|v| v.trim().parse::<usize>().unwrap())
        })
        .unwrap_or(0);
    let mut body = buf[end + 4..].to_vec();
    while body.len() < len {
        let n = s.read(&mut chunk).ok()?;
        if n == 0 {
            return None;
        }
        body.extend_from_slice(&chunk[..n]);
    }
    Some(Message { head, body })
}

fn forward(upstream: SocketAddr, req: &Message) -> Message {
    let mut up = TcpStream::connect(upstream).unwrap();
    up.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
    up.write_all(&req.bytes()).unwrap();
    read_message(&mut up).unwrap()
}

/// The answer the attacker wants believed: for a batch, every event recorded (201); for a card
/// authorisation, approved.
fn acknowledge(request: &[u8]) -> Vec<u8> {
    let request: Value = serde_json::from_slice(request).unwrap_or(Value::Null);
    let Some(events) = request["events"].as_array() else {
        return br#"{"status":"approved","auth_code":"666666"}"#.to_vec();
    };
    let results: Vec<Value> = events
        .iter()
        .map(|e| json!({"idempotency_key": e["idempotency_key"], "status": 201, "replayed": false, "body": {}}))
        .collect();
    json!({ "results": results }).to_string().into_bytes()
}

fn ok_head() -> String {
    "HTTP/1.1 200 OK\r\ncontent-type: application/json".into()
}

fn serve(mut client: TcpStream, upstream: SocketAddr, mode: &Mutex<Mode>, recorded: &Mutex<Option<Vec<u8>>>) {
    let Some(req) = read_message(&mut client) else { return };
    let mode = mode.lock().unwrap().clone();
    let answer = match mode {
        Mode::Pass | Mode::RewriteBody(_) | Mode::StripSignature => {
            let a = forward(upstream, &req);
            *recorded.lock().unwrap() = Some(a.bytes());
            match mode {
                Mode::RewriteBody(body) => Message { head: a.head, body },
                Mode::StripSignature => a.without_header("x-till-response-signature"),
                _ => a,
            }
            .bytes()
        }
        Mode::AcknowledgeBatch => Message { head: ok_head(), body: acknowledge(&req.body) }.bytes(),
        Mode::ReplayRecorded => recorded.lock().unwrap().clone().expect("nothing recorded to replay"),
        Mode::Huge => {
            let mut out = format!("{}\r\ntransfer-encoding: chunked\r\n\r\n", ok_head()).into_bytes();
            let mut chunk = |bytes: &[u8]| {
                out.extend_from_slice(format!("{:x}\r\n", bytes.len()).as_bytes());
                out.extend_from_slice(bytes);
                out.extend_from_slice(b"\r\n");
            };
            chunk(&acknowledge(&req.body));
            let padding = vec![b' '; 1 << 20];
            for _ in 0..9 {
                chunk(&padding);
            }
            out.extend_from_slice(b"0\r\n\r\n");
            out
        }
    };
    let _ = client.write_all(&answer);
}

// ---- the server and the till's clients ------------------------------------------------------

struct Server {
    bg: till_server::server::Background,
    db: std::path::PathBuf,
    terminal_id: String,
    secret: till_client::Secret,
    _dir: tempfile::TempDir,
}

fn server() -> Server {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("server.db");
    let s = till_server::local::LocalServer::start(&db, till_server::config::Config::default(), None).unwrap();
    let secret = till_client::Secret::from_hex(&s.secret).unwrap();
    Server { bg: s.background, db, terminal_id: s.terminal_id, secret, _dir: dir }
}

impl Server {
    fn count(&self, sql: &str) -> i64 {
        rusqlite::Connection::open(&self.db).unwrap().query_row(sql, [], |r| r.get(0)).unwrap()
    }
}

fn authorizer(s: &Server, url: &str) -> RemoteAuthorizer {
    let client = till_client::ClientConfig::new(url, &s.terminal_id, s.secret.clone());
    RemoteAuthorizer::new(
        RemoteConfig { client, timeout: Duration::from_secs(5) },
        Arc::new(SystemClock),
        StdRng::seed_from_u64(3),
    )
    .unwrap()
}

fn card_request(id: &str, pan: &str) -> AuthorizationRequest {
    let key = PlatformKey::from_hex(PLATFORM_KEY).unwrap();
    let data =
        key.encrypt_card(id, &till_devices::SecretPan::new(pan.into()), "2812", &mut StdRng::seed_from_u64(1)).unwrap();
    AuthorizationRequest {
        payment_id: id.into(),
        order_ref: format!("cart-{id}"),
        amount: Money::new(1999, Currency::CNY),
        masked_pan: MaskedPan::from_pan(pan).unwrap(),
        brand: CardBrand::from_bin(pan),
        card_data: PlatformCardData::Encrypted(data),
        pin_required: false,
        pin_block: None,
        entry_mode: EntryMode::Magstripe,
    }
}

/// What the till made of an authorisation: "approved", "declined", or the error's code.
fn outcome(r: till_pos::Result<AuthorizationResponse>) -> String {
    match r {
        Ok(AuthorizationResponse::Approved { .. }) => "approved".into(),
        Ok(AuthorizationResponse::Declined { .. }) => "declined".into(),
        Err(PosError::Payment(till_pos::error::PaymentError::Unreachable(why))) => format!("unreachable: {why}"),
        Err(e) => format!("error {:?}: {e}", e.code()),
    }
}

/// A till database with one `sale.recorded` event queued, as checkout writes it.
fn till_with_a_sale(n: u64) -> (tempfile::TempDir, Arc<till_store::Store>) {
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(till_store::Store::open(&dir.path().join("till.db")).unwrap());
    let code = till_core::LineCode::generate(&mut StdRng::seed_from_u64(n)).as_str().to_string();
    let sale = json!({
        "order_id": n, "order_no": format!("{n:08}"), "checkout_key": format!("cart-{n}"),
        "created_at_ms": 1_795_000_000_000i64, "cashier_id": 1, "currency": "CNY",
        "subtotal": 500, "tax": 0, "total": 500,
        "lines": [{"line_code": code, "sku": "SKU-1", "quantity": 1, "unit_price": 500, "tax_rate_bp": 0,
                   "net": 500, "tax": 0, "gross": 500}],
        "payment": {"tender": "cash", "amount": 500, "tendered": 500, "change": 0}
    });
    let now = till_core::Clock::now_ms(&SystemClock);
    store
        .write(|tx| {
            till_store::outbox::enqueue(tx, &format!("evt-{n}"), "sale.recorded", &format!("order/{n}"), &sale, now)
        })
        .unwrap();
    (dir, store)
}

fn syncer(s: &Server, url: &str, store: Arc<till_store::Store>) -> till_sync::Syncer {
    let mut config = till_sync::SyncConfig::new(url, &s.terminal_id, s.secret.clone());
    config.request_timeout = Duration::from_secs(5);
    config.lease = Duration::from_secs(30);
    config.backoff = till_sync::BackoffPolicy { base: Duration::from_millis(1), cap: Duration::from_millis(1) };
    till_sync::Syncer::new(store, config, Arc::new(SystemClock), Box::new(StdRng::seed_from_u64(4))).unwrap()
}

/// One round of the worker, once the event is due again.
fn round(w: &mut till_sync::Syncer) -> till_sync::RoundReport {
    std::thread::sleep(Duration::from_millis(5));
    w.round().unwrap()
}

// ---- the attacks ----------------------------------------------------------------------------

#[test]
fn a_decline_rewritten_to_an_approval_is_no_approval() {
    let s = server();
    let proxy = Proxy::start(s.bg.addr);
    let till = authorizer(&s, &proxy.url());
    // Through the proxy untouched, the server's answers are believed.
    assert_eq!(outcome(till.authorize(&card_request("p1", DECLINED_CARD))), "declined");
    assert_eq!(outcome(till.authorize(&card_request("p2", APPROVED_CARD))), "approved");
    // (a) The same decline, rewritten on its way back.
    proxy.set(Mode::RewriteBody(br#"{"status":"approved","auth_code":"666666"}"#.to_vec()));
    let o = outcome(till.authorize(&card_request("p3", DECLINED_CARD)));
    assert!(o.starts_with("unreachable: ") && o.contains("does not match"), "{o}");
    assert_eq!(s.count("SELECT count(*) FROM authorizations WHERE payment_id = 'p3' AND approved = 0"), 1);
}

#[test]
fn an_approval_replayed_for_another_payment_is_no_approval() {
    let s = server();
    let proxy = Proxy::start(s.bg.addr);
    let till = authorizer(&s, &proxy.url());
    assert_eq!(outcome(till.authorize(&card_request("p1", APPROVED_CARD))), "approved");
    // (d) The genuine, signed approval of p1, given again as the answer to p2's request.
    proxy.set(Mode::ReplayRecorded);
    let o = outcome(till.authorize(&card_request("p2", DECLINED_CARD)));
    assert!(o.starts_with("unreachable: ") && o.contains("does not match"), "{o}");
    assert_eq!(s.count("SELECT count(*) FROM authorizations WHERE payment_id = 'p2'"), 0, "never reached the server");
}

#[test]
fn a_batch_acknowledged_by_the_proxy_is_not_delivered() {
    let s = server();
    let proxy = Proxy::start(s.bg.addr);
    let (_d, store) = till_with_a_sale(1);
    let mut w = syncer(&s, &proxy.url(), store);
    // (b) 200 with a result of 201 for the event, and the server never saw it.
    proxy.set(Mode::AcknowledgeBatch);
    let r = round(&mut w);
    assert_eq!((r.claimed, r.done, r.retried), (1, 0, 1), "{r:?}");
    let st = w.status().unwrap();
    assert_eq!((st.pending, st.done), (1, 0));
    assert!(st.last_error.unwrap_or_default().contains("carries no x-till-response-signature"));
    assert_eq!(s.count("SELECT count(*) FROM orders"), 0);
    // Once the server's own answer gets through, the sale is delivered.
    proxy.set(Mode::Pass);
    let r = round(&mut w);
    assert_eq!((r.done, w.status().unwrap().pending), (1, 0), "{r:?}");
    assert_eq!(s.count("SELECT count(*) FROM orders"), 1);
}

#[test]
fn a_batch_answer_without_its_signature_or_replayed_is_not_delivered() {
    let s = server();
    let proxy = Proxy::start(s.bg.addr);
    let (_d, store) = till_with_a_sale(2);
    let mut w = syncer(&s, &proxy.url(), store);
    // (c) Forwarded (the server records the sale) but the answer's signature stripped: the
    // till cannot tell it from a made-up answer, so the event stays to be sent again.
    proxy.set(Mode::StripSignature);
    let r = round(&mut w);
    assert_eq!((r.done, r.retried), (0, 1), "{r:?}");
    assert_eq!(w.status().unwrap().pending, 1);
    assert_eq!(s.count("SELECT count(*) FROM orders"), 1);
    // (d) That genuine answer, signed for the first request's nonce, replayed to the retry.
    proxy.set(Mode::ReplayRecorded);
    let r = round(&mut w);
    assert_eq!((r.done, r.retried), (0, 1), "{r:?}");
    assert!(w.status().unwrap().last_error.unwrap_or_default().contains("does not match"));
    // The retry through: the server's stored answer for the event's key, signed for this one.
    proxy.set(Mode::Pass);
    let r = round(&mut w);
    assert_eq!((r.done, w.status().unwrap().pending), (1, 0), "{r:?}");
    assert_eq!(s.count("SELECT count(*) FROM orders"), 1, "recorded once");
}

#[test]
fn an_answer_over_8_mib_is_refused() {
    let s = server();
    let proxy = Proxy::start(s.bg.addr);
    let (_d, store) = till_with_a_sale(3);
    let mut w = syncer(&s, &proxy.url(), store);
    // (e) A batch answer acknowledging the event, valid JSON, padded past 8 MiB.
    proxy.set(Mode::Huge);
    let r = round(&mut w);
    assert_eq!((r.done, r.retried), (0, 1), "{r:?}");
    let st = w.status().unwrap();
    assert_eq!((st.pending, st.done), (1, 0));
    assert!(st.last_error.unwrap_or_default().contains("answer larger than 8388608 bytes"));
    assert_eq!(s.count("SELECT count(*) FROM orders"), 0);
    // The same for the card authorisation: no approval from it.
    let till = authorizer(&s, &proxy.url());
    let o = outcome(till.authorize(&card_request("p1", APPROVED_CARD)));
    assert!(o.starts_with("unreachable: ") && o.contains("larger than"), "{o}");
}
