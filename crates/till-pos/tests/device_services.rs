//! Device services through the till's application layer against a real till-server on
//! 127.0.0.1 behind a recording proxy: a phone sold a month ago (on the till's clock, offline)
//! reaches the server under its blind once the till is online; its lookup shows the sale, the
//! warranty and the software; a repair with its receipt and a software update reach the server
//! under the blind and another till of the shop sees them; the IMEI is nowhere in the traffic.
//! And without the device identifier key the till fails closed but loses no sale.
#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)]

mod support;

use rand::rngs::StdRng;
use rand::SeedableRng;
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use support::{drained, server};
use till_core::{Clock, ManualClock};
use till_pos::ipc::device_services::{RepairInput, RepairStatusInput, SoftwareUpdateInput};
use till_pos::{ErrorCode, Pos, PosConfig};

const CASHIER: i64 = 1;
const IMEI: &str = "490154203237518";
const DAY_MS: i64 = 86_400_000;

/// A TCP proxy on 127.0.0.1 that forwards to `target` and records every byte both ways.
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
        let seen = self.seen.lock().unwrap();
        seen.windows(needle.len()).any(|w| w == needle.as_bytes())
    }

    fn len(&self) -> usize {
        self.seen.lock().unwrap().len()
    }
}

fn till(clock: Arc<ManualClock>, seed: u64) -> (tempfile::TempDir, Pos) {
    let dir = tempfile::tempdir().unwrap();
    let pos = Pos::open(PosConfig {
        card_reader: "sim://card-reader?delay_ms=1".into(),
        clock,
        rng: Box::new(StdRng::seed_from_u64(seed)),
        ..PosConfig::demo(dir.path().join("till.db"))
    })
    .unwrap();
    (dir, pos)
}

fn now_ms() -> i64 {
    till_core::SystemClock.now_ms()
}

fn sell_phone(p: &Pos, imei: &str) -> String {
    let c = p.login(CASHIER, "1111").unwrap().token;
    let cart = p.cart_scan(&c, "PHN-001").unwrap();
    let cart = p.cart_set_device(&c, cart.lines[0].line_no, imei).unwrap();
    p.checkout_cash(&c, &cart.cart_id, cart.total.minor()).unwrap().order_no
}

fn server_q(srv: &support::Server, sql: &str) -> rusqlite::Result<String> {
    rusqlite::Connection::open(&srv.db).unwrap().query_row(sql, [], |r| r.get::<_, rusqlite::types::Value>(0)).map(
        |v| match v {
            rusqlite::types::Value::Integer(i) => i.to_string(),
            rusqlite::types::Value::Text(t) => t,
            other => format!("{other:?}"),
        },
    )
}

#[test]
fn a_phone_sold_last_month_shows_its_sale_warranty_and_software_and_its_repair_reaches_the_server_blinded() {
    let srv = server();
    let proxy = Proxy::start(&srv.url);
    // Sold 31 days ago, on the till's clock, before the till had its server settings: the sale
    // waits in the outbox.
    let clock = Arc::new(ManualClock::new(now_ms() - 31 * DAY_MS));
    let (_d, p) = till(clock.clone(), 5);
    let order_no = sell_phone(&p, "49-015420-323751-8");
    clock.set(now_ms());
    p.sync_seed_settings(&proxy.url, &srv.terminal_id, &srv.secret).unwrap();
    p.sync_start().unwrap();
    drained(&p);
    let blind = srv.blind(IMEI);
    assert_eq!(
        server_q(&srv, &format!("SELECT software FROM sold_devices WHERE blind = '{blind}'")).unwrap(),
        "XOS 14.2"
    );
    assert_eq!(
        server_q(&srv, &format!("SELECT warranty_months FROM sold_devices WHERE blind = '{blind}'")).unwrap(),
        "12"
    );

    // The lookup by the scanned IMEI: sale, warranty (12 months, about 334 days left), software.
    let c = p.login(CASHIER, "1111").unwrap().token;
    let d = p.device_lookup(&c, "490154203237518").unwrap();
    assert_eq!(d.platform, "checked");
    let sale = d.sale.as_ref().unwrap();
    assert_eq!((sale.order_no.as_str(), sale.here, sale.price.minor()), (order_no.as_str(), true, 399_900));
    assert_eq!(d.software.as_deref(), Some("XOS 14.2"));
    let w = d.warranty.as_ref().unwrap();
    assert_eq!(w.months, 12);
    assert!(!w.expired && (330..=336).contains(&w.days_left), "{} days left", w.days_left);

    // A repair: SO000001, its receipt queued for the demo printer, moved to in repair.
    let r = p
        .device_repair_open(&c, RepairInput { identifier: IMEI.into(), fault: "Screen flickers after a fall".into() })
        .unwrap();
    assert_eq!((r.service_no.as_str(), r.printed), ("SO000001", true));
    let so = &r.device.service_orders[0];
    assert_eq!((so.status.as_str(), so.next_status.as_deref()), ("received", Some("in_repair")));
    let job =
        p.store().print_open_jobs().unwrap().into_iter().find(|j| j.kind == till_store::JobKind::Service).unwrap();
    let (doc, _) = p.print_doc_of_job(job.id).unwrap().unwrap();
    let text = doc.plain_text();
    assert!(text.contains("SO000001") && text.contains("Screen flickers") && text.contains(IMEI), "{text}");
    // Skipping a state or going back is refused and changes nothing.
    let id = so.id.unwrap();
    let skip = p.device_repair_status(&c, RepairStatusInput { service_order_id: id, status: "ready".into() });
    assert_eq!(skip.unwrap_err().code(), ErrorCode::Conflict);
    let r = p.device_repair_status(&c, RepairStatusInput { service_order_id: id, status: "in_repair".into() }).unwrap();
    assert_eq!(r.device.service_orders[0].steps.len(), 2);
    let d = p
        .device_software_record(&c, SoftwareUpdateInput { identifier: IMEI.into(), version: "XOS 14.3".into() })
        .unwrap();
    assert_eq!(d.software_updates[0].version, "XOS 14.3");
    drained(&p);
    assert_eq!(
        server_q(&srv, &format!("SELECT status FROM service_orders WHERE device_blind = '{blind}'")).unwrap(),
        "in_repair"
    );
    assert_eq!(
        server_q(&srv, &format!("SELECT version FROM software_updates WHERE device_blind = '{blind}'")).unwrap(),
        "XOS 14.3"
    );

    // Another till of the shop sees the sale, the repair and the update through the platform.
    let other =
        till_server::admin::add_terminal(&*srv.repo, "till 2", &till_core::SystemClock, &till_server::clock::OsEntropy)
            .unwrap();
    let (_d2, p2) = till(Arc::new(ManualClock::new(now_ms())), 6);
    p2.sync_seed_settings(&proxy.url, &other.terminal_id, &other.secret).unwrap();
    let c2 = p2.login(CASHIER, "1111").unwrap().token;
    let d2 = p2.device_lookup(&c2, IMEI).unwrap();
    let sale2 = d2.sale.as_ref().unwrap();
    assert_eq!(
        (sale2.here, sale2.order_no.as_str(), sale2.terminal_id.as_str()),
        (false, order_no.as_str(), srv.terminal_id.as_str())
    );
    assert_eq!(d2.warranty.as_ref().map(|w| w.months), Some(12));
    assert_eq!(d2.software.as_deref(), Some("XOS 14.2"));
    assert_eq!(
        (d2.service_orders[0].service_no.as_str(), d2.service_orders[0].status.as_str()),
        ("SO000001", "in_repair")
    );
    assert_eq!(d2.service_orders[0].id, None, "another till's repair is followed, not moved, here");
    assert_eq!(d2.software_updates[0].version, "XOS 14.3");

    // Everything crossed the proxy, and the IMEI never did, in any form.
    assert!(proxy.len() > 1_000 && proxy.contains(&blind), "the proxy saw the traffic");
    for form in [IMEI, "49-015420-323751-8", "49015420323751"] {
        assert!(!proxy.contains(form), "{form} crossed the network");
    }
    let srv_file = std::fs::read(&srv.db).unwrap();
    assert!(!srv_file.windows(IMEI.len()).any(|w| w == IMEI.as_bytes()), "the server's file holds the IMEI");
}

#[test]
fn without_the_key_the_till_fails_closed_and_the_sale_waits_in_the_outbox() {
    // A server that is not there: the key cannot be had.
    let dead = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", dead.local_addr().unwrap());
    drop(dead);
    let clock = Arc::new(ManualClock::new(now_ms()));
    let (_d, p) = till(clock, 7);
    let c = p.login(CASHIER, "1111").unwrap().token;
    // No server settings: a device this till never sold is not looked for anywhere.
    assert_eq!(p.device_lookup(&c, IMEI).unwrap_err().code(), ErrorCode::SyncNotConfigured);
    p.sync_seed_settings(&url, "t_0000000000000001", &"ab".repeat(32)).unwrap();
    p.sync_start().unwrap();
    assert_eq!(p.device_lookup(&c, IMEI).unwrap_err().code(), ErrorCode::DeviceKeyMissing);
    // A sale of a phone is recorded all the same; its event waits for the key, not parked.
    sell_phone(&p, IMEI);
    p.sync_nudge();
    std::thread::sleep(std::time::Duration::from_millis(500));
    let (state, error): (String, Option<String>) = p
        .store()
        .read(|c| {
            Ok(c.query_row("SELECT state, last_error FROM outbox WHERE kind = 'sale.recorded'", [], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })?)
        })
        .unwrap();
    assert_eq!(state, "pending");
    assert!(error.unwrap_or_default().contains("device identifier key"));
    // This till's own sale is still shown, with what the platform could not say.
    let d = p.device_lookup(&c, IMEI).unwrap();
    assert_eq!((d.platform.as_str(), d.sale.map(|s| s.here)), ("key_missing", Some(true)));
    // A repair is recorded and waits too.
    let r = p.device_repair_open(&c, RepairInput { identifier: IMEI.into(), fault: "No sound".into() }).unwrap();
    assert_eq!(r.service_no, "SO000001");
}
