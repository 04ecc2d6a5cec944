//! What the server keeps of orders pending collection (schema version 8): merchants and their
//! keys' hashes, the orders a web shop sent with their lines, each terminal's store, and the
//! statements a [`super::Tx`] offers for them ([`MerchantOrdersTx`]).

use super::RepoResult;

/// The statements of orders pending collection, part of every [`super::Tx`].
pub trait MerchantOrdersTx {
    /// The store a terminal belongs to, when one was set (else the default store).
    fn terminal_store(&mut self, terminal: &str) -> RepoResult<Option<String>>;
    /// Sets the store a terminal belongs to.
    fn set_terminal_store(&mut self, terminal: &str, store: &str) -> RepoResult<()>;
    /// Registers a merchant (its key's hash only).
    fn insert_merchant(&mut self, m: &MerchantRecord) -> RepoResult<()>;
    /// A merchant by id.
    fn merchant(&mut self, merchant_id: &str) -> RepoResult<Option<MerchantRecord>>;
    /// Every merchant, oldest first.
    fn merchants(&mut self) -> RepoResult<Vec<MerchantRecord>>;
    /// Disables or re-enables a merchant's key; false if there is no such merchant.
    fn set_merchant_disabled(&mut self, merchant_id: &str, disabled: bool) -> RepoResult<bool>;
    /// The next change position of the orders (one more than the largest so far).
    fn next_merchant_order_seq(&mut self) -> RepoResult<i64>;
    /// Stores a new order with its lines (its pickup code sealed).
    fn insert_merchant_order(&mut self, o: &MerchantOrderRecord) -> RepoResult<()>;
    /// Writes an order's changing columns (status, reservation, failures, collection,
    /// cancellation, seq); its lines never change.
    fn update_merchant_order(&mut self, o: &MerchantOrderRecord) -> RepoResult<()>;
    /// An order by the platform's id, with its lines and pickup code.
    fn merchant_order(&mut self, order_id: &str) -> RepoResult<Option<MerchantOrderRecord>>;
    /// An order by its merchant's number.
    fn merchant_order_by_number(&mut self, merchant_id: &str, number: &str) -> RepoResult<Option<MerchantOrderRecord>>;
    /// The store's orders whose latest change is after `after_seq`, oldest change first, at most
    /// `limit`.
    fn merchant_orders_changed(
        &mut self,
        store: &str,
        after_seq: i64,
        limit: i64,
    ) -> RepoResult<Vec<MerchantOrderRecord>>;
    /// The ids of the store's `pending` orders whose expiry is at or before `now`.
    fn merchant_orders_due(&mut self, store: &str, now: i64) -> RepoResult<Vec<String>>;
    /// Remembers that `terminal` reserved the order (once per terminal).
    fn note_merchant_order_reservation(&mut self, order_id: &str, terminal: &str, at: i64) -> RepoResult<()>;
    /// Whether `terminal` ever reserved the order.
    fn merchant_order_reserved_by(&mut self, order_id: &str, terminal: &str) -> RepoResult<bool>;
}

/// A merchant allowed to send orders for one store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MerchantRecord {
    /// `m_` and 16 hex digits.
    pub merchant_id: String,
    /// The name given by the administrator.
    pub name: String,
    /// The store its orders go to.
    pub store: String,
    /// SHA-256 (hex) of the key's secret part; the key itself is never stored.
    pub key_sha256: String,
    /// When it was added, unix seconds.
    pub created_at: i64,
    /// A disabled merchant's key is refused.
    pub disabled: bool,
}

/// One line of a merchant's order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MerchantOrderLineRecord {
    /// Position, from 1.
    pub line_no: i64,
    /// SKU.
    pub sku: String,
    /// Name.
    pub name: String,
    /// Quantity.
    pub quantity: i64,
    /// Unit price, minor units.
    pub unit_price_minor: i64,
    /// Quantity × unit price, minor units.
    pub total_minor: i64,
}

/// An order pending collection, as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MerchantOrderRecord {
    /// The platform's id, `PO-…`.
    pub order_id: String,
    /// The merchant that sent it.
    pub merchant_id: String,
    /// The merchant's own number.
    pub order_number: String,
    /// SHA-256 (hex) of the canonical body first sent under the number.
    pub request_hash: String,
    /// The store.
    pub store: String,
    /// Customer's name.
    pub customer_name: String,
    /// Customer's phone.
    pub customer_phone: String,
    /// ISO 4217 code.
    pub currency: String,
    /// Total, minor units.
    pub total_minor: i64,
    /// The pickup code, in clear only in memory (stored sealed).
    pub pickup_code: String,
    /// `pending`, `collected`, `cancelled` or `expired`.
    pub status: String,
    /// Received, unix seconds.
    pub created_at: i64,
    /// Collectable until, unix seconds.
    pub expires_at: i64,
    /// The terminal holding it, if one does or did last.
    pub reserved_by: Option<String>,
    /// Until when that terminal holds it.
    pub reserved_until: Option<i64>,
    /// Wrong pickup codes tried so far.
    pub pickup_failures: i64,
    /// The terminal whose sale collected it.
    pub collected_terminal: Option<String>,
    /// That sale's order id at the terminal.
    pub collected_sale: Option<String>,
    /// When the sale was recorded.
    pub collected_at: Option<i64>,
    /// Why the collection needs a look, if it does.
    pub collected_flag: Option<String>,
    /// When the merchant cancelled it.
    pub cancelled_at: Option<i64>,
    /// Position of its latest change.
    pub seq: i64,
    /// The lines, in order.
    pub lines: Vec<MerchantOrderLineRecord>,
}
