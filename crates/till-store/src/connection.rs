//! How every connection to the till database is set up.

use crate::Result;
use rusqlite::Connection;
use std::path::Path;
use std::time::Duration;

/// Tries for another connection's lock, one millisecond apart, before SQLITE_BUSY.
const LOCK_TRIES: i32 = 5000;

/// Waits about 1 ms and asks SQLite to try again, for about 5 s in all. SQLite's own busy
/// timeout sleeps longer and longer between tries (up to 100 ms): a checkout waiting behind a
/// short write of the sync worker (a page of the catalogue from HQ) would then wait on for up to
/// a tenth of a second after the lock was free, again and again while pages follow each other.
fn wait_for_lock(tries: i32) -> bool {
    if tries >= LOCK_TRIES {
        return false;
    }
    std::thread::sleep(Duration::from_millis(1));
    true
}

/// Opens `path` with the settings durability depends on. `synchronous=FULL` in WAL mode makes
/// each commit wait for the WAL fsync, so a commit that returned survives a power cut.
pub(crate) fn open(path: &Path) -> Result<Connection> {
    let conn = Connection::open(path)?;
    conn.busy_handler(Some(wait_for_lock))?;
    conn.pragma_update(None, "journal_mode", "WAL")?;
    conn.pragma_update(None, "synchronous", "FULL")?;
    conn.pragma_update(None, "foreign_keys", "ON")?;
    Ok(conn)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durability_pragmas_are_set() {
        let dir = tempfile::tempdir().unwrap();
        let c = open(&dir.path().join("t.db")).unwrap();
        let mode: String = c.query_row("PRAGMA journal_mode", [], |r| r.get(0)).unwrap();
        let sync: i64 = c.query_row("PRAGMA synchronous", [], |r| r.get(0)).unwrap();
        let fk: i64 = c.query_row("PRAGMA foreign_keys", [], |r| r.get(0)).unwrap();
        assert_eq!((mode.as_str(), sync, fk), ("wal", 2, 1));
    }
}
