//! The database check, and the checkout loop the crash test kills.

use crate::error::CliError;
use std::io::Write;
use std::path::Path;
use till_pos::{Pos, PosConfig};

fn open(dir: &Path) -> Result<Pos, CliError> {
    till_store::private_fs::create_private_dir_all(dir)?;
    Ok(Pos::open(PosConfig::demo(dir.join("till.db")))?)
}

/// One line per check: `PRAGMA integrity_check`, the audit chain, whole orders, order totals
/// against their lines, line counts, payments against totals, refunds within payments.
/// Any failure makes the command exit 1 after every line has been printed.
pub fn check(dir: &Path) -> Result<(), CliError> {
    check_store(&till_store::Store::open(&dir.join("till.db"))?)
}

/// The checks of [`check`] on an open store (`tillctl restore` runs them on the backup).
pub fn check_store(store: &till_store::Store) -> Result<(), CliError> {
    let mut failed = Vec::new();
    match store.integrity_check() {
        Ok(()) => println!("integrity_check: ok"),
        Err(e) => {
            println!("integrity_check: {e}");
            failed.push("integrity_check");
        }
    }
    let audit = store.verify_audit()?;
    match audit.first_bad_id {
        None if audit.ok => println!("audit chain: ok ({} entries)", audit.entries),
        bad => {
            println!("audit chain: BROKEN at entry {}", bad.map_or("?".to_string(), |id| id.to_string()));
            failed.push("audit chain");
        }
    }
    let partial = store.partial_orders()?;
    if partial.is_empty() {
        println!("whole orders: ok ({} orders, {} events pending)", store.order_count()?, store.outbox_pending()?);
    } else {
        println!("whole orders: {} partial: {}", partial.len(), ids(&partial));
        failed.push("whole orders");
    }
    let inv = store.check_invariants()?;
    for (name, what, breach) in [
        ("order totals", "differ from their lines", &inv.totals),
        ("line counts", "have a wrong line count", &inv.line_counts),
        ("payments", "are not paid exactly their total", &inv.payments),
        ("refunds within payments", "are refunded more than their total", &inv.refunds),
    ] {
        if breach.is_ok() {
            println!("{name}: ok");
        } else {
            let more = if breach.count > breach.order_ids.len() as i64 { ", ..." } else { "" };
            println!("{name}: {} orders {what}: {}{more}", breach.count, ids(&breach.order_ids));
            failed.push(name);
        }
    }
    if failed.is_empty() {
        Ok(())
    } else {
        Err(CliError::CheckFailed(failed.join(", ")))
    }
}

fn ids(list: &[i64]) -> String {
    list.iter().map(|id| format!("order {id}")).collect::<Vec<_>>().join(", ")
}

/// Rings up and pays sales for ever, printing `READY` once the till is open and the cashier
/// logged in, then `ACK <cart id> <order id>` once each commit has returned, the moment the
/// till would tell the cashier "paid".
pub fn checkout_loop(dir: &Path) -> Result<(), CliError> {
    let pos = open(dir)?;
    let token = pos.login(1, "1111")?.token;
    let items = ["6901234567892", "SNK-001", "DRK-002", "SVC-002"];
    let mut out = std::io::stdout().lock();
    writeln!(out, "READY")?;
    out.flush()?;
    for n in 0usize.. {
        for code in &items[..1 + n % items.len()] {
            pos.cart_scan(&token, code)?;
        }
        let cart = pos.cart_get(&token)?;
        let receipt = pos.checkout_cash(&token, &cart.cart_id, cart.total.minor() + 1_000)?;
        writeln!(out, "ACK {} {}", cart.cart_id, receipt.order_id)?;
        out.flush()?;
    }
    Ok(())
}
