//! Merchants, stores and terminals (docs/merchants-and-stores.md): every lookup a till makes is
//! answered inside its terminal's merchant.
//!
//! A terminal belongs to a store ([`crate::merchants::store_of`]: its `terminal_stores` row, else
//! `main`), a store to a merchant (its `stores` row, else [`DEFAULT_MERCHANT`]). A till of a
//! merchant finds the line codes, sold devices, refunds, points accounts and customers of every
//! store of that merchant, and nothing of another merchant: another merchant's line code is
//! answered exactly like a code that does not exist, so a till learns nothing of what other
//! merchants sold.
//!
//! The routes do not compare merchants themselves: they ask a [`Scope`] (made once per request
//! from the terminal, inside the request's transaction) for what they need, and what lies
//! outside the scope comes back as `None`. What a till creates is stamped with its merchant by
//! the same [`Scope`] in the transaction that creates it.

use crate::error::ApiError;
use crate::repo::{LineRecord, PointsAccount, RefundRecord, Repository, SoldDeviceRecord, StoreRecord, Tx};
use serde::Serialize;

/// The merchant of every store without a `stores` row (the default store `main` included): a
/// single shop's server has this one merchant and never needs to name it.
pub const DEFAULT_MERCHANT: &str = "default";

/// Checks a store or merchant id: 1 to 32 of `a-z 0-9 -`, not starting with `-`.
pub fn check_id(what: &str, id: &str) -> Result<(), ApiError> {
    let b = id.as_bytes();
    let ok = (1..=32).contains(&b.len())
        && b[0] != b'-'
        && b.iter().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == b'-');
    if ok {
        Ok(())
    } else {
        Err(ApiError::InvalidRequest(format!(
            "{what} {id:?} is 1 to 32 of a-z, 0-9 and -, starting with a letter or digit"
        )))
    }
}

/// The merchant a store belongs to: its row's, else [`DEFAULT_MERCHANT`].
pub fn store_merchant(tx: &mut dyn Tx, store: &str) -> Result<String, ApiError> {
    Ok(tx.store_merchant(store)?.unwrap_or_else(|| DEFAULT_MERCHANT.to_string()))
}

/// The merchant a terminal belongs to: its store's.
pub fn merchant_of_terminal(tx: &mut dyn Tx, terminal: &str) -> Result<String, ApiError> {
    let store = crate::merchants::store_of(tx, terminal)?;
    store_merchant(tx, &store)
}

/// The merchant one request's lookups are confined to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scope {
    merchant: String,
}

impl Scope {
    /// The scope of a terminal's requests: its merchant's.
    pub fn of_terminal(tx: &mut dyn Tx, terminal: &str) -> Result<Scope, ApiError> {
        Ok(Scope { merchant: merchant_of_terminal(tx, terminal)? })
    }

    /// The scope of one merchant (the seller's commands, which act on a refund's own merchant).
    pub fn of_merchant(merchant: &str) -> Scope {
        Scope { merchant: merchant.to_string() }
    }

    /// The scope of the merchant of a refund's line; `None` when there is no such refund.
    pub fn of_refund(tx: &mut dyn Tx, refund_id: &str) -> Result<Option<Scope>, ApiError> {
        Ok(tx.refund_merchant(refund_id)?.map(|merchant| Scope { merchant }))
    }

    /// The merchant.
    pub fn merchant(&self) -> &str {
        &self.merchant
    }

    /// The line behind a (compact) line code, if one of the merchant's stores sold it.
    pub fn line(&self, tx: &mut dyn Tx, line_code: &str) -> Result<Option<LineRecord>, ApiError> {
        if tx.line_merchant(line_code)?.as_deref() != Some(self.merchant.as_str()) {
            return Ok(None);
        }
        Ok(tx.line(line_code)?)
    }

    /// The merchant's sale of a device, by blind.
    pub fn sold_device(&self, tx: &mut dyn Tx, blind: &str) -> Result<Option<SoldDeviceRecord>, ApiError> {
        Ok(tx.merchant_sold_device(&self.merchant, blind)?)
    }

    /// Puts a device the merchant sold on its sold-data list.
    pub fn insert_sold_device(&self, tx: &mut dyn Tx, d: &SoldDeviceRecord) -> Result<(), ApiError> {
        Ok(tx.insert_merchant_sold_device(&self.merchant, d)?)
    }

    /// Marks the merchant's sale of a device refunded (or, on a rejection, not).
    pub fn set_device_refunded(&self, tx: &mut dyn Tx, blind: &str, refunded: bool) -> Result<(), ApiError> {
        Ok(tx.set_merchant_device_refunded(&self.merchant, blind, refunded)?)
    }

    /// A refund of one of the merchant's lines.
    pub fn refund(&self, tx: &mut dyn Tx, refund_id: &str) -> Result<Option<RefundRecord>, ApiError> {
        if tx.refund_merchant(refund_id)?.as_deref() != Some(self.merchant.as_str()) {
            return Ok(None);
        }
        Ok(tx.refund(refund_id)?)
    }

    /// A customer's reputation at the merchant (another merchant's customer of the same id is
    /// another customer).
    pub fn customer_reputation(&self, tx: &mut dyn Tx, customer_id: &str) -> Result<Option<i64>, ApiError> {
        Ok(tx.merchant_customer_reputation(&self.merchant, customer_id)?)
    }

    /// A points account enrolled at one of the merchant's tills.
    pub fn points_account(&self, tx: &mut dyn Tx, account_id: &str) -> Result<Option<PointsAccount>, ApiError> {
        if tx.points_account_merchant(account_id)?.as_deref() != Some(self.merchant.as_str()) {
            return Ok(None);
        }
        Ok(tx.points_account(account_id)?)
    }

    /// Stamps a points account just enrolled with the merchant.
    pub fn enrolled(&self, tx: &mut dyn Tx, account_id: &str) -> Result<(), ApiError> {
        Ok(tx.set_points_account_merchant(account_id, &self.merchant)?)
    }

    /// Stamps an order just recorded (and so its lines) with the merchant.
    pub fn order_recorded(&self, tx: &mut dyn Tx, terminal: &str, order_id: &str) -> Result<(), ApiError> {
        Ok(tx.set_order_merchant(terminal, order_id, &self.merchant)?)
    }

    /// Stamps a service order just opened with the merchant.
    pub fn service_order_opened(&self, tx: &mut dyn Tx, terminal: &str, service_no: &str) -> Result<(), ApiError> {
        Ok(tx.set_service_order_merchant(terminal, service_no, &self.merchant)?)
    }

    /// Stamps a software update just recorded with the merchant.
    pub fn software_update_recorded(&self, tx: &mut dyn Tx, terminal: &str, update_id: &str) -> Result<(), ApiError> {
        Ok(tx.set_software_update_merchant(terminal, update_id, &self.merchant)?)
    }

    /// The `(terminal, service_no)` of the merchant's service orders of a device.
    pub fn service_orders(&self, tx: &mut dyn Tx, blind: &str) -> Result<Vec<(String, String)>, ApiError> {
        Ok(tx.merchant_service_orders(&self.merchant, blind)?)
    }

    /// The `(terminal, update_id)` of the merchant's software updates of a device.
    pub fn software_updates(&self, tx: &mut dyn Tx, blind: &str) -> Result<Vec<(String, String)>, ApiError> {
        Ok(tx.merchant_software_updates(&self.merchant, blind)?)
    }
}

/// Registers a store of a merchant (`till-server stores add`). A store keeps its merchant: adding
/// it again is refused, so no terminal's history changes hands.
pub fn add_store(
    repo: &dyn Repository,
    store: &str,
    merchant: &str,
    name: &str,
    now: i64,
) -> Result<StoreRecord, ApiError> {
    check_id("store", store)?;
    check_id("merchant", merchant)?;
    crate::wire::check_text("name", name, 100)?;
    let record = StoreRecord {
        store: store.to_string(),
        merchant_id: merchant.to_string(),
        name: name.to_string(),
        created_at: now,
    };
    let mut tx = repo.begin()?;
    if !tx.insert_store(&record)? {
        return Err(ApiError::InvalidRequest(format!("store {store} exists already")));
    }
    tx.commit()?;
    Ok(record)
}

/// Every store with a row (`till-server stores list`).
pub fn list_stores(repo: &dyn Repository) -> Result<Vec<StoreRecord>, ApiError> {
    Ok(repo.read()?.stores()?)
}

/// Where a terminal belongs, as `terminals add` and `terminals set-store` show it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TerminalScope {
    /// The terminal.
    pub terminal_id: String,
    /// Its store.
    pub store: String,
    /// The store's merchant.
    pub merchant_id: String,
}

/// The store and merchant of a terminal.
pub fn terminal_scope(repo: &dyn Repository, terminal: &str) -> Result<TerminalScope, ApiError> {
    let mut tx = repo.read()?;
    if tx.terminal(terminal)?.is_none() {
        return Err(ApiError::NotFound("terminal"));
    }
    let store = crate::merchants::store_of(&mut *tx, terminal)?;
    let merchant_id = store_merchant(&mut *tx, &store)?;
    Ok(TerminalScope { terminal_id: terminal.to_string(), store, merchant_id })
}

/// `v` (an object, e.g. a new terminal's credentials) with the terminal's `store` and
/// `merchant_id` added, as `terminals add` prints it.
pub fn with_scope<T: Serialize>(repo: &dyn Repository, v: &T, terminal: &str) -> Result<serde_json::Value, ApiError> {
    let scope = terminal_scope(repo, terminal)?;
    let mut out = serde_json::to_value(v).map_err(|e| ApiError::Internal(e.to_string()))?;
    if let Some(o) = out.as_object_mut() {
        o.insert("store".into(), scope.store.into());
        o.insert("merchant_id".into(), scope.merchant_id.into());
    }
    Ok(out)
}

/// Sets a customer's reputation at a merchant (`till-server customers set-reputation`).
pub fn set_reputation(repo: &dyn Repository, merchant: &str, customer_id: &str, score: i64) -> Result<(), ApiError> {
    check_id("merchant", merchant)?;
    crate::wire::check_text("customer_id", customer_id, 64)?;
    let mut tx = repo.begin()?;
    tx.set_merchant_customer_reputation(merchant, customer_id, score)?;
    tx.commit()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_short_lower_case_words() {
        for ok in ["default", "a", "acme-2", "0", &"a".repeat(32)] {
            assert!(check_id("store", ok).is_ok(), "{ok}");
        }
        for bad in ["", "-a", "Acme", "a_b", "a b", "über", &"a".repeat(33)] {
            assert!(check_id("store", bad).is_err(), "{bad}");
        }
    }
}
