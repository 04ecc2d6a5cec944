//! The installer's server settings: where each service's server is, which terminal this till
//! is, and the terminal's signing secret; and the Test connection button.
//!
//! Stored in the `settings` table under [`SETTING`] as JSON. The secret is sealed with the
//! till's [`SecretBox`](crate::admin::secrets::SecretBox) (purpose [`SECRET_PURPOSE`]) before it is
//! written, is never returned to the UI (the view says only whether one is set) and never logged.
//!
//! One base URL per service (sales, refunds, points, payments), each defaulting to the sales
//! URL. The sync worker sends each outbox event to its service's server
//! ([`SyncCredentials::worker_config`]): sales, refunds, points changes, and card payments
//! forwarded after an offline approval.
//!
//! Every URL is `https://`, except to this computer (`http://127.0.0.1`, `[::1]`, `localhost`),
//! the rule of [`till_client::check_base_url`]. The server's certificate is checked against the
//! system's roots, or the shop's own CA certificates, or a pinned SHA-256 fingerprint of the
//! server's certificate (or both of the last two), as the installer enters them.
//!
//! When Test connection (`super::connection_test`) reaches the payments server, that success is
//! remembered for exactly the settings it was made with ([`PAYMENTS_TESTED`], [`payments_tested`]): outside
//! demo mode a till takes cards only after it (see `sale::card::platform_setup`), and any change
//! of the settings asks for a new test.

use crate::admin::permissions::Command;
use crate::admin::secrets::wipe_string;
use crate::error::{PosError, Result};
use crate::ipc::sync::{Service, ServiceUrls, SyncSettingsInput, SyncSettingsView};
use crate::Pos;
use serde::{Deserialize, Serialize};
use serde_json::json;
use std::time::Duration;
use till_core::SessionToken;

/// The `SecretBox` purpose the terminal secret is sealed for.
pub const SECRET_PURPOSE: &str = "sync-terminal-secret";
/// The settings key.
pub const SETTING: &str = "sync.settings";
/// A clock further than this from the server's is reported (the server refuses beyond 300 s).
pub const SKEW_WARN_SECS: i64 = 60;
/// How long Test connection waits for each server.
pub const TEST_TIMEOUT: Duration = Duration::from_secs(5);
/// The settings key of the last successful test of the payments server: the SHA-256 of the
/// stored settings it was made with, its URL and when.
pub const PAYMENTS_TESTED: &str = "payments.platform_tested";

/// A successful Test connection of the payments server.
#[derive(Debug, Serialize, Deserialize)]
pub(super) struct PaymentsTested {
    pub(super) settings_sha256: String,
    pub(super) url: String,
    pub(super) at_ms: i64,
}

pub(super) fn settings_digest(text: &str) -> String {
    hex::encode(<sha2::Sha256 as sha2::Digest>::digest(text.as_bytes()))
}

/// Whether the payments server of the settings stored now has passed Test connection: a
/// success recorded under other settings (another URL, terminal or secret) does not count.
pub fn payments_tested(pos: &Pos) -> Result<bool> {
    let (Some(tested), Some(settings)) = (pos.store.setting(PAYMENTS_TESTED)?, pos.store.setting(SETTING)?) else {
        return Ok(false);
    };
    // An unreadable record is no test.
    Ok(serde_json::from_str::<PaymentsTested>(&tested).is_ok_and(|t| t.settings_sha256 == settings_digest(&settings)))
}

impl Service {
    /// All four, in the order the installer screen lists them.
    pub const ALL: [Service; 4] = [Service::Sales, Service::Refunds, Service::Points, Service::Payments];

    /// The lower-case name.
    pub fn as_str(self) -> &'static str {
        match self {
            Service::Sales => "sales",
            Service::Refunds => "refunds",
            Service::Points => "points",
            Service::Payments => "payments",
        }
    }
}

impl ServiceUrls {
    /// The URL of `service`.
    pub fn get(&self, service: Service) -> &str {
        match service {
            Service::Sales => &self.sales,
            Service::Refunds => &self.refunds,
            Service::Points => &self.points,
            Service::Payments => &self.payments,
        }
    }
}

/// The stored form. The secret is sealed, as hex; the pin and the CA are public.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Stored {
    urls: ServiceUrls,
    terminal_id: String,
    secret_sealed: String,
    #[serde(default)]
    from_environment: bool,
    /// The pinned certificate's SHA-256, 64 hex digits.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    cert_sha256: Option<String>,
    /// Trusted CA certificates, PEM.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    ca_pem: Option<String>,
}

/// Credentials ready for a client: the secret opened, in memory only.
#[derive(Debug, Clone)]
pub struct SyncCredentials {
    /// One base URL per service.
    pub urls: ServiceUrls,
    /// The terminal id.
    pub terminal_id: String,
    /// The signing secret (its `Debug` is redacted).
    pub secret: till_client::Secret,
    /// The pinned server certificate, if any.
    pub pinned_cert: Option<till_client::CertPin>,
    /// Trusted CA certificates (PEM) instead of the system's roots, if any.
    pub trusted_roots_pem: Option<Vec<u8>>,
}

impl SyncCredentials {
    /// The signed client's configuration for the service's URL, with the defaults of
    /// [`till_client::ClientConfig::new`] (card authorisation, lookups, enrolment, Test) and
    /// the installer's trust (pin, CA).
    pub fn config_for(&self, service: Service) -> till_client::ClientConfig {
        self.client_config(self.urls.get(service))
    }

    pub(super) fn client_config(&self, url: &str) -> till_client::ClientConfig {
        let mut config = till_client::ClientConfig::new(url, &self.terminal_id, self.secret.clone());
        config.pinned_cert = self.pinned_cert;
        config.trusted_roots_pem = self.trusted_roots_pem.clone();
        config
    }

    /// The sync worker's configuration: the sales URL as its base, and every service's events to
    /// that service's URL.
    pub fn worker_config(&self) -> till_sync::SyncConfig {
        let mut config = till_sync::SyncConfig::new(&self.urls.sales, &self.terminal_id, self.secret.clone());
        config.set_service_url(till_sync::Service::Sales, &self.urls.sales);
        config.set_service_url(till_sync::Service::Refunds, &self.urls.refunds);
        config.set_service_url(till_sync::Service::Points, &self.urls.points);
        config.set_service_url(till_sync::Service::Payments, &self.urls.payments);
        config.pinned_cert = self.pinned_cert;
        config.trusted_roots_pem = self.trusted_roots_pem.clone();
        config
    }
}

/// Checks a base URL: `https://` (or `http://` to this computer only, see
/// [`till_client::check_base_url`]), a host, no path, query or white space. Returns it without a
/// trailing slash.
pub fn normalise_url(text: &str) -> Result<String> {
    let url = text.trim().trim_end_matches('/');
    let bad = || PosError::InvalidInput(format!("{url:?} is not a server address like https://sync.example:8443"));
    let rest = url.strip_prefix("https://").or_else(|| url.strip_prefix("http://")).ok_or_else(bad)?;
    if rest.is_empty() || rest.contains(['/', '?', '#', '@']) || rest.chars().any(char::is_whitespace) {
        return Err(bad());
    }
    if let Some((host, port)) = rest.rsplit_once(':') {
        // An IPv6 literal's colons are inside brackets.
        if !host.is_empty() && !port.contains(']') && port.parse::<u16>().map_or(true, |p| p == 0) {
            return Err(bad());
        }
    }
    till_client::check_base_url(url).map_err(|e| match e {
        till_client::ClientError::Config(m) => PosError::InvalidInput(m),
        other => PosError::InvalidInput(other.to_string()),
    })?;
    Ok(url.to_string())
}

/// Reads the installer's pin: empty is none, else a SHA-256 fingerprint (stored as 64 hex digits).
pub(crate) fn parse_pin(text: &str) -> Result<Option<String>> {
    if text.trim().is_empty() {
        return Ok(None);
    }
    let pin = till_client::CertPin::parse(text).map_err(|_| {
        PosError::InvalidInput(
            "the certificate fingerprint is a SHA-256: 64 hex digits, ':' between pairs allowed".into(),
        )
    })?;
    Ok(Some(hex::encode(pin.bytes())))
}

/// Reads the installer's CA certificates: empty is none, else PEM a client can use.
pub(crate) fn parse_ca(text: &str) -> Result<Option<String>> {
    let pem = text.trim();
    if pem.is_empty() {
        return Ok(None);
    }
    // The client's own check (PEM, at least one certificate), on a throwaway configuration.
    let mut probe = till_client::ClientConfig::new("https://127.0.0.1", "t", till_client::Secret::new([0; 32]));
    probe.trusted_roots_pem = Some(pem.as_bytes().to_vec());
    till_client::Client::new(probe).map_err(|e| match e {
        till_client::ClientError::Config(m) => PosError::InvalidInput(m),
        other => PosError::InvalidInput(other.to_string()),
    })?;
    Ok(Some(format!("{pem}\n")))
}

fn stored_pin(stored: &Stored) -> Result<Option<till_client::CertPin>> {
    stored
        .cert_sha256
        .as_deref()
        .map(till_client::CertPin::parse)
        .transpose()
        .map_err(|e| PosError::Internal(format!("the stored certificate fingerprint is unreadable: {e}")))
}

fn load(pos: &Pos) -> Result<Option<Stored>> {
    match pos.store.setting(SETTING)? {
        None => Ok(None),
        Some(text) => serde_json::from_str(&text)
            .map(Some)
            .map_err(|e| PosError::Internal(format!("stored sync settings are unreadable: {e}"))),
    }
}

fn view(stored: Option<&Stored>) -> SyncSettingsView {
    SyncSettingsView {
        configured: stored.is_some(),
        urls: stored.map(|s| s.urls.clone()),
        terminal_id: stored.map(|s| s.terminal_id.clone()),
        secret_set: stored.is_some_and(|s| !s.secret_sealed.is_empty()),
        from_environment: stored.is_some_and(|s| s.from_environment),
        cert_sha256: stored.and_then(|s| stored_pin(s).ok().flatten()).map(|p| p.to_string()),
        ca_pem: stored.and_then(|s| s.ca_pem.clone()),
    }
}

/// Validates the terminal id: 1 to 64 printable ASCII characters without spaces.
fn check_terminal_id(id: &str) -> Result<String> {
    let id = id.trim();
    if id.is_empty() || id.len() > 64 || !id.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(PosError::InvalidInput("the terminal id is 1 to 64 letters, digits or signs, no spaces".into()));
    }
    Ok(id.to_string())
}

fn parse_secret(hex_text: &str) -> Result<till_client::Secret> {
    till_client::Secret::from_hex(hex_text)
        .map_err(|_| PosError::InvalidInput("the terminal secret is 64 hex digits (32 bytes)".into()))
}

impl Pos {
    /// The server settings, without the secret (installers).
    pub fn sync_settings_get(&self, token: &SessionToken) -> Result<SyncSettingsView> {
        self.authorize(token, Command::SyncSettingsGet)?;
        Ok(view(load(self)?.as_ref()))
    }

    /// Saves the server settings (installers) and restarts the sync worker with them. Bad input
    /// changes nothing. Changing the terminal id is refused while events wait
    /// ([`PosError::SyncPending`]): they would reach the server as another till's. The URL and
    /// the secret may always change: that is how a moved server or a wrong secret is fixed.
    pub fn sync_settings_set(&self, token: &SessionToken, input: SyncSettingsInput) -> Result<SyncSettingsView> {
        let s = self.authorize(token, Command::SyncSettingsSet)?;
        let SyncSettingsInput {
            sales_url,
            refunds_url,
            points_url,
            payments_url,
            terminal_id,
            secret,
            cert_sha256,
            ca_pem,
        } = input;
        let parsed = (|| {
            let sales = normalise_url(&sales_url)?;
            let or_sales = |u: &str| if u.trim().is_empty() { Ok(sales.clone()) } else { normalise_url(u) };
            let urls = ServiceUrls {
                refunds: or_sales(&refunds_url)?,
                points: or_sales(&points_url)?,
                payments: or_sales(&payments_url)?,
                sales: sales.clone(),
            };
            let terminal_id = check_terminal_id(&terminal_id)?;
            let secret = if secret.trim().is_empty() { None } else { Some(parse_secret(&secret)?) };
            let pin = parse_pin(&cert_sha256)?;
            let all = [&urls.sales, &urls.refunds, &urls.points, &urls.payments];
            if pin.is_some() && all.iter().any(|u| !u.starts_with("https://")) {
                return Err(PosError::InvalidInput("a pinned certificate needs https:// addresses".into()));
            }
            let ca = parse_ca(&ca_pem)?;
            Ok::<_, PosError>((urls, terminal_id, secret, pin, ca))
        })();
        wipe_string(secret);
        let (urls, terminal_id, secret, cert_sha256, ca_pem) = parsed?;
        let before = load(self)?;
        if let Some(b) = &before {
            if b.terminal_id != terminal_id {
                crate::sync::ensure_nothing_pending(self)?;
            }
        }
        let secret_sealed = match (&secret, &before) {
            (Some(secret), _) => hex::encode(self.secrets.seal(SECRET_PURPOSE, secret.bytes())),
            (None, Some(b)) if !b.secret_sealed.is_empty() => b.secret_sealed.clone(),
            (None, _) => return Err(PosError::InvalidInput("enter the terminal secret".into())),
        };
        let stored = Stored { urls, terminal_id, secret_sealed, from_environment: false, cert_sha256, ca_pem };
        self.save(&stored, Some(s.user_id), secret.is_some())?;
        tracing::info!(terminal_id = %stored.terminal_id, sales_url = %stored.urls.sales, "server settings saved");
        self.sync_restart()?;
        Ok(view(Some(&stored)))
    }

    /// Forgets the server settings (installers): this till signs out of the server and stops
    /// syncing. Refused while events wait, since they would then never be delivered.
    pub fn sync_settings_clear(&self, token: &SessionToken) -> Result<SyncSettingsView> {
        let s = self.authorize(token, Command::SyncSettingsClear)?;
        crate::sync::ensure_nothing_pending(self)?;
        let now = self.now_ms();
        self.store.write(|tx| {
            tx.execute("DELETE FROM settings WHERE key = ?1", [SETTING])?;
            till_store::audit::append(tx, now, Some(s.user_id), "sync.settings_cleared", &json!({}))
        })?;
        self.sync_restart()?;
        Ok(view(None))
    }

    /// Seeds the settings from the environment (`make run`'s local server) when none are stored,
    /// or replaces settings seeded earlier from the environment when it now says otherwise (the
    /// demo server's data was deleted and a new terminal registered). An installer's own settings
    /// always win. Returns whether it wrote anything.
    pub fn sync_seed_settings(&self, url: &str, terminal_id: &str, secret_hex: &str) -> Result<bool> {
        let sales = normalise_url(url)?;
        let urls = ServiceUrls { sales: sales.clone(), refunds: sales.clone(), points: sales.clone(), payments: sales };
        let terminal_id = check_terminal_id(terminal_id)?;
        let secret = parse_secret(secret_hex)?;
        if let Some(before) = load(self)? {
            if !before.from_environment {
                return Ok(false);
            }
            let same_secret = self.sync_credentials()?.is_some_and(|c| c.secret == secret);
            if before.urls == urls && before.terminal_id == terminal_id && same_secret {
                return Ok(false);
            }
        }
        let secret_sealed = hex::encode(self.secrets.seal(SECRET_PURPOSE, secret.bytes()));
        let stored =
            Stored { urls, terminal_id, secret_sealed, from_environment: true, cert_sha256: None, ca_pem: None };
        self.save(&stored, None, true)?;
        Ok(true)
    }

    fn save(&self, stored: &Stored, actor: Option<i64>, secret_changed: bool) -> Result<()> {
        let text = serde_json::to_string(stored).map_err(|e| PosError::Internal(e.to_string()))?;
        let now = self.now_ms();
        let detail = json!({
            "terminal_id": stored.terminal_id,
            "urls": stored.urls,
            "secret_changed": secret_changed,
            "from_environment": stored.from_environment,
            "cert_sha256": stored.cert_sha256,
            "ca_set": stored.ca_pem.is_some(),
        });
        self.store.write(|tx| {
            till_store::settings::put(tx, SETTING, &text)?;
            till_store::audit::append(tx, now, actor, "sync.settings_set", &detail)
        })?;
        Ok(())
    }

    /// The stored credentials with the secret opened, or `None` when the till is not set up.
    /// For clients of the remote services (the sync worker, card authorisation).
    pub fn sync_credentials(&self) -> Result<Option<SyncCredentials>> {
        let Some(stored) = load(self)? else { return Ok(None) };
        let sealed =
            hex::decode(&stored.secret_sealed).map_err(|_| PosError::SecretUnreadable(SECRET_PURPOSE.into()))?;
        let opened = self.secrets.open(SECRET_PURPOSE, &sealed)?;
        let bytes: [u8; 32] = opened[..].try_into().map_err(|_| PosError::SecretUnreadable(SECRET_PURPOSE.into()))?;
        let pinned_cert = stored_pin(&stored)?;
        Ok(Some(SyncCredentials {
            urls: stored.urls,
            terminal_id: stored.terminal_id,
            secret: till_client::Secret::new(bytes),
            pinned_cert,
            trusted_roots_pem: stored.ca_pem.map(String::into_bytes),
        }))
    }
}
