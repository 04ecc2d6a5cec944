//! The statements behind customers' points: accounts (their keys sealed under the server key)
//! and the history of entries.

use super::super::{PointsAccount, PointsEntry, RepoResult};
use super::rows::entry_row;
use crate::sealing::{Purpose, ServerKey};
use rusqlite::{params, Connection, OptionalExtension};

/// Stores a new account, its key sealed.
pub(super) fn insert_points_account(conn: &Connection, key: &ServerKey, a: &PointsAccount) -> RepoResult<()> {
    let sealed = key.seal(Purpose::PointsKey(&a.account_id), a.key_hex.as_bytes())?;
    conn.prepare_cached(
        "INSERT INTO points_accounts (account_id, key_sealed, last_counter, balance, customer_ref, \
             created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    )?
    .execute(params![a.account_id, sealed, a.last_counter, a.balance, a.customer_ref, a.created_at])?;
    Ok(())
}

/// An account, its key opened.
pub(super) fn points_account(
    conn: &Connection,
    key: &ServerKey,
    account_id: &str,
) -> RepoResult<Option<PointsAccount>> {
    let row = conn
        .prepare_cached(
            "SELECT account_id, key_sealed, last_counter, balance, customer_ref, created_at FROM points_accounts \
             WHERE account_id = ?1",
        )?
        .query_row([account_id], |r| {
            Ok(PointsAccount {
                account_id: r.get(0)?,
                key_hex: r.get(1)?,
                last_counter: r.get(2)?,
                balance: r.get(3)?,
                customer_ref: r.get(4)?,
                created_at: r.get(5)?,
            })
        })
        .optional()?;
    row.map(|mut a| {
        a.key_hex = key.open_text(Purpose::PointsKey(&a.account_id), &a.key_hex)?;
        Ok(a)
    })
    .transpose()
}

/// Moves an account's counter and balance.
pub(super) fn update_points_account(
    conn: &Connection,
    account_id: &str,
    last_counter: i64,
    balance: i64,
) -> RepoResult<()> {
    conn.prepare_cached("UPDATE points_accounts SET last_counter = ?2, balance = ?3 WHERE account_id = ?1")?
        .execute(params![account_id, last_counter, balance])?;
    Ok(())
}

/// Appends an entry to an account's history.
pub(super) fn insert_points_entry(conn: &Connection, e: &PointsEntry) -> RepoResult<()> {
    // The next position in the account's history; the write lock of the transaction (and the
    // primary key, on a database without one) keeps two appends from taking the same one.
    conn.prepare_cached(
        "INSERT INTO points_entries (account_id, seq, counter, terminal_id, order_id, kind, delta, \
             balance_after, at, refund_id) SELECT ?1, COALESCE(MAX(seq), 0) + 1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9 \
             FROM points_entries WHERE account_id = ?1",
    )?
    .execute(params![
        e.account_id,
        e.counter,
        e.terminal_id,
        e.order_id,
        e.kind,
        e.delta,
        e.balance_after,
        e.at,
        e.refund_id
    ])?;
    Ok(())
}

/// An account's latest entries, newest first.
pub(super) fn points_history(conn: &Connection, account_id: &str, limit: i64) -> RepoResult<Vec<PointsEntry>> {
    let mut stmt = conn.prepare_cached(
        "SELECT account_id, counter, terminal_id, order_id, kind, delta, balance_after, at, refund_id \
         FROM points_entries WHERE account_id = ?1 ORDER BY seq DESC LIMIT ?2",
    )?;
    let rows = stmt.query_map(params![account_id, limit], entry_row)?.collect::<Result<Vec<_>, _>>()?;
    Ok(rows)
}

/// The sum of an account's entries of one kind for one order.
pub(super) fn points_order_sum(
    conn: &Connection,
    account_id: &str,
    terminal: &str,
    order_id: &str,
    kind: &str,
) -> RepoResult<i64> {
    Ok(conn
        .prepare_cached(
            "SELECT COALESCE(SUM(delta), 0) FROM points_entries \
             WHERE account_id = ?1 AND terminal_id = ?2 AND order_id = ?3 AND kind = ?4",
        )?
        .query_row(params![account_id, terminal, order_id, kind], |r| r.get(0))?)
}

/// Whether a refund's reversal of this kind is already in the history.
pub(super) fn points_reversal_exists(
    conn: &Connection,
    account_id: &str,
    refund_id: &str,
    kind: &str,
) -> RepoResult<bool> {
    Ok(conn
        .prepare_cached("SELECT 1 FROM points_entries WHERE account_id = ?1 AND refund_id = ?2 AND kind = ?3")?
        .query_row(params![account_id, refund_id, kind], |_| Ok(()))
        .optional()?
        .is_some())
}

/// Whether a token-authorised entry (not a reversal) with this counter is in the history.
pub(super) fn points_token_used(conn: &Connection, account_id: &str, counter: i64) -> RepoResult<bool> {
    Ok(conn
        .prepare_cached("SELECT 1 FROM points_entries WHERE account_id = ?1 AND counter = ?2 AND refund_id IS NULL")?
        .query_row(params![account_id, counter], |_| Ok(()))
        .optional()?
        .is_some())
}
