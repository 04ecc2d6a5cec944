//! Schema version 5: secrets at rest are sealed under the server key.
//!
//! The columns that held terminal secrets, points keys and stored idempotent answers in clear are
//! renamed for what they now hold, a table records which key the database is sealed under, and
//! the rows already there are sealed in the same transaction as the schema change, so a database
//! is either all clear (version 4 and before) or all sealed (version 5). The statements are PostgreSQL's too.

use super::RepoResult;
use crate::sealing::{Purpose, ServerKey};
use rusqlite::{params, Connection};

/// The schema change of version 5.
pub(super) const MIGRATION_5: &str = "
ALTER TABLE terminals RENAME COLUMN secret_hex TO secret_sealed;
ALTER TABLE points_accounts RENAME COLUMN key_hex TO key_sealed;
ALTER TABLE idempotency RENAME COLUMN response TO response_sealed;
CREATE TABLE server_key (key_id TEXT NOT NULL);
";

/// Seals every terminal secret, points key and stored answer written before version 5.
pub(super) fn seal_existing_rows(conn: &Connection, key: &ServerKey) -> RepoResult<()> {
    let terminals: Vec<(String, String)> = conn
        .prepare("SELECT id, secret_sealed FROM terminals")?
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<Result<_, _>>()?;
    for (id, clear) in terminals {
        let sealed = key.seal(Purpose::TerminalSecret(&id), clear.as_bytes())?;
        conn.execute("UPDATE terminals SET secret_sealed = ?2 WHERE id = ?1", params![id, sealed])?;
    }
    let accounts: Vec<(String, String)> = conn
        .prepare("SELECT account_id, key_sealed FROM points_accounts")?
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<Result<_, _>>()?;
    for (id, clear) in accounts {
        let sealed = key.seal(Purpose::PointsKey(&id), clear.as_bytes())?;
        conn.execute("UPDATE points_accounts SET key_sealed = ?2 WHERE account_id = ?1", params![id, sealed])?;
    }
    let answers: Vec<(String, String, String)> = conn
        .prepare("SELECT terminal_id, idem_key, response_sealed FROM idempotency WHERE response_sealed IS NOT NULL")?
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
        .collect::<Result<_, _>>()?;
    for (terminal, idem_key, clear) in answers {
        let sealed = key.seal(Purpose::IdempotentAnswer(&terminal, &idem_key), clear.as_bytes())?;
        conn.execute(
            "UPDATE idempotency SET response_sealed = ?3 WHERE terminal_id = ?1 AND idem_key = ?2",
            params![terminal, idem_key, sealed],
        )?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::super::sqlite::{SqliteRepository, MIGRATION_2, SCHEMA};
    use super::super::Repository;
    use rusqlite::Connection;

    const SECRET: &str = "5ec7e75ec7e75ec7e75ec7e75ec7e75ec7e75ec7e75ec7e75ec7e75ec7e75ec7";
    const KEY: &str = "6b6579ab6b6579ab6b6579ab6b6579ab6b6579ab6b6579ab6b6579ab6b6579ab";
    const ANSWER: &str = r#"{"enrolment_message":"TILL-ENROL 1 aa NNSXSq till-server","key":"6b6579ab6b6579ab6b6579ab6b6579ab6b6579ab6b6579ab6b6579ab6b6579ab"}"#;

    fn contains(haystack: &[u8], needle: &str) -> bool {
        haystack.windows(needle.len()).any(|w| w == needle.as_bytes())
    }

    fn files(db: &std::path::Path) -> Vec<u8> {
        let mut all = std::fs::read(db).unwrap();
        all.extend(std::fs::read(db.with_file_name("v2.db-wal")).unwrap_or_default());
        all
    }

    #[test]
    fn a_version_2_database_is_sealed_in_place_and_keeps_answering_the_same() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("v2.db");
        {
            let c = Connection::open(&db).unwrap();
            c.execute_batch(SCHEMA).unwrap();
            c.execute_batch(MIGRATION_2).unwrap();
            c.execute_batch(&format!(
                "INSERT INTO schema_version (version) VALUES (1), (2);
                 INSERT INTO terminals VALUES ('t_0000000000000001', 'counter', '{SECRET}', 0, 0);
                 INSERT INTO points_accounts VALUES ('{a}', '{KEY}', 3, 40, NULL, 0);
                 INSERT INTO idempotency VALUES ('t_0000000000000001', 'enrol-1', 'h', 201, '{ANSWER}', 0);
                 INSERT INTO idempotency VALUES ('t_0000000000000001', 'gone', 'h', 201, '{ANSWER}', 0);
                 DELETE FROM idempotency WHERE idem_key = 'gone';",
                a = "a".repeat(32)
            ))
            .unwrap();
        }
        assert!(contains(&files(&db), SECRET) && contains(&files(&db), KEY), "the fixture is in clear");
        let repo = SqliteRepository::open(&db).unwrap();
        let bytes = files(&db);
        for clear in [SECRET, KEY, "NNSXSq"] {
            assert!(!contains(&bytes, clear), "{clear} is still in the files after the migration");
        }
        let mut tx = repo.read().unwrap();
        assert_eq!(tx.terminal("t_0000000000000001").unwrap().unwrap().secret_hex, SECRET);
        let account = tx.points_account(&"a".repeat(32)).unwrap().unwrap();
        assert_eq!((account.key_hex.as_str(), account.balance, account.last_counter), (KEY, 40, 3));
        drop(tx);
        let mut tx = repo.begin().unwrap();
        let stored = tx.claim_idempotency("t_0000000000000001", "enrol-1", "h", 1).unwrap().unwrap();
        assert_eq!((stored.status, stored.body.as_deref()), (Some(201), Some(ANSWER)));
        drop(tx);
        drop(repo);
        let c = Connection::open(&db).unwrap();
        let version: i64 = c.query_row("SELECT MAX(version) FROM schema_version", [], |r| r.get(0)).unwrap();
        // Opened by this build: sealed at 5, then on to the current version.
        assert_eq!(version, super::super::sqlite::SCHEMA_VERSION);
    }
}
