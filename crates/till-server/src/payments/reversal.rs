//! `POST /v1/payments/{payment_id}/reversal`: the till takes back an authorisation whose sale
//! it could not record (its payment journal, docs/payments.md).
//!
//! | the payment id | answer | effect |
//! | --- | --- | --- |
//! | approved | 200 `reversed` | the authorisation's status becomes `reversed` (it cannot be refunded) |
//! | never seen | 404 `payment_not_found` | the id is blocked: an authorisation arriving later with it is refused with `payment_reversed` |
//! | declined | 409 `payment_declined` | none: no money was taken |
//! | reversed (or blocked) before, under another key | 409 `already_reversed` | none |
//! | another amount than authorised | 422 `amount_mismatch` | none |
//!
//! The 404 is an outcome, not a refusal: it changes the platform (the block) and is stored
//! under the idempotency key like a success, so a retry gets it again. The crash window it
//! closes: a till that stopped after sending an authorisation reverses on restart, and its
//! reversal may reach the platform before the authorisation does.

use crate::error::ApiError;
use crate::idempotency::Reply;
use crate::repo::{PaymentReversalRecord, Tx, AUTH_APPROVED, AUTH_DECLINED, AUTH_PENDING, AUTH_REVERSED};
use crate::state::Ctx;
use crate::wire::{check_text, AmountCheck};

pub use till_api::payments::{ReversalRequest, ReversalResponse, ReversalStatus};

/// Checks the request's fields (before the idempotency key is claimed).
pub fn validate(req: &ReversalRequest) -> Result<(), ApiError> {
    till_core::PaymentId::parse(&req.payment_id).map_err(|_| {
        ApiError::InvalidRequest("payment_id must be 1 to 64 characters without control characters".into())
    })?;
    req.amount.to_positive_money()?;
    check_text("reason", &req.reason, 64)
}

/// Reverses inside `tx` (see the module docs).
pub fn reverse(tx: &mut dyn Tx, ctx: &Ctx, req: &ReversalRequest) -> Result<Reply, ApiError> {
    let amount = req.amount.to_positive_money()?;
    let record = |authorised: bool| PaymentReversalRecord {
        terminal_id: ctx.terminal_id.clone(),
        payment_id: req.payment_id.clone(),
        amount_minor: amount.minor(),
        currency: amount.currency().code().to_string(),
        reason: req.reason.clone(),
        authorised,
        created_at: ctx.now,
    };
    let Some(auth) = tx.authorization(&ctx.terminal_id, &req.payment_id)? else {
        if tx.payment_reversal(&ctx.terminal_id, &req.payment_id)?.is_some() {
            return Err(ApiError::AlreadyReversed(req.payment_id.clone()));
        }
        tx.insert_payment_reversal(&record(false))?;
        let not_found = ApiError::PaymentNotFound(req.payment_id.clone());
        return Reply::json(not_found.status().as_u16(), &not_found.body());
    };
    match auth.status.as_str() {
        // A payment code the customer is still confirming is closed unpaid.
        AUTH_APPROVED | AUTH_PENDING => {}
        AUTH_DECLINED => return Err(ApiError::PaymentDeclined(req.payment_id.clone())),
        _ => return Err(ApiError::AlreadyReversed(req.payment_id.clone())),
    }
    if auth.amount_minor != amount.minor() || auth.currency != amount.currency().code() {
        return Err(ApiError::ReversalAmountMismatch {
            asked: amount.to_string(),
            authorised: format!("{} {}", auth.amount_minor, auth.currency),
        });
    }
    tx.set_authorization_status(&ctx.terminal_id, &req.payment_id, AUTH_REVERSED)?;
    tx.insert_payment_reversal(&record(true))?;
    Reply::json(
        200,
        &ReversalResponse {
            payment_id: req.payment_id.clone(),
            status: ReversalStatus::Reversed,
            auth_code: auth.auth_code,
            amount: amount.into(),
            reversed_at: ctx.now,
            sandbox: true,
        },
    )
}

/// Refuses an authorisation whose payment id was reversed or blocked before it arrived.
pub fn refuse_if_reversed(tx: &mut dyn Tx, ctx: &Ctx, payment_id: &str) -> Result<(), ApiError> {
    match tx.payment_reversal(&ctx.terminal_id, payment_id)? {
        Some(_) => Err(ApiError::PaymentReversed(payment_id.to_string())),
        None => Ok(()),
    }
}
