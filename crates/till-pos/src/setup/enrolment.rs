//! Enrolling a till with a one-time code: the installer types the server's address and the code
//! `till-server terminals add --enrolment-code` printed; the till exchanges it once for its
//! terminal id and secret and stores them as the server settings, the secret sealed. The secret
//! is never shown, typed or logged.
//!
//! The exchange is done only on a till without server settings: a code is spent by the
//! exchange, so everything that could refuse the settings afterwards is checked before it.

use crate::admin::permissions::Command;
use crate::error::{PosError, Result};
use crate::ipc::setup::EnrolmentInput;
use crate::ipc::sync::{SyncSettingsInput, SyncSettingsView};
use crate::sync::settings::{normalise_url, parse_ca, parse_pin, SETTING};
use crate::Pos;
use till_client::enrolment::{exchange, EnrolError, Trust};
use till_client::SendError;
use till_core::SessionToken;

/// The window's words for a failed exchange, by kind.
fn enrol_error(e: EnrolError) -> PosError {
    match e {
        EnrolError::Config(c) => PosError::InvalidInput(c.to_string()),
        EnrolError::Send(SendError::Timeout(_) | SendError::Network(_)) => {
            PosError::ServerUnreachable(format!("{e}; check the address and that the server runs"))
        }
        EnrolError::Send(other) => PosError::ServerUnreachable(format!(
            "the server's answer could not be used ({other}); if the code was spent, make a new one"
        )),
        EnrolError::Refused { code, message, .. } => PosError::ServerRefused { code, message },
    }
}

impl Pos {
    /// Exchanges a one-time enrolment code for this till's credentials and saves them as the
    /// server settings (installers). Refused, before anything is sent, when the till already has
    /// server settings or the address or trust settings are malformed.
    pub fn sync_enrol(&self, token: &SessionToken, input: EnrolmentInput) -> Result<SyncSettingsView> {
        self.authorize(token, Command::SyncEnrol)?;
        if self.store.setting(SETTING)?.is_some() {
            return Err(PosError::Conflict(
                "this till already has server settings; an enrolment code is for a till without them".into(),
            ));
        }
        let url = normalise_url(&input.url)?;
        let code = input.code.trim();
        if code.is_empty() {
            return Err(PosError::InvalidInput("enter the enrolment code".into()));
        }
        let pin = parse_pin(&input.cert_sha256)?;
        if pin.is_some() && !url.starts_with("https://") {
            return Err(PosError::InvalidInput("a pinned certificate needs an https:// address".into()));
        }
        let ca = parse_ca(&input.ca_pem)?;
        let pinned_cert = match pin.as_deref().map(till_client::CertPin::parse) {
            Some(Ok(p)) => Some(p),
            Some(Err(e)) => return Err(PosError::InvalidInput(e.to_string())),
            None => None,
        };
        let trust = Trust { trusted_roots_pem: ca.map(String::into_bytes), pinned_cert };
        let enrolled = exchange(&url, &trust, code).map_err(enrol_error)?;
        tracing::info!(terminal_id = %enrolled.terminal_id, %url, "enrolled with a one-time code");
        self.sync_settings_set(
            token,
            SyncSettingsInput {
                sales_url: url,
                refunds_url: String::new(),
                points_url: String::new(),
                payments_url: String::new(),
                terminal_id: enrolled.terminal_id,
                secret: hex::encode(enrolled.secret.bytes()),
                cert_sha256: input.cert_sha256,
                ca_pem: input.ca_pem,
            },
        )
    }
}
