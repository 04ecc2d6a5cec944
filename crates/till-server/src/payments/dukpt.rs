//! DUKPT key derivation and the readers' block decryption, for the sandbox platform only.
//!
//! Card readers encrypt each swipe under a key that changes every transaction (Derived Unique
//! Key Per Transaction); the platform re-derives that key from a base derivation key (BDK) and
//! the reader's key serial number (KSN). Two generations exist:
//!
//! - TDES DUKPT, ANSI X9.24-1:2009: IPEK from BDK and KSN, then the non-reversible key
//!   generation process once per set bit of the 21-bit counter; MagTek MagneSafe readers
//!   encrypt tracks with TDES-CBC (IV 0, zero padding) under the PIN variant of that key.
//! - AES DUKPT, ANSI X9.24-3-2017: AES-128 derivations with typed derivation data.
//!
//! TDES is required by X9.24-1 and by the readers in the field, which is why this module (and
//! only this module) uses the `des` and `cbc` crates. Nothing here encrypts new data with TDES.

use aes::Aes128;
use cbc::cipher::block_padding::NoPadding;
use cbc::cipher::{BlockDecryptMut, BlockEncrypt, KeyInit, KeyIvInit};
use des::{Des, TdesEde2};

/// What can go wrong decrypting a block.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DukptError {
    /// The ciphertext is empty or not a whole number of cipher blocks.
    #[error("ciphertext length {0} is not a non-zero multiple of the block size")]
    BadLength(usize),
}

/// XOR mask turning a BDK (or a key register) into its "C0C0" variant.
const C0C0: [u8; 16] = [0xC0, 0xC0, 0xC0, 0xC0, 0, 0, 0, 0, 0xC0, 0xC0, 0xC0, 0xC0, 0, 0, 0, 0];
/// PIN encryption variant of a TDES transaction key (X9.24-1 A.6), also what MagneSafe uses.
const PIN_VARIANT: [u8; 16] = [0, 0, 0, 0, 0, 0, 0, 0xFF, 0, 0, 0, 0, 0, 0, 0, 0xFF];
/// Data encryption variant of a TDES transaction key.
const DATA_VARIANT: [u8; 16] = [0, 0, 0, 0, 0, 0xFF, 0, 0, 0, 0, 0, 0, 0, 0xFF, 0, 0];

fn xor16(a: &[u8; 16], b: &[u8; 16]) -> [u8; 16] {
    std::array::from_fn(|i| a[i] ^ b[i])
}

fn xor8(a: &[u8; 8], b: &[u8; 8]) -> [u8; 8] {
    std::array::from_fn(|i| a[i] ^ b[i])
}

fn halves(k: &[u8; 16]) -> ([u8; 8], [u8; 8]) {
    (std::array::from_fn(|i| k[i]), std::array::from_fn(|i| k[8 + i]))
}

fn join(l: [u8; 8], r: [u8; 8]) -> [u8; 16] {
    std::array::from_fn(|i| if i < 8 { l[i] } else { r[i - 8] })
}

fn des_encrypt(key: &[u8; 8], block: [u8; 8]) -> [u8; 8] {
    let mut b = block.into();
    Des::new(key.into()).encrypt_block(&mut b);
    b.into()
}

fn tdes_encrypt(key: &[u8; 16], block: [u8; 8]) -> [u8; 8] {
    let mut b = block.into();
    TdesEde2::new(key.into()).encrypt_block(&mut b);
    b.into()
}

/// The initial PIN encryption key (IPEK) of a reader: X9.24-1 A.6, from the BDK and the KSN with
/// its 21 counter bits cleared.
pub fn tdes_ipek(bdk: &[u8; 16], ksn: &[u8; 10]) -> [u8; 16] {
    let mut base: [u8; 8] = std::array::from_fn(|i| ksn[i]);
    base[7] &= 0xE0;
    join(tdes_encrypt(bdk, base), tdes_encrypt(&xor16(bdk, &C0C0), base))
}

/// The counter in the low 21 bits of a TDES KSN.
pub fn tdes_counter(ksn: &[u8; 10]) -> u32 {
    (u32::from(ksn[7] & 0x1F) << 16) | (u32::from(ksn[8]) << 8) | u32::from(ksn[9])
}

/// One step of the non-reversible key generation process.
fn nrkgp(key: &[u8; 16], register: [u8; 8]) -> [u8; 16] {
    let half = |k: &[u8; 16]| {
        let (left, right) = halves(k);
        xor8(&des_encrypt(&left, xor8(&register, &right)), &right)
    };
    join(half(&xor16(key, &C0C0)), half(key))
}

/// The transaction key of `ksn` (before any variant): the IPEK walked through each set bit of the
/// counter, most significant first.
pub fn tdes_transaction_key(bdk: &[u8; 16], ksn: &[u8; 10]) -> [u8; 16] {
    let counter = tdes_counter(ksn);
    // The rightmost 64 bits of the KSN with the counter cleared; bits are set as they are used.
    let mut register = u64::from_be_bytes(std::array::from_fn(|i| ksn[2 + i])) & !0x1F_FFFF;
    let mut key = tdes_ipek(bdk, ksn);
    let mut bit = 0x10_0000u32;
    while bit > 0 {
        if counter & bit != 0 {
            register |= u64::from(bit);
            key = nrkgp(&key, register.to_be_bytes());
        }
        bit >>= 1;
    }
    key
}

/// The PIN encryption key of `ksn`; MagneSafe readers also encrypt track data with it.
pub fn tdes_pin_key(bdk: &[u8; 16], ksn: &[u8; 10]) -> [u8; 16] {
    xor16(&tdes_transaction_key(bdk, ksn), &PIN_VARIANT)
}

/// The data encryption key of `ksn` (X9.24-1:2009): the data variant, each half then encrypted
/// under the variant itself. ID TECH readers set to data-key mode use it.
pub fn tdes_data_key(bdk: &[u8; 16], ksn: &[u8; 10]) -> [u8; 16] {
    let variant = xor16(&tdes_transaction_key(bdk, ksn), &DATA_VARIANT);
    let (l, r) = halves(&variant);
    join(tdes_encrypt(&variant, l), tdes_encrypt(&variant, r))
}

/// TDES-CBC decryption with IV 0 and no unpadding (readers zero-pad; the caller trims).
pub fn tdes_cbc_decrypt(key: &[u8; 16], data: &[u8]) -> Result<Vec<u8>, DukptError> {
    if data.is_empty() || !data.len().is_multiple_of(8) {
        return Err(DukptError::BadLength(data.len()));
    }
    let mut buf = data.to_vec();
    cbc::Decryptor::<TdesEde2>::new(key.into(), &[0u8; 8].into())
        .decrypt_padded_mut::<NoPadding>(&mut buf)
        .map_err(|_| DukptError::BadLength(data.len()))?;
    Ok(buf)
}

/// Decrypts one 8-byte block (a PIN block) under a TDES key.
pub fn tdes_decrypt_block(key: &[u8; 16], block: [u8; 8]) -> [u8; 8] {
    use cbc::cipher::BlockDecrypt;
    let mut b = block.into();
    TdesEde2::new(key.into()).decrypt_block(&mut b);
    b.into()
}

/// AES DUKPT key usages (X9.24-3 table 2) used here.
pub mod usage {
    /// Key derivation (intermediate keys).
    pub const KEY_DERIVATION: u16 = 0x8000;
    /// Derivation of the initial key from the BDK.
    pub const INITIAL_KEY: u16 = 0x8001;
    /// PIN encryption.
    pub const PIN_ENCRYPTION: u16 = 0x1000;
    /// Data encryption, encrypt direction (what the reader encrypts with).
    pub const DATA_ENCRYPT: u16 = 0x3000;
    /// Data encryption, decrypt direction.
    pub const DATA_DECRYPT: u16 = 0x3001;
    /// Data encryption, both directions.
    pub const DATA_BOTH: u16 = 0x3002;
}

/// Derivation data block: version 01, key block counter 01, usage, AES-128 (0002), 128 bits,
/// then 8 bytes of context.
fn derivation_data(key_usage: u16, context: [u8; 8]) -> [u8; 16] {
    let u = key_usage.to_be_bytes();
    let head = [0x01, 0x01, u[0], u[1], 0x00, 0x02, 0x00, 0x80];
    join(head, context)
}

fn aes_derive(key: &[u8; 16], data: [u8; 16]) -> [u8; 16] {
    let mut b = data.into();
    Aes128::new(key.into()).encrypt_block(&mut b);
    b.into()
}

/// The initial key of a reader: X9.24-3 6.3.1, from the BDK and the 8-byte initial key id
/// (BDK id || derivation id).
pub fn aes_initial_key(bdk: &[u8; 16], initial_key_id: &[u8; 8]) -> [u8; 16] {
    aes_derive(bdk, derivation_data(usage::INITIAL_KEY, *initial_key_id))
}

fn aes_context(ksn: &[u8; 12], counter: u32) -> [u8; 8] {
    let c = counter.to_be_bytes();
    [ksn[4], ksn[5], ksn[6], ksn[7], c[0], c[1], c[2], c[3]]
}

/// The transaction (derivation) key of a 12-byte AES KSN (BDK id 4 || derivation id 4 ||
/// counter 4): X9.24-3 6.3.3, one intermediate key per set counter bit.
pub fn aes_transaction_key(bdk: &[u8; 16], ksn: &[u8; 12]) -> [u8; 16] {
    let initial_key_id: [u8; 8] = std::array::from_fn(|i| ksn[i]);
    let counter = u32::from_be_bytes([ksn[8], ksn[9], ksn[10], ksn[11]]);
    let mut key = aes_initial_key(bdk, &initial_key_id);
    let mut working = 0u32;
    let mut bit = 0x8000_0000u32;
    while bit > 0 {
        if counter & bit != 0 {
            working |= bit;
            key = aes_derive(&key, derivation_data(usage::KEY_DERIVATION, aes_context(ksn, working)));
        }
        bit >>= 1;
    }
    key
}

/// A working key of `ksn` for `key_usage` (e.g. [`usage::DATA_ENCRYPT`]), AES-128.
pub fn aes_working_key(bdk: &[u8; 16], ksn: &[u8; 12], key_usage: u16) -> [u8; 16] {
    let counter = u32::from_be_bytes([ksn[8], ksn[9], ksn[10], ksn[11]]);
    aes_derive(&aes_transaction_key(bdk, ksn), derivation_data(key_usage, aes_context(ksn, counter)))
}

/// AES-128-CBC decryption with IV 0 and no unpadding.
pub fn aes_cbc_decrypt(key: &[u8; 16], data: &[u8]) -> Result<Vec<u8>, DukptError> {
    if data.is_empty() || !data.len().is_multiple_of(16) {
        return Err(DukptError::BadLength(data.len()));
    }
    let mut buf = data.to_vec();
    cbc::Decryptor::<Aes128>::new(key.into(), &[0u8; 16].into())
        .decrypt_padded_mut::<NoPadding>(&mut buf)
        .map_err(|_| DukptError::BadLength(data.len()))?;
    Ok(buf)
}

/// Encryption counterparts, for tests and the load generator to build reader-like blocks.
pub mod encrypt {
    use super::*;
    use cbc::cipher::BlockEncryptMut;

    /// TDES-CBC, IV 0, zero padding: what a MagneSafe reader sends.
    pub fn tdes_cbc_zero_padded(key: &[u8; 16], clear: &[u8]) -> Vec<u8> {
        let mut buf = clear.to_vec();
        buf.resize(clear.len().div_ceil(8).max(1) * 8, 0);
        let len = buf.len();
        match cbc::Encryptor::<TdesEde2>::new(key.into(), &[0u8; 8].into())
            .encrypt_padded_mut::<NoPadding>(&mut buf, len)
        {
            Ok(ct) => ct.to_vec(),
            Err(_) => Vec::new(),
        }
    }

    /// AES-128-CBC, IV 0, zero padding.
    pub fn aes_cbc_zero_padded(key: &[u8; 16], clear: &[u8]) -> Vec<u8> {
        let mut buf = clear.to_vec();
        buf.resize(clear.len().div_ceil(16).max(1) * 16, 0);
        let len = buf.len();
        match cbc::Encryptor::<Aes128>::new(key.into(), &[0u8; 16].into())
            .encrypt_padded_mut::<NoPadding>(&mut buf, len)
        {
            Ok(ct) => ct.to_vec(),
            Err(_) => Vec::new(),
        }
    }

    /// Encrypts one 8-byte block under a TDES key (an ISO 9564 PIN block).
    pub fn tdes_block(key: &[u8; 16], block: [u8; 8]) -> [u8; 8] {
        super::tdes_encrypt(key, block)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn h16(s: &str) -> [u8; 16] {
        hex::decode(s).unwrap().try_into().unwrap()
    }

    const BDK: &str = "0123456789ABCDEFFEDCBA9876543210";

    fn ksn(s: &str) -> [u8; 10] {
        hex::decode(s).unwrap().try_into().unwrap()
    }

    #[test]
    fn tdes_ipek_matches_x9_24_1_annex_a() {
        let ipek = tdes_ipek(&h16(BDK), &ksn("FFFF9876543210E00000"));
        assert_eq!(hex::encode_upper(ipek), "6AC292FAA1315B4D858AB3A3D7D5933A");
        // The IPEK ignores the counter bits.
        assert_eq!(tdes_ipek(&h16(BDK), &ksn("FFFF9876543210E00008")), ipek);
    }

    #[test]
    fn tdes_transaction_and_pin_keys_match_the_published_vectors() {
        // X9.24-1 annex A, counter 1: key 042666B49184CFA368DE9628D0397BC9; its PIN variant
        // (last byte of each half XOR FF) is the published PIN encryption key.
        let k = ksn("FFFF9876543210E00001");
        assert_eq!(hex::encode_upper(tdes_transaction_key(&h16(BDK), &k)), "042666B49184CFA368DE9628D0397BC9");
        assert_eq!(hex::encode_upper(tdes_pin_key(&h16(BDK), &k)), "042666B49184CF5C68DE9628D0397B36");
        // Counter 0 is the IPEK itself.
        assert_eq!(
            hex::encode_upper(tdes_transaction_key(&h16(BDK), &ksn("FFFF9876543210E00000"))),
            "6AC292FAA1315B4D858AB3A3D7D5933A"
        );
    }

    #[test]
    fn aes_dukpt_matches_x9_24_3_vectors() {
        let bdk = h16("FEDCBA9876543210F1F1F1F1F1F1F1F1");
        let ik_id: [u8; 8] = hex::decode("1234567890123456").unwrap().try_into().unwrap();
        assert_eq!(hex::encode_upper(aes_initial_key(&bdk, &ik_id)), "1273671EA26AC29AFA4D1084127652A1");
        let ksn: [u8; 12] = hex::decode("123456789012345600000001").unwrap().try_into().unwrap();
        assert_eq!(hex::encode_upper(aes_transaction_key(&bdk, &ksn)), "4F21B565BAD9835E112B6465635EAE44");
        assert_eq!(
            hex::encode_upper(aes_working_key(&bdk, &ksn, usage::DATA_ENCRYPT)),
            "A35C412EFD41FDB98B69797C02DCD08F"
        );
    }

    #[test]
    fn cbc_round_trips_and_refuses_partial_blocks() {
        let key = h16("042666B49184CF5C68DE9628D0397B36");
        let ct = encrypt::tdes_cbc_zero_padded(&key, b";4111111111111111=28121010000000000000?");
        assert_eq!(ct.len(), 40);
        let clear = tdes_cbc_decrypt(&key, &ct).unwrap();
        assert!(clear.starts_with(b";4111111111111111=2812"));
        assert_eq!(tdes_cbc_decrypt(&key, &ct[..7]), Err(DukptError::BadLength(7)));
        assert_eq!(tdes_cbc_decrypt(&key, &[]), Err(DukptError::BadLength(0)));
        let ct = encrypt::aes_cbc_zero_padded(&key, b"abc");
        assert_eq!(&aes_cbc_decrypt(&key, &ct).unwrap()[..3], b"abc");
        assert!(aes_cbc_decrypt(&key, &ct[..15]).is_err());
        let block = [1, 2, 3, 4, 5, 6, 7, 8];
        assert_eq!(tdes_decrypt_block(&key, encrypt::tdes_block(&key, block)), block);
    }
}
