use super::*;
use crate::migrations::{current_version, latest_version, MIGRATIONS};
use crate::Store;
use rusqlite::Connection;
use till_core::ManualClock;

/// 2026-12-06 03:04:05 UTC.
const NOW: i64 = 1_796_526_245_000;

fn dump(path: &Path) -> (u32, Vec<String>) {
    let c = Connection::open(path).unwrap();
    let v = current_version(&c).unwrap();
    let mut rows: Vec<String> = c
        .prepare("SELECT type || ' ' || name || ' ' || coalesce(sql, '') FROM sqlite_schema ORDER BY name")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .map(|r| r.unwrap())
        .collect();
    rows.extend(
        c.prepare("SELECT key || '=' || value FROM settings ORDER BY key")
            .unwrap()
            .query_map([], |r| r.get::<_, String>(0))
            .unwrap()
            .map(|r| r.unwrap()),
    );
    (v, rows)
}

#[test]
fn an_older_database_is_copied_to_backups_before_it_is_migrated() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("till.db");
    let clock = ManualClock::new(NOW);
    let older = &MIGRATIONS[..MIGRATIONS.len() - 1];
    let old = Store::open_with(&path, &clock, older).unwrap();
    old.set_setting("kept", "yes").unwrap();
    drop(old);
    let store = Store::open_with_clock(&path, &clock).unwrap();
    assert_eq!(store.read(current_version).unwrap(), latest_version());
    assert_eq!(store.setting("kept").unwrap().as_deref(), Some("yes"));
    let copy = dir.path().join(format!("backups/till-pre-upgrade-v{}-20261206T030405Z.db", latest_version() - 1));
    assert!(copy.is_file(), "{copy:?}");
    let (v, rows) = dump(&copy);
    assert_eq!(v, latest_version() - 1);
    assert!(rows.contains(&"kept=yes".to_string()));
    // Opening again at the latest version takes no second copy.
    drop(store);
    clock.advance(1000);
    drop(Store::open_with_clock(&path, &clock).unwrap());
    assert_eq!(std::fs::read_dir(dir.path().join("backups")).unwrap().count(), 1);
    // A new file is not copied either.
    drop(Store::open_with_clock(&dir.path().join("new.db"), &clock).unwrap());
    assert_eq!(std::fs::read_dir(dir.path().join("backups")).unwrap().count(), 1);
}

#[test]
fn a_failing_migration_leaves_the_database_unchanged_and_says_why_and_where_the_copy_is() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("till.db");
    let clock = ManualClock::new(NOW);
    let store = Store::open_with_clock(&path, &clock).unwrap();
    store.set_setting("kept", "yes").unwrap();
    drop(store);
    let bytes_before = std::fs::read(&path).unwrap();
    let before = dump(&path);
    // Two pending migrations: the first would succeed on its own, the second fails. With one
    // commit per migration the first would stay applied; with the pending set atomic, neither.
    let mut next: Vec<&str> = MIGRATIONS.to_vec();
    next.push("CREATE TABLE added_by_the_first (x INTEGER); INSERT INTO settings (key, value) VALUES ('new', 'x');");
    next.push("INSERT INTO no_such_table VALUES (1);");
    let err = Store::open_with(&path, &clock, &next).err().expect("the upgrade must fail");
    let copy = pre_upgrade_path(&path, latest_version(), NOW);
    match &err {
        StoreError::MigrationFailed { version, from, backup, .. } => {
            assert_eq!((*version, *from, backup.as_deref()), (latest_version() + 2, latest_version(), Some(&*copy)));
        }
        other => panic!("expected MigrationFailed, got {other:?}"),
    }
    let message = err.to_string();
    for part in [
        format!("migration {}", latest_version() + 2),
        format!("still at schema version {}", latest_version()),
        "unchanged".to_string(),
        "no such table: no_such_table".to_string(),
        copy.display().to_string(),
    ] {
        assert!(message.contains(&part), "{message:?} lacks {part:?}");
    }
    assert_eq!(dump(&path), before, "logically unchanged");
    assert_eq!(std::fs::read(&path).unwrap(), bytes_before, "byte for byte");
    assert_eq!(dump(&copy), before, "the copy is the database before the upgrade");
    // This build still opens it.
    let store = Store::open_with_clock(&path, &clock).unwrap();
    assert_eq!(store.setting("new").unwrap(), None);
}

#[test]
fn no_upgrade_without_its_backup() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("till.db");
    let clock = ManualClock::new(NOW);
    drop(Store::open_with(&path, &clock, &MIGRATIONS[..MIGRATIONS.len() - 1]).unwrap());
    // A file where the backups folder should be: the copy cannot be made.
    std::fs::write(dir.path().join(BACKUPS_DIR), b"not a folder").unwrap();
    let err = Store::open_with_clock(&path, &clock).err().expect("refused");
    assert!(matches!(err, StoreError::PreUpgradeBackupFailed { from, .. } if from == latest_version() - 1), "{err:?}");
    assert!(err.to_string().contains("unchanged"), "{err}");
    assert_eq!(dump(&path).0, latest_version() - 1);
}

#[test]
fn file_name_times_are_utc_and_sortable() {
    assert_eq!(compact_utc(NOW), "20261206T030405Z");
    assert_eq!(compact_utc(0), "19700101T000000Z");
}
