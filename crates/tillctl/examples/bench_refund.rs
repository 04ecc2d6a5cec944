//! What asking the server before a refund costs the counter, side by side in one run:
//! `cargo run --release -p tillctl --example bench_refund [-- REFUNDS]` (200 by default).
//! An example rather than a `tillctl bench`: it starts a till-server inside the process, and
//! the installed tillctl does not carry the server.
//!
//! Two tills in fresh directories sell the same cash sales and then refund each one (a manager
//! signed in, so each line is approved): one with no server (the baseline: the till decides by
//! the rule itself, offline), one with a till-server on 127.0.0.1 that has received the sales
//! (the quote and the refund each ask `POST /v1/refunds/check` first). For each it prints the
//! time of the quote the cashier sees and of recording the refund.

use std::path::Path;
use std::time::{Duration, Instant};
use till_pos::ipc::refund::{RefundInput, RefundLineInput, RefundLookup};
use till_pos::{Pos, PosConfig};

/// One till's figures.
struct Figures {
    quote: Vec<Duration>,
    record: Vec<Duration>,
}

/// A bench failure.
type CliError = Box<dyn std::error::Error>;

/// The `p` quantile of sorted samples.
fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted.get(i).copied().unwrap_or_default()
}

fn ms(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1000.0)
}

/// Sells `n` cash sales on a demo till in `dir`, with a till-server or without, then quotes and
/// records a refund of each.
fn refund_each(dir: &Path, n: usize, with_server: bool) -> Result<Figures, CliError> {
    till_store::private_fs::create_private_dir_all(dir)?;
    let pos = Pos::open(PosConfig::demo(dir.join("till.db")))?;
    let server = if with_server {
        let s = till_server::local::LocalServer::start(&dir.join("server.db"), Default::default(), None)
            .map_err(|e| format!("till-server: {e}"))?;
        pos.sync_seed_settings(&s.url, &s.terminal_id, &s.secret)?;
        pos.sync_start()?;
        Some(s)
    } else {
        None
    };
    let cashier = pos.login(1, "1111")?.token;
    let mut codes = Vec::with_capacity(n);
    for _ in 0..n {
        let cart = pos.cart_scan(&cashier, "6901234567892")?;
        codes.push(pos.checkout_cash(&cashier, &cart.cart_id, cart.total.minor())?.lines[0].line_code.clone());
    }
    // The server must hold the sales before it can accept their refunds.
    let deadline = Instant::now() + Duration::from_secs(120);
    while with_server && pos.sync_status_now()?.pending > 0 {
        if Instant::now() > deadline {
            return Err("the sales never reached the server".into());
        }
        pos.sync_nudge();
        std::thread::sleep(Duration::from_millis(20));
    }
    let manager = pos.login(2, "2222")?.token;
    let mut f = Figures { quote: Vec::with_capacity(n), record: Vec::with_capacity(n) };
    for code in codes {
        let lookup = RefundLookup {
            by: "line_code".into(),
            text: code,
            date: None,
            amount_minor: None,
            utc_offset_minutes: None,
        };
        let sale = pos.refund_find(&manager, lookup)?;
        let input = RefundInput {
            order_id: sale.order_id,
            lines: vec![RefundLineInput { order_line_id: sale.lines[0].order_line_id, quantity: 1 }],
            reason: "defective".into(),
            photo_base64: None,
            manager_id: None,
            manager_pin: None,
            wait_for_seller: false,
        };
        let t = Instant::now();
        let q = pos.refund_quote(&manager, input.clone())?;
        f.quote.push(t.elapsed());
        if q.offline == with_server {
            return Err(format!("the quote was offline: {}", q.offline).into());
        }
        let t = Instant::now();
        pos.refund_record(&manager, input)?;
        f.record.push(t.elapsed());
    }
    drop(pos);
    drop(server);
    Ok(f)
}

/// Runs the two tills and prints one markdown table.
fn main() -> Result<(), CliError> {
    let refunds: usize = match std::env::args().nth(1) {
        Some(n) => n.parse().map_err(|_| format!("{n:?} is not a number of refunds"))?,
        None => 200,
    };
    let base = std::env::temp_dir().join(format!("tillctl-bench-refund-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&base);
    println!("| till | refunds | quote p50 | quote p95 | record p50 | record p95 |");
    println!("|---|---|---|---|---|---|");
    for (name, dir, with_server) in [
        ("no server: decided by the till (baseline)", "offline", false),
        ("till-server on 127.0.0.1: asked first (check)", "online", true),
    ] {
        let mut f = refund_each(&base.join(dir), refunds, with_server)?;
        f.quote.sort();
        f.record.sort();
        println!(
            "| {name} | {refunds} | {} | {} | {} | {} |",
            ms(percentile(&f.quote, 0.5)),
            ms(percentile(&f.quote, 0.95)),
            ms(percentile(&f.record, 0.5)),
            ms(percentile(&f.record, 0.95))
        );
    }
    let _ = std::fs::remove_dir_all(&base);
    Ok(())
}
