//! The platform's device identifier key at the till (docs/device-services.md): a sold device's
//! IMEI or serial number never crosses the network in clear; it is named by its blind and, where
//! the server keeps it, sealed, both under this key.
//!
//! The till fetches the key with a signed `GET /v1/device-services/key`; the answer holds it
//! wrapped under a key derived with HKDF from this terminal's signing secret, so an observer of
//! the traffic learns nothing. It is kept sealed in the till's [`SecretBox`] (setting
//! `device_services.key`, bound to the server and terminal it came from) and in memory. Without
//! it the till fails closed: a device lookup at the platform is refused with
//! `device_key_missing`, and events naming a device wait in the outbox (a sale is never lost).

use crate::admin::secrets::SecretBox;
use crate::error::{PosError, Result};
use crate::mutex::lock;
use crate::sync::server_call::COUNTER_TIMEOUT;
use crate::sync::settings::SyncCredentials;
use rand::rngs::StdRng;
use serde::{Deserialize, Serialize};
use std::sync::{Arc, Mutex};
use till_core::{Clock, DeviceIdentifierKey};
use till_store::Store;

/// The setting holding the sealed key.
pub const SETTING: &str = "device_services.key";
/// The SecretBox purpose of the sealed key.
const PURPOSE: &str = "device-identifier-key";
/// How often the worker may ask the platform while the key is missing (the counter asks at
/// once, when a cashier needs it).
const RETRY_MS: i64 = 30_000;

/// What the setting holds: the sealed key and where it came from.
#[derive(Debug, Serialize, Deserialize)]
struct Stored {
    url: String,
    terminal_id: String,
    key_id: String,
    sealed_hex: String,
}

/// The key, its sealed copy and how to fetch it, for one set of server settings.
pub struct DeviceKeyHolder {
    store: Arc<Store>,
    secrets: Arc<SecretBox>,
    creds: SyncCredentials,
    clock: Arc<dyn Clock>,
    rng: Mutex<StdRng>,
    key: Mutex<Option<DeviceIdentifierKey>>,
    last_fetch_ms: Mutex<Option<i64>>,
}

impl std::fmt::Debug for DeviceKeyHolder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DeviceKeyHolder").finish_non_exhaustive()
    }
}

impl DeviceKeyHolder {
    /// A holder for the server settings `creds`.
    pub fn new(
        store: Arc<Store>,
        secrets: Arc<SecretBox>,
        creds: SyncCredentials,
        clock: Arc<dyn Clock>,
        rng: StdRng,
    ) -> DeviceKeyHolder {
        DeviceKeyHolder {
            store,
            secrets,
            creds,
            clock,
            rng: Mutex::new(rng),
            key: Mutex::new(None),
            last_fetch_ms: Mutex::new(None),
        }
    }

    /// The key: in memory, else sealed in the settings, else fetched from the platform (at
    /// once when `now` is true, otherwise at most every 30 s).
    pub fn get(&self, now: bool) -> Result<DeviceIdentifierKey> {
        if let Some(k) = lock(&self.key).as_ref() {
            return Ok(k.clone());
        }
        if let Some(k) = self.load()? {
            *lock(&self.key) = Some(k.clone());
            return Ok(k);
        }
        let t = self.clock.now_ms();
        {
            let mut last = lock(&self.last_fetch_ms);
            if !now && last.is_some_and(|l| t - l < RETRY_MS) {
                return Err(PosError::DeviceKeyMissing("the platform has not given it yet".into()));
            }
            *last = Some(t);
        }
        let k = self.fetch()?;
        self.save(&k)?;
        *lock(&self.key) = Some(k.clone());
        tracing::info!(key_id = %k.id(), "device identifier key received from the platform");
        Ok(k)
    }

    /// Whether this holder is for these server settings.
    pub fn serves(&self, creds: &SyncCredentials) -> bool {
        creds.urls == self.creds.urls && creds.terminal_id == self.creds.terminal_id
    }

    fn url(&self) -> &str {
        self.creds.urls.get(crate::ipc::sync::Service::Sales)
    }

    fn load(&self) -> Result<Option<DeviceIdentifierKey>> {
        let Some(text) = self.store.setting(SETTING)? else { return Ok(None) };
        let Ok(s) = serde_json::from_str::<Stored>(&text) else { return Ok(None) };
        // A key from another server or terminal is not this platform's.
        if s.url != self.url() || s.terminal_id != self.creds.terminal_id {
            return Ok(None);
        }
        let sealed = hex::decode(&s.sealed_hex).map_err(|_| PosError::SecretUnreadable(PURPOSE.into()))?;
        let bytes = self.secrets.open(PURPOSE, &sealed)?;
        let bytes = <[u8; 32]>::try_from(&bytes[..]).map_err(|_| PosError::SecretUnreadable(PURPOSE.into()))?;
        let key = DeviceIdentifierKey::from_bytes(bytes);
        Ok((key.id() == s.key_id).then_some(key))
    }

    fn save(&self, k: &DeviceIdentifierKey) -> Result<()> {
        let mut bytes = k.to_bytes();
        let sealed = self.secrets.seal(PURPOSE, &bytes);
        crate::admin::secrets::wipe(&mut bytes);
        let stored = Stored {
            url: self.url().to_string(),
            terminal_id: self.creds.terminal_id.clone(),
            key_id: k.id().to_string(),
            sealed_hex: hex::encode(sealed),
        };
        let text = serde_json::to_string(&stored).map_err(|e| PosError::Internal(e.to_string()))?;
        self.store.set_setting(SETTING, &text)?;
        Ok(())
    }

    /// One signed call ([`till_sync::device_keys::fetch_key`]).
    fn fetch(&self) -> Result<DeviceIdentifierKey> {
        let mut config = self.creds.config_for(crate::ipc::sync::Service::Sales);
        config.connect_timeout = COUNTER_TIMEOUT;
        config.request_timeout = COUNTER_TIMEOUT;
        let client = till_client::Client::new(&config).map_err(|e| PosError::DeviceKeyMissing(e.to_string()))?;
        let now = self.clock.now_ms().div_euclid(1000);
        till_sync::device_keys::fetch_key(
            &client,
            &self.creds.terminal_id,
            self.creds.secret.bytes(),
            now,
            &mut *lock(&self.rng),
        )
        .map_err(PosError::DeviceKeyMissing)
    }
}

/// The worker's source of the key: never waits on the platform more than every 30 s.
pub fn worker_source(holder: Arc<DeviceKeyHolder>) -> till_sync::DeviceKeys {
    till_sync::DeviceKeys(Arc::new(move || match holder.get(false) {
        Ok(k) => Some(k),
        Err(e) => {
            tracing::debug!("device identifier key not available to the sync worker: {e}");
            None
        }
    }))
}
