//! Login screen commands.

use super::{run, CmdResult};
use std::sync::Arc;
use tauri::State;
use till_pos::views::{AppInfo, LoginUser, Session};
use till_pos::Pos;

/// Version, demo mode and demo PINs.
#[tauri::command]
pub async fn app_info(pos: State<'_, Arc<Pos>>) -> CmdResult<AppInfo> {
    run(&pos, |p| p.app_info()).await
}

/// Users to choose from on the login screen.
#[tauri::command]
pub async fn login_users(pos: State<'_, Arc<Pos>>) -> CmdResult<Vec<LoginUser>> {
    run(&pos, |p| p.login_users()).await
}

/// Logs in with a PIN.
#[tauri::command]
pub async fn login(pos: State<'_, Arc<Pos>>, user_id: i64, pin: String) -> CmdResult<Session> {
    run(&pos, move |p| p.login(user_id, &pin)).await
}

/// Logs out.
#[tauri::command]
pub async fn logout(pos: State<'_, Arc<Pos>>, token: String) -> CmdResult<()> {
    run(&pos, move |p| p.logout(&token)).await
}
