//! Orders pending collection as the window sees them: the count in the header, the list, one
//! order, and what collecting one gives back.

use crate::ipc::views::CartView;
use serde::Serialize;
use till_core::Money;
use ts_rs::TS;

/// The header's count, pushed whenever it changes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct PendingOrdersCount {
    /// Orders still to collect at this store.
    #[ts(type = "number")]
    pub open: i64,
    /// Whether the till has server settings (without them no order reaches it).
    pub configured: bool,
    /// When the server was last asked successfully, ms.
    #[ts(type = "number | null")]
    pub refreshed_at_ms: Option<i64>,
    /// Why the last pull failed, when it did (the list is then as last known).
    pub last_error: Option<String>,
}

/// One line of an order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct PendingOrderLineView {
    /// Position.
    #[ts(type = "number")]
    pub line_no: i64,
    /// SKU.
    pub sku: String,
    /// The name the customer ordered.
    pub name: String,
    /// The catalogue's Chinese name of the product, when it has one.
    pub name_zh: Option<String>,
    /// Quantity.
    #[ts(type = "number")]
    pub quantity: i64,
    /// The promised unit price.
    pub unit_price: Money,
    /// Quantity × unit price.
    pub total: Money,
    /// Whether this till's catalogue has the SKU (without it the order cannot be collected here).
    pub in_catalogue: bool,
}

/// An order pending collection.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct PendingOrderView {
    /// The platform's order id.
    pub order_id: String,
    /// The merchant's order number.
    pub order_number: String,
    /// `pending`, `reserved`, `collected`, `cancelled` or `expired`.
    pub status: String,
    /// Who collects.
    pub customer_name: String,
    /// Their phone's last four digits.
    pub phone_tail: String,
    /// What the customer pays.
    pub total: Money,
    /// Received, ms.
    #[ts(type = "number")]
    pub created_at_ms: i64,
    /// Collectable until, ms.
    #[ts(type = "number")]
    pub expires_at_ms: i64,
    /// Held by a till until, ms.
    #[ts(type = "number | null")]
    pub reserved_until_ms: Option<i64>,
    /// Whether this till holds it.
    pub reserved_here: bool,
    /// Wrong pickup codes still allowed.
    #[ts(type = "number")]
    pub pickup_attempts_left: i64,
    /// The lines.
    pub lines: Vec<PendingOrderLineView>,
    /// Whether its lines are already in the cashier's cart.
    pub in_cart: bool,
}

/// What collecting an order gives: the order as the server now has it (reserved here), and the
/// cart with its lines, ready for payment.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct CollectedOrder {
    /// The order.
    pub order: PendingOrderView,
    /// The cart.
    pub cart: CartView,
}

/// What letting an order go gives: the order, the cart without its lines, and whether the
/// server was told (offline, the hold ends by itself at its time).
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct ReleasedOrder {
    /// The order.
    pub order: PendingOrderView,
    /// The cart.
    pub cart: CartView,
    /// Whether the server heard of it.
    pub server_told: bool,
}
