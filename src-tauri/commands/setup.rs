//! First-run setup commands: the shop profile and the first owner and installer (before anyone
//! exists), then the steps the installer passes.

use super::{run, CmdResult};
use crate::TillState;
use tauri::State;
use till_core::SessionToken;
use till_pos::ipc::setup::{EnrolmentInput, FirstPeopleInput, SetupStatus, SetupStep, ShopProfile};
use till_pos::ipc::sync::SyncSettingsView;

/// Where the setup stands.
#[tauri::command]
pub async fn setup_status(till: State<'_, TillState>) -> CmdResult<SetupStatus> {
    run(&till, |p| p.setup_status()).await
}

/// The setup's first step: the shop profile, with no session.
#[tauri::command]
pub async fn setup_shop_save(till: State<'_, TillState>, profile: ShopProfile) -> CmdResult<ShopProfile> {
    run(&till, move |p| p.setup_shop_save(profile)).await
}

/// The setup's second step: the owner and the installer, with no session.
#[tauri::command]
pub async fn setup_first_people(till: State<'_, TillState>, input: FirstPeopleInput) -> CmdResult<()> {
    run(&till, move |p| p.setup_first_people(input)).await
}

/// Marks a later step passed (configured or left for later).
#[tauri::command]
pub async fn setup_pass(till: State<'_, TillState>, token: SessionToken, step: SetupStep) -> CmdResult<SetupStatus> {
    run(&till, move |p| p.setup_pass(&token, step)).await
}

/// Changes the shop profile (owners, installers).
#[tauri::command]
pub async fn shop_profile_set(
    till: State<'_, TillState>,
    token: SessionToken,
    profile: ShopProfile,
) -> CmdResult<ShopProfile> {
    run(&till, move |p| p.shop_profile_set(&token, profile)).await
}

/// Exchanges a one-time enrolment code for this till's server settings (installers).
#[tauri::command]
pub async fn sync_enrol(
    till: State<'_, TillState>,
    token: SessionToken,
    input: EnrolmentInput,
) -> CmdResult<SyncSettingsView> {
    run(&till, move |p| p.sync_enrol(&token, input)).await
}
