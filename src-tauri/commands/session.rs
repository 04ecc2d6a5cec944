//! Login screen commands.

use super::{run, CmdResult};
use crate::TillState;
use tauri::State;
use till_core::SessionToken;
use till_pos::ipc::views::{AppInfo, LoginUser, Session};

/// Version, demo mode and demo PINs.
#[tauri::command]
pub async fn app_info(till: State<'_, TillState>) -> CmdResult<AppInfo> {
    run(&till, |p| p.app_info()).await
}

/// Users to choose from on the login screen.
#[tauri::command]
pub async fn login_users(till: State<'_, TillState>) -> CmdResult<Vec<LoginUser>> {
    run(&till, |p| p.login_users()).await
}

/// Logs in with a PIN.
#[tauri::command]
pub async fn login(till: State<'_, TillState>, user_id: i64, pin: String) -> CmdResult<Session> {
    run(&till, move |p| p.login(user_id, &pin)).await
}

/// Logs out.
#[tauri::command]
pub async fn logout(till: State<'_, TillState>, token: SessionToken) -> CmdResult<()> {
    run(&till, move |p| p.logout(&token)).await
}
