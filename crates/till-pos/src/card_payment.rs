//! Card payments through the configured card reader.
//!
//! The flow (CN102750632A): arm the reader with the amount (the payment indication), wait for
//! the swipe, keep only the masked number and a keyed hash of the full number (HMAC-SHA256
//! under this till's own random key), drop the clear number, and record the sale. There is no
//! payment platform yet (it arrives with the Sync work), so only the simulated reader is
//! approved, locally, with an approval code that says so (`SIM…`).

use crate::auth::SELLERS;
use crate::views::Receipt;
use crate::{lock, Pos, PosError, Result};
use hmac::{Hmac, Mac};
use sha2::Sha256;
use till_core::{CardPayment, Payment};

const KEY_SETTING: &str = "card_hash_key";

/// The till's key for hashing card numbers, created at random on first start.
pub(crate) fn load_or_create_key(pos: &Pos) -> Result<[u8; 32]> {
    let decode = |hex_key: &str| -> Result<[u8; 32]> {
        let bytes = hex::decode(hex_key).map_err(|e| PosError::Internal(format!("card hash key: {e}")))?;
        bytes.try_into().map_err(|_| PosError::Internal("card hash key has the wrong length".into()))
    };
    if let Some(k) = pos.store.setting(KEY_SETTING)? {
        return decode(&k);
    }
    let fresh = pos.random_hex(32);
    pos.store.write(|tx| {
        // Another process may have raced us to it; keep whichever landed first.
        tx.execute("INSERT OR IGNORE INTO settings (key, value) VALUES (?1, ?2)", [KEY_SETTING, &fresh])?;
        Ok(())
    })?;
    let stored = pos.store.setting(KEY_SETTING)?.ok_or_else(|| PosError::Internal("card hash key vanished".into()))?;
    decode(&stored)
}

/// HMAC-SHA256 of a PAN under `key`, hex: lets the till find a card's payments again without
/// storing its number.
pub fn pan_hash(key: &[u8; 32], pan: &str) -> String {
    // HMAC accepts keys of any length, so this cannot fail.
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(key).unwrap_or_else(|_| unreachable!());
    mac.update(pan.as_bytes());
    hex::encode(mac.finalize().into_bytes())
}

impl Pos {
    /// Takes a card for the open cart `cart_id`: arms the reader with the total, waits for the
    /// swipe and records the sale. The cart may not change meanwhile.
    pub fn checkout_card(&self, token: &str, cart_id: &str) -> Result<Receipt> {
        let s = self.authorize(token, SELLERS, "take payment")?;
        let expected = self.snapshot_cart(s.user_id, cart_id)?;
        if expected.cart.is_empty() {
            return Err(till_core::CoreError::EmptyCart.into());
        }
        let total = expected.cart.totals()?.total;
        let (read, reader) = {
            let mut reader = lock(&self.card_reader);
            (reader.read_card(total, self.card_timeout, &till_devices::Cancel::new())?, reader.address())
        };
        if read.pin_required {
            return Err(PosError::CardReadFailed(
                "this card asks for a PIN, and PIN entry is not available on this till yet; please pay another way"
                    .into(),
            ));
        }
        if !reader.starts_with("sim://") {
            return Err(PosError::CardReadFailed("no payment platform is configured to authorise cards".into()));
        }
        // An encrypting reader's number is only for the payment platform, which is not here yet.
        let pan = read.clear_pan().ok_or_else(|| {
            PosError::CardReadFailed("this reader encrypts; only the payment platform can take its cards".into())
        })?;
        let pan_hash = pan_hash(&self.card_hash_key, pan.expose());
        let auth_code = format!("SIM{}", &self.random_hex(3).to_uppercase());
        let payment = Payment::Card(CardPayment {
            masked_pan: read.masked_pan.clone(),
            pan_hash,
            brand: read.brand,
            auth_code,
            reader,
        });
        drop(read);
        tracing::info!(card = %payment_masked(&payment), "card approved by the simulated reader");
        self.record_checkout(s.user_id, &expected, |_| Ok(payment))
    }
}

fn payment_masked(p: &Payment) -> String {
    match p {
        Payment::Card(c) => c.masked_pan.to_string(),
        Payment::Cash(_) => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tests::{pos_with_reader, CASHIER};
    use crate::ErrorCode;

    #[test]
    fn a_card_sale_stores_only_the_masked_number_and_hash() {
        let (dir, _c, p) = pos_with_reader("sim://card-reader?delay_ms=1");
        let t = p.login(CASHIER, "1111").unwrap().token;
        let cart = p.cart_scan(&t, "6901234567892").unwrap();
        let r = p.checkout_card(&t, &cart.cart_id).unwrap();
        assert_eq!(r.payment.card_masked.as_deref(), Some("411111******1111"));
        assert_eq!(r.payment.card_brand.as_deref(), Some("Visa"));
        assert!(r.payment.auth_code.unwrap().starts_with("SIM"));
        drop(p);
        for entry in std::fs::read_dir(dir.path()).unwrap() {
            let bytes = std::fs::read(entry.unwrap().path()).unwrap();
            assert!(!bytes.windows(16).any(|w| w == b"4111111111111111"), "PAN found on disk");
        }
    }

    #[test]
    fn a_bad_read_records_nothing_and_keeps_the_cart() {
        let (_d, _c, p) = pos_with_reader("sim://card-reader?delay_ms=1&fail=bad-read");
        let t = p.login(CASHIER, "1111").unwrap().token;
        let cart = p.cart_scan(&t, "6901234567892").unwrap();
        assert_eq!(p.checkout_card(&t, &cart.cart_id).unwrap_err().code(), ErrorCode::CardReadFailed);
        assert_eq!(p.store().order_count().unwrap(), 0);
        assert_eq!(p.cart_get(&t).unwrap().cart_id, cart.cart_id);
    }

    #[test]
    fn a_pin_card_is_declined_until_pin_entry_exists() {
        let (_d, _c, p) = pos_with_reader("sim://card-reader?delay_ms=1&track2=%3B6214830000000000%3D30122200000%3F");
        let t = p.login(CASHIER, "1111").unwrap().token;
        let cart = p.cart_scan(&t, "6901234567892").unwrap();
        assert_eq!(p.checkout_card(&t, &cart.cart_id).unwrap_err().code(), ErrorCode::CardReadFailed);
        assert_eq!(p.store().order_count().unwrap(), 0);
    }

    #[test]
    fn the_hash_is_keyed() {
        assert_ne!(pan_hash(&[1; 32], "4111111111111111"), pan_hash(&[2; 32], "4111111111111111"));
        assert_eq!(pan_hash(&[1; 32], "4111111111111111").len(), 64);
    }
}
