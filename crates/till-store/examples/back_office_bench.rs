//! Figures for docs/back-office.md: a 500,000-row CSV export (time, peak memory) and a
//! 100,000-row catalogue import (preview, apply, preview again), on a database in a scratch
//! directory.
//!
//! `cargo run --release -p till-store --example back_office_bench`

use std::time::Instant;
use till_core::{Barcode, Currency, Role};
use till_store::export::ExportKind;
use till_store::Store;

const DAY: i64 = 86_400_000;
// 2026-12-01T00:00:00Z
const T0: i64 = 1_796_083_200_000;
const HEADER: &str = "sku,barcode,name,name_zh,price,tax_rate,tax_inclusive,serialised,active";

fn vm_hwm_kb() -> Option<u64> {
    let s = std::fs::read_to_string("/proc/self/status").ok()?;
    s.lines().find(|l| l.starts_with("VmHWM:"))?.split_whitespace().nth(1)?.parse().ok()
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let dir = tempfile::tempdir()?;
    let store = Store::open(&dir.path().join("till.db"))?;
    let user = store.write(|tx| till_store::users::insert(tx, "Bench", Role::Manager, "unused", 0))?;

    store.write(|tx| {
        let mut ins = tx.prepare(
            "INSERT INTO points_ledger (customer_ref, kind, points, status, created_at_ms) VALUES ('C-42', 'earn', ?1, 'confirmed', ?2)",
        )?;
        for i in 0..500_000i64 {
            ins.execute([i % 100, T0 + i])?;
        }
        Ok(())
    })?;
    let out = tempfile::tempdir()?;
    let before = vm_hwm_kb();
    let t = Instant::now();
    let files = store.export_csv(&[ExportKind::Points], T0, T0 + DAY, out.path(), &mut |_, _| true)?;
    let took = t.elapsed();
    let size = std::fs::metadata(&files[0])?.len();
    println!(
        "export: 500000 points rows ({size} bytes) in {took:?}; peak RSS before {before:?} kB, after {:?} kB",
        vm_hwm_kb()
    );

    let mut file = String::from(HEADER);
    file.push('\n');
    for i in 0..100_000 {
        let bc = Barcode::with_check_digit(&format!("20{i:010}"))?;
        file.push_str(&format!("BULK-{i},{bc},Bulk item {i},批量,{}.{:02},13,1,0,1\n", i % 500, i % 100));
    }
    let t = Instant::now();
    let p = store.catalogue_import_preview(file.as_bytes(), Currency::CNY)?;
    let preview = t.elapsed();
    let t = Instant::now();
    store.catalogue_import_apply(file.as_bytes(), Currency::CNY, user, 1)?;
    let apply = t.elapsed();
    let t = Instant::now();
    let again = store.catalogue_import_preview(file.as_bytes(), Currency::CNY)?;
    println!(
        "import: 100000 rows ({} bytes, {} to create): preview {preview:?}, apply {apply:?}, preview again {:?} ({} unchanged)",
        file.len(),
        p.creates,
        t.elapsed(),
        again.unchanged
    );
    Ok(())
}
