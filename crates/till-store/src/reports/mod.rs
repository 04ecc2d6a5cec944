//! End-of-day reports: the X report (the open period so far, changes nothing) and the Z report
//! (closes the period as a business date, freezes the report, and from then on the database
//! refuses any change to that period's sales; see `migrations/0008_day_close.sql`).
//!
//! A period is `(from_ms, to_ms]`: from the end of the last close (exclusive) to now or the
//! close. Sales are booked on the day of the order, refunds and points on the day they were
//! made, so refunding an old sale lowers today's figures and never a closed day's.

use crate::{audit, Result, Store, StoreError};
use rusqlite::{params, Connection, OptionalExtension, Transaction};
use serde::{Deserialize, Serialize};
use serde_json::json;
use std::collections::BTreeMap;
use till_core::{Currency, Money};
use ts_rs::TS;

/// Which report: X (a look at the open period) or Z (the close of a day).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum ReportKind {
    /// The open period so far; nothing is changed.
    X,
    /// A closed day, frozen when it was closed.
    Z,
}

/// Sales and refunds of one tender (cash, card, points).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct TenderTotals {
    /// `cash`, `card` or `points`.
    pub tender: String,
    /// What the orders of the period were paid with this tender (change already given back).
    pub sales: Money,
    /// Refunds of the period paid out with this tender.
    pub refunds: Money,
    /// `sales - refunds`.
    pub net: Money,
    /// Number of sale payments with this tender (refunds are not counted here).
    #[ts(type = "number")]
    pub count: i64,
}

/// Amounts at one tax rate.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct TaxSummary {
    /// The rate in basis points (1300 = 13 %).
    #[ts(type = "number")]
    pub rate_bp: i64,
    /// Sold lines before tax.
    pub net: Money,
    /// Tax on the sold lines.
    pub tax: Money,
    /// Sold lines including tax.
    pub gross: Money,
    /// Tax given back by the period's refunds of lines at this rate.
    pub refunds_tax: Money,
}

/// One cashier's share of the period.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct CashierTotals {
    /// User id.
    #[ts(type = "number")]
    pub cashier_id: i64,
    /// User name.
    pub name: String,
    /// Orders rung up.
    #[ts(type = "number")]
    pub orders: i64,
    /// Their total.
    pub sales: Money,
    /// Refunds this cashier made.
    pub refunds: Money,
}

/// A refund of a device sold at another till, asked for at this till in the period: listed
/// apart, since no money moved through this drawer (the server pays the account that paid).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct RemoteRefundEntry {
    /// Printed number (`RR000001`).
    pub refund_no: String,
    /// The device's identifier.
    pub identifier: String,
    /// Its price, as the server said.
    pub amount: Money,
    /// `pending`, `awaiting_seller`, `confirmed` or `refused`.
    pub status: String,
}

/// An X or Z report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct DayReport {
    /// X or Z.
    pub kind: ReportKind,
    /// The close, for a Z report.
    #[ts(type = "number | null")]
    pub close_id: Option<i64>,
    /// The business date closed, for a Z report.
    pub business_date: Option<String>,
    /// Start of the period (exclusive): the end of the last close, or just before the first
    /// order when nothing was closed yet.
    #[ts(type = "number")]
    pub from_ms: i64,
    /// End of the period (inclusive): now, or the moment of the close.
    #[ts(type = "number")]
    pub to_ms: i64,
    /// When the report was made.
    #[ts(type = "number")]
    pub generated_at_ms: i64,
    /// Orders in the period.
    #[ts(type = "number")]
    pub orders: i64,
    /// Refunds in the period that were not refused.
    #[ts(type = "number")]
    pub refunds_count: i64,
    /// Sum of the orders' totals.
    pub sales: Money,
    /// Sum of the refunds made in the period (not refused).
    pub refunds: Money,
    /// `sales - refunds`.
    pub net: Money,
    /// Per tender, sorted by tender name.
    pub tenders: Vec<TenderTotals>,
    /// Per tax rate, ascending.
    pub taxes: Vec<TaxSummary>,
    /// Per cashier, by id.
    pub cashiers: Vec<CashierTotals>,
    /// Points earned (entries of kind `earn` not rejected).
    #[ts(type = "number")]
    pub points_issued: i64,
    /// Points redeemed (entries of kind `redeem` not rejected), as a positive number.
    #[ts(type = "number")]
    pub points_redeemed: i64,
    /// Cash that should be in the drawer: cash sales (change already given back) minus cash
    /// refunds.
    pub cash_expected: Money,
    /// Refunds of devices sold at other tills asked for here in the period (apart: they move
    /// no money through this drawer).
    #[serde(default)]
    pub remote_refunds: Vec<RemoteRefundEntry>,
    /// Z only: the cash the manager counted.
    pub cash_counted: Option<Money>,
    /// Z only: `counted - expected` (negative = cash missing).
    pub cash_difference: Option<Money>,
    /// Z only: the manager who closed the day.
    pub closed_by: Option<String>,
}

/// A closed day in the list of closes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct ClosedDay {
    /// Close id (for [`Store::closed_day`]).
    #[ts(type = "number")]
    pub close_id: i64,
    /// The business date closed.
    pub business_date: String,
    /// When it was closed.
    #[ts(type = "number")]
    pub closed_at_ms: i64,
    /// Who closed it.
    pub closed_by: String,
    /// The day's net sales.
    pub net: Money,
    /// Cash counted minus cash expected.
    pub cash_difference: Money,
}

fn corrupt(what: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt(what.to_string())
}

fn parse_currency(code: &str) -> Result<Currency> {
    Currency::parse(code).map_err(|e| corrupt(format!("stored currency: {e}")))
}

/// The end of the last close (exclusive start of the open period) and its business date.
fn last_close(c: &Connection) -> Result<Option<(i64, String, String)>> {
    Ok(c.query_row(
        "SELECT to_ms, business_date, currency FROM day_closes ORDER BY to_ms DESC, id DESC LIMIT 1",
        [],
        |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
    )
    .optional()?)
}

/// The single currency of the period's orders and refunds; `fallback` when there are none.
/// Two currencies in one period cannot be added up, so that is reported as damage.
fn period_currency(c: &Connection, lo: i64, hi: i64, fallback: Currency) -> Result<Currency> {
    let codes: Vec<String> = c
        .prepare_cached(
            "SELECT currency FROM orders WHERE created_at_ms > ?1 AND created_at_ms <= ?2
             UNION SELECT currency FROM refunds WHERE created_at_ms > ?1 AND created_at_ms <= ?2",
        )?
        .query_map(params![lo, hi], |r| r.get(0))?
        .collect::<std::result::Result<_, _>>()?;
    match codes.as_slice() {
        [] => Ok(fallback),
        [one] => parse_currency(one),
        many => Err(corrupt(format!("the period holds several currencies ({})", many.join(", ")))),
    }
}

fn money(minor: i64, cur: Currency) -> Money {
    Money::new(minor, cur)
}

fn sub(a: Money, b: Money) -> Result<Money> {
    Ok(a.checked_sub(b)?)
}

mod compute;
mod lines;
use compute::compute;
pub use lines::report_lines;

/// True when `s` is a real calendar date written `YYYY-MM-DD`, from 1970 on.
pub fn is_business_date(s: &str) -> bool {
    till_core::calendar::parse_utc_date(s).is_some_and(|ms| ms >= 0)
}

fn close_in(
    tx: &Transaction<'_>,
    business_date: &str,
    cash_counted: Money,
    actor_id: i64,
    now_ms: i64,
) -> Result<DayReport> {
    if !is_business_date(business_date) {
        return Err(StoreError::Invalid(format!(
            "{business_date:?} is not a date; write the business date as YYYY-MM-DD, e.g. 2026-12-04"
        )));
    }
    if cash_counted.minor() < 0 {
        return Err(StoreError::Invalid("the cash counted cannot be negative".into()));
    }
    let already: Option<i64> =
        tx.query_row("SELECT id FROM day_closes WHERE business_date = ?1", [business_date], |r| r.get(0)).optional()?;
    if let Some(id) = already {
        return Err(StoreError::Conflict(format!("{business_date} is already closed (close {id})")));
    }
    let last = last_close(tx)?;
    let lo = match &last {
        Some((to_ms, date, _)) => {
            if business_date < date.as_str() {
                return Err(StoreError::Invalid(format!(
                    "{business_date} is before the last closed day {date}; close a later date"
                )));
            }
            if now_ms <= *to_ms {
                return Err(StoreError::Invalid(
                    "the clock is at or before the last close; check the till's date and time".into(),
                ));
            }
            *to_ms
        }
        None => 0,
    };
    let cur = period_currency(tx, lo, now_ms, cash_counted.currency())?;
    if cur != cash_counted.currency() {
        return Err(StoreError::Invalid(format!(
            "the cash counted is in {} but the day's sales are in {cur}",
            cash_counted.currency()
        )));
    }
    let closed_by = crate::users::get(tx, actor_id)?.name;
    let close_id: i64 = tx.query_row("SELECT coalesce(max(id), 0) + 1 FROM day_closes", [], |r| r.get(0))?;
    let mut report = compute(tx, lo, now_ms, cur, now_ms)?;
    report.kind = ReportKind::Z;
    report.close_id = Some(close_id);
    report.business_date = Some(business_date.to_string());
    report.cash_counted = Some(cash_counted);
    let difference = cash_counted.checked_sub(report.cash_expected)?;
    report.cash_difference = Some(difference);
    report.closed_by = Some(closed_by);
    let frozen = serde_json::to_string(&report).map_err(|e| corrupt(format!("report to JSON: {e}")))?;
    // The id is chosen here rather than by SQLite because the frozen JSON must carry it and the
    // row can never be updated afterwards; the IMMEDIATE transaction holds the write lock.
    tx.execute(
        "INSERT INTO day_closes (id, business_date, from_ms, to_ms, closed_at_ms, closed_by, cash_counted_minor, currency, report_json)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
        params![close_id, business_date, lo, now_ms, now_ms, actor_id, cash_counted.minor(), cur.code(), frozen],
    )?;
    audit::append(
        tx,
        now_ms,
        Some(actor_id),
        "day.closed",
        &json!({
            "close_id": close_id,
            "business_date": business_date,
            "from_ms": lo,
            "to_ms": now_ms,
            "currency": cur.code(),
            "orders": report.orders,
            "net": report.net.minor(),
            "cash_expected": report.cash_expected.minor(),
            "cash_counted": cash_counted.minor(),
            "cash_difference": difference.minor(),
        }),
    )?;
    Ok(report)
}

impl Store {
    /// The X report: the open period from the end of the last close to `now_ms`. Changes nothing.
    /// With nothing sold yet its money is in the currency of the last close (else CNY).
    pub fn x_report(&self, now_ms: i64) -> Result<DayReport> {
        self.read(|c| {
            let last = last_close(c)?;
            let lo = last.as_ref().map_or(0, |l| l.0);
            let fallback = match &last {
                Some((_, _, code)) => parse_currency(code)?,
                None => Currency::CNY,
            };
            let cur = period_currency(c, lo, now_ms, fallback)?;
            compute(c, lo, now_ms, cur, now_ms)
        })
    }

    /// The report a Z would freeze for (`from_ms`, `to_ms`], computed without closing anything:
    /// what the benchmark times for a busy day, whatever closes the database has.
    pub fn period_report(&self, from_ms: i64, to_ms: i64) -> Result<DayReport> {
        if from_ms >= to_ms {
            return Err(StoreError::Invalid("the period's start must be before its end".into()));
        }
        self.read(|c| {
            let cur = period_currency(c, from_ms, to_ms, Currency::CNY)?;
            compute(c, from_ms, to_ms, cur, to_ms)
        })
    }

    /// The Z report: closes the open period up to `now_ms` as `business_date` (`YYYY-MM-DD`) with
    /// the cash the manager counted, in one transaction with its `day.closed` audit entry.
    /// From then on the period's sales, lines and payments cannot change.
    ///
    /// A bad or earlier date, a negative count or a count in another currency is
    /// [`StoreError::Invalid`]; a date already closed is [`StoreError::Conflict`].
    pub fn close_day(&self, business_date: &str, cash_counted: Money, actor_id: i64, now_ms: i64) -> Result<DayReport> {
        self.write(|tx| close_in(tx, business_date, cash_counted, actor_id, now_ms))
    }

    /// The most recent closes, newest first, at most `limit` (1 to 10,000).
    pub fn closed_days(&self, limit: u32) -> Result<Vec<ClosedDay>> {
        let limit = limit.clamp(1, 10_000);
        self.read(|c| {
            let mut st = c.prepare_cached(
                "SELECT d.id, d.business_date, d.closed_at_ms, u.name, d.currency,
                        json_extract(d.report_json, '$.net.minor'), json_extract(d.report_json, '$.cashDifference.minor')
                 FROM day_closes d JOIN users u ON u.id = d.closed_by
                 ORDER BY d.to_ms DESC, d.id DESC LIMIT ?1",
            )?;
            let rows = st.query_map([limit], |r| {
                Ok((
                    r.get::<_, i64>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, i64>(2)?,
                    r.get::<_, String>(3)?,
                    r.get::<_, String>(4)?,
                    r.get::<_, Option<i64>>(5)?,
                    r.get::<_, Option<i64>>(6)?,
                ))
            })?;
            rows.map(|row| {
                let (close_id, business_date, closed_at_ms, closed_by, code, net, diff) = row?;
                let cur = parse_currency(&code)?;
                let (Some(net), Some(diff)) = (net, diff) else {
                    return Err(corrupt(format!("close {close_id} has an unreadable report")));
                };
                Ok(ClosedDay {
                    close_id,
                    business_date,
                    closed_at_ms,
                    closed_by,
                    net: money(net, cur),
                    cash_difference: money(diff, cur),
                })
            })
            .collect()
        })
    }

    /// A closed day's Z report exactly as it was frozen when the day was closed.
    pub fn closed_day(&self, close_id: i64) -> Result<DayReport> {
        self.read(|c| {
            let json: String = c
                .query_row("SELECT report_json FROM day_closes WHERE id = ?1", [close_id], |r| r.get(0))
                .optional()?
                .ok_or(StoreError::NotFound("closed day"))?;
            serde_json::from_str(&json).map_err(|e| corrupt(format!("close {close_id}: {e}")))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn business_dates_are_real_calendar_dates() {
        for ok in ["2026-12-04", "2028-02-29", "2000-02-29", "2026-01-31", "2026-04-30"] {
            assert!(is_business_date(ok), "{ok}");
        }
        for bad in [
            "2026-02-29",
            "2100-02-29",
            "2026-02-30",
            "2026-04-31",
            "2026-00-01",
            "2026-12-00",
            "+026-12-04",
            "2026-1-04",
        ] {
            assert!(!is_business_date(bad), "{bad}");
        }
    }

    #[test]
    fn times_print_in_utc() {
        assert_eq!(
            till_core::calendar::utc_minute(1_764_806_400_000 + 13 * 3_600_000 + 5 * 60_000),
            "2025-12-04 13:05 UTC"
        );
        assert_eq!(till_core::calendar::utc_minute(0), "1970-01-01 00:00 UTC");
    }
}
