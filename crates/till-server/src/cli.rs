//! till-server's command line (a module of the binary, not of the library): every subcommand
//! and flag with its help, as clap types. `main.rs` only dispatches them; the till-cli-docs crate turns
//! the same definition into man pages and shell completions.

use clap::{ArgGroup, Args, Parser, Subcommand, ValueEnum};
use std::path::PathBuf;

/// Till's reference remote server: serve it, and administer its terminals, refunds and
/// customers.
#[derive(Debug, Parser)]
#[command(name = "till-server", version, propagate_version = true, max_term_width = 100)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve the API (sandbox payment platform, sales, refunds, points) until SIGTERM or Ctrl-C.
    Serve(ServeArgs),
    /// Register, list, disable and enable tills (terminals).
    #[command(subcommand)]
    Terminals(TerminalsCommand),
    /// Refunds waiting for the seller: list, confirm, reject.
    #[command(subcommand)]
    Refunds(RefundsCommand),
    /// Customers known to the refund policy.
    #[command(subcommand)]
    Customers(CustomersCommand),
    /// Stores of merchants (a chain): add, list. A till's lookups stay inside its store's
    /// merchant.
    #[command(subcommand)]
    Stores(StoresCommand),
    /// Merchants that send orders for collection (web shops): add (prints the API key once),
    /// list, disable, enable.
    #[command(subcommand)]
    Merchants(MerchantsCommand),
    /// Admin accounts of the HQ console (/console): add, list, disable, enable.
    #[command(subcommand)]
    Admins(AdminsCommand),
    /// The catalogue from HQ: import a CSV file, set a price, delete or list products of a
    /// merchant; every till of the merchant takes the changes at its next sync round.
    #[command(subcommand)]
    Catalogue(CatalogueCommand),
    /// Service providers of the service relay: add, list, disable, enable.
    #[command(subcommand)]
    Providers(ProvidersCommand),
    /// Print the OpenAPI document of the API.
    Openapi,
    /// Write man pages and shell completions (used when packaging).
    #[command(hide = true)]
    Generate {
        /// Where to write man/ and completions/.
        #[arg(long, value_name = "DIR")]
        out: PathBuf,
    },
}

/// The database (a SQLite file or a PostgreSQL database: exactly one) and the key that seals
/// its secrets.
#[derive(Debug, Args)]
#[command(group(ArgGroup::new("database_choice").required(true).multiple(false).args(["db", "database"])))]
pub struct DbArgs {
    /// The server's SQLite database (created if missing): one shop, one server.
    #[arg(long, value_name = "FILE")]
    pub db: Option<PathBuf>,
    /// A PostgreSQL database instead of --db, shared by every server of a chain:
    /// postgres://USER:PASSWORD@HOST:PORT/DBNAME (the database must exist; its tables are made
    /// at the first start). Prefer the environment variable: a command line is visible to
    /// other users. Needs --key-file.
    #[arg(long, value_name = "URL", env = "TILL_SERVER_DATABASE", hide_env_values = true)]
    pub database: Option<String>,
    /// The server key sealing the secrets in the database (default for --db: the database's
    /// path + .key, made mode 0600 at the first start; required with --database, the same file
    /// on every server sharing it).
    #[arg(long, value_name = "FILE", env = "TILL_SERVER_KEY_FILE")]
    pub key_file: Option<PathBuf>,
}

/// `till-server serve`.
#[derive(Debug, Args)]
pub struct ServeArgs {
    #[command(flatten)]
    /// The database.
    pub db: DbArgs,
    /// The address to listen on, e.g. 127.0.0.1:8443 or 0.0.0.0:8443.
    #[arg(long, value_name = "ADDR:PORT")]
    pub listen: String,
    /// The TLS certificate chain (PEM); with --tls-key, serve HTTPS.
    #[arg(long, value_name = "FILE")]
    pub tls_cert: Option<PathBuf>,
    /// The TLS private key (PEM); with --tls-cert.
    #[arg(long, value_name = "FILE")]
    pub tls_key: Option<PathBuf>,
    /// Policies, limits and sandbox keys as JSON (default: built-in defaults).
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
}

/// `till-server terminals ...`.
#[derive(Debug, Subcommand)]
pub enum TerminalsCommand {
    /// Register a till: prints {"terminal_id", "secret", "name"} once, or with --enrolment-code
    /// {"terminal_id", "name", "enrolment_code", "expires_at"} and no secret.
    Add {
        #[command(flatten)]
        /// The database.
        db: DbArgs,
        /// The till's name, e.g. "counter 1".
        #[arg(long)]
        name: String,
        /// Print a one-time code (valid 24 h) the till exchanges for its secret, instead of the
        /// secret.
        #[arg(long)]
        enrolment_code: bool,
        /// The store the till belongs to: it sees and collects that store's pending orders, and
        /// finds the sales of every store of the store's merchant (printed as merchant_id).
        #[arg(long, value_name = "STORE", default_value = "main")]
        store: String,
    },
    /// Move a till to another store (whose pending orders it then sees); prints its store and
    /// the store's merchant.
    SetStore {
        #[command(flatten)]
        /// The database.
        db: DbArgs,
        /// The terminal's id (t_ and 16 hex digits).
        #[arg(long, value_name = "TERMINAL_ID")]
        id: String,
        /// The store.
        #[arg(long, value_name = "STORE")]
        store: String,
    },
    /// Every terminal, without secrets, as JSON.
    List(DbArgs),
    /// Refuse a terminal's requests (terminal_disabled).
    Disable(TerminalId),
    /// Accept a disabled terminal's requests again.
    Enable(TerminalId),
}

/// A terminal by id.
#[derive(Debug, Args)]
pub struct TerminalId {
    #[command(flatten)]
    /// The database.
    pub db: DbArgs,
    /// The terminal's id (t_ and 16 hex digits).
    #[arg(long, value_name = "TERMINAL_ID")]
    pub id: String,
}

/// `till-server refunds ...`.
#[derive(Debug, Subcommand)]
pub enum RefundsCommand {
    /// Refunds as JSON, optionally only those with one status.
    List {
        #[command(flatten)]
        /// The database.
        db: DbArgs,
        /// Only refunds with this status.
        #[arg(long, value_enum)]
        status: Option<RefundStatus>,
        /// Only refunds of this merchant's sales (every merchant's when absent).
        #[arg(long)]
        merchant: Option<String>,
    },
    /// Confirm a refund waiting for the seller (the money goes back).
    Confirm(RefundDecision),
    /// Reject a refund waiting for the seller.
    Reject(RefundDecision),
}

/// The refund statuses.
#[derive(Debug, Clone, Copy, ValueEnum)]
#[value(rename_all = "snake_case")]
pub enum RefundStatus {
    /// Waiting for the seller's decision.
    PendingSellerConfirmation,
    /// Refunded.
    Refunded,
    /// Rejected by the seller.
    Rejected,
}

impl RefundStatus {
    /// The status as stored.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::PendingSellerConfirmation => "pending_seller_confirmation",
            Self::Refunded => "refunded",
            Self::Rejected => "rejected",
        }
    }
}

/// A seller's decision on a refund.
#[derive(Debug, Args)]
pub struct RefundDecision {
    #[command(flatten)]
    /// The database.
    pub db: DbArgs,
    /// The refund's id.
    #[arg(long, value_name = "REFUND_ID")]
    pub id: String,
    /// Who decided (recorded with the decision).
    #[arg(long, value_name = "NAME", default_value = "seller")]
    pub by: String,
}

/// `till-server customers ...`.
#[derive(Debug, Subcommand)]
pub enum CustomersCommand {
    /// Set a customer's reputation score (the refund policy's threshold compares against it).
    SetReputation {
        #[command(flatten)]
        /// The database.
        db: DbArgs,
        /// The customer's id.
        #[arg(long, value_name = "CUSTOMER_ID")]
        id: String,
        /// The merchant the customer is a customer of (the same id at two merchants is two
        /// customers).
        #[arg(long, value_name = "MERCHANT_ID", default_value = "default")]
        merchant: String,
        /// The score, a whole number.
        #[arg(long, value_name = "N", allow_negative_numbers = true)]
        score: i64,
    },
}

/// `till-server stores ...`.
#[derive(Debug, Subcommand)]
pub enum StoresCommand {
    /// Register a store of a merchant: prints {"store", "merchant_id", "name", "created_at"}. A
    /// store keeps its merchant (adding it again is refused); a store never added belongs to
    /// the merchant `default`.
    Add {
        #[command(flatten)]
        /// The database.
        db: DbArgs,
        /// The store's id, as `terminals add --store` names it (1 to 32 of a-z 0-9 -).
        #[arg(value_name = "STORE")]
        store: String,
        /// The merchant it belongs to (1 to 32 of a-z 0-9 -).
        #[arg(long, value_name = "MERCHANT_ID")]
        merchant: String,
        /// The store's name, e.g. "Harbour Road".
        #[arg(long, value_name = "NAME")]
        name: String,
    },
    /// Every store added, with its merchant, as JSON.
    List(DbArgs),
}

/// `till-server merchants ...`.
#[derive(Debug, Subcommand)]
pub enum MerchantsCommand {
    /// Register a merchant for one store: prints {"merchant_id", "name", "store", "api_key"};
    /// the key is shown this once (only its SHA-256 is kept).
    Add {
        #[command(flatten)]
        /// The database.
        db: DbArgs,
        /// The merchant's name, e.g. "Web shop".
        #[arg(value_name = "NAME")]
        name: String,
        /// The store its orders are collected at (a till's store: `terminals add --store`).
        #[arg(long, value_name = "STORE", default_value = "main")]
        store: String,
    },
    /// Every merchant, without keys, as JSON.
    List(DbArgs),
    /// Refuse a merchant's key (merchant_disabled).
    Disable(MerchantId),
    /// Accept a disabled merchant's key again.
    Enable(MerchantId),
}

/// `till-server catalogue ...`.
#[derive(Debug, Subcommand)]
pub enum CatalogueCommand {
    /// Import the till's catalogue CSV (same columns) into a merchant's central catalogue, in
    /// one transaction (any row's error imports nothing); prints {"created","updated","unchanged"}.
    Import {
        #[command(flatten)]
        /// The database.
        db: DbArgs,
        /// The CSV file (UTF-8, header row: sku,barcode,name,name_zh,price,tax_rate,...).
        #[arg(value_name = "FILE")]
        file: PathBuf,
        /// The merchant whose catalogue it is (a store's merchant; "default" for stores without one).
        #[arg(long, value_name = "MERCHANT", default_value = "default")]
        merchant: String,
        /// The currency of the file's prices.
        #[arg(long, value_name = "CODE", default_value = "CNY")]
        currency: String,
    },
    /// Set one product's price (major units, e.g. 12.50); prints the product.
    SetPrice {
        #[command(flatten)]
        /// The database.
        db: DbArgs,
        /// The product's SKU.
        #[arg(value_name = "SKU")]
        sku: String,
        /// The new price in major units of the product's currency.
        #[arg(value_name = "PRICE")]
        price: String,
        /// The merchant whose catalogue it is.
        #[arg(long, value_name = "MERCHANT", default_value = "default")]
        merchant: String,
    },
    /// Delete a product (the tills take it off sale; their sales of it stay).
    Delete {
        #[command(flatten)]
        /// The database.
        db: DbArgs,
        /// The product's SKU.
        #[arg(value_name = "SKU")]
        sku: String,
        /// The merchant whose catalogue it is.
        #[arg(long, value_name = "MERCHANT", default_value = "default")]
        merchant: String,
    },
    /// A merchant's products as JSON, by SKU.
    List {
        #[command(flatten)]
        /// The database.
        db: DbArgs,
        /// The merchant whose catalogue it is.
        #[arg(long, value_name = "MERCHANT", default_value = "default")]
        merchant: String,
        /// Only products whose SKU or name contains this.
        #[arg(long, value_name = "TEXT")]
        search: Option<String>,
        /// Products listed at most.
        #[arg(long, value_name = "N", default_value_t = 100)]
        limit: i64,
    },
}

/// A merchant by id.
#[derive(Debug, Args)]
pub struct MerchantId {
    #[command(flatten)]
    /// The database.
    pub db: DbArgs,
    /// The merchant's id (m_ and 16 hex digits).
    #[arg(long, value_name = "MERCHANT_ID")]
    pub id: String,
}

/// `till-server providers ...`.
#[derive(Debug, Subcommand)]
pub enum ProvidersCommand {
    /// Register a service provider; prints it as JSON (never the secret).
    Add {
        #[command(flatten)]
        /// The database.
        db: DbArgs,
        /// The provider's name, shown to tills.
        #[arg(long)]
        name: String,
        /// Its public account id (1 to 64 of A-Z a-z 0-9 . _ -), e.g. mobile-topup.
        #[arg(long, value_name = "PUBLIC_ACCOUNT_ID")]
        account: String,
        /// The base URL the platform calls: https://..., or http:// to this computer only.
        #[arg(long, value_name = "URL")]
        endpoint: String,
        /// A file holding the shared secret (16 characters or more) that signs both ways; the
        /// provider is given the same file. Stored sealed under the server key.
        #[arg(long, value_name = "FILE")]
        secret_file: PathBuf,
    },
    /// Every provider, without secrets, as JSON.
    List(DbArgs),
    /// Stop listing, following and calling a provider.
    Disable(ProviderAccount),
    /// Enable a disabled provider again.
    Enable(ProviderAccount),
}

/// A provider by account id.
#[derive(Debug, Args)]
pub struct ProviderAccount {
    #[command(flatten)]
    /// The database.
    pub db: DbArgs,
    /// The provider's public account id.
    #[arg(long, value_name = "PUBLIC_ACCOUNT_ID")]
    pub account: String,
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn the_definition_is_consistent() {
        Cli::command().debug_assert();
    }
}

/// `till-server admins ...`.
#[derive(Debug, Subcommand)]
pub enum AdminsCommand {
    /// Make an admin account of the HQ console. The password comes from --password-file, else
    /// is asked twice on the terminal (not echoed), else is the first line of standard input.
    Add {
        #[command(flatten)]
        /// The database.
        db: DbArgs,
        /// The user name (1 to 64 letters, digits, '.', '_', '@', '-').
        #[arg(value_name = "USER")]
        username: String,
        /// The merchant whose stores the admin sees (`default` for a single shop).
        #[arg(long, value_name = "MERCHANT")]
        merchant: String,
        /// A file whose first line is the password (10 to 1024 characters).
        #[arg(long, value_name = "FILE")]
        password_file: Option<PathBuf>,
    },
    /// Every admin account, without password hashes, as JSON.
    List(DbArgs),
    /// Refuse an admin's sign-in and end their sessions.
    Disable(AdminName),
    /// Let a disabled admin sign in again.
    Enable(AdminName),
}

/// An admin account by user name.
#[derive(Debug, Args)]
pub struct AdminName {
    #[command(flatten)]
    /// The database.
    pub db: DbArgs,
    /// The user name.
    #[arg(value_name = "USER")]
    pub username: String,
}
