//! The sync status line, parked events and the server settings form, as the window sees them.

use serde::{Deserialize, Serialize};
use ts_rs::TS;

/// The remote services a till talks to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "lowercase")]
pub enum Service {
    /// Sales records (and, today, every outbox event).
    Sales,
    /// Refunds.
    Refunds,
    /// Loyalty points.
    Points,
    /// Card authorisation.
    Payments,
}

/// One base URL per service.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct ServiceUrls {
    /// Sales server (the shared default).
    pub sales: String,
    /// Refunds server.
    pub refunds: String,
    /// Points server.
    pub points: String,
    /// Payment platform.
    pub payments: String,
}

/// What the installer enters. Empty per-service URLs mean "the sales URL".
#[derive(Debug, Clone, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct SyncSettingsInput {
    /// Sales server URL: `https://host[:port]` (`http://` only to this computer).
    pub sales_url: String,
    /// Refunds server URL, or empty.
    #[serde(default)]
    pub refunds_url: String,
    /// Points server URL, or empty.
    #[serde(default)]
    pub points_url: String,
    /// Payment platform URL, or empty.
    #[serde(default)]
    pub payments_url: String,
    /// The terminal id `till-server terminals add` printed.
    pub terminal_id: String,
    /// The 64 hex digits of the secret; empty keeps the stored one.
    #[serde(default)]
    pub secret: String,
    /// The SHA-256 fingerprint of the shop's own server certificate to pin (64 hex digits,
    /// `:` between pairs allowed), or empty for none.
    #[serde(default)]
    pub cert_sha256: String,
    /// PEM certificates of the shop's own CA to trust instead of the system's roots, or empty.
    #[serde(default)]
    pub ca_pem: String,
}

/// The settings as the installer screen shows them: never the secret.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct SyncSettingsView {
    /// Whether the till is set up to sync.
    pub configured: bool,
    /// The URLs, when configured.
    pub urls: Option<ServiceUrls>,
    /// The terminal id, when configured.
    pub terminal_id: Option<String>,
    /// Whether a secret is stored.
    pub secret_set: bool,
    /// Whether the settings were seeded from the environment (`make run`'s demo server).
    pub from_environment: bool,
    /// The pinned server certificate's SHA-256 fingerprint (`AB:CD:…`), when one is pinned.
    pub cert_sha256: Option<String>,
    /// The trusted CA certificates (PEM), when the system's roots are not used.
    pub ca_pem: Option<String>,
}

/// What Test connection found for one server.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum ConnectionOutcome {
    /// Signed ping answered; credentials and clock are fine.
    Ok,
    /// The URL is not `https://host[:port]` (or `http://` to this computer).
    InvalidUrl,
    /// The host name does not resolve.
    DnsFailed,
    /// Nothing listens at that address and port.
    ConnectionRefused,
    /// The TLS handshake failed (certificate, pin, or not a TLS server).
    TlsFailed,
    /// An answer came without a valid answer signature: not this terminal's till-server, or
    /// something on the way changes answers.
    UnverifiedAnswer,
    /// No answer in time.
    Timeout,
    /// The till's clock is too far from the server's.
    ClockSkew,
    /// The server does not know this terminal id.
    UnknownTerminal,
    /// The signature does not verify: the secret is wrong.
    BadSecret,
    /// The terminal is disabled on the server.
    TerminalDisabled,
    /// The server answered with another error.
    ServerError,
    /// Any other network failure.
    NetworkError,
}

/// Test connection's verdict for one URL (shared by the services listed).
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct ConnectionCheck {
    /// The services using this URL.
    pub services: Vec<Service>,
    /// The URL tested.
    pub url: String,
    /// What happened.
    pub outcome: ConnectionOutcome,
    /// Exactly what failed (or what answered), English.
    pub message: String,
    /// Server clock minus the till's, seconds, when known.
    #[ts(type = "number | null")]
    pub skew_s: Option<i64>,
    /// The server's id, when it answered.
    pub server_id: Option<String>,
}

/// Test connection's result.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct ConnectionTest {
    /// Every server answered and every check passed.
    pub ok: bool,
    /// One check per distinct URL.
    pub checks: Vec<ConnectionCheck>,
}

/// The status line, for the header of every screen.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct SyncStatusView {
    /// Whether server settings exist.
    pub configured: bool,
    /// Whether the worker runs.
    pub running: bool,
    /// Whether the server answered the last exchange (`None`: no exchange yet).
    pub online: Option<bool>,
    /// Events not yet delivered.
    #[ts(type = "number")]
    pub pending: i64,
    /// Age of the oldest of them, ms.
    #[ts(type = "number | null")]
    pub oldest_pending_age_ms: Option<i64>,
    /// Events the server refused for good, waiting for a manager.
    #[ts(type = "number")]
    pub parked: i64,
    /// Events delivered.
    #[ts(type = "number")]
    pub delivered: i64,
    /// The last error (the worker's, or why it could not start).
    pub last_error: Option<String>,
    /// When an event was last delivered, ms since the epoch.
    #[ts(type = "number | null")]
    pub last_success_at_ms: Option<i64>,
}

/// A parked event, as the manager's Sync screen lists it.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct ParkedEventView {
    /// Event id.
    pub id: String,
    /// Kind, e.g. `sale.recorded`.
    pub kind: String,
    /// What it is about, e.g. `order/42`.
    pub subject: String,
    /// Why the server refused it.
    pub reason: String,
    /// Attempts made.
    #[ts(type = "number")]
    pub attempts: i64,
    /// When it was queued, ms since the epoch.
    #[ts(type = "number")]
    pub created_at_ms: i64,
    /// Its age now, ms.
    #[ts(type = "number")]
    pub age_ms: i64,
    /// When it was parked, ms since the epoch.
    #[ts(type = "number")]
    pub parked_at_ms: i64,
}
