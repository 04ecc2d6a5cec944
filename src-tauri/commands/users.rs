//! User management and the audit log, for managers.

use super::{run, CmdResult};
use std::sync::Arc;
use tauri::State;
use till_pos::views::{AuditReport, UserView};
use till_pos::Pos;

/// All users.
#[tauri::command]
pub async fn users_list(pos: State<'_, Arc<Pos>>, token: String) -> CmdResult<Vec<UserView>> {
    run(&pos, move |p| p.users_list(&token)).await
}

/// Creates a user.
#[tauri::command]
pub async fn user_create(
    pos: State<'_, Arc<Pos>>,
    token: String,
    name: String,
    role: String,
    pin: String,
) -> CmdResult<UserView> {
    run(&pos, move |p| p.user_create(&token, &name, &role, &pin)).await
}

/// Activates or deactivates a user.
#[tauri::command]
pub async fn user_set_active(
    pos: State<'_, Arc<Pos>>,
    token: String,
    user_id: i64,
    active: bool,
) -> CmdResult<UserView> {
    run(&pos, move |p| p.user_set_active(&token, user_id, active)).await
}

/// Sets a user's PIN.
#[tauri::command]
pub async fn user_set_pin(pos: State<'_, Arc<Pos>>, token: String, user_id: i64, pin: String) -> CmdResult<UserView> {
    run(&pos, move |p| p.user_set_pin(&token, user_id, &pin)).await
}

/// Verifies the audit chain.
#[tauri::command]
pub async fn audit_verify(pos: State<'_, Arc<Pos>>, token: String) -> CmdResult<AuditReport> {
    run(&pos, move |p| p.audit_verify(&token)).await
}
