//! The sandbox's payment codes (`POST /v1/payments/code`, `GET /v1/payments/code/{payment_id}`):
//! a customer's wallet code charged for an amount, the way the big wallets' "quick pay" works
//! (docs/payment-codes.md). The clear code is read, decided on and dropped; only its masked form
//! is stored, in the authorisations table beside card payments, so reversals and refunds to the
//! same account work the same way for both.
//!
//! The sandbox decides by the code's third digit (the first after the wallet's prefix):
//! `5` insufficient balance, `6` code expired or used, `7` the customer confirms on the phone
//! and is paid [`CONFIRM_AFTER_S`] later, `8` the customer cancels on the phone, `9` the customer
//! never answers; any other digit is paid at once. An amount above the sandbox limit is declined.

use crate::error::ApiError;
use crate::idempotency::Reply;
use crate::repo::{AuthorizationRecord, Tx, AUTH_APPROVED, AUTH_DECLINED, AUTH_PENDING, AUTH_REVERSED};
use crate::state::Ctx;
use crate::wire::{check_text, AmountCheck};
pub use till_api::payment_codes::{CodePaymentRequest, CodePaymentResponse, CodePaymentStatus};
use till_core::{Currency, Money, PaymentCode};

/// Seconds after which a customer confirming on the phone (third digit 7 or 8) has answered.
pub const CONFIRM_AFTER_S: i64 = 10;

/// Checks the request's fields (before the idempotency key is claimed).
pub fn validate(req: &CodePaymentRequest) -> Result<(), ApiError> {
    till_core::PaymentId::parse(&req.payment_id).map_err(|_| {
        ApiError::InvalidRequest("payment_id must be 1 to 64 characters without control characters".into())
    })?;
    check_text("order_id", &req.order_id, 64)?;
    req.amount.to_positive_money()?;
    PaymentCode::parse(&req.code).map_err(|e| ApiError::InvalidRequest(e.to_string()))?;
    Ok(())
}

/// The scripted outcome of a code, by its third digit.
fn scripted(masked: &str) -> Option<u8> {
    masked.as_bytes().get(2).map(|b| b.wrapping_sub(b'0'))
}

/// Charges the code inside `tx` and stores the masked outcome.
pub fn pay(tx: &mut dyn Tx, ctx: &Ctx, req: &CodePaymentRequest) -> Result<Reply, ApiError> {
    let amount = req.amount.to_positive_money()?;
    let code = PaymentCode::parse(&req.code).map_err(|e| ApiError::InvalidRequest(e.to_string()))?;
    if tx.authorization_exists(&ctx.terminal_id, &req.payment_id)? {
        return Err(ApiError::PaymentExists(req.payment_id.clone()));
    }
    super::reversal::refuse_if_reversed(tx, ctx, &req.payment_id)?;
    let masked = code.masked();
    let wallet = code.wallet().as_str();
    drop(code);
    let (status, reason) = if amount.minor() > ctx.config.sandbox.amount_limit_minor {
        (AUTH_DECLINED, Some("amount_limit"))
    } else {
        match scripted(&masked) {
            Some(5) => (AUTH_DECLINED, Some("insufficient_balance")),
            Some(6) => (AUTH_DECLINED, Some("code_expired")),
            Some(7..=9) => (AUTH_PENDING, None),
            _ => (AUTH_APPROVED, None),
        }
    };
    // The reference exists from the start: a payment confirmed later keeps it.
    let mut b = [0u8; 8];
    ctx.entropy.fill(&mut b);
    let platform_ref = format!("{}{:016}", &wallet[..2].to_ascii_uppercase(), u64::from_be_bytes(b) % 10_u64.pow(16));
    let record = AuthorizationRecord {
        terminal_id: ctx.terminal_id.clone(),
        payment_id: req.payment_id.clone(),
        order_id: req.order_id.clone(),
        amount_minor: amount.minor(),
        currency: amount.currency().code().to_string(),
        masked_pan: masked,
        approved: status == AUTH_APPROVED,
        status: status.to_string(),
        auth_code: (status != AUTH_DECLINED).then_some(platform_ref),
        reason_code: reason.map(str::to_string),
        created_at: ctx.now,
    };
    tx.insert_authorization(&record)?;
    Reply::json(200, &response(&record, wallet)?)
}

/// Where `payment_id` stands; a customer confirming on the phone answers
/// [`CONFIRM_AFTER_S`] after the payment was submitted.
pub fn query(tx: &mut dyn Tx, ctx: &Ctx, payment_id: &str) -> Result<CodePaymentResponse, ApiError> {
    let mut a = tx
        .authorization(&ctx.terminal_id, payment_id)?
        .ok_or_else(|| ApiError::PaymentNotFound(payment_id.to_string()))?;
    let wallet = wallet_of(&a.masked_pan)?;
    if a.status == AUTH_PENDING && ctx.now - a.created_at >= CONFIRM_AFTER_S {
        match scripted(&a.masked_pan) {
            Some(7) => a.status = AUTH_APPROVED.to_string(),
            Some(8) => {
                a.status = AUTH_DECLINED.to_string();
                a.reason_code = Some("user_cancelled".into());
            }
            _ => {}
        }
        if a.status != AUTH_PENDING {
            tx.set_authorization_status(&ctx.terminal_id, payment_id, &a.status)?;
        }
    }
    response(&a, wallet)
}

/// The wallet of a stored masked code (its first two digits are kept).
fn wallet_of(masked: &str) -> Result<&'static str, ApiError> {
    let prefix: u8 = masked.get(..2).and_then(|p| p.parse().ok()).unwrap_or(0);
    Ok(match prefix {
        10..=15 => "wechat_pay",
        25..=30 => "alipay",
        62 => "unionpay",
        _ => return Err(ApiError::PaymentNotFound("not a payment code".into())),
    })
}

fn response(a: &AuthorizationRecord, wallet: &str) -> Result<CodePaymentResponse, ApiError> {
    let status = match a.status.as_str() {
        AUTH_APPROVED => CodePaymentStatus::Paid,
        AUTH_DECLINED => CodePaymentStatus::Declined,
        AUTH_REVERSED => CodePaymentStatus::Reversed,
        _ => CodePaymentStatus::UserPaying,
    };
    let currency = Currency::parse(&a.currency)?;
    Ok(CodePaymentResponse {
        payment_id: a.payment_id.clone(),
        status,
        wallet: wallet.to_string(),
        masked_code: a.masked_pan.clone(),
        platform_ref: (status == CodePaymentStatus::Paid).then(|| a.auth_code.clone()).flatten(),
        reason_code: a.reason_code.clone(),
        amount: Money::new(a.amount_minor, currency).into(),
        sandbox: true,
    })
}
