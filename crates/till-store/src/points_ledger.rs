//! The provisional points ledger as the till reads it: the changes of one order (for its
//! receipt), those the server rejected (for the manager), and the answer that came with a
//! confirmed change (levels and promotions to print).

use crate::{Result, Store};
use rusqlite::{params, OptionalExtension};

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
}

const COLUMNS: &str = "p.id, p.customer_ref, p.order_id, p.refund_id, p.kind, p.points, p.status, p.created_at_ms,
    p.balance_after, p.level, p.rejected_reason, o.response_body";

fn entries(store: &Store, filter: &str, param: Option<i64>, limit: i64) -> Result<Vec<LedgerEntry>> {
    store.read(|c| {
        let mut s = c.prepare_cached(&format!(
            "SELECT {COLUMNS} FROM points_ledger p LEFT JOIN outbox o ON o.id = p.event_id WHERE {filter}
              ORDER BY p.id DESC LIMIT ?2"
        ))?;
        let rows = s.query_map(params![param, limit], |r| {
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
            })
        })?;
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
