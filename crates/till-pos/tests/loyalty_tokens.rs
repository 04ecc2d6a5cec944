//! Loyalty tokens bound to what they allow, through the till's application layer with the real
//! points terminal driver talking to the simulator over a pseudo-terminal, a real till-server on
//! 127.0.0.1 and real SQLite files: the token that identified a customer cannot redeem, a
//! redemption token covers only its points and its sale, and offline a redemption is bounded
//! by the last known balance less what is pending and by the installer's cap.
#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)]

use rand::rngs::StdRng;
use rand::SeedableRng;
use std::sync::Arc;
use std::time::{Duration, Instant};
use till_devices::points::{simulator, RedeemToken, SimConfig, SimulatorHandle};
use till_devices::transport::SerialLink;
use till_pos::ipc::sync::SyncSettingsInput;
use till_pos::{ErrorCode, Pos, PosConfig};

const CASHIER: i64 = 1;
const INSTALLER: i64 = 3;

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

/// A till whose points terminal is the simulator on the far side of a pseudo-terminal, opened
/// by the real driver as `serial://<pty>`, paired by the installer, online with `srv`.
struct Till {
    pos: Pos,
    sim: SimulatorHandle,
    cashier: till_core::SessionToken,
    installer: till_core::SessionToken,
    _pty: SerialLink,
    _dir: tempfile::TempDir,
}

fn till(srv: &Server) -> Till {
    let (device, pty) = SerialLink::pty_pair().unwrap();
    let sim = simulator::spawn(
        Box::new(device),
        SimConfig {
            pairing_button: true,
            // The phone comes 100 ms after the terminal asks: the enrolled one once there is one.
            auto_present: Some((0, Duration::from_millis(100))),
            rng: Box::new(StdRng::seed_from_u64(3)),
            ..SimConfig::default()
        },
    );
    let dir = tempfile::tempdir().unwrap();
    let pos = Pos::open(PosConfig {
        card_reader: "sim://card-reader?delay_ms=1".into(),
        clock: Arc::new(till_pos::SystemClock),
        rng: Box::new(StdRng::seed_from_u64(21)),
        points_terminal: Some(format!("serial://{}?baud=115200", pty.name())),
        ..PosConfig::demo(dir.path().join("till.db"))
    })
    .unwrap();
    pos.sync_seed_settings(&srv.url, &srv.terminal_id, &srv.secret).unwrap();
    pos.sync_start().unwrap();
    let installer = pos.login(INSTALLER, "3333").unwrap().token;
    assert!(pos.device_pair(&installer).unwrap().ok);
    let cashier = pos.login(CASHIER, "1111").unwrap().token;
    Till { pos, sim, cashier, installer, _pty: pty, _dir: dir }
}

impl Till {
    /// Enrols a customer on the server and their phone in the simulator; the account id.
    fn enrol(&self) -> String {
        let e = self.pos.points_enrol(&self.cashier).unwrap();
        self.sim.enrol_phone(&e.enrolment_message).unwrap();
        e.account_id
    }

    fn drained(&self) {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            self.pos.sync_nudge();
            let s = self.pos.sync_status_now().unwrap();
            if s.pending == 0 {
                return;
            }
            assert!(Instant::now() < deadline, "sync did not drain: {s:?}");
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Points the till at a port nobody listens on (`None`) or back at the server.
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
        self.pos.sync_settings_set(&self.installer, input).unwrap();
    }

    fn set_offline_points_cap(&self, cap: i64) {
        let mut settings = self.pos.payment_settings_get(&self.installer).unwrap();
        settings.offline_points_cap = cap;
        self.pos.payment_settings_set(&self.installer, settings).unwrap();
    }

    /// Rings up `skus`, identifies the customer on the terminal, redeems `points` (if any) and
    /// pays the rest in cash; the receipt.
    fn sell(&self, skus: &[&str], points: i64) -> till_pos::ipc::views::Receipt {
        let mut cart = None;
        for sku in skus {
            cart = Some(self.pos.cart_scan(&self.cashier, sku).unwrap());
        }
        let cart = cart.unwrap();
        self.pos.customer_identify(&self.cashier).unwrap();
        let paid_by_points = if points > 0 {
            self.pos.points_redeem(&self.cashier, points).unwrap().redeem_value.unwrap().minor()
        } else {
            0
        };
        self.pos.checkout_cash(&self.cashier, &cart.cart_id, cart.total.minor() - paid_by_points).unwrap()
    }

    /// The signed request the till's server client sends, here with any body the test wants.
    fn post_as_this_till(&self, srv: &Server, path: &str, body: &serde_json::Value, key: &str) -> (u16, String) {
        let config = till_client::ClientConfig::new(
            &srv.url,
            &srv.terminal_id,
            till_client::Secret::from_hex(&srv.secret).unwrap(),
        );
        let client = till_client::Client::new(config).unwrap();
        let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() as i64;
        let a = client.send("POST", path, body.to_string().as_bytes(), Some(key), now, &mut rand::rngs::OsRng).unwrap();
        (a.status, a.body)
    }
}

fn server_q(srv: &Server, sql: &str) -> i64 {
    rusqlite::Connection::open(&srv.db).unwrap().query_row(sql, [], |r| r.get(0)).unwrap()
}

fn balance(srv: &Server, account: &str) -> i64 {
    server_q(srv, &format!("SELECT balance FROM points_accounts WHERE account_id = '{account}'"))
}

fn redeem_update(token: &[u8], points: i64, order_no: &str) -> serde_json::Value {
    serde_json::json!({"token": hex::encode(token), "kind": "redeem", "points": points, "order_id": order_no})
}

#[test]
fn the_identify_token_cannot_redeem_and_a_redemption_token_covers_only_its_points_and_its_sale() {
    let srv = server();
    let t = till(&srv);
    let account = t.enrol();
    // 38.00 + 29.00 of tea earn 67 points.
    let first = t.sell(&["TEA-01", "TEA-02"], 0);
    assert_eq!(first.points.unwrap().balance, Some(67));

    // The next customer visit: the phone identifies the customer with a version 1 token.
    let cart = t.pos.cart_scan(&t.cashier, "TEA-03").unwrap();
    assert_eq!(t.pos.customer_identify(&t.cashier).unwrap().balance, Some(67));
    let identify = t.sim.issued_tokens().last().unwrap().clone();
    assert_eq!(identify.len(), 44);
    // Anyone holding that token (a till, a cashier's tool, a copy in a log) tries to spend the
    // whole balance with it, against the sale just made: the server refuses. Before tokens were
    // bound to what they allow, this redeemed all 67 points (valid MAC, fresh counter).
    let (status, body) =
        t.post_as_this_till(&srv, "/v1/points/updates", &redeem_update(&identify, 67, &first.order_no), "steal-1");
    assert_eq!(status, 422, "{body}");
    assert!(body.contains("token_does_not_cover") && body.contains("identify token"), "{body}");
    assert_eq!(balance(&srv, &account), 67);

    // The customer redeems 30 points on the phone: the terminal shows exactly that and the
    // phone signs it (version 2: redeem, 30, this cart).
    let view = t.pos.points_redeem(&t.cashier, 30).unwrap();
    assert_eq!((view.redeem_points, view.redeem_value.unwrap().minor()), (30, 30));
    assert_eq!(t.sim.display_lines()[0], "Redeem 30 points");
    assert_eq!(t.sim.display_lines()[2], format!("Order {}", &cart.cart_id.as_str()[..8]));
    let signed = RedeemToken::parse(t.sim.issued_tokens().last().unwrap()).unwrap();
    assert_eq!((signed.redemption.points, signed.redemption.checkout_key()), (30, cart.cart_id.to_string()));
    // That token redeems neither 60 points nor 30 of another sale.
    let (status, body) =
        t.post_as_this_till(&srv, "/v1/points/updates", &redeem_update(&signed.to_bytes(), 60, &first.order_no), "x2");
    assert_eq!(status, 422, "{body}");
    assert!(body.contains("token_does_not_cover") && body.contains("allows 30 points"), "{body}");
    let (status, body) =
        t.post_as_this_till(&srv, "/v1/points/updates", &redeem_update(&signed.to_bytes(), 30, &first.order_no), "x3");
    assert_eq!(status, 422, "{body}");
    assert!(body.contains("another order"), "{body}");
    assert_eq!(balance(&srv, &account), 67);

    // The sale itself carries its cart id; the redemption goes through with it, once.
    let sale = t.pos.checkout_cash(&t.cashier, &cart.cart_id, cart.total.minor() - 30).unwrap();
    let pts = sale.points.unwrap();
    assert_eq!((pts.redeemed, pts.earned, pts.status.as_str()), (30, 55, "confirmed"), "{pts:?}");
    assert_eq!(balance(&srv, &account), 67 - 30 + 55);
    assert_eq!(
        server_q(
            &srv,
            &format!(
                "SELECT count(*) FROM orders WHERE order_id = '{}' AND checkout_key = '{}'",
                sale.order_no, cart.cart_id
            )
        ),
        1
    );
}

#[test]
fn offline_redemption_is_bounded_by_the_last_known_balance_less_pending_and_the_installers_cap() {
    let srv = server();
    let t = till(&srv);
    let account = t.enrol();
    t.sell(&["TEA-01", "TEA-02"], 0);
    assert_eq!(balance(&srv, &account), 67);
    assert_eq!(t.pos.store().points_last_balance(&account).unwrap().map(|(b, _)| b), Some(67));

    // The server goes away.
    t.server_at(&srv, false);
    let cart = t.pos.cart_scan(&t.cashier, "TEA-03").unwrap();
    assert_eq!(t.pos.customer_identify(&t.cashier).unwrap().balance, None, "offline: no balance shown");
    // Offline redemption is off until the installer sets a limit.
    let off = t.pos.points_redeem(&t.cashier, 10).unwrap_err();
    assert_eq!(off.code(), ErrorCode::PointsOfflineLimit);
    assert!(off.to_string().contains("offline is off"), "{off}");
    t.set_offline_points_cap(50);
    // Over the cap: refused, and the phone was never asked.
    let asked_before = t.sim.stats().redeems;
    let over = t.pos.points_redeem(&t.cashier, 51).unwrap_err();
    assert_eq!(over.code(), ErrorCode::PointsOfflineLimit);
    assert!(over.to_string().contains("at most 50 points"), "{over}");
    assert_eq!(t.sim.stats().redeems, asked_before);
    // Within it: allowed, approved on the phone, recorded pending.
    assert_eq!(t.pos.points_redeem(&t.cashier, 40).unwrap().redeem_points, 40);
    let sale = t.pos.checkout_cash(&t.cashier, &cart.cart_id, cart.total.minor() - 40).unwrap();
    let pts = sale.points.unwrap();
    assert_eq!((pts.status.as_str(), pts.redeemed), ("pending", 40));
    let mut earned = pts.earned;
    assert_eq!(t.pos.store().points_pending_redeemed(&account).unwrap(), 40);

    // The pending 40 count against the next redemption: 50 - 40 = 10 left.
    let cart = t.pos.cart_scan(&t.cashier, "TEA-01").unwrap();
    t.pos.customer_identify(&t.cashier).unwrap();
    let over = t.pos.points_redeem(&t.cashier, 11).unwrap_err();
    assert_eq!(over.code(), ErrorCode::PointsOfflineLimit);
    assert!(over.to_string().contains("at most 10 points") && over.to_string().contains("40 awaiting"), "{over}");
    t.pos.points_redeem(&t.cashier, 10).unwrap();
    earned += t.pos.checkout_cash(&t.cashier, &cart.cart_id, cart.total.minor() - 10).unwrap().points.unwrap().earned;

    // A higher cap still stops at the last known balance less what is pending: 67 - 50 = 17.
    t.set_offline_points_cap(1_000);
    let cart = t.pos.cart_scan(&t.cashier, "TEA-02").unwrap();
    t.pos.customer_identify(&t.cashier).unwrap();
    let over = t.pos.points_redeem(&t.cashier, 18).unwrap_err();
    assert!(over.to_string().contains("at most 17 points"), "{over}");
    t.pos.points_redeem(&t.cashier, 17).unwrap();
    earned += t.pos.checkout_cash(&t.cashier, &cart.cart_id, cart.total.minor() - 17).unwrap().points.unwrap().earned;
    let cart = t.pos.cart_scan(&t.cashier, "TEA-02").unwrap();
    t.pos.customer_identify(&t.cashier).unwrap();
    assert_eq!(t.pos.points_redeem(&t.cashier, 1).unwrap_err().code(), ErrorCode::PointsOfflineLimit);
    t.pos.customer_clear(&t.cashier).unwrap();
    t.pos.checkout_cash(&t.cashier, &cart.cart_id, cart.total.minor()).unwrap();

    // Back online: every redemption made offline is confirmed (none was beyond the balance),
    // nothing is pending, and the server's answers are the new last known balance.
    t.server_at(&srv, true);
    t.drained();
    let on_server = balance(&srv, &account);
    // 67 less the 40, 10 and 17 redeemed offline (all of it), plus what the sales earned.
    let redeemed: i64 = 40 + 10 + 17;
    assert_eq!(on_server, 67 - redeemed + earned);
    assert_eq!(t.pos.store().points_pending_redeemed(&account).unwrap(), 0);
    assert_eq!(t.pos.store().points_last_balance(&account).unwrap().map(|(b, _)| b), Some(on_server));
    assert!(t.pos.points_problems(&t.pos.login(2, "2222").unwrap().token).unwrap().is_empty());
}
