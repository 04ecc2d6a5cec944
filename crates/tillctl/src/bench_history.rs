//! `tillctl bench history --data-dir DIR [--rounds N]`: the back office's history filters on a
//! generated database (`tillctl demo generate`): for each filter, the first page (50 rows) N
//! times, p50/p95/p99, and the query plan SQLite chose.

use crate::bench::percentile;
use crate::error::CliError;
use std::path::Path;
use std::time::{Duration, Instant};
use till_store::history::{HistoryKind, HistoryQuery, HistoryRow, HistorySort};
use till_store::Store;

/// The first row of the history page `skip` pages deep, as a sample value to filter on.
fn pick(store: &Store, q: &HistoryQuery, skip: usize) -> Result<Option<HistoryRow>, CliError> {
    let mut cursor: Option<String> = None;
    for _ in 0..skip {
        match store.history_page(q, cursor.as_deref(), 50)?.next_cursor {
            Some(c) => cursor = Some(c),
            None => break,
        }
    }
    Ok(store.history_page(q, cursor.as_deref(), 1)?.rows.into_iter().next())
}

fn ms(d: Duration) -> String {
    format!("{:.2}", d.as_secs_f64() * 1000.0)
}

/// Runs the benchmark.
pub fn run(dir: &Path, rounds: usize) -> Result<(), CliError> {
    let store = Store::open(&dir.join("till.db"))?;
    let newest = pick(&store, &HistoryQuery::default(), 0)?
        .ok_or(CliError::Usage("no orders: run tillctl demo generate first"))?;
    // Samples from a few hundred orders back, so they are not all on the newest page.
    let card = pick(
        &store,
        &HistoryQuery { kind: HistoryKind::Payments, tender: Some("card".into()), ..Default::default() },
        20,
    )?;
    let customer = pick(&store, &HistoryQuery { customer: None, kind: HistoryKind::Points, ..Default::default() }, 20)?;
    let detail = store.read(|c| {
        let line: (String, String) = c.query_row(
            "SELECT line_code, sku FROM order_lines WHERE id = (SELECT max(id) / 2 FROM order_lines)",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )?;
        let serial: Option<String> = c.query_row(
            "SELECT serial_number FROM order_lines WHERE serial_number IS NOT NULL AND id > (SELECT max(id) / 3 FROM order_lines) LIMIT 1",
            [],
            |r| r.get(0),
        ).ok();
        let cashier: i64 = c.query_row("SELECT cashier_id FROM orders WHERE id = (SELECT max(id) / 2 FROM orders)", [], |r| r.get(0))?;
        Ok((line, serial, cashier))
    })?;
    let ((line_code, sku), serial, cashier) = detail;
    let last4 = card.and_then(|r| r.card_masked).map(|m| m[m.len().saturating_sub(4)..].to_string());
    let customer = customer.and_then(|r| r.customer_ref);
    let week = 7 * 86_400_000;
    let base = HistoryQuery::default();
    let cases: Vec<(String, HistoryQuery)> = vec![
        ("none".into(), base.clone()),
        (
            "date range: last week".into(),
            HistoryQuery { from_ms: Some(newest.at_ms - week), to_ms: Some(newest.at_ms + 1), ..base.clone() },
        ),
        ("cashier".into(), HistoryQuery { cashier_id: Some(cashier), ..base.clone() }),
        ("tender card".into(), HistoryQuery { tender: Some("card".into()), ..base.clone() }),
        ("status refunded".into(), HistoryQuery { status: Some("refunded".into()), ..base.clone() }),
        (
            "amount 500.00-1000.00".into(),
            HistoryQuery { min_amount_minor: Some(50_000), max_amount_minor: Some(100_000), ..base.clone() },
        ),
        ("card last4".into(), HistoryQuery { card_last4: last4.clone(), ..base.clone() }),
        ("customer".into(), HistoryQuery { customer: customer.clone(), ..base.clone() }),
        (format!("product {sku}"), HistoryQuery { product: Some(sku.clone()), ..base.clone() }),
        ("line code".into(), HistoryQuery { line_code: Some(line_code.clone()), ..base.clone() }),
        ("device id (IMEI)".into(), HistoryQuery { device_id: serial.clone(), ..base.clone() }),
        ("kind all".into(), HistoryQuery { kind: HistoryKind::All, ..base.clone() }),
        ("kind refunds".into(), HistoryQuery { kind: HistoryKind::Refunds, ..base.clone() }),
        ("sort amount".into(), HistoryQuery { sort: HistorySort::AmountDesc, ..base.clone() }),
        (
            "card last4 + last week".into(),
            HistoryQuery { card_last4: last4, from_ms: Some(newest.at_ms - 30 * week), ..base.clone() },
        ),
        ("kind all + customer".into(), HistoryQuery { kind: HistoryKind::All, customer, ..base.clone() }),
    ];
    println!("first page (50 rows), {rounds} runs each\n");
    println!("| filter | rows | p50 ms | p95 ms | p99 ms |\n|---|---|---|---|---|");
    let mut plans = Vec::new();
    for (name, q) in &cases {
        let mut samples = Vec::with_capacity(rounds);
        let mut rows = 0;
        for _ in 0..rounds {
            let t = Instant::now();
            let page = store.history_page(q, None, 50)?;
            samples.push(t.elapsed());
            rows = page.rows.len();
        }
        samples.sort();
        println!(
            "| {name} | {rows} | {} | {} | {} |",
            ms(percentile(&samples, 0.5)),
            ms(percentile(&samples, 0.95)),
            ms(percentile(&samples, 0.99))
        );
        plans.push((name, store.history_plan(q, 50)?));
    }
    reports(&store, rounds)?;
    refund_lookups(&store, rounds.max(1) * 30)?;
    println!("\nquery plans:");
    for (name, plan) in plans {
        println!("\n{name}:");
        for l in plan {
            println!("    {l}");
        }
    }
    Ok(())
}

/// The end-of-day report of the busiest day (what its Z computes and freezes), the charts of the
/// last 30 days by day, and the X report of a till that was never closed (every order at once).
fn reports(store: &Store, rounds: usize) -> Result<(), CliError> {
    const DAY_MS: i64 = 86_400_000;
    let (day, orders) = store.read(|c| {
        Ok(c.query_row(
            "SELECT created_at_ms / 86400000 AS d, count(*) AS n FROM orders GROUP BY d ORDER BY n DESC LIMIT 1",
            [],
            |r| Ok((r.get::<_, i64>(0)?, r.get::<_, i64>(1)?)),
        )?)
    })?;
    let (lo, hi) = (day * DAY_MS - 1, (day + 1) * DAY_MS - 1);
    let time = |f: &dyn Fn() -> Result<(), CliError>| -> Result<Vec<Duration>, CliError> {
        let mut samples = Vec::with_capacity(rounds);
        for _ in 0..rounds {
            let t = Instant::now();
            f()?;
            samples.push(t.elapsed());
        }
        samples.sort();
        Ok(samples)
    };
    let z = time(&|| store.period_report(lo, hi).map(|_| ()).map_err(CliError::from))?;
    let newest =
        store.read(|c| Ok(c.query_row("SELECT max(created_at_ms) FROM orders", [], |r| r.get::<_, i64>(0))?))?;
    let charts =
        time(&|| store.chart_data(newest - 30 * DAY_MS, newest + 1, "day", 0).map(|_| ()).map_err(CliError::from))?;
    let t = Instant::now();
    let all = store.x_report(newest + 1)?;
    let never_closed = t.elapsed();
    println!("\nreports, {rounds} runs each\n");
    println!("| report | p50 ms | p95 ms | p99 ms |\n|---|---|---|---|");
    for (name, s) in
        [(format!("Z of the busiest day ({orders} orders)"), &z), ("charts, 30 days by day".into(), &charts)]
    {
        println!("| {name} | {} | {} | {} |", ms(percentile(s, 0.5)), ms(percentile(s, 0.95)), ms(percentile(s, 0.99)));
    }
    println!("| X of a till never closed ({} orders), once | {} | | |", all.orders, ms(never_closed));
    Ok(())
}

/// The refund screen's lookups: the sale behind a random line code, and behind a random sold
/// device's identifier, each one a different order spread over the whole history.
fn refund_lookups(store: &Store, n: usize) -> Result<(), CliError> {
    let (codes, serials) = store.read(|c| {
        let sample = |sql: &str| -> till_store::Result<Vec<String>> {
            let mut s = c.prepare(sql)?;
            let rows = s.query_map([n as i64], |r| r.get(0))?;
            Ok(rows.collect::<Result<_, _>>()?)
        };
        Ok((
            sample("SELECT line_code FROM order_lines WHERE id IN (SELECT abs(random()) % (SELECT max(id) FROM order_lines) + 1 FROM generate_series(1, ?1))")
                .or_else(|_| sample("SELECT line_code FROM order_lines ORDER BY random() LIMIT ?1"))?,
            sample("SELECT serial_number FROM order_lines WHERE serial_number IS NOT NULL ORDER BY random() LIMIT ?1")?,
        ))
    })?;
    let time = |keys: &[String], f: &dyn Fn(&str) -> till_store::Result<Option<till_store::RefundableOrder>>| {
        let mut samples = Vec::with_capacity(keys.len());
        let mut found = 0;
        for k in keys {
            let t = Instant::now();
            found += usize::from(f(k)?.is_some());
            samples.push(t.elapsed());
        }
        samples.sort();
        Ok::<_, CliError>((samples, found))
    };
    let (by_code, hits_code) = time(&codes, &|k| store.refund_find_by_line_code(k))?;
    let (by_device, hits_device) = time(&serials, &|k| store.refund_find_by_device(k))?;
    println!("\nrefund lookups (sale with its lines), random keys\n");
    println!("| lookup | lookups | found | p50 ms | p99 ms |\n|---|---|---|---|---|");
    for (name, s, found) in [("by line code", &by_code, hits_code), ("by device identifier", &by_device, hits_device)] {
        println!("| {name} | {} | {found} | {} | {} |", s.len(), ms(percentile(s, 0.5)), ms(percentile(s, 0.99)));
    }
    Ok(())
}
