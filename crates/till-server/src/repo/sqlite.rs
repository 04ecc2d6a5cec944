//! The SQLite backend: one file, zero set-up, for a single shop.
//!
//! One writer connection behind a mutex: SQLite has one writer at a time anyway, and taking the
//! lock in the process instead of in the file avoids busy-waiting. Beside it a small pool of
//! read-only connections ([`pool::ReadPool`]) serves [`Repository::read`]: in WAL mode a reader
//! sees the last commit and never waits for the writer, so lookups and the signing check keep
//! answering while a write transaction is open. Connections are opened like the till's own
//! database (WAL, `synchronous=FULL`, foreign keys), so a response is sent only after its effect
//! is on disk.
//!
//! The statements are the repository's, written once ([`super::statements`], run by
//! [`SqlTx`]); this module only opens the file, begins transactions and runs SQL on rusqlite
//! ([`conn`]). Secrets are sealed under the server key by the statements; the database and its
//! WAL are 0600 ([`crate::private_files`]).

use super::sql::{Dialect, Row, SqlConn, Value};
use super::sql_tx::SqlTx;
use super::*;
use crate::private_files;
use crate::sealing::{self, ServerKey};
use rusqlite::Connection;
use std::path::Path;
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

pub use super::opening::StorageOptions;

mod conn;
pub mod pool;
#[cfg(test)]
mod tests;

use pool::{Pooled, ReadPool};

/// The transaction type the statement files of each area implement their supertrait of
/// [`Tx`] on: the one implementation over either database (kept under this name for the areas
/// written against the SQLite backend before PostgreSQL came).
pub type SqliteTx<'a> = SqlTx<'a>;

/// A [`Repository`] on one SQLite file (and a second one for nonces, see [`guards_path`]).
#[derive(Debug)]
pub struct SqliteRepository {
    writer: Mutex<Connection>,
    readers: ReadPool,
    guards: Mutex<Connection>,
    key: ServerKey,
}

/// Where the nonces of signed requests are kept: a second file beside the database
/// (`<db>-nonces`), with a writer of its own. SQLite has one writer per file, so a nonce
/// written to the database itself would make every signed request wait for any write in
/// progress; the nonce's own file keeps the signing check from queueing behind a sale.
/// ([`Repository::begin_unordered`] runs on it; the statements are the same.)
pub fn guards_path(db: &Path) -> std::path::PathBuf {
    let mut name = db.file_name().map(|n| n.to_os_string()).unwrap_or_else(|| "till-server.db".into());
    name.push("-nonces");
    db.with_file_name(name)
}

/// The nonces table, as in schema version 11 of the database.
const GUARDS_SCHEMA: &str = "CREATE TABLE IF NOT EXISTS request_nonces (
    terminal_id TEXT NOT NULL, nonce TEXT NOT NULL, expires_at BIGINT NOT NULL,
    PRIMARY KEY (terminal_id, nonce));
CREATE INDEX IF NOT EXISTS request_nonces_expiry ON request_nonces (expires_at);";

/// Opens one connection with the durability settings every connection of the server uses.
fn connect(path: &Path) -> RepoResult<Connection> {
    let conn = Connection::open(path)?;
    conn.busy_timeout(Duration::from_secs(5))?;
    conn.pragma_update(None, "journal_mode", "WAL")?;
    conn.pragma_update(None, "synchronous", "FULL")?;
    conn.pragma_update(None, "foreign_keys", "ON")?;
    // What is deleted or overwritten (purged answers, rows sealed by the migration) is zeroed,
    // not left readable in free pages.
    conn.pragma_update(None, "secure_delete", "ON")?;
    Ok(conn)
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
        let mut conn = connect(path)?;
        let key_file = options.key_file.clone().unwrap_or_else(|| sealing::default_key_path(path));
        conn.execute_batch("BEGIN IMMEDIATE")?;
        let (key, sealed_rows) = match opening::prepare(&mut conn, &key_file) {
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
        let guards_file = guards_path(path);
        private_files::prepare_database_files(&guards_file)?;
        let guards = connect(&guards_file)?;
        guards.execute_batch(GUARDS_SCHEMA)?;
        Ok(SqliteRepository { writer: Mutex::new(conn), readers, guards: Mutex::new(guards), key })
    }

    fn lock(&self) -> MutexGuard<'_, Connection> {
        // A panic while holding the lock leaves at most an open transaction, which SqlTx's Drop
        // rolled back during unwinding; the connection itself is still sound.
        self.writer.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl Repository for SqliteRepository {
    fn begin(&self) -> RepoResult<Box<dyn Tx + '_>> {
        let conn = self.lock();
        conn.execute_batch("BEGIN IMMEDIATE")?;
        Ok(Box::new(SqlTx::new(Box::new(Held::Writer(conn)), &self.key)))
    }

    fn read(&self) -> RepoResult<Box<dyn Tx + '_>> {
        let conn = self.readers.get();
        // Deferred: the snapshot is taken at the first read and no lock on the writer is asked.
        conn.execute_batch("BEGIN")?;
        Ok(Box::new(SqlTx::new(Box::new(Held::Reader(conn)), &self.key)))
    }

    fn begin_unordered(&self) -> RepoResult<Box<dyn Tx + '_>> {
        // Only the nonces are written this way: they are in their own file (guards_path).
        let conn = self.guards.lock().unwrap_or_else(|e| e.into_inner());
        conn.execute_batch("BEGIN IMMEDIATE")?;
        Ok(Box::new(SqlTx::new(Box::new(Held::Writer(conn)), &self.key)))
    }
}

/// The connection a transaction runs on.
enum Held<'a> {
    /// The one writer, locked for the transaction.
    Writer(MutexGuard<'a, Connection>),
    /// A read-only connection from the pool.
    Reader(Pooled<'a>),
}

impl Held<'_> {
    fn conn(&mut self) -> &mut Connection {
        match self {
            Held::Writer(c) => c,
            Held::Reader(c) => c,
        }
    }
}

impl SqlConn for Held<'_> {
    fn execute(&mut self, sql: &str, args: &[Value]) -> RepoResult<u64> {
        SqlConn::execute(self.conn(), sql, args)
    }

    fn query(&mut self, sql: &str, args: &[Value]) -> RepoResult<Vec<Row>> {
        SqlConn::query(self.conn(), sql, args)
    }

    fn batch(&mut self, sql: &str) -> RepoResult<()> {
        SqlConn::batch(self.conn(), sql)
    }

    fn dialect(&self) -> Dialect {
        Dialect::Sqlite
    }
}
