//! Refunds and loyalty points through the till's application layer against a real till-server
//! on 127.0.0.1 and real SQLite files: a phone sold with its IMEI and refunded by it, a line
//! refunded with a manager's PIN, a customer enrolled who earns, redeems and is refunded with
//! the balance checked on the server each time, points earned offline and confirmed later, and
//! a replayed loyalty token refused by the server with the reason shown.
#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)]

mod support;

use rand::rngs::StdRng;
use rand::SeedableRng;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use support::{drained, online, server, Server};
use till_core::SystemClock as ServerClock;
use till_devices::points::{
    LoyaltyTerminal, LoyaltyToken, Pairing, PairingKey, Phone, RedeemToken, Redemption, TerminalId, TerminalInfo,
    TerminalState,
};
use till_devices::{Cancel, DeviceError};
use till_pos::devices::points_link::TerminalOpener;
use till_pos::ipc::refund::{RefundInput, RefundLineInput, RefundLookup};
use till_pos::{ErrorCode, Pos, PosConfig};
use till_server::clock::OsEntropy;

const CASHIER: i64 = 1;
const MANAGER: i64 = 2;

/// The customer's phone behind a points terminal: enrolled from the till's enrolment message;
/// `replay` makes it present its last token again (a copied token).
#[derive(Default)]
struct PhoneState {
    phone: Option<Phone>,
    last: Option<LoyaltyToken>,
    replay: bool,
}

struct FakeTerminal(Arc<Mutex<PhoneState>>);

impl LoyaltyTerminal for FakeTerminal {
    fn address(&self) -> String {
        "test://phone".into()
    }
    fn hello(&mut self) -> Result<TerminalInfo, DeviceError> {
        Ok(TerminalInfo {
            terminal_id: TerminalId::new("TEST-PHONE-0001").unwrap(),
            firmware: "test".into(),
            paired: true,
        })
    }
    fn pair(&mut self, _key: PairingKey) -> Result<Pairing, DeviceError> {
        Err(DeviceError::Unsupported("test terminal".into()))
    }
    fn read_customer(&mut self, _: till_core::Money, _: Duration, _: &Cancel) -> Result<LoyaltyToken, DeviceError> {
        let mut s = self.0.lock().unwrap();
        if s.replay {
            return s.last.ok_or(DeviceError::Timeout);
        }
        let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs();
        let t = s.phone.as_mut().ok_or(DeviceError::Timeout)?.issue(now);
        s.last = Some(t);
        Ok(t)
    }
    fn redeem(
        &mut self,
        shown: Redemption,
        _: till_core::Money,
        _: Duration,
        _: &Cancel,
    ) -> Result<RedeemToken, DeviceError> {
        let mut s = self.0.lock().unwrap();
        let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs();
        Ok(s.phone.as_mut().ok_or(DeviceError::Timeout)?.issue_redeem(now, shown))
    }
    fn display(&mut self, _lines: &[&str]) -> Result<(), DeviceError> {
        Ok(())
    }
    fn cancel(&mut self) -> Result<(), DeviceError> {
        Ok(())
    }
    fn status(&mut self) -> Result<TerminalState, DeviceError> {
        Ok(TerminalState::Idle)
    }
    fn simulated_phone_enrol(&mut self, message: &str) -> Result<bool, DeviceError> {
        self.0.lock().unwrap().phone = Some(Phone::enrol(message)?);
        Ok(true)
    }
}

struct Opener(Arc<Mutex<PhoneState>>);
impl TerminalOpener for Opener {
    fn open(&self, _address: &str, _pairing: Option<Pairing>) -> Result<Box<dyn LoyaltyTerminal>, DeviceError> {
        Ok(Box::new(FakeTerminal(self.0.clone())))
    }
}

fn till(phone: Arc<Mutex<PhoneState>>) -> (tempfile::TempDir, Pos) {
    let dir = tempfile::tempdir().unwrap();
    let pos = Pos::open(PosConfig {
        card_reader: "sim://card-reader?delay_ms=1".into(),
        clock: Arc::new(till_pos::SystemClock),
        rng: Box::new(StdRng::seed_from_u64(11)),
        points_terminal: Some("test://phone".into()),
        terminal_opener: Arc::new(Opener(phone)),
        ..PosConfig::demo(dir.path().join("till.db"))
    })
    .unwrap();
    (dir, pos)
}

fn server_q(srv: &Server, sql: &str) -> i64 {
    rusqlite::Connection::open(&srv.db).unwrap().query_row(sql, [], |r| r.get(0)).unwrap()
}

fn balance(srv: &Server, account: &str) -> i64 {
    server_q(srv, &format!("SELECT balance FROM points_accounts WHERE account_id = '{account}'"))
}

fn refund_input(order_id: i64, lines: &[(i64, i64)]) -> RefundInput {
    RefundInput {
        order_id,
        lines: lines.iter().map(|&(order_line_id, quantity)| RefundLineInput { order_line_id, quantity }).collect(),
        reason: "defective".into(),
        photo_base64: None,
        manager_id: None,
        manager_pin: None,
        wait_for_seller: false,
    }
}

const IMEI: &str = "490154203237518";

#[test]
fn a_phone_sold_with_its_imei_is_refunded_by_scanning_it() {
    let srv = server();
    let (_d, p) = till(Arc::default());
    online(&p, &srv);
    let c = p.login(CASHIER, "1111").unwrap().token;
    let cart = p.cart_scan(&c, "PHN-001").unwrap();
    let line = cart.lines[0].line_no;
    assert!(cart.lines[0].serialised && cart.lines[0].device.is_none());
    // no identifier yet: the phone cannot be paid
    assert_eq!(
        p.checkout_cash(&c, &cart.cart_id, cart.total.minor()).unwrap_err().code(),
        ErrorCode::InvalidDeviceIdentifier
    );
    // a mistyped IMEI (last digit) is caught at the counter
    assert_eq!(p.cart_set_device(&c, line, "490154203237517").unwrap_err().code(), ErrorCode::InvalidDeviceIdentifier);
    let cart = p.cart_set_device(&c, line, "49 015420 323751 8").unwrap();
    assert_eq!(cart.lines[0].device.as_deref(), Some(IMEI));
    let sale = p.checkout_cash(&c, &cart.cart_id, cart.total.minor()).unwrap();
    assert_eq!(sale.lines[0].device.as_deref(), Some(IMEI));
    drained(&p);
    assert_eq!(server_q(&srv, &format!("SELECT count(*) FROM sold_devices WHERE blind = '{}'", srv.blind(IMEI))), 1);

    // refund by scanning the IMEI
    let found = p
        .refund_find(
            &c,
            RefundLookup {
                by: "device".into(),
                text: IMEI.into(),
                date: None,
                amount_minor: None,
                utc_offset_minutes: None,
            },
        )
        .unwrap();
    assert_eq!(found.order_no, sale.order_no);
    assert!(found.lines[0].matched);
    // by receipt number, the local day printed on it (UTC+8 here) and its total: all three must match
    let local_day = till_core::calendar::utc_date(sale.created_at_ms + 8 * 3_600_000);
    let by_receipt = |date: &str, amount: i64| {
        p.refund_find(
            &c,
            RefundLookup {
                by: "receipt".into(),
                text: sale.order_no.clone(),
                date: Some(date.into()),
                amount_minor: Some(amount),
                utc_offset_minutes: Some(480),
            },
        )
    };
    assert_eq!(by_receipt(&local_day, sale.total.minor()).unwrap().order_id, found.order_id);
    assert_eq!(by_receipt(&local_day, sale.total.minor() + 1).unwrap_err().code(), ErrorCode::NotFound);
    assert_eq!(by_receipt("2020-01-01", sale.total.minor()).unwrap_err().code(), ErrorCode::NotFound);
    assert_eq!(by_receipt("2026-13-01", sale.total.minor()).unwrap_err().code(), ErrorCode::InvalidInput);
    let input = refund_input(found.order_id, &[(found.lines[0].order_line_id, 1)]);
    // 3,999.00 is above the cashier's 200.00 limit: a manager must approve
    let q = p.refund_quote(&c, input.clone()).unwrap();
    assert!(q.over_limit && !q.within_policy);
    assert_eq!(q.amount.minor(), sale.total.minor());
    assert_eq!(p.refund_record(&c, input.clone()).unwrap_err().code(), ErrorCode::ApprovalRequired);
    let wrong = RefundInput { manager_id: Some(MANAGER), manager_pin: Some("9999".into()), ..input.clone() };
    assert_eq!(p.refund_record(&c, wrong).unwrap_err().code(), ErrorCode::WrongPin);
    let cashier_as_manager =
        RefundInput { manager_id: Some(CASHIER), manager_pin: Some("1111".into()), ..input.clone() };
    assert_eq!(p.refund_record(&c, cashier_as_manager).unwrap_err().code(), ErrorCode::Forbidden);
    let ok = RefundInput { manager_id: Some(MANAGER), manager_pin: Some("2222".into()), ..input.clone() };
    let r = p.refund_record(&c, ok).unwrap();
    assert_eq!((r.approval.as_str(), r.approved_by.as_deref(), r.tender.as_str()), ("manager", Some("Li Wei"), "cash"));
    assert_eq!(r.lines[0].device.as_deref(), Some(IMEI));
    // never twice
    let again = RefundInput { manager_id: Some(MANAGER), manager_pin: Some("2222".into()), ..input };
    assert_eq!(p.refund_record(&c, again).unwrap_err().code(), ErrorCode::RefundExceedsSold);
    drained(&p);
    assert_eq!(server_q(&srv, &format!("SELECT refunded FROM sold_devices WHERE blind = '{}'", srv.blind(IMEI))), 1);
    // An anonymous customer, but the phone is the shop's own line: the manager's PIN is the
    // seller's confirmation, so the till paid at once and the server refunded it, recording
    // who approved it at which terminal. The till, the server and the drawer agree.
    assert_eq!((r.status.as_str(), r.lines[0].state.paid), ("confirmed", true));
    let r = p.refund_refresh(&c, r.refund_id).unwrap();
    assert_eq!((r.status.as_str(), r.lines[0].state.server_status.as_deref()), ("confirmed", Some("refunded")));
    let (status, decided_by, approved_by): (String, String, String) = rusqlite::Connection::open(&srv.db)
        .unwrap()
        .query_row("SELECT status, decided_by, approved_by FROM refunds", [], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .unwrap();
    assert_eq!((status.as_str(), decided_by.as_str(), approved_by.as_str()), ("refunded", "shop_manager", "Li Wei"));
    let log: Vec<String> = rusqlite::Connection::open(p.store().path())
        .unwrap()
        .prepare("SELECT action FROM audit_log")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .map(|r| r.unwrap())
        .collect();
    assert!(log.contains(&"refund.recorded".to_string()) && log.contains(&"refund.override".to_string()));
}

#[test]
fn enrol_earn_redeem_and_refund_with_the_balance_checked_on_the_server() {
    let srv = server();
    let phone = Arc::new(Mutex::new(PhoneState::default()));
    let (_d, p) = till(phone.clone());
    online(&p, &srv);
    let c = p.login(CASHIER, "1111").unwrap().token;
    let enrol = p.points_enrol(&c).unwrap();
    assert!(enrol.enrolment_message.starts_with("TILL-ENROL 1 ") && enrol.qr_svg.contains("<svg"));
    assert!(enrol.simulated_phone_enrolled);
    let account = enrol.account_id.clone();
    assert_eq!(balance(&srv, &account), 0);

    // earn: 1 point per yuan on 38.00 + 29.00
    p.cart_scan(&c, "TEA-01").unwrap();
    let cart = p.cart_scan(&c, "TEA-02").unwrap();
    let who = p.customer_identify(&c).unwrap();
    assert_eq!(who.balance, Some(0));
    let sale = p.checkout_cash(&c, &cart.cart_id, cart.total.minor()).unwrap();
    let pts = sale.points.clone().unwrap();
    assert_eq!((pts.earned, pts.status.as_str(), pts.balance), (67, "confirmed", Some(67)));
    assert_eq!(balance(&srv, &account), 67);

    // redeem 30 points (30 fen) against a 5.60 oolong, the rest in cash; earn on the rest
    let cart = p.cart_scan(&c, "TEA-03").unwrap();
    p.customer_identify(&c).unwrap();
    let with_redeem = p.points_redeem(&c, 30).unwrap();
    assert_eq!(with_redeem.redeem_value.unwrap().minor(), 30);
    assert_eq!(p.points_redeem(&c, 1_000_000).unwrap_err().code(), ErrorCode::InvalidInput);
    let sale2 = p.checkout_cash(&c, &cart.cart_id, cart.total.minor() - 30).unwrap();
    assert_eq!(sale2.points_paid.unwrap().minor(), 30);
    assert_eq!(sale2.payment.amount.minor(), cart.total.minor() - 30);
    let pts = sale2.points.clone().unwrap();
    assert_eq!((pts.redeemed, pts.earned, pts.status.as_str()), (30, 55, "confirmed"));
    assert_eq!(balance(&srv, &account), 67 - 30 + 55);

    // the manager makes a point worth 0.10; 20 points pay a whole 2.00 water: nothing in
    // cash, no cash payment row, nothing earned
    let m = p.login(MANAGER, "2222").unwrap().token;
    let mut rules = p.loyalty_settings_get(&m).unwrap();
    rules.redeem_value_minor = 10;
    p.loyalty_settings_set(&m, rules).unwrap();
    let cart = p.cart_scan(&c, "DRK-001").unwrap();
    p.customer_identify(&c).unwrap();
    assert_eq!(p.points_redeem(&c, 21).unwrap_err().code(), ErrorCode::InvalidInput, "more than the total");
    p.points_redeem(&c, 20).unwrap();
    assert_eq!(
        p.payment_start(&c, &cart.cart_id, std::sync::Arc::new(|_: &_| {})).unwrap_err().code(),
        ErrorCode::InvalidInput,
        "no card for 0.00"
    );
    let free = p.checkout_cash(&c, &cart.cart_id, 0).unwrap();
    assert_eq!((free.points_paid.unwrap().minor(), free.payment.tender), (200, till_pos::ipc::views::Tender::Points));
    let pts = free.points.clone().unwrap();
    assert_eq!((pts.redeemed, pts.earned, pts.balance), (20, 0, Some(67 - 30 + 55 - 20)));
    assert_eq!(balance(&srv, &account), 67 - 30 + 55 - 20);
    let line = |code: &str| {
        let by = RefundLookup {
            by: "line_code".into(),
            text: code.into(),
            date: None,
            amount_minor: None,
            utc_offset_minutes: None,
        };
        let o = p.refund_find(&c, by).unwrap();
        (o.order_id, o.lines[0].order_line_id)
    };
    let (order_id, line_id) = line(&free.lines[0].line_code);
    let r = p.refund_record(&m, refund_input(order_id, &[(line_id, 1)])).unwrap();
    assert_eq!((r.tender.as_str(), r.points_returned), ("points", 20));
    drained(&p);
    assert_eq!(balance(&srv, &account), 67 - 30 + 55);

    // refund the whole second sale: the 55 earned come off, the 30 redeemed come back
    let (order_id, line_id) = line(&sale2.lines[0].line_code);
    let r = p.refund_record(&m, refund_input(order_id, &[(line_id, 1)])).unwrap();
    assert_eq!((r.points_reversed, r.points_returned), (55, 30));
    drained(&p);
    assert_eq!(balance(&srv, &account), 67);
}

#[test]
fn points_earned_offline_are_confirmed_later_and_a_replayed_token_is_refused_with_the_reason() {
    let srv = server();
    let phone = Arc::new(Mutex::new(PhoneState::default()));
    let (_d, p) = till(phone.clone());
    online(&p, &srv);
    let c = p.login(CASHIER, "1111").unwrap().token;
    let account = p.points_enrol(&c).unwrap().account_id;

    // the server goes away (the till points at a port nobody listens on)
    let i = p.login(3, "3333").unwrap().token;
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let dead = till_pos::ipc::sync::SyncSettingsInput {
        sales_url: format!("http://127.0.0.1:{port}"),
        refunds_url: String::new(),
        points_url: String::new(),
        payments_url: String::new(),
        terminal_id: srv.terminal_id.clone(),
        secret: String::new(),
        cert_sha256: String::new(),
        ca_pem: String::new(),
    };
    p.sync_settings_set(&i, dead.clone()).unwrap();
    let cart = p.cart_scan(&c, "TEA-01").unwrap();
    p.customer_identify(&c).unwrap();
    let sale = p.checkout_cash(&c, &cart.cart_id, cart.total.minor()).unwrap();
    let pts = sale.points.unwrap();
    assert_eq!((pts.status.as_str(), pts.balance, pts.earned), ("pending", None, 38));
    assert_eq!(balance(&srv, &account), 0);
    // back up: the change is confirmed with the balance
    p.sync_settings_set(&i, till_pos::ipc::sync::SyncSettingsInput { sales_url: srv.url.clone(), ..dead }).unwrap();
    drained(&p);
    let r = p.receipt(&c, till_core::OrderId::new(sale.order_id).unwrap()).unwrap().points.unwrap();
    assert_eq!((r.status.as_str(), r.balance), ("confirmed", Some(38)));
    assert_eq!(balance(&srv, &account), 38);

    // a copied token presented again: the server refuses it, the cashier sees why
    phone.lock().unwrap().replay = true;
    let cart = p.cart_scan(&c, "TEA-02").unwrap();
    p.customer_identify(&c).unwrap();
    let sale = p.checkout_cash(&c, &cart.cart_id, cart.total.minor()).unwrap();
    let pts = sale.points.unwrap();
    assert_eq!(pts.status, "rejected");
    assert!(pts.rejected_reason.as_deref().unwrap_or_default().contains("token_replayed"), "{pts:?}");
    assert_eq!(balance(&srv, &account), 38);
    // and the manager has it in front of them
    let m = p.login(MANAGER, "2222").unwrap().token;
    let problems = p.points_problems(&m).unwrap();
    assert_eq!(problems.len(), 1);
    assert!(problems[0].reason.contains("token_replayed"));
    assert_eq!(p.points_problems(&c).unwrap_err().code(), ErrorCode::Forbidden);
}

#[test]
fn a_phone_sold_at_another_till_is_found_on_the_server_and_refunded_there_once() {
    let srv = server();
    let (_d1, shop) = till(Arc::default());
    online(&shop, &srv);
    let c = shop.login(CASHIER, "1111").unwrap().token;
    let cart = shop.cart_scan(&c, "PHN-003").unwrap();
    shop.cart_set_device(&c, cart.lines[0].line_no, IMEI).unwrap();
    let sale = shop.checkout_cash(&c, &cart.cart_id, cart.total.minor()).unwrap();
    drained(&shop);

    // Another till of the chain, its own terminal on the same server.
    let t2 = till_server::admin::add_terminal(&*srv.repo, "till 2", &ServerClock, &OsEntropy).unwrap();
    let (_d2, other) = till(Arc::default());
    other.sync_seed_settings(&srv.url, &t2.terminal_id, &t2.secret).unwrap();
    other.sync_start().unwrap();
    let c2 = other.login(CASHIER, "1111").unwrap().token;
    let found = other
        .refund_find(
            &c2,
            RefundLookup {
                by: "device".into(),
                text: IMEI.into(),
                date: None,
                amount_minor: None,
                utc_offset_minutes: None,
            },
        )
        .unwrap();
    let remote = found.remote.expect("found on the server");
    assert_eq!(
        (remote.order_id.as_str(), remote.price.minor(), remote.refunded),
        (sale.order_no.as_str(), sale.total.minor(), false)
    );
    let input = |manager: bool| till_pos::ipc::refund::RemoteRefundInput {
        identifier: IMEI.into(),
        reason: "defective".into(),
        photo_base64: None,
        manager_id: manager.then_some(MANAGER),
        manager_pin: manager.then(|| "2222".to_string()),
        wait_for_seller: false,
    };
    // 1,299.00 is above the cashier's limit: not without a manager
    assert_eq!(other.refund_remote(&c2, input(false)).unwrap_err().code(), ErrorCode::ApprovalRequired);
    let r = other.refund_remote(&c2, input(true)).unwrap();
    assert_eq!((r.approval.as_str(), r.amount.minor()), ("manager", sale.total.minor()));
    drained(&other);
    assert_eq!(server_q(&srv, &format!("SELECT refunded FROM sold_devices WHERE blind = '{}'", srv.blind(IMEI))), 1);
    // never twice: the till knows it asked, the server knows it is refunded
    assert_eq!(other.refund_remote(&c2, input(true)).unwrap_err().code(), ErrorCode::RefundExceedsSold);
    assert_eq!(server_q(&srv, "SELECT count(*) FROM refunds"), 1);
    // an unknown device is not found anywhere
    let none = other.refund_find(
        &c2,
        RefundLookup {
            by: "device".into(),
            text: "SN-NOWHERE-1".into(),
            date: None,
            amount_minor: None,
            utc_offset_minutes: None,
        },
    );
    assert_eq!(none.unwrap_err().code(), ErrorCode::NotFound);
}
