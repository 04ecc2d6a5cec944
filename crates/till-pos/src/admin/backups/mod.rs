//! Backups of the till's database: the nightly one, the installer's "Back up now", the optional
//! second copy, retention, and the outcome the installer's panel shows.
//!
//! Each backup is an online copy ([`till_store::backup`]) into `backups/till-YYYY-MM-DD.db`
//! beside the database (folder 0700, file 0600; the local date by the till's clock and UTC
//! offset), so the till keeps selling while it runs. Retention then keeps the seven newest and
//! the newest of each of the four most recent ISO weeks ([`schedule::to_keep`]); pre-upgrade
//! copies and other files are never touched. When the installer has set a second folder (a
//! mounted USB disk, a network share), the file is copied there too and the same retention
//! applies there. A missing or unwritable second folder is reported in the status and the audit
//! log, never fatal: the backup beside the database stands.
//!
//! The settings and the last outcome live in the settings table (`backup.*`), so they survive
//! a restart. The nightly schedule runs on its own thread ([`worker`]).

pub mod schedule;
pub mod worker;

use crate::admin::permissions::Command;
use crate::error::{PosError, Result};
use crate::ipc::backups::{BackupRun, BackupSettings, BackupStatus, SecondTargetOutcome};
use crate::mutex::lock;
use crate::Pos;
use serde_json::json;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Condvar, Mutex};
use till_core::SessionToken;
use till_store::backup::{backup_database, BackupOptions};
use till_store::{private_fs, StoreError};

const HOUR: &str = "backup.hour";
const OFFSET: &str = "backup.utc_offset_minutes";
const SECOND_TARGET: &str = "backup.second_target";
const LAST_RUN: &str = "backup.last_run";
const LAST_SUCCESS: &str = "backup.last_success_ms";
const LAST_FAILURE: &str = "backup.last_failure_ms";

/// The nightly hour when none is set: 03:00 local.
pub const DEFAULT_HOUR: u8 = 3;

/// The backups' own state in the till: one backup at a time, and the worker's wake-up call.
#[derive(Default)]
pub(crate) struct Backups {
    /// Held while a backup runs.
    running: Mutex<()>,
    /// Set to wake the worker early (new settings); with its condition variable.
    pub(crate) wake: Arc<(Mutex<bool>, Condvar)>,
}

/// Who asked for a backup.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BackupKind {
    /// The schedule.
    Nightly,
    /// Someone pressed "Back up now".
    Manual,
}

impl BackupKind {
    fn name(self) -> &'static str {
        match self {
            BackupKind::Nightly => "nightly",
            BackupKind::Manual => "manual",
        }
    }
}

impl Pos {
    /// The folder beside the database where backups go.
    pub fn backups_folder(&self) -> PathBuf {
        till_store::upgrade::backups_dir(self.store.path())
    }

    /// The stored settings (defaults where none are stored).
    pub(crate) fn backup_settings(&self) -> Result<BackupSettings> {
        let number = |key: &str| -> Result<Option<i64>> { Ok(self.store.setting(key)?.and_then(|v| v.parse().ok())) };
        Ok(BackupSettings {
            hour: number(HOUR)?.and_then(|h| u8::try_from(h).ok()).filter(|h| *h < 24).unwrap_or(DEFAULT_HOUR),
            utc_offset_minutes: number(OFFSET)?.and_then(|m| i32::try_from(m).ok()).unwrap_or(0),
            second_target: self.store.setting(SECOND_TARGET)?.unwrap_or_default(),
        })
    }

    /// The backup settings (installers and owners).
    pub fn backup_settings_get(&self, token: &SessionToken) -> Result<BackupSettings> {
        self.authorize(token, Command::BackupSettingsGet)?;
        self.backup_settings()
    }

    /// Saves the backup settings (installers and owners), audited; the worker looks again.
    pub fn backup_settings_set(&self, token: &SessionToken, settings: BackupSettings) -> Result<BackupSettings> {
        let s = self.authorize(token, Command::BackupSettingsSet)?;
        if settings.hour > 23 {
            return Err(PosError::InvalidInput("the backup hour must be 0 to 23".into()));
        }
        if !(-14 * 60..=14 * 60).contains(&settings.utc_offset_minutes) {
            return Err(PosError::InvalidInput("the UTC offset must be within ±14 hours".into()));
        }
        let target = settings.second_target.trim().to_string();
        if !target.is_empty() && !Path::new(&target).is_absolute() {
            return Err(PosError::InvalidInput("the second backup folder must be an absolute path".into()));
        }
        let now = self.now_ms();
        self.store.write(|tx| {
            till_store::settings::put(tx, HOUR, &settings.hour.to_string())?;
            till_store::settings::put(tx, OFFSET, &settings.utc_offset_minutes.to_string())?;
            till_store::settings::put(tx, SECOND_TARGET, &target)?;
            till_store::audit::append(
                tx,
                now,
                Some(s.user_id),
                "backup.settings_changed",
                &json!({ "hour": settings.hour, "utc_offset_minutes": settings.utc_offset_minutes,
                         "second_target": target }),
            )?;
            Ok(())
        })?;
        self.wake_backups();
        self.backup_settings()
    }

    /// Takes a backup now (installers and owners) and answers how it went.
    pub fn backup_now(&self, token: &SessionToken) -> Result<BackupStatus> {
        let s = self.authorize(token, Command::BackupNow)?;
        let run = self.run_backup(BackupKind::Manual, Some(s.user_id))?;
        if let Some(e) = &run.error {
            return Err(PosError::Store(StoreError::Io(format!("the backup failed: {e}"))));
        }
        self.backup_status_view()
    }

    /// The last backup's outcome, the next one's time and the files kept (installers and owners).
    pub fn backup_status(&self, token: &SessionToken) -> Result<BackupStatus> {
        self.authorize(token, Command::BackupStatus)?;
        self.backup_status_view()
    }

    pub(crate) fn backup_status_view(&self) -> Result<BackupStatus> {
        let settings = self.backup_settings()?;
        let last_success_ms = self.store.setting(LAST_SUCCESS)?.and_then(|v| v.parse().ok());
        let last = self.store.setting(LAST_RUN)?.and_then(|v| serde_json::from_str(&v).ok());
        let folder = self.backups_folder();
        let mut files: Vec<String> = backup_files(&folder).into_iter().map(|(_, name)| name).collect();
        files.sort_unstable_by(|a, b| b.cmp(a));
        Ok(BackupStatus {
            folder: folder.display().to_string(),
            last,
            last_success_ms,
            next_due_ms: schedule::next_due_ms(
                self.now_ms(),
                settings.hour,
                settings.utc_offset_minutes,
                last_success_ms,
            ),
            running: self.backups.running.try_lock().is_err(),
            files,
        })
    }

    /// Runs the nightly backup when it is due; returns the run when there was one.
    pub(crate) fn backup_if_due(&self) -> Result<Option<BackupRun>> {
        let settings = self.backup_settings()?;
        let number = |key: &str| -> Result<Option<i64>> { Ok(self.store.setting(key)?.and_then(|v| v.parse().ok())) };
        let due = schedule::is_due(
            self.now_ms(),
            settings.hour,
            settings.utc_offset_minutes,
            number(LAST_SUCCESS)?,
            number(LAST_FAILURE)?,
        );
        if !due {
            return Ok(None);
        }
        self.run_backup(BackupKind::Nightly, None).map(Some)
    }

    /// One backup: the copy beside the database, retention, the second copy; the outcome stored
    /// and audited. Errs only when another backup is running or the outcome cannot be stored;
    /// a failed copy is an outcome (`ok: false`).
    pub(crate) fn run_backup(&self, kind: BackupKind, actor: Option<i64>) -> Result<BackupRun> {
        let _running = self
            .backups
            .running
            .try_lock()
            .map_err(|_| PosError::Store(StoreError::Conflict("a backup is running already".into())))?;
        let settings = self.backup_settings()?;
        let folder = self.backups_folder();
        let name = schedule::file_name(schedule::local_day(self.now_ms(), settings.utc_offset_minutes));
        let out = folder.join(&name);
        let written = private_fs::create_private_dir_all(&folder)
            .map_err(|e| StoreError::Io(format!("{}: {e}", folder.display())))
            .and_then(|()| backup_database(self.store.path(), &out, &BackupOptions::default()));
        let at_ms = self.now_ms();
        let mut run = BackupRun {
            at_ms,
            kind: kind.name().into(),
            ok: false,
            file: None,
            bytes: 0,
            duration_ms: 0,
            error: None,
            second_target: None,
        };
        match written {
            Ok(report) => {
                run.ok = true;
                run.file = Some(report.path.display().to_string());
                run.bytes = report.bytes;
                run.duration_ms = u64::try_from(report.duration.as_millis()).unwrap_or(u64::MAX);
                prune(&folder);
                let target = settings.second_target.trim();
                if !target.is_empty() {
                    run.second_target = Some(copy_to_second_target(&out, Path::new(target), &name));
                }
            }
            Err(e) => run.error = Some(e.to_string()),
        }
        self.record_run(&run, actor)?;
        Ok(run)
    }

    /// Stores the outcome and writes it to the audit log (and the log file).
    fn record_run(&self, run: &BackupRun, actor: Option<i64>) -> Result<()> {
        match (&run.error, &run.second_target) {
            (Some(e), _) => tracing::error!(kind = %run.kind, "backup failed: {e}"),
            (None, Some(t)) if !t.ok => {
                tracing::warn!(folder = %t.folder, "backup's second copy failed: {}", t.message)
            }
            _ => tracing::info!(kind = %run.kind, file = ?run.file, bytes = run.bytes, "backup written"),
        }
        let stored = serde_json::to_string(run).map_err(|e| PosError::Internal(e.to_string()))?;
        self.store.write(|tx| {
            till_store::settings::put(tx, LAST_RUN, &stored)?;
            let key = if run.ok { LAST_SUCCESS } else { LAST_FAILURE };
            till_store::settings::put(tx, key, &run.at_ms.to_string())?;
            let action = if run.ok { "backup.written" } else { "backup.failed" };
            let detail = json!({ "kind": run.kind, "file": run.file, "bytes": run.bytes, "error": run.error });
            till_store::audit::append(tx, run.at_ms, actor, action, &detail)?;
            if let Some(t) = run.second_target.as_ref().filter(|t| !t.ok) {
                let detail = json!({ "folder": t.folder, "error": t.message });
                till_store::audit::append(tx, run.at_ms, actor, "backup.second_target_failed", &detail)?;
            }
            Ok(())
        })?;
        Ok(())
    }

    fn wake_backups(&self) {
        let (flag, cv) = &*self.backups.wake;
        *lock(flag) = true;
        cv.notify_all();
    }
}

/// The `till-YYYY-MM-DD.db` files in `folder`, with their day.
fn backup_files(folder: &Path) -> Vec<(i64, String)> {
    let Ok(entries) = std::fs::read_dir(folder) else { return Vec::new() };
    entries
        .flatten()
        .filter_map(|e| {
            let name = e.file_name().into_string().ok()?;
            schedule::parse_file_name(&name).map(|day| (day, name))
        })
        .collect()
}

/// Deletes the backups retention does not keep. Failures are logged: a file left behind is
/// only space.
fn prune(folder: &Path) {
    let files = backup_files(folder);
    let days: Vec<i64> = files.iter().map(|(d, _)| *d).collect();
    let keep = schedule::to_keep(&days);
    for (day, name) in files {
        if !keep.contains(&day) {
            let path = folder.join(&name);
            match std::fs::remove_file(&path) {
                Ok(()) => tracing::info!(file = %path.display(), "old backup removed"),
                Err(e) => tracing::warn!(file = %path.display(), "old backup not removed: {e}"),
            }
        }
    }
}

/// Copies the backup to the second folder (temporary name, fsync, rename), then applies
/// retention there. The folder must exist already.
fn copy_to_second_target(backup: &Path, folder: &Path, name: &str) -> SecondTargetOutcome {
    let outcome = |ok, message: String| SecondTargetOutcome { folder: folder.display().to_string(), ok, message };
    if !folder.is_dir() {
        return outcome(false, format!("{} is not there (is the disk mounted?)", folder.display()));
    }
    let out = folder.join(name);
    let temp = folder.join(format!(".{name}.partial"));
    let copied = (|| -> std::io::Result<()> {
        let mut from = std::fs::File::open(backup)?;
        let mut to = private_fs::private_file_options().write(true).create(true).truncate(true).open(&temp)?;
        std::io::copy(&mut from, &mut to)?;
        to.sync_all()?;
        std::fs::rename(&temp, &out)?;
        if let Ok(dir) = std::fs::File::open(folder) {
            // Some shares refuse to sync a folder; the file itself is synced.
            let _ = dir.sync_all();
        }
        Ok(())
    })();
    match copied {
        Ok(()) => {
            prune(folder);
            outcome(true, out.display().to_string())
        }
        Err(e) => {
            let _ = std::fs::remove_file(&temp);
            outcome(false, format!("cannot write to {}: {e}", folder.display()))
        }
    }
}

#[cfg(test)]
mod tests;
