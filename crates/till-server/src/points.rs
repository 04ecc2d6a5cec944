//! Loyalty tokens (`till-points-v1`) and enrolment messages (CN101986339A).
//!
//! The phone holds the key information `k_c` of its points account and makes a 44-byte token per
//! use: `account_id (16) || counter (u32 BE) || issued_at (u64 BE) || mac (16)`, where `mac` is
//! the first 16 bytes of HMAC-SHA256(k_c, the first 28 bytes). The server accepts a token only if
//! the MAC verifies, `issued_at` is within [`TOKEN_WINDOW_SECS`] of its clock, and `counter` is
//! above the last counter it accepted for the account, so each token is good for one update.

use crate::error::ApiError;
use hmac::{Hmac, Mac};
use sha2::Sha256;

/// Length of a token in bytes.
pub const TOKEN_LEN: usize = 44;
/// How far `issued_at` may be from the server's clock, either way.
pub const TOKEN_WINDOW_SECS: i64 = 600;

/// A parsed (not yet verified) loyalty token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoyaltyToken {
    /// The account, 16 bytes.
    pub account_id: [u8; 16],
    /// The phone's counter.
    pub counter: u32,
    /// When the phone made it, unix seconds.
    pub issued_at: u64,
    mac: [u8; 16],
    signed: [u8; 28],
}

fn mac_of(key: &[u8], signed: &[u8]) -> Result<Hmac<Sha256>, ApiError> {
    let mut m = Hmac::<Sha256>::new_from_slice(key).map_err(|_| ApiError::InvalidToken)?;
    m.update(signed);
    Ok(m)
}

impl LoyaltyToken {
    /// Parses the 44 bytes of a token.
    pub fn parse(bytes: &[u8]) -> Result<Self, ApiError> {
        if bytes.len() != TOKEN_LEN {
            return Err(ApiError::InvalidToken);
        }
        let take = |from: usize, to: usize| bytes.get(from..to).ok_or(ApiError::InvalidToken);
        let account_id: [u8; 16] = take(0, 16)?.try_into().map_err(|_| ApiError::InvalidToken)?;
        let counter = u32::from_be_bytes(take(16, 20)?.try_into().map_err(|_| ApiError::InvalidToken)?);
        let issued_at = u64::from_be_bytes(take(20, 28)?.try_into().map_err(|_| ApiError::InvalidToken)?);
        let mac: [u8; 16] = take(28, 44)?.try_into().map_err(|_| ApiError::InvalidToken)?;
        let signed: [u8; 28] = take(0, 28)?.try_into().map_err(|_| ApiError::InvalidToken)?;
        Ok(LoyaltyToken { account_id, counter, issued_at, mac, signed })
    }

    /// Checks the token against the account's key, the clock and the last accepted counter.
    pub fn verify(&self, key: &[u8], last_counter: u32, now: i64) -> Result<(), ApiError> {
        // Truncated MAC compared in constant time.
        mac_of(key, &self.signed)?.verify_truncated_left(&self.mac).map_err(|_| ApiError::InvalidToken)?;
        let skew = now.saturating_sub(i64::try_from(self.issued_at).unwrap_or(i64::MAX));
        if skew.saturating_abs() > TOKEN_WINDOW_SECS {
            return Err(ApiError::TokenExpired(skew));
        }
        if self.counter <= last_counter {
            return Err(ApiError::TokenReplayed { counter: self.counter, last: last_counter });
        }
        Ok(())
    }
}

/// Makes a token as the phone does (for tests, simulators and the load generator).
pub fn make_token(key: &[u8], account_id: &[u8; 16], counter: u32, issued_at: u64) -> [u8; TOKEN_LEN] {
    let mut out = [0u8; TOKEN_LEN];
    out[..16].copy_from_slice(account_id);
    out[16..20].copy_from_slice(&counter.to_be_bytes());
    out[20..28].copy_from_slice(&issued_at.to_be_bytes());
    if let Ok(m) = mac_of(key, &out[..28]) {
        out[28..].copy_from_slice(&m.finalize().into_bytes()[..16]);
    }
    out
}

pub use till_core::enrolment::{base32, base32_decode, enrolment_message};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_verify_once_and_only_in_time() {
        let key = [5u8; 32];
        let acct = [1u8; 16];
        let t = LoyaltyToken::parse(&make_token(&key, &acct, 7, 1_000_000)).unwrap();
        assert_eq!((t.account_id, t.counter, t.issued_at), (acct, 7, 1_000_000));
        t.verify(&key, 6, 1_000_000).unwrap();
        t.verify(&key, 0, 1_000_600).unwrap();
        assert_eq!(t.verify(&key, 7, 1_000_000).unwrap_err().code(), "token_replayed");
        assert_eq!(t.verify(&key, 0, 1_000_601).unwrap_err().code(), "token_expired");
        assert_eq!(t.verify(&key, 0, 999_399).unwrap_err().code(), "token_expired");
        assert_eq!(t.verify(&[6u8; 32], 0, 1_000_000).unwrap_err().code(), "invalid_token");
        let mut bad = make_token(&key, &acct, 7, 1_000_000);
        bad[17] ^= 1;
        assert_eq!(LoyaltyToken::parse(&bad).unwrap().verify(&key, 0, 1_000_000).unwrap_err().code(), "invalid_token");
        assert!(LoyaltyToken::parse(&bad[..43]).is_err());
    }
}
