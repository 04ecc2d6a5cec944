//! What only the SQLite backend has to prove: its durability settings, and that a migration
//! that seals or blinds rows leaves no clear copy in the file's free pages or its WAL. The
//! repository's behaviour is proved on both backends by `repo::tests`.

use super::*;
use crate::repo::schema::{MIGRATION_2, MIGRATION_3, MIGRATION_4, SCHEMA};

fn files(db: &Path) -> Vec<u8> {
    let mut all = std::fs::read(db).unwrap();
    let mut wal = db.as_os_str().to_owned();
    wal.push("-wal");
    all.extend(std::fs::read(wal).unwrap_or_default());
    all
}

fn contains(haystack: &[u8], needle: &str) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle.as_bytes())
}

#[test]
fn durability_pragmas_and_reopen() {
    let dir = tempfile::tempdir().unwrap();
    let repo = SqliteRepository::open(&dir.path().join("s.db")).unwrap();
    {
        let c = repo.lock();
        let mode: String = c.query_row("PRAGMA journal_mode", [], |r| r.get(0)).unwrap();
        let sync: i64 = c.query_row("PRAGMA synchronous", [], |r| r.get(0)).unwrap();
        assert_eq!((mode.as_str(), sync), ("wal", 2));
    }
    drop(repo);
    SqliteRepository::open(&dir.path().join("s.db")).unwrap();
}

#[test]
fn sealed_and_blinded_values_leave_the_file() {
    const SECRET: &str = "5ec7e75ec7e75ec7e75ec7e75ec7e75ec7e75ec7e75ec7e75ec7e75ec7e75ec7";
    const IMEI: &str = "352099001761481";
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("v4.db");
    {
        let c = Connection::open(&db).unwrap();
        c.execute_batch(SCHEMA).unwrap();
        for m in [MIGRATION_2, MIGRATION_3, MIGRATION_4] {
            c.execute_batch(m).unwrap();
        }
        c.execute_batch(&format!(
            "INSERT INTO schema_version (version) VALUES (1), (2), (3), (4);
             INSERT INTO terminals VALUES ('t_1', 'counter', '{SECRET}', 0, 0);
             INSERT INTO orders VALUES ('t_1', 'o-1', 'Shop 1', 'CNY', 1, NULL, 100, 100, NULL);
             INSERT INTO order_lines VALUES ('ABCDABCDABCDA', 't_1', 'o-1', 1, 'P', 'Phone', 1, 1, 1, 'CNY', NULL, 0);
             INSERT INTO sold_devices VALUES ('{IMEI}', 'imei', 'ABCDABCDABCDA', 't_1', 'o-1', 'Shop 1', 1, 'CNY', 'cash', NULL, 100, 0);"
        ))
        .unwrap();
    }
    assert!(contains(&files(&db), SECRET) && contains(&files(&db), IMEI), "the fixture is in clear");
    let repo = SqliteRepository::open(&db).unwrap();
    let bytes = files(&db);
    for clear in [SECRET, IMEI] {
        assert!(!contains(&bytes, clear), "{clear} is still in the files after the migration");
    }
    assert_eq!(repo.read().unwrap().terminal("t_1").unwrap().unwrap().secret_hex, SECRET);
}
