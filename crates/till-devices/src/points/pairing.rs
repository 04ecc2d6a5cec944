//! Pairing: the 32-byte key K the till gives a terminal while the installer holds its pairing
//! button, the terminal's proof that it took K, and what the till keeps (terminal id and K).

use crate::DeviceError;
use hmac::{Hmac, Mac};
use rand::RngCore;
use sha2::Sha256;
use std::fmt;

/// The pairing key K. Its `Debug` does not print it, so it cannot reach a log by accident.
#[derive(Clone, PartialEq, Eq)]
pub struct PairingKey([u8; 32]);

impl PairingKey {
    /// Wraps 32 key bytes (from the till's encrypted settings).
    pub fn from_bytes(bytes: [u8; 32]) -> Self {
        PairingKey(bytes)
    }

    /// A fresh random key.
    pub fn generate(rng: &mut dyn RngCore) -> Self {
        let mut k = [0u8; 32];
        rng.fill_bytes(&mut k);
        PairingKey(k)
    }

    /// The key bytes, for storing encrypted or deriving a session key.
    pub fn expose(&self) -> &[u8; 32] {
        &self.0
    }
}

impl Drop for PairingKey {
    fn drop(&mut self) {
        // Overwrite the key before its memory is reused; the black box keeps the compiler from
        // dropping the writes as dead stores.
        self.0 = [0; 32];
        std::hint::black_box(&self.0);
    }
}

impl fmt::Debug for PairingKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("PairingKey(..)")
    }
}

/// A terminal id: 16 ASCII characters, padded on the right with spaces.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct TerminalId([u8; 16]);

impl TerminalId {
    /// Pads `id` (at most 16 printable ASCII characters) to 16 bytes.
    pub fn new(id: &str) -> Result<Self, DeviceError> {
        if id.len() > 16 || !id.bytes().all(|b| (0x20..0x7F).contains(&b)) {
            return Err(DeviceError::PointsBadMessage {
                field: "terminal id",
                reason: "a terminal id is at most 16 printable ASCII characters".into(),
            });
        }
        let mut out = [b' '; 16];
        out[..id.len()].copy_from_slice(id.as_bytes());
        Ok(TerminalId(out))
    }

    /// An id from a literal the code itself spells out (printable ASCII, padded).
    pub(crate) const fn from_literal(bytes: [u8; 16]) -> Self {
        TerminalId(bytes)
    }

    /// Reads the 16 wire bytes, refusing anything but printable ASCII.
    pub fn from_wire(bytes: [u8; 16]) -> Result<Self, DeviceError> {
        if !bytes.iter().all(|b| (0x20..0x7F).contains(b)) {
            return Err(DeviceError::PointsBadMessage {
                field: "HELLO_R terminal id",
                reason: "not printable ASCII".into(),
            });
        }
        Ok(TerminalId(bytes))
    }

    /// The 16 wire bytes.
    pub fn as_bytes(&self) -> &[u8; 16] {
        &self.0
    }

    /// The id without its padding.
    pub fn as_str(&self) -> &str {
        std::str::from_utf8(&self.0).unwrap_or("").trim_end()
    }
}

impl fmt::Display for TerminalId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What the till keeps after pairing (the key encrypted at rest), to find the same terminal
/// again and to derive session keys with it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pairing {
    /// The terminal the key was given to.
    pub terminal_id: TerminalId,
    /// The key.
    pub key: PairingKey,
}

/// HMAC-SHA256 over the concatenation of `parts`.
pub(crate) fn hmac_sha256(key: &[u8], parts: &[&[u8]]) -> [u8; 32] {
    let mut mac = match <Hmac<Sha256> as Mac>::new_from_slice(key) {
        Ok(m) => m,
        // HMAC accepts keys of every length; this arm cannot be reached.
        Err(_) => unreachable!("HMAC-SHA256 takes a key of any length"),
    };
    for p in parts {
        mac.update(p);
    }
    mac.finalize().into_bytes().into()
}

/// The terminal's answer to PAIR: HMAC-SHA256(K, "till-pair" || terminal_id).
pub fn pair_proof(key: &PairingKey, terminal_id: &TerminalId) -> [u8; 32] {
    hmac_sha256(key.expose(), &[b"till-pair", terminal_id.as_bytes()])
}

/// Whether `proof` is the terminal's proof that it holds `key`, compared in constant time.
pub fn verify_pair_proof(key: &PairingKey, terminal_id: &TerminalId, proof: &[u8; 32]) -> bool {
    let expected = pair_proof(key, terminal_id);
    expected.iter().zip(proof).fold(0u8, |acc, (a, b)| acc | (a ^ b)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc_4231_case_2_checks_the_hmac() {
        let mac = hmac_sha256(b"Jefe", &[b"what do ya want ", b"for nothing?"]);
        let hex: String = mac.iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(hex, "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
    }

    #[test]
    fn the_proof_binds_key_and_terminal() {
        let k = PairingKey::from_bytes([7; 32]);
        let id = TerminalId::new("PT-0001").unwrap();
        let proof = pair_proof(&k, &id);
        assert!(verify_pair_proof(&k, &id, &proof));
        assert!(!verify_pair_proof(&PairingKey::from_bytes([8; 32]), &id, &proof));
        assert!(!verify_pair_proof(&k, &TerminalId::new("PT-0002").unwrap(), &proof));
    }

    #[test]
    fn ids_are_padded_and_the_key_is_not_printed() {
        let id = TerminalId::new("PT-0001").unwrap();
        assert_eq!(id.as_bytes(), b"PT-0001         ");
        assert_eq!(id.to_string(), "PT-0001");
        assert!(TerminalId::new("seventeen chars!!").is_err());
        assert_eq!(format!("{:?}", PairingKey::from_bytes([0x41; 32])), "PairingKey(..)");
    }
}
