//! `tillctl bench print`: what a receipt printer costs the counter, side by side in one run.
//!
//! Three tills in fresh directories sell the same cash sales: one with no printer (the
//! baseline), one with the simulated ESC/POS printer on a TCP port of this computer (a network
//! printer's link), one with that printer slowed down as an old serial printer is. For each it
//! prints the checkout time of sales rung back to back (the sale's commit, which also queues the
//! receipt, while the printer works through the queue) and, with a printer, the time from a
//! sale's commit to its receipt's last byte taken by the printer, for sales rung one at a time.

use crate::bench::percentile;
use crate::error::CliError;
use std::net::TcpListener;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use till_core::DeviceRole;
use till_devices::printer::simulator::{serve, SimHandle};
use till_devices::printer::PaperWidth;
use till_pos::ipc::devices::DeviceAssignment;
use till_pos::{Pos, PosConfig};

/// Sales rung one at a time, each receipt printed before the next, for the commit-to-paper time.
const PACED: usize = 50;

/// One till's figures.
struct Figures {
    checkout: Vec<Duration>,
    to_last_byte: Vec<Duration>,
}

fn ms(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1000.0)
}

/// Sells `sales` cash sales on a demo till in `dir`, with the simulated printer slowed by
/// `slow_ms` per 100 bytes, or without a printer.
fn sell(dir: &Path, sales: usize, printer: Option<u64>) -> Result<Figures, CliError> {
    till_store::private_fs::create_private_dir_all(dir)?;
    let pos = Arc::new(Pos::open(PosConfig::demo(dir.join("till.db")))?);
    Pos::start_printing(&pos)?;
    let printed: Arc<Mutex<Vec<Instant>>> = Arc::default();
    let mut server = None;
    let installer = pos.login(3, "3333")?.token;
    // The demo till comes with the simulated printer inside it: the baseline has none.
    pos.device_remove(&installer, DeviceRole::ReceiptPrinter)?;
    if let Some(slow_ms) = printer {
        let sim = SimHandle::new(PaperWidth::Mm80);
        sim.set_slow(slow_ms);
        let done = Arc::clone(&printed);
        sim.on_job(Box::new(move |_job| {
            if let Ok(mut d) = done.lock() {
                d.push(Instant::now());
            }
        }));
        let listener = TcpListener::bind("127.0.0.1:0")?;
        let uri = format!("tcp://{}", listener.local_addr()?);
        server = Some(serve::tcp(sim, listener)?);
        pos.device_assign(
            &installer,
            &DeviceAssignment {
                uri,
                role: DeviceRole::ReceiptPrinter,
                driver: "escpos".into(),
                baud: None,
                parity: None,
                swipe_timeout_s: None,
                paper_mm: Some(80),
                code_page: None,
            },
        )?;
    }
    pos.logout(&installer)?;
    let token = pos.login(1, "1111")?.token;
    let sell_one = || -> Result<Duration, CliError> {
        for code in ["6901234567892", "SNK-001", "DRK-002"] {
            pos.cart_scan(&token, code)?;
        }
        let cart = pos.cart_get(&token)?;
        let t = Instant::now();
        pos.checkout_cash(&token, &cart.cart_id, cart.total.minor())?;
        Ok(t.elapsed())
    };
    let wait_printed = |n: usize| -> Result<Instant, CliError> {
        let deadline = Instant::now() + Duration::from_secs(120);
        loop {
            if let Some(at) = printed.lock().ok().and_then(|d| d.get(n - 1).copied()) {
                return Ok(at);
            }
            if Instant::now() > deadline {
                return Err(CliError::CheckFailed(format!("receipt {n} never printed")));
            }
            std::thread::sleep(Duration::from_millis(1));
        }
    };
    // A rush: sales back to back while the printer works through the queue behind them.
    let checkout = (0..sales).map(|_| sell_one()).collect::<Result<Vec<_>, _>>()?;
    let mut to_last_byte = Vec::new();
    if printer.is_some() {
        wait_printed(sales)?;
        // At a counter's pace: each sale's receipt printed before the next sale.
        for i in 1..=PACED {
            sell_one()?;
            let committed = Instant::now();
            to_last_byte.push(wait_printed(sales + i)?.saturating_duration_since(committed));
        }
    }
    drop(pos);
    drop(server);
    Ok(Figures { checkout, to_last_byte })
}

/// Runs the three tills and prints one markdown table.
pub fn run(sales: usize, slow_ms: u64) -> Result<(), CliError> {
    let base = std::env::temp_dir().join(format!("tillctl-bench-print-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&base);
    println!("| till | sales | checkout p50 | checkout p95 | commit → last byte p50 | commit → last byte p95 |");
    println!("|---|---|---|---|---|---|");
    let slow = format!("slow printer ({slow_ms} ms per 100 bytes)");
    for (name, dir, printer) in [
        ("no printer (baseline)", "none", None),
        ("network printer (simulated, TCP)", "fast", Some(0)),
        (slow.as_str(), "slow", Some(slow_ms)),
    ] {
        let mut f = sell(&base.join(dir), sales, printer)?;
        f.checkout.sort();
        f.to_last_byte.sort();
        let last =
            |p: f64| if f.to_last_byte.is_empty() { "–".to_string() } else { ms(percentile(&f.to_last_byte, p)) };
        println!(
            "| {name} | {sales} | {} | {} | {} | {} |",
            ms(percentile(&f.checkout, 0.5)),
            ms(percentile(&f.checkout, 0.95)),
            last(0.5),
            last(0.95)
        );
    }
    let _ = std::fs::remove_dir_all(&base);
    Ok(())
}
