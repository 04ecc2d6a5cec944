//! The outbox: events waiting to be sent to the remote servers. An event is written in the
//! same transaction as the business change it describes, and its id is the Idempotency-Key
//! the sync worker sends, so a retry can never apply it twice.

use crate::{Result, Store};
use rusqlite::{params, Transaction};
use till_core::EventKind;

/// Queues an event of a known kind inside an open transaction.
/// `subject` names what the event is about (`order/42`), so a check can find it again.
pub fn enqueue_kind(
    tx: &Transaction<'_>,
    id: &str,
    kind: EventKind,
    subject: &str,
    payload: &impl serde::Serialize,
    now_ms: i64,
) -> Result<()> {
    // The store's own payloads are plain data; one that does not serialise is a bug.
    let payload =
        serde_json::to_value(payload).map_err(|e| crate::StoreError::Invalid(format!("event payload: {e}")))?;
    enqueue(tx, id, kind.as_str(), subject, &payload, now_ms)
}

/// Queues an event of any kind inside an open transaction (the store's own code uses
/// [`enqueue_kind`]; this takes kinds as stored, e.g. a linked event's or a test's).
/// `subject` names what the event is about (`order/42`), so a check can find it again.
pub fn enqueue(
    tx: &Transaction<'_>,
    id: &str,
    kind: &str,
    subject: &str,
    payload: &serde_json::Value,
    now_ms: i64,
) -> Result<()> {
    tx.prepare_cached(
        "INSERT INTO outbox (id, kind, subject, payload, created_at_ms, next_attempt_at_ms) VALUES (?1, ?2, ?3, ?4, ?5, ?5)",
    )?
    .execute(params![id, kind, subject, payload.to_string(), now_ms])?;
    Ok(())
}

/// An event as queued.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutboxEvent {
    /// Idempotency key.
    pub id: String,
    /// Event kind, e.g. `sale.recorded`.
    pub kind: String,
    /// JSON body, byte-identical on every attempt.
    pub payload: String,
    /// `pending`, `sending`, `done`, `parked` or `discarded` (see [`crate::delivery`]).
    pub state: String,
}

impl Store {
    /// Number of events not yet delivered (waiting or being sent; parked ones not counted).
    pub fn outbox_pending(&self) -> Result<i64> {
        self.read(|c| {
            Ok(c.query_row("SELECT count(*) FROM outbox WHERE state IN ('pending', 'sending')", [], |r| r.get(0))?)
        })
    }

    /// Events of a kind, oldest first.
    pub fn outbox_events(&self, kind: &str) -> Result<Vec<OutboxEvent>> {
        self.read(|c| {
            let mut s =
                c.prepare("SELECT id, kind, payload, state FROM outbox WHERE kind = ?1 ORDER BY created_at_ms, rowid")?;
            let rows = s.query_map([kind], |r| {
                Ok(OutboxEvent { id: r.get(0)?, kind: r.get(1)?, payload: r.get(2)?, state: r.get(3)? })
            })?;
            Ok(rows.collect::<std::result::Result<_, _>>()?)
        })
    }
}
