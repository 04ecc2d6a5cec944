//! User management and the audit log, for managers.

use super::{run, CmdResult};
use crate::TillState;
use tauri::State;
use till_core::SessionToken;
use till_pos::ipc::views::{AuditReport, UserView};

/// All users.
#[tauri::command]
pub async fn users_list(till: State<'_, TillState>, token: SessionToken) -> CmdResult<Vec<UserView>> {
    run(&till, move |p| p.users_list(&token)).await
}

/// Creates a user.
#[tauri::command]
pub async fn user_create(
    till: State<'_, TillState>,
    token: SessionToken,
    name: String,
    role: String,
    pin: String,
) -> CmdResult<UserView> {
    run(&till, move |p| p.user_create(&token, &name, &role, &pin)).await
}

/// Activates or deactivates a user.
#[tauri::command]
pub async fn user_set_active(
    till: State<'_, TillState>,
    token: SessionToken,
    user_id: i64,
    active: bool,
) -> CmdResult<UserView> {
    run(&till, move |p| p.user_set_active(&token, user_id, active)).await
}

/// Sets a user's PIN.
#[tauri::command]
pub async fn user_set_pin(
    till: State<'_, TillState>,
    token: SessionToken,
    user_id: i64,
    pin: String,
) -> CmdResult<UserView> {
    run(&till, move |p| p.user_set_pin(&token, user_id, &pin)).await
}

/// Verifies the audit chain.
#[tauri::command]
pub async fn audit_verify(till: State<'_, TillState>, token: SessionToken) -> CmdResult<AuditReport> {
    run(&till, move |p| p.audit_verify(&token)).await
}
