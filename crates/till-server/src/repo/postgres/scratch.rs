//! Throw-away databases on a PostgreSQL server: what the tests (and load runs) of the PostgreSQL
//! backend start from. Each is created empty under a name of its own and dropped when the
//! handle is, so tests running at once never share one.

use crate::error::RepoError;
use crate::repo::RepoResult;
use std::sync::atomic::{AtomicU64, Ordering};

/// The variable naming the PostgreSQL server the tests use (`postgres://user:password@host:port/db`,
/// a database the user may connect to and create databases from).
pub const TEST_SERVER_VARIABLE: &str = "TILL_TEST_POSTGRES";

/// A database created for one test; dropped (connections closed by force) when this is.
#[derive(Debug)]
pub struct ScratchDatabase {
    /// `postgres://.../NAME`: the scratch database's own address.
    pub url: String,
    server_url: String,
    name: String,
}

static NEXT: AtomicU64 = AtomicU64::new(0);

impl ScratchDatabase {
    /// Creates an empty database on the server at `server_url` (a `postgres://` URL). Its
    /// collation is `C`, so text sorts by bytes as in SQLite.
    pub fn create(server_url: &str) -> RepoResult<ScratchDatabase> {
        let name = format!(
            "till_scratch_{}_{}_{:08x}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed),
            rand::random::<u32>()
        );
        let mut admin = connect(server_url)?;
        admin.batch_execute(&format!(
            "CREATE DATABASE {name} TEMPLATE template0 ENCODING 'UTF8' LC_COLLATE 'C' LC_CTYPE 'C'"
        ))?;
        Ok(ScratchDatabase { url: with_database(server_url, &name)?, server_url: server_url.to_owned(), name })
    }

    /// A scratch database on the server named by `TILL_TEST_POSTGRES`; without it, an error
    /// saying how to run the PostgreSQL tests.
    pub fn from_env() -> Result<ScratchDatabase, String> {
        let server = std::env::var(TEST_SERVER_VARIABLE).map_err(|_| {
            format!(
                "{TEST_SERVER_VARIABLE} is not set: these tests need a PostgreSQL server. Run them with \
                 `make test`, or `scripts/with-postgres.sh cargo test -p till-server` (a throw-away cluster by \
                 pg_virtualenv, from the postgresql-common package), or set {TEST_SERVER_VARIABLE}=\
                 postgres://USER:PASSWORD@HOST:PORT/postgres"
            )
        })?;
        ScratchDatabase::create(&server).map_err(|e| format!("cannot create a test database on {server}: {e}"))
    }
}

impl Drop for ScratchDatabase {
    fn drop(&mut self) {
        // On a thread of its own: the client must not block an async worker (see PostgresRepository's Drop).
        let (url, name) = (self.server_url.clone(), self.name.clone());
        let _ = std::thread::spawn(move || {
            if let Ok(mut admin) = connect(&url) {
                let _ = admin.batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"));
            }
        })
        .join();
    }
}

fn connect(url: &str) -> RepoResult<::postgres::Client> {
    ::postgres::Client::connect(url, ::postgres::NoTls)
        .map_err(|e| RepoError::Connect(format!("cannot connect to the PostgreSQL server for tests: {e}")))
}

/// `url` with its database replaced by `name`.
fn with_database(url: &str, name: &str) -> RepoResult<String> {
    let (base, query) = match url.split_once('?') {
        Some((b, q)) => (b, Some(q)),
        None => (url, None),
    };
    let after_scheme = base
        .find("://")
        .map(|i| i + 3)
        .ok_or_else(|| RepoError::Connect(format!("{TEST_SERVER_VARIABLE} must be a postgres:// URL")))?;
    let host_end = base[after_scheme..].find('/').map_or(base.len(), |i| after_scheme + i);
    let mut out = format!("{}/{name}", &base[..host_end]);
    if let Some(q) = query {
        out.push('?');
        out.push_str(q);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_database_of_a_url_is_replaced() {
        let got = super::with_database("postgres://u:p@localhost:5433/postgres?sslmode=disable", "x").ok();
        assert_eq!(got.as_deref(), Some("postgres://u:p@localhost:5433/x?sslmode=disable"));
        assert_eq!(super::with_database("postgres://u@h", "x").ok().as_deref(), Some("postgres://u@h/x"));
    }
}
