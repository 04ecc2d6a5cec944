//! Key/value settings of this till (currency, demo mode, sealed secrets...).

use crate::{Result, Store};
use rusqlite::{params, OptionalExtension, Transaction};

/// Writes a setting inside an open transaction.
pub fn put(tx: &Transaction<'_>, key: &str, value: &str) -> Result<()> {
    tx.execute(
        "INSERT INTO settings (key, value) VALUES (?1, ?2) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        params![key, value],
    )?;
    Ok(())
}

/// Reads a setting inside an open transaction.
pub fn get(tx: &Transaction<'_>, key: &str) -> Result<Option<String>> {
    Ok(tx.query_row("SELECT value FROM settings WHERE key = ?1", [key], |r| r.get(0)).optional()?)
}

/// Deletes a setting inside an open transaction with SQLite's `secure_delete` on for it, so the
/// row's bytes are overwritten with zeros in the page rather than left in free space (a secret
/// that was once stored in clear). Returns whether there was one.
pub fn delete_overwriting(tx: &Transaction<'_>, key: &str) -> Result<bool> {
    let before: i64 = tx.query_row("PRAGMA secure_delete", [], |r| r.get(0))?;
    tx.pragma_update(None, "secure_delete", 1)?;
    let deleted = tx.execute("DELETE FROM settings WHERE key = ?1", [key]);
    tx.pragma_update(None, "secure_delete", before)?;
    Ok(deleted? > 0)
}

impl Store {
    /// Reads a setting.
    pub fn setting(&self, key: &str) -> Result<Option<String>> {
        self.read(|c| Ok(c.query_row("SELECT value FROM settings WHERE key = ?1", [key], |r| r.get(0)).optional()?))
    }

    /// Writes a setting.
    pub fn set_setting(&self, key: &str, value: &str) -> Result<()> {
        self.write(|tx| put(tx, key, value))
    }
}
