//! Orders pending collection (CN102750632A): a merchant's web shop or phone-order system sends an
//! order for a store (`POST /v1/merchant/orders`, Bearer merchant key), the store's tills pull
//! it (`GET /v1/pending-orders`, signed), reserve it while the customer is at the counter, and
//! the sale that pays for it marks it collected. The prose contract is docs/pending-orders.md.

use serde::{Deserialize, Serialize};

/// Where an order stands, as both the merchant and the tills see it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum OrderStatus {
    /// Waiting for the customer.
    Pending,
    /// A till holds it while the customer is at its counter (until `reserved_until`).
    Reserved,
    /// Paid and handed over at a till.
    Collected,
    /// Cancelled by the merchant.
    Cancelled,
    /// Not collected before its expiry.
    Expired,
}

impl OrderStatus {
    /// The status as stored and sent.
    pub fn name(self) -> &'static str {
        match self {
            OrderStatus::Pending => "pending",
            OrderStatus::Reserved => "reserved",
            OrderStatus::Collected => "collected",
            OrderStatus::Cancelled => "cancelled",
            OrderStatus::Expired => "expired",
        }
    }

    /// The status of a stored name.
    pub fn parse(name: &str) -> Option<OrderStatus> {
        Some(match name {
            "pending" => OrderStatus::Pending,
            "reserved" => OrderStatus::Reserved,
            "collected" => OrderStatus::Collected,
            "cancelled" => OrderStatus::Cancelled,
            "expired" => OrderStatus::Expired,
            _ => return None,
        })
    }

    /// Whether nothing can happen to the order any more.
    pub fn is_final(self) -> bool {
        matches!(self, OrderStatus::Collected | OrderStatus::Cancelled | OrderStatus::Expired)
    }
}

/// The customer who collects the order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CustomerIn {
    /// The name the cashier asks for, 1 to 100 characters.
    pub name: String,
    /// A phone number: digits with an optional leading `+`, spaces and dashes allowed.
    pub phone: String,
}

/// One line of a merchant's order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct OrderLineIn {
    /// The product's SKU in the store's catalogue (the till adds that product).
    pub sku: String,
    /// The product's name as the customer ordered it.
    pub name: String,
    /// Quantity, 1 to 10,000.
    pub quantity: i64,
    /// The unit price the customer was promised, minor units (0 or more).
    pub unit_price_minor: i64,
}

/// The body of `POST /v1/merchant/orders`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MerchantOrderRequest {
    /// The merchant's own order number, 1 to 64 visible ASCII characters. Sending the same
    /// number again with the same body returns the same order; with another body it is refused
    /// (`order_number_conflict`).
    pub order_number: String,
    /// The store the customer collects at: the store the merchant key was issued for.
    pub store: String,
    /// Who collects.
    pub customer: CustomerIn,
    /// ISO 4217 code of every amount.
    pub currency: String,
    /// 1 to 200 lines.
    pub lines: Vec<OrderLineIn>,
    /// The order's total, minor units: must be the sum of quantity × unit price.
    pub total_minor: i64,
    /// Until when the order may be collected, unix seconds (default: 7 days after it is
    /// received; at most 30 days).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<i64>,
}

/// A line as the server answers it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct OrderLine {
    /// SKU.
    pub sku: String,
    /// Name.
    pub name: String,
    /// Quantity.
    pub quantity: i64,
    /// Unit price, minor units.
    pub unit_price_minor: i64,
    /// Quantity × unit price, minor units.
    pub total_minor: i64,
}

/// How the order was collected.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Collection {
    /// The till that sold it.
    pub terminal_id: String,
    /// The till's order id of the sale that paid for it (its lines carry line codes).
    pub sale_order_id: String,
    /// When the server recorded the sale, unix seconds.
    pub collected_at: i64,
    /// Set when the sale came in although the till's reservation had lapsed, or the order had
    /// expired, been cancelled or been reserved by another till meanwhile: the money was taken
    /// at the counter, so the sale stands, but someone should look (`reservation_lapsed`,
    /// `expired_meanwhile`, `cancelled_meanwhile`, `reserved_elsewhere`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub flag: Option<String>,
}

/// An order as its merchant sees it: the answer of the merchant's three endpoints.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MerchantOrder {
    /// The platform's order id (`PO-` and 12 digits or capitals).
    pub order_id: String,
    /// The merchant's order number.
    pub order_number: String,
    /// The store.
    pub store: String,
    /// Where it stands.
    pub status: OrderStatus,
    /// The code the customer shows or tells at the counter (6 digits).
    pub pickup_code: String,
    /// Who collects.
    pub customer: CustomerIn,
    /// ISO 4217 code.
    pub currency: String,
    /// Total, minor units.
    pub total_minor: i64,
    /// The lines.
    pub lines: Vec<OrderLine>,
    /// When the platform received it, unix seconds.
    pub created_at: i64,
    /// Until when it may be collected, unix seconds.
    pub expires_at: i64,
    /// Until when a till holds it, while `reserved`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reserved_until: Option<i64>,
    /// The sale that collected it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub collection: Option<Collection>,
    /// When the merchant cancelled it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cancelled_at: Option<i64>,
}

/// The customer as a till sees them: the name, and only the phone's last four digits.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CustomerOut {
    /// The name to ask for.
    pub name: String,
    /// The phone number's last four digits.
    pub phone_tail: String,
}

/// An order as a till of its store sees it (never the pickup code).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PendingOrder {
    /// The platform's order id.
    pub order_id: String,
    /// The merchant's order number (what the customer's confirmation shows).
    pub order_number: String,
    /// Where it stands.
    pub status: OrderStatus,
    /// Who collects.
    pub customer: CustomerOut,
    /// ISO 4217 code.
    pub currency: String,
    /// Total, minor units.
    pub total_minor: i64,
    /// The lines.
    pub lines: Vec<OrderLine>,
    /// When the platform received it, unix seconds.
    pub created_at: i64,
    /// Until when it may be collected, unix seconds.
    pub expires_at: i64,
    /// Until when a till holds it, while `reserved`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reserved_until: Option<i64>,
    /// Whether the asking till is the one holding it.
    pub reserved_by_you: bool,
    /// Wrong pickup codes still allowed before the order is locked at the counter.
    pub pickup_attempts_left: i64,
    /// The position of this version of the order in the store's changes (the cursor after it).
    pub version: i64,
}

/// The answer of `GET /v1/pending-orders?since=CURSOR`: the store's orders changed since the
/// cursor, oldest change first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PendingOrdersPage {
    /// The changed orders, in their latest version.
    pub orders: Vec<PendingOrder>,
    /// What to send as `since` next time (unchanged when nothing changed).
    pub cursor: String,
    /// Whether more changes wait beyond this page (ask again at once with the new cursor).
    pub more: bool,
}

/// The body of `POST /v1/pending-orders/{id}/reserve`.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ReserveRequest {
    /// The pickup code the customer showed or told, as scanned or typed (6 digits).
    pub pickup_code: String,
    /// How long to hold the order, 1 to 30 minutes (default 10).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub minutes: Option<i64>,
}

impl std::fmt::Debug for ReserveRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The pickup code is the customer's proof; it stays out of logs.
        f.debug_struct("ReserveRequest").field("minutes", &self.minutes).finish_non_exhaustive()
    }
}
