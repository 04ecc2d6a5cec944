//! The storage layer: what the server keeps, behind traits so that SQLite (one shop) or
//! PostgreSQL (a chain, several servers) holds it.
//!
//! Business rules live in the route modules and run inside one [`Tx`]; an implementation only
//! stores and fetches rows. There is one implementation of [`Tx`], [`sql_tx::SqlTx`], over a
//! backend-neutral connection ([`sql::SqlConn`]); the statements are written once
//! ([`statements`], portable SQL with `?N` placeholders), the schema and its migrations too
//! ([`schema`]). The two backends only open connections and begin transactions:
//! [`sqlite::SqliteRepository`] (the default: one file) and [`postgres::PostgresRepository`]
//! (`till-server serve --database postgres://...`, docs/postgres.md).

mod catalogue;
mod console;
mod device_services;
mod merchant_orders;
mod opening;
mod photos;
pub mod postgres;
mod request_guards;
mod schema;
mod scope;
pub mod scope_sql;
mod sealed_columns;
mod services;
pub mod sql;
pub mod sql_tx;
pub mod sqlite;
mod statements;
#[cfg(test)]
mod tests;

use crate::error::RepoError;
pub use catalogue::{CatalogueProductRecord, CatalogueTx};
pub use console::{
    AdminRecord, AuditRecord, ConsoleSessionRecord, ConsoleTx, CurrencyTotal, CustomerRow, NewAuditEntry,
    PointsAccountRow, SaleRow, SalesFilter, TerminalRow,
};
pub use device_services::{DeviceServicesTx, ServiceOrderRecord, ServiceStepRecord, SoftwareUpdateRecord};
pub use merchant_orders::*;
pub use opening::StorageOptions;
pub use photos::{AwaitingRefundRow, PhotosTx, RefundPhotoRecord};
pub use request_guards::RequestGuardsTx;
pub use scope::{ScopeTx, StoreRecord};
pub use services::*;

/// Result of a storage operation.
pub type RepoResult<T> = Result<T, RepoError>;

/// A database holding the server's state.
pub trait Repository: Send + Sync {
    /// Starts a write transaction. It takes the write lock at once (SQLite `BEGIN IMMEDIATE`,
    /// PostgreSQL a transaction-wide advisory lock shared by every server process), so the
    /// read-check-write sequences of the routes cannot interleave.
    fn begin(&self) -> RepoResult<Box<dyn Tx + '_>>;

    /// Starts a read-only transaction on a snapshot of the last commit. It does not wait for an
    /// open write transaction (lookups and the signing check use it); writing through it fails.
    /// An implementation without separate readers may hand out a write transaction instead.
    fn read(&self) -> RepoResult<Box<dyn Tx + '_>> {
        self.begin()
    }

    /// Starts a write transaction that is not ordered against the others: only for the request
    /// guards' single conditional writes whose unique key settles any race by itself (a nonce
    /// claimed, [`RequestGuardsTx::claim_nonce`] and `purge_nonces`). Signed requests do not
    /// queue behind the writers: PostgreSQL skips the lock that [`Repository::begin`] takes;
    /// SQLite keeps the nonces in a file of their own ([`sqlite::guards_path`]).
    fn begin_unordered(&self) -> RepoResult<Box<dyn Tx + '_>> {
        self.begin()
    }
}

/// One open transaction. Dropping it without [`Tx::commit`] rolls it back.
pub trait Tx:
    MerchantOrdersTx + ServicesTx + DeviceServicesTx + RequestGuardsTx + ScopeTx + CatalogueTx + ConsoleTx + PhotosTx
{
    /// Makes every change of the transaction durable.
    fn commit(self: Box<Self>) -> RepoResult<()>;
    /// Marks a point to roll back to (`SAVEPOINT name`).
    fn savepoint(&mut self, name: &str) -> RepoResult<()>;
    /// Undoes everything since the savepoint, keeping the transaction open.
    fn rollback_to(&mut self, name: &str) -> RepoResult<()>;
    /// Forgets the savepoint, keeping its changes.
    fn release(&mut self, name: &str) -> RepoResult<()>;

    /// Registers a terminal.
    fn insert_terminal(&mut self, t: &TerminalRecord) -> RepoResult<()>;
    /// A terminal by id.
    fn terminal(&mut self, id: &str) -> RepoResult<Option<TerminalRecord>>;
    /// Every terminal, oldest first.
    fn terminals(&mut self) -> RepoResult<Vec<TerminalRecord>>;
    /// Disables or re-enables a terminal; false if there is no such terminal.
    fn set_terminal_disabled(&mut self, id: &str, disabled: bool) -> RepoResult<bool>;

    /// Claims `(terminal, key)` for a request with `request_hash`: `None` when this call
    /// claimed it, otherwise what an earlier request stored under the key.
    fn claim_idempotency(
        &mut self,
        terminal: &str,
        key: &str,
        request_hash: &str,
        now: i64,
    ) -> RepoResult<Option<StoredReply>>;
    /// Stores the response of a claimed key.
    fn complete_idempotency(&mut self, terminal: &str, key: &str, status: u16, body: &str) -> RepoResult<()>;
    /// Deletes keys created before `before`; returns how many.
    fn purge_idempotency(&mut self, before: i64) -> RepoResult<usize>;

    /// Whether the terminal already recorded this order.
    fn order_exists(&mut self, terminal: &str, order_id: &str) -> RepoResult<bool>;
    /// Stores an order header.
    fn insert_order(&mut self, o: &OrderRecord) -> RepoResult<()>;
    /// Stores an order line.
    fn insert_line(&mut self, l: &LineRecord) -> RepoResult<()>;
    /// Stores a payment of an order.
    fn insert_payment(&mut self, p: &PaymentRecord) -> RepoResult<()>;
    /// The payments of an order, in order.
    fn order_payments(&mut self, terminal: &str, order_id: &str) -> RepoResult<Vec<PaymentRecord>>;
    /// An order line by its line code.
    fn line(&mut self, line_code: &str) -> RepoResult<Option<LineRecord>>;
    /// Marks where a recorded line came from (an order collected, a service paid).
    fn set_line_origin(&mut self, line_code: &str, kind: &str, reference: &str) -> RepoResult<()>;
    /// The recorded lines that came from `kind`'s `reference`, in recording order.
    fn lines_with_origin(&mut self, kind: &str, reference: &str) -> RepoResult<Vec<LineRecord>>;
    /// The order a line belongs to.
    fn order(&mut self, terminal: &str, order_id: &str) -> RepoResult<Option<OrderRecord>>;
    /// Adds `delta` minor units to what is refunded (or reserved for a pending refund) of a line.
    fn add_line_refunded(&mut self, line_code: &str, delta: i64) -> RepoResult<()>;

    // Sold devices and customers are kept per merchant: see ScopeTx.

    /// Stores a refund.
    fn insert_refund(&mut self, r: &RefundRecord) -> RepoResult<()>;
    /// A refund by id.
    fn refund(&mut self, refund_id: &str) -> RepoResult<Option<RefundRecord>>;
    /// Records a seller's decision on a refund.
    fn set_refund_status(&mut self, refund_id: &str, status: &str, at: i64, by: &str) -> RepoResult<()>;
    /// Refunds, optionally only those with `status`, oldest first.
    fn refunds(&mut self, status: Option<&str>) -> RepoResult<Vec<RefundRecord>>;

    /// Creates a points account.
    fn insert_points_account(&mut self, a: &PointsAccount) -> RepoResult<()>;
    /// A points account by id.
    fn points_account(&mut self, account_id: &str) -> RepoResult<Option<PointsAccount>>;
    /// Sets an account's last accepted counter and balance.
    fn update_points_account(&mut self, account_id: &str, last_counter: i64, balance: i64) -> RepoResult<()>;
    /// Appends to an account's history (the store keeps the order of appending).
    fn insert_points_entry(&mut self, e: &PointsEntry) -> RepoResult<()>;
    /// The latest `limit` history entries of an account, newest first.
    fn points_history(&mut self, account_id: &str, limit: i64) -> RepoResult<Vec<PointsEntry>>;
    /// The sum of the signed deltas of an account's history entries of `kind` that `terminal`
    /// recorded for `order_id`; 0 when there are none.
    fn points_order_sum(&mut self, account_id: &str, terminal: &str, order_id: &str, kind: &str) -> RepoResult<i64>;
    /// Whether the account's history holds an entry of `kind` for the refund `refund_id`.
    fn points_reversal_exists(&mut self, account_id: &str, refund_id: &str, kind: &str) -> RepoResult<bool>;
    /// Whether a change authorised by the token with this counter is in the account's history.
    fn points_token_used(&mut self, account_id: &str, counter: i64) -> RepoResult<bool>;

    /// Stores the outcome of an authorisation (masked card only).
    fn insert_authorization(&mut self, a: &AuthorizationRecord) -> RepoResult<()>;
    /// Whether the terminal already asked to authorise this payment id.
    fn authorization_exists(&mut self, terminal: &str, payment_id: &str) -> RepoResult<bool>;
    /// The authorisation of a payment id of the terminal.
    fn authorization(&mut self, terminal: &str, payment_id: &str) -> RepoResult<Option<AuthorizationRecord>>;
    /// Sets an authorisation's status (`approved`, `declined`, `reversed`).
    fn set_authorization_status(&mut self, terminal: &str, payment_id: &str, status: &str) -> RepoResult<()>;
    /// Stores the reversal of a payment id, authorised or not (one per payment id).
    fn insert_payment_reversal(&mut self, r: &PaymentReversalRecord) -> RepoResult<()>;
    /// The reversal of a payment id of the terminal, if there was one.
    fn payment_reversal(&mut self, terminal: &str, payment_id: &str) -> RepoResult<Option<PaymentReversalRecord>>;
    /// Whether a sale of the terminal already names this payment id for one of its payments.
    fn payment_id_recorded(&mut self, terminal: &str, payment_id: &str) -> RepoResult<bool>;
    /// Takes a DUKPT block's counter for its reader: `None` when the counter is above the
    /// reader's last one (or the reader is new) and is now its last one; otherwise the last
    /// counter, unchanged. One conditional write, so of two concurrent takers of the same
    /// counter exactly one gets `None`.
    fn advance_reader_counter(&mut self, c: &ReaderCounter) -> RepoResult<Option<i64>>;

    /// Stores a new one-time enrolment code (its hash only).
    fn insert_enrolment_code(&mut self, c: &EnrolmentCodeRecord) -> RepoResult<()>;
    /// The enrolment code with this SHA-256 (hex), used or not.
    fn enrolment_code(&mut self, code_sha256: &str) -> RepoResult<Option<EnrolmentCodeRecord>>;
    /// Marks the code used at `at` if it is not yet: true when this call marked it. One
    /// conditional write, so of two exchanges of the same code exactly one gets true.
    fn use_enrolment_code(&mut self, code_sha256: &str, at: i64) -> RepoResult<bool>;
}

/// A registered till.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TerminalRecord {
    /// Terminal id (`t_` + 16 hex digits).
    pub id: String,
    /// Name given by the installer.
    pub name: String,
    /// The 32-byte signing secret, hex. The server needs it in clear to check HMACs; it is in
    /// clear only in memory: the repository stores it sealed under the server key.
    pub secret_hex: String,
    /// Registration time, unix seconds.
    pub created_at: i64,
    /// Disabled terminals are refused with `terminal_disabled`.
    pub disabled: bool,
}

/// What an earlier request stored under an idempotency key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredReply {
    /// SHA-256 (hex) of the earlier request.
    pub request_hash: String,
    /// Its HTTP status, once completed.
    pub status: Option<u16>,
    /// Its response body, once completed (stored sealed: an enrolment's holds the points key).
    pub body: Option<String>,
}

/// An order header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrderRecord {
    /// The terminal that sold it.
    pub terminal_id: String,
    /// The till's order id.
    pub order_id: String,
    /// Store name or code.
    pub store: String,
    /// ISO 4217 code.
    pub currency: String,
    /// Order total, minor units.
    pub total_minor: i64,
    /// Customer, when known.
    pub customer_id: Option<String>,
    /// The till's checkout key (the cart), when the till sent it: what a redemption token names.
    pub checkout_key: Option<String>,
    /// When the till completed the sale.
    pub created_at: i64,
    /// When the server recorded it.
    pub recorded_at: i64,
}

/// An order line, with its line code (CN102982479A).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LineRecord {
    /// The line's unique code (compact form).
    pub line_code: String,
    /// Terminal of the order.
    pub terminal_id: String,
    /// Order id.
    pub order_id: String,
    /// Position in the order, from 1.
    pub line_no: i64,
    /// Product SKU.
    pub sku: String,
    /// Product name.
    pub name: String,
    /// Quantity.
    pub quantity: i64,
    /// Unit price, minor units.
    pub unit_price_minor: i64,
    /// Line total paid, minor units.
    pub total_minor: i64,
    /// ISO 4217 code.
    pub currency: String,
    /// The seller who confirms refunds of this line.
    pub seller: Option<String>,
    /// Minor units refunded or reserved by refunds waiting for the seller.
    pub refunded_minor: i64,
}

/// A payment of an order (masked card data only).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PaymentRecord {
    /// Terminal of the order.
    pub terminal_id: String,
    /// Order id.
    pub order_id: String,
    /// Position among the order's payments, from 1.
    pub seq: i64,
    /// `cash`, `card` or `points`.
    pub tender: String,
    /// Amount, minor units.
    pub amount_minor: i64,
    /// ISO 4217 code.
    pub currency: String,
    /// Masked PAN for card payments.
    pub masked_pan: Option<String>,
    /// Authorisation code for card payments.
    pub auth_code: Option<String>,
    /// The till's payment id of a card payment: the key of its authorisation.
    pub payment_id: Option<String>,
}

/// An entry of the sold-data list (CN103310370A), under the blind of the device's identifier.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SoldDeviceRecord {
    /// The blind of the normalised identifier (IMEI, MEID, ESN, serial number).
    pub blind: String,
    /// The identifier sealed under the device identifier key (it opens with the blind).
    pub identifier_sealed: String,
    /// The warranty it was sold with, months.
    pub warranty_months: Option<i64>,
    /// `imei`, `meid`, `esn` or `sn`.
    pub kind: String,
    /// The line the device was sold on.
    pub line_code: String,
    /// Terminal of the sale.
    pub terminal_id: String,
    /// Order id.
    pub order_id: String,
    /// Store of the sale.
    pub store: String,
    /// The device's price, minor units.
    pub price_minor: i64,
    /// ISO 4217 code.
    pub currency: String,
    /// The account that paid: a masked PAN, or the tender name.
    pub paying_account: String,
    /// The device's software package, when the till knows it.
    pub software: Option<String>,
    /// When it was sold.
    pub sold_at: i64,
    /// Whether it was refunded (or a refund of it waits for the seller).
    pub refunded: bool,
}

/// A refund request and its decision.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefundRecord {
    /// The till's refund id.
    pub refund_id: String,
    /// Terminal that asked.
    pub terminal_id: String,
    /// Line refunded.
    pub line_code: String,
    /// The blind of the device refunded, if the refund was by device.
    pub device_blind: Option<String>,
    /// Amount, minor units.
    pub amount_minor: i64,
    /// ISO 4217 code.
    pub currency: String,
    /// Tender the refund goes back to.
    pub tender: String,
    /// Why.
    pub reason: String,
    /// SHA-256 (hex) of the evidence photo.
    pub evidence_sha256: Option<String>,
    /// Customer asking.
    pub customer_id: Option<String>,
    /// The manager of the shop who approved the refund at the till, if one did (for a line the
    /// shop sold itself, the seller's confirmation).
    pub approved_by: Option<String>,
    /// For a card refund, the authorisation code of the card payment it goes back to.
    pub original_auth_code: Option<String>,
    /// The customer's reputation when the refund was decided.
    pub reputation: Option<i64>,
    /// `refunded`, `pending_seller_confirmation` or `rejected`.
    pub status: String,
    /// Where the money goes: masked PAN of the paying card, or the tender.
    pub refund_to: String,
    /// When asked.
    pub created_at: i64,
    /// When it was decided (at once when the decision approved it, else when the seller did).
    pub decided_at: Option<i64>,
    /// Who decided: `policy` (the reputation threshold), `shop_manager` (a manager of the shop at
    /// the till, for a line the shop sold), or the seller's name.
    pub decided_by: Option<String>,
}

/// A points account (CN101986339A).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PointsAccount {
    /// 16 bytes, hex.
    pub account_id: String,
    /// The key information `k_c`, 32 bytes hex; the phone holds the same. In clear only in
    /// memory: the repository stores it sealed under the server key.
    pub key_hex: String,
    /// Last token counter accepted.
    pub last_counter: i64,
    /// Points balance.
    pub balance: i64,
    /// Merchant's reference for the customer.
    pub customer_ref: Option<String>,
    /// Enrolment time.
    pub created_at: i64,
}

/// One change of a points balance.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PointsEntry {
    /// Account changed.
    pub account_id: String,
    /// Counter of the token that authorised it; for a reversal, which needs no token, the
    /// account's last accepted counter when it was applied.
    pub counter: i64,
    /// Terminal that sent it.
    pub terminal_id: String,
    /// Order it belongs to.
    pub order_id: String,
    /// `earn`, `redeem`, or a reversal of either for a refund: `reverse_earn`, `return_redeem`.
    pub kind: String,
    /// Signed change.
    pub delta: i64,
    /// Balance after the change.
    pub balance_after: i64,
    /// When applied.
    pub at: i64,
    /// The refund a reversal belongs to; `None` for token-authorised changes.
    pub refund_id: Option<String>,
}

/// The outcome of an authorisation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthorizationRecord {
    /// Terminal that asked.
    pub terminal_id: String,
    /// The till's payment id.
    pub payment_id: String,
    /// Order paid.
    pub order_id: String,
    /// Amount, minor units.
    pub amount_minor: i64,
    /// ISO 4217 code.
    pub currency: String,
    /// Masked PAN.
    pub masked_pan: String,
    /// Whether the platform approved it (its decision, which never changes).
    pub approved: bool,
    /// Where it stands now: [`AUTH_APPROVED`], [`AUTH_DECLINED`] or [`AUTH_REVERSED`].
    pub status: String,
    /// Auth code when approved.
    pub auth_code: Option<String>,
    /// Reason code when declined.
    pub reason_code: Option<String>,
    /// When.
    pub created_at: i64,
}

/// A reversal of a payment id: of an approved authorisation, or a block on a payment id the
/// platform had not seen (so that an authorisation arriving later with it is refused).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PaymentReversalRecord {
    /// Terminal that asked.
    pub terminal_id: String,
    /// The till's payment id.
    pub payment_id: String,
    /// Amount the till named, minor units.
    pub amount_minor: i64,
    /// ISO 4217 code.
    pub currency: String,
    /// Why, as the till said.
    pub reason: String,
    /// Whether an approved authorisation was reversed (false: the id was blocked unseen).
    pub authorised: bool,
    /// When, unix seconds.
    pub created_at: i64,
}

/// Status of an authorisation the platform approved and nothing has undone.
pub const AUTH_APPROVED: &str = "approved";
/// Status of an authorisation the platform declined.
pub const AUTH_DECLINED: &str = "declined";
/// Status of an approved authorisation that was reversed since.
pub const AUTH_REVERSED: &str = "reversed";
/// A payment-code payment the customer is still confirming on the phone.
pub const AUTH_PENDING: &str = "pending";

/// The last DUKPT counter taken from one encrypting card reader.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReaderCounter {
    /// The reader: its KSN without the counter bits (`payments::reader_counter`).
    pub reader_id: String,
    /// The counter of the block taken.
    pub counter: i64,
    /// The terminal that sent it.
    pub terminal_id: String,
    /// The payment it was taken for.
    pub payment_id: String,
    /// When.
    pub at: i64,
}

/// A one-time enrolment code: the till that types it gets its terminal's secret, once.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EnrolmentCodeRecord {
    /// SHA-256 (hex) of the code's 16 symbols; the code itself is never stored.
    pub code_sha256: String,
    /// The terminal whose secret the code gives.
    pub terminal_id: String,
    /// When it was made, unix seconds.
    pub created_at: i64,
    /// From when it is refused, unix seconds.
    pub expires_at: i64,
    /// When it was exchanged, if it was.
    pub used_at: Option<i64>,
}
