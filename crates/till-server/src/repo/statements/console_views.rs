//! The statements behind the console's pages: each answers only one merchant's rows.
//!
//! Who owns what: a sale, a customer and a points account carry the merchant they were recorded
//! for (`merchant_id`, stamped when the row was made, docs/merchants-and-stores.md); a terminal
//! is its store's merchant's now ([`super::super::scope_sql`]). Optional filters are
//! `CAST(?n AS TEXT) IS NULL OR ...`, which both databases type.

use super::super::scope_sql::{store_merchant, terminal_merchant, terminal_store};
use super::super::sql::{Row, SqlConn, SqlConnExt};
use super::super::{CurrencyTotal, CustomerRow, PointsAccountRow, RepoResult, SaleRow, SalesFilter, TerminalRow};
use crate::args;

/// The WHERE clause of the sales filter: ?1 merchant, ?2 store, ?3 terminal, ?4 from, ?5
/// until, ?6 minimum total.
fn sales_where() -> String {
    // The store is the one the server put the terminal in, not the name the till sent.
    format!(
        "o.merchant_id = ?1 AND (CAST(?2 AS TEXT) IS NULL OR {store} = ?2) \
         AND (CAST(?3 AS TEXT) IS NULL OR o.terminal_id = ?3) \
         AND (CAST(?4 AS BIGINT) IS NULL OR o.created_at >= ?4) \
         AND (CAST(?5 AS BIGINT) IS NULL OR o.created_at < ?5) \
         AND (CAST(?6 AS BIGINT) IS NULL OR o.total_minor >= ?6)",
        store = terminal_store("o.terminal_id"),
    )
}

/// A page of sales.
pub(super) fn sales(conn: &mut dyn SqlConn, f: &SalesFilter) -> RepoResult<Vec<SaleRow>> {
    let sql = format!(
        "SELECT o.terminal_id, t.name, {store}, o.order_id, o.currency, o.total_minor, o.customer_id, o.created_at \
         FROM orders o LEFT JOIN terminals t ON t.id = o.terminal_id WHERE {filter} \
         ORDER BY o.created_at DESC, o.terminal_id, o.order_id LIMIT ?7 OFFSET ?8",
        store = terminal_store("o.terminal_id"),
        filter = sales_where(),
    );
    conn.query_map(
        &sql,
        args![f.merchant_id, f.store, f.terminal, f.from, f.until, f.min_total_minor, f.limit, f.offset],
        |r| {
            Ok(SaleRow {
                terminal_id: r.text(0)?,
                terminal_name: r.opt_text(1)?,
                store: r.text(2)?,
                order_id: r.text(3)?,
                currency: r.text(4)?,
                total_minor: r.int(5)?,
                customer_id: r.opt_text(6)?,
                created_at: r.int(7)?,
            })
        },
    )
}

/// Totals per currency of every matching sale.
pub(super) fn sales_totals(conn: &mut dyn SqlConn, f: &SalesFilter) -> RepoResult<Vec<CurrencyTotal>> {
    let sql = format!(
        "SELECT o.currency, COUNT(*), CAST(SUM(o.total_minor) AS BIGINT) FROM orders o WHERE {filter} \
         GROUP BY o.currency ORDER BY o.currency",
        filter = sales_where(),
    );
    conn.query_map(&sql, args![f.merchant_id, f.store, f.terminal, f.from, f.until, f.min_total_minor], |r| {
        Ok(CurrencyTotal { currency: r.text(0)?, count: r.int(1)?, total_minor: r.int(2)? })
    })
}

/// The merchant's stores: those added for it and those its terminals are in.
pub(super) fn stores(conn: &mut dyn SqlConn, merchant_id: &str) -> RepoResult<Vec<String>> {
    let sql = format!(
        "SELECT s.store FROM stores s WHERE s.merchant_id = ?1 \
         UNION SELECT {store} FROM terminals t WHERE {merchant} = ?1 ORDER BY 1",
        store = terminal_store("t.id"),
        merchant = terminal_merchant("t.id"),
    );
    conn.query_map(&sql, args![merchant_id], |r| r.text(0))
}

/// The merchant's terminals.
pub(super) fn terminals(conn: &mut dyn SqlConn, merchant_id: &str) -> RepoResult<Vec<TerminalRow>> {
    let sql = format!(
        "SELECT t.id, t.name, {store}, t.created_at, t.disabled FROM terminals t WHERE {merchant} = ?1 \
         ORDER BY t.created_at, t.id",
        store = terminal_store("t.id"),
        merchant = terminal_merchant("t.id"),
    );
    conn.query_map(&sql, args![merchant_id], |r| {
        Ok(TerminalRow {
            terminal_id: r.text(0)?,
            name: r.text(1)?,
            store: r.text(2)?,
            created_at: r.int(3)?,
            disabled: r.flag(4)?,
        })
    })
}

/// The merchant of a store.
pub(super) fn store_merchant_of(conn: &mut dyn SqlConn, store: &str) -> RepoResult<String> {
    let sql = format!("SELECT {merchant} FROM (SELECT CAST(?1 AS TEXT) AS st) q", merchant = store_merchant("q.st"));
    Ok(conn.query_opt(&sql, args![store], |r| r.text(0))?.unwrap_or_else(|| "default".to_string()))
}

/// The merchant of a terminal.
pub(super) fn terminal_merchant_of(conn: &mut dyn SqlConn, terminal: &str) -> RepoResult<Option<String>> {
    let sql = format!("SELECT {merchant} FROM terminals t WHERE t.id = ?1", merchant = terminal_merchant("t.id"));
    conn.query_opt(&sql, args![terminal], |r| r.text(0))
}

/// `%text%` for LIKE, with LIKE's own characters taken literally (`ESCAPE '\'`).
fn contains_pattern(text: &str) -> String {
    let escaped = text.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_");
    format!("%{escaped}%")
}

/// Whether the customer in `c` is the merchant's (?1).
fn customer_seen() -> &'static str {
    "c.merchant_id = ?1"
}

fn customer_row(r: &Row) -> RepoResult<CustomerRow> {
    Ok(CustomerRow { customer_id: r.text(0)?, reputation: r.int(1)? })
}

/// A page of customers.
pub(super) fn customers(
    conn: &mut dyn SqlConn,
    merchant_id: &str,
    search: Option<&str>,
    limit: i64,
    offset: i64,
) -> RepoResult<Vec<CustomerRow>> {
    let sql = format!(
        "SELECT c.customer_id, c.reputation FROM customers c WHERE {seen} \
         AND (CAST(?2 AS TEXT) IS NULL OR LOWER(c.customer_id) LIKE LOWER(?2) ESCAPE '\\') \
         ORDER BY c.customer_id LIMIT ?3 OFFSET ?4",
        seen = customer_seen(),
    );
    conn.query_map(&sql, args![merchant_id, search.map(contains_pattern), limit, offset], customer_row)
}

/// One customer.
pub(super) fn customer(
    conn: &mut dyn SqlConn,
    merchant_id: &str,
    customer_id: &str,
) -> RepoResult<Option<CustomerRow>> {
    let sql = format!(
        "SELECT c.customer_id, c.reputation FROM customers c WHERE {seen} AND c.customer_id = ?2",
        seen = customer_seen(),
    );
    conn.query_opt(&sql, args![merchant_id, customer_id], customer_row)
}

/// Whether the points account in `a` is the merchant's (?1).
fn account_seen() -> &'static str {
    "a.merchant_id = ?1"
}

fn account_row(r: &Row) -> RepoResult<PointsAccountRow> {
    Ok(PointsAccountRow {
        account_id: r.text(0)?,
        customer_ref: r.opt_text(1)?,
        balance: r.int(2)?,
        created_at: r.int(3)?,
    })
}

/// A page of points accounts.
pub(super) fn points_accounts(
    conn: &mut dyn SqlConn,
    merchant_id: &str,
    search: Option<&str>,
    limit: i64,
    offset: i64,
) -> RepoResult<Vec<PointsAccountRow>> {
    let sql = format!(
        "SELECT a.account_id, a.customer_ref, a.balance, a.created_at FROM points_accounts a WHERE {seen} \
         AND (CAST(?2 AS TEXT) IS NULL OR LOWER(a.account_id) LIKE LOWER(?2) ESCAPE '\\' \
              OR LOWER(COALESCE(a.customer_ref, '')) LIKE LOWER(?2) ESCAPE '\\') \
         ORDER BY a.created_at DESC, a.account_id LIMIT ?3 OFFSET ?4",
        seen = account_seen(),
    );
    conn.query_map(&sql, args![merchant_id, search.map(contains_pattern), limit, offset], account_row)
}

/// One points account.
pub(super) fn points_account(
    conn: &mut dyn SqlConn,
    merchant_id: &str,
    account_id: &str,
) -> RepoResult<Option<PointsAccountRow>> {
    let sql = format!(
        "SELECT a.account_id, a.customer_ref, a.balance, a.created_at FROM points_accounts a \
         WHERE {seen} AND a.account_id = ?2",
        seen = account_seen(),
    );
    conn.query_opt(&sql, args![merchant_id, account_id], account_row)
}
