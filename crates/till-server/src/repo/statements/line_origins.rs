//! The statements behind sale lines' origins (schema version 7): marking a recorded line as
//! an order's collection or a service's payment, and finding the lines of one origin.

use super::rows::{line_row, LINE_COLUMNS};
use crate::args;
use crate::repo::sql::{SqlConn, SqlConnExt};
use crate::repo::{LineRecord, RepoResult};

/// Marks `line_code` as coming from `kind`'s `reference`.
pub(in crate::repo) fn set(conn: &mut dyn SqlConn, line_code: &str, kind: &str, reference: &str) -> RepoResult<()> {
    conn.execute(
        "UPDATE order_lines SET origin_kind = ?2, origin_ref = ?3 WHERE line_code = ?1",
        args![line_code, kind, reference],
    )?;
    Ok(())
}

/// The lines that came from `kind`'s `reference`, oldest order first.
pub(in crate::repo) fn lines(conn: &mut dyn SqlConn, kind: &str, reference: &str) -> RepoResult<Vec<LineRecord>> {
    conn.query_map(
        &format!(
            "SELECT {LINE_COLUMNS} FROM order_lines WHERE origin_kind = ?1 AND origin_ref = ?2 \
             ORDER BY terminal_id, order_id, line_no"
        ),
        args![kind, reference],
        line_row,
    )
}
