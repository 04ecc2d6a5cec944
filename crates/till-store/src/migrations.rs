//! Versioned schema migrations, embedded from the repository's `migrations/` folder.
//!
//! The schema version lives in `PRAGMA user_version`. Each migration runs in its own IMMEDIATE
//! transaction together with the version bump, so a crash mid-migration leaves the previous
//! version intact.

use crate::{Result, StoreError};
use rusqlite::{Connection, TransactionBehavior};

/// Every migration, in order; entry `i` brings the schema to version `i + 1`.
pub const MIGRATIONS: &[&str] = &[
    include_str!("../../../migrations/0001_init.sql"),
    include_str!("../../../migrations/0002_open_carts.sql"),
    include_str!("../../../migrations/0003_card_payments.sql"),
    include_str!("../../../migrations/0004_devices.sql"),
    include_str!("../../../migrations/0005_outbox_delivery.sql"),
    include_str!("../../../migrations/0006_outbox_done_count.sql"),
    include_str!("../../../migrations/0007_refunds_points.sql"),
    include_str!("../../../migrations/0008_day_close.sql"),
    include_str!("../../../migrations/0009_history_indexes.sql"),
    include_str!("../../../migrations/0010_refund_flow.sql"),
    include_str!("../../../migrations/0014_points_balances.sql"),
];

/// The schema version this build writes.
pub fn latest_version() -> u32 {
    MIGRATIONS.len() as u32
}

/// The schema version of an open database.
pub fn current_version(conn: &Connection) -> Result<u32> {
    Ok(conn.query_row("PRAGMA user_version", [], |r| r.get(0))?)
}

/// Brings the database up to [`latest_version`]; a no-op when it is already there.
pub fn migrate(conn: &mut Connection) -> Result<()> {
    let found = current_version(conn)?;
    let supported = latest_version();
    if found > supported {
        return Err(StoreError::DatabaseTooNew { found, supported });
    }
    for (i, sql) in MIGRATIONS.iter().enumerate().skip(found as usize) {
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        // Re-check under the write lock: another process may have migrated meanwhile.
        if current_version(&tx)? > i as u32 {
            continue;
        }
        tx.execute_batch(sql)?;
        tx.pragma_update(None, "user_version", (i + 1) as u32)?;
        tx.commit()?;
        tracing::info!(version = i + 1, "applied migration");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Store;

    fn tables(c: &Connection) -> Vec<String> {
        c.prepare("SELECT name FROM sqlite_schema WHERE type = 'table' ORDER BY name")
            .unwrap()
            .query_map([], |r| r.get(0))
            .unwrap()
            .map(|r| r.unwrap())
            .collect()
    }

    #[test]
    fn migrates_an_empty_file_and_rerunning_is_a_no_op() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("till.db");
        let store = Store::open(&path).unwrap();
        let before = store.read(|c| Ok((tables(c), current_version(c)?))).unwrap();
        assert_eq!(before.1, latest_version());
        for t in ["orders", "order_lines", "payments", "outbox", "audit_log", "users", "products", "open_carts"] {
            assert!(before.0.iter().any(|x| x == t), "{t} missing");
        }
        drop(store);
        let store = Store::open(&path).unwrap();
        let after = store.read(|c| Ok((tables(c), current_version(c)?))).unwrap();
        assert_eq!(before, after);
    }

    #[test]
    fn a_version_1_database_is_brought_up_to_date_keeping_its_data() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("till.db");
        let mut c = Connection::open(&path).unwrap();
        c.execute_batch(MIGRATIONS[0]).unwrap();
        c.pragma_update(None, "user_version", 1).unwrap();
        c.execute("INSERT INTO settings (key, value) VALUES ('k', 'v')", []).unwrap();
        migrate(&mut c).unwrap();
        drop(c);
        let store = Store::open(&path).unwrap();
        assert_eq!(store.setting("k").unwrap().as_deref(), Some("v"));
        assert_eq!(store.read(current_version).unwrap(), latest_version());
        assert!(store.read(|c| Ok(tables(c))).unwrap().iter().any(|t| t == "open_carts"));
    }

    #[test]
    fn a_newer_database_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("till.db");
        drop(Store::open(&path).unwrap());
        let c = Connection::open(&path).unwrap();
        c.pragma_update(None, "user_version", latest_version() + 1).unwrap();
        drop(c);
        match Store::open(&path) {
            Err(StoreError::DatabaseTooNew { found, supported }) => {
                assert_eq!((found, supported), (latest_version() + 1, latest_version()))
            }
            other => panic!("expected DatabaseTooNew, got {:?}", other.err()),
        }
    }
}
