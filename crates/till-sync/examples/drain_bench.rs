//! Drain benchmark: N pending events in the app's SQLite file, drained to a real till-server on
//! loopback (in a child process, so the figures are the client's), batched or one request per
//! event. Prints events per second and the client's peak memory (VmHWM).
//!
//! ```text
//! cargo run --release -p till-sync --example drain_bench -- [--events N] [--one-by-one] [--batch N]
//! ```

use rand::SeedableRng;
use std::error::Error;
use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::Instant;

fn arg(name: &str) -> Option<String> {
    let args: Vec<String> = std::env::args().collect();
    args.iter().position(|a| a == name).and_then(|i| args.get(i + 1)).cloned()
}

fn vm_hwm_kib(pid: &str) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .unwrap_or_default()
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:").map(|v| v.trim().trim_end_matches("kB").trim().parse().unwrap_or(0)))
        .unwrap_or(0)
}

/// The child: a till-server on 127.0.0.1, its URL, terminal and secret on stdout; it lives until
/// its stdin closes, then prints its own VmHWM.
fn serve(db: &str) -> Result<(), Box<dyn Error>> {
    use till_core::SystemClock;
    use till_server::clock::OsEntropy;
    let repo = Arc::new(till_server::repo::sqlite::SqliteRepository::open(db.as_ref())?);
    let t = till_server::admin::add_terminal(&*repo, "bench", &SystemClock, &OsEntropy)?;
    let state = till_server::state::AppState::new(
        repo,
        Arc::new(SystemClock),
        Arc::new(OsEntropy),
        till_server::config::Config::default(),
    );
    let server = till_server::server::Background::start(state, None)?;
    println!("{} {} {}", server.url(), t.terminal_id, t.secret);
    std::io::stdout().flush()?;
    let mut line = String::new();
    let _ = std::io::stdin().read_line(&mut line);
    println!("server VmHWM {} KiB", vm_hwm_kib("self"));
    drop(server);
    Ok(())
}

/// A number after `name`, or `default` when the flag is absent.
fn number(name: &str, default: usize) -> Result<usize, Box<dyn Error>> {
    match arg(name) {
        None => Ok(default),
        Some(v) => v.parse().map_err(|_| format!("{name} takes a positive number, not {v:?}").into()),
    }
}

fn main() -> Result<(), Box<dyn Error>> {
    if let Some(db) = arg("--serve") {
        return serve(&db);
    }
    let events = number("--events", 100_000)?;
    let one_by_one = std::env::args().any(|a| a == "--one-by-one");
    let batch = number("--batch", 500)?;
    let dir = tempfile::tempdir()?;
    let mut child = Command::new(std::env::current_exe()?)
        .arg("--serve")
        .arg(dir.path().join("server.db"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()?;
    let mut out = BufReader::new(child.stdout.take().ok_or("the server's stdout is not piped")?);
    let mut line = String::new();
    out.read_line(&mut line)?;
    let (url, terminal, secret) = match line.split_whitespace().collect::<Vec<_>>()[..] {
        [url, terminal, secret] => (url.to_string(), terminal.to_string(), secret.to_string()),
        _ => return Err(format!("the server printed {line:?}, not its url, terminal and secret").into()),
    };

    let store = Arc::new(till_store::Store::open(&dir.path().join("till.db"))?);
    let mut rng = rand::rngs::StdRng::seed_from_u64(1);
    let t0 = Instant::now();
    store
        .write(|tx| {
            for n in 0..events {
                let code = till_core::LineCode::generate(&mut rng);
                let total = 100 + (n % 5000) as i64;
                let p = serde_json::json!({
                    "order_id": n, "order_no": format!("{n:08}"), "created_at_ms": 1_795_000_000_000i64,
                    "currency": "CNY", "total": total,
                    "lines": [{"line_code": code.as_str(), "sku": "SKU-1", "name": "Item 1", "quantity": 1, "unit_price": total, "gross": total}],
                    "payment": {"tender": "cash", "amount": total}
                });
                till_store::outbox::enqueue(tx, &format!("evt-{n:08}"), "sale.recorded", &format!("order/{n}"), &p, 0)?;
            }
            Ok(())
        })?;
    eprintln!("queued {events} events in {:.1} s", t0.elapsed().as_secs_f64());

    let mut config = till_sync::SyncConfig::new(&url, &terminal, till_client::Secret::from_hex(&secret)?);
    config.batch_size = batch;
    if one_by_one {
        config.delivery = till_sync::Delivery::OneByOne;
    }
    let mut syncer = till_sync::Syncer::new(
        store.clone(),
        config,
        Arc::new(till_core::SystemClock),
        Box::new(rand::rngs::StdRng::seed_from_u64(2)),
    )?;
    let t0 = Instant::now();
    let r = syncer.drain()?;
    let secs = t0.elapsed().as_secs_f64();
    if (r.done, r.retried, r.parked) != (events, 0, 0) {
        return Err(format!("not every event was delivered once: {r:?}").into());
    }
    let mode = if one_by_one { "one request per event".to_string() } else { format!("batches of {batch}") };
    println!(
        "{mode}: {events} events in {secs:.1} s = {:.0} events/s; client peak memory (VmHWM) {} KiB",
        events as f64 / secs,
        vm_hwm_kib("self")
    );
    drop(child.stdin.take());
    let mut rest = String::new();
    out.read_line(&mut rest)?;
    print!("{rest}");
    child.wait()?;
    Ok(())
}
