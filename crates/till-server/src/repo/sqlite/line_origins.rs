//! The statements behind sale lines' origins (schema version 7): marking a recorded line as
//! an order's collection or a service's payment, and finding the lines of one origin.

use super::super::{LineRecord, RepoResult};
use super::{rows, LINE_COLUMNS};
use rusqlite::{params, Connection};

/// Marks `line_code` as coming from `kind`'s `reference`.
pub(super) fn set(conn: &Connection, line_code: &str, kind: &str, reference: &str) -> RepoResult<()> {
    conn.prepare_cached("UPDATE order_lines SET origin_kind = ?2, origin_ref = ?3 WHERE line_code = ?1")?
        .execute(params![line_code, kind, reference])?;
    Ok(())
}

/// The lines that came from `kind`'s `reference`, oldest order first.
pub(super) fn lines(conn: &Connection, kind: &str, reference: &str) -> RepoResult<Vec<LineRecord>> {
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {LINE_COLUMNS} FROM order_lines WHERE origin_kind = ?1 AND origin_ref = ?2 \
         ORDER BY terminal_id, order_id, line_no"
    ))?;
    let rows = stmt.query_map(params![kind, reference], rows::line_row)?;
    Ok(rows.collect::<Result<Vec<_>, _>>()?)
}
