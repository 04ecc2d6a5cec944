//! The database check, and the checkout loop the crash test kills.

use crate::error::CliError;
use std::io::Write;
use std::path::Path;
use till_pos::{Pos, PosConfig};

fn open(dir: &Path) -> Result<Pos, CliError> {
    std::fs::create_dir_all(dir)?;
    Ok(Pos::open(PosConfig::demo(dir.join("till.db")))?)
}

/// `PRAGMA integrity_check`, the audit chain and the no-partial-order rule.
pub fn check(dir: &Path) -> Result<(), CliError> {
    let store = till_store::Store::open(&dir.join("till.db"))?;
    store.integrity_check()?;
    let audit = store.verify_audit()?;
    if !audit.ok {
        return Err(CliError::CheckFailed(format!("audit chain broken at entry {:?}", audit.first_bad_id)));
    }
    let partial = store.partial_orders()?;
    if !partial.is_empty() {
        return Err(CliError::CheckFailed(format!("partial orders: {partial:?}")));
    }
    println!(
        "ok: integrity ok, {} audit entries chained, {} orders all whole, {} events pending",
        audit.entries,
        store.order_count()?,
        store.outbox_pending()?
    );
    Ok(())
}

/// Rings up and pays sales for ever, printing `ACK <cart id> <order id>` once each commit has
/// returned, the moment the till would tell the cashier "paid".
pub fn checkout_loop(dir: &Path) -> Result<(), CliError> {
    let pos = open(dir)?;
    let token = pos.login(1, "1111")?.token;
    let items = ["6901234567892", "SNK-001", "DRK-002", "SVC-002"];
    let mut out = std::io::stdout().lock();
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
