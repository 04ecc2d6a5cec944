//! The server's schema: the first one (version 1) and the steps after it, applied in one
//! transaction at open so every database reaches the current shape by the same path.

use super::sql::{SqlConn, SqlConnExt};
use super::statements::{catalogue, console, device_services, photos, request_guards, scope};
use super::RepoResult;
use crate::args;
use crate::repo::RepoError;
use crate::sealing::ServerKey;

/// The first schema (version 1); [`MIGRATIONS`] bring it up to date. Portable on purpose: TEXT and
/// BIGINT only, explicit primary keys, no rowid aliases, no SQLite-only clauses, so PostgreSQL
/// accepts the same statements.
pub(in crate::repo) const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS schema_version (version BIGINT NOT NULL);
CREATE TABLE IF NOT EXISTS terminals (
    id TEXT PRIMARY KEY, name TEXT NOT NULL, secret_hex TEXT NOT NULL,
    created_at BIGINT NOT NULL, disabled BIGINT NOT NULL DEFAULT 0);
CREATE TABLE IF NOT EXISTS idempotency (
    terminal_id TEXT NOT NULL, idem_key TEXT NOT NULL, request_hash TEXT NOT NULL,
    status BIGINT, response TEXT, created_at BIGINT NOT NULL,
    PRIMARY KEY (terminal_id, idem_key));
CREATE INDEX IF NOT EXISTS idempotency_created ON idempotency (created_at);
CREATE TABLE IF NOT EXISTS orders (
    terminal_id TEXT NOT NULL, order_id TEXT NOT NULL, store TEXT NOT NULL, currency TEXT NOT NULL,
    total_minor BIGINT NOT NULL, customer_id TEXT, created_at BIGINT NOT NULL, recorded_at BIGINT NOT NULL,
    PRIMARY KEY (terminal_id, order_id));
CREATE TABLE IF NOT EXISTS order_lines (
    line_code TEXT PRIMARY KEY, terminal_id TEXT NOT NULL, order_id TEXT NOT NULL, line_no BIGINT NOT NULL,
    sku TEXT NOT NULL, name TEXT NOT NULL, quantity BIGINT NOT NULL, unit_price_minor BIGINT NOT NULL,
    total_minor BIGINT NOT NULL, currency TEXT NOT NULL, seller TEXT, refunded_minor BIGINT NOT NULL,
    FOREIGN KEY (terminal_id, order_id) REFERENCES orders (terminal_id, order_id));
CREATE INDEX IF NOT EXISTS order_lines_order ON order_lines (terminal_id, order_id);
CREATE TABLE IF NOT EXISTS payments (
    terminal_id TEXT NOT NULL, order_id TEXT NOT NULL, seq BIGINT NOT NULL, tender TEXT NOT NULL,
    amount_minor BIGINT NOT NULL, currency TEXT NOT NULL, masked_pan TEXT, auth_code TEXT,
    PRIMARY KEY (terminal_id, order_id, seq),
    FOREIGN KEY (terminal_id, order_id) REFERENCES orders (terminal_id, order_id));
CREATE TABLE IF NOT EXISTS sold_devices (
    identifier TEXT PRIMARY KEY, kind TEXT NOT NULL, line_code TEXT NOT NULL REFERENCES order_lines (line_code),
    terminal_id TEXT NOT NULL, order_id TEXT NOT NULL, store TEXT NOT NULL, price_minor BIGINT NOT NULL,
    currency TEXT NOT NULL, paying_account TEXT NOT NULL, software TEXT, sold_at BIGINT NOT NULL,
    refunded BIGINT NOT NULL);
CREATE TABLE IF NOT EXISTS customers (customer_id TEXT PRIMARY KEY, reputation BIGINT NOT NULL);
CREATE TABLE IF NOT EXISTS refunds (
    refund_id TEXT PRIMARY KEY, terminal_id TEXT NOT NULL, line_code TEXT NOT NULL REFERENCES order_lines (line_code),
    device_identifier TEXT, amount_minor BIGINT NOT NULL, currency TEXT NOT NULL, tender TEXT NOT NULL,
    reason TEXT NOT NULL, evidence_sha256 TEXT, customer_id TEXT, approved_by TEXT, reputation BIGINT,
    status TEXT NOT NULL,
    refund_to TEXT NOT NULL, created_at BIGINT NOT NULL, decided_at BIGINT, decided_by TEXT);
CREATE INDEX IF NOT EXISTS refunds_status ON refunds (status, created_at);
CREATE TABLE IF NOT EXISTS points_accounts (
    account_id TEXT PRIMARY KEY, key_hex TEXT NOT NULL, last_counter BIGINT NOT NULL, balance BIGINT NOT NULL,
    customer_ref TEXT, created_at BIGINT NOT NULL);
CREATE TABLE IF NOT EXISTS points_entries (
    account_id TEXT NOT NULL REFERENCES points_accounts (account_id), counter BIGINT NOT NULL,
    terminal_id TEXT NOT NULL, order_id TEXT NOT NULL, kind TEXT NOT NULL, delta BIGINT NOT NULL,
    balance_after BIGINT NOT NULL, at BIGINT NOT NULL, PRIMARY KEY (account_id, counter));
CREATE TABLE IF NOT EXISTS authorizations (
    terminal_id TEXT NOT NULL, payment_id TEXT NOT NULL, order_id TEXT NOT NULL, amount_minor BIGINT NOT NULL,
    currency TEXT NOT NULL, masked_pan TEXT NOT NULL, approved BIGINT NOT NULL, auth_code TEXT,
    reason_code TEXT, created_at BIGINT NOT NULL, PRIMARY KEY (terminal_id, payment_id));
";

/// Version 2: points reversals for refunds and card refunds bound to an authorisation.
///
/// A reversal has no loyalty token, so no counter of its own: history entries are now keyed by
/// their position in the account's history (`seq`; the old rows keep their counter as position,
/// which preserves their order), `refund_id` marks reversals, and a token counter stays unique
/// among the token-authorised entries only. SQLite cannot change a primary key in place, hence
/// the copy; the statements are PostgreSQL's too.
pub(in crate::repo) const MIGRATION_2: &str = "
CREATE TABLE points_entries_v2 (
    account_id TEXT NOT NULL REFERENCES points_accounts (account_id), seq BIGINT NOT NULL,
    counter BIGINT NOT NULL, terminal_id TEXT NOT NULL, order_id TEXT NOT NULL, kind TEXT NOT NULL,
    delta BIGINT NOT NULL, balance_after BIGINT NOT NULL, at BIGINT NOT NULL, refund_id TEXT,
    PRIMARY KEY (account_id, seq));
INSERT INTO points_entries_v2
    (account_id, seq, counter, terminal_id, order_id, kind, delta, balance_after, at, refund_id)
    SELECT account_id, counter, counter, terminal_id, order_id, kind, delta, balance_after, at, NULL
    FROM points_entries;
DROP TABLE points_entries;
ALTER TABLE points_entries_v2 RENAME TO points_entries;
CREATE UNIQUE INDEX points_entries_token ON points_entries (account_id, counter) WHERE refund_id IS NULL;
CREATE UNIQUE INDEX points_entries_refund ON points_entries (account_id, refund_id, kind);
CREATE INDEX points_entries_order ON points_entries (account_id, terminal_id, order_id, kind);
ALTER TABLE refunds ADD COLUMN original_auth_code TEXT;
";

/// Version 3: an order keeps the till's checkout key, the order a points redemption's token
/// (version 2) names, so the server checks a redemption against the sale it recorded.
pub(in crate::repo) const MIGRATION_3: &str = "
ALTER TABLE orders ADD COLUMN checkout_key TEXT;
";

/// Version 4: the server decides card refunds, reversals and DUKPT blocks from its own records.
///
/// An authorisation has a status that can change after the platform's decision (`reversed`,
/// by the till's payment journal); `payment_reversals` holds one row per reversed payment id,
/// also for an id the platform never saw: that row is what refuses a late authorisation. A
/// sale's card payment names its payment id (the key of its authorisation), once per terminal;
/// each encrypting reader's last DUKPT counter is kept.
pub(in crate::repo) const MIGRATION_4: &str = "
ALTER TABLE payments ADD COLUMN payment_id TEXT;
CREATE UNIQUE INDEX payments_payment_id ON payments (terminal_id, payment_id) WHERE payment_id IS NOT NULL;
ALTER TABLE authorizations ADD COLUMN status TEXT NOT NULL DEFAULT 'declined';
UPDATE authorizations SET status = 'approved' WHERE approved = 1;
CREATE TABLE payment_reversals (
    terminal_id TEXT NOT NULL, payment_id TEXT NOT NULL, amount_minor BIGINT NOT NULL, currency TEXT NOT NULL,
    reason TEXT NOT NULL, authorised BIGINT NOT NULL, created_at BIGINT NOT NULL,
    PRIMARY KEY (terminal_id, payment_id));
CREATE TABLE card_reader_counters (
    reader_id TEXT PRIMARY KEY, last_counter BIGINT NOT NULL, terminal_id TEXT NOT NULL,
    payment_id TEXT NOT NULL, updated_at BIGINT NOT NULL);
";

/// Version 6: one-time enrolment codes. A till exchanges one for its terminal's secret once;
/// only the code's SHA-256 is kept, with its expiry and when it was used.
pub(in crate::repo) const MIGRATION_6: &str = "
CREATE TABLE enrolment_codes (
    code_sha256 TEXT PRIMARY KEY, terminal_id TEXT NOT NULL REFERENCES terminals (id),
    created_at BIGINT NOT NULL, expires_at BIGINT NOT NULL, used_at BIGINT);
CREATE INDEX enrolment_codes_terminal ON enrolment_codes (terminal_id);
";

/// Version 7: a sale line may come from an order pending collection or a service paid at the
/// counter; its origin is kept with the line.
pub(in crate::repo) const MIGRATION_7: &str = "
ALTER TABLE order_lines ADD COLUMN origin_kind TEXT;
ALTER TABLE order_lines ADD COLUMN origin_ref TEXT;
CREATE INDEX order_lines_origin ON order_lines (origin_kind, origin_ref);
";

/// Version 8: orders pending collection (docs/pending-orders.md).
///
/// Merchants hold an API key (only its SHA-256 is kept) for one store; a terminal belongs to a
/// store (`terminal_stores`; a terminal without a row belongs to [`crate::merchants::DEFAULT_STORE`]).
/// An order keeps the merchant's own number (unique per merchant, with the hash of the body
/// first sent under it), its pickup code sealed under the server key, its stored status
/// (`pending`, `collected`, `cancelled`, `expired`; `reserved` is a pending order with a live
/// reservation), and `seq`: the position of its latest change, which every change moves to the
/// end, so a till follows its store's changes with one cursor. Every terminal that ever reserved
/// an order is remembered: its sale collects the order even when the reservation lapsed.
pub(in crate::repo) const MIGRATION_8: &str = "
CREATE TABLE terminal_stores (
    terminal_id TEXT PRIMARY KEY REFERENCES terminals (id), store TEXT NOT NULL);
CREATE TABLE merchants (
    merchant_id TEXT PRIMARY KEY, name TEXT NOT NULL, store TEXT NOT NULL, key_sha256 TEXT NOT NULL,
    created_at BIGINT NOT NULL, disabled BIGINT NOT NULL DEFAULT 0);
CREATE TABLE merchant_orders (
    order_id TEXT PRIMARY KEY, merchant_id TEXT NOT NULL REFERENCES merchants (merchant_id),
    order_number TEXT NOT NULL, request_hash TEXT NOT NULL, store TEXT NOT NULL,
    customer_name TEXT NOT NULL, customer_phone TEXT NOT NULL, currency TEXT NOT NULL,
    total_minor BIGINT NOT NULL, pickup_code_sealed TEXT NOT NULL, status TEXT NOT NULL,
    created_at BIGINT NOT NULL, expires_at BIGINT NOT NULL, reserved_by TEXT, reserved_until BIGINT,
    pickup_failures BIGINT NOT NULL DEFAULT 0, collected_terminal TEXT, collected_sale TEXT,
    collected_at BIGINT, collected_flag TEXT, cancelled_at BIGINT, seq BIGINT NOT NULL,
    UNIQUE (merchant_id, order_number));
CREATE UNIQUE INDEX merchant_orders_seq ON merchant_orders (seq);
CREATE INDEX merchant_orders_store ON merchant_orders (store, seq);
CREATE INDEX merchant_orders_due ON merchant_orders (status, expires_at);
CREATE TABLE merchant_order_lines (
    order_id TEXT NOT NULL REFERENCES merchant_orders (order_id), line_no BIGINT NOT NULL,
    sku TEXT NOT NULL, name TEXT NOT NULL, quantity BIGINT NOT NULL, unit_price_minor BIGINT NOT NULL,
    total_minor BIGINT NOT NULL, PRIMARY KEY (order_id, line_no));
CREATE TABLE merchant_order_reservations (
    order_id TEXT NOT NULL REFERENCES merchant_orders (order_id), terminal_id TEXT NOT NULL,
    first_at BIGINT NOT NULL, PRIMARY KEY (order_id, terminal_id));
";

/// Version 9: the service relay (CN104123686A). Providers registered on the platform (their
/// shared secret sealed), the terminals following them, conversations and their rounds (kept,
/// failures included), and each paid conversation's notice to its provider until acknowledged.
pub(in crate::repo) const MIGRATION_9: &str = "
CREATE TABLE service_providers (
    account_id TEXT PRIMARY KEY, name TEXT NOT NULL, endpoint TEXT NOT NULL, secret_sealed TEXT NOT NULL,
    created_at BIGINT NOT NULL, disabled BIGINT NOT NULL DEFAULT 0);
CREATE TABLE service_follows (
    terminal_id TEXT NOT NULL, account_id TEXT NOT NULL REFERENCES service_providers (account_id),
    followed_at BIGINT NOT NULL, PRIMARY KEY (terminal_id, account_id));
CREATE TABLE service_conversations (
    conversation_id TEXT PRIMARY KEY, terminal_id TEXT NOT NULL,
    account_id TEXT NOT NULL REFERENCES service_providers (account_id), status TEXT NOT NULL,
    amount_minor BIGINT, currency TEXT, created_at BIGINT NOT NULL,
    paid_order_id TEXT, paid_line_code TEXT, paid_at BIGINT,
    notify_state TEXT, notify_attempts BIGINT NOT NULL DEFAULT 0, notify_next_at BIGINT,
    notified_at BIGINT, notify_error TEXT);
CREATE INDEX service_conversations_notify ON service_conversations (notify_next_at)
    WHERE notify_state = 'pending';
CREATE TABLE service_rounds (
    conversation_id TEXT NOT NULL REFERENCES service_conversations (conversation_id), seq BIGINT NOT NULL,
    idem_key TEXT NOT NULL, request_text TEXT NOT NULL, status TEXT NOT NULL, answer_text TEXT,
    amount_minor BIGINT, currency TEXT, done BIGINT NOT NULL DEFAULT 0, error_code TEXT, error_message TEXT,
    created_at BIGINT NOT NULL, answered_at BIGINT, PRIMARY KEY (conversation_id, seq));
CREATE UNIQUE INDEX service_rounds_key ON service_rounds (conversation_id, idem_key);
";

/// A step of a migration that needs code, not only SQL (sealing the rows of version 5).
type CodeStep = fn(&mut dyn SqlConn, &ServerKey) -> RepoResult<()>;

/// The changes after [`SCHEMA`], in order: SQL, then code when the step needs it. A new database
/// goes through them too, so every database reaches the current shape by the same path.
const MIGRATIONS: &[(i64, &str, Option<CodeStep>)] = &[
    (2, MIGRATION_2, None),
    (3, MIGRATION_3, None),
    (4, MIGRATION_4, None),
    (5, super::sealed_columns::MIGRATION_5, Some(super::sealed_columns::seal_existing_rows)),
    (6, MIGRATION_6, None),
    (7, MIGRATION_7, None),
    (8, MIGRATION_8, None),
    (9, MIGRATION_9, None),
    (10, device_services::MIGRATION_10, Some(device_services::blind_existing_rows)),
    (11, request_guards::MIGRATION_11, None),
    (12, scope::MIGRATION_12, None),
    (13, catalogue::MIGRATION_13, None),
    (14, console::MIGRATION_14, None),
    (15, photos::MIGRATION_15, None),
];

/// The schema version this build writes.
pub(in crate::repo) const SCHEMA_VERSION: i64 = 15;

/// Creates the first schema if needed and applies the migrations the database lacks; the caller
/// holds the transaction (and, on PostgreSQL, the write lock), so a failed step leaves the
/// database as it was and two servers starting at once migrate one after the other. The same
/// statements for both databases. Returns whether rows were sealed (a SQLite file then still
/// holds their old, clear pages until it is vacuumed).
pub(in crate::repo) fn migrate(conn: &mut dyn SqlConn, key: &ServerKey) -> RepoResult<bool> {
    conn.batch(SCHEMA)?;
    let mut version = match conn.query_int("SELECT MAX(version) FROM schema_version", args![])? {
        Some(v) => v,
        None => {
            conn.execute("INSERT INTO schema_version (version) VALUES (1)", args![])?;
            1
        }
    };
    if version > SCHEMA_VERSION {
        return Err(RepoError::Corrupt(format!(
            "database schema {version} is newer than this server understands ({SCHEMA_VERSION})"
        )));
    }
    let mut sealed_rows = false;
    for &(to, sql, code) in MIGRATIONS {
        if to > version {
            conn.batch(sql)?;
            if let Some(step) = code {
                step(conn, key)?;
                sealed_rows = true;
            }
            conn.execute("INSERT INTO schema_version (version) VALUES (?1)", args![to])?;
            version = to;
        }
    }
    Ok(sealed_rows)
}
