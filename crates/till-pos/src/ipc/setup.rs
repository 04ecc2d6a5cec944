//! What the first-run setup and the shop profile send across IPC.

use serde::{Deserialize, Serialize};
use ts_rs::TS;

/// One tax rate the shop charges, e.g. "Standard" at 13 %.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct TaxRateEntry {
    /// The name on receipts and in the product form.
    pub name: String,
    /// The rate in basis points (1300 = 13 %).
    pub rate_bp: u32,
}

/// The shop as its receipts, reports and PDFs name it, and the till's place in it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct ShopProfile {
    /// The shop's name, the first line of every receipt.
    pub name: String,
    /// Its address, one or more lines.
    pub address: String,
    /// Its tax registration number (may be empty).
    pub tax_id: String,
    /// ISO 4217 code of the currency it sells in.
    pub currency: String,
    /// The tax rates it charges; at least one.
    pub tax_rates: Vec<TaxRateEntry>,
    /// Index into `tax_rates` of the rate new products get.
    pub default_tax_rate: u32,
    /// Extra lines under the name on every receipt (opening hours, a phone number).
    pub receipt_header: String,
    /// Lines at the foot of every receipt (returns policy, thanks).
    pub receipt_footer: String,
    /// The till's IANA time zone, e.g. `Asia/Shanghai`.
    pub time_zone: String,
    /// This till's name within the shop, e.g. "Counter 1".
    pub till_name: String,
}

/// The steps of the first-run setup, in order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub enum SetupStep {
    /// The shop profile.
    Shop,
    /// The first owner and the installer, with their PINs.
    People,
    /// The server: URL, then credentials or a one-time enrolment code.
    Server,
    /// The payment platform key.
    Payments,
    /// Card reader, points terminal.
    Devices,
    /// Setup is finished: the login screen.
    Done,
}

/// Where the first-run setup stands; the window opens it where it stopped.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct SetupStatus {
    /// The step to show.
    pub step: SetupStep,
    /// The shop profile, once saved.
    pub shop: Option<ShopProfile>,
    /// Whether the owner and the installer exist (from then on the installer logs in to go on).
    pub people_done: bool,
    /// Whether server settings are stored.
    pub server_set: bool,
    /// Whether the payment platform key is set.
    pub platform_key_set: bool,
    /// Steps the installer chose to leave for later.
    pub skipped: Vec<SetupStep>,
    /// The shortest PIN this till accepts.
    pub pin_min_length: u32,
}

/// The two people the setup creates: the shop's first owner and its installer.
#[derive(Debug, Clone, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct FirstPeopleInput {
    /// The owner's name.
    pub owner_name: String,
    /// The owner's PIN.
    pub owner_pin: String,
    /// The installer's name.
    pub installer_name: String,
    /// The installer's PIN.
    pub installer_pin: String,
}

/// A one-time enrolment code to exchange for this till's terminal id and secret.
#[derive(Debug, Clone, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct EnrolmentInput {
    /// The server's URL (`https://…`, or `http://` on the loopback address).
    pub url: String,
    /// The code `till-server terminals add --enrolment-code` printed.
    pub code: String,
    /// The server certificate's SHA-256 to pin (empty: none).
    pub cert_sha256: String,
    /// The shop's CA certificates in PEM (empty: the system's roots).
    pub ca_pem: String,
}
