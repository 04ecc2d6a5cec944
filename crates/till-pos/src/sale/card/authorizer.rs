//! Card authorisation: the interface the payment platform client
//! ([`crate::sale::card::remote_authorizer::RemoteAuthorizer`]) implements, and the stand-in that answers
//! in demo mode only, while no payments server is configured (outside demo mode it does not
//! exist: see [`crate::sale::card::platform_setup`]).
//!
//! [`AuthorizationRequest`] is what the real client will send: the payment id as idempotency
//! key, the amount and currency, the masked number and brand, the card data (encrypted under
//! the payment platform key, or the encrypting reader's block and KSN untouched), the PIN block
//! when the customer entered a PIN, and how the card was entered. Its `Debug` shows none of the
//! secrets. [`AuthorizationResponse`] is approved with an approval code, or declined with a
//! reason code and message.
//!
//! [`StandInAuthorizer`] is **not** a payment platform. It plays one locally, so a demo till
//! can sell by card: it decrypts the card data with the platform key (as the
//! platform would), applies the rules below and approves with codes that start with `SIM`.
//! Its rules, in order:
//!
//! 1. card data from an encrypting reader: declined `N7`, only the platform holds the reader's
//!    keys;
//! 2. card data that does not decrypt: declined `14`;
//! 3. a number that fails the Luhn check: declined `14` (invalid card number);
//! 4. an expiry month before the current one (by the injected clock): declined `54`;
//! 5. the test number [`DECLINED_TEST_PAN`]: declined `05` (do not honour);
//! 6. an amount above [`STAND_IN_LIMIT_MINOR`] minor units: declined `61`;
//! 7. the card asks for a PIN and none was entered: declined `55`; a PIN block that does not
//!    decode, or the PIN `0000`: declined `55` (incorrect PIN);
//! 8. otherwise approved, with `SIM` and six hex digits from a hash of the payment id, so a
//!    retried request gets the same code (idempotent).

use crate::sale::card::pin_block::{self, PinBlock};
use crate::sale::card::platform_key::{EncryptedCardData, PlatformKeySlot};
use crate::Result;
use sha2::{Digest, Sha256};
use std::fmt;
use std::sync::Arc;
use till_core::Clock;
use till_core::{CardBrand, MaskedPan, Money};
use till_devices::EncryptedBlock;

/// The stand-in declines this Visa test number.
pub const DECLINED_TEST_PAN: &str = "4000000000000002";
/// The stand-in declines amounts above this many minor units (10,000.00).
pub const STAND_IN_LIMIT_MINOR: i64 = 1_000_000;

/// How the card reached the till.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EntryMode {
    /// Swiped on a reader the till drives.
    Magstripe,
    /// Swiped on a keyboard-wedge reader that typed the tracks into the cashier's input.
    MagstripeWedge,
}

impl EntryMode {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            EntryMode::Magstripe => "magstripe",
            EntryMode::MagstripeWedge => "magstripe-wedge",
        }
    }
}

/// The card data as it travels to the platform.
#[derive(Debug, Clone)]
pub enum PlatformCardData {
    /// A clear-text reader's PAN and expiry, encrypted by the till under the platform key.
    Encrypted(EncryptedCardData),
    /// An encrypting reader's block with its KSN, untouched.
    ReaderBlock(EncryptedBlock),
}

/// What the payment platform client sends to authorise a card payment.
pub struct AuthorizationRequest {
    /// The payment id: the request's Idempotency-Key, and the card data's associated data.
    pub payment_id: String,
    /// The cart's checkout key, sent as the platform's `order_id` (the order number does not
    /// exist before the payment is approved).
    pub order_ref: String,
    /// Amount and currency.
    pub amount: Money,
    /// First six and last four.
    pub masked_pan: MaskedPan,
    /// Scheme.
    pub brand: CardBrand,
    /// The card data.
    pub card_data: PlatformCardData,
    /// Whether the card's service code asks for a PIN.
    pub pin_required: bool,
    /// The ISO 9564 format 4 PIN block, when a PIN was entered.
    pub pin_block: Option<PinBlock>,
    /// How the card was entered.
    pub entry_mode: EntryMode,
}

impl fmt::Debug for AuthorizationRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AuthorizationRequest")
            .field("payment_id", &self.payment_id)
            .field("order_ref", &self.order_ref)
            .field("amount", &self.amount.to_string())
            .field("masked_pan", &self.masked_pan.as_str())
            .field("brand", &self.brand)
            .field("card_data", &self.card_data)
            .field("pin_required", &self.pin_required)
            .field("has_pin_block", &self.pin_block.is_some())
            .field("entry_mode", &self.entry_mode)
            .finish()
    }
}

/// The platform's answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AuthorizationResponse {
    /// Approved.
    Approved {
        /// The approval code for the receipt.
        auth_code: String,
    },
    /// Declined.
    Declined {
        /// The reason code (ISO 8583 response code style, e.g. `05`, `51`, `55`).
        reason_code: String,
        /// Words for the cashier.
        message: String,
    },
}

/// Whoever authorises card payments: the payment platform client, or the stand-in.
pub trait PaymentAuthorizer: Send + Sync {
    /// A name for logs and the audit trail.
    fn name(&self) -> &'static str;

    /// Authorises one payment. `Err` means no answer (no key, no connection), not a decline;
    /// [`crate::error::PaymentError::Unreachable`] in particular means the platform could
    /// not be reached in time, which the card flow may answer with an offline approval.
    fn authorize(&self, request: &AuthorizationRequest) -> Result<AuthorizationResponse>;
}

/// The local stand-in for the payment platform; see the module docs for its rules.
pub struct StandInAuthorizer {
    keys: Arc<PlatformKeySlot>,
    clock: Arc<dyn Clock>,
}

impl StandInAuthorizer {
    /// A stand-in reading the platform key from `keys` and the date from `clock`.
    pub fn new(keys: Arc<PlatformKeySlot>, clock: Arc<dyn Clock>) -> Self {
        StandInAuthorizer { keys, clock }
    }
}

fn declined(reason_code: &str, message: &str) -> AuthorizationResponse {
    AuthorizationResponse::Declined { reason_code: reason_code.into(), message: message.into() }
}

/// Whether a `YYMM` expiry lies before the month of `now_ms` (a card is good through the end of
/// its expiry month). Years are taken as 20YY.
pub fn expired(expiry: &str, now_ms: i64) -> bool {
    let (yy, mm) = match (expiry.get(..2).map(str::parse::<i64>), expiry.get(2..4).map(str::parse::<u32>)) {
        (Some(Ok(y)), Some(Ok(m))) if expiry.len() == 4 => (y, m),
        _ => return true,
    };
    let (year, month) = till_core::calendar::year_month(now_ms);
    (2000 + yy, mm) < (year, month)
}

impl PaymentAuthorizer for StandInAuthorizer {
    fn name(&self) -> &'static str {
        "stand-in (no payment platform)"
    }

    fn authorize(&self, r: &AuthorizationRequest) -> Result<AuthorizationResponse> {
        let key = self.keys.require()?;
        let data = match &r.card_data {
            PlatformCardData::ReaderBlock(_) => {
                return Ok(declined(
                    "N7",
                    "the stand-in cannot decrypt a reader's block; only the payment platform can",
                ))
            }
            PlatformCardData::Encrypted(d) => d,
        };
        let Ok((pan, expiry)) = key.decrypt_card(&r.payment_id, data) else {
            return Ok(declined("14", "the card data does not decrypt"));
        };
        if !till_core::luhn::is_valid(pan.expose()) {
            return Ok(declined("14", "invalid card number"));
        }
        if expired(&expiry, self.clock.now_ms()) {
            return Ok(declined("54", "expired card"));
        }
        if pan.expose() == DECLINED_TEST_PAN {
            return Ok(declined("05", "do not honour"));
        }
        if r.amount.minor() > STAND_IN_LIMIT_MINOR {
            return Ok(declined("61", "amount above the stand-in's limit"));
        }
        match (&r.pin_block, r.pin_required) {
            (None, true) => return Ok(declined("55", "this card needs its PIN")),
            (Some(block), _) => {
                let pin = pin_block::decipher(&key.pin_key()?, block, pan.expose());
                let ok = matches!(&pin, Ok(p) if p != "0000");
                if let Ok(p) = pin {
                    crate::admin::secrets::wipe_string(p);
                }
                if !ok {
                    return Ok(declined("55", "incorrect PIN"));
                }
            }
            (None, false) => {}
        }
        let digest = Sha256::digest(format!("till stand-in approval\0{}", r.payment_id).as_bytes());
        Ok(AuthorizationResponse::Approved { auth_code: format!("SIM{}", hex::encode_upper(&digest[..3])) })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sale::card::platform_key::PlatformKey;
    use crate::ManualClock;
    use rand::rngs::StdRng;
    use rand::SeedableRng;
    use till_core::Currency;
    use till_devices::SecretPan;

    // 2026-09-21
    const NOW: i64 = 1_790_000_000_000;

    struct Case {
        keys: Arc<PlatformKeySlot>,
        key: PlatformKey,
        stand_in: StandInAuthorizer,
        rng: StdRng,
    }

    fn case() -> Case {
        let keys = Arc::new(PlatformKeySlot::default());
        let mut rng = StdRng::seed_from_u64(3);
        let key = PlatformKey::random(&mut rng);
        let stand_in = StandInAuthorizer::new(keys.clone(), Arc::new(ManualClock::new(NOW)));
        Case { keys, key, stand_in, rng }
    }

    impl Case {
        fn request(
            &mut self,
            pan: &str,
            expiry: &str,
            minor: i64,
            pin: Option<&str>,
            pin_required: bool,
        ) -> AuthorizationRequest {
            let secret = SecretPan::new(pan.into());
            let data = self.key.encrypt_card("pay-1", &secret, expiry, &mut self.rng).unwrap();
            let pin_block =
                pin.map(|p| pin_block::encipher(&self.key.pin_key().unwrap(), p, pan, &mut self.rng).unwrap());
            AuthorizationRequest {
                payment_id: "pay-1".into(),
                order_ref: "cart-1".into(),
                amount: Money::new(minor, Currency::CNY),
                masked_pan: MaskedPan::from_pan(pan).unwrap(),
                brand: CardBrand::from_bin(pan),
                card_data: PlatformCardData::Encrypted(data),
                pin_required,
                pin_block,
                entry_mode: EntryMode::Magstripe,
            }
        }

        fn answer(&mut self, pan: &str, expiry: &str, minor: i64, pin: Option<&str>, pin_required: bool) -> String {
            let r = self.request(pan, expiry, minor, pin, pin_required);
            match self.stand_in.authorize(&r).unwrap() {
                AuthorizationResponse::Approved { auth_code } => auth_code,
                AuthorizationResponse::Declined { reason_code, .. } => format!("declined {reason_code}"),
            }
        }
    }

    #[test]
    fn the_rules() {
        let mut c = case();
        let r = c.request("4111111111111111", "2812", 100, None, false);
        assert_eq!(c.stand_in.authorize(&r).unwrap_err().code(), crate::ErrorCode::PlatformKeyMissing);
        c.keys_put();
        let code = c.answer("4111111111111111", "2812", 100, None, false);
        assert!(code.starts_with("SIM") && code.len() == 9, "{code}");
        assert_eq!(c.answer("4111111111111111", "2812", 999, None, false), code, "same payment id, same code");
        assert_eq!(c.answer("4111111111111112", "2812", 100, None, false), "declined 14");
        assert_eq!(c.answer("4111111111111111", "2608", 100, None, false), "declined 54");
        assert!(c.answer("4111111111111111", "2609", 100, None, false).starts_with("SIM"), "good through its month");
        assert_eq!(c.answer(DECLINED_TEST_PAN, "2812", 100, None, false), "declined 05");
        assert_eq!(c.answer("4111111111111111", "2812", STAND_IN_LIMIT_MINOR + 1, None, false), "declined 61");
        assert_eq!(c.answer("4111111111111111", "2812", 100, None, true), "declined 55");
        assert_eq!(c.answer("4111111111111111", "2812", 100, Some("0000"), true), "declined 55");
        assert!(c.answer("4111111111111111", "2812", 100, Some("1234"), true).starts_with("SIM"));
        // a ciphertext moved to another payment does not decrypt
        let mut r = c.request("4111111111111111", "2812", 100, None, false);
        r.payment_id = "pay-2".into();
        assert!(
            matches!(c.stand_in.authorize(&r).unwrap(), AuthorizationResponse::Declined { reason_code, .. } if reason_code == "14")
        );
        let debug = format!("{r:?}");
        assert!(!debug.contains("4111111111111111") && debug.contains("411111******1111"), "{debug}");
    }

    impl Case {
        fn keys_put(&mut self) {
            self.keys.put(Some(self.key.clone()));
        }
    }

    #[test]
    fn dates() {
        assert_eq!(till_core::calendar::year_month(0), (1970, 1));
        assert_eq!(till_core::calendar::year_month(NOW), (2026, 9));
        assert_eq!(till_core::calendar::year_month(951_782_400_000), (2000, 2)); // 2000-02-29
        assert!(expired("2608", NOW) && !expired("2609", NOW) && !expired("3001", NOW) && expired("xx", NOW));
    }
}
