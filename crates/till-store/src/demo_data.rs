//! Realistic sales history for demos and benchmarks: orders over two years with busy hours and
//! weekends, one to five lines, cash, card and points payments, about 3 % refunds, loyalty
//! points and outbox events, written straight with SQL in batches of 10,000 orders per
//! IMMEDIATE transaction (a million orders take minutes, not hours).
//!
//! The rows obey the same rules as the ones the till writes: an order's totals are the sums of
//! its lines, its payments add up to its total, refund lines never pass the quantity sold (the
//! migration 7 triggers check it as they are inserted), a refused refund gives its quantities
//! back. No audit entry is written per order: the audit log records what people did, and the
//! chain stays valid because nothing is written to it.

use crate::catalogue::insert_products;
use crate::{NewProduct, Result, Store, StoreError};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use rusqlite::{params, Transaction};
use till_core::{Currency, LineCode, Money, Sku, TaxRate};

/// Orders written per transaction.
pub const BATCH: u64 = 10_000;

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
    /// Points ledger rows.
    pub points: u64,
    /// Outbox events.
    pub events: u64,
    /// Products added because the catalogue lacked them (serialised phones).
    pub products_added: u64,
}

const DAY_MS: i64 = 86_400_000;
const HOUR_MS: i64 = 3_600_000;

/// Relative traffic by hour of the day (the shop opens at 08:00 and closes at 22:00).
const HOURS: &[(i64, u32)] = &[
    (8, 1),
    (9, 2),
    (10, 3),
    (11, 5),
    (12, 7),
    (13, 5),
    (14, 3),
    (15, 3),
    (16, 4),
    (17, 6),
    (18, 8),
    (19, 7),
    (20, 5),
    (21, 2),
];
const REASONS: &[&str] = &["damaged", "wrong size", "changed mind", "faulty", "expired", "duplicate sale"];
/// (brand, first six digits)
const BRANDS: &[(&str, &str)] = &[("UnionPay", "622202"), ("Visa", "411111"), ("Mastercard", "555555")];

#[derive(Debug, Clone)]
struct Product {
    id: i64,
    sku: String,
    name: String,
    name_zh: Option<String>,
    price: i64,
    tax_bp: i64,
    inclusive: bool,
    serialised: bool,
}

/// The Luhn check digit of `payload` (digits only), as IMEIs and card numbers end with.
pub fn luhn_check_digit(payload: &str) -> u8 {
    let sum: u32 = payload
        .bytes()
        .rev()
        .enumerate()
        .map(|(i, b)| {
            let d = u32::from(b - b'0');
            if i % 2 == 0 {
                let x = d * 2;
                if x > 9 {
                    x - 9
                } else {
                    x
                }
            } else {
                d
            }
        })
        .sum();
    ((10 - sum % 10) % 10) as u8
}

/// True when `digits` ends with its correct Luhn check digit.
pub fn luhn_ok(digits: &str) -> bool {
    digits.len() >= 2
        && digits.bytes().all(|b| b.is_ascii_digit())
        && luhn_check_digit(&digits[..digits.len() - 1]) == digits.as_bytes()[digits.len() - 1] - b'0'
}

fn imei(rng: &mut StdRng) -> String {
    let payload = format!("35{:012}", rng.gen_range(0..1_000_000_000_000u64));
    let check = luhn_check_digit(&payload);
    format!("{payload}{check}")
}

/// Net, tax and gross of `qty` units, as the cart computes them (half up on the tax).
fn line_amounts(p: &Product, qty: i64) -> (i64, i64, i64) {
    let amount = p.price * qty;
    if p.inclusive {
        let tax = (amount * p.tax_bp + (10_000 + p.tax_bp) / 2) / (10_000 + p.tax_bp);
        (amount - tax, tax, amount)
    } else {
        let tax = (amount * p.tax_bp + 5_000) / 10_000;
        (amount, tax, amount + tax)
    }
}

/// The orders of each day: weekends busier, a slow rise over the two years.
fn orders_per_day(spec: &GenerateSpec) -> Vec<u64> {
    let days = spec.days as usize;
    let weights: Vec<f64> = (0..days)
        .map(|d| {
            let t = spec.start_ms + d as i64 * DAY_MS;
            // 1970-01-01 was a Thursday: day 2 and 3 of the week (from Thursday) are Sat, Sun.
            let weekday = (t.div_euclid(DAY_MS) + 3).rem_euclid(7); // 0 = Monday
            let w = if weekday >= 5 { 1.4 } else { 1.0 };
            w * (1.0 + 0.3 * d as f64 / days as f64)
        })
        .collect();
    let total: f64 = weights.iter().sum();
    let mut counts: Vec<u64> = weights.iter().map(|w| (w / total * spec.orders as f64).floor() as u64).collect();
    let mut left = spec.orders - counts.iter().sum::<u64>();
    let mut i = 0;
    while left > 0 {
        counts[i % days] += 1;
        left -= 1;
        i += 1;
    }
    counts
}

fn time_in_day(rng: &mut StdRng, day_start: i64) -> i64 {
    let total: u32 = HOURS.iter().map(|h| h.1).sum();
    let mut pick = rng.gen_range(0..total);
    for (hour, w) in HOURS {
        if pick < *w {
            return day_start + hour * HOUR_MS + rng.gen_range(0..HOUR_MS);
        }
        pick -= w;
    }
    day_start + 12 * HOUR_MS
}

fn load_products(store: &Store, currency: Currency) -> Result<Vec<Product>> {
    store.read(|c| {
        // A big synthetic catalogue would make every product rare; a couple of thousand
        // products are what a shop really sells from.
        let mut s = c.prepare(
            "SELECT id, sku, name, name_zh, price_minor, tax_rate_bp, tax_inclusive, serialised FROM products
             WHERE active = 1 AND currency = ?1 AND price_minor > 0 ORDER BY serialised DESC, id LIMIT 2000",
        )?;
        let rows = s.query_map([currency.code()], |r| {
            Ok(Product {
                id: r.get(0)?,
                sku: r.get(1)?,
                name: r.get(2)?,
                name_zh: r.get(3)?,
                price: r.get(4)?,
                tax_bp: r.get(5)?,
                inclusive: r.get(6)?,
                serialised: r.get(7)?,
            })
        })?;
        Ok(rows.collect::<std::result::Result<_, _>>()?)
    })
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
            if !have.iter().any(|p| p.sku == format!("GEN-ITEM-{i}")) {
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

struct Ids {
    order: i64,
    line: i64,
    payment: i64,
    refund: i64,
}

fn next_ids(tx: &Transaction<'_>) -> Result<Ids> {
    let max = |t: &str| -> Result<i64> {
        Ok(tx.query_row(&format!("SELECT coalesce(max(id), 0) + 1 FROM {t}"), [], |r| r.get(0))?)
    };
    Ok(Ids { order: max("orders")?, line: max("order_lines")?, payment: max("payments")?, refund: max("refunds")? })
}

struct Ctx<'a> {
    spec: &'a GenerateSpec,
    products: &'a [Product],
    serialised: &'a [Product],
    plain: &'a [Product],
    cashiers: &'a [i64],
    customers: u64,
    /// Events queued after this are still pending (the till was offline at the end).
    pending_after_ms: i64,
}

struct Line {
    id: i64,
    qty: i64,
    net: i64,
    tax: i64,
    gross: i64,
}

/// Queues one outbox event: delivered, or pending when queued near the end, or now and then
/// parked (refused by the server) so the history shows every state.
#[allow(clippy::too_many_arguments)]
fn queue(
    event: &mut rusqlite::CachedStatement<'_>,
    rng: &mut StdRng,
    pending_after_ms: i64,
    id: String,
    kind: &str,
    subject: String,
    payload: String,
    t: i64,
) -> Result<()> {
    let parked = rng.gen_range(0..2_000) == 0;
    let (state, attempts, done, status, reason, err) = if parked {
        ("parked", 3, None, None, Some("the server refused the event"), Some("422 Unprocessable Entity"))
    } else if t > pending_after_ms {
        ("pending", 0, None, None, None, None)
    } else {
        ("done", 1, Some(t + 1_500), Some(201), None, None)
    };
    event.execute(params![
        id,
        kind,
        subject,
        payload,
        t,
        attempts,
        t,
        state,
        done,
        status,
        reason,
        if parked { Some(t + 60_000) } else { None },
        err
    ])?;
    Ok(())
}

fn write_order(
    tx: &Transaction<'_>,
    ctx: &Ctx<'_>,
    rng: &mut StdRng,
    ids: &mut Ids,
    at: i64,
    r: &mut GenerateReport,
) -> Result<()> {
    let cur = ctx.spec.currency.code();
    let order_id = ids.order;
    ids.order += 1;
    let cashier = ctx.cashiers[rng.gen_range(0..ctx.cashiers.len())];
    let customer = if rng.gen_bool(0.35) { Some(format!("CUS-{:08}", rng.gen_range(1..=ctx.customers))) } else { None };
    let n_lines = match rng.gen_range(0..100) {
        0..=34 => 1,
        35..=64 => 2,
        65..=82 => 3,
        83..=92 => 4,
        _ => 5,
    };
    let mut lines: Vec<Line> = Vec::with_capacity(n_lines);
    let mut line_stmt = tx.prepare_cached(
        "INSERT INTO order_lines (id, order_id, line_no, line_code, product_id, sku, name, name_zh, quantity, unit_price_minor,
                                  tax_rate_bp, tax_inclusive, net_minor, tax_minor, gross_minor, serial_number)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16)",
    )?;
    let mut pending_lines = Vec::with_capacity(n_lines);
    for line_no in 1..=n_lines as i64 {
        let serial = !ctx.serialised.is_empty() && (ctx.plain.is_empty() || rng.gen_bool(0.01));
        let p = if serial {
            &ctx.serialised[rng.gen_range(0..ctx.serialised.len())]
        } else {
            // Skewed: the first products of the list sell far more often than the last.
            let u: f64 = rng.gen();
            &ctx.plain[((u * u) * ctx.plain.len() as f64) as usize % ctx.plain.len()]
        };
        let qty = if p.serialised {
            1
        } else {
            match rng.gen_range(0..10) {
                0..=6 => 1,
                7 | 8 => 2,
                _ => 3,
            }
        };
        let (net, tax, gross) = line_amounts(p, qty);
        let id = ids.line;
        ids.line += 1;
        pending_lines.push((id, line_no, p, qty, net, tax, gross, if p.serialised { Some(imei(rng)) } else { None }));
        lines.push(Line { id, qty, net, tax, gross });
    }
    let subtotal: i64 = lines.iter().map(|l| l.net).sum();
    let tax: i64 = lines.iter().map(|l| l.tax).sum();
    let total: i64 = lines.iter().map(|l| l.gross).sum();
    tx.prepare_cached(
        "INSERT INTO orders (id, checkout_key, cashier_id, created_at_ms, currency, subtotal_minor, tax_minor, total_minor, line_count, customer_ref)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
    )?
    .execute(params![order_id, format!("gen-{order_id}"), cashier, at, cur, subtotal, tax, total, lines.len() as i64, customer])?;
    for (id, line_no, p, qty, net, tax, gross, serial) in pending_lines {
        line_stmt.execute(params![
            id,
            order_id,
            line_no,
            LineCode::generate(rng).as_str(),
            p.id,
            p.sku,
            p.name,
            p.name_zh,
            qty,
            p.price,
            p.tax_bp,
            p.inclusive,
            net,
            tax,
            gross,
            serial
        ])?;
    }
    r.lines += lines.len() as u64;

    // Payments: part in points for some loyalty customers, the rest in cash or by card.
    let mut pay = tx.prepare_cached(
        "INSERT INTO payments (id, order_id, tender, amount_minor, currency, tendered_minor, change_minor, card_masked, card_pan_hash,
                               card_brand, auth_code, reader, entry_mode, cvm)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)",
    )?;
    let mut rest = total;
    let mut redeemed = 0;
    if customer.is_some() && total >= 1_000 && rng.gen_bool(0.08) {
        redeemed = (total / 5).max(1);
        rest -= redeemed;
        pay.execute(params![
            ids.payment,
            order_id,
            "points",
            redeemed,
            cur,
            None::<i64>,
            None::<i64>,
            None::<String>,
            None::<String>,
            None::<String>,
            None::<String>,
            None::<String>,
            None::<String>,
            None::<String>
        ])?;
        ids.payment += 1;
        r.payments += 1;
    }
    let card = rng.gen_bool(0.55);
    if card {
        let (brand, bin) = BRANDS[rng.gen_range(0..BRANDS.len())];
        let masked = format!("{bin}******{:04}", rng.gen_range(0..10_000));
        let hash = format!("{:016x}{:016x}", rng.gen::<u64>(), rng.gen::<u64>());
        let auth = format!("{:06}", rng.gen_range(0..1_000_000));
        pay.execute(params![
            ids.payment,
            order_id,
            "card",
            rest,
            cur,
            None::<i64>,
            None::<i64>,
            masked,
            hash,
            brand,
            auth,
            "sim",
            "magstripe",
            "pin"
        ])?;
    } else {
        // Customers hand over round notes more often than the exact amount.
        let tendered = if rng.gen_bool(0.3) { rest } else { (rest + 999) / 1_000 * 1_000 };
        pay.execute(params![
            ids.payment,
            order_id,
            "cash",
            rest,
            cur,
            tendered,
            tendered - rest,
            None::<String>,
            None::<String>,
            None::<String>,
            None::<String>,
            None::<String>,
            None::<String>,
            None::<String>
        ])?;
    }
    ids.payment += 1;
    r.payments += 1;

    let mut points = tx.prepare_cached(
        "INSERT INTO points_ledger (customer_ref, order_id, refund_id, kind, points, status, created_at_ms) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    )?;
    let points_status = |rng: &mut StdRng| match rng.gen_range(0..100) {
        0 => "rejected",
        1..=4 => "pending",
        _ => "confirmed",
    };
    let earned = total / 100;
    if let Some(c) = &customer {
        if redeemed > 0 {
            points.execute(params![c, order_id, None::<i64>, "redeem", -redeemed, points_status(rng), at])?;
            r.points += 1;
        }
        if earned > 0 {
            points.execute(params![c, order_id, None::<i64>, "earn", earned, points_status(rng), at])?;
            r.points += 1;
        }
    }

    let mut event = tx.prepare_cached(
        "INSERT INTO outbox (id, kind, subject, payload, created_at_ms, attempts, next_attempt_at_ms, state, done_at_ms, response_status, parked_reason, parked_at_ms, last_error)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)",
    )?;
    queue(
        &mut event,
        rng,
        ctx.pending_after_ms,
        format!("gen-sale-{order_id}"),
        "sale.recorded",
        format!("order/{order_id}"),
        format!("{{\"order_id\":{order_id},\"total\":{total},\"currency\":\"{cur}\"}}"),
        at,
    )?;
    r.events += 1;

    // About 3 % of orders come back, in part or whole.
    let mut status = "paid";
    if rng.gen_bool(0.03) {
        let refund_id = ids.refund;
        ids.refund += 1;
        let when = at + rng.gen_range(HOUR_MS..10 * DAY_MS);
        let whole = rng.gen_bool(0.4);
        let mut picked: Vec<(i64, i64, i64, i64)> = Vec::new(); // line id, qty, amount, tax
        for l in &lines {
            if whole || rng.gen_bool(0.5) || (picked.is_empty() && l.id == lines[lines.len() - 1].id) {
                let q = if whole { l.qty } else { rng.gen_range(1..=l.qty) };
                picked.push((l.id, q, l.gross * q / l.qty, l.tax * q / l.qty));
            }
        }
        let amount: i64 = picked.iter().map(|p| p.2).sum();
        let rtax: i64 = picked.iter().map(|p| p.3).sum();
        let all_back = picked.len() == lines.len() && picked.iter().zip(&lines).all(|(p, l)| p.1 == l.qty);
        let tender = if card { "card" } else { "cash" };
        let rstatus = match rng.gen_range(0..100) {
            0..=1 => "refused",
            2..=9 => "pending",
            _ => "confirmed",
        };
        if amount > 0 {
            // Written pending first, so that a refused one gives its quantities back through
            // the same trigger the till's own refusal goes through.
            tx.prepare_cached(
                "INSERT INTO refunds (id, order_id, created_at_ms, cashier_id, tender, currency, amount_minor, tax_minor, reason, status)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, 'pending')",
            )?
            .execute(params![
                refund_id,
                order_id,
                when,
                cashier,
                tender,
                cur,
                amount,
                rtax,
                REASONS[rng.gen_range(0..REASONS.len())]
            ])?;
            let mut rl = tx.prepare_cached(
                "INSERT INTO refund_lines (refund_id, order_line_id, quantity, amount_minor, tax_minor) VALUES (?1, ?2, ?3, ?4, ?5)",
            )?;
            for (line_id, q, a, t) in &picked {
                rl.execute(params![refund_id, line_id, q, a, t])?;
            }
            if rstatus != "pending" {
                tx.prepare_cached("UPDATE refunds SET status = ?2 WHERE id = ?1")?
                    .execute(params![refund_id, rstatus])?;
            }
            r.refunds += 1;
            if rstatus != "refused" {
                status = if all_back { "refunded" } else { "partly_refunded" };
                if let (Some(c), true) = (&customer, earned > 0) {
                    let back = -(earned * amount / total.max(1));
                    if back < 0 {
                        points.execute(params![
                            c,
                            order_id,
                            refund_id,
                            "reverse-earn",
                            back,
                            points_status(rng),
                            when
                        ])?;
                        r.points += 1;
                    }
                }
            }
            queue(
                &mut event,
                rng,
                ctx.pending_after_ms,
                format!("gen-refund-{refund_id}"),
                "refund.recorded",
                format!("refund/{refund_id}"),
                format!("{{\"refund_id\":{refund_id},\"order_id\":{order_id},\"amount\":{amount}}}"),
                when,
            )?;
            r.events += 1;
        }
    }
    if status != "paid" {
        tx.prepare_cached("UPDATE orders SET status = ?2 WHERE id = ?1")?.execute(params![order_id, status])?;
    }
    r.orders += 1;
    Ok(())
}

/// Writes `spec.orders` orders with their lines, payments, refunds, points and events, calling
/// `progress(done, total)` after each batch. Needs at least one active cashier or manager.
pub fn generate(store: &Store, spec: &GenerateSpec, progress: &mut dyn FnMut(u64, u64)) -> Result<GenerateReport> {
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
    let serialised: Vec<Product> = products.iter().filter(|p| p.serialised).cloned().collect();
    let plain: Vec<Product> = products.iter().filter(|p| !p.serialised).cloned().collect();
    let end_ms = spec.start_ms + i64::from(spec.days) * DAY_MS;
    let ctx = Ctx {
        spec,
        products: &products,
        serialised: &serialised,
        plain: &plain,
        cashiers: &cashiers,
        customers: (spec.orders / 60).max(50),
        pending_after_ms: end_ms - DAY_MS / 2,
    };
    let _ = ctx.products;
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
    let mut done = 0u64;
    while done < spec.orders {
        let n = BATCH.min(spec.orders - done);
        let batch: Vec<i64> = times.by_ref().take(n as usize).collect();
        store.write(|tx| {
            let mut ids = next_ids(tx)?;
            for &at in &batch {
                write_order(tx, &ctx, &mut rng, &mut ids, at, &mut report)?;
            }
            Ok(())
        })?;
        done += n;
        progress(done, spec.orders);
    }
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;
    use till_core::Role;

    fn store() -> (tempfile::TempDir, Store) {
        let dir = tempfile::tempdir().unwrap();
        let s = Store::open(&dir.path().join("t.db")).unwrap();
        (dir, s)
    }

    fn spec(orders: u64) -> GenerateSpec {
        GenerateSpec { orders, seed: 3, start_ms: 1_700_000_000_000, days: 30, currency: Currency::CNY }
    }

    #[test]
    fn without_a_cashier_it_says_so() {
        let (_d, s) = store();
        let r = generate(&s, &spec(10), &mut |_, _| {});
        assert!(matches!(r, Err(StoreError::Invalid(m)) if m.contains("cashier")));
    }

    #[test]
    fn the_data_is_consistent() {
        let (_d, s) = store();
        s.write(|tx| crate::users::insert(tx, "Ann", Role::Cashier, "h", 0)).unwrap();
        let mut calls = Vec::new();
        let r = generate(&s, &GenerateSpec { orders: 12_345, ..spec(0) }, &mut |d, t| calls.push((d, t))).unwrap();
        assert_eq!(calls, [(10_000, 12_345), (12_345, 12_345)]);
        assert_eq!(r.orders, 12_345);
        assert!(r.refunds > 200 && r.refunds < 600, "about 3 %: {}", r.refunds);
        s.read(|c| {
            let q = |sql: &str| c.query_row(sql, [], |r| r.get::<_, i64>(0)).unwrap();
            // Totals are the sums of the lines; payments add up to the total.
            assert_eq!(q("SELECT count(*) FROM orders o WHERE total_minor <> (SELECT sum(gross_minor) FROM order_lines WHERE order_id = o.id)
                           OR subtotal_minor <> (SELECT sum(net_minor) FROM order_lines WHERE order_id = o.id)
                           OR tax_minor <> (SELECT sum(tax_minor) FROM order_lines WHERE order_id = o.id)
                           OR line_count <> (SELECT count(*) FROM order_lines WHERE order_id = o.id)"), 0);
            assert_eq!(q("SELECT count(*) FROM orders o WHERE total_minor <> (SELECT sum(amount_minor) FROM payments WHERE order_id = o.id)"), 0);
            // Refunded quantities are those of the refunds not refused.
            assert_eq!(q("SELECT count(*) FROM order_lines l WHERE refunded_quantity <> (SELECT coalesce(sum(rl.quantity), 0)
                           FROM refund_lines rl JOIN refunds r ON r.id = rl.refund_id WHERE rl.order_line_id = l.id AND r.status <> 'refused')"), 0);
            assert_eq!(q("SELECT count(*) FROM refunds r WHERE amount_minor <> (SELECT sum(amount_minor) FROM refund_lines WHERE refund_id = r.id)"), 0);
            assert_eq!(q("SELECT count(*) FROM orders o WHERE status <> 'paid' AND NOT EXISTS (SELECT 1 FROM refunds WHERE order_id = o.id AND status <> 'refused')"), 0);
            assert!(q("SELECT count(*) FROM refunds WHERE status = 'refused'") > 0);
            assert!(q("SELECT count(DISTINCT tender) FROM payments") == 3);
            assert!(q("SELECT count(DISTINCT substr(card_masked, -4)) FROM payments") > 1_000);
            assert_eq!(q("SELECT count(*) FROM outbox WHERE kind = 'sale.recorded'"), 12_345);
            assert!(q("SELECT count(*) FROM outbox WHERE state = 'pending'") > 0);
            // Ids follow time, as at a real till.
            assert_eq!(q("SELECT count(*) FROM orders a JOIN orders b ON b.id = a.id + 1 WHERE b.created_at_ms < a.created_at_ms"), 0);
            let serials: Vec<String> = c
                .prepare("SELECT serial_number FROM order_lines WHERE serial_number IS NOT NULL")?
                .query_map([], |r| r.get(0))?
                .collect::<std::result::Result<_, _>>()?;
            assert!(!serials.is_empty());
            assert!(serials.iter().all(|s| s.len() == 15 && luhn_ok(s)), "IMEIs pass Luhn");
            Ok(())
        })
        .unwrap();
        assert!(s.verify_audit().unwrap().ok);
        s.integrity_check().unwrap();
        // A second run adds to the first.
        generate(&s, &GenerateSpec { orders: 10, ..spec(0) }, &mut |_, _| {}).unwrap();
    }

    #[test]
    fn luhn() {
        assert!(luhn_ok("490154203237518"));
        assert!(!luhn_ok("490154203237517"));
        assert!(luhn_ok("4111111111111111"));
    }
}
