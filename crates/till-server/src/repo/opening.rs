//! What opening either database shares: the options, and the server key the database is sealed
//! under (loaded, or made at the first start, and checked against the fingerprint the database
//! recorded), with the schema brought up to date in the same transaction.

use super::sql::{Dialect, SqlConn, SqlConnExt};
use super::RepoResult;
use crate::args;
use crate::error::RepoError;
use crate::sealing::ServerKey;
use std::path::{Path, PathBuf};

/// How to open the database: where the key file is and how many connections to keep.
#[derive(Debug, Clone)]
pub struct StorageOptions {
    /// The server key file; `None` is beside a SQLite database
    /// ([`crate::sealing::default_key_path`]). PostgreSQL requires one.
    pub key_file: Option<PathBuf>,
    /// SQLite: read-only connections for lookups and the signing check.
    pub read_connections: usize,
    /// PostgreSQL: connections in the pool (reads and writes).
    pub database_connections: usize,
}

impl Default for StorageOptions {
    fn default() -> Self {
        StorageOptions { key_file: None, read_connections: 4, database_connections: 16 }
    }
}

/// The key id the database recorded, if it has one (a database of version 5 or later). Which
/// tables exist is the one question the two databases answer differently.
pub(super) fn recorded_key_id(conn: &mut dyn SqlConn) -> RepoResult<Option<String>> {
    let has_table = match conn.dialect() {
        Dialect::Sqlite => {
            conn.exists("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'server_key'", args![])?
        }
        Dialect::Postgres => conn.exists(
            "SELECT 1 FROM information_schema.tables WHERE table_schema = current_schema() \
             AND table_name = 'server_key'",
            args![],
        )?,
    };
    if !has_table {
        return Ok(None);
    }
    conn.query_opt("SELECT key_id FROM server_key", args![], |r| r.text(0))
}

/// Loads the key file, or makes one when neither it nor the database's record of a key exists.
/// A database whose values were sealed under a key that is not there is refused, never given a
/// new key (that would lose every terminal secret and points key in it).
pub(super) fn load_key(conn: &mut dyn SqlConn, key_file: &Path) -> RepoResult<ServerKey> {
    let recorded = recorded_key_id(conn)?;
    let key = if key_file.exists() {
        ServerKey::load(key_file)?
    } else if let Some(id) = &recorded {
        return Err(RepoError::Key(format!(
            "the key file {} is missing; this database's secrets are sealed under the key with id {id}",
            key_file.display()
        )));
    } else {
        ServerKey::create(key_file)?
    };
    if let Some(id) = recorded {
        if id != key.id() {
            return Err(RepoError::Key(format!(
                "the key file {} (id {}) is not the key this database is sealed under (id {id})",
                key_file.display(),
                key.id()
            )));
        }
    }
    Ok(key)
}

/// Inside a transaction the caller began: loads (or makes) the key, migrates the schema and
/// records the key's id. Returns the key and whether rows were sealed by the migration.
pub(super) fn prepare(conn: &mut dyn SqlConn, key_file: &Path) -> RepoResult<(ServerKey, bool)> {
    let key = load_key(conn, key_file)?;
    let sealed_rows = super::schema::migrate(conn, &key)?;
    if recorded_key_id(conn)?.is_none() {
        conn.execute("INSERT INTO server_key (key_id) VALUES (?1)", args![key.id()])?;
    }
    Ok((key, sealed_rows))
}
