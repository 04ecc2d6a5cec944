//! What the server keeps for the HQ console (schema version 14): admin accounts, their
//! sessions and the audit of what they did, and the statements a [`super::Tx`] offers for them
//! ([`ConsoleTx`]). Sessions and lockouts live here, not in memory, so any of several servers
//! sharing the database honours them.

use super::RepoResult;

/// The statements of the HQ console, part of every [`super::Tx`].
pub trait ConsoleTx {
    /// Registers an admin account.
    fn insert_admin(&mut self, a: &AdminRecord) -> RepoResult<()>;
    /// An admin account by user name.
    fn admin(&mut self, username: &str) -> RepoResult<Option<AdminRecord>>;
    /// Every admin account, by user name.
    fn admins(&mut self) -> RepoResult<Vec<AdminRecord>>;
    /// Disables or re-enables an admin account; false if there is no such account.
    fn set_admin_disabled(&mut self, username: &str, disabled: bool) -> RepoResult<bool>;
    /// Sets an account's count of wrong passwords in a row and its lockout end.
    fn set_admin_failures(&mut self, username: &str, failed_count: i64, locked_until: Option<i64>) -> RepoResult<()>;

    /// Stores a new session (its id's hash only).
    fn insert_console_session(&mut self, s: &ConsoleSessionRecord) -> RepoResult<()>;
    /// A session by the SHA-256 (hex) of its id.
    fn console_session(&mut self, id_sha256: &str) -> RepoResult<Option<ConsoleSessionRecord>>;
    /// Moves a session's expiry (each request of an idle-expiring session).
    fn touch_console_session(&mut self, id_sha256: &str, expires_at: i64) -> RepoResult<()>;
    /// Ends a session (sign-out).
    fn delete_console_session(&mut self, id_sha256: &str) -> RepoResult<()>;
    /// Ends every session of an admin (the account was disabled); how many.
    fn delete_admin_sessions(&mut self, username: &str) -> RepoResult<usize>;
    /// Deletes sessions that expired before `now`; how many.
    fn purge_console_sessions(&mut self, now: i64) -> RepoResult<usize>;

    /// Appends to the audit; its position (`seq`).
    fn append_console_audit(&mut self, e: &NewAuditEntry) -> RepoResult<i64>;
    /// The latest `limit` audit entries of the admins of `merchant_id`, newest first.
    fn console_audit(&mut self, merchant_id: &str, limit: i64) -> RepoResult<Vec<AuditRecord>>;

    // What the pages show, always of one merchant (repo/sqlite/console_views.rs).

    /// A page of the merchant's sales matching `f`, newest first.
    fn console_sales(&mut self, f: &SalesFilter) -> RepoResult<Vec<SaleRow>>;
    /// The count and sum per currency of every sale matching `f` (all pages).
    fn console_sales_totals(&mut self, f: &SalesFilter) -> RepoResult<Vec<CurrencyTotal>>;
    /// The stores of the merchant's terminals, by name.
    fn console_stores(&mut self, merchant_id: &str) -> RepoResult<Vec<String>>;
    /// The merchant's terminals, oldest first.
    fn console_terminals(&mut self, merchant_id: &str) -> RepoResult<Vec<TerminalRow>>;
    /// The merchant a store belongs to (`default` for a store without a row).
    fn console_store_merchant(&mut self, store: &str) -> RepoResult<String>;
    /// The merchant a terminal belongs to; `None` when there is no such terminal.
    fn console_terminal_merchant(&mut self, terminal: &str) -> RepoResult<Option<String>>;
    /// A page of the customers the merchant sees whose id contains `search`, by id.
    fn console_customers(
        &mut self,
        merchant_id: &str,
        search: Option<&str>,
        limit: i64,
        offset: i64,
    ) -> RepoResult<Vec<CustomerRow>>;
    /// A customer the merchant sees.
    fn console_customer(&mut self, merchant_id: &str, customer_id: &str) -> RepoResult<Option<CustomerRow>>;
    /// A page of the points accounts the merchant sees whose id or customer reference contains
    /// `search`, newest first.
    fn console_points_accounts(
        &mut self,
        merchant_id: &str,
        search: Option<&str>,
        limit: i64,
        offset: i64,
    ) -> RepoResult<Vec<PointsAccountRow>>;
    /// A points account the merchant sees.
    fn console_points_account(&mut self, merchant_id: &str, account_id: &str) -> RepoResult<Option<PointsAccountRow>>;
}

/// Which sales the sales page shows.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SalesFilter {
    /// The admin's merchant: only its terminals' sales.
    pub merchant_id: String,
    /// Only this store's terminals.
    pub store: Option<String>,
    /// Only this terminal.
    pub terminal: Option<String>,
    /// Sold at or after, unix seconds.
    pub from: Option<i64>,
    /// Sold before, unix seconds.
    pub until: Option<i64>,
    /// Only totals at least this, minor units.
    pub min_total_minor: Option<i64>,
    /// Page size.
    pub limit: i64,
    /// Rows skipped.
    pub offset: i64,
}

/// A sale as the sales page lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SaleRow {
    /// The terminal that sold it.
    pub terminal_id: String,
    /// Its name.
    pub terminal_name: Option<String>,
    /// The terminal's store.
    pub store: String,
    /// The till's order id.
    pub order_id: String,
    /// ISO 4217 code.
    pub currency: String,
    /// Total, minor units.
    pub total_minor: i64,
    /// The customer, when known.
    pub customer_id: Option<String>,
    /// When sold, unix seconds.
    pub created_at: i64,
}

/// Count and sum of sales in one currency.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CurrencyTotal {
    /// ISO 4217 code.
    pub currency: String,
    /// Number of sales.
    pub count: i64,
    /// Their sum, minor units.
    pub total_minor: i64,
}

/// A terminal as the terminals page lists it (no secret).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TerminalRow {
    /// Terminal id.
    pub terminal_id: String,
    /// Name.
    pub name: String,
    /// Its store.
    pub store: String,
    /// Registration time.
    pub created_at: i64,
    /// Whether refused.
    pub disabled: bool,
}

/// A customer and their reputation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CustomerRow {
    /// Customer id.
    pub customer_id: String,
    /// Reputation score.
    pub reputation: i64,
}

/// A points account without its key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PointsAccountRow {
    /// Account id.
    pub account_id: String,
    /// The merchant's reference for the customer.
    pub customer_ref: Option<String>,
    /// Balance.
    pub balance: i64,
    /// Enrolment time.
    pub created_at: i64,
}

/// An HQ console admin account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AdminRecord {
    /// Sign-in name.
    pub username: String,
    /// The merchant whose stores the admin sees.
    pub merchant_id: String,
    /// The Argon2id hash of the password, PHC string (salt and parameters inside).
    pub password_hash: String,
    /// Wrong passwords in a row since the last success or lockout.
    pub failed_count: i64,
    /// Until when sign-in is refused, unix seconds.
    pub locked_until: Option<i64>,
    /// A disabled account cannot sign in and has no session.
    pub disabled: bool,
    /// When made.
    pub created_at: i64,
}

/// A signed-in browser.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConsoleSessionRecord {
    /// SHA-256 (hex) of the cookie's value; the value itself is never stored.
    pub id_sha256: String,
    /// The admin signed in.
    pub username: String,
    /// The token every form of this session carries.
    pub csrf_token: String,
    /// From when the session is refused (moved forward while it is used).
    pub expires_at: i64,
    /// When the admin signed in.
    pub created_at: i64,
}

/// An audit entry to append.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewAuditEntry {
    /// When, unix seconds.
    pub at: i64,
    /// The admin who acted.
    pub admin: String,
    /// What was done, e.g. `terminal.disable`.
    pub action: String,
    /// What it was done to, e.g. a terminal id.
    pub subject: String,
    /// Anything else worth keeping (old and new values).
    pub detail: String,
}

/// An audit entry as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditRecord {
    /// Position in the audit, from 1.
    pub seq: i64,
    /// The entry.
    pub entry: NewAuditEntry,
}
