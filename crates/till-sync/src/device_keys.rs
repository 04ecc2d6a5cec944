//! The device identifier key on the sending side: a sold device's identifier never leaves the
//! till in clear (docs/device-services.md). The outbox keeps what the till recorded; when an
//! event naming a device is sent for the first time, its identifier becomes its blind (and,
//! where the server keeps it, its sealed form) under the platform's device identifier key.
//!
//! The key comes from the till (till-pos fetches it from the platform and keeps it sealed); the
//! worker asks its [`DeviceKeys`] source once per round, before it claims anything (the source
//! may read and write the till's database, which the claim's transaction holds). Without it an
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

/// Where the platform hands out the device identifier key, wrapped for the asking terminal.
pub const KEY_PATH: &str = "/v1/device-services/key";

/// Asks the platform for its device identifier key with one signed call (`client`, as
/// `terminal_id` whose signing secret is `secret`) and unwraps it; the answer must verify
/// (till-client) and the key must unwrap under this terminal's secret, or nothing is returned.
pub fn fetch_key(
    client: &till_client::Client,
    terminal_id: &str,
    secret: &[u8],
    now_unix: i64,
    rng: &mut dyn RngCore,
) -> Result<DeviceIdentifierKey, String> {
    let answer = client.send("GET", KEY_PATH, b"", None, now_unix, rng).map_err(|e| e.to_string())?;
    if answer.status != 200 {
        return Err(format!("the platform answered HTTP {}", answer.status));
    }
    let r: till_api::device_services::DeviceKeyResponse =
        till_api::from_json(&answer.body).map_err(|e| e.to_string())?;
    DeviceIdentifierKey::unwrap_from(&r.wrapped, &r.key_id, terminal_id, secret)
        .map_err(|e| format!("the key does not unwrap for this terminal: {e}"))
}

/// The till's source of the device identifier key.
#[derive(Clone)]
pub struct DeviceKeys(pub KeySource);

impl std::fmt::Debug for DeviceKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("DeviceKeys(..)")
    }
}

/// Blinds and seals identifiers while events are prepared, and remembers whether an event had
/// to wait for the key.
pub struct Blinder<'a> {
    key: Option<DeviceIdentifierKey>,
    rng: Option<&'a mut dyn RngCore>,
    /// Whether an event waited for the key.
    pub waited: bool,
}

impl<'a> Blinder<'a> {
    /// A blinder with `key` (`None`: events naming a device wait), sealing with nonces from
    /// `rng`.
    pub fn new(key: Option<DeviceIdentifierKey>, rng: &'a mut dyn RngCore) -> Blinder<'a> {
        Blinder { key, rng: Some(rng), waited: false }
    }

    /// A blinder without a key: every event naming a device waits.
    pub fn without_key() -> Blinder<'static> {
        Blinder { key: None, rng: None, waited: false }
    }

    fn key(&mut self) -> Result<&DeviceIdentifierKey, NotPrepared> {
        match self.key.as_ref() {
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
        let key = self.key.as_ref().ok_or(NotPrepared::Wait(WAITING_FOR_KEY.into()))?;
        let rng = self.rng.as_deref_mut().ok_or(NotPrepared::Wait(WAITING_FOR_KEY.into()))?;
        let sealed = key.seal(id.as_str(), rng).map_err(|e| NotPrepared::Park(e.to_string()))?;
        Ok((key.blind(id.as_str()), sealed))
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
