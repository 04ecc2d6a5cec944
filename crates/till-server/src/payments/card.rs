//! Turning a card block from a till into a card number and expiry, in memory only.
//!
//! Three kinds of block reach the platform (docs/api.md, "Card blocks"):
//!
//! - `platform_gcm`: a clear-text reader's card, encrypted by the till the moment it is read:
//!   AES-256-GCM under a key derived from the platform key with HKDF-SHA256 (info
//!   [`CARD_KEY_INFO`]), plaintext `PAN=YYMM`, associated data [`GCM_AAD_PREFIX`] followed by
//!   the payment id, so a block cannot be replayed under another payment; `data` = hex(nonce 12
//!   || ciphertext and tag). Its PIN, if any, travels beside it as an ISO 9564 format 4 PIN
//!   block (AES-256 under a second HKDF key, info [`PIN_KEY_INFO`]), never as a clear PIN.
//! - `tdes_dukpt`: a TDES DUKPT reader's encrypted track (MagneSafe, ID TECH), TDES-CBC IV 0
//!   under the PIN (default) or data variant of the transaction key of `ksn` (10 bytes).
//! - `aes_dukpt`: an AES DUKPT reader's encrypted track, AES-128-CBC IV 0 under the data
//!   encryption key of `ksn` (12 bytes).
//!
//! The clear PAN never leaves this module's callers: it is masked for the answer and dropped.

use super::dukpt;
use crate::config::SandboxConfig;
use crate::error::ApiError;
use aes_gcm::aead::{Aead, Payload};
use aes_gcm::{Aes256Gcm, KeyInit, Nonce};

/// Associated data of `platform_gcm` blocks, followed by the payment id: binds the block to its
/// purpose, version and payment.
pub const GCM_AAD_PREFIX: &str = "till/card-data/v1|";
/// HKDF-SHA256 `info` of the card data key derived from the platform key.
pub const CARD_KEY_INFO: &[u8] = b"till/card-data/aes-256-gcm/v1";
/// HKDF-SHA256 `info` of the AES-256 key of format 4 PIN blocks derived from the platform key.
pub const PIN_KEY_INFO: &[u8] = b"till/pin-block/iso9564-4/v1";

// The card block's shape is till-api's, shared with the till.
pub use till_api::payments::{CardBlock, CardScheme, KeyVariant};

/// The key a separate PIN block of this card is enciphered under.
#[derive(Clone, PartialEq, Eq)]
pub enum PinKey {
    /// The PIN key of a TDES DUKPT block's KSN: ISO 9564 format 0, TDES.
    Tdes([u8; 16]),
    /// The platform's PIN key (HKDF of the platform key): ISO 9564 format 4, AES-256.
    Aes([u8; 32]),
}

/// The clear card, for the length of one authorisation.
#[derive(Clone, PartialEq, Eq)]
pub struct ClearCard {
    /// Full PAN.
    pub pan: String,
    /// `YYMM`.
    pub expiry: String,
    /// The key of a PIN block that goes with this card (none for AES DUKPT blocks).
    pub pin_key: Option<PinKey>,
}

impl std::fmt::Debug for ClearCard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never print the PAN, PIN or key, even in a debug log (PCI DSS 3.3.1).
        f.write_str("ClearCard(..)")
    }
}

fn bad(msg: impl Into<String>) -> ApiError {
    ApiError::InvalidCardBlock(msg.into())
}

fn key16(hex_key: &str) -> Result<[u8; 16], ApiError> {
    hex::decode(hex_key)
        .ok()
        .and_then(|k| k.try_into().ok())
        .ok_or_else(|| ApiError::Internal("bad key in config".into()))
}

fn hkdf32(ikm: &[u8; 32], info: &[u8]) -> [u8; 32] {
    let mut okm = [0u8; 32];
    // 32 bytes is far below HKDF-SHA256's limit of 255 * 32, so expand cannot fail.
    let _ = hkdf::Hkdf::<sha2::Sha256>::new(None, ikm).expand(info, &mut okm);
    okm
}

/// The AES-256-GCM key of `platform_gcm` blocks under `platform_key`.
pub fn card_key(platform_key: &[u8; 32]) -> [u8; 32] {
    hkdf32(platform_key, CARD_KEY_INFO)
}

/// The AES-256 key of format 4 PIN blocks under `platform_key`.
pub fn pin_key(platform_key: &[u8; 32]) -> [u8; 32] {
    hkdf32(platform_key, PIN_KEY_INFO)
}

/// Decrypts a card block of payment `payment_id` with the sandbox's keys.
pub fn decrypt(block: &CardBlock, payment_id: &str, cfg: &SandboxConfig) -> Result<ClearCard, ApiError> {
    let data = hex::decode(&block.data).map_err(|_| bad("data is not hex"))?;
    let ksn = block.ksn.as_deref().map(|k| hex::decode(k).map_err(|_| bad("ksn is not hex"))).transpose()?;
    match block.scheme {
        CardScheme::PlatformGcm => {
            let key: [u8; 32] = hex::decode(&cfg.platform_key)
                .ok()
                .and_then(|k| k.try_into().ok())
                .ok_or_else(|| ApiError::Internal("bad platform key in config".into()))?;
            if data.len() < 12 + 16 {
                return Err(bad("a platform_gcm block is at least 28 bytes"));
            }
            let (nonce, ct) = data.split_at(12);
            let aad = format!("{GCM_AAD_PREFIX}{payment_id}");
            let clear = Aes256Gcm::new(&card_key(&key).into())
                .decrypt(Nonce::from_slice(nonce), Payload { msg: ct, aad: aad.as_bytes() })
                .map_err(|_| bad("the block does not authenticate under the platform key for this payment"))?;
            let (pan, expiry) = parse_track(&clear)?;
            Ok(ClearCard { pan, expiry, pin_key: Some(PinKey::Aes(pin_key(&key))) })
        }
        CardScheme::TdesDukpt => {
            let ksn: [u8; 10] = ksn.and_then(|k| k.try_into().ok()).ok_or_else(|| bad("a TDES KSN is 10 bytes"))?;
            let ksn_hex = hex::encode_upper(ksn);
            let bdk = cfg
                .tdes_bdks
                .iter()
                .find(|b| ksn_hex.starts_with(&b.ksn_prefix.to_ascii_uppercase()))
                .ok_or_else(|| bad("no BDK for this KSN"))?;
            let bdk = key16(&bdk.bdk)?;
            let pin_key = dukpt::tdes_pin_key(&bdk, &ksn);
            let key = match block.key_variant.unwrap_or_default() {
                KeyVariant::Pin => pin_key,
                KeyVariant::Data => dukpt::tdes_data_key(&bdk, &ksn),
            };
            let clear = dukpt::tdes_cbc_decrypt(&key, &data).map_err(|e| bad(e.to_string()))?;
            let (pan, expiry) = parse_track(&clear)?;
            Ok(ClearCard { pan, expiry, pin_key: Some(PinKey::Tdes(pin_key)) })
        }
        CardScheme::AesDukpt => {
            let ksn: [u8; 12] = ksn.and_then(|k| k.try_into().ok()).ok_or_else(|| bad("an AES KSN is 12 bytes"))?;
            let bdk_id = hex::encode_upper(&ksn[..4]);
            let bdk = cfg
                .aes_bdks
                .iter()
                .find(|b| b.bdk_id.eq_ignore_ascii_case(&bdk_id))
                .ok_or_else(|| bad("no BDK for this KSN"))?;
            let key = dukpt::aes_working_key(&key16(&bdk.bdk)?, &ksn, dukpt::usage::DATA_ENCRYPT);
            let clear = dukpt::aes_cbc_decrypt(&key, &data).map_err(|e| bad(e.to_string()))?;
            let (pan, expiry) = parse_track(&clear)?;
            Ok(ClearCard { pan, expiry, pin_key: None })
        }
    }
}

/// PAN and `YYMM` expiry from a decrypted ISO 7813 track 1 (`%B...^...^YYMM`) or track 2
/// (`;PAN=YYMM`), zero padding allowed after the end sentinel.
pub fn parse_track(clear: &[u8]) -> Result<(String, String), ApiError> {
    let end = clear.iter().rposition(|&b| b != 0).map_or(0, |p| p + 1);
    let text = std::str::from_utf8(&clear[..end]).map_err(|_| bad("the decrypted track is not text"))?;
    let unreadable = || bad("the decrypted block is not a card track (wrong key?)");
    let (pan, rest) = if let Some(t1) = text.strip_prefix("%B") {
        let mut parts = t1.splitn(3, '^');
        let pan = parts.next().ok_or_else(unreadable)?;
        let _name = parts.next().ok_or_else(unreadable)?;
        (pan, parts.next().ok_or_else(unreadable)?)
    } else {
        let t2 = text.strip_prefix(';').unwrap_or(text);
        t2.split_once('=').ok_or_else(unreadable)?
    };
    let expiry = rest.get(..4).ok_or_else(unreadable)?;
    if !(12..=19).contains(&pan.len())
        || !pan.bytes().all(|b| b.is_ascii_digit())
        || !expiry.bytes().all(|b| b.is_ascii_digit())
    {
        return Err(unreadable());
    }
    Ok((pan.to_string(), expiry.to_string()))
}

/// Whether a `YYMM` expiry has passed at (`year`, `month`): a card is valid through the end of its
/// expiry month. An unreadable expiry counts as expired.
pub fn expired(expiry: &str, year: i64, month: u32) -> bool {
    let (Some(yy), Some(mm)) =
        (expiry.get(..2).and_then(|s| s.parse::<i64>().ok()), expiry.get(2..4).and_then(|s| s.parse::<u32>().ok()))
    else {
        return true;
    };
    if expiry.len() != 4 || !(1..=12).contains(&mm) {
        return true;
    }
    (2000 + yy, mm) < (year, month)
}

/// The PIN inside an ISO 9564 format 0 PIN block (already decrypted), given the PAN.
pub fn iso0_pin(block: [u8; 8], pan: &str) -> Option<String> {
    // PAN field: 0000 || the 12 rightmost digits excluding the check digit.
    let digits = pan.get(..pan.len().checked_sub(1)?)?;
    let twelve = digits.get(digits.len().checked_sub(12)?..)?;
    let mut pan_field = [0u8; 8];
    for (i, pair) in twelve.as_bytes().chunks(2).enumerate() {
        pan_field[2 + i] = ((pair[0] - b'0') << 4) | (pair[1] - b'0');
    }
    let pin_field: Vec<u8> = block.iter().zip(pan_field).map(|(a, b)| a ^ b).collect();
    let nibbles: Vec<u8> = pin_field.iter().flat_map(|b| [b >> 4, b & 0x0F]).collect();
    let len = usize::from(nibbles[1]);
    if nibbles[0] != 0 || !(4..=12).contains(&len) {
        return None;
    }
    let pin = &nibbles[2..2 + len];
    if pin.iter().any(|&d| d > 9) || nibbles[2 + len..].iter().any(|&f| f != 0x0F) {
        return None;
    }
    Some(pin.iter().map(|d| char::from(b'0' + d)).collect())
}

/// An ISO 9564 format 0 PIN block (clear), for tests and load generators.
pub fn iso0_block(pin: &str, pan: &str) -> Option<[u8; 8]> {
    let mut pin_nibbles = vec![0u8, u8::try_from(pin.len()).ok()?];
    pin_nibbles.extend(pin.bytes().map(|b| b - b'0'));
    pin_nibbles.resize(16, 0x0F);
    let pin_field: Vec<u8> = pin_nibbles.chunks(2).map(|p| (p[0] << 4) | p[1]).collect();
    let digits = pan.get(..pan.len().checked_sub(1)?)?;
    let twelve = digits.get(digits.len().checked_sub(12)?..)?;
    let mut block = [0u8; 8];
    for i in 0..8 {
        let pan_byte = if i < 2 {
            0
        } else {
            let p = &twelve.as_bytes()[(i - 2) * 2..(i - 2) * 2 + 2];
            ((p[0] - b'0') << 4) | (p[1] - b'0')
        };
        block[i] = pin_field[i] ^ pan_byte;
    }
    Some(block)
}

/// Builds a `platform_gcm` block (hex) the way a till does: for tests and load generators.
pub fn seal_platform_gcm(
    platform_key: &[u8; 32],
    payment_id: &str,
    nonce: [u8; 12],
    pan: &str,
    expiry: &str,
) -> String {
    let aad = format!("{GCM_AAD_PREFIX}{payment_id}");
    let plain = format!("{pan}={expiry}");
    let ct = Aes256Gcm::new(&card_key(platform_key).into())
        .encrypt(Nonce::from_slice(&nonce), Payload { msg: plain.as_bytes(), aad: aad.as_bytes() })
        .unwrap_or_default();
    let mut out = nonce.to_vec();
    out.extend(ct);
    hex::encode(out)
}

fn set_nibble(field: &mut [u8; 16], i: usize, v: u8) {
    let b = &mut field[i / 2];
    *b = if i.is_multiple_of(2) { (*b & 0x0F) | (v << 4) } else { (*b & 0xF0) | (v & 0x0F) };
}

fn nibble(field: &[u8; 16], i: usize) -> u8 {
    if i.is_multiple_of(2) {
        field[i / 2] >> 4
    } else {
        field[i / 2] & 0x0F
    }
}

/// The ISO 9564 format 4 PAN field: `M` = length − 12, the PAN left-padded with zeros to 12
/// digits, `0` to the end. `None` for a PAN that is not 1 to 19 digits.
fn iso4_pan_field(pan: &str) -> Option<[u8; 16]> {
    if pan.is_empty() || pan.len() > 19 || !pan.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let mut digits = vec![0u8; 12usize.saturating_sub(pan.len())];
    digits.extend(pan.bytes().map(|b| b - b'0'));
    let mut field = [0u8; 16];
    set_nibble(&mut field, 0, u8::try_from(digits.len() - 12).ok()?);
    for (i, d) in digits.iter().enumerate() {
        set_nibble(&mut field, 1 + i, *d);
    }
    Some(field)
}

/// The PIN inside an ISO 9564 format 4 PIN block enciphered under the AES-256 `key`, given the
/// PAN (ISO 9564-1:2017 9.4.2 backwards: `B = D(K, block)`, `A = B ⊕ PAN field`,
/// `PIN field = D(K, A)`). `None` when the block does not decode.
pub fn iso4_pin(key: &[u8; 32], block: [u8; 16], pan: &str) -> Option<String> {
    use aes::cipher::{BlockDecrypt, KeyInit as _};
    let aes = aes::Aes256::new(key.into());
    let pan_field = iso4_pan_field(pan)?;
    let mut field = block;
    aes.decrypt_block((&mut field).into());
    for (x, y) in field.iter_mut().zip(pan_field) {
        *x ^= y;
    }
    aes.decrypt_block((&mut field).into());
    let n = usize::from(nibble(&field, 1));
    let ok = nibble(&field, 0) == 4
        && (4..=12).contains(&n)
        && (2..2 + n).all(|i| nibble(&field, i) <= 9)
        && (2 + n..16).all(|i| nibble(&field, i) == 0xA);
    ok.then(|| (2..2 + n).map(|i| char::from(b'0' + nibble(&field, i))).collect())
}

/// An ISO 9564 format 4 PIN block (hex) the way a till builds it, with `fill` as the random
/// fill: for tests and load generators.
pub fn iso4_block(key: &[u8; 32], pin: &str, pan: &str, fill: [u8; 8]) -> Option<String> {
    use aes::cipher::{BlockEncrypt, KeyInit as _};
    if !(4..=12).contains(&pin.len()) || !pin.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let mut field = [0u8; 16];
    field[8..].copy_from_slice(&fill);
    set_nibble(&mut field, 0, 4);
    set_nibble(&mut field, 1, u8::try_from(pin.len()).ok()?);
    for i in 2..16 {
        set_nibble(&mut field, i, 0xA);
    }
    for (i, d) in pin.bytes().enumerate() {
        set_nibble(&mut field, 2 + i, d - b'0');
    }
    let aes = aes::Aes256::new(key.into());
    aes.encrypt_block((&mut field).into());
    for (x, y) in field.iter_mut().zip(iso4_pan_field(pan)?) {
        *x ^= y;
    }
    aes.encrypt_block((&mut field).into());
    Some(hex::encode(field))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expiry() {
        assert!(!expired("2611", 2026, 11));
        assert!(expired("2610", 2026, 11));
        assert!(!expired("2701", 2026, 11));
        assert!(expired("2613", 2026, 11));
        assert!(expired("ab12", 2026, 11));
    }

    #[test]
    fn tracks_parse() {
        assert_eq!(
            parse_track(b";4111111111111111=28121010000000000000?\0\0\0").unwrap(),
            ("4111111111111111".into(), "2812".into())
        );
        assert_eq!(
            parse_track(b"%B4111111111111111^DOE/JANE^2812101000000?").unwrap(),
            ("4111111111111111".into(), "2812".into())
        );
        assert!(parse_track(&[0x93, 0x11, 0x02]).is_err());
        assert!(parse_track(b"").is_err());
    }

    #[test]
    fn iso0_pin_blocks_round_trip() {
        let b = iso0_block("1234", "4111111111111111").unwrap();
        assert_eq!(iso0_pin(b, "4111111111111111").as_deref(), Some("1234"));
        assert_eq!(iso0_pin(b, "5555555555554444"), None);
        // PIN field 04 1234 FFFFFFFFFF XOR PAN field 0000 000123456200 (12 digits before the check digit).
        let b = iso0_block("1234", "4000001234562000").unwrap();
        assert_eq!(hex::encode_upper(b), "041234FEDCBA9DFF");
    }

    #[test]
    fn aes_256_gcm_matches_the_gcm_spec_test_case_16() {
        // McGrew & Viega, "The Galois/Counter Mode of Operation", test case 16 (AES-256, 96-bit IV,
        // with associated data): the same construction platform_gcm blocks use.
        let key: [u8; 32] = hex::decode("feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308")
            .unwrap()
            .try_into()
            .unwrap();
        let iv = hex::decode("cafebabefacedbaddecaf888").unwrap();
        let aad = hex::decode("feedfacedeadbeeffeedfacedeadbeefabaddad2").unwrap();
        let ct_tag = hex::decode(concat!(
            "522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa",
            "8cb08e48590dbb3da7b08b1056828838c5f61e6393ba7a0abcc9f662",
            "76fc6ece0f4e1768cddf8853bb2d551b"
        ))
        .unwrap();
        let clear =
            Aes256Gcm::new(&key.into()).decrypt(Nonce::from_slice(&iv), Payload { msg: &ct_tag, aad: &aad }).unwrap();
        assert_eq!(
            hex::encode(clear),
            concat!(
                "d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a72",
                "1c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b39"
            )
        );
    }

    #[test]
    fn platform_gcm_blocks_open_and_tampering_is_refused() {
        let cfg = SandboxConfig::default();
        let key: [u8; 32] = hex::decode(&cfg.platform_key).unwrap().try_into().unwrap();
        let data = seal_platform_gcm(&key, "pay-1", [9; 12], "4111111111111111", "2812");
        let block = CardBlock {
            scheme: CardScheme::PlatformGcm,
            data: data.clone(),
            ksn: None,
            key_variant: None,
            masked_pan: None,
        };
        let card = decrypt(&block, "pay-1", &cfg).unwrap();
        assert_eq!((card.pan.as_str(), card.expiry.as_str()), ("4111111111111111", "2812"));
        assert_eq!(format!("{card:?}"), "ClearCard(..)");
        // bound to its payment: under another payment id it does not open
        assert_eq!(decrypt(&block, "pay-2", &cfg).unwrap_err().code(), "invalid_card_block");
        let mut bytes = hex::decode(&data).unwrap();
        let last = bytes.len() - 1;
        bytes[last] ^= 1;
        let tampered = CardBlock { data: hex::encode(bytes), ..block };
        assert_eq!(decrypt(&tampered, "pay-1", &cfg).unwrap_err().code(), "invalid_card_block");
    }

    #[test]
    fn iso4_pin_blocks_round_trip_and_bind_to_the_card() {
        let key = pin_key(&[7; 32]);
        let b = iso4_block(&key, "1234", "4111111111111111", [1; 8]).unwrap();
        let block: [u8; 16] = hex::decode(&b).unwrap().try_into().unwrap();
        assert_eq!(iso4_pin(&key, block, "4111111111111111").as_deref(), Some("1234"));
        assert_ne!(iso4_pin(&key, block, "5555555555554444").as_deref(), Some("1234"));
        assert_ne!(iso4_pin(&pin_key(&[8; 32]), block, "4111111111111111").as_deref(), Some("1234"));
        // the X9.24-3 example's PAN field: PAN 4111111111111111 gives 4411111111111111 1000...
        assert_eq!(hex::encode_upper(iso4_pan_field("4111111111111111").unwrap()), "44111111111111111000000000000000");
        assert_ne!(iso4_block(&key, "1234", "4111111111111111", [2; 8]).unwrap(), b, "random fill");
        assert!(iso4_block(&key, "12", "4111111111111111", [1; 8]).is_none());
    }

    #[test]
    fn tdes_dukpt_blocks_decrypt_with_the_x9_24_1_bdk() {
        let cfg = SandboxConfig::default();
        let ksn: [u8; 10] = hex::decode("FFFF9876543210E00001").unwrap().try_into().unwrap();
        let bdk: [u8; 16] = hex::decode("0123456789ABCDEFFEDCBA9876543210").unwrap().try_into().unwrap();
        let ct = dukpt::encrypt::tdes_cbc_zero_padded(&dukpt::tdes_pin_key(&bdk, &ksn), b";4111111111111111=2812101?");
        let block = CardBlock {
            scheme: CardScheme::TdesDukpt,
            data: hex::encode(&ct),
            ksn: Some(hex::encode(ksn)),
            key_variant: None,
            masked_pan: None,
        };
        let card = decrypt(&block, "p", &cfg).unwrap();
        assert_eq!(card.pan, "4111111111111111");
        // The data variant is a different key: the same block does not read.
        let wrong = CardBlock { key_variant: Some(KeyVariant::Data), ..block.clone() };
        assert!(decrypt(&wrong, "p", &cfg).is_err());
        let unknown = CardBlock { ksn: Some("AAAA9876543210E00001".into()), ..block };
        assert_eq!(decrypt(&unknown, "p", &cfg).unwrap_err().code(), "invalid_card_block");
    }

    #[test]
    fn aes_dukpt_blocks_decrypt_with_the_x9_24_3_bdk() {
        let cfg = SandboxConfig::default();
        let ksn: [u8; 12] = hex::decode("123456789012345600000001").unwrap().try_into().unwrap();
        let key: [u8; 16] = hex::decode("A35C412EFD41FDB98B69797C02DCD08F").unwrap().try_into().unwrap();
        let ct = dukpt::encrypt::aes_cbc_zero_padded(&key, b"%B5555555555554444^TEST/CARD^3001101?");
        let block = CardBlock {
            scheme: CardScheme::AesDukpt,
            data: hex::encode(ct),
            ksn: Some(hex::encode(ksn)),
            key_variant: None,
            masked_pan: None,
        };
        let card = decrypt(&block, "p", &cfg).unwrap();
        assert_eq!((card.pan.as_str(), card.expiry.as_str()), ("5555555555554444", "3001"));
    }
}
