//! The lookups: the order line behind a line code, a sold device, a customer as the refund
//! policy sees them.

use crate::amount::Amount;
use serde::{Deserialize, Serialize};

/// The order line behind a line code.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LineInfo {
    /// The code, grouped as printed (`XXXX-XXXX-XXXX-C`).
    pub line_code: String,
    /// Terminal that sold it.
    pub terminal_id: String,
    /// Order.
    pub order_id: String,
    /// Store.
    pub store: String,
    /// When sold.
    pub sold_at: i64,
    /// Position in the order.
    pub line_no: i64,
    /// SKU.
    pub sku: String,
    /// Name.
    pub name: String,
    /// Quantity.
    pub quantity: i64,
    /// Unit price.
    pub unit_price: Amount,
    /// Paid for the line.
    pub total: Amount,
    /// Refunded or reserved by pending refunds.
    pub refunded: Amount,
    /// Still refundable.
    pub refundable: Amount,
    /// Seller who confirms refunds.
    pub seller: Option<String>,
}

/// A sold device (CN103310370A sold-data list entry).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SoldDeviceInfo {
    /// The blind the device was looked up by (its identifier is never in an answer).
    pub blind: String,
    /// `imei`, `meid`, `esn` or `sn`.
    pub kind: String,
    /// Price.
    pub price: Amount,
    /// The paying account: masked PAN or tender.
    pub paying_account: String,
    /// Order.
    pub order_id: String,
    /// Store.
    pub store: String,
    /// Terminal.
    pub terminal_id: String,
    /// Line the device was sold on.
    pub line_code: String,
    /// Software package recorded at sale.
    pub software: Option<String>,
    /// The warranty it was sold with, months from `sold_at`.
    #[serde(default)]
    pub warranty_months: Option<i64>,
    /// When sold.
    pub sold_at: i64,
    /// Whether refunded (or waiting for the seller to confirm a refund).
    pub refunded: bool,
}

/// A customer as the refund policy sees them (`GET /v1/customers/{customer_id}`).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CustomerInfo {
    /// Echo of the customer id.
    pub customer_id: String,
    /// The customer's reputation score; null when the server does not know the customer.
    pub reputation: Option<i64>,
    /// The server's `refund_reputation_threshold`: a refund for a customer whose reputation is at
    /// or above it is refunded at once, anyone else's waits for the seller.
    pub threshold: i64,
}
