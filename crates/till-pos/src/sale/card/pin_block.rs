//! ISO 9564-1:2017 PIN block format 4: the PIN the customer typed becomes an AES-enciphered
//! block at once, bound to the card number, and the PIN itself is dropped.
//!
//! Format 4 is built from two 16-byte fields (32 nibbles each):
//!
//! - the plaintext PIN field: control nibble `4`, the PIN length `N` (4..12), the `N` PIN
//!   digits, fill nibbles `A` up to nibble 15, then 16 random fill nibbles (bytes 8..16);
//! - the plaintext PAN field: `M` = PAN length − 12 (0..7; a PAN shorter than 12 digits is
//!   left-padded with zeros to 12 and `M` = 0), the PAN digits, then `0` nibbles to the end.
//!
//! Enciphering (ISO 9564-1:2017, 9.4.2): `A = E(K, PIN field)`, `B = A ⊕ PAN field`,
//! `PIN block = E(K, B)`. Deciphering runs the same steps backwards. `E` is one AES block
//! encipherment: the standard defines format 4 on single-block encipherments, and the random
//! fill makes every PIN block different even for the same PIN and card, which is why this is
//! not the ECB weakness the project's crypto rule forbids for data.
//!
//! The key: the payment platform has not issued a PIN encryption key (AES DUKPT would derive
//! one per transaction), so until it does the till derives a 256-bit PIN key from the payment
//! platform key with HKDF-SHA256 (`info = "till/pin-block/iso9564-4/v1"`), which the platform
//! can derive too. Swapping in a DUKPT key changes [`PinKey`] only.
//!
//! Neither the PIN nor the PIN block is ever stored or logged: [`PinBlock`] has no `Display`,
//! no `Serialize`, a redacted `Debug`, and is overwritten when dropped.

use crate::admin::secrets::wipe;
use crate::error::{PosError, Result};
use aes::cipher::{BlockDecrypt, BlockEncrypt, KeyInit};
use aes::Aes256;
use hkdf::Hkdf;
use rand::RngCore;
use sha2::Sha256;
use std::fmt;

/// HKDF `info` for the PIN key.
const PIN_KEY_INFO: &[u8] = b"till/pin-block/iso9564-4/v1";
const FILL: u8 = 0xA;

/// An AES-256 key for PIN blocks. Its bytes are dropped with the cipher.
pub struct PinKey(Aes256);

impl PinKey {
    /// The PIN key derived from the payment platform key.
    pub fn derive(platform_key: &[u8]) -> Result<PinKey> {
        let mut okm = [0u8; 32];
        Hkdf::<Sha256>::new(None, platform_key)
            .expand(PIN_KEY_INFO, &mut okm)
            .map_err(|_| PosError::Internal("PIN key derivation failed".into()))?;
        let cipher = Aes256::new_from_slice(&okm).map_err(|_| PosError::Internal("PIN key has the wrong size".into()));
        wipe(&mut okm);
        Ok(PinKey(cipher?))
    }

    #[cfg(test)]
    fn from_bytes(key: &[u8; 32]) -> PinKey {
        PinKey(Aes256::new(key.into()))
    }

    fn encipher(&self, block: &mut [u8; 16]) {
        self.0.encrypt_block(block.into());
    }

    fn decipher(&self, block: &mut [u8; 16]) {
        self.0.decrypt_block(block.into());
    }
}

impl fmt::Debug for PinKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("PinKey(<redacted>)")
    }
}

/// An enciphered format 4 PIN block: 16 bytes for the payment platform, held only until the
/// authorisation has answered.
#[derive(PartialEq, Eq)]
pub struct PinBlock([u8; 16]);

impl PinBlock {
    /// The enciphered bytes, for the authorisation request.
    pub fn bytes(&self) -> &[u8; 16] {
        &self.0
    }
}

impl fmt::Debug for PinBlock {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("PinBlock(<redacted>)")
    }
}

impl Drop for PinBlock {
    fn drop(&mut self) {
        wipe(&mut self.0);
    }
}

fn set_nibble(field: &mut [u8; 16], i: usize, v: u8) {
    let b = &mut field[i / 2];
    *b = if i & 1 == 0 { (*b & 0x0F) | (v << 4) } else { (*b & 0xF0) | (v & 0x0F) };
}

fn nibble(field: &[u8; 16], i: usize) -> u8 {
    if i & 1 == 0 {
        field[i / 2] >> 4
    } else {
        field[i / 2] & 0x0F
    }
}

fn digits(s: &str) -> Option<impl Iterator<Item = u8> + '_> {
    s.bytes().all(|b| b.is_ascii_digit()).then(|| s.bytes().map(|b| b - b'0'))
}

/// Checks a card PIN's shape: 4 to 12 digits (ISO 9564-1).
pub fn check_card_pin(pin: &str) -> Result<()> {
    if (4..=12).contains(&pin.len()) && pin.bytes().all(|b| b.is_ascii_digit()) {
        Ok(())
    } else {
        Err(PosError::InvalidInput("a card PIN is 4 to 12 digits".into()))
    }
}

/// The plaintext PIN field: `4`, `N`, the PIN, `A` fill to nibble 15, random fill after.
pub fn pin_field(pin: &str, rng: &mut dyn RngCore) -> Result<[u8; 16]> {
    check_card_pin(pin)?;
    let mut field = [0u8; 16];
    rng.fill_bytes(&mut field[8..]);
    set_nibble(&mut field, 0, 4);
    set_nibble(&mut field, 1, pin.len() as u8);
    for i in 2..16 {
        set_nibble(&mut field, i, FILL);
    }
    for (i, d) in digits(pin).into_iter().flatten().enumerate() {
        set_nibble(&mut field, 2 + i, d);
    }
    Ok(field)
}

/// The plaintext PAN field: `M` = length − 12, the PAN (left-padded with zeros to 12 digits),
/// `0` to the end.
pub fn pan_field(pan: &str) -> Result<[u8; 16]> {
    let bad = || PosError::InvalidInput("the card number is not 1 to 19 digits".into());
    if pan.is_empty() || pan.len() > 19 {
        return Err(bad());
    }
    let ds = digits(pan).ok_or_else(bad)?;
    let mut padded = vec![0u8; 12usize.saturating_sub(pan.len())];
    padded.extend(ds);
    let mut field = [0u8; 16];
    set_nibble(&mut field, 0, (padded.len() - 12) as u8);
    for (i, d) in padded.iter().enumerate() {
        set_nibble(&mut field, 1 + i, *d);
    }
    Ok(field)
}

fn xor(a: &mut [u8; 16], b: &[u8; 16]) {
    for (x, y) in a.iter_mut().zip(b) {
        *x ^= y;
    }
}

/// Enciphers `pin` for the card `pan` under `key` with fresh random fill from `rng`.
pub fn encipher(key: &PinKey, pin: &str, pan: &str, rng: &mut dyn RngCore) -> Result<PinBlock> {
    let mut pan_f = pan_field(pan)?;
    let mut block = pin_field(pin, rng)?;
    key.encipher(&mut block); // A
    xor(&mut block, &pan_f); // B
    key.encipher(&mut block);
    wipe(&mut pan_f);
    Ok(PinBlock(block))
}

/// Recovers the PIN from a block: what the payment platform (or the stand-in authoriser, which
/// plays it) does. A block that does not decode is [`PosError::InvalidInput`].
pub fn decipher(key: &PinKey, block: &PinBlock, pan: &str) -> Result<String> {
    let bad = || PosError::InvalidInput("the PIN block does not decode as ISO 9564 format 4".into());
    let mut pan_f = pan_field(pan)?;
    let mut field = block.0;
    key.decipher(&mut field); // B
    xor(&mut field, &pan_f); // A
    key.decipher(&mut field);
    wipe(&mut pan_f);
    let n = nibble(&field, 1) as usize;
    let ok = nibble(&field, 0) == 4
        && (4..=12).contains(&n)
        && (2..2 + n).all(|i| nibble(&field, i) <= 9)
        && (2 + n..16).all(|i| nibble(&field, i) == FILL);
    let pin = ok.then(|| (2..2 + n).map(|i| char::from(b'0' + nibble(&field, i))).collect::<String>());
    wipe(&mut field);
    pin.ok_or_else(bad)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::rngs::StdRng;
    use rand::SeedableRng;

    fn rng() -> StdRng {
        StdRng::seed_from_u64(5)
    }

    // The PIN and PAN fields of the ANSI X9.24-3:2017 supplement's "Calculation of AES PIN Block
    // Format 4" example: PIN 1234, PAN 4111111111111111.
    #[test]
    fn fields_match_the_x9_24_3_example() {
        let f = pin_field("1234", &mut rng()).unwrap();
        assert_eq!(hex::encode_upper(&f[..8]), "441234AAAAAAAAAA");
        assert_eq!(hex::encode_upper(pan_field("4111111111111111").unwrap()), "44111111111111111000000000000000");
    }

    #[test]
    fn fields_for_odd_pins_and_short_and_long_pans() {
        let f = pin_field("12345", &mut rng()).unwrap();
        assert_eq!(hex::encode_upper(&f[..8]), "4512345AAAAAAAAA");
        let f = pin_field("123456789012", &mut rng()).unwrap();
        assert_eq!(hex::encode_upper(&f[..8]), "4C123456789012AA");
        // 15 digits: M = 3; 19 digits: M = 7; 9 digits: padded to 12, M = 0
        assert_eq!(hex::encode_upper(pan_field("411111111111111").unwrap()), "34111111111111110000000000000000");
        assert_eq!(hex::encode_upper(pan_field("6214830000000000123").unwrap()), "76214830000000000123000000000000");
        assert_eq!(hex::encode_upper(pan_field("123456789").unwrap()), "00001234567890000000000000000000");
        // the random fill differs each time
        let mut r = rng();
        assert_ne!(pin_field("1234", &mut r).unwrap()[8..], pin_field("1234", &mut r).unwrap()[8..]);
    }

    #[test]
    fn bad_pins_and_pans_are_typed_errors() {
        for pin in ["", "123", "1234567890123", "12a4", "١٢٣٤"] {
            assert_eq!(pin_field(pin, &mut rng()).unwrap_err().code(), crate::ErrorCode::InvalidInput, "{pin:?}");
        }
        for pan in ["", "41111111111111111111", "4111-1111"] {
            assert_eq!(pan_field(pan).unwrap_err().code(), crate::ErrorCode::InvalidInput, "{pan:?}");
        }
    }

    #[test]
    fn enciphering_is_the_two_step_construction_of_the_standard() {
        let key_bytes = [0x42u8; 32];
        let key = PinKey::from_bytes(&key_bytes);
        let block = encipher(&key, "1234", "4111111111111111", &mut rng()).unwrap();
        // independently: E(K, E(K, PIN field) xor PAN field), with the same random fill
        let aes = Aes256::new((&key_bytes).into());
        let mut expect = pin_field("1234", &mut rng()).unwrap();
        aes.encrypt_block((&mut expect).into());
        xor(&mut expect, &pan_field("4111111111111111").unwrap());
        aes.encrypt_block((&mut expect).into());
        assert_eq!(block.bytes(), &expect);
        assert_eq!(format!("{block:?}"), "PinBlock(<redacted>)");
    }

    #[test]
    fn round_trip_and_binding_to_the_card() {
        let key = PinKey::derive(&[7u8; 32]).unwrap();
        let mut r = rng();
        for pin in ["1234", "98765", "000000000000"] {
            let a = encipher(&key, pin, "4111111111111111", &mut r).unwrap();
            let b = encipher(&key, pin, "4111111111111111", &mut r).unwrap();
            assert_ne!(a, b, "random fill makes each block unique");
            assert_eq!(decipher(&key, &a, "4111111111111111").unwrap(), pin);
            // under another card number or key the block does not decode to the PIN
            assert!(decipher(&key, &a, "4000000000000002").map_or(true, |p| p != pin));
            let other = PinKey::derive(&[8u8; 32]).unwrap();
            assert!(decipher(&other, &a, "4111111111111111").map_or(true, |p| p != pin));
        }
    }

    #[test]
    fn the_derived_key_depends_on_the_platform_key() {
        let pin = |k: u8| {
            let key = PinKey::derive(&[k; 32]).unwrap();
            *encipher(&key, "1234", "4111111111111111", &mut rng()).unwrap().bytes()
        };
        assert_eq!(pin(1), pin(1));
        assert_ne!(pin(1), pin(2));
    }
}
