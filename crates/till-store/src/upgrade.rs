//! Opening a database written by an older Till: a backup first, then every pending migration in
//! one transaction.
//!
//! When [`crate::Store::open`] finds a file below this build's schema version (and not a new,
//! empty one), it copies it to `backups/till-pre-upgrade-v<old>-<YYYYMMDDTHHMMSSZ>.db` beside the
//! database before migrating. If that copy cannot be made the database is not touched and the
//! till does not open ([`StoreError::PreUpgradeBackupFailed`]). The migrations then run in one
//! IMMEDIATE transaction ([`crate::migrations`]): a failing one rolls them all back, the file
//! stays at its old version, and the error ([`StoreError::MigrationFailed`]) names the
//! migration, the version and the backup. The pre-upgrade copy is the second line of defence
//! (a bug that commits a bad migration): restore it with `tillctl restore`.

use crate::backup::{backup_database, BackupOptions};
use crate::{private_fs, Result, StoreError};
use std::path::{Path, PathBuf};
use till_core::calendar::{civil_from_days, DAY_MS};

/// The folder beside the database where backups go (nightly ones and pre-upgrade ones).
pub const BACKUPS_DIR: &str = "backups";

/// The backups folder of the database at `db`.
pub fn backups_dir(db: &Path) -> PathBuf {
    db.parent().unwrap_or(Path::new(".")).join(BACKUPS_DIR)
}

/// `YYYYMMDDTHHMMSSZ` of a time in ms since the epoch (UTC), for file names.
pub fn compact_utc(ms: i64) -> String {
    let (days, secs) = (ms.div_euclid(DAY_MS), ms.rem_euclid(DAY_MS) / 1000);
    let (y, m, d) = civil_from_days(days);
    format!("{y:04}{m:02}{d:02}T{:02}{:02}{:02}Z", secs / 3600, secs / 60 % 60, secs % 60)
}

/// The pre-upgrade backup's path for a file at version `from`, taken at `now_ms`.
pub fn pre_upgrade_path(db: &Path, from: u32, now_ms: i64) -> PathBuf {
    backups_dir(db).join(format!("till-pre-upgrade-v{from}-{}.db", compact_utc(now_ms)))
}

/// Copies the database at `db` (version `from`, about to be upgraded) into the backups folder.
pub(crate) fn pre_upgrade_backup(db: &Path, from: u32, now_ms: i64) -> Result<PathBuf> {
    let folder = backups_dir(db);
    let out = pre_upgrade_path(db, from, now_ms);
    let failed =
        |reason: String| StoreError::PreUpgradeBackupFailed { from, folder: folder.display().to_string(), reason };
    private_fs::create_private_dir_all(&folder).map_err(|e| failed(e.to_string()))?;
    // Nothing else has the file open yet (the till is starting): one step, no pauses.
    backup_database(db, &out, &BackupOptions::all_at_once()).map_err(|e| failed(e.to_string()))?;
    tracing::info!(from, backup = %out.display(), "database copied before the upgrade");
    Ok(out)
}

/// Adds the backup's path to a migration's failure.
pub(crate) fn with_backup(e: StoreError, copy: Option<PathBuf>) -> StoreError {
    match e {
        StoreError::MigrationFailed { version, from, reason, backup: None } => {
            StoreError::MigrationFailed { version, from, reason, backup: copy }
        }
        other => other,
    }
}

#[cfg(test)]
mod tests;
