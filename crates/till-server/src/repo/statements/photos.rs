//! The statements behind refund photos (schema version 15), written once for SQLite and
//! PostgreSQL.

use super::super::sql::{SqlConn, SqlConnExt};
use super::super::{AwaitingRefundRow, RefundPhotoRecord, RepoResult};
use crate::args;
use crate::repo::scope_sql::terminal_store;

/// Schema version 15: the photos of refunds' defects, one row per distinct photo.
pub(in crate::repo) const MIGRATION_15: &str = "
CREATE TABLE refund_photos (
    sha256 TEXT PRIMARY KEY, content_type TEXT NOT NULL, bytes BYTEA NOT NULL, size BIGINT NOT NULL,
    terminal_id TEXT NOT NULL, created_at BIGINT NOT NULL);
";

/// Stores the photo unless its SHA-256 is stored; true when this statement stored it.
pub(super) fn insert(conn: &mut dyn SqlConn, p: &RefundPhotoRecord) -> RepoResult<bool> {
    let changed = conn.execute(
        "INSERT INTO refund_photos (sha256, content_type, bytes, size, terminal_id, created_at) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT (sha256) DO NOTHING",
        args![p.sha256, p.content_type, p.bytes, p.size, p.terminal_id, p.created_at],
    )?;
    Ok(changed == 1)
}

/// The photo with this SHA-256.
pub(super) fn by_sha256(conn: &mut dyn SqlConn, sha256: &str) -> RepoResult<Option<RefundPhotoRecord>> {
    conn.query_opt(
        "SELECT sha256, content_type, bytes, size, terminal_id, created_at FROM refund_photos WHERE sha256 = ?1",
        args![sha256],
        |r| {
            Ok(RefundPhotoRecord {
                sha256: r.text(0)?,
                content_type: r.text(1)?,
                bytes: r.bytes(2)?,
                size: r.int(3)?,
                terminal_id: r.text(4)?,
                created_at: r.int(5)?,
            })
        },
    )
}

/// Whether the photo is stored.
pub(super) fn exists(conn: &mut dyn SqlConn, sha256: &str) -> RepoResult<bool> {
    conn.exists("SELECT 1 FROM refund_photos WHERE sha256 = ?1", args![sha256])
}

/// The refunds awaiting the seller at the merchant's terminals (one refund when `refund_id`).
pub(super) fn awaiting(
    conn: &mut dyn SqlConn,
    merchant: &str,
    refund_id: Option<&str>,
) -> RepoResult<Vec<AwaitingRefundRow>> {
    // A refund is the merchant's of the sale it refunds (the order's stamped merchant).
    let sql = format!(
        "SELECT r.refund_id, r.terminal_id, {store}, l.order_id, r.line_code, l.sku, l.name, l.quantity, \
         l.total_minor, l.seller, r.amount_minor, r.currency, r.tender, r.reason, r.customer_id, \
         r.reputation, r.evidence_sha256, \
         CASE WHEN EXISTS (SELECT 1 FROM refund_photos p WHERE p.sha256 = r.evidence_sha256) THEN 1 ELSE 0 END, \
         r.created_at \
         FROM refunds r JOIN order_lines l ON l.line_code = r.line_code \
         JOIN orders o ON o.terminal_id = l.terminal_id AND o.order_id = l.order_id \
         WHERE r.status = 'pending_seller_confirmation' AND o.merchant_id = ?1 AND (?2 = '' OR r.refund_id = ?2) \
         ORDER BY r.created_at, r.refund_id",
        store = terminal_store("r.terminal_id"),
    );
    // '' for every refund: a typed placeholder both databases accept.
    conn.query_map(&sql, args![merchant, refund_id.unwrap_or_default()], |r| {
        Ok(AwaitingRefundRow {
            refund_id: r.text(0)?,
            terminal_id: r.text(1)?,
            store: r.text(2)?,
            order_id: r.text(3)?,
            line_code: r.text(4)?,
            sku: r.text(5)?,
            name: r.text(6)?,
            quantity: r.int(7)?,
            line_total_minor: r.int(8)?,
            seller: r.opt_text(9)?,
            amount_minor: r.int(10)?,
            currency: r.text(11)?,
            tender: r.text(12)?,
            reason: r.text(13)?,
            customer_id: r.opt_text(14)?,
            reputation: r.opt_int(15)?,
            evidence_sha256: r.opt_text(16)?,
            photo_stored: r.flag(17)?,
            created_at: r.int(18)?,
        })
    })
}

/// The photo, if a refund of one of the merchant's terminals names it.
pub(super) fn of_merchant(
    conn: &mut dyn SqlConn,
    merchant: &str,
    sha256: &str,
) -> RepoResult<Option<RefundPhotoRecord>> {
    let sql = "SELECT 1 FROM refunds r JOIN order_lines l ON l.line_code = r.line_code \
               JOIN orders o ON o.terminal_id = l.terminal_id AND o.order_id = l.order_id \
               WHERE r.evidence_sha256 = ?1 AND o.merchant_id = ?2";
    if !conn.exists(sql, args![sha256, merchant])? {
        return Ok(None);
    }
    by_sha256(conn, sha256)
}

impl super::super::PhotosTx for super::super::sql_tx::SqlTx<'_> {
    fn insert_refund_photo(&mut self, p: &RefundPhotoRecord) -> RepoResult<bool> {
        insert(self.sql(), p)
    }

    fn refund_photo(&mut self, sha256: &str) -> RepoResult<Option<RefundPhotoRecord>> {
        by_sha256(self.sql(), sha256)
    }

    fn refund_photo_exists(&mut self, sha256: &str) -> RepoResult<bool> {
        exists(self.sql(), sha256)
    }

    fn console_refunds_awaiting(
        &mut self,
        merchant: &str,
        refund_id: Option<&str>,
    ) -> RepoResult<Vec<AwaitingRefundRow>> {
        awaiting(self.sql(), merchant, refund_id)
    }

    fn console_refund_photo(&mut self, merchant: &str, sha256: &str) -> RepoResult<Option<RefundPhotoRecord>> {
        of_merchant(self.sql(), merchant, sha256)
    }
}
