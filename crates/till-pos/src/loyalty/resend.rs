//! Earns that wait for the customer's next identification.
//!
//! A sale's earn carries the identify token read for it, which the points server takes only
//! within its window (600 s). A till offline for longer has its earn refused `token_expired`;
//! the ledger row then stays pending, marked as waiting (till-store's `points_ledger`). When
//! the customer is identified again at this till, each waiting earn is queued once more as a new
//! outbox event: the sale's own token as before, the token just read beside it
//! (`identified_again`, docs/api.md), so the server takes each sale's earn once, under its own
//! token's counter. The new event and the row's update are one commit: a crash leaves the earn
//! waiting or queued, never both, and a later identification finds nothing more to send. The
//! events are queued before anything the identification's own sale will queue, so they reach
//! the server first.

use crate::error::Result;
use crate::Pos;

impl Pos {
    /// The customer `account_id` was just identified with `identify_token` by `user_id`: queues
    /// every earn of theirs waiting for it (see the module) and wakes the sync worker. Returns
    /// how many were queued.
    pub(crate) fn points_resend_waiting(&self, user_id: i64, account_id: &str, identify_token: &[u8]) -> Result<usize> {
        let mut new_id = || self.random_hex(16);
        let resent = self.store.points_resend_awaiting(
            Some(user_id),
            account_id,
            &hex::encode(identify_token),
            self.now_ms(),
            &mut new_id,
        )?;
        if !resent.is_empty() {
            let points: i64 = resent.iter().map(|r| r.points).sum();
            tracing::info!(user_id, changes = resent.len(), points, "earns waiting for this customer sent again");
            self.sync_nudge();
        }
        Ok(resent.len())
    }
}
