//! What the servers' answers change locally, written in the same transaction that records the
//! answer on the outbox event: a refund line learns the server's decision (and the refund its
//! status), a points change is confirmed with the balance and level the server returned, or
//! rejected with the server's reason so a manager sees it.
//!
//! | event kind | delivered (2xx) | refused for good (parked) |
//! | --- | --- | --- |
//! | `refund.requested` | the line takes the answer's `status` | the line is `rejected` |
//! | `points.updated`, `points.reversed` | ledger row `confirmed`, balance and level kept, the account's last known balance (`points_balances`) set | ledger row `rejected`, reason kept; an earn refused `token_expired` stays `pending`, awaiting the customer's next identification ([`crate::points_ledger`]) |
//! | `payment.reversal` | journal payment `reversed` (or `declined`), see [`crate::payment_journal`] | stays `reversal_pending`, the refusal kept |
//!
//! A refund is `confirmed` when every line is `refunded`, `refused` as soon as one is
//! `rejected` (its quantities are given back by the trigger of migration 7), else `pending`.

use crate::refunds::set_order_status;
use crate::{Result, Store};
use rusqlite::{params, OptionalExtension, Transaction};
use serde_json::Value;
use till_core::EventKind;

/// The server's answer to one event.
pub(crate) enum Answer<'a> {
    /// The event was applied; the response body.
    Done(&'a str),
    /// The event was refused for good; why.
    Refused(&'a str),
}

/// Applies the answer to event `id` of `kind` to the rows it is about, at `now_ms`. Other kinds
/// change nothing.
pub(crate) fn apply(tx: &Transaction<'_>, id: &str, kind: &str, answer: Answer<'_>, now_ms: i64) -> Result<()> {
    // Kinds this till does not know (another version's, a test's) have nothing to update.
    let Ok(kind) = EventKind::parse(kind) else { return Ok(()) };
    match (kind, answer) {
        (EventKind::RefundRequested, Answer::Done(body)) => {
            let v: Value = serde_json::from_str(body).unwrap_or(Value::Null);
            let status = v.get("status").and_then(Value::as_str).unwrap_or("refunded");
            set_refund_line_status(tx, id, status)
        }
        (EventKind::RefundRequested, Answer::Refused(_)) => set_refund_line_status(tx, id, "rejected"),
        (EventKind::PointsUpdated | EventKind::PointsReversed, Answer::Done(body)) => {
            let v: Value = serde_json::from_str(body).unwrap_or(Value::Null);
            tx.prepare_cached(
                "UPDATE points_ledger SET status = 'confirmed', balance_after = ?2, level = ?3, rejected_reason = NULL,
                        awaiting_identify = 0
                  WHERE event_id = ?1",
            )?
            .execute(params![
                id,
                v.get("balance").and_then(Value::as_i64),
                v.get("level").and_then(Value::as_str)
            ])?;
            // The balance is the server's latest word on the account: the offline redemption
            // limit starts from it (and no longer counts this change as pending).
            if let Some(balance) = v.get("balance").and_then(Value::as_i64) {
                tx.prepare_cached(
                    "INSERT INTO points_balances (customer_ref, balance, answered_at_ms)
                     SELECT p.customer_ref, ?2, coalesce(o.done_at_ms, 0)
                       FROM points_ledger p LEFT JOIN outbox o ON o.id = p.event_id WHERE p.event_id = ?1
                     ON CONFLICT (customer_ref) DO UPDATE
                        SET balance = excluded.balance, answered_at_ms = excluded.answered_at_ms",
                )?
                .execute(params![id, balance])?;
            }
            Ok(())
        }
        (EventKind::PointsUpdated | EventKind::PointsReversed, Answer::Refused(reason)) => {
            crate::points_ledger::refused(tx, id, reason, now_ms)
        }
        (EventKind::PaymentReversal, answer) => crate::payment_journal::apply_reversal_answer(tx, id, answer, now_ms),
        _ => Ok(()),
    }
}

/// Records the server's decision on one refund line and derives the refund's status.
pub(crate) fn set_refund_line_status(tx: &Transaction<'_>, event_id: &str, status: &str) -> Result<()> {
    let refund: Option<(i64, i64, String)> = tx
        .prepare_cached(
            "SELECT r.id, r.order_id, r.status FROM refund_lines l JOIN refunds r ON r.id = l.refund_id WHERE l.event_id = ?1",
        )?
        .query_row([event_id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .optional()?;
    let Some((refund_id, order_id, current)) = refund else { return Ok(()) };
    if current == "refused" {
        return Ok(()); // final: its quantities were given back already
    }
    tx.prepare_cached("UPDATE refund_lines SET server_status = ?2 WHERE event_id = ?1")?
        .execute(params![event_id, status])?;
    let (lines, refunded, rejected): (i64, i64, i64) = tx
        .prepare_cached(
            "SELECT count(*), coalesce(sum(server_status = 'refunded'), 0), coalesce(sum(server_status = 'rejected'), 0)
               FROM refund_lines WHERE refund_id = ?1",
        )?
        .query_row([refund_id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?;
    let next = if rejected > 0 {
        "refused"
    } else if refunded == lines {
        "confirmed"
    } else {
        "pending"
    };
    if next != current {
        tx.prepare_cached("UPDATE refunds SET status = ?2 WHERE id = ?1")?.execute(params![refund_id, next])?;
        if next == "refused" {
            set_order_status(tx, order_id)?;
        }
    }
    Ok(())
}

/// A refund line waiting for the seller's decision on the server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AwaitingSeller {
    /// The line's outbox event.
    pub event_id: String,
    /// The server's refund id (`refund_id` of the request).
    pub server_refund_id: String,
}

impl Store {
    /// Refund lines the server answered `pending_seller_confirmation`, to ask again.
    pub fn refunds_awaiting_seller(&self) -> Result<Vec<AwaitingSeller>> {
        self.read(|c| {
            let mut s = c.prepare_cached(
                "SELECT l.event_id, json_extract(o.payload, '$.refund_id')
                   FROM refund_lines l JOIN outbox o ON o.id = l.event_id
                  WHERE l.server_status = 'pending_seller_confirmation'",
            )?;
            let rows = s.query_map([], |r| Ok(AwaitingSeller { event_id: r.get(0)?, server_refund_id: r.get(1)? }))?;
            Ok(rows.collect::<std::result::Result<_, _>>()?)
        })
    }

    /// Records a decision the server reports for a refund line (`refunded`, `rejected`, or
    /// still `pending_seller_confirmation`).
    pub fn refund_line_decided(&self, event_id: &str, status: &str) -> Result<()> {
        self.write(|tx| set_refund_line_status(tx, event_id, status))
    }
}
