//! What the installer's device screen and the status lights show, and what they send.

use serde::{Deserialize, Serialize};
use ts_rs::TS;

/// A device's link as the status light shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum LinkState {
    /// Present and usable (green).
    Connected,
    /// Configured but absent, or present but refusing to open (red).
    Disconnected,
    /// Nothing is set up for this role (grey).
    NotConfigured,
}

/// One status light.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct DeviceLight {
    /// The link state.
    pub state: LinkState,
    /// The device's address, when there is one.
    pub uri: Option<String>,
    /// Why it is disconnected, when the till knows (e.g. permission denied).
    pub detail: Option<String>,
}

/// The status lights of the cashier screen.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct DeviceStatus {
    /// The card reader.
    pub card_reader: DeviceLight,
    /// The points terminal.
    pub points_terminal: DeviceLight,
}

pub use till_core::DeviceRole;

/// Serial parity.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "lowercase")]
pub enum Parity {
    /// No parity bit (8N1).
    None,
    /// Even parity.
    Even,
    /// Odd parity.
    Odd,
}

/// A device found on the machine, as the installer's table lists it.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct DiscoveredView {
    /// Its address.
    pub uri: String,
    /// `serial`, `hid` or `sim`.
    pub kind: String,
    /// The product name it reports.
    pub product: Option<String>,
    /// USB ids as `VVVV:PPPP`.
    pub usb_ids: Option<String>,
    /// Its serial number string.
    pub serial_number: Option<String>,
    /// What it probably is.
    pub guessed_role: Option<DeviceRole>,
    /// The driver that probably speaks to it.
    pub guessed_driver: Option<String>,
    /// The role it is configured for, if any.
    pub assigned_role: Option<DeviceRole>,
}

/// A configured device, as the installer sees it. The pairing key is never part of it.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct ConfiguredView {
    /// Role.
    pub role: DeviceRole,
    /// Driver (protocol name).
    pub driver: String,
    /// Address.
    pub uri: String,
    /// Serial speed.
    pub baud: Option<u32>,
    /// Serial parity.
    pub parity: Option<Parity>,
    /// In use.
    pub enabled: bool,
    /// Card reader's swipe timeout, seconds.
    pub swipe_timeout_s: Option<u32>,
    /// Whether a pairing key is stored (points terminal).
    pub paired: bool,
    /// The paired terminal's id.
    pub terminal_id: Option<String>,
    /// When it was paired, ms since the epoch.
    #[ts(type = "number | null")]
    pub paired_at_ms: Option<i64>,
    /// Receipt printer: paper width, 58 or 80 mm.
    pub paper_mm: Option<u32>,
    /// Receipt printer: `gb18030` or `pc437`.
    pub code_page: Option<String>,
}

/// A driver the installer may pick for a role.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct DriverOption {
    /// Role it serves.
    pub role: DeviceRole,
    /// Protocol name.
    pub name: String,
}

/// Everything the installer screen shows.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct DevicesOverview {
    /// Devices on the machine now, simulators included.
    pub discovered: Vec<DiscoveredView>,
    /// Configured devices.
    pub configured: Vec<ConfiguredView>,
    /// Drivers per role.
    pub drivers: Vec<DriverOption>,
    /// Why enumerating the machine's devices failed, if it did (the simulators are listed anyway).
    pub discovery_error: Option<String>,
    /// The status lights.
    pub status: DeviceStatus,
}

/// What the installer assigns to an address.
#[derive(Debug, Clone, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct DeviceAssignment {
    /// The address, as discovered.
    pub uri: String,
    /// The role.
    pub role: DeviceRole,
    /// The driver (protocol name); `sim` for simulators.
    pub driver: String,
    /// Serial speed (serial devices only).
    pub baud: Option<u32>,
    /// Serial parity (serial devices only).
    pub parity: Option<Parity>,
    /// Card reader's swipe timeout, seconds (5 to 300).
    pub swipe_timeout_s: Option<u32>,
    /// Receipt printer: paper width, 58 or 80 mm (80 when not given).
    #[serde(default)]
    #[ts(optional)]
    pub paper_mm: Option<u32>,
    /// Receipt printer: `gb18030` or `pc437` (`gb18030` when not given).
    #[serde(default)]
    #[ts(optional)]
    pub code_page: Option<String>,
}

/// The outcome of testing a device: a masked card read, the terminal's HELLO, or what is wrong.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct DeviceTestResult {
    /// Which device.
    pub role: DeviceRole,
    /// Address tested.
    pub uri: String,
    /// Whether it worked.
    pub ok: bool,
    /// What happened, in the same words as the command line.
    pub message: String,
    /// The error code when it failed.
    pub code: Option<crate::ErrorCode>,
    /// Card reader: the masked number.
    pub masked_pan: Option<String>,
    /// Card reader: the brand.
    pub brand: Option<String>,
    /// Card reader: expiry `YYMM`.
    pub expiry: Option<String>,
    /// Points terminal: its id.
    pub terminal_id: Option<String>,
    /// Points terminal: firmware.
    pub firmware: Option<String>,
    /// Points terminal: whether it holds a pairing key.
    pub paired: Option<bool>,
}
