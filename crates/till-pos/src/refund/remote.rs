//! Refunds of devices sold at another till: asked of the server through the outbox, and kept
//! on the record here (history, audit, Z report apart) though no money moves through this drawer.

use super::decision::checked_decision;
use super::{refusal_code, Approval, REASONS};
use crate::admin::permissions::Command;
use crate::error::{PosError, Result};
use crate::ipc::refund::{RemoteRefundInput, RemoteRefundRecordView, RemoteRefundView};
use crate::Pos;
use till_core::{DeviceIdentifier, Money, SessionToken};

impl Pos {
    /// Asks the server to refund a device sold at another till: the price goes back to the
    /// account that paid, through the outbox (so it is asked exactly once, also offline), and
    /// this till keeps a record of it (`RR000001`) with its status. The customer is unknown
    /// here: outside the cashier's limit or for an unknown customer a manager's PIN or the
    /// seller approves, and the server decides with the sale's facts (no money moves here).
    pub fn refund_remote(&self, token: &SessionToken, input: RemoteRefundInput) -> Result<RemoteRefundView> {
        let s = self.authorize(token, Command::RefundRemote)?;
        if !REASONS.contains(&input.reason.as_str()) {
            return Err(PosError::InvalidInput(format!("reason is one of {}", REASONS.join(", "))));
        }
        let id = DeviceIdentifier::parse(&input.identifier)?;
        let sale = self.remote_device(&id)?;
        let remote = sale.remote.ok_or(PosError::Internal("the server's answer has no device".into()))?;
        if remote.refunded {
            return Err(PosError::Store(till_store::StoreError::RefundExceedsSold { line_no: 1, left: 0 }));
        }
        let photo = match input.photo_base64.as_deref().filter(|p| !p.is_empty()) {
            Some(b64) => Some(self.keep_photo(b64)?),
            None => None,
        };
        let approval = Approval { manager_id: input.manager_id, manager_pin: input.manager_pin.clone() };
        let approved_by = self.approving_manager(&s, &approval)?;
        let approval = match (&approved_by, input.wait_for_seller) {
            (Some(_), _) => "manager",
            (None, true) => "seller",
            (None, false) => "policy",
        };
        let key = self.random_hex(12);
        let event_id = self.random_hex(16);
        let mut refund = till_store::RemoteRefund {
            identifier: id.to_string(),
            amount_minor: remote.price.minor(),
            currency: remote.price.currency().code().to_string(),
            reason: input.reason.clone(),
            evidence_sha256: photo.as_ref().map(|p| p.sha256.clone()),
            photo,
            cashier_id: s.user_id,
            approved_by: approved_by.clone(),
            approval: approval.to_string(),
            paying_account: remote.paying_account.clone(),
            key: key.clone(),
            event_id: event_id.clone(),
            now_ms: self.now_ms(),
        };
        // The server decides with the sale's facts (its customer, its seller): asked first, the
        // same request, so a refund it would refuse or hold is known before it is recorded.
        let check = self.check_refunds(&[refund.request()])?;
        let decision = checked_decision(&check.results[0], &format!("device {id}"))?;
        if !decision.approved() && approval == "policy" {
            if check.results[0].seller.is_none() {
                let why = match check.reputation {
                    Some(r) => format!("customer reputation {r} is below {}", check.threshold),
                    None => "the customer's reputation is unknown".to_string(),
                };
                return Err(PosError::ApprovalRequired(why));
            }
            refund.approval = "seller".into();
        }
        let record = self.store.record_remote_refund(&refund)?;
        self.sync_nudge();
        // Online, the server's decision is back within a moment.
        let deadline = std::time::Instant::now() + crate::loyalty::ANSWER_WAIT;
        let mut status = "queued".to_string();
        let mut server_refusal = None;
        while std::time::Instant::now() < deadline {
            if let Some((_, body)) = self.store.delivery_response(&event_id)? {
                status = serde_json::from_str::<serde_json::Value>(&body)
                    .ok()
                    .and_then(|v| v.get("status").and_then(|s| s.as_str()).map(str::to_string))
                    .unwrap_or_else(|| "refunded".into());
                break;
            }
            // Refused for good (a card sale the platform never approved, say): say so and why.
            if let Some(code) = self.remote_refusal(&event_id)? {
                status = "rejected".into();
                server_refusal = Some(code);
                break;
            }
            std::thread::sleep(std::time::Duration::from_millis(100));
        }
        Ok(RemoteRefundView {
            identifier: id.to_string(),
            amount: remote.price,
            paying_account: remote.paying_account,
            approval: refund.approval,
            approved_by: approved_by.map(|(_, n)| n),
            refund_no: record.refund_no,
            server_refund_id: key,
            status,
            server_refusal,
        })
    }

    /// The code of a remote refund's event the server refused (parked), if it did.
    fn remote_refusal(&self, event_id: &str) -> Result<Option<String>> {
        let reason: Option<String> = self.store.read(|c| {
            // A scalar subquery: one row, NULL when the event is not refused.
            Ok(c.query_row(
                "SELECT (SELECT parked_reason FROM outbox WHERE id = ?1 AND state IN ('parked', 'discarded'))",
                [event_id],
                |r| r.get(0),
            )?)
        })?;
        Ok(reason.as_deref().map(refusal_code))
    }

    /// The refunds of devices sold at other tills asked for here, newest first (the latest 200).
    pub fn remote_refunds(&self, token: &SessionToken) -> Result<Vec<RemoteRefundRecordView>> {
        self.authorize(token, Command::RefundsRemoteList)?;
        let rows = self.store.remote_refunds_between(i64::MIN, i64::MAX)?;
        Ok(rows
            .into_iter()
            .take(200)
            .map(|r| RemoteRefundRecordView {
                refund_no: r.refund_no,
                identifier: r.identifier,
                created_at_ms: r.created_at_ms,
                cashier: r.cashier,
                approval: r.approval,
                approved_by: r.approved_by,
                amount: Money::new(r.amount_minor, self.currency()),
                paying_account: r.paying_account,
                status: r.status,
                refused_reason: r.refused_reason.as_deref().map(refusal_code),
            })
            .collect())
    }
}
