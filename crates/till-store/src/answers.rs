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
//! Each refund line moves on its own ([`set_refund_line_status`]); the refund is `pending` while
//! a line waits for the seller, `refused` when every line is refused (a refused line's units
//! and amount are given back by the triggers of migration 16), else `confirmed`.

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
            set_refund_line_status(tx, id, status, now_ms)?;
            crate::remote_refunds::apply_answer(tx, id, status, None, now_ms)
        }
        (EventKind::RefundRequested, Answer::Refused(reason)) => {
            set_refund_line_status(tx, id, "rejected", now_ms)?;
            crate::remote_refunds::apply_answer(tx, id, "rejected", Some(reason), now_ms)
        }
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

/// Records the server's decision on one refund line, moves the line as the decision says, and
/// derives the refund's status.
///
/// | the line at the till | server: `refunded` | `pending_seller_confirmation` | `rejected` |
/// | --- | --- | --- | --- |
/// | awaiting the seller | approved: cash to pay out, card or points paid by the server | stays | refused |
/// | approved, cash not paid out yet | stays | awaiting the seller | refused |
/// | approved, cash paid | stays | stays: a disagreement | stays: a disagreement |
/// | approved, card or points | stays | awaiting the seller | refused |
///
/// Cash that left the drawer cannot be taken back by an answer: the line stays as paid and the
/// manager's sync screen lists the disagreement with the amount at stake.
pub(crate) fn set_refund_line_status(tx: &Transaction<'_>, event_id: &str, status: &str, now_ms: i64) -> Result<()> {
    let line: Option<(i64, i64, String, Option<i64>, String)> = tx
        .prepare_cached(
            "SELECT r.id, r.order_id, l.status, l.paid_at_ms, r.tender
               FROM refund_lines l JOIN refunds r ON r.id = l.refund_id WHERE l.event_id = ?1",
        )?
        .query_row([event_id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)))
        .optional()?;
    let Some((refund_id, order_id, line_status, paid_at, tender)) = line else { return Ok(()) };
    tx.prepare_cached("UPDATE refund_lines SET server_status = ?2 WHERE event_id = ?1")?
        .execute(params![event_id, status])?;
    if line_status == "refused" {
        return Ok(()); // final: its units were given back already
    }
    let cash_paid = tender == "cash" && paid_at.is_some();
    // (new status, what happens to paid_at: `now`, `clear` or `keep`)
    let next = match (line_status.as_str(), status) {
        ("awaiting_seller", "refunded") => Some(("approved", if tender == "cash" { "keep" } else { "now" })),
        ("approved", "pending_seller_confirmation") if !cash_paid => Some(("awaiting_seller", "clear")),
        (_, "rejected") if !cash_paid => Some(("refused", "keep")),
        _ => None,
    };
    if let Some((to, paid)) = next {
        tx.prepare_cached(
            "UPDATE refund_lines
                SET decision = CASE WHEN status = 'awaiting_seller' AND ?2 = 'approved' THEN 'seller' ELSE decision END,
                    status = ?2,
                    paid_at_ms = CASE ?3 WHEN 'now' THEN ?4 WHEN 'clear' THEN NULL ELSE paid_at_ms END,
                    paid_by = CASE ?3 WHEN 'clear' THEN NULL ELSE paid_by END
              WHERE event_id = ?1",
        )?
        .execute(params![event_id, to, paid, now_ms])?;
        // Confirmed by the seller: its points go back now, as its money does.
        if to == "approved" {
            crate::refunds::settle_confirmed_line(tx, event_id, now_ms)?;
        }
    }
    derive_refund_status(tx, refund_id, order_id)
}

/// A refund's status from its lines: `pending` while one waits for the seller, `refused` when
/// every line is refused, else `confirmed`.
pub(crate) fn derive_refund_status(tx: &Transaction<'_>, refund_id: i64, order_id: i64) -> Result<()> {
    let (lines, refused, waiting, current): (i64, i64, i64, String) = tx
        .prepare_cached(
            "SELECT count(*), coalesce(sum(l.status = 'refused'), 0), coalesce(sum(l.status = 'awaiting_seller'), 0),
                    (SELECT status FROM refunds WHERE id = ?1)
               FROM refund_lines l WHERE l.refund_id = ?1",
        )?
        .query_row([refund_id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))?;
    let next = if refused == lines {
        "refused"
    } else if waiting > 0 {
        "pending"
    } else {
        "confirmed"
    };
    if next != current {
        tx.prepare_cached("UPDATE refunds SET status = ?2 WHERE id = ?1")?.execute(params![refund_id, next])?;
    }
    if refused > 0 {
        set_order_status(tx, order_id)?;
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
                  WHERE l.server_status = 'pending_seller_confirmation' AND l.status <> 'refused'
                 UNION ALL
                 SELECT event_id, server_refund_id FROM remote_refunds WHERE status = 'awaiting_seller'",
            )?;
            let rows = s.query_map([], |r| Ok(AwaitingSeller { event_id: r.get(0)?, server_refund_id: r.get(1)? }))?;
            Ok(rows.collect::<std::result::Result<_, _>>()?)
        })
    }

    /// Records a decision the server reports for a refund line (`refunded`, `rejected`, or
    /// still `pending_seller_confirmation`).
    pub fn refund_line_decided(&self, event_id: &str, status: &str, now_ms: i64) -> Result<()> {
        self.write(|tx| {
            set_refund_line_status(tx, event_id, status, now_ms)?;
            crate::remote_refunds::apply_answer(tx, event_id, status, None, now_ms)
        })
    }
}
