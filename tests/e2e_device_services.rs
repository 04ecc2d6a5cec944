//! Device services through the real window (tauri-driver and WebKitWebDriver under Xvfb, like
//! tests/e2e_refunds.rs), against a real till-server on 127.0.0.1 reached through a recording
//! proxy, with the demo's simulated receipt printer writing each printout to `printed/`.
//!
//! A phone sold 31 days ago (through the till's own checkout, on a clock set a month back,
//! before the till had its server settings) is scanned on the device screen (Alt+D): its sale,
//! its warranty (12 months, days left) and its software (XOS 14.2) are shown. A repair is opened:
//! its receipt SO000001 is printed, the server holds the repair under the phone's blind, and
//! the IMEI never crossed the network.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a test fails by panicking

#[allow(dead_code)] // each test file uses part of the WebDriver client
mod support;

use rand::SeedableRng;
use rusqlite::Connection;
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use support::webdriver::{Session, ENTER};
use till_core::{Clock, ManualClock};

const IMEI: &str = "490154203237518";
const ALT: &str = "\u{E00A}";
const NULL: &str = "\u{E000}";
const DAY_MS: i64 = 86_400_000;

/// A TCP proxy on 127.0.0.1 forwarding to the server and recording every byte both ways.
struct Proxy {
    url: String,
    seen: Arc<Mutex<Vec<u8>>>,
}

fn pump(mut from: TcpStream, mut to: TcpStream, seen: Arc<Mutex<Vec<u8>>>) {
    let mut buf = [0u8; 8192];
    loop {
        match from.read(&mut buf) {
            Ok(0) | Err(_) => {
                let _ = to.shutdown(std::net::Shutdown::Write);
                return;
            }
            Ok(n) => {
                seen.lock().unwrap().extend_from_slice(&buf[..n]);
                if to.write_all(&buf[..n]).is_err() {
                    return;
                }
            }
        }
    }
}

impl Proxy {
    fn start(target_url: &str) -> Proxy {
        let target = target_url.trim_start_matches("http://").to_string();
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let seen = Arc::new(Mutex::new(Vec::new()));
        let s = seen.clone();
        std::thread::spawn(move || {
            for client in listener.incoming().flatten() {
                let Ok(upstream) = TcpStream::connect(&target) else { continue };
                let (c2, u2) = (client.try_clone().unwrap(), upstream.try_clone().unwrap());
                let (s1, s2) = (s.clone(), s.clone());
                std::thread::spawn(move || pump(client, upstream, s1));
                std::thread::spawn(move || pump(u2, c2, s2));
            }
        });
        Proxy { url, seen }
    }

    fn contains(&self, needle: &str) -> bool {
        self.seen.lock().unwrap().windows(needle.len()).any(|w| w == needle.as_bytes())
    }
}

/// Sells a phone with `IMEI` through the till's checkout, its clock 31 days back, in the data
/// directory the app then opens (demo mode, no server settings yet: the sale waits).
fn sell_phone_last_month(data: &Path) -> String {
    let clock = Arc::new(ManualClock::new(till_core::SystemClock.now_ms() - 31 * DAY_MS));
    let pos = till_pos::Pos::open(till_pos::PosConfig {
        clock,
        rng: Box::new(rand::rngs::StdRng::from_entropy()),
        ..till_pos::PosConfig::demo(data.join("till.db"))
    })
    .unwrap();
    let c = pos.login(1, "1111").unwrap().token;
    let cart = pos.cart_scan(&c, "PHN-001").unwrap();
    let cart = pos.cart_set_device(&c, cart.lines[0].line_no, IMEI).unwrap();
    pos.checkout_cash(&c, &cart.cart_id, cart.total.minor()).unwrap().order_no
}

fn printouts(data: &Path) -> Vec<String> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(data.join("printed"))
        .map(|d| d.map(|e| e.unwrap().path()).filter(|p| p.extension().is_some_and(|x| x == "txt")).collect())
        .unwrap_or_default();
    files.sort();
    files.iter().map(|p| std::fs::read_to_string(p).unwrap()).collect()
}

fn wait_until(what: &str, mut done: impl FnMut() -> bool) {
    let start = Instant::now();
    while !done() {
        assert!(start.elapsed() < Duration::from_secs(25), "{what} did not happen");
        std::thread::sleep(Duration::from_millis(200));
    }
}

#[test]
fn a_phone_sold_last_month_is_scanned_and_a_repair_is_opened_and_printed_with_no_imei_on_the_wire() {
    let dir = tempfile::tempdir().unwrap();
    let srv = till_server::local::LocalServer::start(&dir.path().join("server.db"), Default::default(), None).unwrap();
    let proxy = Proxy::start(&srv.url);
    let data = dir.path().join("till");
    std::fs::create_dir_all(&data).unwrap();
    let order_no = sell_phone_last_month(&data);

    let env = vec![
        ("TILL_DEMO", "1".to_string()),
        ("TILL_SYNC_URL", proxy.url.clone()),
        ("TILL_SYNC_TERMINAL_ID", srv.terminal_id.clone()),
        ("TILL_SYNC_SECRET", srv.secret.clone()),
    ];
    let (_driver, base) = support::driver::start(&data, &env, &[]);
    let s = Session::start(&base, env!("CARGO_BIN_EXE_till")).expect("WebDriver session");
    s.wait_for(".login-user");
    s.execute("if (localStorage.getItem('till.locale') !== 'en') { localStorage.setItem('till.locale', 'en'); location.reload(); }");
    std::thread::sleep(Duration::from_millis(300));
    s.login_as("1", "1111");
    s.wait_for("#scan-input");

    // The sale of last month reaches the server under the phone's blind once the till is online.
    let blind = srv.device_blind(IMEI).unwrap();
    let q = |sql: &str| -> Option<String> { Connection::open(&srv.db).unwrap().query_row(sql, [], |r| r.get(0)).ok() };
    wait_until("the sale reaching the server", || {
        q(&format!("SELECT software FROM sold_devices WHERE blind = '{blind}'")).as_deref() == Some("XOS 14.2")
    });

    // Alt+D: the device screen; the scanned IMEI shows the sale, the warranty and the software.
    s.keys(&format!("{ALT}d{NULL}"));
    let input = s.wait_for("#device-input");
    s.type_into(&input, &format!("{IMEI}{ENTER}"));
    assert_eq!(s.text(&s.wait_for("#device-order-no")), order_no);
    let warranty = s.text(&s.wait_for("#device-warranty"));
    assert!(warranty.contains("12 months") && warranty.contains("days left"), "{warranty}");
    assert_eq!(s.text(&s.wait_for("#device-software")), "XOS 14.2");
    assert!(s.find_all("#device-platform").is_empty(), "the platform was asked: {}", s.page_text());

    // Alt+N: a repair intake, its receipt printed.
    let before = printouts(&data).len();
    s.keys(&format!("{ALT}n{NULL}"));
    let fault = s.wait_for("#repair-fault");
    s.type_into(&fault, "Screen cracked, touch dead in the lower half");
    s.click(&s.wait_for("#repair-submit"));
    let notice = s.text(&s.wait_for("#device-notice"));
    assert!(notice.contains("SO000001"), "{notice}");
    s.wait_for(".service-order[data-service-no='SO000001']");
    wait_until("the repair receipt printing", || printouts(&data).iter().skip(before).any(|p| p.contains("SO000001")));
    let slip = printouts(&data).into_iter().skip(before).find(|p| p.contains("SO000001")).unwrap();
    assert!(slip.contains("Screen cracked") && slip.contains("REPAIR INTAKE"), "{slip}");

    // The server holds the repair under the blind; the IMEI never crossed the network.
    wait_until("the repair reaching the server", || {
        q(&format!("SELECT status FROM service_orders WHERE device_blind = '{blind}'")).as_deref() == Some("received")
    });
    assert!(proxy.contains(&blind), "the proxy saw the traffic");
    assert!(!proxy.contains(IMEI), "the IMEI crossed the network");
    s.end();
}
