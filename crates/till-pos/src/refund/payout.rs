//! The money of refunds decided after they were recorded: a refund the seller confirmed since
//! is found by its number and paid out of the drawer (audited, with its slip); the manager sees
//! the lines paid here that the server did not refund (decided offline, or overtaken).

use super::refusal_code;
use crate::admin::permissions::Command;
use crate::error::{PosError, Result};
use crate::ipc::refund::{RefundDisagreementView, RefundReceipt, RefundToPayOutView};
use crate::ipc::sync::Service;
use crate::Pos;
use std::time::Duration;
use till_core::{Money, SessionToken};
use till_store::StoreError;

/// How often the running till asks the server about refunds waiting for their seller.
pub const SELLER_FOLLOW_EVERY: Duration = Duration::from_secs(30);

impl Pos {
    /// Asks the server about every refund line (and remote refund) waiting for the seller and
    /// records the decisions: the sync feed does it every [`SELLER_FOLLOW_EVERY`] while the
    /// till runs, and Refresh (R) on a refund at once. Returns how many were asked; stops at
    /// the first that cannot be (offline: next time).
    pub fn follow_seller_decisions(&self) -> Result<usize> {
        let waiting = self.store.refunds_awaiting_seller()?;
        if waiting.is_empty() || self.sync_credentials()?.is_none() {
            return Ok(0);
        }
        for (asked, w) in waiting.iter().enumerate() {
            let path = format!("/v1/refunds/{}", w.server_refund_id);
            let answer = match self.server_call(Service::Refunds, "GET", &path, None, None) {
                Ok(a) => a,
                Err(e) if asked == 0 => return Err(e),
                Err(e) => {
                    tracing::warn!("refund decisions followed in part: {e}");
                    return Ok(asked);
                }
            };
            if let Some(status) = answer.get("status").and_then(|s| s.as_str()) {
                self.store.refund_line_decided(&w.event_id, status, self.now_ms())?;
            }
        }
        Ok(waiting.len())
    }

    /// A refund by its printed number (`R0000012`, or `12`).
    pub fn refund_by_number(&self, token: &SessionToken, refund_no: &str) -> Result<RefundReceipt> {
        self.authorize(token, Command::RefundByNumber)?;
        if refund_no.trim().is_empty() {
            return Err(PosError::InvalidInput("type or scan the refund number".into()));
        }
        let id = self.store.refund_by_number(refund_no)?.ok_or(StoreError::NotFound("refund"))?;
        self.refund_receipt_of(id)
    }

    /// Refunds whose cash the seller confirmed and that are still to be paid out.
    pub fn refunds_to_pay_out(&self, token: &SessionToken) -> Result<Vec<RefundToPayOutView>> {
        self.authorize(token, Command::RefundsToPayOut)?;
        let m = |v: i64| Money::new(v, self.currency());
        Ok(self
            .store
            .refunds_to_pay_out()?
            .into_iter()
            .map(|p| RefundToPayOutView {
                refund_id: p.refund_id,
                refund_no: p.refund_no,
                order_no: p.order_no,
                amount: m(p.amount_minor),
                created_at_ms: p.created_at_ms,
            })
            .collect())
    }

    /// Pays out the cash of a refund the seller confirmed: its lines are marked paid by this
    /// user, the audit log says so, and its slip prints (opening the drawer).
    pub fn refund_pay_out(&self, token: &SessionToken, refund_id: i64) -> Result<RefundReceipt> {
        let s = self.authorize(token, Command::RefundPayOut)?;
        let paid = self.store.refund_pay_out(refund_id, s.user_id, self.now_ms())?;
        tracing::info!(refund_id, amount = paid.amount_minor, "refund paid out");
        self.devices.printer_wake.notify();
        self.refund_receipt_of(refund_id)
    }

    /// Refund lines paid out here that the server did not refund, with the amount at stake.
    pub fn refund_disagreements(&self, token: &SessionToken) -> Result<Vec<RefundDisagreementView>> {
        self.authorize(token, Command::RefundDisagreements)?;
        let m = |v: i64| Money::new(v, self.currency());
        Ok(self
            .store
            .refund_disagreements()?
            .into_iter()
            .map(|d| RefundDisagreementView {
                refund_id: d.refund_id,
                refund_no: d.refund_no,
                order_no: d.order_no,
                name: d.name,
                amount: m(d.amount_minor),
                decision: d.decision,
                decided_offline: d.decided_offline,
                server_status: d.server_status,
                reason: d.reason.as_deref().map(refusal_code),
            })
            .collect())
    }
}
