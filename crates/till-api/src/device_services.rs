//! Device services (CN103310370A: the sold-data list serves other services for a device, not
//! only refunds): the device identifier key a till fetches, a device's record (its sale, repairs
//! and software updates) looked up by blind, and the two events a till sends through its outbox
//! (a service order's state, a software update).
//!
//! A device is always named by its blind; where the server keeps the identifier it is sealed
//! (till-core `device_blind`).

use crate::lookups::SoldDeviceInfo;
use serde::{Deserialize, Serialize};

/// `GET /v1/device-services/key`: the platform's device identifier key, wrapped for the asking
/// terminal (AES-256-GCM under HKDF-SHA256 of its signing secret), so the answer tells an
/// observer nothing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DeviceKeyResponse {
    /// The key's public fingerprint (16 hex digits).
    pub key_id: String,
    /// The key wrapped for this terminal (`w1.` + base64url(nonce || ciphertext || tag)).
    pub wrapped: String,
}

/// The states of a service order, in their only order.
pub const SERVICE_STATES: [&str; 4] = ["received", "in_repair", "ready", "returned"];

/// `POST /v1/device-services/service-orders` (batch kind `service_order`): a service order's
/// current state, sent when it is opened and at each change of status.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ServiceOrderRequest {
    /// The till's number of the order (`SO000001`), unique per terminal.
    pub service_no: String,
    /// The device's blind.
    pub device_blind: String,
    /// The device's identifier, sealed under the device identifier key.
    pub identifier_sealed: String,
    /// Store name or code.
    pub store: String,
    /// The fault as the customer described it.
    pub fault: String,
    /// `received`, `in_repair`, `ready` or `returned`.
    pub status: String,
    /// When it was opened, unix seconds.
    pub opened_at: i64,
    /// When it reached `status`, unix seconds.
    pub changed_at: i64,
    /// Who moved it to `status` (the user's name at the till).
    pub changed_by: String,
}

/// The answer to a service order's state.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ServiceOrderRecorded {
    /// Echo of the number.
    pub service_no: String,
    /// The status the server now holds.
    pub status: String,
}

/// `POST /v1/device-services/software-updates` (batch kind `software_update`): software
/// installed on a device.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SoftwareUpdateRequest {
    /// The till's id of the record (unique per terminal).
    pub update_id: String,
    /// The device's blind.
    pub device_blind: String,
    /// The device's identifier, sealed under the device identifier key.
    pub identifier_sealed: String,
    /// Store name or code.
    pub store: String,
    /// The software version installed.
    pub version: String,
    /// Who installed it (the user's name at the till).
    pub installed_by: String,
    /// When, unix seconds.
    pub installed_at: i64,
}

/// The answer to a software update record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SoftwareUpdateRecorded {
    /// Echo of the id.
    pub update_id: String,
}

/// One step of a service order's history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ServiceStep {
    /// The status reached.
    pub status: String,
    /// When, unix seconds.
    pub at: i64,
    /// Who.
    pub by: String,
}

/// A service order as the platform holds it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ServiceOrderInfo {
    /// The terminal that opened it.
    pub terminal_id: String,
    /// Its number at that terminal.
    pub service_no: String,
    /// Store.
    pub store: String,
    /// The fault.
    pub fault: String,
    /// Current status.
    pub status: String,
    /// When opened, unix seconds.
    pub opened_at: i64,
    /// Its steps, oldest first.
    pub history: Vec<ServiceStep>,
}

/// A software update as the platform holds it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SoftwareUpdateInfo {
    /// The terminal that recorded it.
    pub terminal_id: String,
    /// Its id at that terminal.
    pub update_id: String,
    /// Store.
    pub store: String,
    /// Version installed.
    pub version: String,
    /// Who installed it.
    pub installed_by: String,
    /// When, unix seconds.
    pub installed_at: i64,
}

/// `GET /v1/device-services/devices/{blind}`: what the platform knows of a device.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DeviceRecord {
    /// The blind asked for.
    pub blind: String,
    /// Its sale, when the sold-data list has it.
    pub sold: Option<SoldDeviceInfo>,
    /// Its service orders, newest first.
    pub service_orders: Vec<ServiceOrderInfo>,
    /// Its software updates, newest first.
    pub software_updates: Vec<SoftwareUpdateInfo>,
}
