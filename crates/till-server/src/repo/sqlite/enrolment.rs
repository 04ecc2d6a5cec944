//! The statements behind one-time enrolment codes (schema version 6).

use super::super::{EnrolmentCodeRecord, RepoResult};
use rusqlite::{params, Connection, OptionalExtension};

/// Stores a new code.
pub(super) fn insert(conn: &Connection, c: &EnrolmentCodeRecord) -> RepoResult<()> {
    conn.prepare_cached(
        "INSERT INTO enrolment_codes (code_sha256, terminal_id, created_at, expires_at, used_at) \
         VALUES (?1, ?2, ?3, ?4, ?5)",
    )?
    .execute(params![c.code_sha256, c.terminal_id, c.created_at, c.expires_at, c.used_at])?;
    Ok(())
}

/// The code with this hash.
pub(super) fn by_hash(conn: &Connection, code_sha256: &str) -> RepoResult<Option<EnrolmentCodeRecord>> {
    Ok(conn
        .prepare_cached(
            "SELECT code_sha256, terminal_id, created_at, expires_at, used_at FROM enrolment_codes \
             WHERE code_sha256 = ?1",
        )?
        .query_row([code_sha256], |r| {
            Ok(EnrolmentCodeRecord {
                code_sha256: r.get(0)?,
                terminal_id: r.get(1)?,
                created_at: r.get(2)?,
                expires_at: r.get(3)?,
                used_at: r.get(4)?,
            })
        })
        .optional()?)
}

/// Marks the code used unless it already is; true when this statement marked it.
pub(super) fn mark_used(conn: &Connection, code_sha256: &str, at: i64) -> RepoResult<bool> {
    let changed = conn
        .prepare_cached("UPDATE enrolment_codes SET used_at = ?2 WHERE code_sha256 = ?1 AND used_at IS NULL")?
        .execute(params![code_sha256, at])?;
    Ok(changed == 1)
}
