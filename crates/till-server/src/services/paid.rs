//! A sale line that pays a conversation (line origin `"service"`, its reference the
//! conversation id), and the paid notice the platform then owes the provider.
//!
//! [`paid`] runs inside the sale's own transaction (called by the `"service"` arm of
//! `routes::line_origins::recorded`): the conversation must be this terminal's, ask for exactly
//! the line's amount and not be paid yet; it is marked paid and its notice queued in the same
//! commit as the sale, so a recorded sale always has its notice and a refused one none.
//!
//! [`deliver_due`] sends the queued notices (`{endpoint}/paid`, signed like every relay call)
//! and marks each acknowledged only on the provider's signed acknowledgement; a failure is
//! retried later with a growing pause (1 s, 2 s, 4 s ... at most 5 min). The provider records a
//! conversation's payment once, so a notice delivered twice (an acknowledgement lost on the
//! way) changes nothing there. [`run`] calls it every `services.notify_interval_ms`.

use super::conversation::PAID;
use super::{relay, ServiceError};
use crate::error::ApiError;
use crate::repo::{ConversationRecord, Tx};
use crate::state::{blocking, AppState};
use std::time::Duration;
use till_api::services::{RelayAck, RelayPaid};
use till_api::Amount;

/// The notice is waiting for the provider's acknowledgement.
pub const NOTICE_PENDING: &str = "pending";
/// The provider acknowledged it.
pub const NOTICE_ACKNOWLEDGED: &str = "acknowledged";
/// Longest pause between two deliveries, seconds.
const MAX_BACKOFF_SECS: i64 = 300;
/// Notices sent per delivery round.
const BATCH: i64 = 20;

/// One sale line paying a conversation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PaidLine<'a> {
    /// The terminal that recorded the sale.
    pub terminal_id: &'a str,
    /// The sale's order id.
    pub order_id: &'a str,
    /// The line's code.
    pub line_code: &'a str,
    /// The conversation (the line origin's reference).
    pub conversation_id: &'a str,
    /// The line's total, minor units.
    pub total_minor: i64,
    /// Its currency.
    pub currency: &'a str,
}

/// Marks the conversation paid by this line and queues its notice, in the sale's transaction.
pub fn paid(tx: &mut dyn Tx, line: &PaidLine<'_>, now: i64) -> Result<(), ApiError> {
    let id = line.conversation_id;
    let not_payable = |why: &str| ApiError::from(ServiceError::NotPayable(id.to_string(), why.to_string()));
    let Some(mut c) = tx.conversation(id)? else { return Err(not_payable("no such conversation")) };
    if c.terminal_id != line.terminal_id {
        return Err(not_payable("it is another terminal's conversation"));
    }
    if c.status == PAID {
        return Err(ServiceError::AlreadyPaid(id.to_string()).into());
    }
    let (Some(minor), Some(currency)) = (c.amount_minor, c.currency.clone()) else {
        return Err(not_payable("the provider asked for no amount"));
    };
    if minor != line.total_minor || currency != line.currency {
        return Err(ServiceError::AmountMismatch {
            conversation: id.to_string(),
            asked: format!("{minor} {currency}"),
            line: format!("{} {}", line.total_minor, line.currency),
        }
        .into());
    }
    c.status = PAID.into();
    c.paid_order_id = Some(line.order_id.to_string());
    c.paid_line_code = Some(line.line_code.to_string());
    c.paid_at = Some(now);
    c.notify_state = Some(NOTICE_PENDING.into());
    c.notify_attempts = 0;
    c.notify_next_at = Some(now);
    tx.update_conversation(&c)?;
    Ok(())
}

/// The notice of a paid conversation.
fn notice(c: &ConversationRecord) -> Option<RelayPaid> {
    Some(RelayPaid {
        account_id: c.account_id.clone(),
        conversation_id: c.conversation_id.clone(),
        terminal_id: c.terminal_id.clone(),
        amount: Amount::new(c.amount_minor?, c.currency.as_deref()?),
        order_id: c.paid_order_id.clone()?,
        line_code: c.paid_line_code.clone()?,
        paid_at: c.paid_at?,
    })
}

/// Sends the notices due now; returns how many the providers acknowledged.
pub async fn deliver_due(app: &AppState) -> Result<usize, ApiError> {
    let (repo, now) = (app.repo.clone(), app.clock.now_unix());
    let due = blocking(move || Ok(repo.read()?.due_paid_notices(now, BATCH)?)).await?;
    let timeout = Duration::from_millis(app.config.services.provider_timeout_ms);
    let mut acknowledged = 0;
    for c in due {
        let repo = app.repo.clone();
        let account = c.account_id.clone();
        let provider = blocking(move || Ok(repo.read()?.provider(&account)?)).await?;
        let outcome = match (provider.filter(|p| !p.disabled), notice(&c)) {
            (Some(p), Some(body)) => {
                relay::call::<_, RelayAck>(&p, "paid", &body, now, &*app.entropy, timeout).await.and_then(|ack| {
                    if ack.acknowledged {
                        Ok(())
                    } else {
                        Err(ServiceError::ProviderRefused { code: "not_acknowledged".into(), message: "paid".into() })
                    }
                })
            }
            (None, _) => Err(ServiceError::ProviderNotFound(c.account_id.clone())),
            (_, None) => Err(ServiceError::NotPayable(c.conversation_id.clone(), "incomplete record".into())),
        };
        let ok = outcome.is_ok();
        let repo = app.repo.clone();
        let at = app.clock.now_unix();
        let id = c.conversation_id.clone();
        blocking(move || {
            let mut tx = repo.begin()?;
            // Read again under the write lock: only a notice still pending is moved.
            let Some(mut c) = tx.conversation(&id)? else { return Ok(()) };
            if c.notify_state.as_deref() != Some(NOTICE_PENDING) {
                return Ok(());
            }
            match outcome {
                Ok(()) => {
                    c.notify_state = Some(NOTICE_ACKNOWLEDGED.into());
                    c.notified_at = Some(at);
                    c.notify_next_at = None;
                    c.notify_error = None;
                }
                Err(e) => {
                    c.notify_attempts += 1;
                    let pause = 1i64 << c.notify_attempts.clamp(0, 9);
                    c.notify_next_at = Some(at + pause.min(MAX_BACKOFF_SECS));
                    c.notify_error = Some(e.to_string());
                    tracing::warn!(conversation = %id, attempts = c.notify_attempts, error = %e, "a paid notice was not acknowledged");
                }
            }
            tx.update_conversation(&c)?;
            tx.commit()?;
            Ok(())
        })
        .await?;
        if ok {
            acknowledged += 1;
        }
    }
    Ok(acknowledged)
}

/// Delivers due notices every `services.notify_interval_ms`, for as long as the server runs.
pub async fn run(app: AppState) {
    let mut every = tokio::time::interval(Duration::from_millis(app.config.services.notify_interval_ms.max(100)));
    every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        every.tick().await;
        if let Err(e) = deliver_due(&app).await {
            tracing::warn!(error = %e, "delivering paid notices failed");
        }
    }
}
