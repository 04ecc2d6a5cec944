//! `POST /v1/refunds` and `GET /v1/refunds/{id}`: refunds by line code or by a sold device's
//! identifier.

use crate::amount::{Amount, AmountIn};
use serde::{Deserialize, Serialize};

/// A refund request. Exactly one of `line_code` and `device_blind` is given.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RefundRequest {
    /// The till's refund id (unique).
    pub refund_id: String,
    /// The line refunded, by its code.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub line_code: Option<String>,
    /// The device refunded, by the blind of its identifier (read from the device, not typed;
    /// the identifier itself never travels in clear, docs/device-services.md).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub device_blind: Option<String>,
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
    /// The manager of the shop who approved the refund at the till. For a line the shop sold
    /// itself (no `seller`) it is the seller's confirmation: the line is refunded at once and
    /// the server records who approved it at which terminal. A line sold for another seller
    /// still waits for that seller (`till_core::refund::decide`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub approved_by: Option<String>,
    /// The cashier left the decision to the seller: the line waits for the seller's
    /// confirmation even when the customer's reputation would refund it directly.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub hold_for_seller: bool,
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
    /// The blind of the device refunded, if by device.
    pub device_blind: Option<String>,
    /// Where the money goes: masked PAN of the paying card, or the tender.
    pub refund_to: String,
    /// Who decided: `policy` (reputation at or above the threshold), `shop_manager` (a manager
    /// of the shop at the till, for a line the shop sold), or the seller's name.
    pub decided_by: Option<String>,
    /// The manager who approved it at the till, if one did.
    #[serde(default)]
    pub approved_by: Option<String>,
    /// The terminal that asked for the refund.
    #[serde(default)]
    pub terminal_id: Option<String>,
    /// The authorisation code of the card payment refunded to, when the request named one.
    pub original_auth_code: Option<String>,
}

/// `POST /v1/refunds/check`: what the server would answer to these refund requests, asked
/// before any money moves. Nothing is written: the requests run in order in one transaction
/// (so two lines of one sale are checked together) that is rolled back.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RefundCheckRequest {
    /// The requests, as they would be sent.
    pub refunds: Vec<RefundRequest>,
}

/// The answer to a refund check.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RefundCheckResponse {
    /// One result per request, in order.
    pub results: Vec<RefundCheckResult>,
    /// The server's `refund_reputation_threshold`, for the till to decide with while offline.
    pub threshold: i64,
    /// The reputation the server holds for the sale's customer, when it knows one.
    pub reputation: Option<i64>,
}

/// What the server would answer to one refund request.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RefundCheckResult {
    /// Echo of the refund id.
    pub refund_id: String,
    /// `refunded` or `pending_seller_confirmation` when it would be accepted; `None` when
    /// refused.
    pub status: Option<String>,
    /// `policy`, `shop_manager` or `await_seller` when accepted.
    pub decision: Option<String>,
    /// The line's seller, when the shop sold it for another seller.
    pub seller: Option<String>,
    /// Why it would be refused: the error code (`not_found`, `refund_exceeds_paid`, ...).
    pub error_code: Option<String>,
    /// The refusal in words.
    pub error_message: Option<String>,
}

/// `POST /v1/refunds/photos`: the photo of a refund's defect, for the seller to see. The
/// server recomputes the SHA-256 of the bytes and refuses a mismatch (`photo_sha256_mismatch`),
/// reads the kind from the bytes (`photo_type_not_allowed` unless JPEG, PNG or WebP, and it must
/// be the `content_type` named), and takes at most 5 MiB (`photo_too_large`). Storing the same
/// photo again changes nothing.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RefundPhotoUpload {
    /// SHA-256 of the bytes, 64 lower-case hex digits (what refunds name as `evidence_sha256`).
    pub sha256: String,
    /// `image/jpeg`, `image/png` or `image/webp`.
    pub content_type: String,
    /// The bytes, standard base64 with padding.
    pub photo_base64: String,
}

/// The answer to a photo upload.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RefundPhotoStored {
    /// Echo of the SHA-256.
    pub sha256: String,
    /// The media type stored.
    pub content_type: String,
    /// Bytes stored.
    pub size: i64,
    /// False when the server already held this photo (nothing was written).
    pub stored_now: bool,
}
