//! Device services as the window sees them (docs/device-services.md): a sold device's record
//! (its sale, warranty, software, repairs and software updates), and what the cashier sends.

use serde::{Deserialize, Serialize};
use till_core::Money;
use ts_rs::TS;

/// The sale of a device, at this till or, from the platform, at another till of the shop.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct DeviceSaleView {
    /// The receipt number.
    pub order_no: String,
    /// When sold, ms since the epoch.
    #[ts(type = "number")]
    pub sold_at_ms: i64,
    /// What the device was sold for.
    pub price: Money,
    /// The product's name (empty when only the platform knows the sale).
    pub product: String,
    /// Its Chinese name.
    pub product_zh: Option<String>,
    /// The store that sold it.
    pub store: String,
    /// The terminal that sold it.
    pub terminal_id: String,
    /// Whether this till sold it (its refund goes through the refund screen here).
    pub here: bool,
    /// Refunded (or a refund of it waits for the seller).
    pub refunded: bool,
}

/// The warranty: its length, its end, and how many days are left.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct WarrantyView {
    /// Months from the sale.
    #[ts(type = "number")]
    pub months: i64,
    /// When it ends, ms since the epoch.
    #[ts(type = "number")]
    pub ends_at_ms: i64,
    /// Whole days left (negative: expired that many days ago).
    #[ts(type = "number")]
    pub days_left: i64,
    /// Whether it has ended.
    pub expired: bool,
}

/// One step of a repair.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct ServiceStepView {
    /// `received`, `in_repair`, `ready` or `returned`.
    pub status: String,
    /// Who.
    pub by: String,
    /// When, ms.
    #[ts(type = "number")]
    pub at_ms: i64,
}

/// A repair (service order).
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct ServiceOrderView {
    /// This till's id of it (`None`: another till's, seen through the platform).
    #[ts(type = "number | null")]
    pub id: Option<i64>,
    /// `SO000001`.
    pub service_no: String,
    /// Current status.
    pub status: String,
    /// The status it can move to next from here (`None`: returned, or another till's).
    pub next_status: Option<String>,
    /// The fault.
    pub fault: String,
    /// When opened, ms.
    #[ts(type = "number")]
    pub opened_at_ms: i64,
    /// The store.
    pub store: String,
    /// The terminal that opened it.
    pub terminal_id: String,
    /// Its steps, oldest first.
    pub steps: Vec<ServiceStepView>,
}

/// A software update record.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct SoftwareUpdateView {
    /// Version installed.
    pub version: String,
    /// Who.
    pub installed_by: String,
    /// When, ms.
    #[ts(type = "number")]
    pub installed_at_ms: i64,
    /// The terminal that recorded it.
    pub terminal_id: String,
}

/// Everything known of a device.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct DeviceView {
    /// The identifier, normalised.
    pub identifier: String,
    /// `imei`, `meid`, `esn` or `sn`.
    pub kind: String,
    /// Its sale, if known here or at the platform.
    pub sale: Option<DeviceSaleView>,
    /// Its warranty, when the sale is known.
    pub warranty: Option<WarrantyView>,
    /// The software package recorded at sale.
    pub software: Option<String>,
    /// Its repairs, newest first.
    pub service_orders: Vec<ServiceOrderView>,
    /// Its software updates, newest first.
    pub software_updates: Vec<SoftwareUpdateView>,
    /// What the platform said: `checked`, `unreachable`, `not_configured` or `key_missing`
    /// (the device identifier key is not here yet: the platform was not asked).
    pub platform: String,
}

/// A repair intake.
#[derive(Debug, Clone, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct RepairInput {
    /// The device, as scanned or typed.
    pub identifier: String,
    /// The fault as the customer describes it.
    pub fault: String,
}

/// A repair moved on.
#[derive(Debug, Clone, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct RepairStatusInput {
    /// This till's id of the repair.
    #[ts(type = "number")]
    pub service_order_id: i64,
    /// The next status.
    pub status: String,
}

/// A software update record.
#[derive(Debug, Clone, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct SoftwareUpdateInput {
    /// The device, as scanned or typed.
    pub identifier: String,
    /// The version installed.
    pub version: String,
}

/// What a repair intake or a status change did.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct RepairResult {
    /// The device, as it now is.
    pub device: DeviceView,
    /// The repair's number.
    pub service_no: String,
    /// Whether its receipt was queued for the printer.
    pub printed: bool,
}

/// A repair in the back office's history.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct ServiceOrderRow {
    /// This till's id.
    #[ts(type = "number")]
    pub id: i64,
    /// `SO000001`.
    pub service_no: String,
    /// The device.
    pub identifier: String,
    /// Current status.
    pub status: String,
    /// The fault.
    pub fault: String,
    /// Who opened it.
    pub opened_by: String,
    /// When, ms.
    #[ts(type = "number")]
    pub opened_at_ms: i64,
    /// When the current status was reached, ms.
    #[ts(type = "number")]
    pub updated_at_ms: i64,
    /// Its steps, oldest first.
    pub steps: Vec<ServiceStepView>,
}

/// The back office's question: repairs opened in a period.
#[derive(Debug, Clone, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct ServiceOrdersQuery {
    /// From, ms since the epoch (inclusive).
    #[ts(type = "number")]
    pub from_ms: i64,
    /// To, ms since the epoch (exclusive).
    #[ts(type = "number")]
    pub to_ms: i64,
}
