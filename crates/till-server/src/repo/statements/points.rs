//! The statements behind customers' points: accounts (their keys sealed under the server key)
//! and the history of entries.

use super::rows::{entry_row, ENTRY_COLUMNS};
use crate::args;
use crate::repo::sql::{SqlConn, SqlConnExt};
use crate::repo::{PointsAccount, PointsEntry, RepoResult};
use crate::sealing::{Purpose, ServerKey};

/// Stores a new account, its key sealed.
pub(in crate::repo) fn insert_account(conn: &mut dyn SqlConn, key: &ServerKey, a: &PointsAccount) -> RepoResult<()> {
    let sealed = key.seal(Purpose::PointsKey(&a.account_id), a.key_hex.as_bytes())?;
    conn.execute(
        "INSERT INTO points_accounts (account_id, key_sealed, last_counter, balance, customer_ref, created_at) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        args![a.account_id, sealed, a.last_counter, a.balance, a.customer_ref, a.created_at],
    )?;
    Ok(())
}

/// An account, its key opened.
pub(in crate::repo) fn account(
    conn: &mut dyn SqlConn,
    key: &ServerKey,
    account_id: &str,
) -> RepoResult<Option<PointsAccount>> {
    let row = conn.query_opt(
        "SELECT account_id, key_sealed, last_counter, balance, customer_ref, created_at FROM points_accounts \
         WHERE account_id = ?1",
        args![account_id],
        |r| {
            Ok(PointsAccount {
                account_id: r.text(0)?,
                key_hex: r.text(1)?,
                last_counter: r.int(2)?,
                balance: r.int(3)?,
                customer_ref: r.opt_text(4)?,
                created_at: r.int(5)?,
            })
        },
    )?;
    row.map(|mut a| {
        a.key_hex = key.open_text(Purpose::PointsKey(&a.account_id), &a.key_hex)?;
        Ok(a)
    })
    .transpose()
}

/// Moves an account's counter and balance.
pub(in crate::repo) fn update_account(
    conn: &mut dyn SqlConn,
    account_id: &str,
    last_counter: i64,
    balance: i64,
) -> RepoResult<()> {
    conn.execute(
        "UPDATE points_accounts SET last_counter = ?2, balance = ?3 WHERE account_id = ?1",
        args![account_id, last_counter, balance],
    )?;
    Ok(())
}

/// Appends an entry to an account's history.
pub(in crate::repo) fn insert_entry(conn: &mut dyn SqlConn, e: &PointsEntry) -> RepoResult<()> {
    // The next position in the account's history; the write lock of the transaction (and the
    // primary key, on a database without one) keeps two appends from taking the same one. A
    // scalar subquery in VALUES, not INSERT ... SELECT ?1: PostgreSQL types a parameter by the
    // column it goes into only in VALUES.
    conn.execute(
        "INSERT INTO points_entries (account_id, seq, counter, terminal_id, order_id, kind, delta, balance_after, \
         at, refund_id) VALUES (?1, (SELECT COALESCE(MAX(seq), 0) + 1 FROM points_entries WHERE account_id = ?1), \
         ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
        args![e.account_id, e.counter, e.terminal_id, e.order_id, e.kind, e.delta, e.balance_after, e.at, e.refund_id],
    )?;
    Ok(())
}

/// An account's latest entries, newest first.
pub(in crate::repo) fn history(conn: &mut dyn SqlConn, account_id: &str, limit: i64) -> RepoResult<Vec<PointsEntry>> {
    conn.query_map(
        &format!("SELECT {ENTRY_COLUMNS} FROM points_entries WHERE account_id = ?1 ORDER BY seq DESC LIMIT ?2"),
        args![account_id, limit],
        entry_row,
    )
}

/// The sum of an account's entries of one kind for one order.
pub(in crate::repo) fn order_sum(
    conn: &mut dyn SqlConn,
    account_id: &str,
    terminal: &str,
    order_id: &str,
    kind: &str,
) -> RepoResult<i64> {
    Ok(conn
        .query_int(
            "SELECT CAST(COALESCE(SUM(delta), 0) AS BIGINT) FROM points_entries \
             WHERE account_id = ?1 AND terminal_id = ?2 AND order_id = ?3 AND kind = ?4",
            args![account_id, terminal, order_id, kind],
        )?
        .unwrap_or(0))
}

/// Whether a refund's reversal of this kind is already in the history.
pub(in crate::repo) fn reversal_exists(
    conn: &mut dyn SqlConn,
    account_id: &str,
    refund_id: &str,
    kind: &str,
) -> RepoResult<bool> {
    conn.exists(
        "SELECT 1 FROM points_entries WHERE account_id = ?1 AND refund_id = ?2 AND kind = ?3",
        args![account_id, refund_id, kind],
    )
}

/// Whether a token-authorised entry (not a reversal) with this counter is in the history.
pub(in crate::repo) fn token_used(conn: &mut dyn SqlConn, account_id: &str, counter: i64) -> RepoResult<bool> {
    conn.exists(
        "SELECT 1 FROM points_entries WHERE account_id = ?1 AND counter = ?2 AND refund_id IS NULL",
        args![account_id, counter],
    )
}
