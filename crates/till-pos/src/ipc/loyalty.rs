//! Loyalty views: the identified customer, enrolment, receipt points, the manager's points settings and problems.

use serde::{Deserialize, Serialize};
use till_core::CartId;
use till_core::Money;
use ts_rs::TS;

/// A new points account, as the enrolment screen shows it.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct EnrolView {
    /// The account id (32 hex digits).
    pub account_id: String,
    /// Its first 8 hex digits, for the screen.
    pub account_short: String,
    /// The enrolment message, for the customer's phone.
    pub enrolment_message: String,
    /// The message as a QR code (SVG).
    pub qr_svg: String,
    /// The simulator's phone took the message (demo terminals only).
    pub simulated_phone_enrolled: bool,
}

/// Points on a receipt.
#[derive(Debug, Clone, Default, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct ReceiptPoints {
    /// Account, shortened.
    pub account_short: String,
    /// Points earned by the sale.
    #[ts(type = "number")]
    pub earned: i64,
    /// Points redeemed as a tender.
    #[ts(type = "number")]
    pub redeemed: i64,
    /// Balance after the sale, as the server answered (None while pending).
    #[ts(type = "number | null")]
    pub balance: Option<i64>,
    /// Level, as the server answered.
    pub level: Option<String>,
    /// Promotions of that level.
    pub promotions: Vec<String>,
    /// `confirmed`, `pending` or `rejected`.
    pub status: String,
    /// Why the server rejected a change.
    pub rejected_reason: Option<String>,
}

/// A points change the server rejected, for the manager.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct PointsProblemView {
    /// Ledger row.
    #[ts(type = "number")]
    pub id: i64,
    /// Account, shortened.
    pub account_short: String,
    /// Order.
    #[ts(type = "number | null")]
    pub order_id: Option<i64>,
    /// `earn`, `redeem`, `reverse-earn`, `return-redeem`.
    pub kind: String,
    /// Signed change.
    #[ts(type = "number")]
    pub points: i64,
    /// When.
    #[ts(type = "number")]
    pub created_at_ms: i64,
    /// The server's reason.
    pub reason: String,
}

/// The shop's points rules and the cashier's refund limit (managers edit them).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct LoyaltySettings {
    /// Points per whole currency unit paid.
    #[ts(type = "number")]
    pub points_per_unit: i64,
    /// Value of one point redeemed, minor units.
    #[ts(type = "number")]
    pub redeem_value_minor: i64,
    /// Per-product multipliers, percent (SKU, 200 = double points).
    pub multipliers: Vec<(String, i32)>,
    /// Largest refund a cashier gives without a manager, minor units. (The reputation
    /// threshold is the server's: the refund decision is one, see `till_core::refund::decide`.)
    #[ts(type = "number")]
    pub cashier_refund_limit_minor: i64,
}

/// A customer identified for an open cart.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct CustomerView {
    /// The cart the customer belongs to.
    #[ts(type = "string")]
    pub cart_id: CartId,
    /// The points account, shortened for the screen (first 8 hex digits).
    pub account_short: String,
    /// When the phone was presented, ms since the epoch.
    #[ts(type = "number")]
    pub identified_at_ms: i64,
    /// Points balance, when the points server answered.
    #[ts(type = "number | null")]
    pub balance: Option<i64>,
    /// Level, when the points server answered.
    pub level: Option<String>,
    /// Promotions of that level, to tell the customer.
    pub promotions: Vec<String>,
    /// Points redeemed against this cart.
    #[ts(type = "number")]
    pub redeem_points: i64,
    /// What they pay of the total.
    pub redeem_value: Option<Money>,
}
