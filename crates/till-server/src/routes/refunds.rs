//! `POST /v1/refunds`: refunds by line code (CN102982479A) or by a sold device's identifier
//! (CN103310370A), with the reputation-threshold policy.
//!
//! A customer whose reputation is at or above the configured threshold is refunded at once;
//! anyone else (including an unknown customer) waits until the seller confirms, with
//! `till-server refunds confirm`. The amount is reserved against the line as soon as the refund
//! is asked for, so two refunds can never together exceed what was paid; a rejection releases it.
//!
//! A card refund may name the authorisation code of the card payment it goes back to
//! (`original_auth_code`); the server then checks that the order of the refunded line was paid by
//! card with that code, and refunds to that card, so an order paid with two cards is refunded
//! to the right one and a till cannot refund to a card that never paid.

use crate::error::ApiError;
use crate::idempotency::Reply;
use crate::repo::{RefundRecord, Repository, Tx};
use crate::state::Ctx;
use crate::wire::{check_text, Amount, AmountCheck};
use till_core::LineCode;

/// Status of a refund that was paid back.
pub const REFUNDED: &str = "refunded";
/// Status of a refund waiting for the seller.
pub const PENDING: &str = "pending_seller_confirmation";
/// Status of a refund the seller refused.
pub const REJECTED: &str = "rejected";

// The request and answer bodies are till-api's, shared with the till.
pub use till_api::refunds::{RefundRequest, RefundResponse};

impl From<&RefundRecord> for RefundResponse {
    fn from(r: &RefundRecord) -> Self {
        RefundResponse {
            refund_id: r.refund_id.clone(),
            status: r.status.clone(),
            amount: Amount::new(r.amount_minor, &r.currency),
            line_code: r.line_code.clone(),
            device_identifier: r.device_identifier.clone(),
            refund_to: r.refund_to.clone(),
            decided_by: r.decided_by.clone(),
            original_auth_code: r.original_auth_code.clone(),
        }
    }
}

/// Checks a refund request without touching storage.
pub fn validate(req: &RefundRequest) -> Result<(), ApiError> {
    check_text("refund_id", &req.refund_id, 64)?;
    check_text("reason", &req.reason, 500)?;
    if !matches!(req.tender.as_str(), "original" | "cash" | "card" | "points") {
        return Err(ApiError::InvalidRequest("tender is original, cash, card or points".into()));
    }
    match (&req.line_code, &req.device_identifier) {
        (Some(code), None) => {
            LineCode::parse(code)?;
        }
        (None, Some(id)) => check_text("device_identifier", id, 64)?,
        _ => return Err(ApiError::InvalidRequest("give exactly one of line_code and device_identifier".into())),
    }
    if let Some(h) = &req.evidence_sha256 {
        if h.len() != 64 || !h.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(ApiError::InvalidRequest("evidence_sha256 is 64 hex digits".into()));
        }
    }
    if let Some(c) = &req.customer_id {
        check_text("customer_id", c, 64)?;
    }
    if let Some(m) = &req.approved_by {
        check_text("approved_by", m, 64)?;
    }
    if let Some(a) = &req.original_auth_code {
        check_text("original_auth_code", a, 32)?;
        if req.tender != "card" {
            return Err(ApiError::InvalidRequest("original_auth_code goes with tender card only".into()));
        }
    }
    req.amount.to_positive_money()?;
    Ok(())
}

/// Applies the refund request.
pub fn request(tx: &mut dyn Tx, ctx: &Ctx, req: &RefundRequest) -> Result<Reply, ApiError> {
    let amount = req.amount.to_positive_money()?;
    if tx.refund(&req.refund_id)?.is_some() {
        return Err(ApiError::RefundExists(req.refund_id.clone()));
    }
    let (line_code, device) = match (&req.line_code, &req.device_identifier) {
        (Some(code), _) => (LineCode::parse(code)?.as_str().to_string(), None),
        (None, Some(raw)) => {
            let id: String = raw.chars().filter(|c| !matches!(c, ' ' | '-')).collect::<String>().to_ascii_uppercase();
            let d = tx.sold_device(&id)?.ok_or(ApiError::NotFound("device"))?;
            if d.refunded {
                return Err(ApiError::RefundExceedsPaid { asked: amount.minor(), left: 0 });
            }
            if amount.minor() > d.price_minor {
                return Err(ApiError::RefundExceedsPaid { asked: amount.minor(), left: d.price_minor });
            }
            (d.line_code.clone(), Some(d))
        }
        (None, None) => return Err(ApiError::InvalidRequest("give a line_code or a device_identifier".into())),
    };
    let line = tx.line(&line_code)?.ok_or(ApiError::NotFound("line code"))?;
    if line.currency != amount.currency().code() {
        return Err(ApiError::CurrencyMismatch(format!("{} refund of a line in {}", amount.currency(), line.currency)));
    }
    let left = line.total_minor.saturating_sub(line.refunded_minor);
    if amount.minor() > left {
        return Err(ApiError::RefundExceedsPaid { asked: amount.minor(), left });
    }
    let reputation = match &req.customer_id {
        Some(c) => tx.customer_reputation(c)?,
        None => None,
    };
    let direct = reputation.is_some_and(|r| r >= ctx.config.refund_reputation_threshold);
    let refund_to = match (&req.original_auth_code, &device) {
        (Some(code), _) => tx
            .order_payments(&line.terminal_id, &line.order_id)?
            .into_iter()
            .find(|p| p.tender == "card" && p.auth_code.as_deref() == Some(code.as_str()))
            .ok_or_else(|| ApiError::AuthorizationMismatch(line.order_id.clone()))?
            .masked_pan
            // Sales refuse card payments without a masked PAN; this only guards old rows.
            .unwrap_or_else(|| req.tender.clone()),
        (None, Some(d)) => d.paying_account.clone(),
        (None, None) => tx
            .order_payments(&line.terminal_id, &line.order_id)?
            .into_iter()
            .find_map(|p| p.masked_pan)
            .unwrap_or_else(|| req.tender.clone()),
    };
    tx.add_line_refunded(&line_code, amount.minor())?;
    if let Some(d) = &device {
        tx.set_device_refunded(&d.identifier, true)?;
    }
    let record = RefundRecord {
        refund_id: req.refund_id.clone(),
        terminal_id: ctx.terminal_id.clone(),
        line_code,
        device_identifier: device.map(|d| d.identifier),
        amount_minor: amount.minor(),
        currency: amount.currency().code().to_string(),
        tender: req.tender.clone(),
        reason: req.reason.clone(),
        evidence_sha256: req.evidence_sha256.clone(),
        customer_id: req.customer_id.clone(),
        approved_by: req.approved_by.clone(),
        original_auth_code: req.original_auth_code.clone(),
        reputation,
        status: if direct { REFUNDED } else { PENDING }.to_string(),
        refund_to,
        created_at: ctx.now,
        decided_at: direct.then_some(ctx.now),
        decided_by: direct.then(|| "policy".to_string()),
    };
    tx.insert_refund(&record)?;
    Reply::json(201, &RefundResponse::from(&record))
}

/// The seller's decision on a pending refund (the `refunds confirm` / `refunds reject` admin
/// commands). A rejection gives the reserved amount back to the line.
pub fn decide(
    repo: &dyn Repository,
    refund_id: &str,
    confirm: bool,
    by: &str,
    now: i64,
) -> Result<RefundRecord, ApiError> {
    let mut tx = repo.begin()?;
    let r = tx.refund(refund_id)?.ok_or(ApiError::NotFound("refund"))?;
    if r.status != PENDING {
        return Err(ApiError::RefundNotPending(refund_id.to_string()));
    }
    let status = if confirm { REFUNDED } else { REJECTED };
    tx.set_refund_status(refund_id, status, now, by)?;
    if !confirm {
        tx.add_line_refunded(&r.line_code, -r.amount_minor)?;
        if let Some(d) = &r.device_identifier {
            tx.set_device_refunded(d, false)?;
        }
    }
    let updated = tx.refund(refund_id)?.ok_or(ApiError::NotFound("refund"))?;
    tx.commit()?;
    Ok(updated)
}
