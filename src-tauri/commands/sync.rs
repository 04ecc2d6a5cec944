//! Sync: the status line (anyone), the manager's parked events, the installer's server
//! settings and Test connection.

use super::{channel_watch, run, CmdResult};
use crate::TillState;
use tauri::ipc::Channel;
use tauri::State;
use till_core::SessionToken;
use till_pos::ipc::sync::{ConnectionTest, SyncSettingsInput, SyncSettingsView};
use till_pos::ipc::sync::{ParkedEventView, SyncStatusView};

/// The sync status line: sent at once and on every change through `on_change`; the id stops it.
#[tauri::command]
pub async fn sync_status_watch(
    till: State<'_, TillState>,
    token: SessionToken,
    on_change: Channel<SyncStatusView>,
) -> CmdResult<u64> {
    run(&till, move |p| p.sync_status_watch(&token, channel_watch(on_change))).await
}

/// Stops sending the sync status line to a channel.
#[tauri::command]
pub async fn sync_status_unwatch(till: State<'_, TillState>, id: u64) -> CmdResult<()> {
    run(&till, move |p| {
        p.sync_status_unwatch(id);
        Ok(())
    })
    .await
}

/// The server settings, never the secret (installers).
#[tauri::command]
pub async fn sync_settings_get(till: State<'_, TillState>, token: SessionToken) -> CmdResult<SyncSettingsView> {
    run(&till, move |p| p.sync_settings_get(&token)).await
}

/// Saves the server settings and restarts syncing (installers).
#[tauri::command]
pub async fn sync_settings_set(
    till: State<'_, TillState>,
    token: SessionToken,
    settings: SyncSettingsInput,
) -> CmdResult<SyncSettingsView> {
    run(&till, move |p| p.sync_settings_set(&token, settings)).await
}

/// Forgets the server settings; refused while events wait (installers).
#[tauri::command]
pub async fn sync_settings_clear(till: State<'_, TillState>, token: SessionToken) -> CmdResult<SyncSettingsView> {
    run(&till, move |p| p.sync_settings_clear(&token)).await
}

/// A signed ping to each configured server, each failure named (installers).
#[tauri::command]
pub async fn sync_test_connection(till: State<'_, TillState>, token: SessionToken) -> CmdResult<ConnectionTest> {
    run(&till, move |p| p.sync_test_connection(&token)).await
}

/// Parked events, oldest first (managers).
#[tauri::command]
pub async fn sync_parked_list(till: State<'_, TillState>, token: SessionToken) -> CmdResult<Vec<ParkedEventView>> {
    run(&till, move |p| p.sync_parked_list(&token)).await
}

/// Sends a parked event again (managers).
#[tauri::command]
pub async fn sync_parked_retry(
    till: State<'_, TillState>,
    token: SessionToken,
    event_id: String,
) -> CmdResult<Vec<ParkedEventView>> {
    run(&till, move |p| p.sync_parked_retry(&token, &event_id)).await
}

/// Gives a parked event up, with the manager's PIN (managers).
#[tauri::command]
pub async fn sync_parked_discard(
    till: State<'_, TillState>,
    token: SessionToken,
    event_id: String,
    manager_pin: String,
) -> CmdResult<Vec<ParkedEventView>> {
    run(&till, move |p| p.sync_parked_discard(&token, &event_id, manager_pin)).await
}
