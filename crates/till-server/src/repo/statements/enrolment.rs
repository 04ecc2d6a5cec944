//! The statements behind one-time enrolment codes (schema version 6).

use crate::args;
use crate::repo::sql::{SqlConn, SqlConnExt};
use crate::repo::{EnrolmentCodeRecord, RepoResult};

/// Stores a new code.
pub(in crate::repo) fn insert(conn: &mut dyn SqlConn, c: &EnrolmentCodeRecord) -> RepoResult<()> {
    conn.execute(
        "INSERT INTO enrolment_codes (code_sha256, terminal_id, created_at, expires_at, used_at) \
         VALUES (?1, ?2, ?3, ?4, ?5)",
        args![c.code_sha256, c.terminal_id, c.created_at, c.expires_at, c.used_at],
    )?;
    Ok(())
}

/// The code with this hash.
pub(in crate::repo) fn by_hash(conn: &mut dyn SqlConn, code_sha256: &str) -> RepoResult<Option<EnrolmentCodeRecord>> {
    conn.query_opt(
        "SELECT code_sha256, terminal_id, created_at, expires_at, used_at FROM enrolment_codes \
         WHERE code_sha256 = ?1",
        args![code_sha256],
        |r| {
            Ok(EnrolmentCodeRecord {
                code_sha256: r.text(0)?,
                terminal_id: r.text(1)?,
                created_at: r.int(2)?,
                expires_at: r.int(3)?,
                used_at: r.opt_int(4)?,
            })
        },
    )
}

/// Marks the code used unless it already is; true when this statement marked it.
pub(in crate::repo) fn mark_used(conn: &mut dyn SqlConn, code_sha256: &str, at: i64) -> RepoResult<bool> {
    let changed = conn.execute(
        "UPDATE enrolment_codes SET used_at = ?2 WHERE code_sha256 = ?1 AND used_at IS NULL",
        args![code_sha256, at],
    )?;
    Ok(changed == 1)
}
