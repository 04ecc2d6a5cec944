//! The provisional points ledger as the till reads it: the changes of one order (for its
//! receipt), those the server rejected (for the manager), and the answer that came with a
//! confirmed change (levels and promotions to print).
//!
//! An earn the server refused because its identify token expired (the till could not send it
//! within the token's window, a long time offline) is not rejected: it stays `pending`, marked
//! `awaiting_identify`, and its refused event leaves the manager's parked list (`discarded`,
//! audited `points.awaiting_identify`). The next time the customer is identified at this till,
//! [`Store::points_resend_awaiting`] sends it again as a new event carrying the sale's own token
//! and the new identify token (`identified_again`, docs/api.md), in the one transaction that
//! clears the mark, so it goes exactly once however often the customer is identified. A refund's
//! reversal of such an earn that reaches the server first (refused `no_points_to_reverse`)
//! waits for it the same way and goes again behind it.

use crate::{audit, outbox, Result, Store};
use rusqlite::{params, OptionalExtension, Transaction};
use serde_json::{json, Value};
use sha2::Digest;
use till_core::EventKind;

/// One points change as recorded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LedgerEntry {
    /// Row id.
    pub id: i64,
    /// The points account.
    pub customer_ref: String,
    /// The order.
    pub order_id: Option<i64>,
    /// The refund, for reversals.
    pub refund_id: Option<i64>,
    /// `earn`, `redeem`, `reverse-earn`, `return-redeem`.
    pub kind: String,
    /// Signed change.
    pub points: i64,
    /// `pending`, `confirmed`, `rejected`.
    pub status: String,
    /// When.
    pub created_at_ms: i64,
    /// Balance the server answered.
    pub balance_after: Option<i64>,
    /// Level the server answered.
    pub level: Option<String>,
    /// Why the server rejected it.
    pub rejected_reason: Option<String>,
    /// The server's whole answer (promotions), when it answered.
    pub response: Option<String>,
    /// A pending earn whose token expired before it could be sent: it goes again the next time
    /// the customer is identified.
    pub awaiting_identify: bool,
}

const COLUMNS: &str = "p.id, p.customer_ref, p.order_id, p.refund_id, p.kind, p.points, p.status, p.created_at_ms,
    p.balance_after, p.level, p.rejected_reason, o.response_body, p.awaiting_identify";

fn entry_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<LedgerEntry> {
    Ok(LedgerEntry {
        id: r.get(0)?,
        customer_ref: r.get(1)?,
        order_id: r.get(2)?,
        refund_id: r.get(3)?,
        kind: r.get(4)?,
        points: r.get(5)?,
        status: r.get(6)?,
        created_at_ms: r.get(7)?,
        balance_after: r.get(8)?,
        level: r.get(9)?,
        rejected_reason: r.get(10)?,
        response: r.get(11)?,
        awaiting_identify: r.get(12)?,
    })
}

fn entries(store: &Store, filter: &str, param: Option<i64>, limit: i64) -> Result<Vec<LedgerEntry>> {
    store.read(|c| {
        let mut s = c.prepare_cached(&format!(
            "SELECT {COLUMNS} FROM points_ledger p LEFT JOIN outbox o ON o.id = p.event_id WHERE {filter}
              ORDER BY p.id DESC LIMIT ?2"
        ))?;
        let rows = s.query_map(params![param, limit], entry_row)?;
        Ok(rows.collect::<std::result::Result<_, _>>()?)
    })
}

impl Store {
    /// The points changes of an order (sale and refunds), newest first.
    pub fn points_of_order(&self, order_id: i64) -> Result<Vec<LedgerEntry>> {
        entries(self, "p.order_id = ?1", Some(order_id), 100)
    }

    /// Points changes the server rejected, newest first: the manager's list.
    pub fn points_rejected(&self, limit: i64) -> Result<Vec<LedgerEntry>> {
        entries(self, "p.status = 'rejected' AND ?1 IS NULL", None, limit)
    }

    /// Whether a points event of the order was tried and waits to be tried again (the server
    /// could not be reached, or answered with a retryable error).
    pub fn points_attempt_failed(&self, order_id: i64) -> Result<bool> {
        self.read(|c| {
            Ok(c.prepare_cached(
                "SELECT count(*) > 0 FROM points_ledger p JOIN outbox o ON o.id = p.event_id
                  WHERE p.order_id = ?1 AND o.state = 'pending' AND o.attempts > 0",
            )?
            .query_row([order_id], |r| r.get(0))?)
        })
    }

    /// The last balance the points server gave for `customer_ref` (an account lookup, or the
    /// answer to a points change), with when it was recorded; `None` if it never answered.
    pub fn points_last_balance(&self, customer_ref: &str) -> Result<Option<(i64, i64)>> {
        self.read(|c| {
            Ok(c.prepare_cached("SELECT balance, answered_at_ms FROM points_balances WHERE customer_ref = ?1")?
                .query_row([customer_ref], |r| Ok((r.get(0)?, r.get(1)?)))
                .optional()?)
        })
    }

    /// Records a balance the points server just gave for `customer_ref` (an account lookup at
    /// the counter).
    pub fn points_balance_put(&self, customer_ref: &str, balance: i64, at_ms: i64) -> Result<()> {
        self.write(|tx| {
            tx.prepare_cached(
                "INSERT INTO points_balances (customer_ref, balance, answered_at_ms) VALUES (?1, ?2, ?3)
                 ON CONFLICT (customer_ref) DO UPDATE
                    SET balance = excluded.balance, answered_at_ms = excluded.answered_at_ms",
            )?
            .execute(params![customer_ref, balance, at_ms])?;
            Ok(())
        })
    }

    /// The points of `customer_ref`'s redemptions the server has not confirmed yet (pending
    /// ledger rows, queued or not yet answered), as a positive number.
    pub fn points_pending_redeemed(&self, customer_ref: &str) -> Result<i64> {
        self.read(|c| {
            Ok(c.prepare_cached(
                "SELECT coalesce(-sum(points), 0) FROM points_ledger
                  WHERE customer_ref = ?1 AND status = 'pending' AND kind = 'redeem'",
            )?
            .query_row([customer_ref], |r| r.get(0))?)
        })
    }

    /// Points changes still waiting for the server, newest first.
    pub fn points_pending(&self, limit: i64) -> Result<Vec<LedgerEntry>> {
        entries(self, "p.status = 'pending' AND ?1 IS NULL", None, limit)
    }
}

/// The error code in a refusal as the sync worker words it (`<status> <code>: <message>`).
fn refusal_code(reason: &str) -> Option<&str> {
    let (_, rest) = reason.split_once(' ')?;
    Some(rest.split_once(':').map_or(rest, |(code, _)| code))
}

/// What the server's refusal of the points change of event `event_id` does to its ledger row,
/// in the transaction that parks the event: an earn whose token expired waits for the
/// customer's next identification (and its event, done with, leaves the parked list); any other
/// refusal rejects the change with the reason, for the manager.
pub(crate) fn refused(tx: &Transaction<'_>, event_id: &str, reason: &str, now_ms: i64) -> Result<()> {
    if refusal_code(reason) == Some("token_expired") {
        let waiting: Option<(i64, Option<i64>, i64)> = tx
            .prepare_cached(
                "UPDATE points_ledger SET awaiting_identify = 1
                  WHERE event_id = ?1 AND kind = 'earn' AND status = 'pending' RETURNING id, order_id, points",
            )?
            .query_row([event_id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
            .optional()?;
        if let Some((ledger_id, order_id, points)) = waiting {
            // The change goes again under a new event; nothing is left for a manager to do with
            // this one, whose token can never be accepted again.
            tx.prepare_cached("UPDATE outbox SET state = 'discarded' WHERE id = ?1 AND state = 'parked'")?
                .execute([event_id])?;
            let detail = json!({ "ledger_id": ledger_id, "order_id": order_id, "points": points,
                                 "event_id": event_id, "reason": reason });
            audit::append(tx, now_ms, None, "points.awaiting_identify", &detail)?;
            return Ok(());
        }
    }
    if refusal_code(reason) == Some("no_points_to_reverse") && reversal_waits_for_earn(tx, event_id, now_ms)? {
        let detail = json!({ "event_id": event_id, "reason": reason });
        audit::append(tx, now_ms, None, "points.reversal_waits_for_earn", &detail)?;
        return Ok(());
    }
    tx.prepare_cached(
        "UPDATE points_ledger SET status = 'rejected', rejected_reason = ?2, awaiting_identify = 0 WHERE event_id = ?1",
    )?
    .execute(params![event_id, reason])?;
    Ok(())
}

/// An earn sent again by [`Store::points_resend_awaiting`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resent {
    /// The ledger row.
    pub ledger_id: i64,
    /// Its order.
    pub order_id: Option<i64>,
    /// The points.
    pub points: i64,
    /// The new outbox event (Idempotency-Key).
    pub event_id: String,
    /// The new events of the refund reversals of this earn that waited for it, queued behind it.
    pub reversals: Vec<String>,
}

/// Queues the reversal in ledger row `ledger_id` again as a new event (`new_event`), behind
/// everything queued so far, with the body its event `old` had; the old one, refused and never
/// applied, leaves the parked list. The row is pending on the new event.
fn requeue_reversal(tx: &Transaction<'_>, ledger_id: i64, old: &str, new_event: &str, now_ms: i64) -> Result<()> {
    let (subject, payload): (String, String) = tx
        .prepare_cached("SELECT subject, payload FROM outbox WHERE id = ?1")?
        .query_row([old], |r| Ok((r.get(0)?, r.get(1)?)))?;
    let body: Value =
        serde_json::from_str(&payload).map_err(|e| crate::StoreError::Invalid(format!("points event payload: {e}")))?;
    outbox::enqueue_kind(tx, new_event, EventKind::PointsReversed, &subject, &body, now_ms)?;
    tx.prepare_cached(
        "UPDATE points_ledger SET status = 'pending', rejected_reason = NULL, event_id = ?2 WHERE id = ?1",
    )?
    .execute(params![ledger_id, new_event])?;
    tx.prepare_cached("UPDATE outbox SET state = 'discarded' WHERE id = ?1 AND state = 'parked'")?.execute([old])?;
    Ok(())
}

/// A reversal of an order's earn refused `no_points_to_reverse` because the earn has not landed
/// yet (a refund while the earn waited for the customer's next identification, or before the
/// earn sent again reached the server). If the earn is still waiting, the reversal waits with it
/// (pending, its event done with) and [`Store::points_resend_awaiting`] queues it behind the
/// earn; if the earn was sent again and is queued, the reversal goes again now, behind it.
/// Returns false when the order has no pending earn (a real refusal).
fn reversal_waits_for_earn(tx: &Transaction<'_>, event_id: &str, now_ms: i64) -> Result<bool> {
    let earn: Option<(i64, bool)> = tx
        .prepare_cached(
            "SELECT r.id, e.awaiting_identify FROM points_ledger r
               JOIN points_ledger e ON e.order_id = r.order_id AND e.kind = 'earn' AND e.status = 'pending'
              WHERE r.event_id = ?1 AND r.kind = 'reverse-earn' AND r.status = 'pending'",
        )?
        .query_row([event_id], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?;
    match earn {
        None => Ok(false),
        Some((_, true)) => {
            tx.prepare_cached("UPDATE outbox SET state = 'discarded' WHERE id = ?1 AND state = 'parked'")?
                .execute([event_id])?;
            Ok(true)
        }
        Some((ledger_id, false)) => {
            // The store has no randomness of its own: the new key is derived from the old one.
            let digest = sha2::Sha256::digest(format!("points.reversal-again:{event_id}").as_bytes());
            requeue_reversal(tx, ledger_id, event_id, &hex::encode(&digest[..16]), now_ms)?;
            Ok(true)
        }
    }
}

impl Store {
    /// Earns of `customer_ref` waiting for the customer's next identification, oldest first.
    pub fn points_awaiting_identify(&self, customer_ref: &str) -> Result<Vec<LedgerEntry>> {
        self.read(|c| {
            let mut s = c.prepare_cached(&format!(
                "SELECT {COLUMNS} FROM points_ledger p LEFT JOIN outbox o ON o.id = p.event_id
                  WHERE p.customer_ref = ?1 AND p.awaiting_identify = 1 ORDER BY p.id"
            ))?;
            let rows = s.query_map([customer_ref], entry_row)?;
            Ok(rows.collect::<std::result::Result<_, _>>()?)
        })
    }

    /// The customer `customer_ref` was identified again with the identify token
    /// `identify_token_hex`: every earn of theirs waiting for it is sent again, oldest first,
    /// in one IMMEDIATE transaction. Each gets a new `points.updated` event (its id from
    /// `new_id`, behind everything queued so far) with the body it had and the new token as
    /// `identified_again`; the ledger row takes the new event and stops waiting; a refund's
    /// reversal of it that waits for it goes again behind it; and one audit
    /// entry `points.resent` (by `actor`, who identified the customer) lists them. A second
    /// identification finds nothing more to send; a crash before the commit leaves them
    /// waiting, after it they are queued once.
    pub fn points_resend_awaiting(
        &self,
        actor: Option<i64>,
        customer_ref: &str,
        identify_token_hex: &str,
        now_ms: i64,
        new_id: &mut dyn FnMut() -> String,
    ) -> Result<Vec<Resent>> {
        self.write(|tx| {
            let waiting: Vec<(i64, Option<i64>, i64, String, String)> = {
                let mut s = tx.prepare_cached(
                    "SELECT p.id, p.order_id, p.points, o.subject, o.payload
                       FROM points_ledger p JOIN outbox o ON o.id = p.event_id
                      WHERE p.customer_ref = ?1 AND p.awaiting_identify = 1 ORDER BY p.id",
                )?;
                let rows =
                    s.query_map([customer_ref], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)))?;
                rows.collect::<std::result::Result<_, _>>()?
            };
            let mut resent = Vec::with_capacity(waiting.len());
            for (ledger_id, order_id, points, subject, payload) in waiting {
                // The body the sale queued (its own token, points and order), plus the new token.
                let mut body: Value = serde_json::from_str(&payload)
                    .map_err(|e| crate::StoreError::Invalid(format!("points event payload: {e}")))?;
                let Some(fields) = body.as_object_mut() else {
                    return Err(crate::StoreError::Invalid("points event payload is not an object".into()));
                };
                fields.insert("identified_again".into(), Value::String(identify_token_hex.to_string()));
                let event_id = new_id();
                outbox::enqueue_kind(tx, &event_id, EventKind::PointsUpdated, &subject, &body, now_ms)?;
                tx.prepare_cached("UPDATE points_ledger SET event_id = ?2, awaiting_identify = 0 WHERE id = ?1")?
                    .execute(params![ledger_id, event_id])?;
                // Reversals of this earn that wait for it go behind it.
                let waiting_reversals: Vec<(i64, String)> = {
                    let mut s = tx.prepare_cached(
                        "SELECT p.id, p.event_id FROM points_ledger p JOIN outbox o ON o.id = p.event_id
                          WHERE p.order_id = ?1 AND p.kind = 'reverse-earn' AND p.status = 'pending'
                            AND o.state = 'discarded' ORDER BY p.id",
                    )?;
                    let rows = s.query_map([order_id], |r| Ok((r.get(0)?, r.get(1)?)))?;
                    rows.collect::<std::result::Result<_, _>>()?
                };
                let mut reversals = Vec::with_capacity(waiting_reversals.len());
                for (reversal, old) in waiting_reversals {
                    let again = new_id();
                    requeue_reversal(tx, reversal, &old, &again, now_ms)?;
                    reversals.push(again);
                }
                resent.push(Resent { ledger_id, order_id, points, event_id, reversals });
            }
            if !resent.is_empty() {
                let changes: Vec<Value> = resent
                    .iter()
                    .map(|r| {
                        json!({ "ledger_id": r.ledger_id, "order_id": r.order_id, "points": r.points,
                                "event_id": r.event_id, "reversals": r.reversals })
                    })
                    .collect();
                let account: String = customer_ref.chars().take(8).collect();
                audit::append(tx, now_ms, actor, "points.resent", &json!({ "account": account, "changes": changes }))?;
            }
            Ok(resent)
        })
    }
}
