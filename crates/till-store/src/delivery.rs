//! Delivery state of outbox events: what the sync worker claims, what it records when the
//! server answers, and what a manager does with events the server refused for good.
//!
//! An event moves `pending` -> `sending` (claimed, with a lease) -> `done` (the server's answer
//! stored in the same transaction), or back to `pending` with a later `next_attempt_at_ms`, or to
//! `parked` with the reason. A parked event is retried (back to `pending`) or `discarded` by a
//! manager; both are written to the audit log in the same transaction. A worker that dies while
//! an event is `sending` leaves it claimed until its lease lapses; the next claim takes it again,
//! and the server's idempotency key (the event id) makes the second send harmless.
//!
//! The body sent is fixed the first time the event is claimed ([`Prepared`]) and stored in
//! `request_body`; every later attempt sends those exact bytes.

use crate::{answers, audit, Result, Store, StoreError};
use rusqlite::{params, OptionalExtension, Transaction};
use serde_json::json;

/// Local kind of a card payment the till approved offline and forwards to the payment platform
/// (store-and-forward). Its payload holds the encrypted card data until the platform answers.
pub const PAYMENT_FORWARD: &str = till_core::EventKind::PaymentForward.as_str();

/// Why a parked forwarded card payment cannot be retried: its card data was removed when it was
/// parked, so a retry would send a different body under the same key.
pub const CARD_DATA_GONE: &str = "the card data of this offline payment is gone; ask the customer to pay again";

/// Whether a parked event is a forwarded card payment without its card data (what parking
/// leaves): such an event can only be discarded.
fn card_data_gone(c: &rusqlite::Connection, id: &str) -> Result<bool> {
    Ok(c.query_row(
        "SELECT json_extract(coalesce(request_body, payload), '$.card.data') IS NULL FROM outbox
             WHERE id = ?1 AND kind = ?2 AND state = 'parked'",
        params![id, PAYMENT_FORWARD],
        |r| r.get::<_, bool>(0),
    )
    .optional()?
    .unwrap_or(false))
}

/// Removes the encrypted card data (and any PIN block) of a forwarded payment once the platform
/// has answered it or it is given up: the till keeps card data only while it must (PCI DSS
/// 3.2.1, 3.3.1), the masked number and amount stay. No-op for other kinds.
fn forget_card_data(tx: &Transaction<'_>, id: &str) -> Result<()> {
    tx.prepare_cached(
        "UPDATE outbox SET payload = json_remove(payload, '$.card.data', '$.card.ksn', '$.pin_block'),
                request_body = CASE WHEN request_body IS NULL THEN NULL
                                    ELSE json_remove(request_body, '$.card.data', '$.card.ksn', '$.pin_block') END
         WHERE id = ?1 AND kind = ?2",
    )?
    .execute(params![id, PAYMENT_FORWARD])?;
    Ok(())
}

/// An event due for delivery whose request body has not been fixed yet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DueEvent {
    /// Event id (the Idempotency-Key).
    pub id: String,
    /// Local kind, e.g. `sale.recorded`.
    pub kind: String,
    /// What it is about, e.g. `order/42`.
    pub subject: String,
    /// The payload as queued.
    pub payload: String,
    /// When it was queued.
    pub created_at_ms: i64,
}

/// The request an event becomes, fixed once and then sent unchanged on every attempt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Prepared {
    /// The server's name for the event kind (`sale`, `refund`, `points_enrol`, `points_update`).
    pub wire_kind: String,
    /// The exact JSON body.
    pub body: String,
}

/// Why an event was not turned into a request this time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NotPrepared {
    /// It never can be (unknown kind, unreadable payload): parked with the reason.
    Park(String),
    /// Not yet (e.g. the device identifier key a device's blind needs has not arrived): it
    /// stays pending with the reason as its last error, and nothing queued after it is claimed
    /// before it (first in, first out).
    Wait(String),
}

impl NotPrepared {
    /// The reason, parked or waiting.
    pub fn reason(&self) -> &str {
        match self {
            NotPrepared::Park(r) | NotPrepared::Wait(r) => r,
        }
    }
}

impl From<String> for NotPrepared {
    fn from(reason: String) -> Self {
        NotPrepared::Park(reason)
    }
}

impl From<&str> for NotPrepared {
    fn from(reason: &str) -> Self {
        NotPrepared::Park(reason.to_string())
    }
}

/// What fixing an event's body came to.
enum Fixed {
    Ready(Prepared),
    Parked,
    Waiting,
}

/// An event claimed for one attempt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClaimedEvent {
    /// Event id (the Idempotency-Key).
    pub id: String,
    /// Local kind.
    pub kind: String,
    /// What it is about, e.g. `order/42`.
    pub subject: String,
    /// The server's name for the kind.
    pub wire_kind: String,
    /// The exact body, as on every earlier attempt.
    pub body: String,
    /// Attempts including this one.
    pub attempts: i64,
    /// When it was queued.
    pub created_at_ms: i64,
}

/// What became of one claimed event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Settlement {
    /// The server answered with success; its answer is kept.
    Done {
        /// Event id.
        id: String,
        /// HTTP status of the event.
        status: u16,
        /// The server's answer for the event.
        response: String,
    },
    /// Try again at `next_attempt_at_ms`.
    Retry {
        /// Event id.
        id: String,
        /// When to try again.
        next_attempt_at_ms: i64,
        /// What went wrong this time.
        error: String,
    },
    /// The server refused it for good: wait for a manager.
    Park {
        /// Event id.
        id: String,
        /// Why, for the manager.
        reason: String,
    },
    /// Not sent this round after all (it must wait for an earlier event): back to `pending`,
    /// due as before, and the attempt the claim counted is taken back.
    Release {
        /// Event id.
        id: String,
    },
}

/// Counts for the sync status line.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OutboxCounts {
    /// Waiting or being sent.
    pub pending: i64,
    /// Of those, claimed by a worker right now.
    pub sending: i64,
    /// Refused by the server, waiting for a manager.
    pub parked: i64,
    /// Delivered.
    pub done: i64,
    /// Given up by a manager.
    pub discarded: i64,
    /// When the oldest pending event was queued.
    pub oldest_pending_created_at_ms: Option<i64>,
    /// The error of the most recent failed attempt of a pending event.
    pub last_error: Option<String>,
}

/// A parked event as the manager screen lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParkedEvent {
    /// Event id.
    pub id: String,
    /// Local kind.
    pub kind: String,
    /// What it is about.
    pub subject: String,
    /// When it was queued.
    pub created_at_ms: i64,
    /// Attempts made.
    pub attempts: i64,
    /// Why the server refused it.
    pub reason: String,
    /// When it was parked.
    pub parked_at_ms: i64,
}

/// Fixes the body of an event inside the claim transaction, or parks it when it cannot become a
/// request (unknown kind, unreadable payload).
fn fix_body(
    tx: &Transaction<'_>,
    ev: &DueEvent,
    now_ms: i64,
    prepare: &mut dyn FnMut(&DueEvent) -> std::result::Result<Prepared, NotPrepared>,
) -> Result<Fixed> {
    match prepare(ev) {
        Ok(p) => {
            tx.prepare_cached(
                "UPDATE outbox SET wire_kind = ?2, request_body = ?3 WHERE id = ?1 AND request_body IS NULL",
            )?
            .execute(params![ev.id, p.wire_kind, p.body])?;
            Ok(Fixed::Ready(p))
        }
        Err(NotPrepared::Park(reason)) => {
            tx.prepare_cached(
                "UPDATE outbox SET state = 'parked', parked_reason = ?2, parked_at_ms = ?3, last_error = ?2 WHERE id = ?1",
            )?
            .execute(params![ev.id, reason, now_ms])?;
            Ok(Fixed::Parked)
        }
        Err(NotPrepared::Wait(reason)) => {
            tx.prepare_cached("UPDATE outbox SET last_error = ?2 WHERE id = ?1")?.execute(params![ev.id, reason])?;
            Ok(Fixed::Waiting)
        }
    }
}

impl Store {
    /// Claims up to `limit` due events, oldest first and in queue order (the run of pending events
    /// from the oldest up to the first one not yet due), for one attempt each: in one IMMEDIATE
    /// transaction, claims whose lease lapsed are released, the body of each event seen for the
    /// first time is fixed with `prepare` (an `Err` parks the event with that reason, or, for
    /// [`NotPrepared::Wait`], leaves it and everything after it pending), and the
    /// claimed events become `sending` until `now_ms + lease_ms` with one more attempt counted.
    pub fn claim_due(
        &self,
        now_ms: i64,
        limit: usize,
        lease_ms: i64,
        prepare: &mut dyn FnMut(&DueEvent) -> std::result::Result<Prepared, NotPrepared>,
    ) -> Result<Vec<ClaimedEvent>> {
        self.write(|tx| {
            tx.prepare_cached(
                "UPDATE outbox SET state = 'pending', lease_until_ms = NULL WHERE state = 'sending' AND lease_until_ms <= ?1",
            )?
            .execute([now_ms])?;
            let due: Vec<(DueEvent, Option<String>, Option<String>, i64)> = {
                let mut s = tx.prepare_cached(
                    "SELECT id, kind, subject, payload, created_at_ms, wire_kind, request_body, attempts, next_attempt_at_ms
                     FROM outbox WHERE state = 'pending' ORDER BY created_at_ms, rowid LIMIT ?1",
                )?;
                let rows = s.query_map(params![limit as i64], |r| {
                    Ok((
                        DueEvent {
                            id: r.get(0)?,
                            kind: r.get(1)?,
                            subject: r.get(2)?,
                            payload: r.get(3)?,
                            created_at_ms: r.get(4)?,
                        },
                        r.get(5)?,
                        r.get(6)?,
                        r.get(7)?,
                        r.get::<_, i64>(8)?,
                    ))
                })?;
                // First in, first out: stop at the first event that is not due yet, so a retried
                // event is never overtaken (a refund never reaches the server before its sale,
                // points changes arrive in the order of their token counters).
                let mut due = Vec::new();
                for row in rows {
                    let (ev, wire_kind, body, attempts, next_at) = row?;
                    if next_at > now_ms {
                        break;
                    }
                    due.push((ev, wire_kind, body, attempts));
                }
                due
            };
            let mut claimed = Vec::with_capacity(due.len());
            let mut mark = tx.prepare_cached(
                "UPDATE outbox SET state = 'sending', lease_until_ms = ?2, attempts = attempts + 1 WHERE id = ?1",
            )?;
            for (ev, wire_kind, body, attempts) in due {
                let fixed = match (wire_kind, body) {
                    (Some(wire_kind), Some(body)) => Prepared { wire_kind, body },
                    _ => match fix_body(tx, &ev, now_ms, prepare)? {
                        Fixed::Ready(p) => p,
                        Fixed::Parked => continue,
                        Fixed::Waiting => break,
                    },
                };
                mark.execute(params![ev.id, now_ms.saturating_add(lease_ms)])?;
                claimed.push(ClaimedEvent {
                    id: ev.id,
                    kind: ev.kind,
                    subject: ev.subject,
                    wire_kind: fixed.wire_kind,
                    body: fixed.body,
                    attempts: attempts + 1,
                    created_at_ms: ev.created_at_ms,
                });
            }
            Ok(claimed)
        })
    }

    /// Records what became of claimed events, all in one transaction: a `Done` event keeps the
    /// server's answer in the same commit that marks it delivered. Events no longer `sending`
    /// (a manager discarded them meanwhile, or another worker finished them) are left alone.
    /// Returns how many rows changed.
    pub fn settle(&self, now_ms: i64, settlements: &[Settlement]) -> Result<usize> {
        self.write(|tx| {
            let mut changed = 0;
            for s in settlements {
                if let Settlement::Done { id, .. } | Settlement::Park { id, .. } = s {
                    forget_card_data(tx, id)?;
                }
                // Done and Park return the event's kind: its answer reaches the refund or points
                // row in this same commit (`answers`), without another read.
                let kind = |sql: &str, p: &[&dyn rusqlite::ToSql]| -> Result<Option<String>> {
                    Ok(tx.prepare_cached(sql)?.query_row(p, |r| r.get(0)).optional()?)
                };
                let n = match s {
                    Settlement::Done { id, status, response } => {
                        let k = kind(
                            "UPDATE outbox SET state = 'done', lease_until_ms = NULL, response_status = ?2,
                                    response_body = ?3, done_at_ms = ?4, last_error = NULL
                             WHERE id = ?1 AND state = 'sending' RETURNING kind",
                            &[id, status, response, &now_ms],
                        )?;
                        if let Some(k) = &k {
                            answers::apply(tx, id, k, answers::Answer::Done(response), now_ms)?;
                            crate::refunds::photo::forget_sent_photo(tx, id)?;
                        }
                        usize::from(k.is_some())
                    }
                    Settlement::Retry { id, next_attempt_at_ms, error } => tx
                        .prepare_cached(
                            "UPDATE outbox SET state = 'pending', lease_until_ms = NULL, next_attempt_at_ms = ?2, last_error = ?3
                             WHERE id = ?1 AND state = 'sending'",
                        )?
                        .execute(params![id, next_attempt_at_ms, error])?,
                    Settlement::Park { id, reason } => {
                        let k = kind(
                            "UPDATE outbox SET state = 'parked', lease_until_ms = NULL, parked_reason = ?2, parked_at_ms = ?3,
                                    last_error = ?2
                             WHERE id = ?1 AND state = 'sending' RETURNING kind",
                            &[id, reason, &now_ms],
                        )?;
                        if let Some(k) = &k {
                            answers::apply(tx, id, k, answers::Answer::Refused(reason), now_ms)?;
                        }
                        usize::from(k.is_some())
                    }
                    Settlement::Release { id } => tx
                        .prepare_cached(
                            "UPDATE outbox SET state = 'pending', lease_until_ms = NULL, attempts = max(attempts - 1, 0)
                             WHERE id = ?1 AND state = 'sending'",
                        )?
                        .execute(params![id])?,
                };
                changed += n;
            }
            Ok(changed)
        })
    }

    /// Releases every claim at once (`sending` -> `pending`, due now). For a worker starting up
    /// when it is the only one on this database: what a crashed run left claimed is sent again
    /// without waiting for the lease. Returns how many were released.
    pub fn release_claims(&self) -> Result<usize> {
        self.write(|tx| {
            Ok(tx.execute("UPDATE outbox SET state = 'pending', lease_until_ms = NULL WHERE state = 'sending'", [])?)
        })
    }

    /// When the oldest pending event (the head of the queue) falls due, if any is pending.
    pub fn next_due_at(&self) -> Result<Option<i64>> {
        self.read(|c| {
            Ok(c.query_row(
                "SELECT next_attempt_at_ms FROM outbox WHERE state = 'pending' ORDER BY created_at_ms, rowid LIMIT 1",
                [],
                |r| r.get(0),
            )
            .optional()?)
        })
    }

    /// Counts by state, the oldest pending event and the last error, for the status line.
    pub fn outbox_counts(&self) -> Result<OutboxCounts> {
        self.read(|c| {
            let mut out = OutboxCounts::default();
            // Delivered events pile up for ever; their number is kept by triggers (migration 6)
            // so this stays an index lookup of the few events still to send.
            let mut s = c.prepare_cached(
                "SELECT state, count(*) FROM outbox WHERE state IN ('pending', 'sending', 'parked', 'discarded')
                 GROUP BY state",
            )?;
            let mut rows = s.query([])?;
            while let Some(r) = rows.next()? {
                let n: i64 = r.get(1)?;
                match r.get_ref(0)?.as_str().unwrap_or_default() {
                    "pending" => out.pending += n,
                    "sending" => {
                        out.pending += n;
                        out.sending = n;
                    }
                    "parked" => out.parked = n,
                    "discarded" => out.discarded = n,
                    _ => {}
                }
            }
            out.done = c.query_row("SELECT n FROM outbox_done_count WHERE id = 1", [], |r| r.get(0))?;
            out.oldest_pending_created_at_ms = c.query_row(
                "SELECT min(created_at_ms) FROM (
                    SELECT min(created_at_ms) AS created_at_ms FROM outbox WHERE state = 'pending'
                    UNION ALL SELECT min(created_at_ms) FROM outbox WHERE state = 'sending')",
                [],
                |r| r.get(0),
            )?;
            out.last_error = c
                .query_row(
                    "SELECT last_error FROM outbox WHERE state = 'pending' AND last_error IS NOT NULL
                     ORDER BY next_attempt_at_ms DESC LIMIT 1",
                    [],
                    |r| r.get(0),
                )
                .optional()?;
            Ok(out)
        })
    }

    /// Parked events, oldest first, for the manager screen.
    pub fn parked_events(&self) -> Result<Vec<ParkedEvent>> {
        self.read(|c| {
            let mut s = c.prepare_cached(
                "SELECT id, kind, subject, created_at_ms, attempts, coalesce(parked_reason, ''), coalesce(parked_at_ms, 0)
                 FROM outbox WHERE state = 'parked' ORDER BY created_at_ms, rowid",
            )?;
            let rows = s.query_map([], |r| {
                Ok(ParkedEvent {
                    id: r.get(0)?,
                    kind: r.get(1)?,
                    subject: r.get(2)?,
                    created_at_ms: r.get(3)?,
                    attempts: r.get(4)?,
                    reason: r.get(5)?,
                    parked_at_ms: r.get(6)?,
                })
            })?;
            Ok(rows.collect::<std::result::Result<_, _>>()?)
        })
    }

    /// The server's stored answer to a delivered event: (status, body).
    pub fn delivery_response(&self, id: &str) -> Result<Option<(u16, String)>> {
        self.read(|c| {
            Ok(c.query_row(
                "SELECT response_status, response_body FROM outbox WHERE id = ?1 AND state = 'done'",
                [id],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()?)
        })
    }

    /// Whether the parked event `id` is a forwarded card payment whose card data is gone (see
    /// [`CARD_DATA_GONE`]); false for any other event.
    pub fn parked_card_data_gone(&self, id: &str) -> Result<bool> {
        self.read(|c| card_data_gone(c, id))
    }

    /// A manager sends a parked event again: it becomes pending and due at once, with the same
    /// body and key. Audited as `outbox.retry`. A forwarded card payment whose card data was
    /// removed when it was parked is refused with `Conflict(`[`CARD_DATA_GONE`]`)` and left as it
    /// is: its retry would send another body under the same key.
    pub fn retry_parked(&self, id: &str, actor_id: i64, now_ms: i64) -> Result<()> {
        self.write(|tx| {
            let (kind, subject, reason) = parked(tx, id)?;
            if card_data_gone(tx, id)? {
                return Err(StoreError::Conflict(CARD_DATA_GONE.into()));
            }
            tx.execute(
                "UPDATE outbox SET state = 'pending', next_attempt_at_ms = ?2, parked_reason = NULL, parked_at_ms = NULL
                 WHERE id = ?1",
                params![id, now_ms],
            )?;
            audit::append(
                tx,
                now_ms,
                Some(actor_id),
                "outbox.retry",
                &json!({ "event_id": id, "kind": kind, "subject": subject, "parked_reason": reason }),
            )?;
            Ok(())
        })
    }

    /// A manager gives a parked event up: it is kept as `discarded` and never sent again.
    /// Audited as `outbox.discard` with the manager's note.
    pub fn discard_parked(&self, id: &str, actor_id: i64, note: &str, now_ms: i64) -> Result<()> {
        self.write(|tx| {
            let (kind, subject, reason) = parked(tx, id)?;
            tx.execute("UPDATE outbox SET state = 'discarded' WHERE id = ?1", [id])?;
            forget_card_data(tx, id)?;
            audit::append(
                tx,
                now_ms,
                Some(actor_id),
                "outbox.discard",
                &json!({ "event_id": id, "kind": kind, "subject": subject, "parked_reason": reason, "note": note }),
            )?;
            Ok(())
        })
    }
}

/// The kind, subject and reason of a parked event, or `NotFound` if it is not parked.
fn parked(tx: &Transaction<'_>, id: &str) -> Result<(String, String, Option<String>)> {
    tx.query_row("SELECT kind, subject, parked_reason FROM outbox WHERE id = ?1 AND state = 'parked'", [id], |r| {
        Ok((r.get(0)?, r.get(1)?, r.get(2)?))
    })
    .optional()?
    .ok_or(StoreError::NotFound("parked event"))
}

#[cfg(test)]
mod tests;
