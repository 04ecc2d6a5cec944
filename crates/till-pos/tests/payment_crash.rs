//! The crash test of the payment journal: a till selling by card against a real till-server on
//! 127.0.0.1 is killed with SIGKILL between the platform's approval and the sale's commit (the
//! fault hook `card.approved`, compiled into this crate's tests only). The customer is then
//! charged and no sale exists. The till is started again on the same data directory, as after a
//! power cut, and then:
//!
//! - the platform shows the payment reversed;
//! - the cart is as the cashier left it;
//! - the cashier's retry is a new payment, charged once: the platform holds exactly one approved,
//!   unreversed authorisation for the cart, and the sale is recorded once, here and there.
//!
//! The till that is killed is this test binary itself, run again as a child process with only
//! [`child_till_sells_by_card_until_the_fault_point`] selected and the hook named in
//! `TILL_FAULT`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::{BufRead, BufReader};
use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::{mpsc, Arc, Mutex};
use std::time::{Duration, Instant};
use till_pos::ipc::sale::{CardPaymentStatus, CardPaymentView};
use till_pos::ipc::watch::Watch;
use till_pos::{Pos, PosConfig};

const TEA: &str = "6901234567892";
/// Where the child finds the till's data directory.
const CHILD_DIR: &str = "TILL_CRASH_CHILD_DIR";

fn config(dir: &Path) -> PosConfig {
    PosConfig { card_reader: "sim://card-reader?delay_ms=1".into(), ..PosConfig::demo(dir.join("till.db")) }
}

/// Takes a card payment of the open cart (a tea added if it is empty) up to the receipt.
fn pay_by_card(pos: &Pos, token: &till_core::SessionToken) -> (till_core::PaymentId, till_pos::Result<i64>) {
    let mut cart = pos.cart_get(token).unwrap();
    if cart.lines.is_empty() {
        cart = pos.cart_scan(token, TEA).unwrap();
    }
    println!("CART {}", cart.cart_id);
    let (tx, rx) = mpsc::channel::<CardPaymentView>();
    let tx = Mutex::new(tx);
    let watch: Watch<CardPaymentView> = Arc::new(move |v: &CardPaymentView| {
        let _ = tx.lock().unwrap().send(v.clone());
    });
    let v = pos.payment_start(token, &cart.cart_id, watch).unwrap();
    loop {
        let seen = rx.recv_timeout(Duration::from_secs(10)).expect("the card was never read");
        if seen.status == CardPaymentStatus::Signature {
            break;
        }
        assert_eq!(seen.status, CardPaymentStatus::Waiting, "{seen:?}");
    }
    pos.payment_sign(token, &v.payment_id, None).unwrap();
    println!("PAYMENT {}", v.payment_id);
    let receipt = pos.payment_authorize(token, &v.payment_id).map(|r| r.order_id);
    (v.payment_id, receipt)
}

/// The till the test kills: runs only when started by the test with [`CHILD_DIR`] set.
#[test]
fn child_till_sells_by_card_until_the_fault_point() {
    let Some(dir) = std::env::var_os(CHILD_DIR) else { return };
    let pos = Pos::open(config(Path::new(&dir))).unwrap();
    let token = pos.login(1, "1111").unwrap().token;
    let (_, receipt) = pay_by_card(&pos, &token);
    // Reached only if the fault point did not stop the till.
    println!("RECORDED {receipt:?}");
}

struct Platform {
    server: till_server::server::Background,
    db: PathBuf,
    terminal_id: String,
    secret_hex: String,
}

impl Platform {
    /// A real till-server with the sandbox's default platform key.
    fn start(dir: &Path) -> Platform {
        let s = till_server::local::LocalServer::start(&dir.join("server.db"), Default::default(), None).unwrap();
        Platform { server: s.background, db: s.db, terminal_id: s.terminal_id, secret_hex: s.secret }
    }

    fn rows(&self, sql: &str) -> Vec<(String, String)> {
        let c = rusqlite::Connection::open(&self.db).unwrap();
        let mut s = c.prepare(sql).unwrap();
        let rows = s.query_map([], |r| Ok((r.get(0)?, r.get(1)?))).unwrap();
        rows.map(|r| r.unwrap()).collect()
    }

    /// (payment id, status) of every authorisation.
    fn authorizations(&self) -> Vec<(String, String)> {
        self.rows("SELECT payment_id, status FROM authorizations ORDER BY created_at, payment_id")
    }

    /// (order id, total) of every sale recorded.
    fn orders(&self) -> Vec<(String, String)> {
        self.rows("SELECT order_id, CAST(total_minor AS TEXT) FROM orders")
    }
}

/// Waits until `done` holds, or fails after 30 s.
fn wait_for(what: &str, mut done: impl FnMut() -> bool) {
    let start = Instant::now();
    while !done() {
        assert!(start.elapsed() < Duration::from_secs(30), "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn sigkill_between_approval_and_commit_reverses_the_payment_and_the_retry_charges_once() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("till");
    std::fs::create_dir_all(&data).unwrap();
    let platform = Platform::start(dir.path());
    // The installer's set-up: the platform key the sandbox knows, and the server settings.
    {
        let pos = Pos::open(config(&data)).unwrap();
        let installer = pos.login(3, "3333").unwrap().token;
        pos.platform_key_set(&installer, &till_server::config::Config::default().sandbox.platform_key).unwrap();
        assert!(pos.sync_seed_settings(&platform.server.url(), &platform.terminal_id, &platform.secret_hex).unwrap());
    }

    // The till sells by card and is killed at the fault point.
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "child_till_sells_by_card_until_the_fault_point", "--nocapture", "--test-threads=1"])
        .env(CHILD_DIR, &data)
        .env(till_pos::fault::FAULT_ENV, till_pos::fault::CARD_APPROVED)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines().map_while(Result::ok);
    let (mut cart_id, mut payment_id) = (String::new(), String::new());
    for line in lines.by_ref() {
        // The test harness may print its "test ... " before the child's first line.
        if let Some((_, c)) = line.split_once("CART ") {
            cart_id = c.trim().to_string();
        } else if let Some(p) = line.strip_prefix("PAYMENT ") {
            payment_id = p.to_string();
        } else if line == format!("FAULT {}", till_pos::fault::CARD_APPROVED) {
            break;
        } else {
            assert!(!line.starts_with("RECORDED"), "the fault point did not stop the till: {line}");
        }
    }
    assert!(!cart_id.is_empty() && !payment_id.is_empty(), "the child never reached the fault point");
    child.kill().unwrap(); // SIGKILL
    let status = child.wait().unwrap();
    assert_eq!(status.signal(), Some(9), "{status:?}");

    // Killed: the customer is charged and there is no sale.
    assert_eq!(platform.authorizations(), [(payment_id.clone(), "approved".to_string())]);
    let store = till_store::Store::open(&data.join("till.db")).unwrap();
    assert!(store.order_by_checkout_key(&cart_id).unwrap().is_none());
    assert_eq!(store.journal_entry(&payment_id).unwrap().unwrap().state, till_store::JournalState::Approved);
    drop(store);

    // Restarted on the same data directory, as after a power cut; the shell starts the sync.
    let pos = Arc::new(Pos::open(config(&data)).unwrap());
    pos.sync_start().unwrap();
    let journal_state = |id: &str| pos.store().journal_entry(id).unwrap().unwrap().state;
    wait_for("the reversal to reach the platform", || journal_state(&payment_id) == till_store::JournalState::Reversed);
    assert_eq!(platform.authorizations(), [(payment_id.clone(), "reversed".to_string())]);
    let audit: i64 = pos
        .store()
        .read(|c| {
            Ok(c.query_row("SELECT count(*) FROM audit_log WHERE action = 'payment.reversal_queued'", [], |r| {
                r.get(0)
            })?)
        })
        .unwrap();
    assert_eq!(audit, 1, "the manager can see what was taken back");

    // The cart is intact.
    let token = pos.login(1, "1111").unwrap().token;
    let cart = pos.cart_get(&token).unwrap();
    assert_eq!(cart.cart_id.to_string(), cart_id);
    assert_eq!((cart.lines.len(), cart.item_count), (1, 1));

    // The retry is a new payment and is charged once.
    let (retry, receipt) = pay_by_card(&pos, &token);
    let order_id = receipt.unwrap();
    assert_ne!(retry.to_string(), payment_id);
    wait_for("the sale to reach the server", || pos.store().outbox_pending().unwrap() == 0);
    let approved: Vec<_> = platform.authorizations().into_iter().filter(|(_, s)| s == "approved").collect();
    assert_eq!(approved, [(retry.to_string(), "approved".to_string())], "one approved, unreversed authorisation");
    let c = rusqlite::Connection::open(&platform.db).unwrap();
    let for_cart: i64 = c
        .query_row("SELECT count(*) FROM authorizations WHERE order_id = ?1 AND status = 'approved'", [&cart_id], |r| {
            r.get(0)
        })
        .unwrap();
    assert_eq!(for_cart, 1);
    // The sale is recorded once, on the till and on the server.
    let order = pos.store().order_by_checkout_key(&cart_id).unwrap().unwrap();
    assert_eq!(order.id, order_id);
    assert_eq!(pos.store().order_count().unwrap(), 1);
    assert_eq!(platform.orders(), [(order.order_no.clone(), order.total.minor().to_string())]);
    assert_eq!(journal_state(retry.as_str()), till_store::JournalState::Settled);
}
