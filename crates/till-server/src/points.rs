//! Loyalty tokens (`till-points-v1`) and enrolment messages (CN101986339A).
//!
//! The phone holds the key information `k_c` of its points account and makes a token per use.
//! Two versions, told apart by their length:
//!
//! - **version 1, identify** (44 bytes): `account_id (16) || counter (u32 BE) || issued_at (u64
//!   BE) || mac (16)`, `mac` the first 16 bytes of HMAC-SHA256(k_c, the first 28 bytes). It says
//!   who the customer is and may authorise an `earn`, nothing else.
//! - **version 2, redeem** (66 bytes, [`till_core::loyalty_token`]): its MAC also covers the
//!   kind, the points and the order (the sale's checkout key). Only it may authorise a
//!   `redeem`, and only of exactly those points for exactly that sale.
//!
//! The server accepts a token only if the MAC verifies, it covers the change asked for,
//! `issued_at` is within [`TOKEN_WINDOW_SECS`] of its clock, and `counter` is above the last
//! counter it accepted for the account (one counter for both versions), so each token is good
//! for one update. One exception, for a till that was offline longer than the window: an earn
//! sent again with the customer's next identification (`identified_again`) is taken past the
//! window under its own token if that token's counter was never used (`routes::points`).

use crate::error::ApiError;
use hmac::{Hmac, Mac};
use sha2::Sha256;
use till_core::loyalty_token::{RedeemToken, Redemption, REDEEM_TOKEN_LEN};

/// Length of an identify token (version 1) in bytes.
pub const TOKEN_LEN: usize = 44;
/// How far `issued_at` may be from the server's clock, either way.
pub const TOKEN_WINDOW_SECS: i64 = 600;

/// A parsed (not yet verified) identify token (version 1).
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

/// Checks a token's age against the clock.
fn check_window(issued_at: u64, now: i64) -> Result<(), ApiError> {
    let skew = now.saturating_sub(i64::try_from(issued_at).unwrap_or(i64::MAX));
    if skew.saturating_abs() > TOKEN_WINDOW_SECS {
        return Err(ApiError::TokenExpired(skew));
    }
    Ok(())
}

/// Checks a token's age against the clock and its counter against the last one accepted.
fn check_fresh(counter: u32, issued_at: u64, last_counter: u32, now: i64) -> Result<(), ApiError> {
    check_window(issued_at, now)?;
    if counter <= last_counter {
        return Err(ApiError::TokenReplayed { counter, last: last_counter });
    }
    Ok(())
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
        check_fresh(self.counter, self.issued_at, last_counter, now)
    }

    /// Checks the token against the account's key and the clock only: that the customer was
    /// identified within the window. Its counter is neither checked nor consumed: it stands in
    /// for the window of an earn sent again after a new identification (`identified_again`).
    pub fn verify_identified_now(&self, key: &[u8], now: i64) -> Result<(), ApiError> {
        mac_of(key, &self.signed)?.verify_truncated_left(&self.mac).map_err(|_| ApiError::InvalidToken)?;
        check_window(self.issued_at, now)
    }
}

/// A token of either version, as a points update carries it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Token {
    /// Version 1: who the customer is.
    Identify(LoyaltyToken),
    /// Version 2: a redemption the customer approved on their phone.
    Redeem(RedeemToken),
}

impl Token {
    /// Parses 44 bytes as an identify token, 66 as a redemption token; anything else is
    /// `invalid_token`.
    pub fn parse(bytes: &[u8]) -> Result<Self, ApiError> {
        match bytes.len() {
            TOKEN_LEN => LoyaltyToken::parse(bytes).map(Token::Identify),
            REDEEM_TOKEN_LEN => RedeemToken::parse(bytes).map(Token::Redeem).map_err(|_| ApiError::InvalidToken),
            _ => Err(ApiError::InvalidToken),
        }
    }

    /// The account it names.
    pub fn account_id(&self) -> [u8; 16] {
        match self {
            Token::Identify(t) => t.account_id,
            Token::Redeem(t) => t.account_id,
        }
    }

    /// Checks the MAC against the account's key (constant time): `invalid_token` if it fails.
    pub fn verify_mac(&self, key: &[u8]) -> Result<(), ApiError> {
        let ok = match self {
            Token::Identify(t) => mac_of(key, &t.signed)?.verify_truncated_left(&t.mac).is_ok(),
            Token::Redeem(t) => t.mac_matches(key),
        };
        if ok {
            Ok(())
        } else {
            Err(ApiError::InvalidToken)
        }
    }

    /// Checks the clock window and the counter (replay protection, the same for both versions).
    pub fn check_fresh(&self, last_counter: u32, now: i64) -> Result<(), ApiError> {
        match self {
            Token::Identify(t) => check_fresh(t.counter, t.issued_at, last_counter, now),
            Token::Redeem(t) => check_fresh(t.counter, t.issued_at, last_counter, now),
        }
    }

    /// The counter it carries.
    pub fn counter(&self) -> u32 {
        match self {
            Token::Identify(t) => t.counter,
            Token::Redeem(t) => t.counter,
        }
    }
}

/// Makes an identify token (version 1) as the phone does (for tests, simulators and the load
/// generator).
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

/// Makes a redemption token (version 2) for `points` of the sale whose checkout key is
/// `checkout_key`, as the phone does when the terminal shows it that redemption (for tests).
/// `None` when the points or the key cannot be carried.
pub fn make_redeem_token(
    key: &[u8],
    account_id: &[u8; 16],
    counter: u32,
    issued_at: u64,
    points: i64,
    checkout_key: &str,
) -> Option<[u8; REDEEM_TOKEN_LEN]> {
    let redemption = Redemption::new(points, checkout_key).ok()?;
    Some(RedeemToken::sign(key, *account_id, counter, issued_at, redemption).to_bytes())
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

    #[test]
    fn tokens_of_both_versions_parse_by_length_and_verify_their_own_mac() {
        let key = [5u8; 32];
        let acct = [1u8; 16];
        let cart = "00112233445566778899aabbccddeeff";
        let v1 = Token::parse(&make_token(&key, &acct, 7, 1_000_000)).unwrap();
        let v2 = Token::parse(&make_redeem_token(&key, &acct, 8, 1_000_000, 100, cart).unwrap()).unwrap();
        assert!(matches!(v1, Token::Identify(_)) && matches!(v2, Token::Redeem(_)));
        assert_eq!((v1.account_id(), v2.account_id(), v1.counter(), v2.counter()), (acct, acct, 7, 8));
        v1.verify_mac(&key).unwrap();
        v2.verify_mac(&key).unwrap();
        assert_eq!(v2.verify_mac(&[6u8; 32]).unwrap_err().code(), "invalid_token");
        assert_eq!(v2.check_fresh(8, 1_000_000).unwrap_err().code(), "token_replayed");
        assert_eq!(v2.check_fresh(7, 1_000_601).unwrap_err().code(), "token_expired");
        v2.check_fresh(7, 1_000_000).unwrap();
        for len in [0, 43, 45, 65, 67, 88] {
            assert_eq!(Token::parse(&vec![2u8; len]).unwrap_err().code(), "invalid_token", "{len}");
        }
        assert!(make_redeem_token(&key, &acct, 1, 1, 0, cart).is_none());
    }
}
