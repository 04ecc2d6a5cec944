//! Sessions: the key both sides derive after HELLO, and sealing and opening the payloads of data
//! messages with it.
//!
//! `session_key = HKDF-SHA256(ikm = K, salt = pos_nonce || term_nonce, info = "till-points-v1")`.
//! A sealed payload is `nonce (12 random bytes) || AES-256-GCM(session_key, nonce, plaintext,
//! aad = VER || SEQ || TYPE)`, so a payload moved to another SEQ or TYPE fails authentication.

use super::message::{kind, Body, Message};
use super::pairing::PairingKey;
use crate::DeviceError;
use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Key, Nonce};
use hkdf::Hkdf;
use rand::RngCore;
use sha2::Sha256;
use std::fmt;

/// The HKDF info string, which also names the protocol version.
pub const HKDF_INFO: &[u8] = b"till-points-v1";
/// Bytes a sealed payload adds: the 12-byte nonce and the 16-byte GCM tag.
pub const SEAL_OVERHEAD: usize = 28;

/// A session key. Its `Debug` does not print it.
#[derive(Clone)]
pub struct SessionKey([u8; 32]);

impl fmt::Debug for SessionKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SessionKey(..)")
    }
}

impl SessionKey {
    /// Derives the session key from K and both HELLO nonces.
    pub fn derive(k: &PairingKey, pos_nonce: &[u8; 16], term_nonce: &[u8; 16]) -> Self {
        let mut salt = [0u8; 32];
        salt[..16].copy_from_slice(pos_nonce);
        salt[16..].copy_from_slice(term_nonce);
        let hk = Hkdf::<Sha256>::new(Some(&salt), k.expose());
        let mut okm = [0u8; 32];
        // HKDF-SHA256 refuses only outputs over 8160 bytes; 32 always succeeds.
        let _ = hk.expand(HKDF_INFO, &mut okm);
        SessionKey(okm)
    }

    /// The key bytes (for tests against published vectors).
    pub fn expose(&self) -> &[u8; 32] {
        &self.0
    }

    /// Seals `plaintext` under `nonce` for the header `aad`: `nonce || ciphertext || tag`.
    pub fn seal(&self, nonce: [u8; 12], aad: &[u8; 4], plaintext: &[u8]) -> Result<Vec<u8>, DeviceError> {
        let cipher = Aes256Gcm::new(Key::<Aes256Gcm>::from_slice(&self.0));
        let ct = cipher
            .encrypt(Nonce::from_slice(&nonce), Payload { msg: plaintext, aad })
            .map_err(|_| DeviceError::PointsBadMessage { field: "payload", reason: "too long to seal".into() })?;
        let mut out = Vec::with_capacity(SEAL_OVERHEAD + plaintext.len());
        out.extend_from_slice(&nonce);
        out.extend_from_slice(&ct);
        Ok(out)
    }

    /// Opens a sealed payload; any change to it, its header or the key is
    /// [`DeviceError::PointsAuthFailed`].
    pub fn open(&self, aad: &[u8; 4], sealed: &[u8]) -> Result<Vec<u8>, DeviceError> {
        if sealed.len() < SEAL_OVERHEAD {
            return Err(DeviceError::PointsAuthFailed);
        }
        let (nonce, ct) = sealed.split_at(12);
        let cipher = Aes256Gcm::new(Key::<Aes256Gcm>::from_slice(&self.0));
        cipher.decrypt(Nonce::from_slice(nonce), Payload { msg: ct, aad }).map_err(|_| DeviceError::PointsAuthFailed)
    }
}

/// Builds the BODY for `msg` with sequence number `seq`, sealing the payload of data messages
/// with a fresh random nonce. Refuses to build a data message without a session key.
pub fn seal_body(
    msg: &Message,
    seq: u16,
    key: Option<&SessionKey>,
    rng: &mut dyn RngCore,
) -> Result<Vec<u8>, DeviceError> {
    let kind = msg.kind();
    let clear = msg.payload()?;
    let mut body = Body { seq, kind, payload: Vec::new() };
    body.payload = if kind::is_encrypted(kind) {
        let key = key.ok_or(DeviceError::PointsNotPaired)?;
        let mut nonce = [0u8; 12];
        rng.fill_bytes(&mut nonce);
        key.seal(nonce, &body.aad(), &clear)?
    } else {
        clear
    };
    Ok(body.encode())
}

/// Reads the message in `body`, opening a sealed payload with `key`.
pub fn open_body(body: &Body, key: Option<&SessionKey>) -> Result<Message, DeviceError> {
    if kind::is_encrypted(body.kind) {
        let key = key.ok_or(DeviceError::PointsAuthFailed)?;
        let clear = key.open(&body.aad(), &body.payload)?;
        Message::parse(body.kind, &clear)
    } else {
        Message::parse(body.kind, &body.payload)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::points::message::TerminalState;
    use proptest::prelude::*;
    use rand::rngs::StdRng;
    use rand::SeedableRng;

    fn hex(b: &[u8]) -> String {
        b.iter().map(|x| format!("{x:02x}")).collect()
    }

    #[test]
    fn hkdf_matches_rfc_5869_case_1() {
        // RFC 5869 test case 1 checks the HKDF construction itself (42-byte output).
        let ikm = [0x0b; 22];
        let salt: Vec<u8> = (0x00..=0x0c).collect();
        let info: Vec<u8> = (0xf0..=0xf9).collect();
        let mut okm = [0u8; 42];
        Hkdf::<Sha256>::new(Some(&salt), &ikm).expand(&info, &mut okm).unwrap();
        assert_eq!(hex(&okm), "3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865");
    }

    #[test]
    fn both_nonces_and_the_key_change_the_session_key() {
        let k = PairingKey::from_bytes([1; 32]);
        let base = SessionKey::derive(&k, &[2; 16], &[3; 16]);
        assert_ne!(base.expose(), SessionKey::derive(&k, &[9; 16], &[3; 16]).expose());
        assert_ne!(base.expose(), SessionKey::derive(&k, &[2; 16], &[9; 16]).expose());
        assert_ne!(base.expose(), SessionKey::derive(&PairingKey::from_bytes([9; 32]), &[2; 16], &[3; 16]).expose());
        assert_eq!(base.expose(), SessionKey::derive(&k, &[2; 16], &[3; 16]).expose());
    }

    #[test]
    fn a_sealed_body_round_trips_and_any_tampering_fails_authentication() {
        let key = SessionKey::derive(&PairingKey::from_bytes([1; 32]), &[2; 16], &[3; 16]);
        let mut rng = StdRng::seed_from_u64(7);
        let msg = Message::StatusR { state: TerminalState::Waiting };
        let bytes = seal_body(&msg, 5, Some(&key), &mut rng).unwrap();
        assert_eq!(bytes.len(), 4 + SEAL_OVERHEAD + 1);
        let body = Body::parse(&bytes).unwrap();
        assert_eq!(open_body(&body, Some(&key)).unwrap(), msg);

        for i in 4..bytes.len() {
            let mut t = body.clone();
            t.payload[i - 4] ^= 0x01;
            assert_eq!(open_body(&t, Some(&key)), Err(DeviceError::PointsAuthFailed), "byte {i}");
        }
        let moved_seq = Body { seq: 6, ..body.clone() };
        assert_eq!(open_body(&moved_seq, Some(&key)), Err(DeviceError::PointsAuthFailed));
        let moved_type = Body { kind: kind::DISPLAY_R, ..body.clone() };
        assert_eq!(open_body(&moved_type, Some(&key)), Err(DeviceError::PointsAuthFailed));
        let other = SessionKey::derive(&PairingKey::from_bytes([1; 32]), &[2; 16], &[4; 16]);
        assert_eq!(open_body(&body, Some(&other)), Err(DeviceError::PointsAuthFailed));
        assert_eq!(open_body(&body, None), Err(DeviceError::PointsAuthFailed));
    }

    #[test]
    fn nonces_are_fresh_per_message() {
        let key = SessionKey::derive(&PairingKey::from_bytes([1; 32]), &[2; 16], &[3; 16]);
        let mut rng = StdRng::seed_from_u64(1);
        let a = seal_body(&Message::Status, 1, Some(&key), &mut rng).unwrap();
        let b = seal_body(&Message::Status, 1, Some(&key), &mut rng).unwrap();
        assert_ne!(a[4..16], b[4..16]);
    }

    #[test]
    fn a_data_message_cannot_be_built_without_a_key_and_hello_stays_clear() {
        let mut rng = StdRng::seed_from_u64(1);
        assert_eq!(seal_body(&Message::Status, 1, None, &mut rng), Err(DeviceError::PointsNotPaired));
        let hello = seal_body(&Message::Hello { pos_nonce: [0xAA; 16] }, 0, None, &mut rng).unwrap();
        assert_eq!(hello, [&[1, 0, 0, 1][..], &[0xAA; 16]].concat());
    }

    proptest! {
        #[test]
        fn opening_arbitrary_payloads_never_panics(k in any::<u8>(), payload in proptest::collection::vec(any::<u8>(), 0..100)) {
            let key = SessionKey::derive(&PairingKey::from_bytes([1; 32]), &[2; 16], &[3; 16]);
            let body = Body { seq: 1, kind: k, payload };
            let _ = open_body(&body, Some(&key));
            let _ = open_body(&body, None);
        }
    }
}
