//! Long offline loyalty: a sale's earn that could not reach the points server within its identify
//! token's window is refused as expired, waits (pending, not rejected, in no manager's list), and
//! goes again the next time the customer is identified, once; a later identification sends
//! nothing more. Through the till's application layer with the real points terminal driver and
//! the simulator over a pseudo-terminal, a real till-server on 127.0.0.1 and real SQLite files,
//! all on one injected clock (moved, never slept through).
#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)]

use rand::rngs::StdRng;
use rand::SeedableRng;
use std::sync::Arc;
use std::time::{Duration, Instant};
use till_core::{Clock, ManualClock, OrderId};
use till_devices::points::{simulator, SimConfig, SimulatorHandle};
use till_devices::transport::SerialLink;
use till_pos::ipc::sync::SyncSettingsInput;
use till_pos::{Pos, PosConfig};
use till_server::clock::OsEntropy;
use till_server::repo::sqlite::SqliteRepository;
use till_server::server::Background;
use till_server::state::AppState;

const CASHIER: i64 = 1;
const MANAGER: i64 = 2;
const INSTALLER: i64 = 3;
/// Longer than the identify token's window (600 s).
const OFFLINE_MS: i64 = 11 * 60 * 1000;

struct Server {
    _bg: Background,
    url: String,
    db: std::path::PathBuf,
    terminal_id: String,
    secret: String,
    _dir: tempfile::TempDir,
}

/// A till-server on 127.0.0.1 whose clock is `clock`.
fn server(clock: &Arc<ManualClock>) -> Server {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("server.db");
    let repo = Arc::new(SqliteRepository::open(&db).unwrap());
    let terminal = till_server::admin::add_terminal(&*repo, "till 1", &**clock, &OsEntropy).unwrap();
    let state = AppState::new(repo, clock.clone(), Arc::new(OsEntropy), Default::default());
    let bg = Background::start(state, None).unwrap();
    Server { url: bg.url(), _bg: bg, db, terminal_id: terminal.terminal_id, secret: terminal.secret, _dir: dir }
}

struct Till {
    pos: Pos,
    sim: SimulatorHandle,
    clock: Arc<ManualClock>,
    _pty: SerialLink,
    _dir: tempfile::TempDir,
}

/// A till on `clock` whose points terminal is the simulator (its phone on the same clock) behind
/// a pseudo-terminal, paired, online with `srv`.
fn till(srv: &Server, clock: &Arc<ManualClock>) -> Till {
    let (device, pty) = SerialLink::pty_pair().unwrap();
    let phone_clock = clock.clone();
    let sim = simulator::spawn(
        Box::new(device),
        SimConfig {
            pairing_button: true,
            auto_present: Some((0, Duration::from_millis(100))),
            clock: Box::new(move || phone_clock.now_unix() as u64),
            rng: Box::new(StdRng::seed_from_u64(5)),
            ..SimConfig::default()
        },
    );
    let dir = tempfile::tempdir().unwrap();
    let pos = Pos::open(PosConfig {
        card_reader: "sim://card-reader?delay_ms=1".into(),
        clock: clock.clone(),
        rng: Box::new(StdRng::seed_from_u64(17)),
        points_terminal: Some(format!("serial://{}?baud=115200", pty.name())),
        ..PosConfig::demo(dir.path().join("till.db"))
    })
    .unwrap();
    pos.sync_seed_settings(&srv.url, &srv.terminal_id, &srv.secret).unwrap();
    pos.sync_start().unwrap();
    let installer = pos.login(INSTALLER, "3333").unwrap().token;
    assert!(pos.device_pair(&installer).unwrap().ok);
    Till { pos, sim, clock: clock.clone(), _pty: pty, _dir: dir }
}

impl Till {
    fn cashier(&self) -> till_core::SessionToken {
        self.pos.login(CASHIER, "1111").unwrap().token
    }

    /// Waits (for the sync worker's thread, not for the clock) until `done` holds.
    fn until(&self, what: &str, done: impl Fn() -> bool) {
        let deadline = Instant::now() + Duration::from_secs(20);
        while !done() {
            assert!(Instant::now() < deadline, "timed out waiting until {what}: {:?}", self.pos.sync_status_now());
            self.pos.sync_nudge();
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    fn drained(&self) {
        self.until("the outbox is drained", || self.pos.sync_status_now().unwrap().pending == 0);
    }

    /// Points the till at a port nobody listens on, or back at the server.
    fn server_at(&self, srv: &Server, up: bool) {
        let url = if up {
            srv.url.clone()
        } else {
            let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
            format!("http://127.0.0.1:{port}")
        };
        let input = SyncSettingsInput {
            sales_url: url,
            refunds_url: String::new(),
            points_url: String::new(),
            payments_url: String::new(),
            terminal_id: srv.terminal_id.clone(),
            secret: String::new(),
            cert_sha256: String::new(),
            ca_pem: String::new(),
        };
        let installer = self.pos.login(INSTALLER, "3333").unwrap().token;
        self.pos.sync_settings_set(&installer, input).unwrap();
    }

    /// Rings up `sku`, identifies the customer on the terminal and pays in cash; the receipt.
    fn sell(&self, sku: &str) -> till_pos::ipc::views::Receipt {
        let cashier = self.cashier();
        let cart = self.pos.cart_scan(&cashier, sku).unwrap();
        self.pos.customer_identify(&cashier).unwrap();
        self.pos.checkout_cash(&cashier, &cart.cart_id, cart.total.minor()).unwrap()
    }

    fn points_status(&self, order_id: i64) -> String {
        let receipt = self.pos.receipt(&self.cashier(), OrderId::new(order_id).unwrap()).unwrap();
        receipt.points.unwrap().status
    }

    fn points_events(&self) -> usize {
        self.pos.store().outbox_events("points.updated").unwrap().len()
    }
}

fn server_q(srv: &Server, sql: &str) -> i64 {
    rusqlite::Connection::open(&srv.db).unwrap().query_row(sql, [], |r| r.get(0)).unwrap()
}

fn balance(srv: &Server, account: &str) -> i64 {
    server_q(srv, &format!("SELECT balance FROM points_accounts WHERE account_id = '{account}'"))
}

fn earns_on_server(srv: &Server, order_no: &str) -> i64 {
    server_q(srv, &format!("SELECT count(*) FROM points_entries WHERE order_id = '{order_no}' AND kind = 'earn'"))
}

/// A server and a till on one manual clock (set to the time of day) and a customer enrolled
/// with the simulator's phone; the account id.
fn enrolled() -> (Server, Till, String) {
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_millis();
    let clock = Arc::new(ManualClock::new(i64::try_from(now).unwrap()));
    let srv = server(&clock);
    let t = till(&srv, &clock);
    let enrolled = t.pos.points_enrol(&t.cashier()).unwrap();
    t.sim.enrol_phone(&enrolled.enrolment_message).unwrap();
    (srv, t, enrolled.account_id)
}

#[test]
fn an_earn_refused_as_expired_waits_and_goes_again_once_with_the_next_identification() {
    let (srv, t, account) = enrolled();
    let first = t.sell("TEA-01");
    let earned_first = first.points.as_ref().unwrap().earned;
    assert_eq!(first.points.unwrap().status, "confirmed");

    // The server cannot be reached: the sale is recorded with its earn pending.
    t.server_at(&srv, false);
    let offline = t.sell("TEA-02");
    let earned_offline = offline.points.as_ref().unwrap().earned;
    assert!(earned_offline > 0);
    assert_eq!(offline.points.unwrap().status, "pending");
    let sale_token = t.sim.issued_tokens().last().unwrap().clone();

    // Back online more than the token's life after the customer was identified: the server
    // refuses the earn as expired, and the till keeps it waiting.
    t.server_at(&srv, true);
    t.clock.advance(OFFLINE_MS);
    let waiting = || t.pos.store().points_awaiting_identify(&account).unwrap();
    t.until("the earn waits for the next identification", || waiting().len() == 1);
    t.drained();
    assert_eq!(waiting()[0].order_id, Some(offline.order_id));
    assert_eq!(t.points_status(offline.order_id), "pending", "the receipt does not call it rejected");
    let manager = t.pos.login(MANAGER, "2222").unwrap().token;
    assert!(t.pos.points_problems(&manager).unwrap().is_empty(), "nothing in the manager's problems list");
    assert_eq!(t.pos.sync_status_now().unwrap().parked, 0, "nor on the manager's sync screen");
    assert_eq!(balance(&srv, &account), earned_first);
    assert_eq!(earns_on_server(&srv, &offline.order_no), 0);
    let events_before = t.points_events();

    // The customer is identified again, for a new sale: the waiting earn goes first, as a new
    // event, then the new sale's own earn; both are confirmed.
    let next = t.sell("TEA-03");
    let earned_next = next.points.as_ref().unwrap().earned;
    t.drained();
    assert_eq!(t.points_events(), events_before + 2, "the earn sent again, and the new sale's");
    assert!(waiting().is_empty());
    let row = t.pos.store().points_of_order(offline.order_id).unwrap();
    assert_eq!((row[0].status.as_str(), row[0].awaiting_identify), ("confirmed", false));
    assert!(row[0].balance_after.is_some());
    assert_eq!(t.points_status(offline.order_id), "confirmed");
    assert_eq!(t.points_status(next.order_id), "confirmed");
    let total = earned_first + earned_offline + earned_next;
    assert_eq!(balance(&srv, &account), total, "the server's balance holds the earn exactly once");
    assert_eq!(earns_on_server(&srv, &offline.order_no), 1);
    // It earned under the token read for that sale (its counter), not the new one.
    let counter = i64::from(u32::from_be_bytes(sale_token[16..20].try_into().unwrap()));
    let on_server = server_q(
        &srv,
        &format!("SELECT counter FROM points_entries WHERE order_id = '{}' AND kind = 'earn'", offline.order_no),
    );
    assert_eq!(on_server, counter);

    // A third identification sends nothing again: only that sale's own earn goes.
    let third = t.sell("TEA-01");
    t.drained();
    assert_eq!(t.points_events(), events_before + 3);
    assert_eq!(balance(&srv, &account), total + third.points.unwrap().earned);
    assert_eq!(earns_on_server(&srv, &offline.order_no), 1);
    assert!(t.pos.points_problems(&manager).unwrap().is_empty());
    assert_eq!(t.pos.sync_status_now().unwrap().parked, 0);
}

#[test]
fn a_token_that_grew_old_on_an_open_cart_waits_too_and_an_identification_without_a_sale_sends_it() {
    let (srv, t, account) = enrolled();

    // Online, but the customer was identified 11 minutes before paying.
    let cashier = t.cashier();
    let cart = t.pos.cart_scan(&cashier, "TEA-02").unwrap();
    t.pos.customer_identify(&cashier).unwrap();
    t.clock.advance(OFFLINE_MS);
    let cashier = t.cashier();
    let sale = t.pos.checkout_cash(&cashier, &cart.cart_id, cart.total.minor()).unwrap();
    let earned = sale.points.as_ref().unwrap().earned;
    t.until("the earn waits", || t.pos.store().points_awaiting_identify(&account).unwrap().len() == 1);
    assert_eq!(t.points_status(sale.order_id), "pending");
    assert_eq!(balance(&srv, &account), 0);

    // The customer comes back and is identified, buying nothing: the earn goes, once.
    let cart = t.pos.cart_scan(&cashier, "TEA-01").unwrap();
    t.pos.customer_identify(&cashier).unwrap();
    t.drained();
    assert_eq!(t.points_status(sale.order_id), "confirmed");
    assert_eq!(balance(&srv, &account), earned);
    let events = t.points_events();
    t.pos.customer_identify(&cashier).unwrap();
    t.drained();
    assert_eq!(t.points_events(), events, "identified again: nothing more to send");
    t.pos.customer_clear(&cashier).unwrap();
    t.pos.checkout_cash(&cashier, &cart.cart_id, cart.total.minor()).unwrap();
    t.drained();
    assert_eq!((balance(&srv, &account), earns_on_server(&srv, &sale.order_no)), (earned, 1));
}
