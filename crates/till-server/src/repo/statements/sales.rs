//! The statements behind recorded sales: orders, their lines (with line codes) and payments, the
//! sold-data list, customers' reputations and refunds.

use super::rows::{line_row, payment_row, refund_row, LINE_COLUMNS, PAYMENT_COLUMNS, REFUND_COLUMNS};
use crate::args;
use crate::repo::sql::{SqlConn, SqlConnExt};
use crate::repo::*;

/// Whether the terminal already recorded this order.
pub(in crate::repo) fn order_exists(conn: &mut dyn SqlConn, terminal: &str, order_id: &str) -> RepoResult<bool> {
    conn.exists("SELECT 1 FROM orders WHERE terminal_id = ?1 AND order_id = ?2", args![terminal, order_id])
}

/// Stores an order header.
pub(in crate::repo) fn insert_order(conn: &mut dyn SqlConn, o: &OrderRecord) -> RepoResult<()> {
    conn.execute(
        "INSERT INTO orders (terminal_id, order_id, store, currency, total_minor, customer_id, created_at, \
         recorded_at, checkout_key) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
        args![
            o.terminal_id,
            o.order_id,
            o.store,
            o.currency,
            o.total_minor,
            o.customer_id,
            o.created_at,
            o.recorded_at,
            o.checkout_key
        ],
    )?;
    Ok(())
}

/// An order header.
pub(in crate::repo) fn order(
    conn: &mut dyn SqlConn,
    terminal: &str,
    order_id: &str,
) -> RepoResult<Option<OrderRecord>> {
    conn.query_opt(
        "SELECT terminal_id, order_id, store, currency, total_minor, customer_id, created_at, recorded_at, \
         checkout_key FROM orders WHERE terminal_id = ?1 AND order_id = ?2",
        args![terminal, order_id],
        |r| {
            Ok(OrderRecord {
                terminal_id: r.text(0)?,
                order_id: r.text(1)?,
                store: r.text(2)?,
                currency: r.text(3)?,
                total_minor: r.int(4)?,
                customer_id: r.opt_text(5)?,
                created_at: r.int(6)?,
                recorded_at: r.int(7)?,
                checkout_key: r.opt_text(8)?,
            })
        },
    )
}

/// Stores an order line.
pub(in crate::repo) fn insert_line(conn: &mut dyn SqlConn, l: &LineRecord) -> RepoResult<()> {
    conn.execute(
        &format!("INSERT INTO order_lines ({LINE_COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)"),
        args![
            l.line_code,
            l.terminal_id,
            l.order_id,
            l.line_no,
            l.sku,
            l.name,
            l.quantity,
            l.unit_price_minor,
            l.total_minor,
            l.currency,
            l.seller,
            l.refunded_minor
        ],
    )?;
    Ok(())
}

/// A line by its code.
pub(in crate::repo) fn line(conn: &mut dyn SqlConn, line_code: &str) -> RepoResult<Option<LineRecord>> {
    conn.query_opt(&format!("SELECT {LINE_COLUMNS} FROM order_lines WHERE line_code = ?1"), args![line_code], line_row)
}

/// Adds to what is refunded of a line.
pub(in crate::repo) fn add_line_refunded(conn: &mut dyn SqlConn, line_code: &str, delta: i64) -> RepoResult<()> {
    conn.execute(
        "UPDATE order_lines SET refunded_minor = refunded_minor + ?2 WHERE line_code = ?1",
        args![line_code, delta],
    )?;
    Ok(())
}

/// Stores a payment.
pub(in crate::repo) fn insert_payment(conn: &mut dyn SqlConn, p: &PaymentRecord) -> RepoResult<()> {
    conn.execute(
        &format!("INSERT INTO payments ({PAYMENT_COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)"),
        args![
            p.terminal_id,
            p.order_id,
            p.seq,
            p.tender,
            p.amount_minor,
            p.currency,
            p.masked_pan,
            p.auth_code,
            p.payment_id
        ],
    )?;
    Ok(())
}

/// The payments of an order, in order.
pub(in crate::repo) fn order_payments(
    conn: &mut dyn SqlConn,
    terminal: &str,
    order_id: &str,
) -> RepoResult<Vec<PaymentRecord>> {
    conn.query_map(
        &format!("SELECT {PAYMENT_COLUMNS} FROM payments WHERE terminal_id = ?1 AND order_id = ?2 ORDER BY seq"),
        args![terminal, order_id],
        payment_row,
    )
}

/// Stores a refund.
pub(in crate::repo) fn insert_refund(conn: &mut dyn SqlConn, r: &RefundRecord) -> RepoResult<()> {
    conn.execute(
        &format!(
            "INSERT INTO refunds ({REFUND_COLUMNS}) VALUES \
             (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18)"
        ),
        args![
            r.refund_id,
            r.terminal_id,
            r.line_code,
            r.device_blind,
            r.amount_minor,
            r.currency,
            r.tender,
            r.reason,
            r.evidence_sha256,
            r.customer_id,
            r.approved_by,
            r.reputation,
            r.status,
            r.refund_to,
            r.created_at,
            r.decided_at,
            r.decided_by,
            r.original_auth_code
        ],
    )?;
    Ok(())
}

/// A refund by id.
pub(in crate::repo) fn refund(conn: &mut dyn SqlConn, refund_id: &str) -> RepoResult<Option<RefundRecord>> {
    conn.query_opt(&format!("SELECT {REFUND_COLUMNS} FROM refunds WHERE refund_id = ?1"), args![refund_id], refund_row)
}

/// Records a decision on a refund.
pub(in crate::repo) fn set_refund_status(
    conn: &mut dyn SqlConn,
    refund_id: &str,
    status: &str,
    at: i64,
    by: &str,
) -> RepoResult<()> {
    conn.execute(
        "UPDATE refunds SET status = ?2, decided_at = ?3, decided_by = ?4 WHERE refund_id = ?1",
        args![refund_id, status, at, by],
    )?;
    Ok(())
}

/// Refunds, optionally of one status, oldest first. (`CAST`: PostgreSQL cannot type a parameter
/// that is only compared with NULL.)
pub(in crate::repo) fn refunds(conn: &mut dyn SqlConn, status: Option<&str>) -> RepoResult<Vec<RefundRecord>> {
    conn.query_map(
        &format!(
            "SELECT {REFUND_COLUMNS} FROM refunds WHERE (CAST(?1 AS TEXT) IS NULL OR status = ?1) ORDER BY created_at, refund_id"
        ),
        args![status],
        refund_row,
    )
}
