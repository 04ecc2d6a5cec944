//! The payment journal in the till's flow (docs/payments.md, "The payment journal"): whoever
//! takes a payment (cards today, payment codes later) writes it to the journal before the
//! authorisation leaves ([`till_store::Store::journal_begin`]), settles it in the sale's own
//! commit ([`till_store::Settle`]), and, whenever an approval may exist without its sale, takes
//! it back with [`Pos::take_back`]:
//!
//! - the sale could not be recorded after the approval ([`REASON_SALE_NOT_RECORDED`]);
//! - no answer came (timeout, transport error, an unreadable answer), so the platform may have
//!   approved: the attempt is taken back before any offline approval, which is a payment of
//!   its own ([`REASON_NO_ANSWER`]);
//! - at start-up, a payment left `authorising` or `approved` by a till that stopped
//!   ([`Pos::recover_payments`], [`REASON_TILL_RESTARTED`]), unless its sale is found recorded,
//!   which settles it.
//!
//! Taking back means `reversal_pending` and a `payment.reversal` outbox event in one commit
//! with an audit entry; the sync worker retries it until the platform answers, so the reversal
//! outlives a server that is down and a till that restarts. The cart is never touched: the
//! cashier takes payment again with a new payment id, which the platform charges once.

use crate::error::Result;
use crate::Pos;
use till_store::payment_journal::Reversal;
use till_store::JournalState;

/// The sale could not be recorded after the approval.
pub const REASON_SALE_NOT_RECORDED: &str = "sale_not_recorded";
/// No answer (or none the till could read) came to the authorisation.
pub const REASON_NO_ANSWER: &str = "no_answer";
/// The till stopped between the request and the sale's commit.
pub const REASON_TILL_RESTARTED: &str = "till_restarted";

/// What the start-up check did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Recovered {
    /// Payments whose sale was found recorded: settled.
    pub settled: usize,
    /// Payments taken back (queued for the platform, or reversed here for the stand-in).
    pub reversed: usize,
}

impl Pos {
    /// Takes back an unsettled payment (see the module docs) and wakes the sync worker so the
    /// reversal leaves at once. Never fails the caller: if even the journal cannot be written,
    /// the payment stays unsettled on disk and the next start-up takes it back.
    pub(crate) fn take_back(&self, payment_id: &str, reason: &str, actor: Option<i64>) -> Option<Reversal> {
        match self.store.journal_reverse(payment_id, reason, actor, self.now_ms()) {
            Ok(r) => {
                match &r {
                    Reversal::Queued(event) => {
                        tracing::warn!(%payment_id, reason, %event, "payment taken back: reversal queued for the payment platform");
                        self.sync_nudge();
                    }
                    Reversal::Local => tracing::warn!(%payment_id, reason, "stand-in approval reversed on this till"),
                    Reversal::Nothing(state) => {
                        tracing::info!(%payment_id, reason, state = state.as_str(), "nothing to take back")
                    }
                }
                Some(r)
            }
            Err(e) => {
                tracing::error!(%payment_id, reason, "could not queue the reversal ({e}); the next start-up will");
                None
            }
        }
    }

    /// The start-up check: every payment left `authorising` or `approved` is settled if its
    /// own sale is recorded (the order of its cart carries its approval code and no other
    /// payment settled it), else taken back.
    pub(crate) fn recover_payments(&self) -> Result<Recovered> {
        let mut done = Recovered::default();
        for p in self.store.journal_unsettled()? {
            let order = self.store.order_by_checkout_key(&p.checkout_key)?;
            let others = self.store.journal_of_checkout(&p.checkout_key)?;
            let settled_by_another =
                others.iter().any(|o| o.state == JournalState::Settled && o.payment_id != p.payment_id);
            let paid_by_it = order.as_ref().is_some_and(|o| {
                p.auth_code.is_some() && o.payments.iter().any(|x| x.tender == p.method && x.auth_code == p.auth_code)
            });
            match order {
                Some(o) if paid_by_it && !settled_by_another => {
                    self.store.journal_settle_found(&p.payment_id, o.id, self.now_ms())?;
                    tracing::warn!(payment_id = %p.payment_id, order_id = o.id, "unsettled payment found with its sale: settled");
                    done.settled += 1;
                }
                _ => {
                    if self.take_back(&p.payment_id, REASON_TILL_RESTARTED, None).is_some() {
                        done.reversed += 1;
                    }
                }
            }
        }
        Ok(done)
    }
}

#[cfg(test)]
#[path = "journal_tests.rs"]
mod tests;
