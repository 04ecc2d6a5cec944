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
use rusqlite::types::Value;
use rusqlite::{params_from_iter, Connection, OptionalExtension};
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

/// A filter on the order a row belongs to, as a set of order ids. `{x}` in `probe` is the
/// row's order id expression.
struct SetFilter {
    /// `SELECT <order id> ...`: the set, to drive the query when small.
    set_sql: String,
    /// A per-row check.
    probe: String,
    params: Vec<Value>,
    /// Never small enough to drive (a tender, a cashier): not counted.
    dense: bool,
}

/// The query, checked and normalised.
struct Filters {
    kind: HistoryKind,
    sort: HistorySort,
    from: Option<i64>,
    to: Option<i64>,
    cashier: Option<i64>,
    tender: Option<String>,
    status: Option<String>,
    min: Option<i64>,
    max: Option<i64>,
    last4: Option<String>,
    customer: Option<String>,
    /// Product ids the product filter names (empty: it names none, so nothing matches).
    products: Option<Vec<i64>>,
    line_code: Option<String>,
    device: Option<String>,
    order_id: Option<i64>,
}

fn validate(c: &Connection, q: &HistoryQuery) -> Result<Filters> {
    if let (Some(f), Some(t)) = (q.from_ms, q.to_ms) {
        if f > t {
            return Err(invalid("the start of the period is after its end; swap the dates"));
        }
    }
    if let (Some(a), Some(b)) = (q.min_amount_minor, q.max_amount_minor) {
        if a > b {
            return Err(invalid("the smallest amount is larger than the largest; swap them"));
        }
    }
    let tender = nonempty(&q.tender).map(str::to_ascii_lowercase);
    if let Some(t) = &tender {
        if !["cash", "card", "points"].contains(&t.as_str()) {
            return Err(invalid(format!("unknown tender {t:?}: use cash, card or points")));
        }
    }
    let status = nonempty(&q.status).map(str::to_ascii_lowercase);
    if let Some(s) = &status {
        let known = [ORDER_STATUSES, REFUND_STATUSES, POINTS_STATUSES, SYNC_STATUSES].concat();
        if !known.contains(&s.as_str()) {
            return Err(invalid(format!("unknown status {s:?}: use one of {}", known.join(", "))));
        }
    }
    let last4 = nonempty(&q.card_last4).map(str::to_string);
    if let Some(l) = &last4 {
        if l.len() != 4 || !l.bytes().all(|b| b.is_ascii_digit()) {
            return Err(invalid("the card's last digits must be exactly 4 digits"));
        }
    }
    let line_code = match nonempty(&q.line_code) {
        None => None,
        Some(t) => Some(
            LineCode::parse(t)
                .map_err(|_| invalid(format!("{t:?} is not a line code: 13 symbols as printed on the receipt")))?
                .as_str()
                .to_string(),
        ),
    };
    let order_id = match nonempty(&q.order_no) {
        None => None,
        Some(t) => Some(
            t.parse::<i64>()
                .ok()
                .filter(|n| *n > 0)
                .ok_or_else(|| invalid(format!("{t:?} is not an order number: digits only, as on the receipt")))?,
        ),
    };
    let products = match nonempty(&q.product) {
        None => None,
        Some(p) => {
            // Name prefix as an index range: every string starting with p sorts between p and
            // p followed by the largest code point.
            let mut s = c.prepare_cached(
                "SELECT id FROM products WHERE sku = ?1 OR barcode = ?1 OR (name >= ?1 AND name < ?1 || char(1114111)) LIMIT 1000",
            )?;
            let ids = s.query_map([p], |r| r.get::<_, i64>(0))?.collect::<std::result::Result<Vec<_>, _>>()?;
            Some(ids)
        }
    };
    Ok(Filters {
        kind: q.kind,
        sort: q.sort,
        from: q.from_ms,
        to: q.to_ms,
        cashier: q.cashier_id,
        tender,
        status,
        min: q.min_amount_minor,
        max: q.max_amount_minor,
        last4,
        customer: nonempty(&q.customer).map(str::to_string),
        products,
        line_code,
        device: nonempty(&q.device_id).map(str::to_string),
        order_id,
    })
}

/// How one kind's rows are read.
struct KindShape {
    kind: HistoryKind,
    from: &'static str,
    /// The row's order id.
    x: &'static str,
    at: &'static str,
    id: &'static str,
    amount: Option<&'static str>,
    /// Direct column for the cashier, or None (then checked through the order).
    cashier: Option<&'static str>,
    /// Direct column for the tender, or None (then checked through the order's payments).
    tender: Option<&'static str>,
    /// Direct column for the customer, or None (then through the order).
    customer: Option<&'static str>,
    /// Direct column for the card's last four, if the row is a payment.
    last4: Option<&'static str>,
}

fn shape(kind: HistoryKind) -> KindShape {
    match kind {
        HistoryKind::Orders | HistoryKind::All => KindShape {
            kind: HistoryKind::Orders,
            from: "orders o",
            x: "o.id",
            at: "o.created_at_ms",
            id: "o.id",
            amount: Some("o.total_minor"),
            cashier: Some("o.cashier_id"),
            tender: None,
            customer: Some("o.customer_ref"),
            last4: None,
        },
        HistoryKind::Payments => KindShape {
            kind,
            // Orders first (CROSS JOIN keeps that order): walked newest first through their time
            // index, or looked up by id when a small set drives; their payments by order id.
            from: "orders o CROSS JOIN payments p ON p.order_id = o.id",
            x: "o.id",
            at: "o.created_at_ms",
            id: "p.id",
            amount: Some("p.amount_minor"),
            cashier: Some("o.cashier_id"),
            tender: Some("p.tender"),
            customer: Some("o.customer_ref"),
            last4: Some("p.card_last4"),
        },
        HistoryKind::Refunds => KindShape {
            kind,
            from: "refunds r",
            x: "r.order_id",
            at: "r.created_at_ms",
            id: "r.id",
            amount: Some("r.amount_minor"),
            cashier: Some("r.cashier_id"),
            tender: Some("r.tender"),
            customer: None,
            last4: None,
        },
        HistoryKind::Points => KindShape {
            kind,
            from: "points_ledger pl",
            x: "pl.order_id",
            at: "pl.created_at_ms",
            id: "pl.id",
            amount: None,
            cashier: None,
            tender: None,
            customer: Some("pl.customer_ref"),
            last4: None,
        },
        HistoryKind::Sync => KindShape {
            kind,
            from: "outbox e",
            x: "(CASE WHEN e.subject LIKE 'order/%' THEN CAST(substr(e.subject, 7) AS INTEGER) END)",
            at: "e.created_at_ms",
            id: "e.rowid",
            amount: None,
            cashier: None,
            tender: None,
            customer: None,
            last4: None,
        },
    }
}

/// The order-level filters of `f` that `s` cannot check on its own columns.
fn set_filters(f: &Filters, s: &KindShape) -> Vec<SetFilter> {
    let mut out = Vec::new();
    let text = |v: &str| Value::Text(v.to_string());
    if let (Some(c), None) = (f.cashier, s.cashier) {
        out.push(SetFilter {
            set_sql: "SELECT id AS oid FROM orders WHERE cashier_id = ?".into(),
            probe: "EXISTS (SELECT 1 FROM orders oo WHERE oo.id = {x} AND oo.cashier_id = ?)".into(),
            params: vec![Value::Integer(c)],
            dense: true,
        });
    }
    if let (Some(t), None) = (&f.tender, s.tender) {
        out.push(SetFilter {
            set_sql: "SELECT order_id AS oid FROM payments WHERE tender = ?".into(),
            probe: "EXISTS (SELECT 1 FROM payments pp WHERE pp.order_id = {x} AND pp.tender = ?)".into(),
            params: vec![text(t)],
            dense: true,
        });
    }
    if let (Some(c), None) = (&f.customer, s.customer) {
        out.push(equals_filter("orders", "id", "customer_ref", c));
    }
    if let Some(l) = &f.last4 {
        out.push(equals_filter("payments", "order_id", "card_last4", l));
    }
    if let Some(ids) = &f.products {
        // Product ids come from the database (integers), so they are written into the SQL.
        let list = ids.iter().map(i64::to_string).collect::<Vec<_>>().join(",");
        out.push(SetFilter {
            set_sql: format!("SELECT order_id AS oid FROM order_lines WHERE product_id IN ({list})"),
            probe: format!(
                "EXISTS (SELECT 1 FROM order_lines ll WHERE ll.order_id = {{x}} AND ll.product_id IN ({list}))"
            ),
            params: vec![],
            dense: false,
        });
    }
    if let Some(code) = &f.line_code {
        out.push(equals_filter("order_lines", "order_id", "line_code", code));
    }
    if let Some(d) = &f.device {
        out.push(equals_filter("order_lines", "order_id", "serial_number", d));
    }
    if let Some(id) = f.order_id {
        out.push(SetFilter {
            set_sql: "SELECT ? AS oid".into(),
            probe: "{x} = ?".into(),
            params: vec![Value::Integer(id)],
            dense: false,
        });
    }
    out
}

/// SQL text with its positional parameters, built together so they stay in step.
#[derive(Default)]
struct Sql {
    text: String,
    params: Vec<Value>,
}

impl Sql {
    fn push(&mut self, text: &str, params: impl IntoIterator<Item = Value>) {
        self.text.push_str(text);
        self.params.extend(params);
    }
}

/// Where a page starts: strictly after this (sort key, kind rank, id).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Cursor {
    key: i64,
    rank: i64,
    id: i64,
}

fn sort_tag(s: HistorySort) -> char {
    match s {
        HistorySort::Newest => 'n',
        HistorySort::Oldest => 'o',
        HistorySort::AmountDesc => 'a',
        HistorySort::AmountAsc => 'b',
    }
}

fn encode_cursor(sort: HistorySort, c: Cursor) -> String {
    format!("{}{}.{}.{}", sort_tag(sort), c.key, c.rank, c.id)
}

fn decode_cursor(sort: HistorySort, text: &str) -> Result<Cursor> {
    let bad =
        || invalid("the page cursor is damaged or belongs to another sort order; start again from the first page");
    let rest = text.strip_prefix(sort_tag(sort)).ok_or_else(bad)?;
    let parts: Vec<&str> = rest.split('.').collect();
    let [k, r, i] = parts.as_slice() else { return Err(bad()) };
    let num = |s: &str| s.parse::<i64>().map_err(|_| bad());
    let c = Cursor { key: num(k)?, rank: num(r)?, id: num(i)? };
    if kind_of_rank(c.rank).is_none() {
        return Err(bad());
    }
    Ok(c)
}

fn descending(s: HistorySort) -> bool {
    matches!(s, HistorySort::Newest | HistorySort::AmountDesc)
}

/// Which status values a kind understands, and how each is written against its columns.
fn status_clause(kind: HistoryKind, status: &str) -> Option<&'static str> {
    match kind {
        HistoryKind::Orders | HistoryKind::Payments => match status {
            "paid" => Some("o.status = 'paid'"),
            "refunded" => Some("o.status = 'refunded'"),
            "partly_refunded" => Some("o.status = 'partly_refunded'"),
            _ => None,
        },
        HistoryKind::Refunds => match status {
            "pending" => Some("r.status = 'pending'"),
            "confirmed" => Some("r.status = 'confirmed'"),
            "refused" => Some("r.status = 'refused'"),
            _ => None,
        },
        HistoryKind::Points => match status {
            "pending" => Some("pl.status = 'pending'"),
            "confirmed" => Some("pl.status = 'confirmed'"),
            "rejected" => Some("pl.status = 'rejected'"),
            _ => None,
        },
        HistoryKind::Sync => match status {
            "pending" => Some("e.state IN ('pending', 'sending')"),
            "sent" => Some("e.state = 'done'"),
            "dead" => Some("e.state IN ('parked', 'discarded')"),
            _ => None,
        },
        HistoryKind::All => None,
    }
}

/// How the page query of one kind is to be run: which set (if any) drives it.
struct Plan {
    driver: Option<usize>,
}

/// Counts up to `cap` + 1 rows of `sql` (so "more than cap" is known without counting all).
fn capped_count(c: &Connection, sql: &str, params: &[Value], cap: i64) -> Result<i64> {
    let text = format!("SELECT count(*) FROM ({sql} LIMIT {})", cap.saturating_add(1));
    Ok(c.prepare_cached(&text)?.query_row(params_from_iter(params.iter()), |r| r.get(0))?)
}

fn plan(c: &Connection, sets: &[SetFilter]) -> Result<Plan> {
    let mut best: Option<(usize, i64)> = None;
    for (i, s) in sets.iter().enumerate() {
        if s.dense {
            continue;
        }
        let n = capped_count(c, &s.set_sql, &s.params, DRIVER_CAP)?;
        if n <= DRIVER_CAP && best.is_none_or(|(_, b)| n < b) {
            best = Some((i, n));
        }
    }
    Ok(Plan { driver: best.map(|(i, _)| i) })
}

/// The key/time/id query of one kind, or None when a filter cannot apply to it (an amount for
/// sync events, a refund status for orders...): those rows are then not shown.
/// `select` is what the query returns: the page columns, or `1` to count.
fn kind_query(
    c: &Connection,
    f: &Filters,
    kind: HistoryKind,
    after: Option<Cursor>,
    limit: Option<i64>,
    counting: bool,
) -> Result<Option<Sql>> {
    let s = shape(kind);
    let rank = kind_rank(s.kind);
    if (f.min.is_some() || f.max.is_some()) && s.amount.is_none() {
        return Ok(None);
    }
    if f.last4.is_some() && !matches!(s.kind, HistoryKind::Orders | HistoryKind::Payments) {
        // A card's digits name a payment: refunds, points and events are not shown for them.
        return Ok(None);
    }
    let status = match &f.status {
        None => None,
        Some(st) => match status_clause(s.kind, st) {
            None => return Ok(None),
            some => some,
        },
    };
    if matches!(&f.products, Some(ids) if ids.is_empty()) {
        return Ok(None);
    }
    let amount_key = matches!(f.sort, HistorySort::AmountDesc | HistorySort::AmountAsc);
    let key = if amount_key { s.amount.unwrap_or("abs(0)") } else { s.at };
    let sets = set_filters(f, &s);
    let plan = plan(c, &sets)?;

    let mut q = Sql::default();
    if counting {
        q.push(&format!("SELECT 1 FROM {} WHERE 1", s.from), []);
    } else {
        q.push(
            &format!("SELECT {rank} AS k, {key} AS key, {} AS at, {} AS id FROM {} WHERE 1", s.at, s.id, s.from),
            [],
        );
    }
    // Two range filters compete with the sort for the orders' indexes. A range that holds few
    // orders is walked through its index and sorted; a wide one is only checked (a `+` keeps
    // SQLite from using its index) while the sort's index is walked and stops at a full page.
    let mut at_col = s.at.to_string();
    let mut amount_col = s.amount.map(str::to_string);
    if s.kind == HistoryKind::Orders {
        if amount_key && (f.from.is_some() || f.to.is_some()) {
            let n = capped_count(
                c,
                "SELECT 1 FROM orders WHERE created_at_ms >= ? AND created_at_ms < ?",
                &[Value::Integer(f.from.unwrap_or(i64::MIN)), Value::Integer(f.to.unwrap_or(i64::MAX))],
                DRIVER_CAP,
            )?;
            if n > DRIVER_CAP {
                at_col = format!("+{}", s.at);
            }
        }
        if !amount_key && (f.min.is_some() || f.max.is_some()) {
            let n = capped_count(
                c,
                "SELECT 1 FROM orders WHERE total_minor >= ? AND total_minor <= ?",
                &[Value::Integer(f.min.unwrap_or(i64::MIN)), Value::Integer(f.max.unwrap_or(i64::MAX))],
                DRIVER_CAP,
            )?;
            if n > DRIVER_CAP {
                amount_col = s.amount.map(|a| format!("+{a}"));
            }
        }
    }
    if let Some(from) = f.from {
        q.push(&format!(" AND {at_col} >= ?"), [Value::Integer(from)]);
    }
    if let Some(to) = f.to {
        q.push(&format!(" AND {at_col} < ?"), [Value::Integer(to)]);
    }
    if let (Some(id), Some(col)) = (f.cashier, s.cashier) {
        q.push(&format!(" AND {col} = ?"), [Value::Integer(id)]);
    }
    if let (Some(t), Some(col)) = (&f.tender, s.tender) {
        q.push(&format!(" AND {col} = ?"), [Value::Text(t.clone())]);
    }
    if let (Some(cu), Some(col)) = (&f.customer, s.customer) {
        q.push(&format!(" AND {col} = ?"), [Value::Text(cu.clone())]);
    }
    if let (Some(l), Some(col)) = (&f.last4, s.last4) {
        q.push(&format!(" AND {col} = ?"), [Value::Text(l.clone())]);
    }
    if let Some(st) = status {
        q.push(&format!(" AND {st}"), []);
    }
    if let Some(col) = &amount_col {
        if let Some(m) = f.min {
            q.push(&format!(" AND {col} >= ?"), [Value::Integer(m)]);
        }
        if let Some(m) = f.max {
            q.push(&format!(" AND {col} <= ?"), [Value::Integer(m)]);
        }
    }
    for (i, set) in sets.iter().enumerate() {
        if plan.driver == Some(i) {
            if s.kind == HistoryKind::Sync {
                // Through the subject index: 'order/<id>' for each order of the set.
                q.push(
                    &format!(" AND e.subject IN (SELECT 'order/' || oid FROM ({}))", set.set_sql),
                    set.params.clone(),
                );
            } else {
                q.push(&format!(" AND {} IN ({})", s.x, set.set_sql), set.params.clone());
            }
        } else {
            q.push(&format!(" AND {}", set.probe.replace("{x}", s.x)), set.params.clone());
        }
    }
    let desc = descending(f.sort);
    if let Some(cur) = after {
        let (lt, le) = if desc { ("<", "<=") } else { (">", ">=") };
        // Rows strictly after (key, rank, id) in the page order; rank is constant here.
        let before_rank = if desc { rank < cur.rank } else { rank > cur.rank };
        if rank == cur.rank {
            q.push(
                &format!(" AND {key} {le} ? AND ({key} {lt} ? OR {} {lt} ?)", s.id),
                [Value::Integer(cur.key), Value::Integer(cur.key), Value::Integer(cur.id)],
            );
        } else if before_rank {
            q.push(&format!(" AND {key} {le} ?"), [Value::Integer(cur.key)]);
        } else {
            q.push(&format!(" AND {key} {lt} ?"), [Value::Integer(cur.key)]);
        }
    }
    if !counting {
        let dir = if desc { "DESC" } else { "ASC" };
        q.push(&format!(" ORDER BY {key} {dir}, {} {dir}", s.id), []);
    }
    if let Some(n) = limit {
        q.push(&format!(" LIMIT {n}"), []);
    }
    Ok(Some(q))
}

fn kinds_of(k: HistoryKind) -> Vec<HistoryKind> {
    if k == HistoryKind::All {
        KINDS.to_vec()
    } else {
        vec![k]
    }
}

/// The page query (kind rank, sort key, time, id), for `tillctl bench history`'s plans too.
fn page_query(c: &Connection, f: &Filters, after: Option<Cursor>, limit: i64) -> Result<Sql> {
    let mut parts = Vec::new();
    for k in kinds_of(f.kind) {
        if let Some(q) = kind_query(c, f, k, after, Some(limit), false)? {
            parts.push(q);
        }
    }
    if parts.len() == 1 {
        return Ok(parts.remove(0));
    }
    let mut q = Sql::default();
    if parts.is_empty() {
        q.push("SELECT 0 AS k, 0 AS key, 0 AS at, 0 AS id WHERE 0", []);
        return Ok(q);
    }
    for (i, p) in parts.into_iter().enumerate() {
        if i > 0 {
            q.push(" UNION ALL ", []);
        }
        q.push(&format!("SELECT * FROM ({})", p.text), p.params);
    }
    let dir = if descending(f.sort) { "DESC" } else { "ASC" };
    q.push(&format!(" ORDER BY key {dir}, k {dir}, id {dir} LIMIT {limit}"), []);
    Ok(q)
}

fn money(currency: &str, minor: i64) -> Result<Money> {
    let c = Currency::parse(currency).map_err(|e| StoreError::Corrupt(e.to_string()))?;
    Ok(Money::new(minor, c))
}

fn order_no(id: i64) -> String {
    format!("{id:08}")
}

fn sync_status(state: &str) -> &'static str {
    match state {
        "done" => "sent",
        "parked" | "discarded" => "dead",
        _ => "pending",
    }
}

/// Reads one row's details (the page query only has its key).
// Each kind's columns are read as one tuple, named where destructured; a struct per kind would
// only repeat the names.
#[allow(clippy::type_complexity)]
fn hydrate(c: &Connection, kind: HistoryKind, id: i64) -> Result<HistoryRow> {
    let row = match kind {
        HistoryKind::Orders | HistoryKind::All => {
            let mut s = c.prepare_cached(
                "SELECT o.created_at_ms, u.name, o.currency, o.total_minor, o.status, o.customer_ref, o.line_count,
                        (SELECT group_concat(t, '+') FROM (SELECT DISTINCT tender AS t FROM payments WHERE order_id = o.id ORDER BY t)),
                        (SELECT card_masked FROM payments WHERE order_id = o.id AND card_masked IS NOT NULL ORDER BY id LIMIT 1)
                 FROM orders o LEFT JOIN users u ON u.id = o.cashier_id WHERE o.id = ?1",
            )?;
            let (at, cashier, cur, total, status, customer, lines, tender, card): (
                i64,
                Option<String>,
                String,
                i64,
                String,
                Option<String>,
                i64,
                Option<String>,
                Option<String>,
            ) = s.query_row([id], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?, r.get(6)?, r.get(7)?, r.get(8)?))
            })?;
            HistoryRow {
                kind: HistoryKind::Orders,
                id,
                order_id: Some(id),
                order_no: Some(order_no(id)),
                at_ms: at,
                cashier,
                tender,
                amount: Some(money(&cur, total)?),
                status,
                card_masked: card,
                customer_ref: customer,
                summary: if lines == 1 { "1 line".into() } else { format!("{lines} lines") },
            }
        }
        HistoryKind::Payments => {
            let mut s = c.prepare_cached(
                "SELECT p.order_id, o.created_at_ms, u.name, p.tender, p.currency, p.amount_minor, o.status, p.card_masked,
                        o.customer_ref, p.card_brand
                 FROM payments p JOIN orders o ON o.id = p.order_id LEFT JOIN users u ON u.id = o.cashier_id WHERE p.id = ?1",
            )?;
            s.query_row([id], |r| {
                let tender: String = r.get(3)?;
                let brand: Option<String> = r.get(9)?;
                Ok((
                    r.get(0)?,
                    r.get(1)?,
                    r.get(2)?,
                    tender,
                    r.get::<_, String>(4)?,
                    r.get(5)?,
                    r.get(6)?,
                    r.get(7)?,
                    r.get(8)?,
                    brand,
                ))
            })
            .map_err(StoreError::from)
            .and_then(
                |(oid, at, cashier, tender, cur, amount, status, card, customer, brand): (
                    i64,
                    i64,
                    Option<String>,
                    String,
                    String,
                    i64,
                    String,
                    Option<String>,
                    Option<String>,
                    Option<String>,
                )| {
                    let summary = match &brand {
                        Some(b) => format!("{tender} {b}"),
                        None => tender.clone(),
                    };
                    Ok(HistoryRow {
                        kind: HistoryKind::Payments,
                        id,
                        order_id: Some(oid),
                        order_no: Some(order_no(oid)),
                        at_ms: at,
                        cashier,
                        tender: Some(tender),
                        amount: Some(money(&cur, amount)?),
                        status,
                        card_masked: card,
                        customer_ref: customer,
                        summary,
                    })
                },
            )?
        }
        HistoryKind::Refunds => {
            let mut s = c.prepare_cached(
                "SELECT r.order_id, r.created_at_ms, u.name, r.tender, r.currency, r.amount_minor, r.status, o.customer_ref,
                        r.refund_no, r.reason
                 FROM refunds r JOIN orders o ON o.id = r.order_id LEFT JOIN users u ON u.id = r.cashier_id WHERE r.id = ?1",
            )?;
            let (oid, at, cashier, tender, cur, amount, status, customer, no, reason): (
                i64,
                i64,
                Option<String>,
                String,
                String,
                i64,
                String,
                Option<String>,
                String,
                String,
            ) = s.query_row([id], |r| {
                Ok((
                    r.get(0)?,
                    r.get(1)?,
                    r.get(2)?,
                    r.get(3)?,
                    r.get(4)?,
                    r.get(5)?,
                    r.get(6)?,
                    r.get(7)?,
                    r.get(8)?,
                    r.get(9)?,
                ))
            })?;
            HistoryRow {
                kind: HistoryKind::Refunds,
                id,
                order_id: Some(oid),
                order_no: Some(order_no(oid)),
                at_ms: at,
                cashier,
                tender: Some(tender),
                amount: Some(money(&cur, amount)?),
                status,
                card_masked: None,
                customer_ref: customer,
                summary: format!("refund {no}: {reason}"),
            }
        }
        HistoryKind::Points => {
            let mut s = c.prepare_cached(
                "SELECT pl.order_id, pl.created_at_ms, u.name, pl.status, pl.customer_ref, pl.kind, pl.points
                 FROM points_ledger pl LEFT JOIN orders o ON o.id = pl.order_id LEFT JOIN users u ON u.id = o.cashier_id
                 WHERE pl.id = ?1",
            )?;
            let (oid, at, cashier, status, customer, kind, points): (
                Option<i64>,
                i64,
                Option<String>,
                String,
                String,
                String,
                i64,
            ) = s.query_row([id], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?, r.get(6)?))
            })?;
            HistoryRow {
                kind: HistoryKind::Points,
                id,
                order_id: oid,
                order_no: oid.map(order_no),
                at_ms: at,
                cashier,
                tender: None,
                amount: None,
                status,
                card_masked: None,
                customer_ref: Some(customer),
                summary: format!("{kind} {points:+}"),
            }
        }
        HistoryKind::Sync => {
            let mut s = c.prepare_cached(
                "SELECT e.subject, e.created_at_ms, e.kind, e.state, e.attempts FROM outbox e WHERE e.rowid = ?1",
            )?;
            let (subject, at, kind, state, attempts): (String, i64, String, String, i64) =
                s.query_row([id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)))?;
            let oid = subject.strip_prefix("order/").and_then(|n| n.parse::<i64>().ok());
            let status = sync_status(&state);
            let tries = if attempts > 1 { format!(" ({attempts} attempts)") } else { String::new() };
            HistoryRow {
                kind: HistoryKind::Sync,
                id,
                order_id: oid,
                order_no: oid.map(order_no),
                at_ms: at,
                cashier: None,
                tender: None,
                amount: None,
                status: status.into(),
                card_masked: None,
                customer_ref: None,
                summary: format!("{kind} → {status}{tries}"),
            }
        }
    };
    Ok(row)
}

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

/// A filter "the order has a `table` row whose `column` equals `value`", `key` naming the
/// order id in `table`; an index on `column` makes its set small and cheap to count.
fn equals_filter(table: &str, key: &str, column: &str, value: &str) -> SetFilter {
    SetFilter {
        set_sql: format!("SELECT {key} AS oid FROM {table} WHERE {column} = ?"),
        probe: format!("EXISTS (SELECT 1 FROM {table} eq WHERE eq.{key} = {{x}} AND eq.{column} = ?)"),
        params: vec![Value::Text(value.to_string())],
        dense: false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::demo_data::{generate, GenerateSpec};
    use std::collections::{HashMap, HashSet};
    use till_core::Role;

    const DAY: i64 = 86_400_000;

    /// A row as the brute-force model sees it.
    #[derive(Debug, Clone)]
    struct M {
        kind: HistoryKind,
        id: i64,
        order: Option<i64>,
        at: i64,
        amount: Option<i64>,
        cashier: Option<i64>,
        tender: Option<String>,
        status: String,
        customer: Option<String>,
        last4: Option<String>,
    }

    #[derive(Debug, Default, Clone)]
    struct O {
        cashier: i64,
        customer: Option<String>,
        tenders: HashSet<String>,
        last4: HashSet<String>,
        products: HashSet<i64>,
        codes: HashSet<String>,
        serials: HashSet<String>,
    }

    struct World {
        rows: Vec<M>,
        orders: HashMap<i64, O>,
        products: Vec<(i64, String, Option<String>, String)>,
    }

    fn setup(n: u64) -> (tempfile::TempDir, Store) {
        let dir = tempfile::tempdir().unwrap();
        let s = Store::open(&dir.path().join("t.db")).unwrap();
        s.write(|tx| {
            crate::users::insert(tx, "Ann", Role::Cashier, "h", 0)?;
            crate::users::insert(tx, "Bob", Role::Cashier, "h", 0)?;
            crate::users::insert(tx, "Meg", Role::Manager, "h", 0)?;
            Ok(())
        })
        .unwrap();
        let spec = GenerateSpec { orders: n, seed: 7, start_ms: 1_700_000_000_000, days: 40, currency: Currency::CNY };
        generate(&s, &spec, &mut |_, _| {}).unwrap();
        (dir, s)
    }

    /// Reads every table into plain Rust values (no filtering in SQL).
    fn world(s: &Store) -> World {
        s.read(|c| {
            let mut orders: HashMap<i64, O> = HashMap::new();
            let mut rows = Vec::new();
            let mut st =
                c.prepare("SELECT id, cashier_id, customer_ref, created_at_ms, total_minor, status FROM orders")?;
            for r in st.query_map([], |r| {
                Ok((
                    r.get::<_, i64>(0)?,
                    r.get::<_, i64>(1)?,
                    r.get::<_, Option<String>>(2)?,
                    r.get(3)?,
                    r.get(4)?,
                    r.get(5)?,
                ))
            })? {
                let (id, cashier, customer, at, total, status) = r?;
                orders.insert(id, O { cashier, customer: customer.clone(), ..Default::default() });
                rows.push(M {
                    kind: HistoryKind::Orders,
                    id,
                    order: Some(id),
                    at,
                    amount: Some(total),
                    cashier: Some(cashier),
                    tender: None,
                    status,
                    customer,
                    last4: None,
                });
            }
            let by_id: HashMap<i64, M> = rows.iter().map(|m| (m.id, m.clone())).collect();
            let mut st = c.prepare("SELECT id, order_id, tender, amount_minor, card_masked FROM payments")?;
            for r in st.query_map([], |r| {
                Ok((
                    r.get::<_, i64>(0)?,
                    r.get::<_, i64>(1)?,
                    r.get::<_, String>(2)?,
                    r.get(3)?,
                    r.get::<_, Option<String>>(4)?,
                ))
            })? {
                let (id, oid, tender, amount, masked) = r?;
                let last4 = masked.map(|m| m[m.len() - 4..].to_string());
                let o = orders.get_mut(&oid).unwrap();
                o.tenders.insert(tender.clone());
                if let Some(l) = &last4 {
                    o.last4.insert(l.clone());
                }
                let om = &by_id[&oid];
                rows.push(M {
                    kind: HistoryKind::Payments,
                    id,
                    order: Some(oid),
                    at: om.at,
                    amount: Some(amount),
                    cashier: om.cashier,
                    tender: Some(tender),
                    status: om.status.clone(),
                    customer: om.customer.clone(),
                    last4,
                });
            }
            let mut st = c.prepare("SELECT order_id, product_id, line_code, serial_number FROM order_lines")?;
            for r in st.query_map([], |r| {
                Ok((r.get::<_, i64>(0)?, r.get::<_, i64>(1)?, r.get::<_, String>(2)?, r.get::<_, Option<String>>(3)?))
            })? {
                let (oid, pid, code, serial) = r?;
                let o = orders.get_mut(&oid).unwrap();
                o.products.insert(pid);
                o.codes.insert(code);
                o.serials.extend(serial);
            }
            let mut st =
                c.prepare("SELECT id, order_id, created_at_ms, amount_minor, cashier_id, tender, status FROM refunds")?;
            for r in st.query_map([], |r| {
                Ok(M {
                    kind: HistoryKind::Refunds,
                    id: r.get(0)?,
                    order: Some(r.get(1)?),
                    at: r.get(2)?,
                    amount: Some(r.get(3)?),
                    cashier: Some(r.get(4)?),
                    tender: Some(r.get(5)?),
                    status: r.get(6)?,
                    customer: None,
                    last4: None,
                })
            })? {
                rows.push(r?);
            }
            let mut st = c.prepare("SELECT id, order_id, created_at_ms, status, customer_ref FROM points_ledger")?;
            for r in st.query_map([], |r| {
                Ok(M {
                    kind: HistoryKind::Points,
                    id: r.get(0)?,
                    order: r.get(1)?,
                    at: r.get(2)?,
                    amount: None,
                    cashier: None,
                    tender: None,
                    status: r.get(3)?,
                    customer: Some(r.get(4)?),
                    last4: None,
                })
            })? {
                rows.push(r?);
            }
            let mut st = c.prepare("SELECT rowid, subject, created_at_ms, state FROM outbox")?;
            for r in st.query_map([], |r| {
                Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?, r.get::<_, i64>(2)?, r.get::<_, String>(3)?))
            })? {
                let (id, subject, at, state) = r?;
                rows.push(M {
                    kind: HistoryKind::Sync,
                    id,
                    order: subject.strip_prefix("order/").map(|n| n.parse().unwrap()),
                    at,
                    amount: None,
                    cashier: None,
                    tender: None,
                    status: sync_status(&state).into(),
                    customer: None,
                    last4: None,
                });
            }
            let mut st = c.prepare("SELECT id, sku, barcode, name FROM products")?;
            let products = st
                .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))?
                .collect::<std::result::Result<Vec<_>, _>>()?;
            Ok(World { rows, orders, products })
        })
        .unwrap()
    }

    fn statuses(kind: HistoryKind) -> &'static [&'static str] {
        match kind {
            HistoryKind::Orders | HistoryKind::Payments => ORDER_STATUSES,
            HistoryKind::Refunds => REFUND_STATUSES,
            HistoryKind::Points => POINTS_STATUSES,
            _ => SYNC_STATUSES,
        }
    }

    /// The filter semantics, restated over plain values.
    fn matches(w: &World, q: &HistoryQuery, m: &M) -> bool {
        if q.kind != HistoryKind::All && q.kind != m.kind {
            return false;
        }
        let o = m.order.and_then(|id| w.orders.get(&id));
        let via = |f: &dyn Fn(&O) -> bool| o.is_some_and(f);
        if q.from_ms.is_some_and(|f| m.at < f) || q.to_ms.is_some_and(|t| m.at >= t) {
            return false;
        }
        if q.min_amount_minor.is_some() || q.max_amount_minor.is_some() {
            let Some(a) = m.amount else { return false };
            if q.min_amount_minor.is_some_and(|x| a < x) || q.max_amount_minor.is_some_and(|x| a > x) {
                return false;
            }
        }
        if let Some(st) = &q.status {
            if !statuses(m.kind).contains(&st.as_str()) || &m.status != st {
                return false;
            }
        }
        if let Some(c) = q.cashier_id {
            let ok = match m.kind {
                HistoryKind::Orders | HistoryKind::Payments | HistoryKind::Refunds => m.cashier == Some(c),
                _ => via(&|o| o.cashier == c),
            };
            if !ok {
                return false;
            }
        }
        if let Some(t) = &q.tender {
            let ok = match m.kind {
                HistoryKind::Payments | HistoryKind::Refunds => m.tender.as_ref() == Some(t),
                _ => via(&|o| o.tenders.contains(t)),
            };
            if !ok {
                return false;
            }
        }
        if let Some(cu) = &q.customer {
            let ok = match m.kind {
                HistoryKind::Orders | HistoryKind::Payments | HistoryKind::Points => m.customer.as_ref() == Some(cu),
                _ => via(&|o| o.customer.as_ref() == Some(cu)),
            };
            if !ok {
                return false;
            }
        }
        if let Some(l) = &q.card_last4 {
            let ok = match m.kind {
                HistoryKind::Orders => via(&|o| o.last4.contains(l)),
                HistoryKind::Payments => m.last4.as_ref() == Some(l),
                _ => false,
            };
            if !ok {
                return false;
            }
        }
        if let Some(p) = &q.product {
            let ids: HashSet<i64> = w
                .products
                .iter()
                .filter(|(_, sku, bc, name)| sku == p || bc.as_ref() == Some(p) || name.starts_with(p.as_str()))
                .map(|x| x.0)
                .collect();
            if !via(&|o| o.products.iter().any(|x| ids.contains(x))) {
                return false;
            }
        }
        if let Some(code) = &q.line_code {
            let code = LineCode::parse(code).unwrap().as_str().to_string();
            if !via(&|o| o.codes.contains(&code)) {
                return false;
            }
        }
        if let Some(d) = &q.device_id {
            if !via(&|o| o.serials.contains(d)) {
                return false;
            }
        }
        if let Some(n) = &q.order_no {
            if m.order != Some(n.parse::<i64>().unwrap()) {
                return false;
            }
        }
        true
    }

    fn all_pages(s: &Store, q: &HistoryQuery, limit: u32) -> Vec<HistoryRow> {
        let mut out = Vec::new();
        let mut cursor: Option<String> = None;
        loop {
            let page = s.history_page(q, cursor.as_deref(), limit).unwrap();
            assert!(page.rows.len() <= limit as usize);
            out.extend(page.rows);
            match page.next_cursor {
                Some(c) => cursor = Some(c),
                None => return out,
            }
        }
    }

    fn sort_key(q: &HistoryQuery, kind: HistoryKind, at: i64, amount: Option<i64>, id: i64) -> (i64, i64, i64) {
        let k = match q.sort {
            HistorySort::Newest | HistorySort::Oldest => at,
            _ => amount.unwrap_or(0),
        };
        (k, kind_rank(kind), id)
    }

    fn check(s: &Store, w: &World, q: &HistoryQuery) -> usize {
        let got = all_pages(s, q, 97);
        let keys: Vec<(HistoryKind, i64)> = got.iter().map(|r| (r.kind, r.id)).collect();
        let unique: HashSet<_> = keys.iter().copied().collect();
        assert_eq!(unique.len(), keys.len(), "a row came twice for {q:?}");
        let want: HashSet<(HistoryKind, i64)> =
            w.rows.iter().filter(|m| matches(w, q, m)).map(|m| (m.kind, m.id)).collect();
        assert_eq!(unique, want, "wrong rows for {q:?}");
        // In page order, strictly.
        let ks: Vec<_> = got.iter().map(|r| sort_key(q, r.kind, r.at_ms, r.amount.map(|a| a.minor()), r.id)).collect();
        for pair in ks.windows(2) {
            if descending(q.sort) {
                assert!(pair[0] > pair[1], "out of order for {q:?}");
            } else {
                assert!(pair[0] < pair[1], "out of order for {q:?}");
            }
        }
        let n = s.history_count(q, 1_000_000).unwrap();
        assert_eq!((n.count, n.capped), (want.len() as i64, false), "count for {q:?}");
        if want.len() > 3 {
            assert_eq!(s.history_count(q, 3).unwrap(), HistoryCount { count: 3, capped: true });
        }
        want.len()
    }

    #[test]
    fn every_filter_returns_exactly_its_rows_in_order_across_pages() {
        let (_d, s) = setup(1_200);
        let w = world(&s);
        let pay = w.rows.iter().find(|m| m.last4.is_some() && m.id > 300).unwrap();
        let last4 = pay.last4.clone();
        let customer = w.orders.values().find_map(|o| o.customer.clone());
        let refunded = w.rows.iter().find(|m| m.kind == HistoryKind::Refunds).unwrap().order.unwrap();
        let o = &w.orders[&refunded];
        let code = o.codes.iter().next().unwrap().to_lowercase();
        let serial = w.orders.values().find_map(|o| o.serials.iter().next().cloned());
        assert!(serial.is_some(), "some phones were sold");
        let t0 = 1_700_000_000_000 + 10 * DAY;
        let base = HistoryQuery::default();
        let queries = vec![
            base.clone(),
            HistoryQuery { from_ms: Some(t0), to_ms: Some(t0 + 5 * DAY), ..base.clone() },
            HistoryQuery { cashier_id: Some(1), ..base.clone() },
            HistoryQuery { tender: Some("card".into()), ..base.clone() },
            HistoryQuery { tender: Some("points".into()), ..base.clone() },
            HistoryQuery { status: Some("partly_refunded".into()), ..base.clone() },
            HistoryQuery { status: Some("confirmed".into()), ..base.clone() },
            HistoryQuery { status: Some("sent".into()), ..base.clone() },
            HistoryQuery { min_amount_minor: Some(5_000), max_amount_minor: Some(20_000), ..base.clone() },
            HistoryQuery { card_last4: last4, ..base.clone() },
            HistoryQuery { customer: customer.clone(), ..base.clone() },
            HistoryQuery { product: Some("GEN-ITEM-2".into()), ..base.clone() },
            HistoryQuery { product: Some("Phone Demo".into()), ..base.clone() },
            HistoryQuery { line_code: Some(code), ..base.clone() },
            HistoryQuery { device_id: serial, ..base.clone() },
            HistoryQuery { order_no: Some(format!("{refunded:08}")), ..base.clone() },
            HistoryQuery {
                cashier_id: Some(2),
                tender: Some("cash".into()),
                from_ms: Some(t0),
                to_ms: Some(t0 + 20 * DAY),
                ..base.clone()
            },
            HistoryQuery { product: Some("no such thing".into()), ..base.clone() },
        ];
        let kinds = [
            HistoryKind::All,
            HistoryKind::Orders,
            HistoryKind::Payments,
            HistoryKind::Refunds,
            HistoryKind::Points,
            HistoryKind::Sync,
        ];
        let mut nonempty = 0;
        for q in &queries {
            for kind in kinds {
                if check(&s, &w, &HistoryQuery { kind, ..q.clone() }) > 0 {
                    nonempty += 1;
                }
            }
        }
        // Not a vacuous pass: most filters find something in most kinds.
        assert!(nonempty > 60, "only {nonempty} filters found rows");
        for sort in [HistorySort::Oldest, HistorySort::AmountDesc, HistorySort::AmountAsc] {
            for q in [&queries[0], &queries[1], &queries[8], &queries[10]] {
                for kind in [HistoryKind::All, HistoryKind::Orders, HistoryKind::Payments] {
                    check(&s, &w, &HistoryQuery { kind, sort, ..q.clone() });
                }
            }
        }
    }

    #[test]
    fn rows_written_between_pages_do_not_shift_them() {
        let (_d, s) = setup(300);
        let q = HistoryQuery::default();
        let first = s.history_page(&q, None, 50).unwrap();
        let second_before = s.history_page(&q, first.next_cursor.as_deref(), 50).unwrap();
        // A newer sale arrives; the second page from the same cursor is unchanged.
        let spec = GenerateSpec { orders: 5, seed: 9, start_ms: 1_800_000_000_000, days: 1, currency: Currency::CNY };
        generate(&s, &spec, &mut |_, _| {}).unwrap();
        let second_after = s.history_page(&q, first.next_cursor.as_deref(), 50).unwrap();
        assert_eq!(second_before, second_after);
        assert!(s.history_page(&q, None, 1).unwrap().rows[0].at_ms >= 1_800_000_000_000);
    }

    #[test]
    fn bad_input_is_refused_with_a_reason() {
        let (_d, s) = setup(20);
        let bad = |q: HistoryQuery| match s.history_page(&q, None, 50) {
            Err(StoreError::Invalid(m)) => m,
            other => panic!("{q:?} gave {other:?}"),
        };
        let base = HistoryQuery::default();
        assert!(bad(HistoryQuery { from_ms: Some(10), to_ms: Some(5), ..base.clone() }).contains("after its end"));
        assert!(bad(HistoryQuery { card_last4: Some("12a4".into()), ..base.clone() }).contains("4 digits"));
        assert!(bad(HistoryQuery { card_last4: Some("12345".into()), ..base.clone() }).contains("4 digits"));
        assert!(
            bad(HistoryQuery { min_amount_minor: Some(9), max_amount_minor: Some(1), ..base.clone() }).contains("swap")
        );
        assert!(bad(HistoryQuery { tender: Some("cheque".into()), ..base.clone() }).contains("cash, card or points"));
        assert!(bad(HistoryQuery { status: Some("lost".into()), ..base.clone() }).contains("unknown status"));
        assert!(bad(HistoryQuery { line_code: Some("ABC".into()), ..base.clone() }).contains("line code"));
        assert!(bad(HistoryQuery { order_no: Some("12x".into()), ..base.clone() }).contains("order number"));
        for cursor in ["", "zzz", "n1.2", "n1.9.3", "a1.1.1", "n1.1.x"] {
            assert!(
                matches!(s.history_page(&base, Some(cursor), 50), Err(StoreError::Invalid(_))),
                "cursor {cursor:?}"
            );
        }
        assert!(matches!(s.history_page(&base, None, 0), Err(StoreError::Invalid(_))));
        assert!(matches!(s.history_count(&base, -1), Err(StoreError::Invalid(_))));
        // The UI sends camelCase and may leave anything out.
        let q: HistoryQuery = serde_json::from_str(r#"{"kind":"refunds","cardLast4":"1234"}"#).unwrap();
        assert_eq!(
            (q.kind, q.sort, q.card_last4.as_deref()),
            (HistoryKind::Refunds, HistorySort::Newest, Some("1234"))
        );
    }

    #[test]
    fn order_extras_list_refunds_points_and_sync_of_that_order() {
        let (_d, s) = setup(1_500);
        let (order_id, refund_id): (i64, i64) = s
            .read(|c| {
                Ok(c.query_row(
                    "SELECT r.order_id, r.id FROM refunds r JOIN orders o ON o.id = r.order_id
                     WHERE o.customer_ref IS NOT NULL ORDER BY r.id LIMIT 1",
                    [],
                    |r| Ok((r.get(0)?, r.get(1)?)),
                )?)
            })
            .unwrap();
        // Generated customers earn no points (no loyalty token), so the order gets one here.
        s.write(|tx| {
            Ok(tx.execute(
                "INSERT INTO points_ledger (customer_ref, order_id, kind, points, status, created_at_ms)
                 SELECT customer_ref, id, 'earn', 12, 'confirmed', created_at_ms FROM orders WHERE id = ?1",
                [order_id],
            )?)
        })
        .unwrap();
        s.audit(1, None, "receipt.reprinted", &serde_json::json!({ "order_id": order_id })).unwrap();
        s.audit(1, None, "receipt.reprinted", &serde_json::json!({ "order_id": order_id * 10 + 1 })).unwrap();
        let x = s.order_extras(order_id).unwrap();
        assert!(x.status == "refunded" || x.status == "partly_refunded");
        let paid: i64 = x.payments.iter().map(|p| p.amount.minor()).sum();
        let total: i64 = s
            .read(|c| Ok(c.query_row("SELECT total_minor FROM orders WHERE id = ?1", [order_id], |r| r.get(0))?))
            .unwrap();
        assert_eq!(paid, total);
        assert_eq!(x.refunds.len(), 1);
        assert_eq!(x.refunds[0].id, refund_id);
        assert_eq!(x.refunds[0].refund_no, format!("R{refund_id:07}"));
        assert_eq!(x.refunds[0].lines.iter().map(|l| l.amount.minor()).sum::<i64>(), x.refunds[0].amount.minor());
        assert!(x.points.iter().any(|p| p.kind == "earn"));
        assert!(x.points.iter().all(|p| p.customer_ref.len() == 32));
        let kinds: Vec<&str> = x.sync.iter().map(|e| e.kind.as_str()).collect();
        let mut expected = vec!["sale.recorded"];
        expected.extend(x.refunds[0].lines.iter().map(|_| "refund.requested"));
        assert_eq!(kinds, expected);
        let actions: Vec<&str> = x.audit.iter().map(|a| a.action.as_str()).collect();
        assert_eq!(
            actions,
            ["sale.recorded", "refund.recorded", "receipt.reprinted"],
            "only the entries naming this order: {:?}",
            x.audit
        );
        assert!(matches!(s.order_extras(999_999), Err(StoreError::NotFound(_))));
    }
}
