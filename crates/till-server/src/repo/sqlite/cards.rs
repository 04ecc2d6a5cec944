//! The statements behind card refunds and DUKPT replay checks (schema version 4): an
//! authorisation by payment id, whether a sale already named a payment id, and the readers'
//! last counters; an authorisation's status and the reversals of payment ids.

use super::super::{AuthorizationRecord, PaymentReversalRecord, ReaderCounter, RepoResult};
use rusqlite::{params, Connection, OptionalExtension};

/// The authorisation of `terminal`'s `payment_id`.
pub(super) fn authorization(
    conn: &Connection,
    terminal: &str,
    payment_id: &str,
) -> RepoResult<Option<AuthorizationRecord>> {
    Ok(conn
        .prepare_cached(
            "SELECT terminal_id, payment_id, order_id, amount_minor, currency, masked_pan, approved, auth_code, \
             reason_code, created_at, status FROM authorizations WHERE terminal_id = ?1 AND payment_id = ?2",
        )?
        .query_row(params![terminal, payment_id], |r| {
            Ok(AuthorizationRecord {
                terminal_id: r.get(0)?,
                payment_id: r.get(1)?,
                order_id: r.get(2)?,
                amount_minor: r.get(3)?,
                currency: r.get(4)?,
                masked_pan: r.get(5)?,
                approved: r.get::<_, i64>(6)? != 0,
                auth_code: r.get(7)?,
                reason_code: r.get(8)?,
                created_at: r.get(9)?,
                status: r.get(10)?,
            })
        })
        .optional()?)
}

/// Whether a recorded sale of `terminal` names `payment_id`.
pub(super) fn payment_id_recorded(conn: &Connection, terminal: &str, payment_id: &str) -> RepoResult<bool> {
    Ok(conn
        .prepare_cached("SELECT 1 FROM payments WHERE terminal_id = ?1 AND payment_id = ?2")?
        .query_row(params![terminal, payment_id], |_| Ok(()))
        .optional()?
        .is_some())
}

/// Takes `c.counter` for `c.reader_id` if it is above the reader's last one: an upsert whose
/// update only happens when the new counter is higher, so the row count says who won (the same
/// statement in PostgreSQL locks the row, and a concurrent taker sees the new counter).
pub(super) fn advance_reader_counter(conn: &Connection, c: &ReaderCounter) -> RepoResult<Option<i64>> {
    let taken = conn
        .prepare_cached(
            "INSERT INTO card_reader_counters (reader_id, last_counter, terminal_id, payment_id, updated_at) \
             VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT (reader_id) DO UPDATE SET last_counter = excluded.last_counter, \
             terminal_id = excluded.terminal_id, payment_id = excluded.payment_id, updated_at = excluded.updated_at \
             WHERE excluded.last_counter > card_reader_counters.last_counter",
        )?
        .execute(params![c.reader_id, c.counter, c.terminal_id, c.payment_id, c.at])?;
    if taken == 1 {
        return Ok(None);
    }
    let last = conn
        .prepare_cached("SELECT last_counter FROM card_reader_counters WHERE reader_id = ?1")?
        .query_row([&c.reader_id], |r| r.get(0))?;
    Ok(Some(last))
}

/// Sets an authorisation's status (`approved`, `declined`, `reversed`).
pub(super) fn set_authorization_status(
    conn: &Connection,
    terminal: &str,
    payment_id: &str,
    status: &str,
) -> RepoResult<()> {
    conn.prepare_cached("UPDATE authorizations SET status = ?3 WHERE terminal_id = ?1 AND payment_id = ?2")?
        .execute(params![terminal, payment_id, status])?;
    Ok(())
}

/// Stores the reversal of a payment id, authorised or not.
pub(super) fn insert_payment_reversal(conn: &Connection, r: &PaymentReversalRecord) -> RepoResult<()> {
    conn.prepare_cached(
        "INSERT INTO payment_reversals (terminal_id, payment_id, amount_minor, currency, reason, authorised, \
             created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    )?
    .execute(params![
        r.terminal_id,
        r.payment_id,
        r.amount_minor,
        r.currency,
        r.reason,
        i64::from(r.authorised),
        r.created_at
    ])?;
    Ok(())
}

/// The reversal of `terminal`'s `payment_id`, if there was one.
pub(super) fn payment_reversal(
    conn: &Connection,
    terminal: &str,
    payment_id: &str,
) -> RepoResult<Option<PaymentReversalRecord>> {
    Ok(conn
        .prepare_cached(
            "SELECT terminal_id, payment_id, amount_minor, currency, reason, authorised, created_at \
             FROM payment_reversals WHERE terminal_id = ?1 AND payment_id = ?2",
        )?
        .query_row(params![terminal, payment_id], |r| {
            Ok(PaymentReversalRecord {
                terminal_id: r.get(0)?,
                payment_id: r.get(1)?,
                amount_minor: r.get(2)?,
                currency: r.get(3)?,
                reason: r.get(4)?,
                authorised: r.get::<_, i64>(5)? != 0,
                created_at: r.get(6)?,
            })
        })
        .optional()?)
}

#[cfg(test)]
mod tests {
    use super::super::super::{Repository, Tx};
    use super::super::SqliteRepository;
    use super::*;

    #[test]
    fn a_readers_counter_only_moves_up() {
        let dir = tempfile::tempdir().unwrap();
        let repo = SqliteRepository::open(&dir.path().join("s.db")).unwrap();
        let mut tx = repo.begin().unwrap();
        let take = |tx: &mut Box<dyn Tx + '_>, reader: &str, counter: i64| {
            let c = ReaderCounter {
                reader_id: reader.into(),
                counter,
                terminal_id: "t".into(),
                payment_id: format!("p{counter}"),
                at: 0,
            };
            tx.advance_reader_counter(&c).unwrap()
        };
        assert_eq!(take(&mut tx, "tdes:A", 5), None);
        assert_eq!(take(&mut tx, "tdes:A", 5), Some(5));
        assert_eq!(take(&mut tx, "tdes:A", 4), Some(5));
        assert_eq!(take(&mut tx, "tdes:B", 1), None);
        assert_eq!(take(&mut tx, "tdes:A", 6), None);
        assert_eq!(take(&mut tx, "tdes:A", 6), Some(6));
    }
}
