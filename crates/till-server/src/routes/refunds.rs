//! `POST /v1/refunds`: refunds by line code (CN102982479A) or by a sold device's identifier
//! (CN103310370A), each line decided by `till_core::refund::decide`, the one decision the till
//! runs too (through `POST /v1/refunds/check` when online, see [`super::refund_check`]).
//!
//! Who decides: a customer whose reputation is at or above the configured threshold is
//! refunded at once (`decided_by: policy`); an unknown or anonymous customer counts as
//! reputation 0, so a threshold of 0 refunds everyone at once. Below it, a line the shop sold
//! itself (no `seller`) is refunded at once when a manager of the shop approved it at the till
//! (`approved_by`): the shop is that line's seller, so the manager's approval is the seller's
//! confirmation (`decided_by: shop_manager`, recorded with the manager and the asking terminal).
//! A line sold for another seller, or one the till left to the seller (`hold_for_seller`),
//! waits until that seller confirms with `till-server refunds confirm` (or rejects).
//!
//! The customer is the one the sale recorded: a `customer_id` the till sends with the refund is
//! not believed (one that differs is logged and ignored). The amount is reserved against the
//! line as soon as the refund is asked for, so two refunds can never together exceed what was
//! paid; a rejection releases it.
//!
//! A card refund may name the authorisation code of the card payment it goes back to
//! (`original_auth_code`); the server then checks that the order of the refunded line was paid by
//! card with that code, and refunds to that card, so an order paid with two cards is refunded
//! to the right one and a till cannot refund to a card that never paid.
//!
//! Money goes back to a card only when the server's own records show the platform approved that
//! card payment: the sale names the payment id, and its authorisation is `approved` (not
//! declined, as a forwarded offline approval can end, nor reversed). Otherwise the refund is
//! refused with 422 `card_sale_not_authorised`; a refund in cash is still possible.

use crate::error::ApiError;
use crate::idempotency::Reply;
use crate::repo::{PaymentRecord, RefundRecord, Repository, Tx, AUTH_APPROVED, AUTH_REVERSED};
use crate::scope::Scope;
use crate::state::Ctx;
use crate::wire::{check_text, Amount, AmountCheck};
use till_core::refund::{self as policy, Decision, LineFacts};
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
            device_blind: r.device_blind.clone(),
            refund_to: r.refund_to.clone(),
            decided_by: r.decided_by.clone(),
            approved_by: r.approved_by.clone(),
            terminal_id: Some(r.terminal_id.clone()),
            original_auth_code: r.original_auth_code.clone(),
        }
    }
}

/// Checks a refund request without touching storage.
pub fn validate(req: &RefundRequest) -> Result<(), ApiError> {
    check_text("refund_id", &req.refund_id, 64)?;
    if req.refund_id == super::refund_check::PATH_SEGMENT || req.refund_id == super::refund_photos::PATH_SEGMENT {
        // `GET /v1/refunds/check` (or `/photos`) would not reach such a refund: the path is the
        // check's (the photos').
        return Err(ApiError::InvalidRequest(format!("refund_id `{}` is reserved", req.refund_id)));
    }
    check_text("reason", &req.reason, 500)?;
    if !matches!(req.tender.as_str(), "original" | "cash" | "card" | "points") {
        return Err(ApiError::InvalidRequest("tender is original, cash, card or points".into()));
    }
    match (&req.line_code, &req.device_blind) {
        (Some(code), None) => {
            LineCode::parse(code)?;
        }
        (None, Some(blind)) => super::device_services::check_blind(blind)?,
        _ => return Err(ApiError::InvalidRequest("give exactly one of line_code and device_blind".into())),
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

/// A refund as the decision left it: the stored record, how its line was decided, and the
/// line's seller.
#[derive(Debug, Clone)]
pub struct Decided {
    /// The refund as stored.
    pub record: RefundRecord,
    /// How the line was decided.
    pub decision: Decision,
    /// The seller the line was sold for; `None` when the shop sold it itself.
    pub seller: Option<String>,
}

/// Applies the refund request: the 201 answer.
pub fn request(tx: &mut dyn Tx, ctx: &Ctx, req: &RefundRequest) -> Result<Reply, ApiError> {
    let decided = apply(tx, ctx, req)?;
    Reply::json(201, &RefundResponse::from(&decided.record))
}

/// Decides and stores the refund inside `tx` (the one code path of `POST /v1/refunds`, a
/// batch's refund events and the dry runs of `POST /v1/refunds/check`).
pub fn apply(tx: &mut dyn Tx, ctx: &Ctx, req: &RefundRequest) -> Result<Decided, ApiError> {
    let amount = req.amount.to_positive_money()?;
    if tx.refund(&req.refund_id)?.is_some() {
        return Err(ApiError::RefundExists(req.refund_id.clone()));
    }
    // Only the terminal's merchant's sales are found: any of its stores', none of another
    // merchant's (answered like a code or device never sold).
    let scope = Scope::of_terminal(tx, &ctx.terminal_id)?;
    let (line_code, device) = match (&req.line_code, &req.device_blind) {
        (Some(code), _) => (LineCode::parse(code)?.as_str().to_string(), None),
        (None, Some(blind)) => {
            let d = scope.sold_device(tx, blind)?.ok_or(ApiError::NotFound("device"))?;
            if d.refunded {
                return Err(ApiError::RefundExceedsPaid { asked: amount.minor(), left: 0 });
            }
            if amount.minor() > d.price_minor {
                return Err(ApiError::RefundExceedsPaid { asked: amount.minor(), left: d.price_minor });
            }
            (d.line_code.clone(), Some(d))
        }
        (None, None) => return Err(ApiError::InvalidRequest("give a line_code or a device_blind".into())),
    };
    let line = scope.line(tx, &line_code)?.ok_or(ApiError::NotFound("line code"))?;
    if line.currency != amount.currency().code() {
        return Err(ApiError::CurrencyMismatch(format!("{} refund of a line in {}", amount.currency(), line.currency)));
    }
    let left = line.total_minor.saturating_sub(line.refunded_minor);
    if amount.minor() > left {
        return Err(ApiError::RefundExceedsPaid { asked: amount.minor(), left });
    }
    let order = tx
        .order(&line.terminal_id, &line.order_id)?
        .ok_or_else(|| ApiError::Internal(format!("line {line_code} has no order")))?;
    // The policy decides on the customer the sale recorded, never on the one a till names now:
    // a till could otherwise name a trusted customer to have any refund paid at once.
    if req.customer_id.is_some() && req.customer_id != order.customer_id {
        tracing::warn!(refund_id = %req.refund_id, order_id = %order.order_id,
            "the refund names another customer than its order; the order's customer decides");
    }
    let customer = order.customer_id;
    let reputation = match &customer {
        Some(c) => scope.customer_reputation(tx, c)?,
        None => None,
    };
    // The one decision, the same the till makes (till_core::refund::decide).
    let decision = policy::decide(&LineFacts {
        seller: line.seller.as_deref(),
        reputation,
        threshold: ctx.config.refund_reputation_threshold,
        shop_manager_approved: req.approved_by.is_some(),
        hold_for_seller: req.hold_for_seller,
    });
    let approved = decision.approved();
    let payments = tx.order_payments(&line.terminal_id, &line.order_id)?;
    let refund_to = match card_payment(req, &line.order_id, &payments)? {
        Some(card) => authorised_card(tx, &line.terminal_id, &line.order_id, card)?,
        None => match (&device, req.tender.as_str()) {
            (Some(d), "original") => d.paying_account.clone(),
            _ => req.tender.clone(),
        },
    };
    tx.add_line_refunded(&line_code, amount.minor())?;
    if let Some(d) = &device {
        scope.set_device_refunded(tx, &d.blind, true)?;
    }
    let record = RefundRecord {
        refund_id: req.refund_id.clone(),
        terminal_id: ctx.terminal_id.clone(),
        line_code,
        device_blind: device.map(|d| d.blind),
        amount_minor: amount.minor(),
        currency: amount.currency().code().to_string(),
        tender: req.tender.clone(),
        reason: req.reason.clone(),
        evidence_sha256: req.evidence_sha256.clone(),
        customer_id: customer,
        approved_by: req.approved_by.clone(),
        original_auth_code: req.original_auth_code.clone(),
        reputation,
        status: if approved { REFUNDED } else { PENDING }.to_string(),
        refund_to,
        created_at: ctx.now,
        decided_at: approved.then_some(ctx.now),
        decided_by: approved.then(|| decision.as_str().to_string()),
    };
    tx.insert_refund(&record)?;
    Ok(Decided { record, decision, seller: line.seller })
}

/// The card payment of the order a refund goes back to: the one with `original_auth_code`
/// (which must exist), else for tender `card` or `original` the order's first card payment.
/// `None` when the money does not go to a card: tender `cash` or `points`, or `original` for an
/// order no card paid. Tender `card` for such an order has no card to go to.
fn card_payment<'a>(
    req: &RefundRequest,
    order_id: &str,
    payments: &'a [PaymentRecord],
) -> Result<Option<&'a PaymentRecord>, ApiError> {
    // A payment code's wallet is refunded like a card: to the account the platform charged.
    let mut cards = payments.iter().filter(|p| p.tender == "card" || p.tender == "payment_code");
    if let Some(code) = &req.original_auth_code {
        return cards
            .find(|p| p.auth_code.as_deref() == Some(code.as_str()))
            .map(Some)
            .ok_or_else(|| ApiError::AuthorizationMismatch(order_id.to_string()));
    }
    match (req.tender.as_str(), cards.next()) {
        ("cash" | "points", _) => Ok(None),
        ("card", None) => {
            Err(ApiError::CardSaleNotAuthorised { order_id: order_id.to_string(), why: "no card paid for it".into() })
        }
        (_, card) => Ok(card),
    }
}

/// The masked PAN a refund to the card payment `p` goes to, once the server's own records show
/// that the platform approved the payment: the authorisation the sale names by payment id,
/// still `approved` (not declined, which is also how a declined forward of an offline approval
/// ends, and not reversed), for the same card and at least the payment's amount.
fn authorised_card(tx: &mut dyn Tx, terminal: &str, order_id: &str, p: &PaymentRecord) -> Result<String, ApiError> {
    let refuse = |why: String| ApiError::CardSaleNotAuthorised { order_id: order_id.to_string(), why };
    let id = p.payment_id.as_deref().ok_or_else(|| refuse("the sale names no payment id for its card".into()))?;
    let a = tx
        .authorization(terminal, id)?
        .ok_or_else(|| refuse(format!("the payment platform has no authorisation of payment {id}")))?;
    match a.status.as_str() {
        AUTH_APPROVED => {}
        AUTH_REVERSED => return Err(refuse(format!("payment {id} was reversed"))),
        _ => return Err(refuse(format!("the payment platform declined payment {id}"))),
    }
    if Some(a.masked_pan.as_str()) != p.masked_pan.as_deref() || a.currency != p.currency {
        return Err(refuse(format!("payment {id} was authorised for another card")));
    }
    if a.amount_minor < p.amount_minor {
        return Err(refuse(format!("payment {id} was authorised for less than the sale says")));
    }
    Ok(a.masked_pan)
}

/// A card refund waiting for the seller goes back to the card only if the sale's payment is
/// still approved when the seller confirms: it may have been reversed since it was asked for.
/// The refund then stays pending (the seller may still reject it).
fn still_authorised(tx: &mut dyn Tx, r: &RefundRecord) -> Result<(), ApiError> {
    let line = tx.line(&r.line_code)?.ok_or(ApiError::NotFound("line code"))?;
    let payments = tx.order_payments(&line.terminal_id, &line.order_id)?;
    let to_card = payments.iter().find(|p| {
        (p.tender == "card" || p.tender == "payment_code") && p.masked_pan.as_deref() == Some(r.refund_to.as_str())
    });
    match to_card {
        Some(p) => authorised_card(tx, &line.terminal_id, &line.order_id, p).map(|_| ()),
        None => Ok(()),
    }
}

/// The seller's decision on a pending refund (the `refunds confirm` / `refunds reject` admin
/// commands), in a transaction of its own. A rejection gives the reserved amount back to the
/// line.
pub fn decide(
    repo: &dyn Repository,
    refund_id: &str,
    confirm: bool,
    by: &str,
    now: i64,
) -> Result<RefundRecord, ApiError> {
    let mut tx = repo.begin()?;
    let updated = decide_in(&mut *tx, refund_id, confirm, by, now)?;
    tx.commit()?;
    Ok(updated)
}

/// The seller's decision inside the caller's transaction: the one code path of the command
/// line ([`decide`]) and the HQ console's refunds page (which writes its audit entry in the
/// same transaction). The till learns the decision as it always does: `GET /v1/refunds/{id}`
/// answers the new status.
pub fn decide_in(
    tx: &mut dyn Tx,
    refund_id: &str,
    confirm: bool,
    by: &str,
    now: i64,
) -> Result<RefundRecord, ApiError> {
    let r = tx.refund(refund_id)?.ok_or(ApiError::NotFound("refund"))?;
    if r.status != PENDING {
        return Err(ApiError::RefundNotPending(refund_id.to_string()));
    }
    if confirm {
        still_authorised(tx, &r)?;
    }
    let status = if confirm { REFUNDED } else { REJECTED };
    tx.set_refund_status(refund_id, status, now, by)?;
    if !confirm {
        tx.add_line_refunded(&r.line_code, -r.amount_minor)?;
        if let Some(d) = &r.device_blind {
            // The refund's own merchant's sale of the device (the seller decides for any store).
            let scope = Scope::of_refund(&mut *tx, refund_id)?.ok_or(ApiError::NotFound("refund"))?;
            scope.set_device_refunded(&mut *tx, d, false)?;
        }
    }
    tx.refund(refund_id)?.ok_or(ApiError::NotFound("refund"))
}
