//! The SQLite repository: one file, zero set-up, for a single shop.
//!
//! One writer connection behind a mutex: SQLite has one writer at a time anyway, and taking the
//! lock in the process instead of in the file avoids busy-waiting. Beside it a small pool of
//! read-only connections ([`pool::ReadPool`]) serves [`Repository::read`]: in WAL mode a reader
//! sees the last commit and never waits for the writer, so lookups and the signing check keep
//! answering while a write transaction is open. Connections are opened like the till's own
//! database (WAL, `synchronous=FULL`, foreign keys), so a response is sent only after its effect
//! is on disk.
//!
//! Terminal secrets, points keys and stored idempotent answers are sealed under the server key
//! ([`crate::sealing`]) on their way in and opened on their way out: the records the routes see
//! are in clear, the file never is. The database and its WAL are 0600 ([`crate::private_files`]).

use super::opening::{connect, load_key, recorded_key_id};
use super::pool::{Pooled, ReadPool};
use super::*;
use crate::private_files;
use crate::sealing::{self, Purpose, ServerKey};
use rusqlite::{params, Connection, OptionalExtension, Row};
use std::ops::Deref;
use std::path::Path;
use std::sync::{Mutex, MutexGuard};

pub use super::opening::StorageOptions;

mod cards;

/// The first schema (version 1); [`MIGRATIONS`] bring it up to date. Portable on purpose: TEXT and
/// BIGINT only, explicit primary keys, no rowid aliases, no SQLite-only clauses, so PostgreSQL
/// accepts the same statements.
pub(super) const SCHEMA: &str = "
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
pub(super) const MIGRATION_2: &str = "
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
const MIGRATION_3: &str = "
ALTER TABLE orders ADD COLUMN checkout_key TEXT;
";

/// Version 4: the server decides card refunds, reversals and DUKPT blocks from its own records.
///
/// An authorisation has a status that can change after the platform's decision (`reversed`,
/// by the till's payment journal); `payment_reversals` holds one row per reversed payment id,
/// also for an id the platform never saw: that row is what refuses a late authorisation. A
/// sale's card payment names its payment id (the key of its authorisation), once per terminal;
/// each encrypting reader's last DUKPT counter is kept.
const MIGRATION_4: &str = "
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

/// A step of a migration that needs code, not only SQL (sealing the rows of version 5).
type CodeStep = fn(&Connection, &ServerKey) -> RepoResult<()>;

/// The changes after [`SCHEMA`], in order: SQL, then code when the step needs it. A new database
/// goes through them too, so every database reaches the current shape by the same path.
const MIGRATIONS: &[(i64, &str, Option<CodeStep>)] = &[
    (2, MIGRATION_2, None),
    (3, MIGRATION_3, None),
    (4, MIGRATION_4, None),
    (5, super::sealed_columns::MIGRATION_5, Some(super::sealed_columns::seal_existing_rows)),
];

/// The schema version this build writes.
const SCHEMA_VERSION: i64 = 5;

/// Creates the first schema if needed and applies the migrations the database lacks; the caller
/// holds the transaction, so a failed step leaves the database as it was. Returns whether rows
/// were sealed (the file then still holds their old, clear pages until it is vacuumed).
fn migrate(conn: &Connection, key: &ServerKey) -> RepoResult<bool> {
    conn.execute_batch(SCHEMA)?;
    let stored: Option<i64> = conn.query_row("SELECT MAX(version) FROM schema_version", [], |r| r.get(0))?;
    let mut version = match stored {
        Some(v) => v,
        None => {
            conn.execute("INSERT INTO schema_version (version) VALUES (1)", [])?;
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
            conn.execute_batch(sql)?;
            if let Some(step) = code {
                step(conn, key)?;
                sealed_rows = true;
            }
            conn.execute("INSERT INTO schema_version (version) VALUES (?1)", [to])?;
            version = to;
        }
    }
    Ok(sealed_rows)
}

/// A [`Repository`] on one SQLite file.
#[derive(Debug)]
pub struct SqliteRepository {
    writer: Mutex<Connection>,
    readers: ReadPool,
    key: ServerKey,
}

impl SqliteRepository {
    /// Opens (creating if needed) the database at `path` with its key file beside it, and
    /// brings its schema up to date.
    pub fn open(path: &Path) -> RepoResult<Self> {
        Self::open_with(path, &StorageOptions::default())
    }

    /// Opens (creating if needed) the database at `path`: makes its files owner-only, loads (or
    /// at the first start makes) the server key, and brings the schema up to date in one
    /// transaction, sealing the secrets of an older database.
    pub fn open_with(path: &Path, options: &StorageOptions) -> RepoResult<Self> {
        private_files::prepare_database_files(path)?;
        let conn = connect(path)?;
        let key_file = options.key_file.clone().unwrap_or_else(|| sealing::default_key_path(path));
        conn.execute_batch("BEGIN IMMEDIATE")?;
        let migrated = load_key(&conn, &key_file).and_then(|key| {
            let sealed_rows = migrate(&conn, &key)?;
            if recorded_key_id(&conn)?.is_none() {
                conn.execute("INSERT INTO server_key (key_id) VALUES (?1)", [key.id()])?;
            }
            Ok((key, sealed_rows))
        });
        let (key, sealed_rows) = match migrated {
            Ok(done) => {
                conn.execute_batch("COMMIT")?;
                done
            }
            Err(e) => {
                // The error that made the migration stop is the one to report.
                let _ = conn.execute_batch("ROLLBACK");
                return Err(e);
            }
        };
        if sealed_rows {
            // The rows were rewritten sealed; their clear versions may linger in pages freed
            // before secure_delete was on and in the WAL. Rebuild the file and empty the WAL.
            conn.execute_batch("VACUUM")?;
            conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))?;
        }
        let readers = ReadPool::new(options.read_connections, || connect(path))?;
        Ok(SqliteRepository { writer: Mutex::new(conn), readers, key })
    }

    fn lock(&self) -> MutexGuard<'_, Connection> {
        // A panic while holding the lock leaves at most an open transaction, which SqliteTx's Drop
        // rolled back during unwinding; the connection itself is still sound.
        self.writer.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl Repository for SqliteRepository {
    fn begin(&self) -> RepoResult<Box<dyn Tx + '_>> {
        let conn = self.lock();
        conn.execute_batch("BEGIN IMMEDIATE")?;
        Ok(Box::new(SqliteTx { conn: Held::Writer(conn), open: true, key: &self.key }))
    }

    fn read(&self) -> RepoResult<Box<dyn Tx + '_>> {
        let conn = self.readers.get();
        // Deferred: the snapshot is taken at the first read and no lock on the writer is asked.
        conn.execute_batch("BEGIN")?;
        Ok(Box::new(SqliteTx { conn: Held::Reader(conn), open: true, key: &self.key }))
    }
}

/// The connection a transaction runs on.
enum Held<'a> {
    /// The one writer, locked for the transaction.
    Writer(MutexGuard<'a, Connection>),
    /// A read-only connection from the pool.
    Reader(Pooled<'a>),
}

impl Deref for Held<'_> {
    type Target = Connection;
    fn deref(&self) -> &Connection {
        match self {
            Held::Writer(c) => c,
            Held::Reader(c) => c,
        }
    }
}

/// A transaction on the locked writer or on a pooled reader.
struct SqliteTx<'a> {
    conn: Held<'a>,
    open: bool,
    key: &'a ServerKey,
}

impl Drop for SqliteTx<'_> {
    fn drop(&mut self) {
        if self.open {
            // Nothing to report to: the caller already has the error that made it give up.
            let _ = self.conn.execute_batch("ROLLBACK");
        }
    }
}

/// Savepoint names come from code, but check anyway: they are spliced into SQL.
fn savepoint_name(name: &str) -> RepoResult<&str> {
    if !name.is_empty() && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') {
        Ok(name)
    } else {
        Err(RepoError::Corrupt(format!("bad savepoint name {name:?}")))
    }
}

fn terminal_row(r: &Row<'_>) -> rusqlite::Result<TerminalRecord> {
    Ok(TerminalRecord {
        id: r.get(0)?,
        name: r.get(1)?,
        secret_hex: r.get(2)?,
        created_at: r.get(3)?,
        disabled: r.get::<_, i64>(4)? != 0,
    })
}

fn line_row(r: &Row<'_>) -> rusqlite::Result<LineRecord> {
    Ok(LineRecord {
        line_code: r.get(0)?,
        terminal_id: r.get(1)?,
        order_id: r.get(2)?,
        line_no: r.get(3)?,
        sku: r.get(4)?,
        name: r.get(5)?,
        quantity: r.get(6)?,
        unit_price_minor: r.get(7)?,
        total_minor: r.get(8)?,
        currency: r.get(9)?,
        seller: r.get(10)?,
        refunded_minor: r.get(11)?,
    })
}

fn device_row(r: &Row<'_>) -> rusqlite::Result<SoldDeviceRecord> {
    Ok(SoldDeviceRecord {
        identifier: r.get(0)?,
        kind: r.get(1)?,
        line_code: r.get(2)?,
        terminal_id: r.get(3)?,
        order_id: r.get(4)?,
        store: r.get(5)?,
        price_minor: r.get(6)?,
        currency: r.get(7)?,
        paying_account: r.get(8)?,
        software: r.get(9)?,
        sold_at: r.get(10)?,
        refunded: r.get::<_, i64>(11)? != 0,
    })
}

fn refund_row(r: &Row<'_>) -> rusqlite::Result<RefundRecord> {
    Ok(RefundRecord {
        refund_id: r.get(0)?,
        terminal_id: r.get(1)?,
        line_code: r.get(2)?,
        device_identifier: r.get(3)?,
        amount_minor: r.get(4)?,
        currency: r.get(5)?,
        tender: r.get(6)?,
        reason: r.get(7)?,
        evidence_sha256: r.get(8)?,
        customer_id: r.get(9)?,
        approved_by: r.get(10)?,
        reputation: r.get(11)?,
        status: r.get(12)?,
        refund_to: r.get(13)?,
        created_at: r.get(14)?,
        decided_at: r.get(15)?,
        decided_by: r.get(16)?,
        original_auth_code: r.get(17)?,
    })
}

fn payment_row(r: &Row<'_>) -> rusqlite::Result<PaymentRecord> {
    Ok(PaymentRecord {
        terminal_id: r.get(0)?,
        order_id: r.get(1)?,
        seq: r.get(2)?,
        tender: r.get(3)?,
        amount_minor: r.get(4)?,
        currency: r.get(5)?,
        masked_pan: r.get(6)?,
        auth_code: r.get(7)?,
        payment_id: r.get(8)?,
    })
}

fn entry_row(r: &Row<'_>) -> rusqlite::Result<PointsEntry> {
    Ok(PointsEntry {
        account_id: r.get(0)?,
        counter: r.get(1)?,
        terminal_id: r.get(2)?,
        order_id: r.get(3)?,
        kind: r.get(4)?,
        delta: r.get(5)?,
        balance_after: r.get(6)?,
        at: r.get(7)?,
        refund_id: r.get(8)?,
    })
}

impl SqliteTx<'_> {
    /// A terminal row with its secret opened.
    fn opened_terminal(&self, mut t: TerminalRecord) -> RepoResult<TerminalRecord> {
        t.secret_hex = self.key.open_text(Purpose::TerminalSecret(&t.id), &t.secret_hex)?;
        Ok(t)
    }
}

const LINE_COLUMNS: &str = "line_code, terminal_id, order_id, line_no, sku, name, quantity, unit_price_minor, \
     total_minor, currency, seller, refunded_minor";
const DEVICE_COLUMNS: &str = "identifier, kind, line_code, terminal_id, order_id, store, price_minor, currency, \
     paying_account, software, sold_at, refunded";
const REFUND_COLUMNS: &str = "refund_id, terminal_id, line_code, device_identifier, amount_minor, currency, tender, \
     reason, evidence_sha256, customer_id, approved_by, reputation, status, refund_to, created_at, decided_at, \
     decided_by, original_auth_code";

impl Tx for SqliteTx<'_> {
    fn commit(mut self: Box<Self>) -> RepoResult<()> {
        self.conn.execute_batch("COMMIT")?;
        self.open = false;
        Ok(())
    }

    fn savepoint(&mut self, name: &str) -> RepoResult<()> {
        Ok(self.conn.execute_batch(&format!("SAVEPOINT {}", savepoint_name(name)?))?)
    }

    fn rollback_to(&mut self, name: &str) -> RepoResult<()> {
        Ok(self.conn.execute_batch(&format!("ROLLBACK TO SAVEPOINT {}", savepoint_name(name)?))?)
    }

    fn release(&mut self, name: &str) -> RepoResult<()> {
        Ok(self.conn.execute_batch(&format!("RELEASE SAVEPOINT {}", savepoint_name(name)?))?)
    }

    fn insert_terminal(&mut self, t: &TerminalRecord) -> RepoResult<()> {
        let sealed = self.key.seal(Purpose::TerminalSecret(&t.id), t.secret_hex.as_bytes())?;
        self.conn
            .prepare_cached(
                "INSERT INTO terminals (id, name, secret_sealed, created_at, disabled) VALUES (?1, ?2, ?3, ?4, ?5)",
            )?
            .execute(params![t.id, t.name, sealed, t.created_at, i64::from(t.disabled)])?;
        Ok(())
    }

    fn terminal(&mut self, id: &str) -> RepoResult<Option<TerminalRecord>> {
        let row = self
            .conn
            .prepare_cached("SELECT id, name, secret_sealed, created_at, disabled FROM terminals WHERE id = ?1")?
            .query_row([id], terminal_row)
            .optional()?;
        row.map(|t| self.opened_terminal(t)).transpose()
    }

    fn terminals(&mut self) -> RepoResult<Vec<TerminalRecord>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT id, name, secret_sealed, created_at, disabled FROM terminals ORDER BY created_at, id",
        )?;
        let rows = stmt.query_map([], terminal_row)?.collect::<Result<Vec<_>, _>>()?;
        drop(stmt);
        rows.into_iter().map(|t| self.opened_terminal(t)).collect()
    }

    fn set_terminal_disabled(&mut self, id: &str, disabled: bool) -> RepoResult<bool> {
        let n = self
            .conn
            .prepare_cached("UPDATE terminals SET disabled = ?2 WHERE id = ?1")?
            .execute(params![id, i64::from(disabled)])?;
        Ok(n == 1)
    }

    fn claim_idempotency(
        &mut self,
        terminal: &str,
        key: &str,
        request_hash: &str,
        now: i64,
    ) -> RepoResult<Option<StoredReply>> {
        // Insert first: the primary key decides who owns the key, in SQLite and in PostgreSQL alike
        // (where a concurrent insert of the same key waits for the first transaction to finish).
        let inserted = self
            .conn
            .prepare_cached(
                "INSERT INTO idempotency (terminal_id, idem_key, request_hash, status, response_sealed, created_at) \
                 VALUES (?1, ?2, ?3, NULL, NULL, ?4) ON CONFLICT (terminal_id, idem_key) DO NOTHING",
            )?
            .execute(params![terminal, key, request_hash, now])?;
        if inserted == 1 {
            return Ok(None);
        }
        let mut stored = self
            .conn
            .prepare_cached(
                "SELECT request_hash, status, response_sealed FROM idempotency \
                 WHERE terminal_id = ?1 AND idem_key = ?2",
            )?
            .query_row(params![terminal, key], |r| {
                Ok(StoredReply {
                    request_hash: r.get(0)?,
                    status: r.get::<_, Option<i64>>(1)?.and_then(|s| u16::try_from(s).ok()),
                    body: r.get(2)?,
                })
            })?;
        // An answer may hold a customer's points key (enrolment): it is stored sealed.
        stored.body = match stored.body {
            Some(sealed) => Some(self.key.open_text(Purpose::IdempotentAnswer(terminal, key), &sealed)?),
            None => None,
        };
        Ok(Some(stored))
    }

    fn complete_idempotency(&mut self, terminal: &str, key: &str, status: u16, body: &str) -> RepoResult<()> {
        let sealed = self.key.seal(Purpose::IdempotentAnswer(terminal, key), body.as_bytes())?;
        self.conn
            .prepare_cached(
                "UPDATE idempotency SET status = ?3, response_sealed = ?4 WHERE terminal_id = ?1 AND idem_key = ?2",
            )?
            .execute(params![terminal, key, i64::from(status), sealed])?;
        Ok(())
    }

    fn purge_idempotency(&mut self, before: i64) -> RepoResult<usize> {
        Ok(self.conn.prepare_cached("DELETE FROM idempotency WHERE created_at < ?1")?.execute([before])?)
    }

    fn order_exists(&mut self, terminal: &str, order_id: &str) -> RepoResult<bool> {
        Ok(self
            .conn
            .prepare_cached("SELECT 1 FROM orders WHERE terminal_id = ?1 AND order_id = ?2")?
            .query_row(params![terminal, order_id], |_| Ok(()))
            .optional()?
            .is_some())
    }

    fn insert_order(&mut self, o: &OrderRecord) -> RepoResult<()> {
        self.conn
            .prepare_cached(
                "INSERT INTO orders (terminal_id, order_id, store, currency, total_minor, customer_id, created_at, \
                 recorded_at, checkout_key) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
            )?
            .execute(params![
                o.terminal_id,
                o.order_id,
                o.store,
                o.currency,
                o.total_minor,
                o.customer_id,
                o.created_at,
                o.recorded_at,
                o.checkout_key
            ])?;
        Ok(())
    }

    fn insert_line(&mut self, l: &LineRecord) -> RepoResult<()> {
        self.conn
            .prepare_cached(&format!(
                "INSERT INTO order_lines ({LINE_COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)"
            ))?
            .execute(params![
                l.line_code,
                l.terminal_id,
                l.order_id,
                l.line_no,
                l.sku,
                l.name,
                l.quantity,
                l.unit_price_minor,
                l.total_minor,
                l.currency,
                l.seller,
                l.refunded_minor
            ])?;
        Ok(())
    }

    fn insert_payment(&mut self, p: &PaymentRecord) -> RepoResult<()> {
        self.conn
            .prepare_cached(
                "INSERT INTO payments (terminal_id, order_id, seq, tender, amount_minor, currency, masked_pan, \
                 auth_code, payment_id) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
            )?
            .execute(params![
                p.terminal_id,
                p.order_id,
                p.seq,
                p.tender,
                p.amount_minor,
                p.currency,
                p.masked_pan,
                p.auth_code,
                p.payment_id
            ])?;
        Ok(())
    }

    fn order_payments(&mut self, terminal: &str, order_id: &str) -> RepoResult<Vec<PaymentRecord>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT terminal_id, order_id, seq, tender, amount_minor, currency, masked_pan, auth_code, payment_id \
             FROM payments WHERE terminal_id = ?1 AND order_id = ?2 ORDER BY seq",
        )?;
        let rows = stmt.query_map(params![terminal, order_id], payment_row)?.collect::<Result<Vec<_>, _>>()?;
        Ok(rows)
    }

    fn line(&mut self, line_code: &str) -> RepoResult<Option<LineRecord>> {
        Ok(self
            .conn
            .prepare_cached(&format!("SELECT {LINE_COLUMNS} FROM order_lines WHERE line_code = ?1"))?
            .query_row([line_code], line_row)
            .optional()?)
    }

    fn order(&mut self, terminal: &str, order_id: &str) -> RepoResult<Option<OrderRecord>> {
        Ok(self
            .conn
            .prepare_cached(
                "SELECT terminal_id, order_id, store, currency, total_minor, customer_id, created_at, recorded_at, \
                 checkout_key FROM orders WHERE terminal_id = ?1 AND order_id = ?2",
            )?
            .query_row(params![terminal, order_id], |r| {
                Ok(OrderRecord {
                    terminal_id: r.get(0)?,
                    order_id: r.get(1)?,
                    store: r.get(2)?,
                    currency: r.get(3)?,
                    total_minor: r.get(4)?,
                    customer_id: r.get(5)?,
                    created_at: r.get(6)?,
                    recorded_at: r.get(7)?,
                    checkout_key: r.get(8)?,
                })
            })
            .optional()?)
    }

    fn add_line_refunded(&mut self, line_code: &str, delta: i64) -> RepoResult<()> {
        self.conn
            .prepare_cached("UPDATE order_lines SET refunded_minor = refunded_minor + ?2 WHERE line_code = ?1")?
            .execute(params![line_code, delta])?;
        Ok(())
    }

    fn insert_sold_device(&mut self, d: &SoldDeviceRecord) -> RepoResult<()> {
        self.conn
            .prepare_cached("DELETE FROM sold_devices WHERE identifier = ?1 AND refunded = 1")?
            .execute([&d.identifier])?;
        self.conn
            .prepare_cached(&format!(
                "INSERT INTO sold_devices ({DEVICE_COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)"
            ))?
            .execute(params![
                d.identifier,
                d.kind,
                d.line_code,
                d.terminal_id,
                d.order_id,
                d.store,
                d.price_minor,
                d.currency,
                d.paying_account,
                d.software,
                d.sold_at,
                i64::from(d.refunded)
            ])?;
        Ok(())
    }

    fn sold_device(&mut self, identifier: &str) -> RepoResult<Option<SoldDeviceRecord>> {
        Ok(self
            .conn
            .prepare_cached(&format!("SELECT {DEVICE_COLUMNS} FROM sold_devices WHERE identifier = ?1"))?
            .query_row([identifier], device_row)
            .optional()?)
    }

    fn set_device_refunded(&mut self, identifier: &str, refunded: bool) -> RepoResult<()> {
        self.conn
            .prepare_cached("UPDATE sold_devices SET refunded = ?2 WHERE identifier = ?1")?
            .execute(params![identifier, i64::from(refunded)])?;
        Ok(())
    }

    fn customer_reputation(&mut self, customer_id: &str) -> RepoResult<Option<i64>> {
        Ok(self
            .conn
            .prepare_cached("SELECT reputation FROM customers WHERE customer_id = ?1")?
            .query_row([customer_id], |r| r.get(0))
            .optional()?)
    }

    fn set_customer_reputation(&mut self, customer_id: &str, reputation: i64) -> RepoResult<()> {
        self.conn
            .prepare_cached(
                "INSERT INTO customers (customer_id, reputation) VALUES (?1, ?2) \
                 ON CONFLICT (customer_id) DO UPDATE SET reputation = excluded.reputation",
            )?
            .execute(params![customer_id, reputation])?;
        Ok(())
    }

    fn insert_refund(&mut self, r: &RefundRecord) -> RepoResult<()> {
        self.conn
            .prepare_cached(&format!(
                "INSERT INTO refunds ({REFUND_COLUMNS}) VALUES \
                 (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18)"
            ))?
            .execute(params![
                r.refund_id,
                r.terminal_id,
                r.line_code,
                r.device_identifier,
                r.amount_minor,
                r.currency,
                r.tender,
                r.reason,
                r.evidence_sha256,
                r.customer_id,
                r.approved_by,
                r.reputation,
                r.status,
                r.refund_to,
                r.created_at,
                r.decided_at,
                r.decided_by,
                r.original_auth_code
            ])?;
        Ok(())
    }

    fn refund(&mut self, refund_id: &str) -> RepoResult<Option<RefundRecord>> {
        Ok(self
            .conn
            .prepare_cached(&format!("SELECT {REFUND_COLUMNS} FROM refunds WHERE refund_id = ?1"))?
            .query_row([refund_id], refund_row)
            .optional()?)
    }

    fn set_refund_status(&mut self, refund_id: &str, status: &str, at: i64, by: &str) -> RepoResult<()> {
        self.conn
            .prepare_cached("UPDATE refunds SET status = ?2, decided_at = ?3, decided_by = ?4 WHERE refund_id = ?1")?
            .execute(params![refund_id, status, at, by])?;
        Ok(())
    }

    fn refunds(&mut self, status: Option<&str>) -> RepoResult<Vec<RefundRecord>> {
        let mut stmt = self.conn.prepare_cached(&format!(
            "SELECT {REFUND_COLUMNS} FROM refunds WHERE (?1 IS NULL OR status = ?1) ORDER BY created_at, refund_id"
        ))?;
        let rows = stmt.query_map([status], refund_row)?.collect::<Result<Vec<_>, _>>()?;
        Ok(rows)
    }

    fn insert_points_account(&mut self, a: &PointsAccount) -> RepoResult<()> {
        let sealed = self.key.seal(Purpose::PointsKey(&a.account_id), a.key_hex.as_bytes())?;
        self.conn
            .prepare_cached(
                "INSERT INTO points_accounts (account_id, key_sealed, last_counter, balance, customer_ref, \
                 created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            )?
            .execute(params![a.account_id, sealed, a.last_counter, a.balance, a.customer_ref, a.created_at])?;
        Ok(())
    }

    fn points_account(&mut self, account_id: &str) -> RepoResult<Option<PointsAccount>> {
        let row = self
            .conn
            .prepare_cached(
                "SELECT account_id, key_sealed, last_counter, balance, customer_ref, created_at FROM points_accounts \
                 WHERE account_id = ?1",
            )?
            .query_row([account_id], |r| {
                Ok(PointsAccount {
                    account_id: r.get(0)?,
                    key_hex: r.get(1)?,
                    last_counter: r.get(2)?,
                    balance: r.get(3)?,
                    customer_ref: r.get(4)?,
                    created_at: r.get(5)?,
                })
            })
            .optional()?;
        row.map(|mut a| {
            a.key_hex = self.key.open_text(Purpose::PointsKey(&a.account_id), &a.key_hex)?;
            Ok(a)
        })
        .transpose()
    }

    fn update_points_account(&mut self, account_id: &str, last_counter: i64, balance: i64) -> RepoResult<()> {
        self.conn
            .prepare_cached("UPDATE points_accounts SET last_counter = ?2, balance = ?3 WHERE account_id = ?1")?
            .execute(params![account_id, last_counter, balance])?;
        Ok(())
    }

    fn insert_points_entry(&mut self, e: &PointsEntry) -> RepoResult<()> {
        // The next position in the account's history; the write lock of the transaction (and the
        // primary key, on a database without one) keeps two appends from taking the same one.
        self.conn
            .prepare_cached(
                "INSERT INTO points_entries (account_id, seq, counter, terminal_id, order_id, kind, delta, \
                 balance_after, at, refund_id) SELECT ?1, COALESCE(MAX(seq), 0) + 1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9 \
                 FROM points_entries WHERE account_id = ?1",
            )?
            .execute(params![
                e.account_id,
                e.counter,
                e.terminal_id,
                e.order_id,
                e.kind,
                e.delta,
                e.balance_after,
                e.at,
                e.refund_id
            ])?;
        Ok(())
    }

    fn points_history(&mut self, account_id: &str, limit: i64) -> RepoResult<Vec<PointsEntry>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT account_id, counter, terminal_id, order_id, kind, delta, balance_after, at, refund_id \
             FROM points_entries WHERE account_id = ?1 ORDER BY seq DESC LIMIT ?2",
        )?;
        let rows = stmt.query_map(params![account_id, limit], entry_row)?.collect::<Result<Vec<_>, _>>()?;
        Ok(rows)
    }

    fn points_order_sum(&mut self, account_id: &str, terminal: &str, order_id: &str, kind: &str) -> RepoResult<i64> {
        Ok(self
            .conn
            .prepare_cached(
                "SELECT COALESCE(SUM(delta), 0) FROM points_entries \
                 WHERE account_id = ?1 AND terminal_id = ?2 AND order_id = ?3 AND kind = ?4",
            )?
            .query_row(params![account_id, terminal, order_id, kind], |r| r.get(0))?)
    }

    fn points_reversal_exists(&mut self, account_id: &str, refund_id: &str, kind: &str) -> RepoResult<bool> {
        Ok(self
            .conn
            .prepare_cached("SELECT 1 FROM points_entries WHERE account_id = ?1 AND refund_id = ?2 AND kind = ?3")?
            .query_row(params![account_id, refund_id, kind], |_| Ok(()))
            .optional()?
            .is_some())
    }

    fn insert_authorization(&mut self, a: &AuthorizationRecord) -> RepoResult<()> {
        self.conn
            .prepare_cached(
                "INSERT INTO authorizations (terminal_id, payment_id, order_id, amount_minor, currency, masked_pan, \
                 approved, auth_code, reason_code, created_at, status) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
            )?
            .execute(params![
                a.terminal_id,
                a.payment_id,
                a.order_id,
                a.amount_minor,
                a.currency,
                a.masked_pan,
                i64::from(a.approved),
                a.auth_code,
                a.reason_code,
                a.created_at,
                a.status
            ])?;
        Ok(())
    }

    fn authorization_exists(&mut self, terminal: &str, payment_id: &str) -> RepoResult<bool> {
        Ok(self
            .conn
            .prepare_cached("SELECT 1 FROM authorizations WHERE terminal_id = ?1 AND payment_id = ?2")?
            .query_row(params![terminal, payment_id], |_| Ok(()))
            .optional()?
            .is_some())
    }

    fn authorization(&mut self, terminal: &str, payment_id: &str) -> RepoResult<Option<AuthorizationRecord>> {
        cards::authorization(&self.conn, terminal, payment_id)
    }

    fn payment_id_recorded(&mut self, terminal: &str, payment_id: &str) -> RepoResult<bool> {
        cards::payment_id_recorded(&self.conn, terminal, payment_id)
    }

    fn advance_reader_counter(&mut self, c: &ReaderCounter) -> RepoResult<Option<i64>> {
        cards::advance_reader_counter(&self.conn, c)
    }

    fn set_authorization_status(&mut self, terminal: &str, payment_id: &str, status: &str) -> RepoResult<()> {
        cards::set_authorization_status(&self.conn, terminal, payment_id, status)
    }

    fn insert_payment_reversal(&mut self, r: &PaymentReversalRecord) -> RepoResult<()> {
        cards::insert_payment_reversal(&self.conn, r)
    }

    fn payment_reversal(&mut self, terminal: &str, payment_id: &str) -> RepoResult<Option<PaymentReversalRecord>> {
        cards::payment_reversal(&self.conn, terminal, payment_id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn repo() -> (tempfile::TempDir, SqliteRepository) {
        let dir = tempfile::tempdir().unwrap();
        let repo = SqliteRepository::open(&dir.path().join("s.db")).unwrap();
        (dir, repo)
    }

    #[test]
    fn durability_pragmas_and_reopen() {
        let (dir, repo) = repo();
        {
            let c = repo.lock();
            let mode: String = c.query_row("PRAGMA journal_mode", [], |r| r.get(0)).unwrap();
            let sync: i64 = c.query_row("PRAGMA synchronous", [], |r| r.get(0)).unwrap();
            assert_eq!((mode.as_str(), sync), ("wal", 2));
        }
        drop(repo);
        SqliteRepository::open(&dir.path().join("s.db")).unwrap();
    }

    #[test]
    fn claim_is_first_come_and_rollback_releases_it() {
        let (_dir, repo) = repo();
        let mut tx = repo.begin().unwrap();
        assert_eq!(tx.claim_idempotency("t", "k", "h1", 1).unwrap(), None);
        drop(tx); // rolled back
        let mut tx = repo.begin().unwrap();
        assert_eq!(tx.claim_idempotency("t", "k", "h1", 1).unwrap(), None);
        tx.complete_idempotency("t", "k", 201, "{}").unwrap();
        tx.commit().unwrap();
        let mut tx = repo.begin().unwrap();
        let stored = tx.claim_idempotency("t", "k", "h2", 2).unwrap().unwrap();
        assert_eq!(
            (stored.request_hash.as_str(), stored.status, stored.body.as_deref()),
            ("h1", Some(201), Some("{}"))
        );
        assert_eq!(tx.claim_idempotency("t2", "k", "h2", 2).unwrap(), None);
    }

    #[test]
    fn old_idempotency_keys_are_purged() {
        let (_dir, repo) = repo();
        let mut tx = repo.begin().unwrap();
        tx.claim_idempotency("t", "old", "h", 100).unwrap();
        tx.complete_idempotency("t", "old", 200, "{}").unwrap();
        tx.claim_idempotency("t", "new", "h", 200).unwrap();
        tx.complete_idempotency("t", "new", 200, "{}").unwrap();
        assert_eq!(tx.purge_idempotency(150).unwrap(), 1);
        assert_eq!(tx.claim_idempotency("t", "old", "h2", 300).unwrap(), None);
        assert!(tx.claim_idempotency("t", "new", "h2", 300).unwrap().is_some());
    }

    fn entry(account: &str, counter: i64, kind: &str, delta: i64, refund: Option<&str>) -> PointsEntry {
        PointsEntry {
            account_id: account.into(),
            counter,
            terminal_id: "t".into(),
            order_id: "o".into(),
            kind: kind.into(),
            delta,
            balance_after: 0,
            at: 0,
            refund_id: refund.map(str::to_string),
        }
    }

    #[test]
    fn a_version_1_database_is_migrated_with_its_history_in_order() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("v1.db");
        {
            let c = Connection::open(&path).unwrap();
            // Fixture rows only: the refund's line does not exist.
            c.pragma_update(None, "foreign_keys", "OFF").unwrap();
            c.execute_batch(SCHEMA).unwrap();
            c.execute_batch(
                "INSERT INTO schema_version (version) VALUES (1);
                 INSERT INTO points_accounts VALUES ('a', 'k', 9, 30, NULL, 0);
                 INSERT INTO points_entries VALUES ('a', 9, 't', 'o', 'redeem', -10, 30, 2);
                 INSERT INTO points_entries VALUES ('a', 2, 't', 'o', 'earn', 40, 40, 1);
                 INSERT INTO refunds (refund_id, terminal_id, line_code, amount_minor, currency, tender, reason,
                     status, refund_to, created_at) VALUES ('r', 't', 'L', 1, 'CNY', 'cash', 'x', 'refunded', 'cash', 0);
                 INSERT INTO authorizations VALUES ('t', 'p1', 'o', 5, 'CNY', '411111******1111', 1, '123456', NULL, 0);
                 INSERT INTO authorizations VALUES ('t', 'p2', 'o', 5, 'CNY', '411111******1111', 0, NULL, 'do_not_honour', 0);",
            )
            .unwrap();
        }
        let repo = SqliteRepository::open(&path).unwrap();
        let mut tx = repo.begin().unwrap();
        let kinds = |tx: &mut Box<dyn Tx + '_>| -> Vec<String> {
            tx.points_history("a", 10).unwrap().into_iter().map(|e| e.kind).collect()
        };
        assert_eq!(kinds(&mut tx), ["redeem", "earn"]);
        assert_eq!(tx.refund("r").unwrap().unwrap().original_auth_code, None);
        // Version 4: an authorisation's status follows the platform's decision.
        assert_eq!(tx.authorization("t", "p1").unwrap().unwrap().status, AUTH_APPROVED);
        assert_eq!(tx.authorization("t", "p2").unwrap().unwrap().status, AUTH_DECLINED);
        // A reversal shares the account's last counter and still lands after it in the history.
        tx.insert_points_entry(&entry("a", 9, "reverse_earn", -5, Some("r"))).unwrap();
        assert_eq!(kinds(&mut tx), ["reverse_earn", "redeem", "earn"]);
        assert_eq!(tx.points_order_sum("a", "t", "o", "earn").unwrap(), 40);
        assert_eq!(tx.points_order_sum("a", "t", "o", "return_redeem").unwrap(), 0);
        assert!(tx.points_reversal_exists("a", "r", "reverse_earn").unwrap());
        assert!(!tx.points_reversal_exists("a", "r", "return_redeem").unwrap());
        // One reversal per refund and kind; one entry per token counter.
        assert!(tx.insert_points_entry(&entry("a", 9, "reverse_earn", -1, Some("r"))).is_err());
        assert!(tx.insert_points_entry(&entry("a", 2, "earn", 1, None)).is_err());
        tx.commit().unwrap();
        drop(repo);
        let repo = SqliteRepository::open(&path).unwrap();
        let version: i64 = repo.lock().query_row("SELECT MAX(version) FROM schema_version", [], |r| r.get(0)).unwrap();
        assert_eq!(version, SCHEMA_VERSION);
    }

    #[test]
    fn a_version_2_database_gets_authorisation_statuses_and_reversals() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("v2.db");
        {
            let c = Connection::open(&path).unwrap();
            c.execute_batch(SCHEMA).unwrap();
            c.execute_batch(MIGRATION_2).unwrap();
            c.execute_batch(
                "INSERT INTO schema_version (version) VALUES (1), (2);
                 INSERT INTO authorizations VALUES ('t', 'p1', 'o', 100, 'CNY', '411111******1111', 1, '123456', NULL, 0);
                 INSERT INTO authorizations VALUES ('t', 'p2', 'o', 100, 'CNY', '400000******0002', 0, NULL, 'do_not_honour', 0);",
            )
            .unwrap();
        }
        let repo = SqliteRepository::open(&path).unwrap();
        let mut tx = repo.begin().unwrap();
        let status = |tx: &mut Box<dyn Tx + '_>, id: &str| tx.authorization("t", id).unwrap().unwrap().status;
        assert_eq!((status(&mut tx, "p1"), status(&mut tx, "p2")), ("approved".into(), "declined".into()));
        tx.set_authorization_status("t", "p1", "reversed").unwrap();
        assert_eq!(status(&mut tx, "p1"), "reversed");
        let r = PaymentReversalRecord {
            terminal_id: "t".into(),
            payment_id: "p9".into(),
            amount_minor: 5,
            currency: "CNY".into(),
            reason: "no_answer".into(),
            authorised: false,
            created_at: 3,
        };
        tx.insert_payment_reversal(&r).unwrap();
        assert_eq!(tx.payment_reversal("t", "p9").unwrap(), Some(r.clone()));
        assert_eq!(tx.payment_reversal("t2", "p9").unwrap(), None);
        assert!(tx.insert_payment_reversal(&r).is_err(), "one reversal per payment id");
    }

    #[test]
    fn savepoints_undo_part_of_a_transaction() {
        let (_dir, repo) = repo();
        let mut tx = repo.begin().unwrap();
        tx.set_customer_reputation("a", 1).unwrap();
        tx.savepoint("ev_1").unwrap();
        tx.set_customer_reputation("b", 2).unwrap();
        tx.rollback_to("ev_1").unwrap();
        tx.release("ev_1").unwrap();
        tx.commit().unwrap();
        let mut tx = repo.begin().unwrap();
        assert_eq!(tx.customer_reputation("a").unwrap(), Some(1));
        assert_eq!(tx.customer_reputation("b").unwrap(), None);
        assert!(tx.savepoint("bad name; DROP").is_err());
    }
}
