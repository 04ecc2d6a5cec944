//! The redemption token (loyalty token version 2): what the customer's phone signs when it is
//! shown "redeem N points for order X" (CN101986339A, `docs/protocols/points-terminal.md`
//! section 8.2). One layout for the phone (and its simulator), the points terminal's driver
//! and the points server, so the three cannot drift apart.
//!
//! Version 1 (44 bytes: account, counter, time, MAC) only says *who* the customer is: it
//! identifies them and may authorise earning. A redemption needs version 2, whose MAC also
//! covers what it allows: the kind (redeem), the points and the order (the cart's checkout
//! key, which the sale carries to the server):
//!
//! ```text
//! version u8 (0x02) | account_id (16) | counter u32 BE | issued_at u64 BE
//!   | kind u8 (0x01 redeem) | points u32 BE | order_ref (16) | mac (16)          = 66 bytes
//! mac = first 16 bytes of HMAC-SHA256(k_c, the 50 bytes before it)
//! ```
//!
//! The version byte in front keeps the two versions apart: a version 1 token is 44 bytes and
//! its MAC covers 28 bytes starting with the account id, never these 50.

use crate::CoreError;
use hmac::{Hmac, Mac};
use sha2::Sha256;

/// The first byte of a version 2 token.
pub const VERSION_2: u8 = 0x02;
/// The kind byte of a redemption.
pub const KIND_REDEEM: u8 = 0x01;
/// Length of a version 2 token.
pub const REDEEM_TOKEN_LEN: usize = 66;
/// Length of the bytes its MAC covers.
pub const SIGNED_LEN: usize = 50;
/// The most points one token may name (the points server's largest single change).
pub const MAX_POINTS: u32 = 1_000_000_000;

/// What a redemption token allows: `points` of the account, for the order `order_ref`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Redemption {
    /// Points to take off the balance, 1 to [`MAX_POINTS`].
    pub points: u32,
    /// The order: the 16 bytes of the cart's checkout key (32 hex digits on the wire).
    pub order_ref: [u8; 16],
}

impl Redemption {
    /// A redemption of `points` (1 to [`MAX_POINTS`]) for the cart whose checkout key is
    /// `checkout_key` (32 hex digits, as `CartId` writes it).
    pub fn new(points: i64, checkout_key: &str) -> Result<Self, CoreError> {
        let points = u32::try_from(points)
            .ok()
            .filter(|p| (1..=MAX_POINTS).contains(p))
            .ok_or(CoreError::InvalidLoyaltyToken("points must be 1 to 1,000,000,000"))?;
        Ok(Redemption { points, order_ref: order_ref(checkout_key)? })
    }

    /// The order as 32 lower-case hex digits: the checkout key it names.
    pub fn checkout_key(&self) -> String {
        hex::encode(self.order_ref)
    }
}

/// The 16 bytes of a checkout key written as 32 hex digits.
pub fn order_ref(checkout_key: &str) -> Result<[u8; 16], CoreError> {
    hex::decode(checkout_key)
        .ok()
        .and_then(|v| <[u8; 16]>::try_from(v).ok())
        .ok_or(CoreError::InvalidLoyaltyToken("the order is a checkout key of 32 hex digits"))
}

/// A version 2 token, parsed (its MAC not yet checked: only the points server holds `k_c`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct RedeemToken {
    /// The points account.
    pub account_id: [u8; 16],
    /// The phone's counter; shared with version 1 tokens, each value accepted once, increasing.
    pub counter: u32,
    /// When the phone made it, unix seconds.
    pub issued_at: u64,
    /// What it allows.
    pub redemption: Redemption,
    /// The first 16 bytes of HMAC-SHA256(k_c, [`RedeemToken::signed_bytes`]).
    pub mac: [u8; 16],
}

fn hmac(k_c: &[u8], bytes: &[u8]) -> Result<Hmac<Sha256>, CoreError> {
    let mut m =
        Hmac::<Sha256>::new_from_slice(k_c).map_err(|_| CoreError::InvalidLoyaltyToken("unusable account key"))?;
    m.update(bytes);
    Ok(m)
}

impl RedeemToken {
    /// The phone's side: a token for `redemption`, signed with the account's key `k_c`.
    pub fn sign(k_c: &[u8], account_id: [u8; 16], counter: u32, issued_at: u64, redemption: Redemption) -> Self {
        let mut t = RedeemToken { account_id, counter, issued_at, redemption, mac: [0; 16] };
        if let Ok(m) = hmac(k_c, &t.signed_bytes()) {
            t.mac.copy_from_slice(&m.finalize().into_bytes()[..16]);
        }
        t
    }

    /// Reads a token; anything but 66 bytes starting with version 2 and naming a redemption of
    /// 1 to [`MAX_POINTS`] points is refused.
    pub fn parse(bytes: &[u8]) -> Result<Self, CoreError> {
        let bad = CoreError::InvalidLoyaltyToken;
        let bytes: &[u8; REDEEM_TOKEN_LEN] = bytes.try_into().map_err(|_| bad("a redemption token is 66 bytes"))?;
        if bytes[0] != VERSION_2 {
            return Err(bad("not a version 2 token"));
        }
        if bytes[29] != KIND_REDEEM {
            return Err(bad("a version 2 token of an unknown kind"));
        }
        let take = |from: usize| -> [u8; 16] { std::array::from_fn(|i| bytes[from + i]) };
        let points = u32::from_be_bytes([bytes[30], bytes[31], bytes[32], bytes[33]]);
        if !(1..=MAX_POINTS).contains(&points) {
            return Err(bad("a redemption of 1 to 1,000,000,000 points"));
        }
        Ok(RedeemToken {
            account_id: take(1),
            counter: u32::from_be_bytes([bytes[17], bytes[18], bytes[19], bytes[20]]),
            issued_at: u64::from_be_bytes(std::array::from_fn(|i| bytes[21 + i])),
            redemption: Redemption { points, order_ref: take(34) },
            mac: take(50),
        })
    }

    /// The 50 bytes the MAC covers.
    pub fn signed_bytes(&self) -> [u8; SIGNED_LEN] {
        let mut out = [0u8; SIGNED_LEN];
        out[0] = VERSION_2;
        out[1..17].copy_from_slice(&self.account_id);
        out[17..21].copy_from_slice(&self.counter.to_be_bytes());
        out[21..29].copy_from_slice(&self.issued_at.to_be_bytes());
        out[29] = KIND_REDEEM;
        out[30..34].copy_from_slice(&self.redemption.points.to_be_bytes());
        out[34..50].copy_from_slice(&self.redemption.order_ref);
        out
    }

    /// The token as it travels: 66 bytes.
    pub fn to_bytes(&self) -> [u8; REDEEM_TOKEN_LEN] {
        let mut out = [0u8; REDEEM_TOKEN_LEN];
        out[..SIGNED_LEN].copy_from_slice(&self.signed_bytes());
        out[SIGNED_LEN..].copy_from_slice(&self.mac);
        out
    }

    /// Whether the MAC is the one `k_c` makes (compared in constant time).
    pub fn mac_matches(&self, k_c: &[u8]) -> bool {
        hmac(k_c, &self.signed_bytes()).is_ok_and(|m| m.verify_truncated_left(&self.mac).is_ok())
    }

    /// Whether the token allows exactly `wanted`: the same points for the same order. A token
    /// for fewer or more points, or for another order, does not.
    pub fn covers(&self, wanted: &Redemption) -> bool {
        self.redemption == *wanted
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const KEY: [u8; 32] = [7; 32];
    const CART: &str = "00112233445566778899aabbccddeeff";

    #[test]
    fn the_layout_is_byte_exact_and_the_mac_covers_every_field() {
        let r = Redemption::new(100, CART).unwrap();
        let t = RedeemToken::sign(&KEY, [0xA1; 16], 0x0102_0304, 0x6A00_0000, r);
        let b = t.to_bytes();
        assert_eq!(b[0], 2);
        assert_eq!(&b[17..21], &[1, 2, 3, 4]);
        assert_eq!(&b[21..29], &[0, 0, 0, 0, 0x6A, 0, 0, 0]);
        assert_eq!(b[29], 1);
        assert_eq!(&b[30..34], &[0, 0, 0, 100]);
        assert_eq!(hex::encode(&b[34..50]), CART);
        assert_eq!(RedeemToken::parse(&b).unwrap(), t);
        assert!(t.mac_matches(&KEY));
        assert!(!t.mac_matches(&[8; 32]));
        // Any byte changed under the MAC (the version and kind bytes aside, which parse
        // refuses) breaks it.
        for i in (1..SIGNED_LEN).filter(|&i| i != 29) {
            let mut forged = b;
            forged[i] ^= 0x01;
            if let Ok(f) = RedeemToken::parse(&forged) {
                assert!(!f.mac_matches(&KEY), "byte {i}");
            }
        }
    }

    #[test]
    fn a_token_covers_exactly_its_points_and_its_order() {
        let r = Redemption::new(100, CART).unwrap();
        let t = RedeemToken::sign(&KEY, [1; 16], 1, 1, r);
        assert!(t.covers(&r));
        assert!(!t.covers(&Redemption::new(500, CART).unwrap()));
        assert!(!t.covers(&Redemption::new(99, CART).unwrap()));
        assert!(!t.covers(&Redemption::new(100, &"ff".repeat(16)).unwrap()));
        assert_eq!(r.checkout_key(), CART);
    }

    #[test]
    fn malformed_tokens_and_redemptions_are_refused() {
        let good = RedeemToken::sign(&KEY, [1; 16], 1, 1, Redemption::new(5, CART).unwrap()).to_bytes();
        assert!(RedeemToken::parse(&good[..65]).is_err());
        assert!(RedeemToken::parse(&[good.as_slice(), &[0]].concat()).is_err());
        assert!(RedeemToken::parse(&[0u8; 44]).is_err(), "a version 1 token is not a redemption token");
        let mut v = good;
        v[0] = 1;
        assert!(RedeemToken::parse(&v).is_err());
        let mut k = good;
        k[29] = 2;
        assert!(RedeemToken::parse(&k).is_err());
        let mut zero = good;
        zero[30..34].copy_from_slice(&[0; 4]);
        assert!(RedeemToken::parse(&zero).is_err());
        for p in [0, -1, i64::from(MAX_POINTS) + 1] {
            assert!(Redemption::new(p, CART).is_err(), "{p}");
        }
        for key in ["", "00112233", &CART.replace('0', "g"), &format!("{CART}00")] {
            assert!(Redemption::new(1, key).is_err(), "{key}");
        }
    }

    proptest! {
        #[test]
        fn parse_never_panics_and_what_parses_round_trips(bytes in proptest::collection::vec(any::<u8>(), 0..80)) {
            if let Ok(t) = RedeemToken::parse(&bytes) {
                prop_assert_eq!(t.to_bytes().to_vec(), bytes);
            }
        }
    }
}
