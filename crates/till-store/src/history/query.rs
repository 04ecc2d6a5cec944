//! How a page is found: the filters checked and turned into sets, the plan (which set drives),
//! the keyset cursor, and the SQL of one page.

use super::*;
use rusqlite::types::Value;
use rusqlite::{params_from_iter, Connection};

/// A filter on the order a row belongs to, as a set of order ids. `{x}` in `probe` is the
/// row's order id expression.
pub(super) struct SetFilter {
    /// `SELECT <order id> ...`: the set, to drive the query when small.
    pub(super) set_sql: String,
    /// A per-row check.
    pub(super) probe: String,
    pub(super) params: Vec<Value>,
    /// Never small enough to drive (a tender, a cashier): not counted.
    pub(super) dense: bool,
}

/// The query, checked and normalised.
pub(super) struct Filters {
    pub(super) kind: HistoryKind,
    pub(super) sort: HistorySort,
    pub(super) from: Option<i64>,
    pub(super) to: Option<i64>,
    pub(super) cashier: Option<i64>,
    pub(super) tender: Option<String>,
    pub(super) status: Option<String>,
    pub(super) min: Option<i64>,
    pub(super) max: Option<i64>,
    pub(super) last4: Option<String>,
    pub(super) customer: Option<String>,
    /// Product ids the product filter names (empty: it names none, so nothing matches).
    pub(super) products: Option<Vec<i64>>,
    pub(super) line_code: Option<String>,
    pub(super) device: Option<String>,
    pub(super) order_id: Option<i64>,
}

pub(super) fn validate(c: &Connection, q: &HistoryQuery) -> Result<Filters> {
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
        if !["cash", "card", "points", "payment_code"].contains(&t.as_str()) {
            return Err(invalid(format!("unknown tender {t:?}: use cash, card, points or payment_code")));
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
pub(super) struct KindShape {
    pub(super) kind: HistoryKind,
    pub(super) from: &'static str,
    /// The row's order id.
    pub(super) x: &'static str,
    pub(super) at: &'static str,
    pub(super) id: &'static str,
    pub(super) amount: Option<&'static str>,
    /// Direct column for the cashier, or None (then checked through the order).
    pub(super) cashier: Option<&'static str>,
    /// Direct column for the tender, or None (then checked through the order's payments).
    pub(super) tender: Option<&'static str>,
    /// Direct column for the customer, or None (then through the order).
    pub(super) customer: Option<&'static str>,
    /// Direct column for the card's last four, if the row is a payment.
    pub(super) last4: Option<&'static str>,
}

pub(super) fn shape(kind: HistoryKind) -> KindShape {
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
pub(super) fn set_filters(f: &Filters, s: &KindShape) -> Vec<SetFilter> {
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
pub(super) struct Sql {
    pub(super) text: String,
    pub(super) params: Vec<Value>,
}

impl Sql {
    fn push(&mut self, text: &str, params: impl IntoIterator<Item = Value>) {
        self.text.push_str(text);
        self.params.extend(params);
    }
}

/// Where a page starts: strictly after this (sort key, kind rank, id).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Cursor {
    pub(super) key: i64,
    pub(super) rank: i64,
    pub(super) id: i64,
}

pub(super) fn sort_tag(s: HistorySort) -> char {
    match s {
        HistorySort::Newest => 'n',
        HistorySort::Oldest => 'o',
        HistorySort::AmountDesc => 'a',
        HistorySort::AmountAsc => 'b',
    }
}

pub(super) fn encode_cursor(sort: HistorySort, c: Cursor) -> String {
    format!("{}{}.{}.{}", sort_tag(sort), c.key, c.rank, c.id)
}

pub(super) fn decode_cursor(sort: HistorySort, text: &str) -> Result<Cursor> {
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

pub(super) fn descending(s: HistorySort) -> bool {
    matches!(s, HistorySort::Newest | HistorySort::AmountDesc)
}

/// Which status values a kind understands, and how each is written against its columns.
pub(super) fn status_clause(kind: HistoryKind, status: &str) -> Option<&'static str> {
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
pub(super) struct Plan {
    pub(super) driver: Option<usize>,
}

/// Counts up to `cap` + 1 rows of `sql` (so "more than cap" is known without counting all).
pub(super) fn capped_count(c: &Connection, sql: &str, params: &[Value], cap: i64) -> Result<i64> {
    let text = format!("SELECT count(*) FROM ({sql} LIMIT {})", cap.saturating_add(1));
    Ok(c.prepare_cached(&text)?.query_row(params_from_iter(params.iter()), |r| r.get(0))?)
}

pub(super) fn plan(c: &Connection, sets: &[SetFilter]) -> Result<Plan> {
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
pub(super) fn kind_query(
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

pub(super) fn kinds_of(k: HistoryKind) -> Vec<HistoryKind> {
    if k == HistoryKind::All {
        KINDS.to_vec()
    } else {
        vec![k]
    }
}

/// The page query (kind rank, sort key, time, id), for `tillctl bench history`'s plans too.
pub(super) fn page_query(c: &Connection, f: &Filters, after: Option<Cursor>, limit: i64) -> Result<Sql> {
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

/// A filter "the order has a `table` row whose `column` equals `value`", `key` naming the
/// order id in `table`; an index on `column` makes its set small and cheap to count.
pub(super) fn equals_filter(table: &str, key: &str, column: &str, value: &str) -> SetFilter {
    SetFilter {
        set_sql: format!("SELECT {key} AS oid FROM {table} WHERE {column} = ?"),
        probe: format!("EXISTS (SELECT 1 FROM {table} eq WHERE eq.{key} = {{x}} AND eq.{column} = ?)"),
        params: vec![Value::Text(value.to_string())],
        dense: false,
    }
}
