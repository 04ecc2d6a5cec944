//! What the server keeps of device services (schema version 10): service orders with their
//! steps, and software updates, each under the device's blind, never its identifier in clear.

use super::RepoResult;

/// The statements of device services, part of every [`super::Tx`].
pub trait DeviceServicesTx {
    /// The platform's device identifier key (made by the migration to version 10).
    fn device_identifier_key(&mut self) -> RepoResult<till_core::DeviceIdentifierKey>;
    /// A service order by terminal and number.
    fn service_order(&mut self, terminal: &str, service_no: &str) -> RepoResult<Option<ServiceOrderRecord>>;
    /// Stores a service order's current state (inserted, or its status and time replaced).
    fn put_service_order(&mut self, o: &ServiceOrderRecord) -> RepoResult<()>;
    /// Appends a step to a service order's history (one per status).
    fn insert_service_step(&mut self, s: &ServiceStepRecord) -> RepoResult<()>;
    /// The service orders of a device, newest first, each with its steps, oldest first.
    fn service_orders_of(&mut self, blind: &str) -> RepoResult<Vec<(ServiceOrderRecord, Vec<ServiceStepRecord>)>>;
    /// Stores a software update; false when the terminal already recorded this id.
    fn insert_software_update(&mut self, u: &SoftwareUpdateRecord) -> RepoResult<bool>;
    /// The software updates of a device, newest first.
    fn software_updates_of(&mut self, blind: &str) -> RepoResult<Vec<SoftwareUpdateRecord>>;
}

/// A service order (a repair) as its till last sent it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceOrderRecord {
    /// The terminal that opened it.
    pub terminal_id: String,
    /// Its number at that terminal (`SO000001`).
    pub service_no: String,
    /// The device's blind.
    pub device_blind: String,
    /// The device's identifier, sealed under the device identifier key.
    pub identifier_sealed: String,
    /// Store.
    pub store: String,
    /// The fault as described.
    pub fault: String,
    /// Current status.
    pub status: String,
    /// When opened, unix seconds.
    pub opened_at: i64,
    /// When the current status was reached, unix seconds.
    pub updated_at: i64,
}

/// One step of a service order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceStepRecord {
    /// The terminal of the order.
    pub terminal_id: String,
    /// Its number.
    pub service_no: String,
    /// The status reached.
    pub status: String,
    /// When, unix seconds.
    pub at: i64,
    /// Who.
    pub by: String,
}

/// Software installed on a device.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SoftwareUpdateRecord {
    /// The terminal that recorded it.
    pub terminal_id: String,
    /// Its id at that terminal.
    pub update_id: String,
    /// The device's blind.
    pub device_blind: String,
    /// The device's identifier, sealed.
    pub identifier_sealed: String,
    /// Store.
    pub store: String,
    /// Version installed.
    pub version: String,
    /// Who installed it.
    pub installed_by: String,
    /// When, unix seconds.
    pub installed_at: i64,
}
