//! `POST /v1/refunds` and `GET /v1/refunds/{id}`: refunds by line code or by a sold device's
//! identifier.

use crate::amount::{Amount, AmountIn};
use serde::{Deserialize, Serialize};

/// A refund request. Exactly one of `line_code` and `device_identifier` is given.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RefundRequest {
    /// The till's refund id (unique).
    pub refund_id: String,
    /// The line refunded, by its code.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub line_code: Option<String>,
    /// The device refunded, by its identifier (read from the device, not typed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub device_identifier: Option<String>,
    /// Amount to refund, above zero, at most what is left of what was paid.
    pub amount: AmountIn,
    /// Tender the money goes back to: `original`, `cash`, `card`, `points`.
    pub tender: String,
    /// Why (defect description).
    pub reason: String,
    /// SHA-256 (hex) of the evidence photo; the photo itself goes to the seller.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub evidence_sha256: Option<String>,
    /// The customer asking; their reputation decides whether the seller must confirm.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub customer_id: Option<String>,
    /// The manager who approved the refund at the till (recorded, not a substitute for the
    /// seller's confirmation).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub approved_by: Option<String>,
    /// With tender `card`: the authorisation code of the order's card payment the money goes
    /// back to. Refused with `authorization_mismatch` unless that order has a card payment with
    /// this code; not allowed with other tenders.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub original_auth_code: Option<String>,
}

/// The answer to a refund request (also `GET /v1/refunds/{id}`).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RefundResponse {
    /// Echo of the refund id.
    pub refund_id: String,
    /// `refunded`, `pending_seller_confirmation` or `rejected`.
    pub status: String,
    /// Amount.
    pub amount: Amount,
    /// Line refunded (compact code).
    pub line_code: String,
    /// Device refunded, if by device.
    pub device_identifier: Option<String>,
    /// Where the money goes: masked PAN of the paying card, or the tender.
    pub refund_to: String,
    /// Who decided: `policy` (reputation at or above the threshold) or the seller.
    pub decided_by: Option<String>,
    /// The authorisation code of the card payment refunded to, when the request named one.
    pub original_auth_code: Option<String>,
}
