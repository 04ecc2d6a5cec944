//! Users, their roles, PIN hashes and lockout state.

use crate::{Result, Store, StoreError};
use rusqlite::{params, Connection, OptionalExtension, Row, Transaction};
use till_core::Role;

/// A stored user. `pin_hash` is an argon2id PHC string; the PIN itself is never stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserRecord {
    /// Id.
    pub id: i64,
    /// Display name (unique).
    pub name: String,
    /// Role.
    pub role: Role,
    /// argon2id hash of the PIN.
    pub pin_hash: String,
    /// Whether the user may log in.
    pub active: bool,
    /// Wrong PINs since the last good one.
    pub failed_attempts: i64,
    /// Until when logins are refused, ms since the epoch.
    pub locked_until_ms: Option<i64>,
}

const COLUMNS: &str = "id, name, role, pin_hash, active, failed_attempts, locked_until_ms";

fn from_row(r: &Row<'_>) -> rusqlite::Result<(UserRecord, String)> {
    let role: String = r.get(2)?;
    Ok((
        UserRecord {
            id: r.get(0)?,
            name: r.get(1)?,
            role: Role::Cashier,
            pin_hash: r.get(3)?,
            active: r.get(4)?,
            failed_attempts: r.get(5)?,
            locked_until_ms: r.get(6)?,
        },
        role,
    ))
}

fn finish((mut u, role): (UserRecord, String)) -> Result<UserRecord> {
    u.role = Role::parse(&role).map_err(|e| StoreError::Corrupt(e.to_string()))?;
    Ok(u)
}

/// Reads one user inside a transaction or on any connection.
pub fn get(conn: &Connection, id: i64) -> Result<UserRecord> {
    let row = conn
        .query_row(&format!("SELECT {COLUMNS} FROM users WHERE id = ?1"), [id], from_row)
        .optional()?
        .ok_or(StoreError::NotFound("user"))?;
    finish(row)
}

/// Inserts a user inside an open transaction.
pub fn insert(tx: &Transaction<'_>, name: &str, role: Role, pin_hash: &str, now_ms: i64) -> Result<i64> {
    tx.execute(
        "INSERT INTO users (name, role, pin_hash, created_at_ms) VALUES (?1, ?2, ?3, ?4)",
        params![name, role.as_str(), pin_hash, now_ms],
    )
    .map_err(|e| {
        let e = StoreError::from(e);
        if e.is_unique_violation() {
            StoreError::Conflict(format!("a user named {name:?} already exists"))
        } else {
            e
        }
    })?;
    Ok(tx.last_insert_rowid())
}

/// Records the outcome of a login attempt inside an open transaction.
pub fn set_login_state(
    tx: &Transaction<'_>,
    id: i64,
    failed_attempts: i64,
    locked_until_ms: Option<i64>,
) -> Result<()> {
    tx.execute(
        "UPDATE users SET failed_attempts = ?2, locked_until_ms = ?3 WHERE id = ?1",
        params![id, failed_attempts, locked_until_ms],
    )?;
    Ok(())
}

/// Activates or deactivates a user inside an open transaction.
pub fn set_active(tx: &Transaction<'_>, id: i64, active: bool) -> Result<()> {
    if tx.execute("UPDATE users SET active = ?2 WHERE id = ?1", params![id, active])? == 0 {
        return Err(StoreError::NotFound("user"));
    }
    Ok(())
}

/// Replaces a user's PIN hash and clears its lockout, inside an open transaction.
pub fn set_pin_hash(tx: &Transaction<'_>, id: i64, pin_hash: &str) -> Result<()> {
    let n = tx.execute(
        "UPDATE users SET pin_hash = ?2, failed_attempts = 0, locked_until_ms = NULL WHERE id = ?1",
        params![id, pin_hash],
    )?;
    if n == 0 {
        return Err(StoreError::NotFound("user"));
    }
    Ok(())
}

/// Replaces a user's PIN hash with `new` if it is still `old` (a login upgrading the hash's
/// parameters must not undo a PIN change made meanwhile). Says whether it did.
pub fn replace_pin_hash(tx: &Transaction<'_>, id: i64, old: &str, new: &str) -> Result<bool> {
    let n = tx.execute("UPDATE users SET pin_hash = ?3 WHERE id = ?1 AND pin_hash = ?2", params![id, old, new])?;
    Ok(n == 1)
}

impl Store {
    /// All users, by name.
    pub fn users(&self) -> Result<Vec<UserRecord>> {
        self.read(|c| {
            let mut stmt = c.prepare(&format!("SELECT {COLUMNS} FROM users ORDER BY name"))?;
            let rows = stmt.query_map([], from_row)?;
            rows.map(|r| finish(r?)).collect()
        })
    }

    /// One user.
    pub fn user(&self, id: i64) -> Result<UserRecord> {
        self.read(|c| get(c, id))
    }

    /// Whether any user exists (first start seeds the demo users).
    pub fn has_users(&self) -> Result<bool> {
        self.read(|c| Ok(c.query_row("SELECT EXISTS (SELECT 1 FROM users)", [], |r| r.get(0))?))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_and_lockout_is_stored() {
        let dir = tempfile::tempdir().unwrap();
        let s = Store::open(&dir.path().join("t.db")).unwrap();
        let id = s.write(|tx| insert(tx, "Ann", Role::Cashier, "h", 0)).unwrap();
        let dup = s.write(|tx| insert(tx, "Ann", Role::Manager, "h", 0));
        assert!(matches!(dup, Err(StoreError::Conflict(_))));
        s.write(|tx| set_login_state(tx, id, 5, Some(300_000))).unwrap();
        let u = s.user(id).unwrap();
        assert_eq!((u.failed_attempts, u.locked_until_ms, u.role), (5, Some(300_000), Role::Cashier));
        s.write(|tx| set_pin_hash(tx, id, "h2")).unwrap();
        let u = s.user(id).unwrap();
        assert_eq!((u.failed_attempts, u.locked_until_ms, u.pin_hash.as_str()), (0, None, "h2"));
        assert!(matches!(s.write(|tx| set_active(tx, 99, false)), Err(StoreError::NotFound(_))));
        assert!(!s.write(|tx| replace_pin_hash(tx, id, "h1", "h3")).unwrap(), "the hash is h2, not h1");
        assert!(s.write(|tx| replace_pin_hash(tx, id, "h2", "h3")).unwrap());
        assert_eq!(s.user(id).unwrap().pin_hash, "h3");
    }
}
