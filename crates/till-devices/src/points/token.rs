//! The loyalty token a phone hands the points terminal. The till passes it to the points server
//! untouched: only the server holds the account's key `k_c`, so only the server can check it.

use crate::DeviceError;

/// `account_id (16) || counter u32 BE || issued_at u64 BE || mac (16)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct LoyaltyToken {
    /// The points account.
    pub account_id: [u8; 16],
    /// The phone's counter; the server accepts each value once, increasing.
    pub counter: u32,
    /// When the phone made the token, in unix seconds.
    pub issued_at: u64,
    /// The first 16 bytes of HMAC-SHA256(k_c, account_id || counter || issued_at).
    pub mac: [u8; 16],
}

impl LoyaltyToken {
    /// Length of a token on the wire.
    pub const LEN: usize = 44;

    /// Reads a token; anything but exactly 44 bytes is refused.
    pub fn parse(bytes: &[u8]) -> Result<Self, DeviceError> {
        let bytes: &[u8; Self::LEN] = bytes.try_into().map_err(|_| DeviceError::PointsBadMessage {
            field: "loyalty token",
            reason: format!("{} bytes where {} are due", bytes.len(), Self::LEN),
        })?;
        let mut account_id = [0u8; 16];
        account_id.copy_from_slice(&bytes[..16]);
        let mut counter = [0u8; 4];
        counter.copy_from_slice(&bytes[16..20]);
        let mut issued_at = [0u8; 8];
        issued_at.copy_from_slice(&bytes[20..28]);
        let mut mac = [0u8; 16];
        mac.copy_from_slice(&bytes[28..]);
        Ok(LoyaltyToken {
            account_id,
            counter: u32::from_be_bytes(counter),
            issued_at: u64::from_be_bytes(issued_at),
            mac,
        })
    }

    /// The 28 bytes the MAC covers.
    pub fn signed_bytes(&self) -> [u8; 28] {
        let mut out = [0u8; 28];
        out[..16].copy_from_slice(&self.account_id);
        out[16..20].copy_from_slice(&self.counter.to_be_bytes());
        out[20..].copy_from_slice(&self.issued_at.to_be_bytes());
        out
    }

    /// The token as it travels: 44 bytes.
    pub fn to_bytes(&self) -> [u8; Self::LEN] {
        let mut out = [0u8; Self::LEN];
        out[..28].copy_from_slice(&self.signed_bytes());
        out[28..].copy_from_slice(&self.mac);
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn layout_is_byte_exact_and_round_trips() {
        let t = LoyaltyToken {
            account_id: [0xA1; 16],
            counter: 0x0102_0304,
            issued_at: 0x0000_0000_6A00_0000,
            mac: [0xEE; 16],
        };
        let bytes = t.to_bytes();
        assert_eq!(&bytes[16..20], &[1, 2, 3, 4]);
        assert_eq!(&bytes[20..28], &[0, 0, 0, 0, 0x6A, 0, 0, 0]);
        assert_eq!(LoyaltyToken::parse(&bytes).unwrap(), t);
    }

    #[test]
    fn wrong_lengths_are_refused() {
        assert!(LoyaltyToken::parse(&[0u8; 43]).is_err());
        assert!(LoyaltyToken::parse(&[0u8; 45]).is_err());
    }

    proptest! {
        #[test]
        fn parse_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..100)) {
            let _ = LoyaltyToken::parse(&bytes);
        }
    }
}
