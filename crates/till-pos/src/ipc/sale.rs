//! Card payment progress, the platform key's status and the payment settings, as the window sees them.

use crate::error::IpcError;
use serde::{Deserialize, Serialize};
use till_core::Money;
use till_core::{CartId, PaymentId};
use ts_rs::TS;

/// The installer's payment settings: how long to wait for the platform, and the limits of
/// offline approval. Stored in the `settings` table as JSON.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct PaymentSettings {
    /// Seconds to wait for the platform's answer before it counts as unreachable (1 to 120).
    pub authorization_timeout_s: u32,
    /// Most a payment approved offline may be, in minor units; 0 turns offline approval off.
    #[ts(type = "number")]
    pub offline_max_amount_minor: i64,
    /// Most payments approved offline and not yet forwarded at once; 0 turns it off.
    pub offline_max_pending: u32,
    /// No offline approval while one approved offline has waited longer than this to be
    /// forwarded (1 to 72 hours).
    pub offline_max_age_hours: u32,
    /// Most points a customer may have redeemed and not yet confirmed by the points server
    /// while it cannot be reached (and never more than their last known balance); 0, the
    /// default, turns redeeming points offline off.
    #[serde(default)]
    #[ts(type = "number")]
    pub offline_points_cap: i64,
}

/// A forwarded offline payment the platform did not approve, for the manager.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct ForwardedDecline {
    /// The payment id.
    pub payment_id: String,
    /// The local order, if it is still there.
    #[ts(type = "number | null")]
    pub order_id: Option<i64>,
    /// The printed order number.
    pub order_no: Option<String>,
    /// Amount.
    pub amount: Money,
    /// Masked card number.
    pub card_masked: String,
    /// When the till approved it offline, ms since the epoch.
    #[ts(type = "number")]
    pub approved_offline_at_ms: i64,
    /// `declined` (the platform declined the card), `refused` (the platform refused the
    /// request; the event is parked) or `discarded` (a manager gave the forward up).
    pub outcome: String,
    /// The platform's reason code, or the refusal.
    pub reason: String,
    /// When the answer came, ms since the epoch.
    #[ts(type = "number | null")]
    pub answered_at_ms: Option<i64>,
}

/// Whether the payment platform key is set, and its fingerprint. Never the key.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct PlatformKeyStatus {
    /// A key is set.
    pub set: bool,
    /// Its fingerprint (`XXXX-XXXX-XXXX-XXXX`), when set.
    pub fingerprint: Option<String>,
}

/// Where a card payment stands: the one step machine of a card payment. The window shows the
/// step it is told and keeps none of its own.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum CardPaymentStatus {
    /// The reader is armed and waits for a swipe.
    Waiting,
    /// The card was read and asks for a PIN, not yet entered.
    Pin,
    /// The card was read (and its PIN taken, if it asks for one); the customer signs, or the
    /// cashier goes on without a signature.
    Signature,
    /// Every step before authorising is done: authorise next.
    Ready,
    /// The authoriser is being asked.
    Authorising,
    /// It failed or was cancelled; `error` says why. The cart is unchanged.
    Failed,
    /// Approved and recorded; `orderId` is the sale.
    Approved,
}

/// What the screen may show of the card: never more than the masked number.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct CardSummary {
    /// First six and last four digits.
    pub masked_pan: String,
    /// Brand name.
    pub brand: String,
    /// The card asks for a PIN.
    pub pin_required: bool,
    /// A PIN was entered (and is now a PIN block).
    pub pin_entered: bool,
    /// A signature was given.
    pub signed: bool,
}

/// A card payment as the UI follows it.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct CardPaymentView {
    /// The payment id: the commands' handle and the authorisation's idempotency key.
    #[ts(type = "string")]
    pub payment_id: PaymentId,
    /// The cart it pays.
    #[ts(type = "string")]
    pub cart_id: CartId,
    /// The amount the reader was armed with.
    pub amount: Money,
    /// Where it stands.
    pub status: CardPaymentStatus,
    /// Until when the reader waits, ms since the epoch.
    #[ts(type = "number")]
    pub deadline_ms: i64,
    /// Whole seconds left for the swipe (0 once not waiting).
    pub seconds_left: u32,
    /// The card, once read.
    pub card: Option<CardSummary>,
    /// Why it failed.
    pub error: Option<IpcError>,
    /// The recorded order, once approved.
    #[ts(type = "number | null")]
    pub order_id: Option<i64>,
}

/// Where a payment by a customer's payment code stands, pushed to the window at each change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct CodePaymentView {
    /// The payment id (the platform's idempotency key).
    pub payment_id: String,
    /// `submitting`, `user_paying` (the customer confirms on the phone), `paid`, `declined`,
    /// `reversing` (not confirmed in time or cancelled: being taken back) or `failed`.
    pub status: String,
    /// `wechat_pay`, `alipay` or `unionpay`.
    pub wallet: String,
    /// The code, first four and last four digits only.
    pub masked_code: String,
    /// The amount charged.
    pub amount: till_core::Money,
    /// Seconds left before an unconfirmed payment is taken back.
    #[ts(type = "number")]
    pub seconds_left: i64,
    /// Why it was declined or failed, in words.
    pub message: Option<String>,
    /// The platform's reason for a decline: `insufficient_balance`, `code_expired`,
    /// `user_cancelled`, `amount_limit`.
    pub reason_code: Option<String>,
}
