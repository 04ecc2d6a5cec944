//! The statements behind card refunds and DUKPT replay checks (schema version 4): an
//! authorisation by payment id, whether a sale already named a payment id, and the readers'
//! last counters; an authorisation's status and the reversals of payment ids.

use crate::args;
use crate::error::RepoError;
use crate::repo::sql::{SqlConn, SqlConnExt};
use crate::repo::{AuthorizationRecord, PaymentReversalRecord, ReaderCounter, RepoResult};

/// Stores the outcome of an authorisation.
pub(in crate::repo) fn insert_authorization(conn: &mut dyn SqlConn, a: &AuthorizationRecord) -> RepoResult<()> {
    conn.execute(
        "INSERT INTO authorizations (terminal_id, payment_id, order_id, amount_minor, currency, masked_pan, \
         approved, auth_code, reason_code, created_at, status) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
        args![
            a.terminal_id,
            a.payment_id,
            a.order_id,
            a.amount_minor,
            a.currency,
            a.masked_pan,
            a.approved,
            a.auth_code,
            a.reason_code,
            a.created_at,
            a.status
        ],
    )?;
    Ok(())
}

/// Whether the terminal asked to authorise this payment id.
pub(in crate::repo) fn authorization_exists(
    conn: &mut dyn SqlConn,
    terminal: &str,
    payment_id: &str,
) -> RepoResult<bool> {
    conn.exists("SELECT 1 FROM authorizations WHERE terminal_id = ?1 AND payment_id = ?2", args![terminal, payment_id])
}

/// The authorisation of `terminal`'s `payment_id`.
pub(in crate::repo) fn authorization(
    conn: &mut dyn SqlConn,
    terminal: &str,
    payment_id: &str,
) -> RepoResult<Option<AuthorizationRecord>> {
    conn.query_opt(
        "SELECT terminal_id, payment_id, order_id, amount_minor, currency, masked_pan, approved, auth_code, \
         reason_code, created_at, status FROM authorizations WHERE terminal_id = ?1 AND payment_id = ?2",
        args![terminal, payment_id],
        |r| {
            Ok(AuthorizationRecord {
                terminal_id: r.text(0)?,
                payment_id: r.text(1)?,
                order_id: r.text(2)?,
                amount_minor: r.int(3)?,
                currency: r.text(4)?,
                masked_pan: r.text(5)?,
                approved: r.flag(6)?,
                auth_code: r.opt_text(7)?,
                reason_code: r.opt_text(8)?,
                created_at: r.int(9)?,
                status: r.text(10)?,
            })
        },
    )
}

/// Whether a recorded sale of `terminal` names `payment_id`.
pub(in crate::repo) fn payment_id_recorded(
    conn: &mut dyn SqlConn,
    terminal: &str,
    payment_id: &str,
) -> RepoResult<bool> {
    conn.exists("SELECT 1 FROM payments WHERE terminal_id = ?1 AND payment_id = ?2", args![terminal, payment_id])
}

/// Takes `c.counter` for `c.reader_id` if it is above the reader's last one: an upsert whose
/// update only happens when the new counter is higher, so the row count says who won (the same
/// statement in PostgreSQL locks the row, and a concurrent taker sees the new counter).
pub(in crate::repo) fn advance_reader_counter(conn: &mut dyn SqlConn, c: &ReaderCounter) -> RepoResult<Option<i64>> {
    let taken = conn.execute(
        "INSERT INTO card_reader_counters (reader_id, last_counter, terminal_id, payment_id, updated_at) \
         VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT (reader_id) DO UPDATE SET last_counter = excluded.last_counter, \
         terminal_id = excluded.terminal_id, payment_id = excluded.payment_id, updated_at = excluded.updated_at \
         WHERE excluded.last_counter > card_reader_counters.last_counter",
        args![c.reader_id, c.counter, c.terminal_id, c.payment_id, c.at],
    )?;
    if taken == 1 {
        return Ok(None);
    }
    let last =
        conn.query_int("SELECT last_counter FROM card_reader_counters WHERE reader_id = ?1", args![c.reader_id])?;
    last.map(Some).ok_or_else(|| RepoError::Corrupt("a reader's counter row vanished".into()))
}

/// Sets an authorisation's status (`approved`, `declined`, `reversed`).
pub(in crate::repo) fn set_authorization_status(
    conn: &mut dyn SqlConn,
    terminal: &str,
    payment_id: &str,
    status: &str,
) -> RepoResult<()> {
    conn.execute(
        "UPDATE authorizations SET status = ?3 WHERE terminal_id = ?1 AND payment_id = ?2",
        args![terminal, payment_id, status],
    )?;
    Ok(())
}

/// Stores the reversal of a payment id, authorised or not.
pub(in crate::repo) fn insert_payment_reversal(conn: &mut dyn SqlConn, r: &PaymentReversalRecord) -> RepoResult<()> {
    conn.execute(
        "INSERT INTO payment_reversals (terminal_id, payment_id, amount_minor, currency, reason, authorised, \
         created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        args![r.terminal_id, r.payment_id, r.amount_minor, r.currency, r.reason, r.authorised, r.created_at],
    )?;
    Ok(())
}

/// The reversal of `terminal`'s `payment_id`, if there was one.
pub(in crate::repo) fn payment_reversal(
    conn: &mut dyn SqlConn,
    terminal: &str,
    payment_id: &str,
) -> RepoResult<Option<PaymentReversalRecord>> {
    conn.query_opt(
        "SELECT terminal_id, payment_id, amount_minor, currency, reason, authorised, created_at \
         FROM payment_reversals WHERE terminal_id = ?1 AND payment_id = ?2",
        args![terminal, payment_id],
        |r| {
            Ok(PaymentReversalRecord {
                terminal_id: r.text(0)?,
                payment_id: r.text(1)?,
                amount_minor: r.int(2)?,
                currency: r.text(3)?,
                reason: r.text(4)?,
                authorised: r.flag(5)?,
                created_at: r.int(6)?,
            })
        },
    )
}
