//! Opening the SQLite files: the options, the pragmas every connection gets, and the server key
//! the database is sealed under (loaded, or made at the first start, and checked against the
//! fingerprint the database recorded).

use super::RepoResult;
use crate::error::RepoError;
use crate::sealing::ServerKey;
use rusqlite::{Connection, OptionalExtension};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// How to open the database: where the key file is and how many read connections to keep.
#[derive(Debug, Clone)]
pub struct StorageOptions {
    /// The server key file; `None` is beside the database ([`crate::sealing::default_key_path`]).
    pub key_file: Option<PathBuf>,
    /// Read-only connections for lookups and the signing check.
    pub read_connections: usize,
}

impl Default for StorageOptions {
    fn default() -> Self {
        StorageOptions { key_file: None, read_connections: 4 }
    }
}

/// Opens one connection with the durability settings every connection of the server uses.
pub(super) fn connect(path: &Path) -> RepoResult<Connection> {
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

/// The key id the database recorded, if it has one (a database of version 3 or later).
pub(super) fn recorded_key_id(conn: &Connection) -> RepoResult<Option<String>> {
    let has_table: bool = conn
        .query_row("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'server_key'", [], |_| Ok(()))
        .optional()?
        .is_some();
    if !has_table {
        return Ok(None);
    }
    Ok(conn.query_row("SELECT key_id FROM server_key", [], |r| r.get(0)).optional()?)
}

/// Loads the key file, or makes one when neither it nor the database's record of a key exists.
/// A database whose values were sealed under a key that is not there is refused, never given a
/// new key (that would lose every terminal secret and points key in it).
pub(super) fn load_key(conn: &Connection, key_file: &Path) -> RepoResult<ServerKey> {
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
