//! `tillctl bench`: the figures in docs/performance.md.
//!
//! - one raw `fsync` of a 4 KiB write, on the same disk, as the yardstick;
//! - checkout commit latency (p50/p99) and checkouts per second through `Pos::checkout_cash`;
//! - catalogue search-as-you-type latency over N products (default 300,000);
//! - time from opening the till on that catalogue to the first search result.

use crate::error::CliError;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};
use till_core::{Barcode, Currency, Money, Sku, TaxRate};
use till_pos::{Pos, PosConfig};
use till_store::{NewProduct, Store};

/// The `p` quantile (0 to 1) of sorted samples, the nearest one; zero when there are none.
pub(crate) fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let idx = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[idx.min(sorted.len() - 1)]
}

fn ms(d: Duration) -> String {
    format!("{:.3} ms", d.as_secs_f64() * 1000.0)
}

fn report(name: &str, mut samples: Vec<Duration>) {
    samples.sort();
    let total: Duration = samples.iter().sum();
    println!(
        "| {name} | {} | {} | {} | {:.0}/s |",
        samples.len(),
        ms(percentile(&samples, 0.5)),
        ms(percentile(&samples, 0.99)),
        samples.len() as f64 / total.as_secs_f64().max(1e-9)
    );
}

fn fsync_samples(dir: &Path, n: usize) -> Result<Vec<Duration>, CliError> {
    let mut f = till_store::private_fs::create_private_file(&dir.join("fsync.bin"))?;
    let block = [0x5Au8; 4096];
    let mut out = Vec::with_capacity(n);
    for _ in 0..n {
        let t = Instant::now();
        f.write_all(&block)?;
        f.sync_data()?;
        out.push(t.elapsed());
    }
    Ok(out)
}

fn checkout_samples(dir: &Path, n: usize) -> Result<Vec<Duration>, CliError> {
    let pos = Pos::open(PosConfig::demo(dir.join("till.db")))?;
    let token = pos.login(1, "1111")?.token;
    let mut out = Vec::with_capacity(n);
    for _ in 0..n {
        for code in ["6901234567892", "SNK-001", "DRK-002"] {
            pos.cart_scan(&token, code)?;
        }
        let cart = pos.cart_get(&token)?;
        let t = Instant::now();
        pos.checkout_cash(&token, &cart.cart_id, cart.total.minor())?;
        out.push(t.elapsed());
    }
    Ok(out)
}

const ADJECTIVES: &[(&str, &str)] = &[
    ("Organic", "有机"),
    ("Green", "绿色"),
    ("Fresh", "新鲜"),
    ("Classic", "经典"),
    ("Spicy", "麻辣"),
    ("Sweet", "香甜"),
    ("Premium", "优质"),
    ("Mini", "迷你"),
    ("Family", "家庭装"),
    ("Golden", "金色"),
];
const NOUNS: &[(&str, &str)] = &[
    ("tea", "茶"),
    ("rice", "大米"),
    ("noodles", "面条"),
    ("juice", "果汁"),
    ("cookies", "饼干"),
    ("soap", "香皂"),
    ("towel", "毛巾"),
    ("pen", "钢笔"),
    ("cable", "数据线"),
    ("sauce", "酱"),
    ("milk", "牛奶"),
    ("coffee", "咖啡"),
    ("chips", "薯片"),
    ("candy", "糖果"),
    ("water", "水"),
];

/// A synthetic catalogue of `n` products with valid barcodes and bilingual names.
pub fn synthetic_catalogue(n: usize) -> Result<Vec<NewProduct>, CliError> {
    (0..n)
        .map(|i| {
            let (a, az) = ADJECTIVES[i % ADJECTIVES.len()];
            let (b, bz) = NOUNS[(i / ADJECTIVES.len()) % NOUNS.len()];
            Ok(NewProduct {
                sku: Sku::parse(&format!("GEN-{i:07}")).map_err(till_store::StoreError::from)?,
                barcode: Some(Barcode::with_check_digit(&format!("69{i:010}")).map_err(till_store::StoreError::from)?),
                name: format!("{a} {b} {}", i % 997),
                name_zh: Some(format!("{az}{bz}{}号", i % 997)),
                price: Money::new(100 + (i as i64 * 37) % 100_000, Currency::CNY),
                tax_rate: TaxRate::from_basis_points([1300, 900, 600][i % 3]).map_err(till_store::StoreError::from)?,
                tax_inclusive: true,
                serialised: false,
            })
        })
        .collect()
}

fn catalogue_figures(dir: &Path, n: usize) -> Result<(), CliError> {
    let path = dir.join("till.db");
    {
        // Open once as the app would, so the demo users exist; the demo catalogue is skipped
        // because we load the big one first.
        let store = Store::open(&path)?;
        let products = synthetic_catalogue(n)?;
        let t = Instant::now();
        for chunk in products.chunks(10_000) {
            store.add_products(chunk)?;
        }
        println!("\nloaded {n} products in {:.1} s", t.elapsed().as_secs_f64());
    }
    drop(Pos::open(PosConfig::demo(path.clone()))?);

    let t = Instant::now();
    let pos = Pos::open(PosConfig::demo(path.clone()))?;
    let opened = t.elapsed();
    let token = pos.login(1, "1111")?.token;
    let t_first = Instant::now();
    let first = pos.catalogue_search(&token, "tea", 20)?;
    let first_search = t_first.elapsed();
    println!(
        "open till on {} products: {} ; first search ({} hits): {} ; open-to-first-result: {}",
        pos.store().product_count()?,
        ms(opened),
        first.len(),
        ms(first_search),
        ms(opened + first_search)
    );

    println!("\n| query (as typed) | runs | p50 | p99 | rate |\n|---|---|---|---|---|");
    let mut all = Vec::new();
    for q in ["t", "te", "tea", "green t", "organic tea 5", "绿", "绿色", "绿色茶", "GEN-00012", "6900000123"] {
        let mut samples = Vec::new();
        for _ in 0..50 {
            let t = Instant::now();
            let hits = pos.catalogue_search(&token, q, 20)?;
            samples.push(t.elapsed());
            if hits.is_empty() {
                return Err(CliError::CheckFailed(format!("search {q:?} found nothing")));
            }
        }
        all.extend(samples.iter().copied());
        report(&format!("`{q}`"), samples);
    }
    report("all queries", all);
    Ok(())
}

/// Opens a demo till in `dir` (demo users and catalogue) and adds `n` synthetic products.
pub fn seed(dir: &Path, n: usize) -> Result<(), CliError> {
    till_store::private_fs::create_private_dir_all(dir)?;
    let pos = Pos::open(PosConfig::demo(dir.join("till.db")))?;
    let t = Instant::now();
    for chunk in synthetic_catalogue(n)?.chunks(10_000) {
        pos.store().add_products(chunk)?;
    }
    println!(
        "added {n} products in {:.1} s; catalogue now {}",
        t.elapsed().as_secs_f64(),
        pos.store().product_count()?
    );
    Ok(())
}

/// Runs every measurement and prints markdown tables.
pub fn run(dir: Option<PathBuf>, products: usize, checkouts: usize) -> Result<(), CliError> {
    let base = dir.unwrap_or_else(|| std::env::temp_dir().join(format!("tillctl-bench-{}", std::process::id())));
    let _ = std::fs::remove_dir_all(&base);
    for sub in ["fsync", "checkout", "catalogue"] {
        till_store::private_fs::create_private_dir_all(&base.join(sub))?;
    }
    println!("bench directory: {}\n", base.display());
    println!("| measurement | runs | p50 | p99 | rate |\n|---|---|---|---|---|");
    report("raw fsync (4 KiB write + fdatasync)", fsync_samples(&base.join("fsync"), 500)?);
    report("checkout_cash (3 lines; commit + receipt read)", checkout_samples(&base.join("checkout"), checkouts)?);
    catalogue_figures(&base.join("catalogue"), products)?;
    let _ = std::fs::remove_dir_all(&base);
    Ok(())
}
