//! The statements behind terminals (their secrets sealed under the server key) and idempotency
//! keys (their stored answers sealed too).

use super::rows::terminal_row;
use crate::args;
use crate::repo::sql::{SqlConn, SqlConnExt};
use crate::repo::{RepoResult, StoredReply, TerminalRecord};
use crate::sealing::{Purpose, ServerKey};

const TERMINAL_COLUMNS: &str = "id, name, secret_sealed, created_at, disabled";

/// Registers a terminal, its secret sealed.
pub(in crate::repo) fn insert(conn: &mut dyn SqlConn, key: &ServerKey, t: &TerminalRecord) -> RepoResult<()> {
    let sealed = key.seal(Purpose::TerminalSecret(&t.id), t.secret_hex.as_bytes())?;
    conn.execute(
        &format!("INSERT INTO terminals ({TERMINAL_COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5)"),
        args![t.id, t.name, sealed, t.created_at, t.disabled],
    )?;
    Ok(())
}

fn opened(key: &ServerKey, mut t: TerminalRecord) -> RepoResult<TerminalRecord> {
    t.secret_hex = key.open_text(Purpose::TerminalSecret(&t.id), &t.secret_hex)?;
    Ok(t)
}

/// A terminal by id, its secret opened.
pub(in crate::repo) fn by_id(conn: &mut dyn SqlConn, key: &ServerKey, id: &str) -> RepoResult<Option<TerminalRecord>> {
    let row =
        conn.query_opt(&format!("SELECT {TERMINAL_COLUMNS} FROM terminals WHERE id = ?1"), args![id], terminal_row)?;
    row.map(|t| opened(key, t)).transpose()
}

/// Every terminal, oldest first, secrets opened.
pub(in crate::repo) fn all(conn: &mut dyn SqlConn, key: &ServerKey) -> RepoResult<Vec<TerminalRecord>> {
    let rows = conn.query_map(
        &format!("SELECT {TERMINAL_COLUMNS} FROM terminals ORDER BY created_at, id"),
        args![],
        terminal_row,
    )?;
    rows.into_iter().map(|t| opened(key, t)).collect()
}

/// Disables or enables a terminal; false when there is none.
pub(in crate::repo) fn set_disabled(conn: &mut dyn SqlConn, id: &str, disabled: bool) -> RepoResult<bool> {
    Ok(conn.execute("UPDATE terminals SET disabled = ?2 WHERE id = ?1", args![id, disabled])? == 1)
}

/// Claims `(terminal, key)`: `None` when this call inserted the row, else what is stored.
pub(in crate::repo) fn claim_idempotency(
    conn: &mut dyn SqlConn,
    server_key: &ServerKey,
    terminal: &str,
    key: &str,
    request_hash: &str,
    now: i64,
) -> RepoResult<Option<StoredReply>> {
    // Insert first: the primary key decides who owns the key, in SQLite and in PostgreSQL alike
    // (where a concurrent insert of the same key waits for the first transaction to finish, and
    // then sees its row: tests/postgres_claims in repo::tests).
    let inserted = conn.execute(
        "INSERT INTO idempotency (terminal_id, idem_key, request_hash, status, response_sealed, created_at) \
         VALUES (?1, ?2, ?3, NULL, NULL, ?4) ON CONFLICT (terminal_id, idem_key) DO NOTHING",
        args![terminal, key, request_hash, now],
    )?;
    if inserted == 1 {
        return Ok(None);
    }
    let stored = conn.query_opt(
        "SELECT request_hash, status, response_sealed FROM idempotency WHERE terminal_id = ?1 AND idem_key = ?2",
        args![terminal, key],
        |r| {
            Ok(StoredReply {
                request_hash: r.text(0)?,
                status: r.opt_int(1)?.and_then(|s| u16::try_from(s).ok()),
                body: r.opt_text(2)?,
            })
        },
    )?;
    let mut stored = stored.ok_or_else(|| crate::error::RepoError::Corrupt("a claimed key has no row".into()))?;
    // An answer may hold a customer's points key (enrolment): it is stored sealed.
    stored.body = match stored.body {
        Some(sealed) => Some(server_key.open_text(Purpose::IdempotentAnswer(terminal, key), &sealed)?),
        None => None,
    };
    Ok(Some(stored))
}

/// Stores the answer of a claimed key, sealed.
pub(in crate::repo) fn complete_idempotency(
    conn: &mut dyn SqlConn,
    server_key: &ServerKey,
    terminal: &str,
    key: &str,
    status: u16,
    body: &str,
) -> RepoResult<()> {
    let sealed = server_key.seal(Purpose::IdempotentAnswer(terminal, key), body.as_bytes())?;
    conn.execute(
        "UPDATE idempotency SET status = ?3, response_sealed = ?4 WHERE terminal_id = ?1 AND idem_key = ?2",
        args![terminal, key, status, sealed],
    )?;
    Ok(())
}

/// Deletes keys created before `before`.
pub(in crate::repo) fn purge_idempotency(conn: &mut dyn SqlConn, before: i64) -> RepoResult<usize> {
    Ok(conn.execute("DELETE FROM idempotency WHERE created_at < ?1", args![before])? as usize)
}
