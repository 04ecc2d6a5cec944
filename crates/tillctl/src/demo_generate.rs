//! `tillctl demo generate --data-dir DIR --orders N [--seed S] [--days D]`: fills a demo till
//! with a realistic sales history (see `till_store::demo_data`), for trying the back office and
//! for `tillctl bench history`. The history is written by the till's own checkout and refund
//! code, so `tillctl sync run` can send all of it to a till-server, as from a real till; card
//! numbers are hashed by this till's own keyed hash ([`till_pos::Pos::card_pan_hash`]).
//!
//! The database is opened the way `tillctl seed` opens it (a demo till: demo users and
//! catalogue on first start). Four cashiers and a manager are made sure of, created through the
//! app's own user management (so each creation is audited like a manager's), and their PINs
//! printed.

use crate::error::CliError;
use std::path::Path;
use std::time::{Instant, SystemTime, UNIX_EPOCH};
use till_core::Currency;
use till_pos::{Pos, PosConfig};
use till_store::demo_data::{generate_with_pan_hash, GenerateSpec};

/// The demo manager who creates the extra cashiers (seeded by the demo till).
const MANAGER: (&str, &str) = ("Li Wei", "2222");
/// The cashiers the history is sold by: name and PIN (Chen Jing is the demo till's own).
const CASHIERS: &[(&str, &str)] =
    &[("Chen Jing", "1111"), ("Zhao Lei", "4441"), ("Sun Mei", "4442"), ("Zhou Min", "4443")];

/// Runs the command.
pub fn run(dir: &Path, orders: u64, seed: u64, days: u32) -> Result<(), CliError> {
    till_store::private_fs::create_private_dir_all(dir)?;
    let pos = Pos::open(PosConfig::demo(dir.join("till.db")))?;
    let users = pos.store().users()?;
    let manager = users
        .iter()
        .find(|u| u.name == MANAGER.0)
        .ok_or(CliError::Usage("this till has no demo manager (Li Wei): use a fresh --data-dir"))?;
    let token = pos.login(manager.id, MANAGER.1)?.token;
    println!("manager: {} (PIN {})", MANAGER.0, MANAGER.1);
    for (name, pin) in CASHIERS {
        if !users.iter().any(|u| u.name == *name) {
            pos.user_create(&token, name, "cashier", pin)?;
        }
        println!("cashier: {name} (PIN {pin})");
    }
    let now = SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_millis() as i64).unwrap_or(0);
    let spec =
        GenerateSpec { orders, seed, start_ms: now - i64::from(days) * 86_400_000, days, currency: Currency::CNY };
    let t = Instant::now();
    let pan_hash = |pan: &str| pos.card_pan_hash(pan);
    let report = generate_with_pan_hash(pos.store(), &spec, &pan_hash, &mut |done, total| {
        let s = t.elapsed().as_secs_f64().max(1e-9);
        eprint!("\r{done}/{total} orders ({:.0}/s)   ", done as f64 / s);
    })?;
    eprintln!();
    let secs = t.elapsed().as_secs_f64();
    // Until the next checkpoint much of what was written sits in the WAL beside the file.
    let db = pos.store().path();
    let size: u64 = [db.to_path_buf(), db.with_extension("db-wal")]
        .iter()
        .map(|p| std::fs::metadata(p).map(|m| m.len()).unwrap_or(0))
        .sum();
    println!(
        "wrote {} orders, {} lines, {} payments, {} refunds, {} events in {:.1} s ({:.0} orders/s); database {:.1} MB",
        report.orders,
        report.lines,
        report.payments,
        report.refunds,
        report.events,
        secs,
        report.orders as f64 / secs.max(1e-9),
        size as f64 / 1e6
    );
    Ok(())
}
