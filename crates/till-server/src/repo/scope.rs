//! What the server keeps of merchants and their stores (schema version 12), and the statements
//! that let every lookup a till makes stay inside its merchant ([`ScopeTx`]).
//!
//! A store belongs to one merchant (`stores`); a store without a row, the default store `main`
//! included, belongs to [`crate::scope::DEFAULT_MERCHANT`]. What a till creates is stamped with
//! its merchant when it is created (an order, a sold device, a points account, a service order,
//! a software update), so a terminal moved to another merchant's store later takes none of its
//! history along. Customers are kept per merchant: the same customer id at two merchants is two
//! customers.

use super::{RepoResult, SoldDeviceRecord};

/// The statements of merchants' stores and of scoped lookups, part of every [`super::Tx`].
pub trait ScopeTx {
    /// The merchant a store belongs to, when the store has a row.
    fn store_merchant(&mut self, store: &str) -> RepoResult<Option<String>>;
    /// Registers a store; false when the store already has a row (nothing is changed).
    fn insert_store(&mut self, s: &StoreRecord) -> RepoResult<bool>;
    /// Every store with a row, by merchant then store.
    fn stores(&mut self) -> RepoResult<Vec<StoreRecord>>;

    /// Stamps an order (and so its lines) with the merchant it was sold for.
    fn set_order_merchant(&mut self, terminal: &str, order_id: &str, merchant: &str) -> RepoResult<()>;
    /// The merchant of the order a line code belongs to.
    fn line_merchant(&mut self, line_code: &str) -> RepoResult<Option<String>>;
    /// The merchant of the line a refund is of.
    fn refund_merchant(&mut self, refund_id: &str) -> RepoResult<Option<String>>;

    /// A merchant's sale of a device, by the blind of its identifier.
    fn merchant_sold_device(&mut self, merchant: &str, blind: &str) -> RepoResult<Option<SoldDeviceRecord>>;
    /// Stores a merchant's sale of a device, replacing the merchant's earlier sale of it if that
    /// was refunded.
    fn insert_merchant_sold_device(&mut self, merchant: &str, d: &SoldDeviceRecord) -> RepoResult<()>;
    /// Marks a merchant's sale of a device refunded or not.
    fn set_merchant_device_refunded(&mut self, merchant: &str, blind: &str, refunded: bool) -> RepoResult<()>;

    /// A customer's reputation at a merchant, if the merchant knows the customer.
    fn merchant_customer_reputation(&mut self, merchant: &str, customer_id: &str) -> RepoResult<Option<i64>>;
    /// Sets a customer's reputation at a merchant.
    fn set_merchant_customer_reputation(
        &mut self,
        merchant: &str,
        customer_id: &str,
        reputation: i64,
    ) -> RepoResult<()>;

    /// The merchant a points account was enrolled at.
    fn points_account_merchant(&mut self, account_id: &str) -> RepoResult<Option<String>>;
    /// Stamps a points account with the merchant it was enrolled at.
    fn set_points_account_merchant(&mut self, account_id: &str, merchant: &str) -> RepoResult<()>;

    /// Stamps a service order with the merchant of the terminal that opened it.
    fn set_service_order_merchant(&mut self, terminal: &str, service_no: &str, merchant: &str) -> RepoResult<()>;
    /// The `(terminal, service_no)` of a merchant's service orders of a device.
    fn merchant_service_orders(&mut self, merchant: &str, blind: &str) -> RepoResult<Vec<(String, String)>>;
    /// Stamps a software update with the merchant of the terminal that recorded it.
    fn set_software_update_merchant(&mut self, terminal: &str, update_id: &str, merchant: &str) -> RepoResult<()>;
    /// The `(terminal, update_id)` of a merchant's software updates of a device.
    fn merchant_software_updates(&mut self, merchant: &str, blind: &str) -> RepoResult<Vec<(String, String)>>;
}

/// A store of a merchant.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct StoreRecord {
    /// The store's id (what `terminals add --store` names).
    pub store: String,
    /// The merchant it belongs to.
    pub merchant_id: String,
    /// Its name.
    pub name: String,
    /// When it was added, unix seconds.
    pub created_at: i64,
}
