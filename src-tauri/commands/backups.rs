//! Backups: the nightly backup's settings, "Back up now" and the last backup's outcome
//! (installers and owners).

use super::{run, CmdResult};
use crate::TillState;
use tauri::State;
use till_core::SessionToken;
use till_pos::ipc::backups::{BackupSettings, BackupStatus};

/// The backup settings.
#[tauri::command]
pub async fn backup_settings_get(till: State<'_, TillState>, token: SessionToken) -> CmdResult<BackupSettings> {
    run(&till, move |p| p.backup_settings_get(&token)).await
}

/// Saves the backup settings.
#[tauri::command]
pub async fn backup_settings_set(
    till: State<'_, TillState>,
    token: SessionToken,
    settings: BackupSettings,
) -> CmdResult<BackupSettings> {
    run(&till, move |p| p.backup_settings_set(&token, settings)).await
}

/// Takes a backup now; answers when it is written and checked.
#[tauri::command]
pub async fn backup_now(till: State<'_, TillState>, token: SessionToken) -> CmdResult<BackupStatus> {
    run(&till, move |p| p.backup_now(&token)).await
}

/// The last backup's outcome, the next one's time and the files kept.
#[tauri::command]
pub async fn backup_status(till: State<'_, TillState>, token: SessionToken) -> CmdResult<BackupStatus> {
    run(&till, move |p| p.backup_status(&token)).await
}
