//! `tillctl bench backup --data-dir DIR [--checkouts N] [--pages N] [--pause-ms MS]`: how long
//! a checkout waits while an online backup of the till's database runs.
//!
//! In one run, on the till in DIR (make a big one with `tillctl demo generate --orders
//! 1000000`): first N cash checkouts with nothing else running (the baseline), then checkouts in
//! a loop for as long as a backup of the database runs on another thread (the paced online
//! backup of `till_store::backup`, the one `tillctl backup` and the nightly backup use). Each
//! checkout is timed from the call to `checkout_cash` to its receipt (commit with its fsync
//! included), as in `tillctl bench`. Prints p50, p95 and max of both, and the backup's duration,
//! steps and size. The backup file is removed at the end; the checkouts stay in the database.

use crate::bench::percentile;
use crate::error::CliError;
use std::path::Path;
use std::time::{Duration, Instant};
use till_pos::{Pos, PosConfig};
use till_store::backup::{backup_database, BackupOptions};

fn row(name: &str, mut samples: Vec<Duration>) {
    samples.sort();
    let ms = |d: Duration| format!("{:.2} ms", d.as_secs_f64() * 1000.0);
    println!(
        "| {name} | {} | {} | {} | {} |",
        samples.len(),
        ms(percentile(&samples, 0.5)),
        ms(percentile(&samples, 0.95)),
        ms(samples.last().copied().unwrap_or_default())
    );
}

/// One timed cash checkout of three lines.
fn checkout(pos: &Pos, token: &till_core::SessionToken) -> Result<Duration, CliError> {
    for code in ["6901234567892", "SNK-001", "DRK-002"] {
        pos.cart_scan(token, code)?;
    }
    let cart = pos.cart_get(token)?;
    let t = Instant::now();
    pos.checkout_cash(token, &cart.cart_id, cart.total.minor())?;
    Ok(t.elapsed())
}

/// Runs the benchmark (see the module documentation).
pub fn run(dir: &Path, checkouts: usize, options: BackupOptions) -> Result<(), CliError> {
    let db = dir.join("till.db");
    if !db.is_file() {
        return Err(CliError::Failed(format!("{}: no till database there (tillctl demo generate)", db.display())));
    }
    let pos = Pos::open(PosConfig::demo(db.clone()))?;
    let token = pos.login(1, "1111")?.token;
    let orders = pos.store().order_count()?;
    let size: u64 = std::fs::metadata(&db)?.len();
    println!("database: {} ({orders} orders, {:.1} MB)", db.display(), size as f64 / 1e6);
    println!("backup pacing: {} pages per step, {} ms pause\n", options.pages_per_step, options.pause.as_millis());
    // Warm the caches so the baseline is not the first reads of a cold file.
    for _ in 0..20 {
        checkout(&pos, &token)?;
    }
    let mut baseline = Vec::with_capacity(checkouts);
    for _ in 0..checkouts {
        baseline.push(checkout(&pos, &token)?);
    }
    let out = dir.join("bench-backup.db");
    let (during, report) = std::thread::scope(|s| -> Result<_, CliError> {
        let backup = s.spawn(|| backup_database(&db, &out, &options));
        let mut during = Vec::new();
        while !backup.is_finished() {
            during.push(checkout(&pos, &token)?);
        }
        let report = backup.join().map_err(|_| CliError::Failed("the backup thread panicked".into()))??;
        Ok((during, report))
    })?;
    let _ = std::fs::remove_file(&out);
    println!("| checkout_cash (3 lines) | checkouts | p50 | p95 | max |\n|---|---|---|---|---|");
    row("no backup running (baseline)", baseline);
    row("during the online backup", during);
    println!(
        "\nbackup: {:.1} s, {} steps, {:.1} MB (copy, integrity_check, fsync, rename)",
        report.duration.as_secs_f64(),
        report.steps,
        report.bytes as f64 / 1e6
    );
    Ok(())
}
