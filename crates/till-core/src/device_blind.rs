//! The device identifier key (CN103310370A: "the identifier may be encrypted before it is
//! sent"): how a sold device's IMEI or serial number crosses the network without an observer
//! learning it.
//!
//! The platform (till-server) holds one random 32-byte key. From it, with HKDF-SHA256, come two
//! keys of their own:
//!
//! - the **blind** key: a device is named on the wire by `HMAC-SHA256(blind key, identifier)`
//!   (64 lower-case hex digits). The same identifier always gives the same blind, so the server
//!   keeps its sold-data list, refunds, repairs and software updates under it and finds them
//!   again; without the key a blind cannot be tested against guesses (an IMEI has only ~10^14
//!   values, which a plain hash would give away).
//! - the **seal** key: where the server must know the value (a seller reading a refund, the
//!   staff reading a repair), the identifier also travels sealed with AES-256-GCM under a random
//!   96-bit nonce, with the blind as associated data, so a sealed value names one device only.
//!
//! A till gets the key from the platform wrapped ([`DeviceIdentifierKey::wrap_for`]): sealed with
//! AES-256-GCM under a key derived with HKDF from the terminal's own signing secret, which only
//! that till and the server hold. The identifier is always normalised first
//! ([`crate::DeviceIdentifier`]: upper case, no spaces or hyphens).

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use hkdf::Hkdf;
use hmac::{Hmac, Mac};
use rand::RngCore;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

/// Length of a blind: 64 hex digits (HMAC-SHA256).
pub const BLIND_LEN: usize = 64;
const SEALED_PREFIX: &str = "d1.";
const WRAPPED_PREFIX: &str = "w1.";
const NONCE_LEN: usize = 12;
const TAG_LEN: usize = 16;

/// Why a sealed identifier or a wrapped key did not open.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DeviceKeyError {
    /// Not in the sealed (`d1.`) or wrapped (`w1.`) form.
    #[error("malformed {0}")]
    Malformed(&'static str),
    /// The tag did not match: another key, another row, or altered bytes.
    #[error("the {0} does not open under this key")]
    DoesNotOpen(&'static str),
    /// The sealed identifier opened but is not the device its blind names.
    #[error("the sealed identifier is not the device its blind names")]
    BlindMismatch,
    /// AES-GCM refused to seal (only a message over 64 GiB can make it).
    #[error("the {0} could not be sealed")]
    DoesNotSeal(&'static str),
}

/// The platform's device identifier key.
pub struct DeviceIdentifierKey {
    key: [u8; 32],
    blind_key: [u8; 32],
    seal: Aes256Gcm,
    id: String,
}

impl Clone for DeviceIdentifierKey {
    fn clone(&self) -> Self {
        DeviceIdentifierKey::from_bytes(self.key)
    }
}

impl std::fmt::Debug for DeviceIdentifierKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never the key itself.
        f.debug_struct("DeviceIdentifierKey").field("id", &self.id).finish_non_exhaustive()
    }
}

impl Drop for DeviceIdentifierKey {
    fn drop(&mut self) {
        self.key.iter_mut().chain(self.blind_key.iter_mut()).for_each(|b| *b = 0);
        std::hint::black_box(&self.key);
    }
}

fn expand(key: &[u8], info: &[u8]) -> [u8; 32] {
    let mut out = [0u8; 32];
    // 32 bytes is far below HKDF-SHA256's limit (255 × 32): expand cannot fail.
    let _ = Hkdf::<Sha256>::new(None, key).expand(info, &mut out);
    out
}

fn encode(prefix: &str, nonce: &[u8], sealed: &[u8]) -> String {
    let mut bytes = Vec::with_capacity(nonce.len() + sealed.len());
    bytes.extend_from_slice(nonce);
    bytes.extend_from_slice(sealed);
    format!("{prefix}{}", URL_SAFE_NO_PAD.encode(bytes))
}

fn decode<'a>(text: &'a str, prefix: &str, what: &'static str) -> Result<Vec<u8>, DeviceKeyError> {
    let body: &'a str = text.strip_prefix(prefix).ok_or(DeviceKeyError::Malformed(what))?;
    let bytes = URL_SAFE_NO_PAD.decode(body).map_err(|_| DeviceKeyError::Malformed(what))?;
    if bytes.len() < NONCE_LEN + TAG_LEN {
        return Err(DeviceKeyError::Malformed(what));
    }
    Ok(bytes)
}

/// The key that wraps the device key for one terminal: HKDF-SHA256 of its signing secret, bound
/// to its id.
fn wrapping_cipher(terminal_id: &str, terminal_secret: &[u8]) -> Aes256Gcm {
    let mut info = b"till device identifier key wrap v1\0".to_vec();
    info.extend_from_slice(terminal_id.as_bytes());
    let mut k = expand(terminal_secret, &info);
    let cipher = Aes256Gcm::new((&k).into());
    k.iter_mut().for_each(|b| *b = 0);
    cipher
}

/// Whether `text` has the form of a blind (64 lower-case hex digits).
pub fn is_blind(text: &str) -> bool {
    text.len() == BLIND_LEN && text.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

impl DeviceIdentifierKey {
    /// The key from its 32 bytes.
    pub fn from_bytes(key: [u8; 32]) -> DeviceIdentifierKey {
        let blind_key = expand(&key, b"till device identifier blind v1");
        let mut seal_key = expand(&key, b"till device identifier seal v1");
        let seal = Aes256Gcm::new((&seal_key).into());
        seal_key.iter_mut().for_each(|b| *b = 0);
        let mut h = Sha256::new();
        h.update(b"till device identifier key id v1\0");
        h.update(key);
        let id = hex::encode(&h.finalize()[..8]);
        DeviceIdentifierKey { key, blind_key, seal, id }
    }

    /// A new random key.
    pub fn generate(rng: &mut dyn RngCore) -> DeviceIdentifierKey {
        let mut key = [0u8; 32];
        rng.fill_bytes(&mut key);
        DeviceIdentifierKey::from_bytes(key)
    }

    /// The 32 bytes, to be sealed at rest by their holder.
    pub fn to_bytes(&self) -> [u8; 32] {
        self.key
    }

    /// A public fingerprint (16 hex digits) that says which key a till holds.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// The blind of a normalised identifier: HMAC-SHA256 under the blind key, 64 hex digits.
    pub fn blind(&self, normalised: &str) -> String {
        // HMAC pads a key shorter than its block with zeros: the 32-byte key, padded to the
        // 64-byte block, is the same key, taken by the constructor that cannot fail.
        let mut block = [0u8; 64];
        block[..32].copy_from_slice(&self.blind_key);
        let mut mac = <Hmac<Sha256> as KeyInit>::new(&block.into());
        mac.update(normalised.as_bytes());
        hex::encode(mac.finalize().into_bytes())
    }

    /// The identifier sealed for the server: `d1.` + base64url(nonce || ciphertext || tag), the
    /// blind as associated data, under a fresh random nonce from `rng`.
    pub fn seal(&self, normalised: &str, rng: &mut dyn RngCore) -> Result<String, DeviceKeyError> {
        let blind = self.blind(normalised);
        let mut nonce = [0u8; NONCE_LEN];
        rng.fill_bytes(&mut nonce);
        let sealed = self
            .seal
            .encrypt(Nonce::from_slice(&nonce), Payload { msg: normalised.as_bytes(), aad: blind.as_bytes() })
            .map_err(|_| DeviceKeyError::DoesNotSeal("identifier"))?;
        Ok(encode(SEALED_PREFIX, &nonce, &sealed))
    }

    /// Opens a sealed identifier and checks that it is the device `blind` names.
    pub fn open(&self, sealed: &str, blind: &str) -> Result<String, DeviceKeyError> {
        let bytes = decode(sealed, SEALED_PREFIX, "sealed identifier")?;
        let (nonce, body) = bytes.split_at(NONCE_LEN);
        let plain = self
            .seal
            .decrypt(Nonce::from_slice(nonce), Payload { msg: body, aad: blind.as_bytes() })
            .map_err(|_| DeviceKeyError::DoesNotOpen("sealed identifier"))?;
        let text = String::from_utf8(plain).map_err(|_| DeviceKeyError::Malformed("sealed identifier"))?;
        if !bool::from(self.blind(&text).as_bytes().ct_eq(blind.as_bytes())) {
            return Err(DeviceKeyError::BlindMismatch);
        }
        Ok(text)
    }

    /// The key wrapped for one terminal: sealed under HKDF(its secret), the terminal id and the
    /// key's id as associated data, under a fresh random nonce.
    pub fn wrap_for(
        &self,
        terminal_id: &str,
        terminal_secret: &[u8],
        rng: &mut dyn RngCore,
    ) -> Result<String, DeviceKeyError> {
        let mut nonce = [0u8; NONCE_LEN];
        rng.fill_bytes(&mut nonce);
        let aad = format!("{terminal_id}\0{}", self.id);
        let sealed = wrapping_cipher(terminal_id, terminal_secret)
            .encrypt(Nonce::from_slice(&nonce), Payload { msg: &self.key, aad: aad.as_bytes() })
            .map_err(|_| DeviceKeyError::DoesNotSeal("key"))?;
        Ok(encode(WRAPPED_PREFIX, &nonce, &sealed))
    }

    /// Unwraps a key the platform wrapped for this terminal; `key_id` is the id it announced.
    pub fn unwrap_from(
        wrapped: &str,
        key_id: &str,
        terminal_id: &str,
        terminal_secret: &[u8],
    ) -> Result<DeviceIdentifierKey, DeviceKeyError> {
        let bytes = decode(wrapped, WRAPPED_PREFIX, "wrapped key")?;
        let (nonce, body) = bytes.split_at(NONCE_LEN);
        let aad = format!("{terminal_id}\0{key_id}");
        let mut plain = wrapping_cipher(terminal_id, terminal_secret)
            .decrypt(Nonce::from_slice(nonce), Payload { msg: body, aad: aad.as_bytes() })
            .map_err(|_| DeviceKeyError::DoesNotOpen("wrapped key"))?;
        let key = <[u8; 32]>::try_from(plain.as_slice()).map_err(|_| DeviceKeyError::Malformed("wrapped key"));
        plain.iter_mut().for_each(|b| *b = 0);
        let key = DeviceIdentifierKey::from_bytes(key?);
        if key.id() != key_id {
            return Err(DeviceKeyError::DoesNotOpen("wrapped key"));
        }
        Ok(key)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::rngs::StdRng;
    use rand::SeedableRng;

    const IMEI: &str = "490154203237518";

    fn key(b: u8) -> DeviceIdentifierKey {
        DeviceIdentifierKey::from_bytes([b; 32])
    }

    #[test]
    fn a_blind_is_stable_keyed_and_reveals_no_digits() {
        let k = key(1);
        // The zero-padded block key is HMAC's own padding of the 32-byte key.
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&k.blind_key).unwrap();
        mac.update(IMEI.as_bytes());
        assert_eq!(k.blind(IMEI), hex::encode(mac.finalize().into_bytes()));
        let b = k.blind(IMEI);
        assert!(is_blind(&b));
        assert_eq!(b, k.blind(IMEI), "the server must find the device again");
        assert_ne!(b, key(2).blind(IMEI), "another platform's key gives another blind");
        assert_ne!(b, k.blind("490154203237526"));
        // Not a plain hash: without the key nobody can test guesses.
        assert_ne!(b, hex::encode(Sha256::digest(IMEI)));
        assert!(!b.contains(IMEI));
    }

    #[test]
    fn a_sealed_identifier_opens_only_for_its_blind_and_key() {
        let k = key(1);
        let mut rng = StdRng::seed_from_u64(7);
        let s1 = k.seal(IMEI, &mut rng).unwrap();
        let s2 = k.seal(IMEI, &mut rng).unwrap();
        assert_ne!(s1, s2, "a random nonce each time");
        assert!(!s1.contains(IMEI));
        let blind = k.blind(IMEI);
        assert_eq!(k.open(&s1, &blind).unwrap(), IMEI);
        let other = k.blind("490154203237526");
        assert!(matches!(k.open(&s1, &other), Err(DeviceKeyError::DoesNotOpen(_))));
        assert!(key(2).open(&s1, &blind).is_err());
        assert!(matches!(k.open("x", &blind), Err(DeviceKeyError::Malformed(_))));
        // A sealed value of another device moved under this blind is refused, even sealed with
        // the right associated data by someone holding the key (a till lying about the pair).
        let mut n = [9u8; NONCE_LEN];
        rng.fill_bytes(&mut n);
        let forged = encode(
            SEALED_PREFIX,
            &n,
            &k.seal.encrypt(Nonce::from_slice(&n), Payload { msg: b"490154203237526", aad: blind.as_bytes() }).unwrap(),
        );
        assert_eq!(k.open(&forged, &blind), Err(DeviceKeyError::BlindMismatch));
    }

    #[test]
    fn a_wrapped_key_opens_only_for_its_terminal() {
        let k = key(3);
        let mut rng = StdRng::seed_from_u64(1);
        let secret = [5u8; 32];
        let w = k.wrap_for("t_1", &secret, &mut rng).unwrap();
        assert!(!w.contains(&hex::encode(k.to_bytes())));
        let back = DeviceIdentifierKey::unwrap_from(&w, k.id(), "t_1", &secret).unwrap();
        assert_eq!(back.blind(IMEI), k.blind(IMEI));
        assert!(DeviceIdentifierKey::unwrap_from(&w, k.id(), "t_2", &secret).is_err());
        assert!(DeviceIdentifierKey::unwrap_from(&w, k.id(), "t_1", &[6u8; 32]).is_err());
        assert!(DeviceIdentifierKey::unwrap_from(&w, "0000000000000000", "t_1", &secret).is_err());
        assert!(!format!("{k:?}").contains(&hex::encode(k.to_bytes())));
    }
}
