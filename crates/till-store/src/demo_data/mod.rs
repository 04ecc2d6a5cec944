//! Realistic sales history for demos and benchmarks: orders over two years with busy hours and
//! weekends, one to five lines, cash, card and points payments, phones with their IMEIs, several
//! cashiers, loyalty customers and about 3 % refunds.
//!
//! Every sale is written by the till's own checkout ([`crate::checkout::write_sale`]) and every
//! refund by the till's own refund code ([`crate::refunds::write_refund`]), so the rows, the
//! audit entries and the outbox events are exactly what the till writes, and a generated
//! database syncs to a real till-server like a real one: every event starts `pending` (the
//! till has never synced) and is one the sync worker can send. The only difference is the
//! transaction: 10,000 orders share one IMMEDIATE transaction, so a million orders take minutes.
//!
//! Points do not move. A points change (`points.updated`) needs a loyalty token made by the
//! customer's phone with a key only the points server and the phone share, and a reversal
//! (`points.reversed`) needs the change it reverses; a generated customer has neither, so the
//! generator writes no points ledger rows and no points events. Loyalty customers still appear
//! on their orders, and points still pay part of some orders (a points tender).
//!
//! Card numbers are made up, masked and hashed, and never stored. The till's own hasher (its card
//! hash key is sealed under the till's key file, out of this crate's reach) is passed to
//! [`generate_with_pan_hash`]; [`generate`] alone hashes under a key made from the seed.

mod calendar;
mod sale;
#[cfg(test)]
mod tests;

use crate::catalogue::insert_products;
use crate::{NewProduct, Result, Store, StoreError};
use calendar::{orders_per_day, time_in_day, DAY_MS};
use hmac::{Hmac, Mac};
use rand::rngs::StdRng;
use rand::SeedableRng;
use sha2::{Digest, Sha256};
use till_core::{Currency, Money, Product, ProductId, Sku, TaxRate};

/// Orders written per transaction.
pub const BATCH: u64 = 10_000;

/// SQLite page cache while generating, KiB.
const GENERATION_CACHE_KIB: i64 = 256 * 1024;

/// What to generate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GenerateSpec {
    /// How many orders.
    pub orders: u64,
    /// Random seed: the same seed on a database in the same state gives the same data.
    pub seed: u64,
    /// The first day starts here, ms since the epoch (UTC).
    pub start_ms: i64,
    /// Over how many days the orders are spread.
    pub days: u32,
    /// The currency of the orders (only products priced in it are sold).
    pub currency: Currency,
}

impl GenerateSpec {
    /// `orders` over the 730 days before `end_ms`, seed 1, in yuan.
    pub fn ending_at(orders: u64, end_ms: i64) -> Self {
        GenerateSpec { orders, seed: 1, start_ms: end_ms - 730 * DAY_MS, days: 730, currency: Currency::CNY }
    }
}

/// What was written.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GenerateReport {
    /// Orders.
    pub orders: u64,
    /// Order lines.
    pub lines: u64,
    /// Payments.
    pub payments: u64,
    /// Refunds.
    pub refunds: u64,
    /// Outbox events (one per sale, one per refunded line).
    pub events: u64,
    /// Products added because the catalogue lacked them (serialised phones).
    pub products_added: u64,
}

/// The products sold, as the till's catalogue reads them.
fn load_products(store: &Store, currency: Currency) -> Result<Vec<Product>> {
    // A big synthetic catalogue would make every product rare; a couple of thousand
    // products are what a shop really sells from.
    let ids: Vec<i64> = store.read(|c| {
        let mut s = c.prepare(
            "SELECT id FROM products WHERE active = 1 AND currency = ?1 AND price_minor > 0
              ORDER BY serialised DESC, id LIMIT 2000",
        )?;
        let rows = s.query_map([currency.code()], |r| r.get(0))?;
        Ok(rows.collect::<std::result::Result<_, _>>()?)
    })?;
    let mut out = Vec::with_capacity(ids.len());
    for id in ids {
        out.extend(store.product_by_id(ProductId(id))?);
    }
    Ok(out)
}

fn ensure_products(store: &Store, currency: Currency) -> Result<u64> {
    let have = load_products(store, currency)?;
    let mut add = Vec::new();
    let mk = |sku: &str, name: &str, price: i64, serialised: bool| -> Result<NewProduct> {
        Ok(NewProduct {
            sku: Sku::parse(sku)?,
            barcode: None,
            name: name.into(),
            name_zh: None,
            price: Money::new(price, currency),
            tax_rate: TaxRate::from_basis_points(1300)?,
            tax_inclusive: true,
            serialised,
        })
    };
    if have.iter().filter(|p| !p.serialised).count() < 5 {
        for (i, (name, price)) in
            [("Green tea", 3800), ("Water", 200), ("Noodles", 1290), ("Soap", 890), ("Notebook", 690), ("Cable", 2990)]
                .iter()
                .enumerate()
        {
            if !have.iter().any(|p| p.sku.as_str() == format!("GEN-ITEM-{i}")) {
                add.push(mk(&format!("GEN-ITEM-{i}"), name, *price, false)?);
            }
        }
    }
    if !have.iter().any(|p| p.serialised) {
        add.push(mk("GEN-PHONE-1", "Phone Demo 128GB", 199_900, true)?);
        add.push(mk("GEN-PHONE-2", "Phone Demo Pro 256GB", 399_900, true)?);
    }
    let n = add.len() as u64;
    if n > 0 {
        store.write(|tx| insert_products(tx, &add).map(|_| ()))?;
    }
    Ok(n)
}

/// A stand-in card hash key made from the seed, for a database with no till's hasher at hand.
fn seed_hash_key(seed: u64) -> Vec<u8> {
    Sha256::new().chain_update(b"till demo card hash key").chain_update(seed.to_be_bytes()).finalize().to_vec()
}

/// Writes `spec.orders` orders with their lines, payments, refunds and events, calling
/// `progress(done, total)` after each batch. Needs at least one active cashier or manager.
/// Card numbers are hashed under a key made from the seed; a till's own history is made with
/// [`generate_with_pan_hash`].
pub fn generate(store: &Store, spec: &GenerateSpec, progress: &mut dyn FnMut(u64, u64)) -> Result<GenerateReport> {
    let mac = <Hmac<Sha256> as Mac>::new_from_slice(&seed_hash_key(spec.seed))
        .map_err(|e| StoreError::Invalid(format!("card hash key: {e}")))?;
    let pan_hash = move |pan: &str| hex::encode(mac.clone().chain_update(pan.as_bytes()).finalize().into_bytes());
    generate_with_pan_hash(store, spec, &pan_hash, progress)
}

/// [`generate`], with card numbers hashed by `pan_hash` (the till's own keyed hash, so the
/// generated payments look up like swiped ones).
pub fn generate_with_pan_hash(
    store: &Store,
    spec: &GenerateSpec,
    pan_hash: &dyn Fn(&str) -> String,
    progress: &mut dyn FnMut(u64, u64),
) -> Result<GenerateReport> {
    if spec.orders == 0 || spec.days == 0 {
        return Err(StoreError::Invalid("give at least one order over at least one day".into()));
    }
    let cashiers: Vec<i64> = store.read(|c| {
        let mut s =
            c.prepare("SELECT id FROM users WHERE role IN ('cashier', 'manager') AND active = 1 ORDER BY id")?;
        let ids = s.query_map([], |r| r.get(0))?.collect::<std::result::Result<Vec<i64>, _>>()?;
        Ok(ids)
    })?;
    if cashiers.is_empty() {
        return Err(StoreError::Invalid(
            "there is no active cashier or manager to sell the orders: create users first".into(),
        ));
    }
    let mut report = GenerateReport { products_added: ensure_products(store, spec.currency)?, ..Default::default() };
    let products = load_products(store, spec.currency)?;
    let (serialised, plain): (Vec<Product>, Vec<Product>) = products.into_iter().partition(|p| p.serialised);
    let ctx = sale::Ctx {
        currency: spec.currency,
        serialised: &serialised,
        plain: &plain,
        cashiers: &cashiers,
        customers: (spec.orders / 60).max(50),
        end_ms: spec.start_ms + i64::from(spec.days) * DAY_MS,
        pan_hash,
    };
    // The orders already there go into the seed, so a second run draws fresh line codes
    // instead of repeating (and colliding with) the first run's.
    let existing: i64 =
        store.read(|c| Ok(c.query_row("SELECT coalesce(max(id), 0) FROM orders", [], |r| r.get(0))?))?;
    let mut rng = StdRng::seed_from_u64(spec.seed ^ (existing as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15));
    let per_day = orders_per_day(spec);
    // The days' order times, drawn a day at a time and sorted, so ids follow time as at a till.
    let mut times = per_day.iter().enumerate().flat_map(|(d, &n)| {
        let mut day_rng = StdRng::seed_from_u64(spec.seed ^ (d as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15));
        let start = spec.start_ms + d as i64 * DAY_MS;
        let mut ts: Vec<i64> = (0..n).map(|_| time_in_day(&mut day_rng, start)).collect();
        ts.sort_unstable();
        ts
    });
    // A batch dirties far more pages than SQLite's default 2 MB cache holds; spilled pages are
    // written to the WAL again each time they change, so a bigger cache for the run cuts the
    // writes (system time at 100,000 orders went from about 9 s to 6 s). It is a setting of
    // this connection only, and put back afterwards.
    let cache: i64 = store.write(|tx| Ok(tx.query_row("PRAGMA cache_size", [], |r| r.get(0))?))?;
    store.write(|tx| Ok(tx.execute_batch(&format!("PRAGMA cache_size = -{GENERATION_CACHE_KIB}"))?))?;
    let written = write_batches(store, spec, &ctx, &mut rng, &mut times, &mut report, progress);
    store.write(|tx| Ok(tx.execute_batch(&format!("PRAGMA cache_size = {cache}"))?))?;
    written?;
    Ok(report)
}

fn write_batches(
    store: &Store,
    spec: &GenerateSpec,
    ctx: &sale::Ctx<'_>,
    rng: &mut StdRng,
    times: &mut dyn Iterator<Item = i64>,
    report: &mut GenerateReport,
    progress: &mut dyn FnMut(u64, u64),
) -> Result<()> {
    let mut done = 0u64;
    while done < spec.orders {
        let n = BATCH.min(spec.orders - done);
        let batch: Vec<i64> = (&mut *times).take(n as usize).collect();
        store.write(|tx| {
            for &at in &batch {
                sale::sell(tx, ctx, rng, at, report)?;
            }
            Ok(())
        })?;
        done += n;
        progress(done, spec.orders);
    }
    Ok(())
}
