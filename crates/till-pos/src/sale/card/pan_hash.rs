//! The keyed hash of card numbers: HMAC-SHA256 of the PAN under the till's own random key, kept
//! with each card payment so the till can find a card's payments again without storing its
//! number.
//!
//! The payment row beside the hash holds the masked number (first six, last four), which leaves
//! about 10^5 Luhn-valid candidates for a 16-digit card: anyone holding the key recovers the
//! number in a second. So the key must never be where the hashes are. It is sealed with the
//! till's [`SecretBox`] (AES-256-GCM under `till.key`, a separate 0600 file; purpose
//! [`PURPOSE`]) and only the sealed bytes go into the `settings` table ([`SEALED_SETTING`]): a
//! copy of `till.db` alone gives neither the key nor the numbers.
//!
//! Tills before this kept the key in clear hex under [`CLEAR_SETTING`]. Opening such a database
//! seals that same key (hashes already stored stay comparable) and deletes the clear row in one
//! IMMEDIATE transaction, with SQLite's `secure_delete` on for the delete so the row's bytes are
//! overwritten in the page, then checkpoints the WAL so no frame of the old page is left.

use crate::admin::secrets::{wipe, SecretBox};
use crate::error::{PosError, Result};
use crate::mutex::lock;
use crate::Pos;
use hmac::{Hmac, Mac};
use rand::RngCore;
use sha2::Sha256;
use till_store::settings::{delete_overwriting, get};
use till_store::StoreError;

/// The `SecretBox` purpose the card hash key is sealed for.
pub const PURPOSE: &str = "card-hash-key";
/// The setting holding the sealed key (hex).
pub const SEALED_SETTING: &str = "card_hash_key_sealed";
/// The setting older Tills kept the key in, in clear (hex). Read once, to seal it, and deleted.
pub const CLEAR_SETTING: &str = "card_hash_key";

/// HMAC-SHA256 of a PAN under `key`, hex: lets the till find a card's payments again without
/// storing its number.
pub fn pan_hash(key: &[u8; 32], pan: &str) -> String {
    // HMAC accepts keys of any length, so this cannot fail.
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(key).unwrap_or_else(|_| unreachable!());
    mac.update(pan.as_bytes());
    hex::encode(mac.finalize().into_bytes())
}

impl Pos {
    /// The till's keyed hash of a card number, as stored with its card payments: for tools that
    /// write card payments the till must find again (the demo history generator). The key
    /// itself never leaves the till.
    pub fn card_pan_hash(&self, pan: &str) -> String {
        pan_hash(&self.sale.card_hash_key, pan)
    }
}

/// How the key was found when the till opened.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Found {
    Sealed,
    /// An older Till's clear key, now sealed and its row deleted.
    SealedFromClear,
    /// A clear key beside a sealed one (an older Till ran on the file): the clear one deleted.
    ClearDropped,
    Created,
}

fn decode_clear(hex_key: &str) -> till_store::Result<[u8; 32]> {
    let mut bytes =
        hex::decode(hex_key.trim()).map_err(|_| StoreError::Corrupt("the stored card hash key is not hex".into()))?;
    let key: std::result::Result<[u8; 32], _> = bytes.as_slice().try_into();
    wipe(&mut bytes);
    key.map_err(|_| StoreError::Corrupt("the stored card hash key has the wrong length".into()))
}

/// The till's card hash key: opened from its sealed setting, sealed from an older Till's clear
/// setting (which is then deleted), or created at random on first start.
pub(crate) fn load_or_create(pos: &Pos, secrets: &SecretBox) -> Result<[u8; 32]> {
    let mut fresh = [0u8; 32];
    lock(&pos.rng).fill_bytes(&mut fresh);
    // One IMMEDIATE transaction: two tills opening the same file at once agree on one key, and
    // the clear row goes in the same commit that writes its sealed form.
    let outcome = pos.store.write(|tx| {
        let sealed = get(tx, SEALED_SETTING)?;
        let clear = get(tx, CLEAR_SETTING)?;
        let found = match (&sealed, &clear) {
            (Some(sealed), None) => return Ok((sealed.clone(), Found::Sealed)),
            // Both: an older Till ran on this file after it was sealed. The sealed key stays
            // (it hashed first); the clear one must go in any case.
            (Some(_), Some(_)) => Found::ClearDropped,
            (None, Some(clear)) => {
                let mut key = decode_clear(clear)?;
                let sealed = hex::encode(secrets.seal(PURPOSE, &key));
                wipe(&mut key);
                till_store::settings::put(tx, SEALED_SETTING, &sealed)?;
                Found::SealedFromClear
            }
            (None, None) => {
                till_store::settings::put(tx, SEALED_SETTING, &hex::encode(secrets.seal(PURPOSE, &fresh)))?;
                Found::Created
            }
        };
        delete_overwriting(tx, CLEAR_SETTING)?;
        let sealed = get(tx, SEALED_SETTING)?.ok_or(StoreError::NotFound("card hash key"))?;
        Ok((sealed, found))
    });
    wipe(&mut fresh);
    let (sealed_hex, found) = outcome?;
    match found {
        Found::Sealed => {}
        Found::Created => tracing::info!("created the card hash key, sealed under the key file"),
        Found::SealedFromClear | Found::ClearDropped => {
            // The page that held the clear key may still sit in the WAL as an older frame.
            match pos.store.checkpoint_truncate() {
                Ok(true) => {}
                Ok(false) => tracing::warn!("the WAL could not be emptied after sealing the card hash key"),
                Err(e) => tracing::warn!("could not checkpoint after sealing the card hash key: {e}"),
            }
            tracing::info!("sealed the card hash key under the key file; its clear copy is deleted");
        }
    }
    let sealed = hex::decode(sealed_hex).map_err(|_| PosError::SecretUnreadable(PURPOSE.into()))?;
    let opened = secrets.open(PURPOSE, &sealed)?;
    opened[..].try_into().map_err(|_| PosError::SecretUnreadable(PURPOSE.into()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tests::{pos, reopen};

    #[test]
    fn the_hash_is_keyed() {
        assert_ne!(pan_hash(&[1; 32], "4111111111111111"), pan_hash(&[2; 32], "4111111111111111"));
        assert_eq!(pan_hash(&[1; 32], "4111111111111111").len(), 64);
    }

    fn settings(p: &Pos) -> Vec<(String, String)> {
        p.store()
            .read(|c| {
                let mut s = c.prepare("SELECT key, value FROM settings ORDER BY key")?;
                let rows = s.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
                Ok(rows.collect::<std::result::Result<_, _>>()?)
            })
            .unwrap()
    }

    #[test]
    fn the_key_is_sealed_and_survives_a_restart() {
        let (dir, _c, p) = pos();
        let key = p.sale.card_hash_key;
        assert_ne!(key, [0; 32]);
        let stored = settings(&p);
        assert!(stored.iter().all(|(k, _)| k != CLEAR_SETTING), "{stored:?}");
        assert!(stored.iter().all(|(_, v)| !v.contains(&hex::encode(key))), "the key is in the settings in clear");
        drop(p);
        assert_eq!(reopen(&dir).sale.card_hash_key, key);
    }

    #[test]
    fn an_older_tills_clear_key_is_sealed_and_its_row_deleted() {
        let (dir, _c, p) = pos();
        // What an older Till left: the key in clear, no sealed form.
        let old = [0x5a_u8; 32];
        let old_hex = hex::encode(old);
        p.store()
            .write(|tx| {
                tx.execute("DELETE FROM settings WHERE key = ?1", [SEALED_SETTING])?;
                till_store::settings::put(tx, CLEAR_SETTING, &old_hex)
            })
            .unwrap();
        drop(p);
        let p = reopen(&dir);
        // The same key, so hashes stored before still match.
        assert_eq!(p.sale.card_hash_key, old);
        assert_eq!(pan_hash(&p.sale.card_hash_key, "4111111111111111"), pan_hash(&old, "4111111111111111"));
        let stored = settings(&p);
        assert!(stored.iter().any(|(k, _)| k == SEALED_SETTING));
        assert!(stored.iter().all(|(k, v)| k != CLEAR_SETTING && !v.contains(&old_hex)), "{stored:?}");
        drop(p);
        // Nor are its bytes left in the file or its WAL.
        for name in ["till.db", "till.db-wal"] {
            let bytes = std::fs::read(dir.path().join(name)).unwrap_or_default();
            assert!(!bytes.windows(64).any(|w| w == old_hex.as_bytes()), "the clear key is still in {name}");
        }
        // Opened again, nothing changes.
        assert_eq!(reopen(&dir).sale.card_hash_key, old);
    }

    #[test]
    fn a_copy_of_the_database_without_the_key_file_does_not_open() {
        let (dir, _c, p) = pos();
        drop(p);
        let copy = tempfile::tempdir().unwrap();
        std::fs::copy(dir.path().join("till.db"), copy.path().join("till.db")).unwrap();
        let _ = std::fs::copy(dir.path().join("till.db-wal"), copy.path().join("till.db-wal"));
        // A fresh key file is made for the copy, and the sealed secrets do not open under it.
        let e = crate::Pos::open(crate::PosConfig::demo(copy.path().join("till.db"))).err().unwrap();
        assert_eq!(e.code(), crate::ErrorCode::SecretUnreadable);
    }
}
