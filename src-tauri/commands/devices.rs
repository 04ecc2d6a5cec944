//! Device setup for installers, the status lights, and the cashier's Customer button.

use super::{channel_watch, run, CmdResult};
use crate::TillState;
use tauri::ipc::Channel;
use tauri::State;
use till_core::SessionToken;
use till_pos::ipc::devices::DeviceStatus;
use till_pos::ipc::devices::{DeviceAssignment, DeviceRole, DeviceTestResult, DevicesOverview};
use till_pos::ipc::loyalty::CustomerView;

/// The installer's device table (discovered, configured, lights): sent at once and whenever a
/// device comes or goes, a light or the configuration changes. The id stops it.
#[tauri::command]
pub async fn devices_watch(
    till: State<'_, TillState>,
    token: SessionToken,
    on_change: Channel<DevicesOverview>,
) -> CmdResult<u64> {
    run(&till, move |p| p.devices_watch(&token, channel_watch(on_change))).await
}

/// Stops sending the device table to a channel.
#[tauri::command]
pub async fn devices_unwatch(till: State<'_, TillState>, id: u64) -> CmdResult<()> {
    run(&till, move |p| {
        p.devices_unwatch(id);
        Ok(())
    })
    .await
}

/// Assigns a role, driver and serial settings to a device address (installers).
#[tauri::command]
pub async fn device_assign(
    till: State<'_, TillState>,
    token: SessionToken,
    assignment: DeviceAssignment,
) -> CmdResult<DevicesOverview> {
    run(&till, move |p| p.device_assign(&token, &assignment)).await
}

/// Removes the device of a role (installers).
#[tauri::command]
pub async fn device_remove(
    till: State<'_, TillState>,
    token: SessionToken,
    role: DeviceRole,
) -> CmdResult<DevicesOverview> {
    run(&till, move |p| p.device_remove(&token, role)).await
}

/// Tests the device of a role: a swipe, or the terminal's HELLO (installers).
#[tauri::command]
pub async fn device_test(
    till: State<'_, TillState>,
    token: SessionToken,
    role: DeviceRole,
) -> CmdResult<DeviceTestResult> {
    run(&till, move |p| p.device_test(&token, role)).await
}

/// Pairs the points terminal (installers).
#[tauri::command]
pub async fn device_pair(till: State<'_, TillState>, token: SessionToken) -> CmdResult<DeviceTestResult> {
    run(&till, move |p| p.device_pair(&token)).await
}

/// Cancels the caller's wait on a device.
#[tauri::command]
pub async fn device_cancel(till: State<'_, TillState>, token: SessionToken) -> CmdResult<()> {
    run(&till, move |p| p.device_cancel(&token)).await
}

/// The status lights: sent at once and on every change through `on_change`; the id stops it.
#[tauri::command]
pub async fn device_status_watch(
    till: State<'_, TillState>,
    token: SessionToken,
    on_change: Channel<DeviceStatus>,
) -> CmdResult<u64> {
    run(&till, move |p| p.device_status_watch(&token, channel_watch(on_change))).await
}

/// Stops sending the status lights to a channel.
#[tauri::command]
pub async fn device_status_unwatch(till: State<'_, TillState>, id: u64) -> CmdResult<()> {
    run(&till, move |p| {
        p.device_status_unwatch(id);
        Ok(())
    })
    .await
}

/// Asks the points terminal for the customer's phone (cashiers, managers).
#[tauri::command]
pub async fn customer_identify(till: State<'_, TillState>, token: SessionToken) -> CmdResult<CustomerView> {
    run(&till, move |p| p.customer_identify(&token)).await
}

/// The customer identified for the open cart, if any.
#[tauri::command]
pub async fn customer_get(till: State<'_, TillState>, token: SessionToken) -> CmdResult<Option<CustomerView>> {
    run(&till, move |p| p.customer_get(&token)).await
}

/// Forgets the customer of the open cart.
#[tauri::command]
pub async fn customer_clear(till: State<'_, TillState>, token: SessionToken) -> CmdResult<()> {
    run(&till, move |p| p.customer_clear(&token)).await
}
