//! `POST /v1/sales`: a completed order with its line codes and the identifiers of the devices
//! sold on its lines. The till's sync worker builds a [`SaleRequest`] from its outbox payload;
//! the server reads the same type.

use crate::amount::{Amount, AmountIn};
use serde::{Deserialize, Serialize};

/// A completed order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SaleRequest {
    /// The till's order id, unique per terminal.
    pub order_id: String,
    /// Store name or code.
    pub store: String,
    /// When the sale completed at the till, unix seconds.
    pub created_at: i64,
    /// Currency of every amount of the order.
    pub currency: String,
    /// Customer id, when the till knows the customer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub customer_id: Option<String>,
    /// The till's checkout key of the sale (the cart it came from, 32 hex digits): the order a
    /// points redemption's token (version 2) names, so the server checks the token against the
    /// sale it recorded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub checkout_key: Option<String>,
    /// The lines.
    pub lines: Vec<SaleLine>,
    /// The payments applied to the order (change excluded); they add up to the lines' total.
    pub payments: Vec<SalePayment>,
}

/// One order line.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SaleLine {
    /// The line's code (till-core `LineCode`, compact or grouped).
    pub line_code: String,
    /// Product SKU.
    pub sku: String,
    /// Product name as sold.
    pub name: String,
    /// Quantity, 1 or more.
    pub quantity: i64,
    /// Unit price.
    pub unit_price: AmountIn,
    /// What was paid for the line (after discounts), the most a refund of it can return.
    pub total: AmountIn,
    /// The seller who confirms refunds of this line (for marketplaces; the store otherwise).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seller: Option<String>,
    /// Identifiers of the devices sold on this line, at most `quantity`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub devices: Vec<DeviceIn>,
    /// Where the line came from when not the till's catalogue: an order pending collection it
    /// collects, or a service it pays. The server acts on it in the sale's own transaction.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub origin: Option<LineOriginIn>,
}

/// The origin of a sale line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LineOriginIn {
    /// `pending_order` or `service`.
    pub kind: String,
    /// The platform's order id (`pending_order`) or the conversation id (`service`).
    pub reference: String,
}

/// Kind of device identifier.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum DeviceKind {
    /// 15-digit IMEI (14 to 16 digits accepted).
    Imei,
    /// 14 hex digit MEID.
    Meid,
    /// 8 hex digit (or 11 decimal digit) ESN.
    Esn,
    /// Manufacturer's serial number.
    Sn,
}

impl DeviceKind {
    /// The stored name.
    pub fn name(self) -> &'static str {
        match self {
            DeviceKind::Imei => "imei",
            DeviceKind::Meid => "meid",
            DeviceKind::Esn => "esn",
            DeviceKind::Sn => "sn",
        }
    }
}

/// A sold device. Its identifier never travels in clear: it is named by its blind and carried
/// sealed (till-core `device_blind`, docs/device-services.md).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DeviceIn {
    /// Kind of identifier.
    pub kind: DeviceKind,
    /// HMAC-SHA256 of the normalised identifier under the platform's device identifier key's
    /// blind key, 64 lower-case hex digits: the key of the sold-data list.
    pub blind: String,
    /// The normalised identifier sealed with AES-256-GCM under the device identifier key's seal
    /// key, the blind as associated data (`d1.` + base64url).
    pub sealed: String,
    /// The device's software package at sale, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub software: Option<String>,
    /// The warranty the device was sold with, months from the sale.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub warranty_months: Option<i64>,
}

/// Tender of a payment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum TenderKind {
    /// Cash.
    Cash,
    /// Payment card (masked PAN required).
    Card,
    /// Loyalty points.
    Points,
    /// A customer's payment code (wallet and masked code required).
    PaymentCode,
    /// Anything else.
    Other,
}

impl TenderKind {
    /// The stored name.
    pub fn name(self) -> &'static str {
        match self {
            TenderKind::Cash => "cash",
            TenderKind::Card => "card",
            TenderKind::Points => "points",
            TenderKind::PaymentCode => "payment_code",
            TenderKind::Other => "other",
        }
    }
}

/// A payment of the order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SalePayment {
    /// Tender.
    pub tender: TenderKind,
    /// Amount applied to the order.
    pub amount: AmountIn,
    /// Masked PAN (first 6 and last 4 digits at most) for card payments.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub masked_pan: Option<String>,
    /// Authorisation code for card payments.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub auth_code: Option<String>,
    /// The till's payment id of a card payment: the key under which it was authorised
    /// (online, or forwarded after an offline approval). A card refund needs the approved
    /// authorisation it names.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payment_id: Option<String>,
    /// The wallet of a payment-code payment: `wechat_pay`, `alipay` or `unionpay`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub wallet: Option<String>,
    /// The payment code with only its first four and last four digits.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub masked_code: Option<String>,
}

/// The answer to a recorded sale.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SaleRecorded {
    /// Echo of the order id.
    pub order_id: String,
    /// Lines stored.
    pub lines: usize,
    /// Devices added to the sold-data list.
    pub devices: usize,
    /// Order total.
    pub total: Amount,
    /// When the server recorded it.
    pub recorded_at: i64,
}
