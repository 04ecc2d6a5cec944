//! `tillctl backup --data-dir DIR --out FILE` and `tillctl restore --data-dir DIR --from FILE
//! [--force]`.
//!
//! A backup is SQLite's online backup of `DIR/till.db` ([`till_store::backup`]): it may run while
//! the till sells. It holds no clear secret; `till.key` is not in it and must be kept apart.
//!
//! A restore never leaves a half-written `till.db`, and refuses rather than guesses:
//! 1. the backup is copied into `DIR` as a temporary file and checked there: `PRAGMA
//!    integrity_check`, then opened as the till opens it (an older backup is migrated, a newer
//!    one refused), then every check of `tillctl db check` (audit chain, whole orders, totals,
//!    line counts, payments, refunds);
//! 2. its sealed secrets must open with this directory's `till.key` (the backup's till's key):
//!    otherwise the till could not read its card hash key after the restore;
//! 3. the current `till.db` is locked exclusively (SQLite's own lock, which every open
//!    connection of a running till holds a share of): if that fails, the till or another
//!    program has it open and the restore stops ("close the till first");
//! 4. under that lock, events the current database has not sent to the server (pending,
//!    sending or parked) stop the restore unless `--force`; then the WAL is folded into the
//!    file, so the replaced database is one self-contained file;
//! 5. the current file is kept as `till.db.replaced-<YYYYMMDDTHHMMSSZ>` (a hard link, so
//!    `till.db` never disappears) and the checked copy renamed over `till.db` in one step.

use crate::error::CliError;
use std::path::{Path, PathBuf};
use std::time::Duration;
use till_core::Clock;
use till_store::backup::{backup_database, BackupOptions, BackupReport};
use till_store::Store;

/// The database's name in a data directory.
const DB_FILE: &str = "till.db";

/// How long the restore waits for the current database's lock before saying the till has it.
const LOCK_WAIT: Duration = Duration::from_secs(2);

/// Takes an online backup of `data_dir/till.db` into `out` (its folder must exist).
pub fn backup(data_dir: &Path, out: &Path) -> Result<BackupReport, CliError> {
    let db = data_dir.join(DB_FILE);
    if !db.is_file() {
        return Err(CliError::Failed(format!("{}: no till database there", db.display())));
    }
    let report = backup_database(&db, out, &BackupOptions::default())?;
    println!(
        "backup: {} ({:.1} MB in {:.1} s, integrity_check ok)",
        report.path.display(),
        report.bytes as f64 / 1e6,
        report.duration.as_secs_f64()
    );
    println!(
        "note: {} is not in the backup; keep a copy of it apart from the backups (see docs/install.md)",
        data_dir.join(till_pos::admin::secrets::KEY_FILE).display()
    );
    Ok(report)
}

/// What a restore did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Restored {
    /// Orders in the restored database.
    pub orders: i64,
    /// Where the database it replaced was kept (none when there was none).
    pub replaced: Option<PathBuf>,
}

/// Restores `from` as `data_dir/till.db` (see the module documentation for the checks).
pub fn restore(data_dir: &Path, from: &Path, force: bool, clock: &dyn Clock) -> Result<Restored, CliError> {
    if !from.is_file() {
        return Err(CliError::Failed(format!("{}: no backup there", from.display())));
    }
    till_store::backup::integrity_check_file(from)
        .map_err(|e| CliError::Failed(format!("{}: the backup fails integrity_check: {e}", from.display())))?;
    println!("backup integrity_check: ok");
    let staged = data_dir.join(format!(".{DB_FILE}.restoring-{}", std::process::id()));
    let outcome = stage(data_dir, from, &staged).and_then(|orders| replace(data_dir, &staged, force, clock, orders));
    if outcome.is_err() {
        remove_with_journals(&staged);
    }
    outcome
}

/// Copies the backup to `staged`, opens and checks it; returns its number of orders.
fn stage(data_dir: &Path, from: &Path, staged: &Path) -> Result<i64, CliError> {
    backup_database(from, staged, &BackupOptions::all_at_once())?;
    let orders = {
        let store = Store::open(staged)?;
        crate::drill::check_store(&store)?;
        check_key(data_dir, &store)?;
        let orders = store.order_count()?;
        store.checkpoint_truncate()?;
        orders
    };
    // One self-contained file again (no -wal beside it) before it becomes till.db.
    let c = rusqlite::Connection::open(staged).map_err(till_store::StoreError::from)?;
    c.pragma_update(None, "journal_mode", "DELETE").map_err(till_store::StoreError::from)?;
    drop(c);
    Ok(orders)
}

/// The backup's sealed card hash key must open with this directory's `till.key`.
fn check_key(data_dir: &Path, store: &Store) -> Result<(), CliError> {
    use till_pos::sale::card::pan_hash::{PURPOSE, SEALED_SETTING};
    let Some(sealed) = store.setting(SEALED_SETTING)? else {
        return Ok(());
    };
    let key_path = data_dir.join(till_pos::admin::secrets::KEY_FILE);
    if !key_path.is_file() {
        return Err(CliError::Failed(format!(
            "{} is missing: put the till.key of the till the backup was taken on there first \
             (backups do not hold it)",
            key_path.display()
        )));
    }
    let secrets = till_pos::admin::secrets::SecretBox::load(&key_path, &mut rand::rngs::OsRng)?;
    let opened = hex::decode(&sealed).ok().map(|bytes| secrets.open(PURPOSE, &bytes));
    match opened {
        Some(Ok(_)) => {
            println!("till.key opens the backup's sealed secrets: ok");
            Ok(())
        }
        _ => Err(CliError::Failed(format!(
            "the backup's secrets were sealed under another till.key than {}: put the till.key of \
             the till the backup was taken on there first",
            key_path.display()
        ))),
    }
}

/// Replaces the current database (if any) by the staged copy, keeping the current one.
fn replace(data_dir: &Path, staged: &Path, force: bool, clock: &dyn Clock, orders: i64) -> Result<Restored, CliError> {
    let db = data_dir.join(DB_FILE);
    let mut replaced = None;
    // Held until the new file is in place: the lock is what tells a running till apart.
    let mut lock = None;
    if db.is_file() {
        let conn = lock_current(&db)?;
        let unsent = unsent_events(&conn)?;
        if unsent > 0 && !force {
            return Err(CliError::Failed(format!(
                "the current database has {unsent} event(s) not yet sent to the server (pending or \
                 parked): let the till send them (tillctl sync status), or pass --force to replace it \
                 anyway (they stay in the kept copy, unsent)"
            )));
        }
        if unsent > 0 {
            println!("--force: {unsent} unsent event(s) stay in the replaced database only");
        }
        // Folds the WAL into the file: the kept copy is one file, and no WAL of the old
        // database is left to be replayed into the new one.
        conn.pragma_update(None, "journal_mode", "DELETE").map_err(till_store::StoreError::from)?;
        let wal = suffixed(&db, "-wal");
        if std::fs::metadata(&wal).map(|m| m.len() > 0).unwrap_or(false) {
            return Err(CliError::Failed(format!("{} could not be folded into the database", wal.display())));
        }
        let keep = suffixed(&db, &format!(".replaced-{}", till_store::upgrade::compact_utc(clock.now_ms())));
        std::fs::hard_link(&db, &keep)?;
        let _ = std::fs::remove_file(suffixed(&db, "-shm"));
        replaced = Some(keep);
        lock = Some(conn);
    }
    std::fs::rename(staged, &db)?;
    if let Ok(folder) = std::fs::File::open(data_dir) {
        let _ = folder.sync_all();
    }
    drop(lock);
    println!("restored: {} ({orders} orders)", db.display());
    if let Some(keep) = &replaced {
        println!("the database it replaced: {}", keep.display());
    }
    Ok(Restored { orders, replaced })
}

/// Takes the current database's lock exclusively, or says who has it.
fn lock_current(db: &Path) -> Result<rusqlite::Connection, CliError> {
    let held = |e: rusqlite::Error| {
        CliError::Failed(format!(
            "{} is in use (the till or another program has it open: {e}); close the till first",
            db.display()
        ))
    };
    let conn = rusqlite::Connection::open(db).map_err(till_store::StoreError::from)?;
    conn.busy_timeout(LOCK_WAIT).map_err(till_store::StoreError::from)?;
    conn.pragma_update(None, "locking_mode", "EXCLUSIVE").map_err(held)?;
    // A write transaction in exclusive locking mode takes the file's EXCLUSIVE lock, which
    // every other connection's shared lock (in WAL mode, held for as long as it is open) blocks.
    conn.execute_batch("BEGIN EXCLUSIVE; COMMIT;").map_err(held)?;
    Ok(conn)
}

/// Events of the outbox not delivered: pending, being sent or parked for a manager.
fn unsent_events(conn: &rusqlite::Connection) -> Result<i64, CliError> {
    let has_outbox: i64 = conn
        .query_row("SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND name = 'outbox'", [], |r| r.get(0))
        .map_err(till_store::StoreError::from)?;
    if has_outbox == 0 {
        return Ok(0);
    }
    Ok(conn
        .query_row("SELECT count(*) FROM outbox WHERE state IN ('pending', 'sending', 'parked')", [], |r| r.get(0))
        .map_err(till_store::StoreError::from)?)
}

fn suffixed(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(suffix);
    PathBuf::from(name)
}

fn remove_with_journals(path: &Path) {
    for suffix in ["", "-journal", "-wal", "-shm"] {
        let _ = std::fs::remove_file(suffixed(path, suffix));
    }
}

#[cfg(test)]
mod tests;
