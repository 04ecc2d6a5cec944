//! The PostgreSQL backend: one database shared by every till-server process of a chain
//! (docs/postgres.md).
//!
//! The repository is synchronous and runs on `tokio::task::spawn_blocking` threads
//! ([`crate::state::blocking`]), so it uses the `postgres` crate: tokio-postgres driven by a
//! small runtime of each connection's own, which blocks the calling thread, never an async
//! worker. Connections come from an r2d2 pool ([`r2d2`], with [`Manager`]); each keeps its
//! prepared statements ([`conn::PgConn`]).
//!
//! Transactions keep the SQLite semantics the routes rely on:
//! - a write transaction ([`Repository::begin`]) is `BEGIN` (READ COMMITTED) and then
//!   `pg_advisory_xact_lock(`[`WRITE_LOCK`]`)`: one lock for the whole database, held until
//!   commit or rollback, so the write transactions of every server process run one at a time,
//!   like SQLite's one writer, and the routes' read-check-write sequences cannot interleave.
//!   READ COMMITTED (each statement sees every commit before it) rather than REPEATABLE READ:
//!   the latter would take its snapshot at the lock statement, before the wait, and miss the
//!   writes of the transaction it waited for;
//! - a read ([`Repository::read`]) is `BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY`: one
//!   snapshot, no lock, writing through it fails;
//! - [`Repository::begin_unordered`] is a plain READ COMMITTED transaction without the lock,
//!   for the single conditional writes whose unique key settles races (nonces).

use super::sql::{Dialect, Row, SqlConn, Value};
use super::sql_tx::SqlTx;
use super::*;
use crate::sealing::ServerKey;
use conn::PgConn;
use std::time::Duration;

pub(in crate::repo) mod conn;
pub mod scratch;

/// The key of the advisory lock every write transaction takes. One database serves one Till
/// chain; another application using advisory locks in the same database must not use this key
/// (`0x74696c6c`, "till").
pub const WRITE_LOCK: i64 = 0x7469_6c6c;

const BEGIN_WRITE: &str = "BEGIN ISOLATION LEVEL READ COMMITTED; SELECT pg_advisory_xact_lock(1953066092)";
const BEGIN_READ: &str = "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY";
const BEGIN_UNORDERED: &str = "BEGIN ISOLATION LEVEL READ COMMITTED";

/// How long a write waits for the lock, a connection waits to be made or taken from the pool.
const LOCK_TIMEOUT: &str = "10s";
/// A session that sits in an open transaction this long (a hung process holding the write
/// lock) is ended by PostgreSQL, which releases the lock.
const IDLE_IN_TRANSACTION_TIMEOUT: &str = "60s";
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// A [`Repository`] on a PostgreSQL database.
pub struct PostgresRepository {
    // An Option only so that Drop can hand the pool to a plain thread (see Drop).
    pool: Option<r2d2::Pool<Manager>>,
    key: ServerKey,
    describe: String,
}

impl std::fmt::Debug for PostgresRepository {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never the password.
        f.debug_struct("PostgresRepository").field("database", &self.describe).finish_non_exhaustive()
    }
}

/// `user@host:port/dbname` of a configuration, for messages: never the password.
fn describe(config: &::postgres::Config) -> String {
    let hosts: Vec<String> = config
        .get_hosts()
        .iter()
        .map(|h| match h {
            ::postgres::config::Host::Tcp(name) => name.clone(),
            ::postgres::config::Host::Unix(path) => path.display().to_string(),
        })
        .collect();
    let port = config.get_ports().first().copied().unwrap_or(5432);
    format!(
        "{}@{}:{port}/{}",
        config.get_user().unwrap_or("?"),
        hosts.join(","),
        config.get_dbname().unwrap_or(config.get_user().unwrap_or("?"))
    )
}

/// Makes the pool's connections.
#[derive(Debug)]
pub struct Manager {
    config: ::postgres::Config,
}

impl Manager {
    fn connect_now(&self) -> Result<PgConn, ::postgres::Error> {
        Ok(PgConn::new(self.config.connect(::postgres::NoTls)?))
    }
}

impl r2d2::ManageConnection for Manager {
    type Connection = PgConn;
    type Error = RepoError;

    fn connect(&self) -> Result<PgConn, RepoError> {
        Ok(self.connect_now()?)
    }

    fn is_valid(&self, conn: &mut PgConn) -> Result<(), RepoError> {
        conn.ping()
    }

    fn has_broken(&self, conn: &mut PgConn) -> bool {
        conn.is_closed()
    }
}

/// The pool's complaints (a connection that could not be made) go to the log.
#[derive(Debug)]
struct LogErrors;

impl r2d2::HandleError<RepoError> for LogErrors {
    fn handle_error(&self, error: RepoError) {
        tracing::warn!(error = %error, "postgresql connection");
    }
}

impl PostgresRepository {
    /// Connects to the database at `url` (`postgres://user:password@host:port/dbname`), loads
    /// (or at the first start makes) the server key from `options.key_file` (required: there
    /// is no file beside a PostgreSQL database to put it by) and brings the schema up to date
    /// under the write lock, so servers starting together migrate one at a time.
    pub fn open(url: &str, options: &StorageOptions) -> RepoResult<Self> {
        let key_file = options.key_file.clone().ok_or_else(|| {
            RepoError::Key(
                "a PostgreSQL database needs the server key file named: --key-file FILE or TILL_SERVER_KEY_FILE \
                 (every server sharing the database uses the same key)"
                    .into(),
            )
        })?;
        let mut config: ::postgres::Config = url.parse().map_err(|e| {
            RepoError::Connect(format!("the database address is not a postgres:// URL or key=value list: {e}"))
        })?;
        if config.get_connect_timeout().is_none() {
            config.connect_timeout(CONNECT_TIMEOUT);
        }
        if config.get_application_name().is_none() {
            config.application_name("till-server");
        }
        config.options(&format!(
            "-c lock_timeout={LOCK_TIMEOUT} -c idle_in_transaction_session_timeout={IDLE_IN_TRANSACTION_TIMEOUT}"
        ));
        let describe = describe(&config);
        let manager = Manager { config };
        let mut first = manager
            .connect_now()
            .map_err(|e| RepoError::Connect(format!("cannot connect to PostgreSQL at {describe}: {e}")))?;
        first.batch(BEGIN_WRITE)?;
        let key = match opening::prepare(&mut first, &key_file) {
            Ok((key, _sealed_rows)) => {
                first.commit()?;
                key
            }
            Err(e) => {
                let _ = first.batch("ROLLBACK");
                return Err(e);
            }
        };
        drop(first);
        let pool = r2d2::Pool::builder()
            .max_size(u32::try_from(options.database_connections.max(1)).unwrap_or(u32::MAX))
            .min_idle(Some(1))
            .connection_timeout(CONNECT_TIMEOUT)
            .error_handler(Box::new(LogErrors))
            .build_unchecked(manager);
        Ok(PostgresRepository { pool: Some(pool), key, describe })
    }

    /// `user@host:port/dbname` (no password): which database this is, for messages.
    pub fn describe(&self) -> &str {
        &self.describe
    }

    fn start(&self, begin: &str) -> RepoResult<Box<dyn Tx + '_>> {
        let pool = self.pool.as_ref().ok_or_else(|| RepoError::Connect("the pool is closed".into()))?;
        let conn = pool.get().map_err(|e| {
            RepoError::Connect(format!("no connection to PostgreSQL at {} within 10 s: {e}", self.describe))
        })?;
        let mut conn = Pooled(conn);
        if let Err(e) = conn.batch(begin) {
            // Back to the pool outside any transaction.
            let _ = conn.batch("ROLLBACK");
            return Err(e);
        }
        Ok(Box::new(SqlTx::new(Box::new(conn), &self.key)))
    }
}

impl Repository for PostgresRepository {
    fn begin(&self) -> RepoResult<Box<dyn Tx + '_>> {
        self.start(BEGIN_WRITE)
    }

    fn read(&self) -> RepoResult<Box<dyn Tx + '_>> {
        self.start(BEGIN_READ)
    }

    fn begin_unordered(&self) -> RepoResult<Box<dyn Tx + '_>> {
        self.start(BEGIN_UNORDERED)
    }
}

impl Drop for PostgresRepository {
    fn drop(&mut self) {
        // Closing a connection blocks on its own small runtime, which tokio forbids on an async
        // worker thread: the last handle on the state may well be dropped on one (a server
        // stopping). A thread of its own closes them.
        if let Some(pool) = self.pool.take() {
            let _ = std::thread::spawn(move || drop(pool)).join();
        }
    }
}

/// A connection taken from the pool for one transaction; dropping it gives it back.
struct Pooled(r2d2::PooledConnection<Manager>);

impl SqlConn for Pooled {
    fn execute(&mut self, sql: &str, args: &[Value]) -> RepoResult<u64> {
        self.0.execute(sql, args)
    }

    fn query(&mut self, sql: &str, args: &[Value]) -> RepoResult<Vec<Row>> {
        self.0.query(sql, args)
    }

    fn batch(&mut self, sql: &str) -> RepoResult<()> {
        self.0.batch(sql)
    }

    fn dialect(&self) -> Dialect {
        Dialect::Postgres
    }

    fn commit(&mut self) -> RepoResult<()> {
        self.0.commit()
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_lock_statement_names_the_lock_constant() {
        assert!(super::BEGIN_WRITE.ends_with(&format!("pg_advisory_xact_lock({})", super::WRITE_LOCK)));
    }
}
