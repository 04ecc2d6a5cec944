//! The back office's history: orders, payments, refunds, points and sync events, filtered and
//! paged newest first (or by amount), fast on a million orders.
//!
//! Paging is by keyset, not offset: the opaque cursor holds the last row's sort key, kind and id,
//! and the next page starts strictly after it. So page 400 costs what page 1 costs, and rows
//! written meanwhile neither repeat nor shift a page.
//!
//! How a page is found: filters on the order (card last four, product, line code, serial number,
//! customer, order number) are sets of order ids. Before the page query each such set is counted
//! up to [`DRIVER_CAP`] through its index; the smallest set under the cap *drives* the query
//! (`order_id IN (set)`, a few thousand rows sorted at most) and every other filter is checked
//! per row (`EXISTS`). When no set is small, the rows are walked in sort order through an index
//! (time, or amount) and checked one by one, which stops after the page is full: a dense filter
//! fills a page quickly. The indexes are in migration 9; the figures in docs/performance.md.
//! The page query selects only (kind, sort key, time, id); the ≤ limit rows shown are then read
//! one by one, so no detail is computed for rows that are only sorted.

use crate::{Result, Store, StoreError};
use rusqlite::{params_from_iter, OptionalExtension};
use serde::{Deserialize, Serialize};
use till_core::{Currency, LineCode, Money};
use ts_rs::TS;

/// A set filter with at most this many orders drives the page query; above it, rows are walked
/// in sort order and checked. About √(50 · 1,000,000): the cost of sorting the set and the cost
/// of walking past non-matching rows meet there.
pub const DRIVER_CAP: i64 = 6_000;

/// The largest page.
pub const MAX_LIMIT: u32 = 500;

/// What the history lists.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum HistoryKind {
    /// Every kind below, merged in sort order.
    All,
    /// Sales.
    #[default]
    Orders,
    /// Payments of sales.
    Payments,
    /// Refunds.
    Refunds,
    /// Loyalty points changes.
    Points,
    /// Outbox events (delivery to the server).
    Sync,
}

/// The order of the rows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum HistorySort {
    /// Newest first.
    #[default]
    Newest,
    /// Oldest first.
    Oldest,
    /// Largest amount first.
    AmountDesc,
    /// Smallest amount first.
    AmountAsc,
}

/// The filters of the history screen; every field is optional from the UI.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase", default)]
pub struct HistoryQuery {
    /// What to list.
    pub kind: HistoryKind,
    /// In which order.
    pub sort: HistorySort,
    /// From this time (inclusive), ms since the epoch.
    #[ts(type = "number | null")]
    pub from_ms: Option<i64>,
    /// Until this time (exclusive), ms since the epoch.
    #[ts(type = "number | null")]
    pub to_ms: Option<i64>,
    /// The cashier who sold (or refunded).
    #[ts(type = "number | null")]
    pub cashier_id: Option<i64>,
    /// `cash`, `card` or `points`.
    pub tender: Option<String>,
    /// Order: paid|refunded|partly_refunded; refund: pending|confirmed|refused; sync:
    /// pending|sent|dead; points: pending|confirmed|rejected.
    pub status: Option<String>,
    /// Smallest amount, minor units.
    #[ts(type = "number | null")]
    pub min_amount_minor: Option<i64>,
    /// Largest amount, minor units.
    #[ts(type = "number | null")]
    pub max_amount_minor: Option<i64>,
    /// The last four digits of the card.
    pub card_last4: Option<String>,
    /// A loyalty customer reference, exact.
    pub customer: Option<String>,
    /// A product's SKU or barcode (exact) or the start of its name.
    pub product: Option<String>,
    /// A receipt line code, exact (hyphens and case ignored).
    pub line_code: Option<String>,
    /// A serial number / IMEI sold on a line, exact.
    pub device_id: Option<String>,
    /// An order number or id, exact.
    pub order_no: Option<String>,
}

/// One row of the history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct HistoryRow {
    /// The kind of this row (never `All`).
    pub kind: HistoryKind,
    /// Id within its kind (order, payment, refund, ledger id; sync rows use the outbox rowid).
    #[ts(type = "number")]
    pub id: i64,
    /// The order it belongs to.
    #[ts(type = "number | null")]
    pub order_id: Option<i64>,
    /// That order's printed number.
    pub order_no: Option<String>,
    /// When, ms since the epoch.
    #[ts(type = "number")]
    pub at_ms: i64,
    /// The cashier's name.
    pub cashier: Option<String>,
    /// Tender(s).
    pub tender: Option<String>,
    /// Amount.
    pub amount: Option<Money>,
    /// Status in the kind's own words.
    pub status: String,
    /// Masked card number, e.g. `555555******4444`.
    pub card_masked: Option<String>,
    /// Loyalty customer.
    pub customer_ref: Option<String>,
    /// Short human text.
    pub summary: String,
}

/// One page of rows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct HistoryPage {
    /// The rows.
    pub rows: Vec<HistoryRow>,
    /// Give this back for the next page; `None` at the end.
    pub next_cursor: Option<String>,
}

/// How many rows match, counted up to a cap.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct HistoryCount {
    /// Rows counted (at most the cap).
    #[ts(type = "number")]
    pub count: i64,
    /// True when there are more than the cap.
    pub capped: bool,
}

/// A payment of an order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct PaymentLine {
    /// cash | card | points.
    pub tender: String,
    /// Amount.
    pub amount: Money,
    /// Masked card number.
    pub card_masked: Option<String>,
    /// Card brand.
    pub card_brand: Option<String>,
    /// Approval code.
    pub auth_code: Option<String>,
}

/// A line of a refund.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct RefundLineView {
    /// The order line's number.
    #[ts(type = "number")]
    pub line_no: i64,
    /// Product name at the sale.
    pub name: String,
    /// Units refunded.
    #[ts(type = "number")]
    pub quantity: i64,
    /// Amount refunded.
    pub amount: Money,
}

/// A refund of an order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct RefundView {
    /// Id.
    #[ts(type = "number")]
    pub id: i64,
    /// Printed number, e.g. R0000012.
    pub refund_no: String,
    /// When.
    #[ts(type = "number")]
    pub at_ms: i64,
    /// Amount.
    pub amount: Money,
    /// Tender paid back.
    pub tender: String,
    /// Why.
    pub reason: String,
    /// pending | confirmed | refused.
    pub status: String,
    /// Lines.
    pub lines: Vec<RefundLineView>,
}

/// A loyalty points change of an order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct PointsEntryView {
    /// Ledger id.
    #[ts(type = "number")]
    pub id: i64,
    /// When.
    #[ts(type = "number")]
    pub at_ms: i64,
    /// earn | redeem | reverse-earn | return-redeem.
    pub kind: String,
    /// Signed change.
    #[ts(type = "number")]
    pub points: i64,
    /// pending | confirmed | rejected.
    pub status: String,
    /// The loyalty account.
    pub customer_ref: String,
}

/// An outbox event about an order or one of its refunds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct SyncEventView {
    /// Event id (Idempotency-Key).
    pub id: String,
    /// Event kind, e.g. sale.recorded.
    pub kind: String,
    /// pending | sending | done | parked | discarded.
    pub state: String,
    /// Delivery attempts.
    #[ts(type = "number")]
    pub attempts: i64,
    /// The last failure.
    pub last_error: Option<String>,
    /// When it was queued.
    #[ts(type = "number")]
    pub at_ms: i64,
}

/// An audit entry mentioning an order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct OrderAuditEntry {
    /// Id.
    #[ts(type = "number")]
    pub id: i64,
    /// When.
    #[ts(type = "number")]
    pub at_ms: i64,
    /// Who (name), if anyone.
    pub actor: Option<String>,
    /// What.
    pub action: String,
    /// JSON detail.
    pub detail: String,
}

/// Everything about an order beyond its receipt.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct OrderExtras {
    /// paid | refunded | partly_refunded.
    pub status: String,
    /// Payments.
    pub payments: Vec<PaymentLine>,
    /// Refunds, oldest first.
    pub refunds: Vec<RefundView>,
    /// Points changes, oldest first.
    pub points: Vec<PointsEntryView>,
    /// Outbox events of the order and its refunds.
    pub sync: Vec<SyncEventView>,
    /// Audit entries whose detail names this order.
    pub audit: Vec<OrderAuditEntry>,
}

const ORDER_STATUSES: &[&str] = &["paid", "refunded", "partly_refunded"];
const REFUND_STATUSES: &[&str] = &["pending", "confirmed", "refused"];
const POINTS_STATUSES: &[&str] = &["pending", "confirmed", "rejected"];
const SYNC_STATUSES: &[&str] = &["pending", "sent", "dead"];
const KINDS: &[HistoryKind] =
    &[HistoryKind::Orders, HistoryKind::Payments, HistoryKind::Refunds, HistoryKind::Points, HistoryKind::Sync];

fn invalid(msg: impl Into<String>) -> StoreError {
    StoreError::Invalid(msg.into())
}

fn kind_rank(k: HistoryKind) -> i64 {
    match k {
        HistoryKind::All => 0,
        HistoryKind::Orders => 1,
        HistoryKind::Payments => 2,
        HistoryKind::Refunds => 3,
        HistoryKind::Points => 4,
        HistoryKind::Sync => 5,
    }
}

fn kind_of_rank(r: i64) -> Option<HistoryKind> {
    KINDS.iter().copied().find(|k| kind_rank(*k) == r)
}

fn nonempty(s: &Option<String>) -> Option<&str> {
    s.as_deref().map(str::trim).filter(|s| !s.is_empty())
}

mod query;
mod rows;
#[cfg(test)]
mod tests;

use query::*;
use rows::*;

impl Store {
    /// One page of the history, after `cursor` (None: the first page). `limit` is 1 to
    /// [`MAX_LIMIT`].
    pub fn history_page(&self, q: &HistoryQuery, cursor: Option<&str>, limit: u32) -> Result<HistoryPage> {
        if limit == 0 || limit > MAX_LIMIT {
            return Err(invalid(format!("a page holds 1 to {MAX_LIMIT} rows")));
        }
        let after = cursor.map(|c| decode_cursor(q.sort, c)).transpose()?;
        self.read(|c| {
            let f = validate(c, q)?;
            // One more row than asked says whether there is a next page.
            let sql = page_query(c, &f, after, i64::from(limit) + 1)?;
            let mut stmt = c.prepare_cached(&sql.text)?;
            let keys = stmt
                .query_map(params_from_iter(sql.params.iter()), |r| {
                    Ok(Cursor { rank: r.get(0)?, key: r.get(1)?, id: r.get(3)? })
                })?
                .collect::<std::result::Result<Vec<_>, _>>()?;
            let more = keys.len() > limit as usize;
            let mut rows = Vec::with_capacity(limit as usize);
            let mut last = None;
            for k in keys.into_iter().take(limit as usize) {
                let kind = kind_of_rank(k.rank).ok_or_else(|| StoreError::Corrupt("history kind".into()))?;
                rows.push(hydrate(c, kind, k.id)?);
                last = Some(k);
            }
            let next_cursor = if more { last.map(|k| encode_cursor(q.sort, k)) } else { None };
            Ok(HistoryPage { rows, next_cursor })
        })
    }

    /// How many rows the query matches, counting at most `cap` (then `capped` is true).
    pub fn history_count(&self, q: &HistoryQuery, cap: i64) -> Result<HistoryCount> {
        if cap < 0 {
            return Err(invalid("the count cap must not be negative"));
        }
        self.read(|c| {
            let f = validate(c, q)?;
            let mut total = 0i64;
            for k in kinds_of(f.kind) {
                if total > cap {
                    break;
                }
                if let Some(sql) = kind_query(c, &f, k, None, None, true)? {
                    total += capped_count(c, &sql.text, &sql.params, cap - total)?;
                }
            }
            Ok(HistoryCount { count: total.min(cap), capped: total > cap })
        })
    }

    /// `EXPLAIN QUERY PLAN` of the first page of `q`, one line per plan step (for benchmarks).
    pub fn history_plan(&self, q: &HistoryQuery, limit: u32) -> Result<Vec<String>> {
        self.read(|c| {
            let f = validate(c, q)?;
            let sql = page_query(c, &f, None, i64::from(limit) + 1)?;
            let mut stmt = c.prepare(&format!("EXPLAIN QUERY PLAN {}", sql.text))?;
            let rows = stmt
                .query_map(params_from_iter(sql.params.iter()), |r| Ok((r.get::<_, i64>(1)?, r.get::<_, String>(3)?)))?
                .collect::<std::result::Result<Vec<_>, _>>()?;
            Ok(rows.into_iter().map(|(parent, d)| if parent == 0 { d } else { format!("  {d}") }).collect())
        })
    }

    /// Payments, refunds, points, sync events and audit entries of one order.
    pub fn order_extras(&self, order_id: i64) -> Result<OrderExtras> {
        self.read(|c| {
            let status: String = c
                .query_row("SELECT status FROM orders WHERE id = ?1", [order_id], |r| r.get(0))
                .optional()?
                .ok_or(StoreError::NotFound("order"))?;
            let mut s = c.prepare_cached(
                "SELECT tender, currency, amount_minor, card_masked, card_brand, auth_code FROM payments WHERE order_id = ?1 ORDER BY id",
            )?;
            let raw = s
                .query_map([order_id], |r| {
                    Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?, r.get::<_, i64>(2)?, r.get(3)?, r.get(4)?, r.get(5)?))
                })?
                .collect::<std::result::Result<Vec<_>, _>>()?;
            let payments = raw
                .into_iter()
                .map(|(tender, cur, amount, card_masked, card_brand, auth_code)| {
                    Ok(PaymentLine { tender, amount: money(&cur, amount)?, card_masked, card_brand, auth_code })
                })
                .collect::<Result<Vec<_>>>()?;

            let mut s = c.prepare_cached(
                "SELECT id, refund_no, created_at_ms, currency, amount_minor, tender, reason, status FROM refunds WHERE order_id = ?1 ORDER BY id",
            )?;
            let heads = s
                .query_map([order_id], |r| {
                    Ok((
                        r.get::<_, i64>(0)?,
                        r.get::<_, String>(1)?,
                        r.get::<_, i64>(2)?,
                        r.get::<_, String>(3)?,
                        r.get::<_, i64>(4)?,
                        r.get::<_, String>(5)?,
                        r.get::<_, String>(6)?,
                        r.get::<_, String>(7)?,
                    ))
                })?
                .collect::<std::result::Result<Vec<_>, _>>()?;
            let mut lines_stmt = c.prepare_cached(
                "SELECT l.line_no, l.name, rl.quantity, rl.amount_minor FROM refund_lines rl JOIN order_lines l ON l.id = rl.order_line_id
                 WHERE rl.refund_id = ?1 ORDER BY l.line_no",
            )?;
            let mut refunds = Vec::new();
            let mut refund_ids = Vec::new();
            for (id, refund_no, at_ms, cur, amount, tender, reason, rstatus) in heads {
                let raw = lines_stmt
                    .query_map([id], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?, r.get::<_, i64>(2)?, r.get::<_, i64>(3)?)))?
                    .collect::<std::result::Result<Vec<_>, _>>()?;
                let lines = raw
                    .into_iter()
                    .map(|(line_no, name, quantity, a)| Ok(RefundLineView { line_no, name, quantity, amount: money(&cur, a)? }))
                    .collect::<Result<Vec<_>>>()?;
                refund_ids.push(id);
                refunds.push(RefundView {
                    id,
                    refund_no,
                    at_ms,
                    amount: money(&cur, amount)?,
                    tender,
                    reason,
                    status: rstatus,
                    lines,
                });
            }

            let mut s = c.prepare_cached(
                "SELECT id, created_at_ms, kind, points, status, customer_ref FROM points_ledger WHERE order_id = ?1 ORDER BY id",
            )?;
            let points = s
                .query_map([order_id], |r| {
                    Ok(PointsEntryView {
                        id: r.get(0)?,
                        at_ms: r.get(1)?,
                        kind: r.get(2)?,
                        points: r.get(3)?,
                        status: r.get(4)?,
                        customer_ref: r.get(5)?,
                    })
                })?
                .collect::<std::result::Result<Vec<_>, _>>()?;

            let mut subjects = vec![format!("order/{order_id}")];
            subjects.extend(refund_ids.iter().map(|id| format!("refund/{id}")));
            let mut s = c.prepare_cached(
                "SELECT id, kind, state, attempts, last_error, created_at_ms FROM outbox WHERE subject = ?1 ORDER BY created_at_ms, rowid",
            )?;
            let mut sync = Vec::new();
            for subject in &subjects {
                let evs = s
                    .query_map([subject], |r| {
                        Ok(SyncEventView {
                            id: r.get(0)?,
                            kind: r.get(1)?,
                            state: r.get(2)?,
                            attempts: r.get(3)?,
                            last_error: r.get(4)?,
                            at_ms: r.get(5)?,
                        })
                    })?
                    .collect::<std::result::Result<Vec<_>, _>>()?;
                sync.extend(evs);
            }

            // The audit details are JSON written by serde_json ("order_id":42, no spaces); the
            // log has no index on its details, and it holds admin actions rather than a row per
            // sale, so the scan is short.
            let mut s = c.prepare_cached(
                "SELECT a.id, a.at_ms, u.name, a.action, a.detail FROM audit_log a LEFT JOIN users u ON u.id = a.actor_id
                 WHERE a.detail LIKE ?1 OR a.detail LIKE ?2 ORDER BY a.id",
            )?;
            let exact = format!("%\"order_id\":{order_id},%");
            let last = format!("%\"order_id\":{order_id}}}%");
            let audit = s
                .query_map([&exact, &last], |r| {
                    Ok(OrderAuditEntry { id: r.get(0)?, at_ms: r.get(1)?, actor: r.get(2)?, action: r.get(3)?, detail: r.get(4)? })
                })?
                .collect::<std::result::Result<Vec<_>, _>>()?;
            Ok(OrderExtras { status, payments, refunds, points, sync, audit })
        })
    }
}
