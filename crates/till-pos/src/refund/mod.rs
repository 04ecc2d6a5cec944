//! Refunds at the counter (CN102982479A, CN103310370A): find the sale by a receipt line code,
//! by a device identifier (this till's sales, else the server's sold-devices list), or by the
//! receipt number with its day and amount; choose lines and quantities, a reason and
//! optionally a photo of the defect; the policy decides who approves; the money goes back to
//! the original tender; a refund receipt is printed and the refund syncs through the outbox.
//!
//! Policy: within the cashier's limit and for a customer whose reputation (asked of the server)
//! is at or above the threshold, the refund is approved at once. Otherwise a manager approves
//! it on the spot with their PIN, or it is left for the seller to confirm on the server (the
//! money is then paid back only when the seller confirms). A manager at the till approves their
//! own refunds. Every refund and every override is in the audit log.

use crate::admin::data_dir::EVIDENCE_DIR;
use crate::admin::permissions::Command;
use crate::error::{PosError, Result};
use crate::ipc::refund::{
    RefundInput, RefundLineState, RefundLookup, RefundOrderView, RefundQuoteView, RefundReceipt, RefundReceiptLine,
    RefundSaleLine, RemoteSaleView,
};
use crate::ipc::sync::Service;
use crate::Pos;
use base64::Engine;
use sha2::{Digest, Sha256};
use till_core::{Currency, DeviceIdentifier, LineCode, Money};
use till_core::{OrderId, SessionToken};
use till_store::private_fs;
use till_store::{NewRefund, PhotoUpload, RefundableOrder};

/// Largest photo of a defect the till keeps (and the server takes): 5 MiB.
pub const MAX_PHOTO_BYTES: usize = till_core::photo::MAX_PHOTO_BYTES;

/// The reason codes a refund may give.
pub const REASONS: &[&str] = &["defective", "wrong_item", "not_as_described", "changed_mind", "other"];

/// The server's code in the reason an event was parked with (`"422 card_sale_not_authorised:
/// the card payment ..."`, as the sync worker writes it), for the window to put in words; the
/// whole reason when it has no code (a transport-level refusal).
fn refusal_code(reason: &str) -> String {
    let code = reason
        .split_once(' ')
        .filter(|(status, _)| !status.is_empty() && status.bytes().all(|b| b.is_ascii_digit()))
        .and_then(|(_, rest)| rest.split_once(':'))
        .map(|(code, _)| code)
        .filter(|c| !c.is_empty() && c.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_'));
    code.unwrap_or(reason).to_string()
}

/// The manager the cashier named to approve a refund, with the PIN they typed.
#[derive(Debug, Clone, Default)]
struct Approval {
    manager_id: Option<i64>,
    manager_pin: Option<String>,
}

impl RefundInput {
    fn approval(&self) -> Approval {
        Approval { manager_id: self.manager_id, manager_pin: self.manager_pin.clone() }
    }
}

fn order_view(o: &RefundableOrder, currency: Currency) -> Result<RefundOrderView> {
    let m = |v: i64| Money::new(v, currency);
    Ok(RefundOrderView {
        order_id: o.order_id,
        order_no: o.order_no.clone(),
        created_at_ms: o.created_at_ms,
        total: m(o.total_minor),
        refunded: m(o.refunded_minor),
        tender: o.tender.clone(),
        card_masked: o.card_masked.clone(),
        customer_short: o.customer_ref.as_ref().map(|c| c.chars().take(8).collect::<String>().to_uppercase()),
        lines: o
            .lines
            .iter()
            .map(|l| {
                Ok(RefundSaleLine {
                    order_line_id: l.order_line_id,
                    line_no: l.line_no,
                    line_code: LineCode::parse(&l.line_code)?.grouped(),
                    sku: l.sku.clone(),
                    name: l.name.clone(),
                    name_zh: l.name_zh.clone(),
                    quantity: l.quantity,
                    refundable: l.quantity - l.refunded_quantity,
                    line_total: m(l.gross_minor),
                    device: l.serial_number.clone(),
                    matched: o.matched_line_id == Some(l.order_line_id),
                })
            })
            .collect::<std::result::Result<_, till_core::CoreError>>()?,
        remote: None,
    })
}

/// The local day `YYYY-MM-DD` at `offset_minutes` from UTC, as `[from, to)` in ms.
fn day_range(date: &str, offset_minutes: i32) -> Result<(i64, i64)> {
    if !(-14 * 60..=14 * 60).contains(&offset_minutes) {
        return Err(PosError::InvalidInput("the UTC offset is -14:00 to +14:00".into()));
    }
    let midnight = till_core::calendar::parse_utc_date(date)
        .ok_or_else(|| PosError::InvalidInput(format!("{date:?} is not a date (YYYY-MM-DD)")))?;
    let from = midnight - i64::from(offset_minutes) * 60_000;
    Ok((from, from + 86_400_000))
}

impl Pos {
    /// Finds the sale to refund.
    pub fn refund_find(&self, token: &SessionToken, q: RefundLookup) -> Result<RefundOrderView> {
        self.authorize(token, Command::RefundFind)?;
        let text = q.text.trim();
        if text.is_empty() {
            return Err(PosError::InvalidInput("scan or type what to look for".into()));
        }
        let found = match q.by.as_str() {
            "line_code" => self.store.refund_find_by_line_code(LineCode::parse(text)?.as_str())?,
            "device" => {
                let id = DeviceIdentifier::parse(text)?;
                match self.store.refund_find_by_device(id.as_str())? {
                    Some(o) => Some(o),
                    None => return self.remote_device(&id),
                }
            }
            "receipt" => {
                let (from, to) = day_range(q.date.as_deref().unwrap_or_default(), q.utc_offset_minutes.unwrap_or(0))?;
                let amount = q.amount_minor.ok_or_else(|| PosError::InvalidInput("give the receipt's total".into()))?;
                self.store.refund_find_by_receipt(text, from, to, amount)?
            }
            other => return Err(PosError::InvalidInput(format!("unknown lookup {other:?}"))),
        };
        let o = found.ok_or(PosError::Store(till_store::StoreError::NotFound("sale")))?;
        order_view(&o, self.currency())
    }

    /// A device sold at another till, from the server's sold-devices list.
    fn remote_device(&self, id: &DeviceIdentifier) -> Result<RefundOrderView> {
        // Named by its blind, never in clear (docs/device-services.md).
        let blind = self.device_key()?.blind(id.as_str());
        let d = match self.server_call(Service::Refunds, "GET", &format!("/v1/sold-devices/{blind}"), None, None) {
            Err(PosError::ServerRefused { code, .. }) if code == "not_found" => {
                return Err(PosError::Store(till_store::StoreError::NotFound("sale of that device")))
            }
            other => other?,
        };
        let s = |k: &str| d.get(k).and_then(|v| v.as_str()).unwrap_or_default().to_string();
        let price = d.get("price").and_then(|p| p.get("minor")).and_then(|v| v.as_i64()).unwrap_or(0);
        let price = Money::new(price, self.currency());
        Ok(RefundOrderView {
            order_id: 0,
            order_no: s("order_id"),
            created_at_ms: d.get("sold_at").and_then(|v| v.as_i64()).unwrap_or(0) * 1000,
            total: price,
            refunded: Money::zero(self.currency()),
            tender: "original".into(),
            card_masked: None,
            customer_short: None,
            lines: Vec::new(),
            remote: Some(RemoteSaleView {
                identifier: id.to_string(),
                kind: s("kind"),
                price,
                paying_account: s("paying_account"),
                order_id: s("order_id"),
                store: s("store"),
                refunded: d.get("refunded").and_then(|v| v.as_bool()).unwrap_or(false),
            }),
        })
    }

    fn new_refund(&self, cashier_id: i64, input: &RefundInput, photo: Option<PhotoUpload>) -> Result<NewRefund> {
        if !REASONS.contains(&input.reason.as_str()) {
            return Err(PosError::InvalidInput(format!("reason is one of {}", REASONS.join(", "))));
        }
        Ok(NewRefund {
            order_id: input.order_id,
            lines: input.lines.iter().map(|l| (l.order_line_id, l.quantity)).collect(),
            reason: input.reason.clone(),
            evidence_sha256: photo.as_ref().map(|p| p.sha256.clone()),
            photo,
            cashier_id,
            approved_by: None,
            approval: "policy".into(),
            customer_ref: None,
            key: self.random_hex(12),
            event_ids: (0..input.lines.len() + 2).map(|_| self.random_hex(16)).collect(),
            decisions: Vec::new(),
            decided_offline: false,
            now_ms: self.now_ms(),
        })
    }

    /// The cashier's limit (the shop's control over its staff, decided at the till).
    fn cashier_limit(&self) -> Result<Money> {
        Ok(Money::new(self.loyalty_settings()?.cashier_refund_limit_minor, self.currency()))
    }

    /// What the refund would pay back, and how each line would be decided. Writes nothing.
    pub fn refund_quote(&self, token: &SessionToken, input: RefundInput) -> Result<RefundQuoteView> {
        let s = self.authorize(token, Command::RefundQuote)?;
        let new = self.new_refund(s.user_id, &input, None)?;
        let preview = self.store.refund_preview(&new)?;
        let order = self.store.refundable_order(input.order_id)?.ok_or(till_store::StoreError::NotFound("sale"))?;
        let asked = Asked { manager: s.role.is_manager(), hold_for_seller: false };
        let decided = self.decide_refund(&preview, &order, &line_ids(&input), asked)?;
        let limit = self.cashier_limit()?;
        let over_limit = preview.amount_minor > limit.minor() && !s.role.is_manager();
        let m = |x: i64| Money::new(x, self.currency());
        Ok(RefundQuoteView {
            amount: m(preview.amount_minor),
            tax: m(preview.tax_minor),
            tender: preview.tender.clone(),
            points_value: m(preview.points_value_minor),
            points_reversed: preview.points_reversed,
            points_returned: preview.points_returned,
            within_policy: !over_limit && !decided.any_waits(),
            over_limit,
            low_reputation: decided.any_waits(),
            reputation: decided.reputation,
            limit,
            threshold: decided.threshold,
            lines: decided.views,
            offline: decided.offline,
        })
    }

    /// Records the refund (after the decision and any approval) and returns its receipt. Lines
    /// approved pay back now; lines waiting for the seller pay nothing until the seller
    /// confirms; a line the server would refuse stops the whole refund before money moves.
    pub fn refund_record(&self, token: &SessionToken, input: RefundInput) -> Result<RefundReceipt> {
        let s = self.authorize(token, Command::RefundRecord)?;
        let photo = match input.photo_base64.as_deref().filter(|p| !p.is_empty()) {
            Some(b64) => Some(self.keep_photo(b64)?),
            None => None,
        };
        let mut new = self.new_refund(s.user_id, &input, photo)?;
        let order = self.store.refundable_order(input.order_id)?.ok_or(till_store::StoreError::NotFound("sale"))?;
        let amount = self.store.refund_preview(&new)?.amount_minor;
        let limit = self.cashier_limit()?;
        let manager = self.approving_manager(&s, &input.approval())?;
        let hold = manager.is_none() && input.wait_for_seller;
        // Above the limit the cashier pays nothing alone: a manager approves, or the whole
        // refund waits for the seller (the server holds it whatever the reputation).
        if manager.is_none() && !hold && amount > limit.minor() {
            return Err(PosError::ApprovalRequired(format!(
                "above the cashier's limit of {limit}: a manager approves, or it is left to the seller"
            )));
        }
        new.approval = match (&manager, hold) {
            (Some(_), _) => "manager",
            (None, true) => "seller",
            (None, false) => "policy",
        }
        .into();
        new.approved_by = manager;
        // The server is asked exactly what will be sent: the preview's requests.
        let preview = self.store.refund_preview(&new)?;
        let asked = Asked { manager: new.approved_by.is_some(), hold_for_seller: hold };
        let decided = self.decide_refund(&preview, &order, &line_ids(&input), asked)?;
        if decided.needs_manager() {
            let why = match decided.reputation {
                Some(r) => format!("customer reputation {r} is below {}", decided.threshold),
                None if decided.offline => "the server cannot be asked and the customer's reputation is unknown".into(),
                None => "the customer's reputation is unknown".to_string(),
            };
            return Err(PosError::ApprovalRequired(why));
        }
        if new.approval == "policy" && decided.any_waits() {
            new.approval = "seller".into();
        }
        new.decisions = decided.decisions.clone();
        new.decided_offline = decided.offline;
        let recorded = self.store.record_refund(&new)?;
        if new.approval == "manager" {
            self.store.audit(
                new.now_ms,
                new.approved_by.as_ref().map(|(id, _)| *id),
                "refund.override",
                &serde_json::json!({ "refund_id": recorded.refund_id, "cashier_id": s.user_id, "amount": recorded.amount_minor }),
            )?;
        }
        tracing::info!(refund_id = recorded.refund_id, amount = recorded.amount_minor, approved_now = recorded.approved_minor,
            approval = %new.approval, offline = decided.offline, "refund recorded");
        self.sync_nudge();
        self.devices.printer_wake.notify();
        self.refund_receipt_of(recorded.refund_id)
    }

    /// The manager approving a refund: the signed-in manager, or the one whose PIN was typed
    /// now (a wrong PIN counts towards their lock-out); None when no manager approves.
    fn approving_manager(&self, s: &crate::admin::auth::SessionState, a: &Approval) -> Result<Option<(i64, String)>> {
        if s.role.is_manager() {
            return Ok(Some((s.user_id, s.name.clone())));
        }
        match (a.manager_id, a.manager_pin.as_deref()) {
            (Some(manager), Some(pin)) => {
                let user = self.store.user(manager)?;
                if !user.role.is_manager() || !user.active {
                    return Err(PosError::Forbidden { role: user.role, action: "approve refunds" });
                }
                self.confirm_pin(manager, pin)?;
                Ok(Some((user.id, user.name)))
            }
            _ => Ok(None),
        }
    }

    /// Keeps the photo of a defect beside the database, after checking it is a JPEG, PNG or
    /// WebP by its bytes (not by its name) of at most 5 MiB; returns it ready for upload (the
    /// refund's commit queues it), named by its SHA-256 (hex).
    fn keep_photo(&self, b64: &str) -> Result<PhotoUpload> {
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(b64.trim())
            .map_err(|_| PosError::InvalidInput("the photo is not base64".into()))?;
        let kind = till_core::photo::check(&bytes).map_err(|e| PosError::InvalidInput(e.to_string()))?;
        let sha = hex::encode(Sha256::digest(&bytes));
        // The folder 0700 and the photo 0600: a customer's photo is the owner's alone.
        let dir = self.store.path().parent().unwrap_or(std::path::Path::new(".")).join(EVIDENCE_DIR);
        private_fs::create_private_dir_all(&dir).map_err(|e| PosError::Internal(format!("evidence folder: {e}")))?;
        private_fs::write_private(&dir.join(format!("{sha}.img")), &bytes)
            .map_err(|e| PosError::Internal(format!("saving the photo: {e}")))?;
        Ok(PhotoUpload {
            sha256: sha,
            content_type: kind.content_type().to_string(),
            // Encoded again from the bytes: whatever spacing the window sent, the upload is
            // canonical base64.
            base64: base64::engine::general_purpose::STANDARD.encode(&bytes),
        })
    }

    /// A refund's receipt (any seller; reprints included).
    pub fn refund_receipt(&self, token: &SessionToken, refund_id: i64) -> Result<RefundReceipt> {
        self.authorize(token, Command::RefundRefresh)?;
        self.refund_receipt_of(refund_id)
    }

    pub(crate) fn refund_receipt_of(&self, refund_id: i64) -> Result<RefundReceipt> {
        let r = self.store.refund_summary(refund_id)?;
        let m = |v: i64| Money::new(v, self.currency());
        let sum = |f: &dyn Fn(&till_store::refunds::RefundSummaryLine) -> bool| -> i64 {
            r.lines.iter().filter(|l| f(l)).map(|l| l.amount_minor).sum()
        };
        let to_pay_out = self.store.refund_to_pay_out(refund_id)?.map_or(0, |p| p.amount_minor);
        let awaiting = sum(&|l| l.status == "awaiting_seller");
        Ok(RefundReceipt {
            refund_id,
            refund_no: r.refund_no,
            order_no: r.order_no,
            created_at_ms: r.created_at_ms,
            amount: m(r.amount_minor),
            tax: m(r.tax_minor),
            tender: r.tender,
            card_masked: r.card_masked,
            reason: r.reason,
            approval: r.approval,
            approved_by: r.approved_by,
            status: r.status,
            evidence_sha256: r.evidence_sha256,
            lines: r
                .lines
                .into_iter()
                .map(|l| RefundReceiptLine {
                    name: l.name,
                    name_zh: l.name_zh,
                    quantity: l.quantity,
                    amount: m(l.amount_minor),
                    device: l.serial_number,
                    state: RefundLineState {
                        status: l.status,
                        decision: l.decision,
                        server_status: l.server_status,
                        paid: l.paid_at_ms.is_some(),
                        seller: l.seller,
                    },
                })
                .collect(),
            decided_offline: r.decided_offline,
            to_pay_out: m(to_pay_out),
            awaiting_seller: m(awaiting),
            points_reversed: r.points_reversed,
            points_returned: r.points_returned,
            server_refusal: self.server_refusal(refund_id)?,
        })
    }

    /// The code the server refused a line of the local refund `refund_id` with, from its
    /// parked event (see [`refusal_code`]); `None` while no line was refused by the server.
    fn server_refusal(&self, refund_id: i64) -> Result<Option<String>> {
        let reason: Option<String> = self.store.read(|c| {
            // A scalar subquery: one row, NULL when no line was refused.
            Ok(c.query_row(
                "SELECT (SELECT o.parked_reason FROM refund_lines l JOIN outbox o ON o.id = l.event_id
                  WHERE l.refund_id = ?1 AND o.state IN ('parked', 'discarded') AND o.parked_reason IS NOT NULL
                  ORDER BY o.parked_at_ms LIMIT 1)",
                [refund_id],
                |r| r.get(0),
            )?)
        })?;
        Ok(reason.as_deref().map(refusal_code))
    }

    /// Asks the server again about refunds waiting for the seller, records the decisions, and
    /// returns the refund's receipt with its status now.
    pub fn refund_refresh(&self, token: &SessionToken, refund_id: i64) -> Result<RefundReceipt> {
        self.authorize(token, Command::RefundRefresh)?;
        if let Err(e) = self.follow_seller_decisions() {
            tracing::warn!("refund status not refreshed: {e}");
        }
        self.refund_receipt_of(refund_id)
    }

    /// Refunds of one order, newest first (for the refund screen's list).
    pub fn refunds_of_order(&self, token: &SessionToken, order_id: OrderId) -> Result<Vec<RefundReceipt>> {
        let order_id = order_id.get();
        self.authorize(token, Command::RefundsOfOrder)?;
        let ids = self.store.refund_ids_of_order(order_id)?;
        ids.into_iter().map(|id| self.refund_receipt_of(id)).collect()
    }
}

mod decision;
mod payout;
pub use payout::SELLER_FOLLOW_EVERY;
mod remote;

use decision::Asked;

/// The order line ids of a refund's input, in its order.
fn line_ids(input: &RefundInput) -> Vec<i64> {
    input.lines.iter().map(|l| l.order_line_id).collect()
}

#[cfg(test)]
mod tests;
