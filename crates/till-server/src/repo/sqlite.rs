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
use rusqlite::{params, Connection, OptionalExtension};
use std::ops::{Deref, DerefMut};
use std::path::Path;
use std::sync::{Mutex, MutexGuard};

pub use super::opening::StorageOptions;

mod cards;
mod conn;
mod console;
mod console_views;
mod device_services;
mod enrolment;
mod line_origins;
mod merchant_orders;
mod photos;
mod points;
mod rows;
mod schema;
mod scope;
mod services;
#[cfg(test)]
mod tests;

use rows::*;
use schema::migrate;
#[cfg(test)]
pub(in crate::repo) use schema::{MIGRATION_2, SCHEMA, SCHEMA_VERSION};

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

impl DerefMut for Held<'_> {
    fn deref_mut(&mut self) -> &mut Connection {
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

impl SqliteTx<'_> {
    /// The transaction's connection, for the statements written once ([`super::sql`]).
    fn sql(&mut self) -> &mut dyn super::sql::SqlConn {
        &mut *self.conn
    }

    /// A terminal row with its secret opened.
    fn opened_terminal(&self, mut t: TerminalRecord) -> RepoResult<TerminalRecord> {
        t.secret_hex = self.key.open_text(Purpose::TerminalSecret(&t.id), &t.secret_hex)?;
        Ok(t)
    }
}

const LINE_COLUMNS: &str = "line_code, terminal_id, order_id, line_no, sku, name, quantity, unit_price_minor, \
     total_minor, currency, seller, refunded_minor";
const REFUND_COLUMNS: &str = "refund_id, terminal_id, line_code, device_blind, amount_minor, currency, tender, \
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

    fn set_line_origin(&mut self, line_code: &str, kind: &str, reference: &str) -> RepoResult<()> {
        line_origins::set(&self.conn, line_code, kind, reference)
    }

    fn lines_with_origin(&mut self, kind: &str, reference: &str) -> RepoResult<Vec<LineRecord>> {
        line_origins::lines(&self.conn, kind, reference)
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
                r.device_blind,
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
        points::insert_points_account(&self.conn, self.key, a)
    }

    fn points_account(&mut self, account_id: &str) -> RepoResult<Option<PointsAccount>> {
        points::points_account(&self.conn, self.key, account_id)
    }

    fn update_points_account(&mut self, account_id: &str, last_counter: i64, balance: i64) -> RepoResult<()> {
        points::update_points_account(&self.conn, account_id, last_counter, balance)
    }

    fn insert_points_entry(&mut self, e: &PointsEntry) -> RepoResult<()> {
        points::insert_points_entry(&self.conn, e)
    }

    fn points_history(&mut self, account_id: &str, limit: i64) -> RepoResult<Vec<PointsEntry>> {
        points::points_history(&self.conn, account_id, limit)
    }

    fn points_order_sum(&mut self, account_id: &str, terminal: &str, order_id: &str, kind: &str) -> RepoResult<i64> {
        points::points_order_sum(&self.conn, account_id, terminal, order_id, kind)
    }

    fn points_reversal_exists(&mut self, account_id: &str, refund_id: &str, kind: &str) -> RepoResult<bool> {
        points::points_reversal_exists(&self.conn, account_id, refund_id, kind)
    }

    fn points_token_used(&mut self, account_id: &str, counter: i64) -> RepoResult<bool> {
        points::points_token_used(&self.conn, account_id, counter)
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

    fn insert_enrolment_code(&mut self, c: &EnrolmentCodeRecord) -> RepoResult<()> {
        enrolment::insert(self.sql(), c)
    }

    fn enrolment_code(&mut self, code_sha256: &str) -> RepoResult<Option<EnrolmentCodeRecord>> {
        enrolment::by_hash(self.sql(), code_sha256)
    }

    fn use_enrolment_code(&mut self, code_sha256: &str, at: i64) -> RepoResult<bool> {
        enrolment::mark_used(self.sql(), code_sha256, at)
    }
}
