//! Sales charts for the back office: sales per hour, day or week in the till's local time,
//! beside the same buckets of the period just before, the top products and the refund rate.
//!
//! Orders are summed per local hour in SQL over the `orders_by_time` index (at most 31 × 24 or
//! 400 × 24 rows come back) and the hours are folded into days or weeks here, so a busy year
//! is still one indexed range scan.

use crate::{Result, Store, StoreError};
use rusqlite::{params, Connection};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use till_core::{Currency, Money};
use ts_rs::TS;

const HOUR_MS: i64 = 3_600_000;
const DAY_MS: i64 = 24 * HOUR_MS;
/// Longest range of hour buckets, in days.
pub const MAX_HOUR_DAYS: i64 = 31;
/// Longest range of day or week buckets, in days.
pub const MAX_DAYS: i64 = 400;

/// One bucket of the chart.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct ChartPoint {
    /// Start of the bucket (UTC ms; the bucket is aligned in local time).
    #[ts(type = "number")]
    pub start_ms: i64,
    /// Local label: `2026-12-04 13:00` (hour), `2026-12-04` (day), `W 2026-11-30` (week of that Monday).
    pub label: String,
    /// Sum of the orders' totals in the bucket (within the asked range).
    pub sales: Money,
    /// Orders in the bucket.
    #[ts(type = "number")]
    pub orders: i64,
    /// Sales of the same bucket one period earlier (the period has the asked range's length).
    pub previous_sales: Money,
}

/// A best-selling product of the range.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct TopProduct {
    /// SKU.
    pub sku: String,
    /// Name (as sold most recently).
    pub name: String,
    /// Units sold.
    #[ts(type = "number")]
    pub quantity: i64,
    /// Gross amount of its lines.
    pub sales: Money,
}

/// Everything the charts screen shows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct ChartData {
    /// `hour`, `day` or `week`.
    pub bucket: String,
    /// Buckets in time order, empty ones included.
    pub points: Vec<ChartPoint>,
    /// The ten best-selling products by gross sales.
    pub top_products: Vec<TopProduct>,
    /// Sales of the range (the sum of the points).
    pub total_sales: Money,
    /// Sales of the period just before, of the same length.
    pub previous_total_sales: Money,
    /// Refunds made in the range (not refused) per 10,000 of sales; 0 without sales.
    #[ts(type = "number")]
    pub refund_rate_bp: i64,
    /// The same for the previous period.
    #[ts(type = "number")]
    pub previous_refund_rate_bp: i64,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Bucket {
    Hour,
    Day,
    Week,
}

impl Bucket {
    /// Local start of the bucket holding local time `t`.
    fn floor(self, t: i64) -> i64 {
        match self {
            Bucket::Hour => t.div_euclid(HOUR_MS) * HOUR_MS,
            Bucket::Day => t.div_euclid(DAY_MS) * DAY_MS,
            // 1970-01-01 was a Thursday; weeks start on Monday, 3 days earlier (ISO 8601).
            Bucket::Week => (t + 3 * DAY_MS).div_euclid(7 * DAY_MS) * 7 * DAY_MS - 3 * DAY_MS,
        }
    }

    fn next(self, start: i64) -> i64 {
        start
            + match self {
                Bucket::Hour => HOUR_MS,
                Bucket::Day => DAY_MS,
                Bucket::Week => 7 * DAY_MS,
            }
    }

    fn label(self, local_start: i64) -> String {
        let (y, m, d) = till_core::calendar::civil_from_days(local_start.div_euclid(DAY_MS));
        match self {
            Bucket::Hour => format!("{y:04}-{m:02}-{d:02} {:02}:00", local_start.rem_euclid(DAY_MS) / HOUR_MS),
            Bucket::Day => format!("{y:04}-{m:02}-{d:02}"),
            Bucket::Week => format!("W {y:04}-{m:02}-{d:02}"),
        }
    }
}

/// Sales and order counts per local hour of `[from, to)`, each order placed `shift` ms later
/// (so the previous period lands on the current period's hours).
fn hourly(c: &Connection, from: i64, to: i64, shift_plus_offset: i64) -> Result<Vec<(i64, i64, i64)>> {
    let mut st = c.prepare_cached(
        "SELECT (created_at_ms + ?3) / 3600000, sum(total_minor), count(*) FROM orders
         WHERE created_at_ms >= ?1 AND created_at_ms < ?2 GROUP BY 1",
    )?;
    let rows = st.query_map(params![from, to, shift_plus_offset], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?;
    Ok(rows.collect::<std::result::Result<_, _>>()?)
}

fn refunds_in(c: &Connection, from: i64, to: i64) -> Result<i64> {
    Ok(c.prepare_cached(
        "SELECT coalesce(sum(amount_minor - refused_minor), 0) FROM refunds
         WHERE created_at_ms >= ?1 AND created_at_ms < ?2",
    )?
    .query_row(params![from, to], |r| r.get(0))?)
}

fn rate_bp(refunds: i64, sales: i64) -> i64 {
    if sales <= 0 {
        return 0;
    }
    // i128: refunds × 10,000 may not fit in i64 for huge amounts.
    (i128::from(refunds) * 10_000 / i128::from(sales)) as i64
}

fn currency_of(c: &Connection, from: i64, to: i64) -> Result<Currency> {
    let codes: Vec<String> = c
        .prepare_cached("SELECT DISTINCT currency FROM orders WHERE created_at_ms >= ?1 AND created_at_ms < ?2")?
        .query_map(params![from, to], |r| r.get(0))?
        .collect::<std::result::Result<_, _>>()?;
    match codes.as_slice() {
        [] => Ok(Currency::CNY),
        [one] => Currency::parse(one).map_err(|e| StoreError::Corrupt(format!("stored currency: {e}"))),
        many => Err(StoreError::Corrupt(format!("the range holds several currencies ({})", many.join(", ")))),
    }
}

impl Store {
    /// Chart data of `[from_ms, to_ms)` in buckets of `bucket` (`hour`, `day`, `week`) aligned in
    /// local time (`utc_offset_minutes` east of UTC), with the period of the same length just
    /// before. Hour buckets cover at most 31 days, day and week buckets at most 400.
    pub fn chart_data(&self, from_ms: i64, to_ms: i64, bucket: &str, utc_offset_minutes: i32) -> Result<ChartData> {
        let b = match bucket {
            "hour" => Bucket::Hour,
            "day" => Bucket::Day,
            "week" => Bucket::Week,
            other => {
                return Err(StoreError::Invalid(format!("unknown bucket {other:?}; use hour, day or week")));
            }
        };
        if from_ms < 0 || from_ms >= to_ms {
            return Err(StoreError::Invalid("the chart's start must be before its end".into()));
        }
        let max_days = if b == Bucket::Hour { MAX_HOUR_DAYS } else { MAX_DAYS };
        if to_ms - from_ms > max_days * DAY_MS {
            return Err(StoreError::Invalid(format!(
                "{bucket} buckets cover at most {max_days} days; choose a shorter range or a larger bucket"
            )));
        }
        if !(-14 * 60..=14 * 60).contains(&utc_offset_minutes) {
            return Err(StoreError::Invalid("the UTC offset must be between -14:00 and +14:00".into()));
        }
        let off = i64::from(utc_offset_minutes) * 60_000;
        let len = to_ms - from_ms;
        let prev_from = from_ms - len;

        self.read(|c| {
            let cur = currency_of(c, from_ms, to_ms)?;
            let m = |minor: i64| Money::new(minor, cur);
            // Local bucket start -> (sales, orders, previous sales).
            let mut buckets: BTreeMap<i64, (i64, i64, i64)> = BTreeMap::new();
            let mut start = b.floor(from_ms + off);
            while start < to_ms + off {
                buckets.insert(start, (0, 0, 0));
                start = b.next(start);
            }
            let mut total = 0i64;
            for (hour, sales, n) in hourly(c, from_ms, to_ms, off)? {
                let e = buckets.entry(b.floor(hour * HOUR_MS)).or_default();
                e.0 += sales;
                e.1 += n;
                total += sales;
            }
            let mut prev_total = 0i64;
            // Previous-period orders are moved forward by the period's length, so each lands in
            // the bucket it corresponds to; a non-empty order keeps the sum exact.
            for (hour, sales, _) in hourly(c, prev_from, from_ms, off + len)? {
                if let Some(e) = buckets.get_mut(&b.floor(hour * HOUR_MS)) {
                    e.2 += sales;
                }
                prev_total += sales;
            }
            let points = buckets
                .into_iter()
                .map(|(local, (s, n, p))| ChartPoint {
                    start_ms: local - off,
                    label: b.label(local),
                    sales: m(s),
                    orders: n,
                    previous_sales: m(p),
                })
                .collect();
            let mut st = c.prepare_cached(
                // With exactly one max() SQLite takes the bare l.name from the row of max(l.id): the
                // name the product was last sold under.
                "SELECT l.sku, l.name, sum(l.quantity), sum(l.gross_minor), max(l.id)
                 FROM orders o JOIN order_lines l ON l.order_id = o.id
                 WHERE o.created_at_ms >= ?1 AND o.created_at_ms < ?2
                 GROUP BY l.sku ORDER BY 4 DESC, l.sku LIMIT 10",
            )?;
            let top_products = st
                .query_map(params![from_ms, to_ms], |r| {
                    Ok(TopProduct { sku: r.get(0)?, name: r.get(1)?, quantity: r.get(2)?, sales: m(r.get(3)?) })
                })?
                .collect::<std::result::Result<_, _>>()?;
            let refunds = refunds_in(c, from_ms, to_ms)?;
            let prev_refunds = refunds_in(c, prev_from, from_ms)?;
            Ok(ChartData {
                bucket: bucket.to_string(),
                points,
                top_products,
                total_sales: m(total),
                previous_total_sales: m(prev_total),
                refund_rate_bp: rate_bp(refunds, total),
                previous_refund_rate_bp: rate_bp(prev_refunds, prev_total),
            })
        })
    }
}
