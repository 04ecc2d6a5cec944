//! The customer's phone as the simulator plays it: enrolled in a points account, it makes the
//! tokens the real app would make. A version 1 token when the terminal asks who the customer
//! is (READ_CUSTOMER); a version 2 token signed over exactly the redemption the terminal shows
//! it (REDEEM: kind, points, order), so the customer approves each redemption by what they saw.

use super::pairing::hmac_sha256;
use super::token::LoyaltyToken;
use crate::DeviceError;
use till_core::loyalty_token::{RedeemToken, Redemption};

/// A phone enrolled in a points account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Phone {
    /// The points account.
    pub account_id: [u8; 16],
    /// The account's key, shared only with the points server.
    pub k_c: [u8; 32],
    /// The last counter used; the next token carries one more.
    pub counter: u32,
}

impl Phone {
    /// Demo phone `n`: account id `DEMO-ACCOUNT-nnn` (zero-padded to 3 digits, 16 bytes) and
    /// `k_c` = `HMAC-SHA256("till-demo-phone", [n])`. Test keys only.
    pub fn demo(n: u8) -> Phone {
        let mut account_id = [0u8; 16];
        account_id.copy_from_slice(format!("DEMO-ACCOUNT-{n:03}").as_bytes());
        Phone { account_id, k_c: hmac_sha256(b"till-demo-phone", &[&[n]]), counter: 0 }
    }

    /// The phone of a new points account, from the enrolment message the till showed as a
    /// QR code (the phone's side of CN101986339A's registration).
    pub fn enrol(message: &str) -> Result<Phone, DeviceError> {
        let e = till_core::enrolment::Enrolment::parse(message)
            .map_err(|_| DeviceError::Unsupported("not a points enrolment message".into()))?;
        Ok(Phone { account_id: e.account_id, k_c: e.key, counter: 0 })
    }

    /// The next identify token (version 1): counter + 1, `issued_at` in unix seconds, MAC over
    /// both and the account.
    pub fn issue(&mut self, issued_at: u64) -> LoyaltyToken {
        self.counter = self.counter.wrapping_add(1);
        let mut t = LoyaltyToken { account_id: self.account_id, counter: self.counter, issued_at, mac: [0; 16] };
        let full = hmac_sha256(&self.k_c, &[&t.signed_bytes()]);
        t.mac.copy_from_slice(&full[..16]);
        t
    }

    /// The next redemption token (version 2), for exactly `redemption`: the customer saw its
    /// points and order on the terminal and approved them.
    pub fn issue_redeem(&mut self, issued_at: u64, redemption: Redemption) -> RedeemToken {
        self.counter = self.counter.wrapping_add(1);
        RedeemToken::sign(&self.k_c, self.account_id, self.counter, issued_at, redemption)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_demo_phone_makes_tokens_whose_mac_is_hmac_of_k_c() {
        let mut phone = Phone::demo(1);
        assert_eq!(&phone.account_id, b"DEMO-ACCOUNT-001");
        let t1 = phone.issue(1_800_000_000);
        let t2 = phone.issue(1_800_000_001);
        assert_eq!((t1.counter, t2.counter), (1, 2));
        let full = hmac_sha256(&phone.k_c, &[&t1.account_id, &1u32.to_be_bytes(), &1_800_000_000u64.to_be_bytes()]);
        assert_eq!(t1.mac, full[..16]);
        assert_ne!(t1.mac, t2.mac);
    }

    #[test]
    fn a_redemption_token_names_what_was_shown_and_shares_the_counter() {
        let mut phone = Phone::demo(2);
        phone.issue(1);
        let shown = Redemption::new(100, &"ab".repeat(16)).unwrap();
        let t = phone.issue_redeem(1_800_000_000, shown);
        assert_eq!((t.counter, t.account_id, t.redemption), (2, phone.account_id, shown));
        assert!(t.mac_matches(&phone.k_c));
        assert!(!t.mac_matches(&Phone::demo(1).k_c));
    }
}
