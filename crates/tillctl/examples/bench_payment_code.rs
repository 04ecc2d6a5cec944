//! What taking a customer's payment code costs at the counter, side by side with cash in one
//! run: `cargo run --release -p tillctl --example bench_payment_code [-- SALES]` (200 by
//! default). An example rather than a `tillctl bench`: it starts a till-server inside the process.
//!
//! One demo till pointed at a till-server on 127.0.0.1 rings up the same one-line sale again and
//! again. It pays half of them in cash (the baseline: one local commit) and half by a WeChat Pay
//! code the sandbox pays at once: the journal's first commit, the signed `POST /v1/payments/code`,
//! then the sale's commit with the payment settled. It prints the time from "pay" to the receipt.

use std::sync::Arc;
use std::time::{Duration, Instant};
use till_pos::ipc::sale::CodePaymentView;
use till_pos::{Pos, PosConfig};

/// A bench failure.
type CliError = Box<dyn std::error::Error>;

/// A code the sandbox pays at once (third digit 4).
const PAID_AT_ONCE: &str = "134567890123456789";

/// The `p` quantile of sorted samples.
fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted.get(i).copied().unwrap_or_default()
}

fn ms(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1000.0)
}

fn main() -> Result<(), CliError> {
    let sales: usize = match std::env::args().nth(1) {
        Some(n) => n.parse().map_err(|_| format!("{n:?} is not a number of sales"))?,
        None => 200,
    };
    let dir = std::env::temp_dir().join(format!("tillctl-bench-code-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    till_store::private_fs::create_private_dir_all(&dir)?;
    let pos = Pos::open(PosConfig::demo(dir.join("till.db")))?;
    let server = till_server::local::LocalServer::start(&dir.join("server.db"), Default::default(), None)
        .map_err(|e| format!("till-server: {e}"))?;
    pos.sync_seed_settings(&server.url, &server.terminal_id, &server.secret)?;
    pos.sync_start()?;
    let cashier = pos.login(1, "1111")?.token;
    let (mut cash, mut code) = (Vec::with_capacity(sales), Vec::with_capacity(sales));
    let quiet: till_pos::ipc::watch::Watch<CodePaymentView> = Arc::new(|_| {});
    for i in 0..sales * 2 {
        let cart = pos.cart_scan(&cashier, "6901234567892")?;
        let start = Instant::now();
        if i % 2 == 0 {
            pos.checkout_cash(&cashier, &cart.cart_id, cart.total.minor())?;
            cash.push(start.elapsed());
        } else {
            pos.payment_code_pay(&cashier, &cart.cart_id, PAID_AT_ONCE, quiet.clone())?;
            code.push(start.elapsed());
        }
    }
    println!("| tender | sales | pay → receipt p50 | p95 |");
    println!("|---|---|---|---|");
    for (name, mut v) in [("cash (baseline)", cash), ("payment code, paid at once", code)] {
        v.sort();
        println!("| {name} | {sales} | {} | {} |", ms(percentile(&v, 0.5)), ms(percentile(&v, 0.95)));
    }
    drop(pos);
    let _ = std::fs::remove_dir_all(&dir);
    Ok(())
}
