//! Device services: a sold device's record, repairs and software updates.

use super::{run, CmdResult};
use crate::TillState;
use tauri::State;
use till_core::SessionToken;
use till_pos::ipc::device_services::{
    DeviceView, RepairInput, RepairResult, RepairStatusInput, ServiceOrderRow, ServiceOrdersQuery, SoftwareUpdateInput,
};

/// A sold device's record from its identifier.
#[tauri::command]
pub async fn device_lookup(
    till: State<'_, TillState>,
    token: SessionToken,
    identifier: String,
) -> CmdResult<DeviceView> {
    run(&till, move |p| p.device_lookup(&token, &identifier)).await
}

/// Opens a repair and queues its receipt.
#[tauri::command]
pub async fn device_repair_open(
    till: State<'_, TillState>,
    token: SessionToken,
    input: RepairInput,
) -> CmdResult<RepairResult> {
    run(&till, move |p| p.device_repair_open(&token, input)).await
}

/// Moves a repair to its next status.
#[tauri::command]
pub async fn device_repair_status(
    till: State<'_, TillState>,
    token: SessionToken,
    input: RepairStatusInput,
) -> CmdResult<RepairResult> {
    run(&till, move |p| p.device_repair_status(&token, input)).await
}

/// Prints a repair's receipt again.
#[tauri::command]
pub async fn device_repair_reprint(
    till: State<'_, TillState>,
    token: SessionToken,
    service_order_id: i64,
) -> CmdResult<bool> {
    run(&till, move |p| p.device_repair_reprint(&token, service_order_id)).await
}

/// Records a software update.
#[tauri::command]
pub async fn device_software_record(
    till: State<'_, TillState>,
    token: SessionToken,
    input: SoftwareUpdateInput,
) -> CmdResult<DeviceView> {
    run(&till, move |p| p.device_software_record(&token, input)).await
}

/// The repairs opened in a period (back office).
#[tauri::command]
pub async fn service_orders_list(
    till: State<'_, TillState>,
    token: SessionToken,
    query: ServiceOrdersQuery,
) -> CmdResult<Vec<ServiceOrderRow>> {
    run(&till, move |p| p.service_orders_list(&token, query)).await
}
