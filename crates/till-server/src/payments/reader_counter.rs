//! Each encrypting reader's transaction counter, so a DUKPT card block is taken once.
//!
//! A DUKPT reader encrypts every swipe under a key derived from its key serial number (KSN),
//! and the KSN's counter goes up with every swipe. A block copied off the wire decrypts as well
//! the second time as the first, so the platform remembers, per reader, the highest counter it
//! has taken, and refuses a block whose counter is not above it (422 `replayed_card_block`):
//! the same block under a new payment id, or an older block of the same reader.
//!
//! The reader is the KSN without its counter bits:
//!
//! - TDES DUKPT (ANSI X9.24-1): a 10-byte KSN whose low 21 bits are the counter; the other 59
//!   bits (key set id, device id) name the reader (`tdes:` and the KSN with the counter cleared).
//! - AES DUKPT (ANSI X9.24-3): a 12-byte KSN = BDK id (4) || derivation id (4) || counter (4);
//!   the first 8 bytes (the initial key id) name the reader (`aes:` and those 8 bytes).
//!
//! `platform_gcm` blocks have no KSN: the till's fresh random nonce and the payment id bound into
//! the associated data already keep one from being used for another payment.

use super::card::{CardBlock, CardScheme};
use super::dukpt;
use crate::error::ApiError;

/// One DUKPT block's reader and counter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KsnUse {
    /// The reader: `tdes:` or `aes:` and the KSN without its counter bits, upper-case hex.
    pub reader: String,
    /// The KSN's transaction counter.
    pub counter: i64,
}

/// The reader and counter of `block`'s KSN; `None` for a block without one (`platform_gcm`).
/// A KSN of the wrong form is `invalid_card_block`, as decryption would say.
pub fn ksn_use(block: &CardBlock) -> Result<Option<KsnUse>, ApiError> {
    let bad = |m: &str| ApiError::InvalidCardBlock(m.into());
    let raw = match (&block.scheme, &block.ksn) {
        (CardScheme::PlatformGcm, _) => return Ok(None),
        (_, None) => return Err(bad("a DUKPT block needs its ksn")),
        (_, Some(k)) => hex::decode(k).map_err(|_| bad("ksn is not hex"))?,
    };
    match block.scheme {
        CardScheme::TdesDukpt => {
            let ksn: [u8; 10] = raw.try_into().map_err(|_| bad("a TDES KSN is 10 bytes"))?;
            let counter = dukpt::tdes_counter(&ksn);
            let mut reader = ksn;
            reader[7] &= 0xE0;
            reader[8] = 0;
            reader[9] = 0;
            Ok(Some(KsnUse { reader: format!("tdes:{}", hex::encode_upper(reader)), counter: i64::from(counter) }))
        }
        CardScheme::AesDukpt => {
            let ksn: [u8; 12] = raw.try_into().map_err(|_| bad("an AES KSN is 12 bytes"))?;
            let counter = u32::from_be_bytes([ksn[8], ksn[9], ksn[10], ksn[11]]);
            Ok(Some(KsnUse { reader: format!("aes:{}", hex::encode_upper(&ksn[..8])), counter: i64::from(counter) }))
        }
        CardScheme::PlatformGcm => Ok(None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn block(scheme: CardScheme, ksn: Option<&str>) -> CardBlock {
        CardBlock { scheme, data: "00".into(), ksn: ksn.map(str::to_string), key_variant: None, masked_pan: None }
    }

    #[test]
    fn the_reader_is_the_ksn_without_its_counter() {
        // X9.24-1's KSN with counter 1, and the same reader 21 bits of counter later.
        let first = ksn_use(&block(CardScheme::TdesDukpt, Some("FFFF9876543210E00001"))).unwrap().unwrap();
        assert_eq!(first, KsnUse { reader: "tdes:FFFF9876543210E00000".into(), counter: 1 });
        let last = ksn_use(&block(CardScheme::TdesDukpt, Some("ffff9876543210ffffff"))).unwrap().unwrap();
        assert_eq!(last, KsnUse { reader: "tdes:FFFF9876543210E00000".into(), counter: 0x1F_FFFF });
        // The bit above the counter belongs to the device id: another reader.
        let other = ksn_use(&block(CardScheme::TdesDukpt, Some("FFFF9876543210C00001"))).unwrap().unwrap();
        assert_eq!(other.reader, "tdes:FFFF9876543210C00000");
        // X9.24-3: BDK id 12345678, derivation id 90123456, a 32-bit counter.
        let aes = ksn_use(&block(CardScheme::AesDukpt, Some("1234567890123456FFFFFFFE"))).unwrap().unwrap();
        assert_eq!(aes, KsnUse { reader: "aes:1234567890123456".into(), counter: 0xFFFF_FFFE });
    }

    #[test]
    fn platform_blocks_have_no_reader_and_bad_ksns_are_refused() {
        assert_eq!(ksn_use(&block(CardScheme::PlatformGcm, None)).unwrap(), None);
        for (scheme, ksn) in [
            (CardScheme::TdesDukpt, None),
            (CardScheme::TdesDukpt, Some("zz")),
            (CardScheme::TdesDukpt, Some("123456789012345600000001")),
            (CardScheme::AesDukpt, Some("FFFF9876543210E00001")),
        ] {
            assert_eq!(ksn_use(&block(scheme, ksn)).unwrap_err().code(), "invalid_card_block", "{ksn:?}");
        }
    }
}
