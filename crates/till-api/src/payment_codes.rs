//! `POST /v1/payments/code`: a customer's payment code (a wallet app's barcode or QR code) and
//! the amount, submitted to the payment platform; `GET /v1/payments/code/{payment_id}`: where
//! it stands while the customer confirms on the phone. A code whose outcome stays unknown is
//! taken back with `POST /v1/payments/{payment_id}/reversal`, like a card payment.

use crate::amount::{Amount, AmountIn};
use serde::{Deserialize, Serialize};

/// A payment by a customer's payment code.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CodePaymentRequest {
    /// The till's payment id (also the idempotency key).
    pub payment_id: String,
    /// The order being paid (the till's cart id).
    pub order_id: String,
    /// The code as scanned: a bearer instrument for about a minute, never stored by the server.
    pub code: String,
    /// Amount to charge, above zero.
    pub amount: AmountIn,
}

/// Where a code payment stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum CodePaymentStatus {
    /// The wallet was charged.
    Paid,
    /// Refused, with a reason; nothing was charged.
    Declined,
    /// The customer must confirm on the phone: ask again until paid or declined.
    UserPaying,
    /// Taken back (closed unpaid, or refunded) by a reversal.
    Reversed,
}

/// The platform's answer about a code payment.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CodePaymentResponse {
    /// Echo of the payment id.
    pub payment_id: String,
    /// Where it stands.
    pub status: CodePaymentStatus,
    /// `wechat_pay`, `alipay` or `unionpay`.
    pub wallet: String,
    /// The code with only its first four and last four digits.
    pub masked_code: String,
    /// The platform's transaction reference, once paid.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub platform_ref: Option<String>,
    /// Why it was declined: `insufficient_balance`, `code_expired`, `user_cancelled`,
    /// `amount_limit`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason_code: Option<String>,
    /// The amount.
    pub amount: Amount,
    /// Always true: the reference server's platform is a sandbox.
    pub sandbox: bool,
}
