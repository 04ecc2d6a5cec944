//! The payment platform key: 32 bytes the installer sets, under which a clear-text reader's
//! card data is encrypted the moment it is read, and from which the PIN block key is derived.
//!
//! At rest it is sealed with the till's [`SecretBox`] (purpose `payment-platform-key`) and kept
//! in the `settings` table as hex; in memory it sits in a [`PlatformKeySlot`] shared with the
//! authoriser. Nobody can read it back: [`PlatformKeyStatus`] shows whether it is set and a
//! fingerprint (the first 8 bytes of SHA-256 over a label and the key), never the key.
//!
//! Card data sealed under it: AES-256-GCM with a random 96-bit nonce, under a key derived with
//! HKDF-SHA256 (`info = "till/card-data/aes-256-gcm/v1"`), the plaintext `PAN=YYMM` and the
//! payment id as associated data, so a ciphertext cannot be replayed under another payment.

use crate::admin::permissions::Command;
use crate::admin::secrets::{wipe, SecretBox, SecretBytes};
use crate::error::{PosError, Result};
use crate::ipc::sale::PlatformKeyStatus;
use crate::sale::card::pin_block::PinKey;
use crate::Pos;
use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use hkdf::Hkdf;
use rand::RngCore;
use serde_json::json;
use sha2::{Digest, Sha256};
use std::fmt;
use std::sync::RwLock;
use till_core::SessionToken;
use till_devices::SecretPan;
/// The `SecretBox` purpose the key is sealed for.
pub const PURPOSE: &str = "payment-platform-key";
const SETTING: &str = "payment_platform_key_sealed";
const CARD_DATA_INFO: &[u8] = b"till/card-data/aes-256-gcm/v1";
const CARD_DATA_AAD: &str = "till/card-data/v1|";

/// The key a demo till starts with: till-server's default `sandbox.platform_key` (public).
pub const DEMO_KEY_HEX: &str = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";

/// The payment platform key, in memory.
#[derive(Clone)]
pub struct PlatformKey(SecretBytes);

impl fmt::Debug for PlatformKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PlatformKey({})", self.fingerprint())
    }
}

impl PlatformKey {
    /// Parses 64 hex digits (spaces and colons between them are allowed, as installers copy
    /// keys from printed sheets). An all-zero key is refused.
    pub fn from_hex(text: &str) -> Result<PlatformKey> {
        let bad = || PosError::InvalidInput("the payment platform key is 64 hex digits (32 bytes)".into());
        let mut digits: String = text.chars().filter(|c| !c.is_whitespace() && *c != ':').collect();
        let decoded = hex::decode(&digits);
        // The hex text is the key too; do not leave it lying around.
        let mut raw = std::mem::take(&mut digits).into_bytes();
        wipe(&mut raw);
        let bytes = SecretBytes::new(decoded.map_err(|_| bad())?);
        if bytes.len() != 32 {
            return Err(bad());
        }
        if bytes.iter().all(|b| *b == 0) {
            return Err(PosError::InvalidInput("an all-zero payment platform key is not a key".into()));
        }
        Ok(PlatformKey(bytes))
    }

    /// 32 random bytes.
    pub fn random(rng: &mut dyn RngCore) -> PlatformKey {
        let mut bytes = vec![0u8; 32];
        rng.fill_bytes(&mut bytes);
        PlatformKey(SecretBytes::new(bytes))
    }

    /// A fingerprint to compare with the platform's records: 16 hex digits, grouped by four.
    pub fn fingerprint(&self) -> String {
        let digest =
            Sha256::new().chain_update(b"till payment platform key fingerprint\0").chain_update(&*self.0).finalize();
        let h = hex::encode_upper(&digest[..8]);
        format!("{}-{}-{}-{}", &h[0..4], &h[4..8], &h[8..12], &h[12..16])
    }

    fn derive(&self, info: &[u8]) -> Result<SecretBytes> {
        let mut okm = SecretBytes::zeroed(32);
        Hkdf::<Sha256>::new(None, &self.0)
            .expand(info, okm.bytes_mut())
            .map_err(|_| PosError::Internal("key derivation failed".into()))?;
        Ok(okm)
    }

    /// The key as hex, for a test's sandbox configuration.
    #[cfg(test)]
    pub(crate) fn test_hex(&self) -> String {
        hex::encode(&*self.0)
    }

    /// The key for ISO 9564 format 4 PIN blocks.
    pub fn pin_key(&self) -> Result<PinKey> {
        PinKey::derive(&self.0)
    }

    fn card_cipher(&self) -> Result<Aes256Gcm> {
        let key = self.derive(CARD_DATA_INFO)?;
        Aes256Gcm::new_from_slice(&key).map_err(|_| PosError::Internal("card data key has the wrong size".into()))
    }

    /// Encrypts a clear-text reader's card data (PAN and expiry, nothing else of the tracks)
    /// for `payment_id`.
    pub fn encrypt_card(
        &self,
        payment_id: &str,
        pan: &SecretPan,
        expiry: &str,
        rng: &mut dyn RngCore,
    ) -> Result<EncryptedCardData> {
        let mut nonce = [0u8; 12];
        rng.fill_bytes(&mut nonce);
        let mut plaintext = format!("{}={expiry}", pan.expose()).into_bytes();
        let aad = format!("{CARD_DATA_AAD}{payment_id}");
        let sealed =
            self.card_cipher()?.encrypt(Nonce::from_slice(&nonce), Payload { msg: &plaintext, aad: aad.as_bytes() });
        wipe(&mut plaintext);
        let ciphertext = sealed.map_err(|_| PosError::Internal("card data encryption failed".into()))?;
        Ok(EncryptedCardData { nonce, ciphertext })
    }

    /// What the payment platform does with [`PlatformKey::encrypt_card`]'s output: the card
    /// number and expiry. The stand-in authoriser needs it to play the platform.
    pub fn decrypt_card(&self, payment_id: &str, data: &EncryptedCardData) -> Result<(SecretPan, String)> {
        let aad = format!("{CARD_DATA_AAD}{payment_id}");
        let unreadable = || PosError::InvalidInput("the encrypted card data does not decrypt".into());
        let plain = self
            .card_cipher()?
            .decrypt(Nonce::from_slice(&data.nonce), Payload { msg: &data.ciphertext, aad: aad.as_bytes() })
            .map(SecretBytes::new)
            .map_err(|_| unreadable())?;
        let text = std::str::from_utf8(&plain).map_err(|_| unreadable())?;
        let (pan, expiry) = text.split_once('=').ok_or_else(unreadable)?;
        Ok((SecretPan::new(pan.to_string()), expiry.to_string()))
    }
}

/// Card data encrypted under the payment platform key. `Debug` shows only its length.
#[derive(Clone, PartialEq, Eq)]
pub struct EncryptedCardData {
    /// The random 96-bit GCM nonce.
    pub nonce: [u8; 12],
    /// Ciphertext and tag.
    pub ciphertext: Vec<u8>,
}

impl fmt::Debug for EncryptedCardData {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "EncryptedCardData(<{} bytes>)", self.ciphertext.len())
    }
}

/// The key in memory, shared by the till and its authoriser; empty until the installer sets it.
#[derive(Default)]
pub struct PlatformKeySlot(RwLock<Option<PlatformKey>>);

impl PlatformKeySlot {
    /// The key, if set.
    pub fn get(&self) -> Option<PlatformKey> {
        self.0.read().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// The key, or the error that tells the installer to set it.
    pub fn require(&self) -> Result<PlatformKey> {
        self.get().ok_or_else(|| crate::error::PaymentError::PlatformKeyMissing.into())
    }

    pub(crate) fn put(&self, key: Option<PlatformKey>) {
        *self.0.write().unwrap_or_else(|p| p.into_inner()) = key;
    }
}

impl PlatformKeyStatus {
    fn of(key: Option<&PlatformKey>) -> Self {
        PlatformKeyStatus { set: key.is_some(), fingerprint: key.map(PlatformKey::fingerprint) }
    }
}

/// Reads the sealed key from the settings into `slot`; a demo till without one gets
/// [`DEMO_KEY_HEX`], so card payments work out of the box, with the stand-in or the local sandbox.
pub(crate) fn load(pos: &Pos, secrets: &SecretBox, slot: &PlatformKeySlot) -> Result<()> {
    if let Some(sealed_hex) = pos.store.setting(SETTING)? {
        let sealed = hex::decode(sealed_hex).map_err(|_| PosError::SecretUnreadable(PURPOSE.into()))?;
        let bytes = secrets.open(PURPOSE, &sealed)?;
        if bytes.len() != 32 {
            return Err(PosError::SecretUnreadable(PURPOSE.into()));
        }
        slot.put(Some(PlatformKey(bytes)));
    } else if pos.demo {
        // The public sandbox key of till-server's default configuration, so that `make run`'s
        // local till-server can decrypt the demo till's cards. It protects nothing, like the
        // sandbox itself; a real till gets its key from the installer.
        let key = PlatformKey::from_hex(DEMO_KEY_HEX)?;
        store(pos, secrets, &key, None, "demo")?;
        tracing::info!(fingerprint = %key.fingerprint(), "demo mode: set the sandbox's public payment platform key");
        slot.put(Some(key));
    }
    Ok(())
}

fn store(pos: &Pos, secrets: &SecretBox, key: &PlatformKey, actor: Option<i64>, how: &str) -> Result<()> {
    let sealed = hex::encode(secrets.seal(PURPOSE, &key.0));
    let now = pos.now_ms();
    pos.store.write(|tx| {
        till_store::settings::put(tx, SETTING, &sealed)?;
        till_store::audit::append(
            tx,
            now,
            actor,
            "platform_key.set",
            &json!({ "fingerprint": key.fingerprint(), "by": how }),
        )
    })?;
    Ok(())
}

impl Pos {
    /// Sets the payment platform key (installers only): 64 hex digits. The old key is replaced;
    /// a payment whose card was read under the old key must be started again.
    pub fn platform_key_set(&self, token: &SessionToken, hex_key: &str) -> Result<PlatformKeyStatus> {
        let s = self.authorize(token, Command::PlatformKeySet)?;
        let key = PlatformKey::from_hex(hex_key)?;
        store(self, &self.secrets, &key, Some(s.user_id), "installer")?;
        tracing::info!(fingerprint = %key.fingerprint(), "payment platform key set");
        let status = PlatformKeyStatus::of(Some(&key));
        self.sale.card_payments.keys.put(Some(key));
        Ok(status)
    }

    /// Whether the payment platform key is set, and its fingerprint.
    pub fn platform_key_status(&self, token: &SessionToken) -> Result<PlatformKeyStatus> {
        self.authorize(token, Command::PlatformKeyStatus)?;
        Ok(PlatformKeyStatus::of(self.sale.card_payments.keys.get().as_ref()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tests::{pos, CASHIER, INSTALLER, MANAGER};
    use crate::ErrorCode;
    use rand::rngs::StdRng;
    use rand::SeedableRng;

    const KEY: &str = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";

    #[test]
    fn installers_set_it_and_nobody_reads_it_back() {
        let (dir, _c, p) = pos();
        let demo = p.platform_key_status(&p.login(MANAGER, "2222").unwrap().token).unwrap();
        assert!(demo.set, "demo mode sets a key");
        let i = p.login(INSTALLER, "3333").unwrap().token;
        let status = p.platform_key_set(&i, &KEY.to_uppercase().replace("00", "00 ")).unwrap();
        assert!(status.set);
        assert_ne!(status.fingerprint, demo.fingerprint);
        assert_eq!(status.fingerprint.as_deref().map(str::len), Some(19));
        let json = serde_json::to_string(&status).unwrap();
        assert!(!json.to_lowercase().contains("00112233"), "{json}");
        let c = p.login(CASHIER, "1111").unwrap().token;
        assert_eq!(p.platform_key_set(&c, KEY).unwrap_err().code(), ErrorCode::Forbidden);
        assert_eq!(p.platform_key_status(&c).unwrap_err().code(), ErrorCode::Forbidden);
        drop(p);
        // sealed at rest: the key bytes are in no file, and it comes back after a restart
        let raw = hex::decode(KEY).unwrap();
        for e in std::fs::read_dir(dir.path()).unwrap() {
            let bytes = std::fs::read(e.unwrap().path()).unwrap();
            assert!(!bytes.windows(32).any(|w| w == raw.as_slice()));
            assert!(!bytes.windows(16).any(|w| w == &KEY.as_bytes()[..16]));
        }
        let p = crate::tests::reopen(&dir);
        let again = p.platform_key_status(&p.login(INSTALLER, "3333").unwrap().token).unwrap();
        assert_eq!(again.fingerprint, status.fingerprint);
    }

    #[test]
    fn the_demo_key_is_the_sandbox_key() {
        assert_eq!(DEMO_KEY_HEX, till_server::config::Config::default().sandbox.platform_key);
    }

    #[test]
    fn bad_keys_are_refused_and_change_nothing() {
        let (_d, _c, p) = pos();
        let i = p.login(INSTALLER, "3333").unwrap().token;
        let before = p.platform_key_status(&i).unwrap();
        for bad in ["", "abc", &KEY[..62], &format!("{KEY}00"), &"0".repeat(64), &KEY.replace('a', "g")] {
            assert_eq!(p.platform_key_set(&i, bad).unwrap_err().code(), ErrorCode::InvalidInput, "{bad:?}");
        }
        assert_eq!(p.platform_key_status(&i).unwrap().fingerprint, before.fingerprint);
    }

    #[test]
    fn card_data_is_bound_to_its_payment_and_key() {
        let key = PlatformKey::from_hex(KEY).unwrap();
        let mut rng = StdRng::seed_from_u64(1);
        let pan = SecretPan::new("4111111111111111".into());
        let data = key.encrypt_card("pay-1", &pan, "2812", &mut rng).unwrap();
        assert!(!data.ciphertext.windows(4).any(|w| w == b"4111"));
        assert_eq!(format!("{data:?}"), "EncryptedCardData(<37 bytes>)");
        let (back, expiry) = key.decrypt_card("pay-1", &data).unwrap();
        assert_eq!((back.expose(), expiry.as_str()), ("4111111111111111", "2812"));
        assert!(key.decrypt_card("pay-2", &data).is_err());
        let mut tampered = data.clone();
        tampered.ciphertext[0] ^= 1;
        assert!(key.decrypt_card("pay-1", &tampered).is_err());
        let other = PlatformKey::random(&mut rng);
        assert!(other.decrypt_card("pay-1", &data).is_err());
        assert_ne!(key.encrypt_card("pay-1", &pan, "2812", &mut rng).unwrap(), data, "fresh nonce");
        assert!(format!("{key:?}").starts_with("PlatformKey("));
        assert!(!format!("{key:?}").contains("0011"));
    }
}
