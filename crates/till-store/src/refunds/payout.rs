//! The money of a refund the seller confirmed after it was recorded: paying it out of the
//! drawer (audited, with its slip), and the lines whose money the till gave back while the
//! server's word disagrees (a decision taken offline, or overtaken).

use super::*;

/// A refund with cash approved but not paid out yet (the seller confirmed it since).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefundToPayOut {
    /// Refund id.
    pub refund_id: i64,
    /// Printed refund number.
    pub refund_no: String,
    /// The sale's receipt number.
    pub order_no: String,
    /// What is to be paid out now.
    pub amount_minor: i64,
    /// When the refund was recorded.
    pub created_at_ms: i64,
}

/// A refund line whose cash left the drawer while the server did not refund it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefundDisagreement {
    /// Refund id.
    pub refund_id: i64,
    /// Printed refund number.
    pub refund_no: String,
    /// The sale's receipt number.
    pub order_no: String,
    /// The line's product name.
    pub name: String,
    /// The amount at stake: paid out here, not refunded by the server.
    pub amount_minor: i64,
    /// How the till decided it: `policy`, `shop_manager`.
    pub decision: String,
    /// Whether the till decided without the server.
    pub decided_offline: bool,
    /// The server's word: `pending_seller_confirmation` or `rejected`.
    pub server_status: String,
    /// Why the server refused it, when it did.
    pub reason: Option<String>,
}

/// Cash lines approved and not paid out, per refund.
const TO_PAY: &str = "SELECT r.id, r.refund_no, o.order_no, sum(l.amount_minor - l.points_value_minor), r.created_at_ms
       FROM refund_lines l JOIN refunds r ON r.id = l.refund_id JOIN orders o ON o.id = r.order_id
      WHERE l.status = 'approved' AND l.paid_at_ms IS NULL AND r.tender = 'cash'";

fn to_pay_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<RefundToPayOut> {
    Ok(RefundToPayOut {
        refund_id: r.get(0)?,
        refund_no: r.get(1)?,
        order_no: r.get(2)?,
        amount_minor: r.get(3)?,
        created_at_ms: r.get(4)?,
    })
}

impl Store {
    /// Refunds with cash to pay out, oldest first.
    pub fn refunds_to_pay_out(&self) -> Result<Vec<RefundToPayOut>> {
        self.read(|c| {
            let mut s = c.prepare_cached(&format!("{TO_PAY} GROUP BY r.id ORDER BY r.id"))?;
            let rows = s.query_map([], to_pay_row)?;
            Ok(rows.collect::<std::result::Result<_, _>>()?)
        })
    }

    /// What `refund_id` has to pay out, if anything.
    pub fn refund_to_pay_out(&self, refund_id: i64) -> Result<Option<RefundToPayOut>> {
        self.read(|c| {
            Ok(c.prepare_cached(&format!("{TO_PAY} AND r.id = ?1 GROUP BY r.id"))?
                .query_row([refund_id], to_pay_row)
                .optional()?)
        })
    }

    /// The refund with the printed number `refund_no` (`R0000012`, or just `12`).
    pub fn refund_by_number(&self, refund_no: &str) -> Result<Option<i64>> {
        // One R at most: `RR000001` is a remote refund's number, never local refund 1.
        let text = refund_no.trim();
        let digits = text.strip_prefix(['R', 'r']).unwrap_or(text);
        let Ok(id) = digits.parse::<i64>() else { return Ok(None) };
        self.read(|c| {
            Ok(c.prepare_cached("SELECT id FROM refunds WHERE id = ?1")?.query_row([id], |r| r.get(0)).optional()?)
        })
    }

    /// Pays out the cash of `refund_id` that the seller confirmed: marks its lines paid by
    /// `user_id`, writes `refund.paid_out` to the audit log and queues its slip (opening the
    /// drawer), in one transaction. Returns what was paid out; nothing to pay is an error.
    pub fn refund_pay_out(&self, refund_id: i64, user_id: i64, now_ms: i64) -> Result<RefundToPayOut> {
        self.write(|tx| {
            let due = tx
                .prepare_cached(&format!("{TO_PAY} AND r.id = ?1 GROUP BY r.id"))?
                .query_row([refund_id], to_pay_row)
                .optional()?
                .ok_or_else(|| StoreError::Conflict("this refund has nothing to pay out".into()))?;
            tx.prepare_cached(
                "UPDATE refund_lines SET paid_at_ms = ?2, paid_by = ?3
                  WHERE refund_id = ?1 AND status = 'approved' AND paid_at_ms IS NULL",
            )?
            .execute(params![refund_id, now_ms, user_id])?;
            audit::append(
                tx,
                now_ms,
                Some(user_id),
                "refund.paid_out",
                &json!({ "refund_id": refund_id, "refund_no": due.refund_no, "order_no": due.order_no,
                         "amount": due.amount_minor }),
            )?;
            crate::print_queue::queue_refund(tx, refund_id, true, now_ms)?;
            Ok(due)
        })
    }

    /// Refund lines whose cash was paid out here while the server did not refund them (it
    /// waits for the seller, or refused), newest first: the manager's sync screen lists them.
    pub fn refund_disagreements(&self) -> Result<Vec<RefundDisagreement>> {
        self.read(|c| {
            let mut s = c.prepare_cached(
                "SELECT r.id, r.refund_no, o.order_no, ol.name, l.amount_minor - l.points_value_minor,
                        coalesce(l.decision, r.approval), r.decided_offline, l.server_status, e.parked_reason
                   FROM refund_lines l JOIN refunds r ON r.id = l.refund_id JOIN orders o ON o.id = r.order_id
                   JOIN order_lines ol ON ol.id = l.order_line_id LEFT JOIN outbox e ON e.id = l.event_id
                  WHERE l.status = 'approved' AND l.paid_at_ms IS NOT NULL AND r.tender = 'cash'
                    AND l.server_status IN ('pending_seller_confirmation', 'rejected')
                  ORDER BY l.id DESC",
            )?;
            let rows = s.query_map([], |r| {
                Ok(RefundDisagreement {
                    refund_id: r.get(0)?,
                    refund_no: r.get(1)?,
                    order_no: r.get(2)?,
                    name: r.get(3)?,
                    amount_minor: r.get(4)?,
                    decision: r.get(5)?,
                    decided_offline: r.get(6)?,
                    server_status: r.get(7)?,
                    reason: r.get(8)?,
                })
            })?;
            Ok(rows.collect::<std::result::Result<_, _>>()?)
        })
    }
}
