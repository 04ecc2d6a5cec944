//! The first sync of the catalogue from HQ, and what it costs the counter, side by side in one
//! run: `cargo run --release -p tillctl --example bench_catalogue_sync [-- PRODUCTS [CHECKOUTS]]`
//! (300,000 products and 300 checkouts by default). An example rather than a `tillctl bench`:
//! it starts a till-server inside the process, and the installed tillctl does not carry it.
//!
//! A till-server on 127.0.0.1 gets PRODUCTS products through `catalogue import` (files of
//! 100,000 rows, as the command line takes them). A fresh demo till then sells CHECKOUTS cash
//! sales (scan a barcode, pay cash; one every 20 ms, a busy counter) with no sync running: the
//! baseline. Then its sync worker starts and pulls the whole catalogue, page by page, while the
//! cashier keeps selling at the same pace; the bench prints the first sync's duration and the
//! scan and checkout latencies of both runs. Last, the same pages are applied straight into
//! another fresh till file, each timed: the longest a checkout can wait for the write lock.

use std::time::{Duration, Instant};
use till_core::{Clock, Currency, SystemClock};
use till_pos::{Pos, PosConfig};

/// A bench failure.
type CliError = Box<dyn std::error::Error>;

/// The time between two sales at the counter.
const PACE: Duration = Duration::from_millis(20);

/// Changes per page: the sync engine's default.
const PAGE: i64 = till_sync::catalogue::DEFAULT_PAGE;

/// Rows per imported file (what `till-server catalogue import` takes at most).
const FILE_ROWS: usize = 100_000;

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted.get(i).copied().unwrap_or_default()
}

fn ms(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1000.0)
}

fn line(what: &str, mut v: Vec<Duration>) -> String {
    v.sort();
    format!(
        "{what:<34} n={:<5} p50 {:>9}  p95 {:>9}  max {:>9}",
        v.len(),
        ms(percentile(&v, 0.5)),
        ms(percentile(&v, 0.95)),
        ms(v.last().copied().unwrap_or_default())
    )
}

/// An EAN-13 in the in-store range (prefix 200), so it never meets the demo catalogue's codes.
fn ean13(n: usize) -> String {
    let body = format!("200{n:09}");
    let sum: u32 = body.bytes().enumerate().map(|(i, b)| u32::from(b - b'0') * if i % 2 == 0 { 1 } else { 3 }).sum();
    format!("{body}{}", (10 - sum % 10) % 10)
}

fn csv(from: usize, to: usize) -> String {
    let mut s = String::with_capacity((to - from) * 80);
    s.push_str("sku,barcode,name,name_zh,price,tax_rate,tax_inclusive\n");
    for i in from..to {
        s.push_str(&format!(
            "HQ-{i:07},{},HQ product {i} 250g,总部商品{i},{}.{:02},13,1\n",
            ean13(i),
            1 + i % 500,
            i % 100
        ));
    }
    s
}

/// Sells one cash sale of the demo's barcoded tea; the scan's and the checkout's times.
fn sell(pos: &Pos, token: &till_core::SessionToken) -> Result<(Duration, Duration), CliError> {
    let t = Instant::now();
    let cart = pos.cart_scan(token, "6901234567892")?;
    let scan = t.elapsed();
    let t = Instant::now();
    pos.checkout_cash(token, &cart.cart_id, cart.total.minor())?;
    Ok((scan, t.elapsed()))
}

fn main() -> Result<(), CliError> {
    let mut args = std::env::args().skip(1);
    let products: usize = args.next().map(|a| a.parse()).transpose()?.unwrap_or(300_000);
    let checkouts: usize = args.next().map(|a| a.parse()).transpose()?.unwrap_or(300);
    let dir = tempfile::tempdir()?;
    let server = till_server::local::LocalServer::start(&dir.path().join("server.db"), Default::default(), None)
        .map_err(|e| format!("till-server: {e}"))?;
    let t = Instant::now();
    let mut from = 0;
    while from < products {
        let to = (from + FILE_ROWS).min(products);
        till_server::catalogue::import::import_csv(
            &*server.repo,
            "default",
            csv(from, to).as_bytes(),
            Currency::CNY,
            SystemClock.now_unix(),
        )
        .map_err(|e| format!("import: {e}"))?;
        from = to;
    }
    println!("HQ import of {products} products (files of {FILE_ROWS}): {:.1} s", t.elapsed().as_secs_f64());

    let till_dir = dir.path().join("till");
    till_store::private_fs::create_private_dir_all(&till_dir)?;
    let pos = Pos::open(PosConfig::demo(till_dir.join("till.db")))?;
    let cashier = pos.login(1, "1111")?.token;
    for _ in 0..50 {
        sell(&pos, &cashier)?; // warm-up, not counted
    }
    let (mut scan0, mut checkout0) = (Vec::new(), Vec::new());
    for _ in 0..checkouts {
        let (s, c) = sell(&pos, &cashier)?;
        scan0.push(s);
        checkout0.push(c);
        std::thread::sleep(PACE);
    }

    // The first sync: the worker starts and pulls every page; the cashier keeps selling.
    pos.set_sync_catalogue_every(Duration::from_millis(100));
    pos.sync_seed_settings(&server.url, &server.terminal_id, &server.secret)?;
    let final_cursor = products.to_string();
    let started = Instant::now();
    pos.sync_start()?;
    let (mut scan1, mut checkout1) = (Vec::new(), Vec::new());
    let deadline = started + Duration::from_secs(600);
    let took = loop {
        if pos.store().hq_catalogue_cursor()?.as_deref() == Some(final_cursor.as_str()) {
            break started.elapsed();
        }
        if Instant::now() > deadline {
            return Err(format!("the first sync did not finish: {:?}", pos.sync_catalogue_error()).into());
        }
        let (s, c) = sell(&pos, &cashier)?;
        scan1.push(s);
        checkout1.push(c);
        std::thread::sleep(PACE);
    };
    let managed = pos.store().hq_catalogue_status()?.managed;
    println!(
        "first sync of {products} products into a fresh till: {:.1} s ({managed} products managed by HQ; pages of {PAGE})",
        took.as_secs_f64()
    );
    println!("{}", line("scan, no sync running", scan0));
    println!("{}", line("scan, during the first sync", scan1));
    println!("{}", line("checkout, no sync running", checkout0));
    println!("{}", line("checkout, during the first sync", checkout1));
    drop(pos);

    // Each page's transaction alone, straight into another fresh till file.
    let store = till_store::Store::open(&dir.path().join("pages.db"))?;
    let mut pages = Vec::new();
    let mut since = 0i64;
    loop {
        let page = {
            let mut tx = till_server::repo::Repository::read(&*server.repo).map_err(|e| e.to_string())?;
            till_server::catalogue::changes_page(&mut *tx, "default", since, PAGE).map_err(|e| e.to_string())?
        };
        let changes = page.changes.iter().map(till_sync::catalogue::change).collect::<Result<Vec<_>, _>>()?;
        let t = Instant::now();
        store.hq_catalogue_apply_page(&changes, &page.cursor, 0)?;
        pages.push(t.elapsed());
        since = page.cursor.parse()?;
        if !page.more {
            break;
        }
    }
    println!("{}", line(&format!("one page's transaction ({PAGE})"), pages));
    Ok(())
}
