//! The device identifier key on the sending side: a sold device's identifier never leaves the
//! till in clear (docs/device-services.md). The outbox keeps what the till recorded; when an
//! event naming a device is sent for the first time, its identifier becomes its blind (and,
//! where the server keeps it, its sealed form) under the platform's device identifier key.
//!
//! The key comes from the till (till-pos fetches it from the platform and keeps it sealed); the
//! worker asks for it through a [`DeviceKeys`] source at most once per round. Without it an
//! event naming a device waits in the outbox ([`till_store::NotPrepared::Wait`]): the sale is
//! never lost, and nothing queued after it overtakes it.

use rand::RngCore;
use serde_json::Value;
use std::sync::Arc;
use till_core::{DeviceIdentifier, DeviceIdentifierKey};
use till_store::NotPrepared;

/// Why an event naming a device is not sent yet.
pub const WAITING_FOR_KEY: &str =
    "waiting for the platform's device identifier key: a device's identifier is never sent in clear";

/// Where the worker gets the key: `None` while the till does not have it.
pub type KeySource = Arc<dyn Fn() -> Option<DeviceIdentifierKey> + Send + Sync>;

/// The till's source of the device identifier key.
#[derive(Clone)]
pub struct DeviceKeys(pub KeySource);

impl std::fmt::Debug for DeviceKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("DeviceKeys(..)")
    }
}

/// Blinds and seals identifiers while events are prepared: asks the source once, on the first
/// event that needs the key, and remembers whether an event had to wait.
pub struct Blinder<'a> {
    source: Option<&'a DeviceKeys>,
    key: Option<Option<DeviceIdentifierKey>>,
    rng: Option<&'a mut dyn RngCore>,
    /// Whether an event waited for the key.
    pub waited: bool,
}

impl<'a> Blinder<'a> {
    /// A blinder over `source`, sealing with nonces from `rng`.
    pub fn new(source: Option<&'a DeviceKeys>, rng: &'a mut dyn RngCore) -> Blinder<'a> {
        Blinder { source, key: None, rng: Some(rng), waited: false }
    }

    /// A blinder without a key: every event naming a device waits.
    pub fn without_key() -> Blinder<'static> {
        Blinder { source: None, key: Some(None), rng: None, waited: false }
    }

    fn key(&mut self) -> Result<&DeviceIdentifierKey, NotPrepared> {
        if self.key.is_none() {
            self.key = Some(self.source.and_then(|s| (s.0)()));
        }
        match self.key.as_ref().and_then(Option::as_ref) {
            Some(k) => Ok(k),
            None => {
                self.waited = true;
                Err(NotPrepared::Wait(WAITING_FOR_KEY.into()))
            }
        }
    }

    /// The blind of an identifier as the till recorded it.
    pub fn blind(&mut self, identifier: &str) -> Result<String, NotPrepared> {
        let id = normalised(identifier)?;
        Ok(self.key()?.blind(id.as_str()))
    }

    /// The blind and the sealed form of an identifier.
    pub fn blind_and_seal(&mut self, identifier: &str) -> Result<(String, String), NotPrepared> {
        let id = normalised(identifier)?;
        self.key()?;
        let key = self.key.as_ref().and_then(Option::as_ref).ok_or(NotPrepared::Wait(WAITING_FOR_KEY.into()))?;
        let rng = self.rng.as_deref_mut().ok_or(NotPrepared::Wait(WAITING_FOR_KEY.into()))?;
        Ok((key.blind(id.as_str()), key.seal(id.as_str(), rng)))
    }
}

fn normalised(identifier: &str) -> Result<DeviceIdentifier, NotPrepared> {
    DeviceIdentifier::parse(identifier).map_err(|e| NotPrepared::Park(format!("the queued device identifier: {e}")))
}

/// A refund request body (`POST /v1/refunds`, `/v1/refunds/check`) with its `device_identifier`
/// replaced by `device_blind`; a body by line code is left as it is.
pub fn blind_refund_body(body: &mut Value, blinder: &mut Blinder<'_>) -> Result<(), NotPrepared> {
    let Some(obj) = body.as_object_mut() else { return Ok(()) };
    if let Some(Value::String(id)) = obj.get("device_identifier").cloned() {
        let blind = blinder.blind(&id)?;
        obj.remove("device_identifier");
        obj.insert("device_blind".into(), Value::String(blind));
    }
    Ok(())
}
