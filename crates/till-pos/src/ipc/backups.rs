//! The installer's backup panel: the nightly backup's settings and the last backup's outcome.

use serde::{Deserialize, Serialize};
use ts_rs::TS;

/// The nightly backup's settings, as shown and as saved.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct BackupSettings {
    /// The local hour (0 to 23) the nightly backup runs at.
    pub hour: u8,
    /// The till's local time minus UTC, in minutes (480 for China Standard Time).
    pub utc_offset_minutes: i32,
    /// A second folder each backup is copied to (a mounted USB disk or a network share), or
    /// empty for none. It must exist: the till never creates it (an unmounted disk's empty
    /// mount point is not a backup).
    pub second_target: String,
}

/// How a second copy went.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct SecondTargetOutcome {
    /// The folder.
    pub folder: String,
    /// Whether the copy is there.
    pub ok: bool,
    /// The copy's path, or what went wrong (English).
    pub message: String,
}

/// One backup, as it went.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct BackupRun {
    /// When it finished, ms since the epoch.
    #[ts(type = "number")]
    pub at_ms: i64,
    /// `nightly` or `manual`.
    pub kind: String,
    /// Whether the backup beside the database was written and checked.
    pub ok: bool,
    /// The backup file, when written.
    pub file: Option<String>,
    /// Its size in bytes.
    #[ts(type = "number")]
    pub bytes: u64,
    /// How long it took, ms.
    #[ts(type = "number")]
    pub duration_ms: u64,
    /// What went wrong, when it failed (English).
    pub error: Option<String>,
    /// The second copy, when a second folder is set.
    pub second_target: Option<SecondTargetOutcome>,
}

/// What the panel shows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct BackupStatus {
    /// The folder beside the database where backups go.
    pub folder: String,
    /// The last backup tried, if any.
    pub last: Option<BackupRun>,
    /// When the last good backup finished, ms since the epoch.
    #[ts(type = "number | null")]
    pub last_success_ms: Option<i64>,
    /// When the next nightly backup is due, ms since the epoch.
    #[ts(type = "number")]
    pub next_due_ms: i64,
    /// Whether a backup is running now.
    pub running: bool,
    /// The backup files kept beside the database, newest first.
    pub files: Vec<String>,
}
