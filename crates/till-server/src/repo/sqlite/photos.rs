//! The statements behind refund photos (schema version 15), written once for SQLite and
//! PostgreSQL.

use super::super::sql::{SqlConn, SqlConnExt};
use super::super::{RefundPhotoRecord, RepoResult};
use crate::args;

/// Schema version 15: the photos of refunds' defects, one row per distinct photo.
pub(super) const MIGRATION_15: &str = "
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

impl super::super::PhotosTx for super::SqliteTx<'_> {
    fn insert_refund_photo(&mut self, p: &RefundPhotoRecord) -> RepoResult<bool> {
        insert(self.sql(), p)
    }

    fn refund_photo(&mut self, sha256: &str) -> RepoResult<Option<RefundPhotoRecord>> {
        by_sha256(self.sql(), sha256)
    }

    fn refund_photo_exists(&mut self, sha256: &str) -> RepoResult<bool> {
        exists(self.sql(), sha256)
    }
}
