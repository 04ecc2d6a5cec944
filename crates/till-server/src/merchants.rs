//! Merchants and stores (orders pending collection, docs/pending-orders.md).
//!
//! A merchant (a web shop, a phone-order desk) holds an API key for one store and sends orders
//! with it (`Authorization: Bearer tmk_…`). The key is `tmk_`, the merchant id's 16 hex digits,
//! `_` and 64 hex digits of secret; it is printed once by `till-server merchants add` and only
//! the secret's SHA-256 is kept. A request's key is found by its merchant id, then its hash is
//! compared in constant time, so no timing tells how much of a guess was right.
//!
//! A terminal belongs to one store: the store given to `till-server terminals add --store` (or
//! `terminals set-store`), else [`DEFAULT_STORE`], the name a till's sync settings use by
//! default. A till sees and reserves only its store's orders.

use crate::clock::Entropy;
use crate::error::ApiError;
use crate::repo::{MerchantRecord, Repository, Tx};
use serde::Serialize;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;
use till_core::Clock;

/// The store of a terminal no store was set for: a single shop's one store (the till's sync
/// settings call it `main` too).
pub const DEFAULT_STORE: &str = "main";

/// The prefix of every merchant key.
pub const KEY_PREFIX: &str = "tmk_";

/// The store a terminal belongs to.
pub fn store_of(tx: &mut dyn Tx, terminal: &str) -> Result<String, ApiError> {
    Ok(tx.terminal_store(terminal)?.unwrap_or_else(|| DEFAULT_STORE.to_string()))
}

/// Checks a store name: 1 to 64 characters without control characters.
pub fn check_store(store: &str) -> Result<(), ApiError> {
    crate::wire::check_text("store", store, 64)
}

/// Sets the store a terminal belongs to (`terminals add --store`, `terminals set-store`).
pub fn set_terminal_store(repo: &dyn Repository, terminal: &str, store: &str) -> Result<(), ApiError> {
    check_store(store)?;
    let mut tx = repo.begin()?;
    if tx.terminal(terminal)?.is_none() {
        return Err(ApiError::NotFound("terminal"));
    }
    tx.set_terminal_store(terminal, store)?;
    tx.commit()?;
    Ok(())
}

/// A merchant's credentials, printed once by `merchants add`.
#[derive(Debug, Clone, Serialize)]
pub struct NewMerchant {
    /// The merchant's id.
    pub merchant_id: String,
    /// The name given.
    pub name: String,
    /// The store its orders go to.
    pub store: String,
    /// The API key for `Authorization: Bearer`. Shown once; the server keeps only its hash.
    pub api_key: String,
}

/// A merchant as listed (no key).
#[derive(Debug, Clone, Serialize)]
pub struct MerchantInfo {
    /// Id.
    pub merchant_id: String,
    /// Name.
    pub name: String,
    /// Store.
    pub store: String,
    /// When added, unix seconds.
    pub created_at: i64,
    /// Whether its key is refused.
    pub disabled: bool,
}

fn secret_hash(secret_hex: &str) -> String {
    hex::encode(Sha256::digest(secret_hex.as_bytes()))
}

/// Registers a merchant for `store` with a fresh key.
pub fn add_merchant(
    repo: &dyn Repository,
    name: &str,
    store: &str,
    clock: &dyn Clock,
    entropy: &dyn Entropy,
) -> Result<NewMerchant, ApiError> {
    crate::wire::check_text("name", name, 100)?;
    check_store(store)?;
    let mut id = [0u8; 8];
    let mut secret = [0u8; 32];
    entropy.fill(&mut id);
    entropy.fill(&mut secret);
    let id_hex = hex::encode(id);
    let secret_hex = hex::encode(secret);
    let record = MerchantRecord {
        merchant_id: format!("m_{id_hex}"),
        name: name.to_string(),
        store: store.to_string(),
        key_sha256: secret_hash(&secret_hex),
        created_at: clock.now_unix(),
        disabled: false,
    };
    let mut tx = repo.begin()?;
    tx.insert_merchant(&record)?;
    tx.commit()?;
    Ok(NewMerchant {
        merchant_id: record.merchant_id,
        name: record.name,
        store: record.store,
        api_key: format!("{KEY_PREFIX}{id_hex}_{secret_hex}"),
    })
}

/// Every merchant, without keys.
pub fn list_merchants(repo: &dyn Repository) -> Result<Vec<MerchantInfo>, ApiError> {
    Ok(repo
        .read()?
        .merchants()?
        .into_iter()
        .map(|m| MerchantInfo {
            merchant_id: m.merchant_id,
            name: m.name,
            store: m.store,
            created_at: m.created_at,
            disabled: m.disabled,
        })
        .collect())
}

/// Disables (or re-enables) a merchant's key.
pub fn set_merchant_disabled(repo: &dyn Repository, merchant_id: &str, disabled: bool) -> Result<(), ApiError> {
    let mut tx = repo.begin()?;
    if !tx.set_merchant_disabled(merchant_id, disabled)? {
        return Err(ApiError::NotFound("merchant"));
    }
    tx.commit()?;
    Ok(())
}

/// Splits a key into its merchant id and secret, checking the form only.
fn parse_key(key: &str) -> Option<(String, &str)> {
    let rest = key.strip_prefix(KEY_PREFIX)?;
    let (id, secret) = rest.split_once('_')?;
    let hex16 = id.len() == 16 && id.bytes().all(|b| b.is_ascii_hexdigit());
    let hex64 = secret.len() == 64 && secret.bytes().all(|b| b.is_ascii_hexdigit());
    (hex16 && hex64).then(|| (format!("m_{}", id.to_ascii_lowercase()), secret))
}

/// The merchant an `Authorization` header value proves: `Bearer <key>` of an enabled merchant.
pub fn authenticate(tx: &mut dyn Tx, authorization: Option<&str>) -> Result<MerchantRecord, ApiError> {
    let key =
        authorization.and_then(|v| v.strip_prefix("Bearer ")).map(str::trim).ok_or(ApiError::MerchantKeyInvalid)?;
    let (merchant_id, secret) = parse_key(key).ok_or(ApiError::MerchantKeyInvalid)?;
    let merchant = tx.merchant(&merchant_id)?.ok_or(ApiError::MerchantKeyInvalid)?;
    let given = secret_hash(&secret.to_ascii_lowercase());
    if !bool::from(given.as_bytes().ct_eq(merchant.key_sha256.as_bytes())) {
        return Err(ApiError::MerchantKeyInvalid);
    }
    if merchant.disabled {
        return Err(ApiError::MerchantDisabled);
    }
    Ok(merchant)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_read_by_form_only() {
        let id = "0123456789abcdef";
        let secret = "a".repeat(64);
        assert_eq!(parse_key(&format!("tmk_{id}_{secret}")).map(|k| k.0), Some(format!("m_{id}")));
        assert!(parse_key(&format!("tmk_{id}_{}", "a".repeat(63))).is_none());
        assert!(parse_key(&format!("tmk_{id}{secret}")).is_none());
        assert!(parse_key(&format!("xyz_{id}_{secret}")).is_none());
        assert!(parse_key(&format!("tmk_{}_{secret}", "g".repeat(16))).is_none());
    }
}
