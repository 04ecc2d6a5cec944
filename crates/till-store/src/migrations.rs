//! Versioned schema migrations, embedded from the repository's `migrations/` folder.
//!
//! The schema version lives in `PRAGMA user_version`. The pending migrations run together in
//! one IMMEDIATE transaction with the version bump, so a crash or a failing migration leaves
//! the previous version intact ([`crate::upgrade`] takes a backup first).

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
    include_str!("../../../migrations/0011_payment_journal.sql"),
    include_str!("../../../migrations/0013_owner_role.sql"),
    include_str!("../../../migrations/0014_points_balances.sql"),
    include_str!("../../../migrations/0015_printing.sql"),
    include_str!("../../../migrations/0016_refund_decision.sql"),
    include_str!("../../../migrations/0017_points_resend.sql"),
    include_str!("../../../migrations/0018_line_origin.sql"),
    include_str!("../../../migrations/0019_pending_orders.sql"),
    include_str!("../../../migrations/0020_services.sql"),
    include_str!("../../../migrations/0021_device_services.sql"),
    include_str!("../../../migrations/0022_payment_codes.sql"),
    include_str!("../../../migrations/0023_catalogue_from_hq.sql"),
];

/// The first line of a migration that rebuilds a table other tables refer to. SQLite's way of
/// changing a table's constraints (new table, copy, drop, rename) needs foreign keys off while
/// it runs, and the pragma cannot change inside a transaction: the runner turns them off
/// around such a migration and checks every reference with `PRAGMA foreign_key_check` before
/// committing it.
const FOREIGN_KEYS_OFF: &str = "-- till: foreign_keys off";

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
    migrate_with(conn, MIGRATIONS)
}

/// Brings the database up to `migrations.len()`: every pending migration and the version bump
/// in ONE IMMEDIATE transaction, so a migration that fails rolls back the ones before it too
/// and the file stays at the version it had (see docs/install.md, "Upgrades"). The error names
/// the migration that failed.
pub(crate) fn migrate_with(conn: &mut Connection, migrations: &[&str]) -> Result<()> {
    let found = current_version(conn)?;
    let supported = migrations.len() as u32;
    if found > supported {
        return Err(StoreError::DatabaseTooNew { found, supported });
    }
    if found == supported {
        return Ok(());
    }
    let rebuilds = migrations[found as usize..].iter().any(|sql| sql.starts_with(FOREIGN_KEYS_OFF));
    if rebuilds {
        conn.pragma_update(None, "foreign_keys", "OFF")?;
    }
    let applied = apply_pending(conn, migrations, rebuilds);
    if rebuilds {
        // Back on whatever happened: every other statement of this connection relies on it.
        conn.pragma_update(None, "foreign_keys", "ON")?;
    }
    applied
}

/// Applies every migration past the file's version and the version bump in one IMMEDIATE
/// transaction; dropping the transaction on an error rolls all of them back.
fn apply_pending(conn: &mut Connection, migrations: &[&str], check_references: bool) -> Result<()> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    // Re-check under the write lock: another process may have migrated meanwhile.
    let from = current_version(&tx)?;
    let to = migrations.len() as u32;
    if from >= to {
        return Ok(());
    }
    for (i, sql) in migrations.iter().enumerate().skip(from as usize) {
        let version = i as u32 + 1;
        tx.execute_batch(sql).map_err(|e| StoreError::MigrationFailed {
            version,
            from,
            reason: e.to_string(),
            backup: None,
        })?;
        tracing::info!(version, "applied migration (not committed yet)");
    }
    if check_references {
        let broken: i64 = tx.query_row("SELECT count(*) FROM pragma_foreign_key_check", [], |r| r.get(0))?;
        if broken > 0 {
            return Err(StoreError::MigrationFailed {
                version: to,
                from,
                reason: format!("{broken} broken references after the migrations"),
                backup: None,
            });
        }
    }
    tx.pragma_update(None, "user_version", to)?;
    tx.commit()?;
    tracing::info!(from, to, "database upgraded");
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
    fn the_owner_migration_keeps_every_user_and_reference_and_foreign_keys_stay_on() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("till.db");
        let mut c = crate::connection::open(&path).unwrap();
        let before_owner = MIGRATIONS.iter().position(|m| m.contains("Version 13: the owner role")).unwrap();
        for (i, m) in MIGRATIONS[..before_owner].iter().enumerate() {
            c.execute_batch(m).unwrap();
            c.pragma_update(None, "user_version", (i + 1) as u32).unwrap();
        }
        c.execute_batch(
            "INSERT INTO users (id, name, role, pin_hash, failed_attempts, locked_until_ms, created_at_ms)
                 VALUES (1, 'Ann', 'cashier', 'h1', 2, 99, 10), (2, 'Meg', 'manager', 'h2', 0, NULL, 11),
                        (3, 'Ian', 'installer', 'h3', 0, NULL, 12);
             INSERT INTO open_carts (user_id, cart_id, lines, updated_at_ms) VALUES (1, 'c1', '[]', 1);",
        )
        .unwrap();
        assert!(c
            .execute("INSERT INTO users (name, role, pin_hash, created_at_ms) VALUES ('O', 'owner', 'h', 0)", [])
            .is_err());

        migrate(&mut c).unwrap();
        let fk: i64 = c.query_row("PRAGMA foreign_keys", [], |r| r.get(0)).unwrap();
        assert_eq!(fk, 1, "foreign keys are back on after the rebuild");
        let users: Vec<(i64, String, String, i64, Option<i64>)> = c
            .prepare("SELECT id, name, role, failed_attempts, locked_until_ms FROM users ORDER BY id")
            .unwrap()
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)))
            .unwrap()
            .map(|r| r.unwrap())
            .collect();
        assert_eq!(
            users,
            vec![
                (1, "Ann".into(), "cashier".into(), 2, Some(99)),
                (2, "Meg".into(), "manager".into(), 0, None),
                (3, "Ian".into(), "installer".into(), 0, None),
            ]
        );
        // an owner is accepted now, another role still is not, and references are still enforced
        c.execute("INSERT INTO users (name, role, pin_hash, created_at_ms) VALUES ('Olu', 'owner', 'h', 0)", [])
            .unwrap();
        assert!(c
            .execute("INSERT INTO users (name, role, pin_hash, created_at_ms) VALUES ('X', 'admin', 'h', 0)", [])
            .is_err());
        assert!(c
            .execute("INSERT INTO open_carts (user_id, cart_id, lines, updated_at_ms) VALUES (77, 'c2', '[]', 1)", [])
            .is_err());
        assert!(c.execute("DELETE FROM users WHERE id = 1", []).is_err(), "the open cart still refers to Ann");
        let broken: i64 = c.query_row("SELECT count(*) FROM pragma_foreign_key_check", [], |r| r.get(0)).unwrap();
        assert_eq!(broken, 0);
    }

    #[test]
    fn the_printing_migration_keeps_the_devices_and_accepts_the_new_roles() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("till.db");
        let mut c = crate::connection::open(&path).unwrap();
        let printing = MIGRATIONS.iter().position(|m| m.contains("Version 15: receipt printers")).unwrap();
        for (i, m) in MIGRATIONS[..printing].iter().enumerate() {
            c.execute_batch(m).unwrap();
            c.pragma_update(None, "user_version", (i + 1) as u32).unwrap();
        }
        c.execute_batch(
            "INSERT INTO devices (role, driver, uri, baud, parity, enabled, pairing_key_sealed, terminal_id, paired_at_ms,
                                  created_at_ms, updated_at_ms)
                 VALUES ('points-terminal', 'till-points-v1', 'serial:///dev/ttyACM0', 115200, 'none', 1, x'0102', 'T-1', 5, 1, 2);",
        )
        .unwrap();
        let printer =
            "INSERT INTO devices (role, driver, uri, enabled, paper_mm, code_page, created_at_ms, updated_at_ms)
                       VALUES ('receipt-printer', 'escpos', 'tcp://10.0.0.5:9100', 1, 58, 'gb18030', 1, 1)";
        assert!(c.execute(printer, []).is_err());
        migrate(&mut c).unwrap();
        let kept: (String, Vec<u8>, String, i64) = c
            .query_row("SELECT uri, pairing_key_sealed, terminal_id, paired_at_ms FROM devices", [], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))
            })
            .unwrap();
        assert_eq!(kept, ("serial:///dev/ttyACM0".into(), vec![1, 2], "T-1".into(), 5));
        c.execute(printer, []).unwrap();
        assert!(c
            .execute(
                "INSERT INTO devices (role, driver, uri, paper_mm, created_at_ms, updated_at_ms)
                 VALUES ('customer-display', 'window', 'window://customer', 76, 1, 1)",
                []
            )
            .is_err());
        assert!(
            c.execute("INSERT INTO print_jobs (kind, state, created_at_ms) VALUES ('receipt', 'held', 1)", []).is_err(),
            "a held job says why"
        );
        assert!(c
            .execute("INSERT INTO print_jobs (kind, order_id, created_at_ms) VALUES ('receipt', 999, 1)", [])
            .is_err());
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
