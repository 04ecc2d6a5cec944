//! The manager's back office: history, order detail, reprint, end-of-day reports, charts,
//! exports, the catalogue and the audit log.

use super::{run, CmdResult};
use crate::TillState;
use tauri::State;
use till_core::{OrderId, SessionToken};
use till_pos::ipc::back_office::ExportStatus;
use till_pos::ipc::back_office::{OrderDetail, SavedFile};
use till_pos::ipc::views::{LoginUser, Receipt};
use till_store::audit_view::AuditPage;
use till_store::catalogue_admin::{ProductAdminView, ProductInput};
use till_store::catalogue_import::{ImportOutcome, ImportPreview};
use till_store::charts::ChartData;
use till_store::export::ExportKind;
use till_store::history::{HistoryCount, HistoryPage, HistoryQuery};
use till_store::reports::{ClosedDay, DayReport};

/// One page of the history.
#[tauri::command]
pub async fn history_search(
    till: State<'_, TillState>,
    token: SessionToken,
    query: HistoryQuery,
    cursor: Option<String>,
    limit: u32,
) -> CmdResult<HistoryPage> {
    run(&till, move |p| p.history_search(&token, &query, cursor.as_deref(), limit)).await
}

/// How many rows the history query has (capped).
#[tauri::command]
pub async fn history_count(
    till: State<'_, TillState>,
    token: SessionToken,
    query: HistoryQuery,
) -> CmdResult<HistoryCount> {
    run(&till, move |p| p.history_count(&token, &query)).await
}

/// The users the cashier filter offers.
#[tauri::command]
pub async fn history_cashiers(till: State<'_, TillState>, token: SessionToken) -> CmdResult<Vec<LoginUser>> {
    run(&till, move |p| p.history_cashiers(&token)).await
}

/// An order with everything recorded about it.
#[tauri::command]
pub async fn order_detail(
    till: State<'_, TillState>,
    token: SessionToken,
    order_id: OrderId,
) -> CmdResult<OrderDetail> {
    run(&till, move |p| p.order_detail(&token, order_id)).await
}

/// A past order's receipt, to print again (audited).
#[tauri::command]
pub async fn receipt_reprint(till: State<'_, TillState>, token: SessionToken, order_id: OrderId) -> CmdResult<Receipt> {
    run(&till, move |p| p.receipt_reprint(&token, order_id)).await
}

/// The X report of the open period.
#[tauri::command]
pub async fn report_x(till: State<'_, TillState>, token: SessionToken) -> CmdResult<DayReport> {
    run(&till, move |p| p.report_x(&token)).await
}

/// Closes the day (Z report).
#[tauri::command]
pub async fn report_z(
    till: State<'_, TillState>,
    token: SessionToken,
    business_date: String,
    cash_counted_minor: i64,
) -> CmdResult<DayReport> {
    run(&till, move |p| p.report_z(&token, &business_date, cash_counted_minor)).await
}

/// The closed days, newest first.
#[tauri::command]
pub async fn report_closed_list(till: State<'_, TillState>, token: SessionToken) -> CmdResult<Vec<ClosedDay>> {
    run(&till, move |p| p.report_closed_list(&token)).await
}

/// A closed day's Z report as it was closed.
#[tauri::command]
pub async fn report_closed_get(till: State<'_, TillState>, token: SessionToken, close_id: i64) -> CmdResult<DayReport> {
    run(&till, move |p| p.report_closed_get(&token, close_id)).await
}

/// Saves a report as PDF (a closed day's, or the X report of now).
#[tauri::command]
pub async fn report_pdf(
    till: State<'_, TillState>,
    token: SessionToken,
    close_id: Option<i64>,
) -> CmdResult<SavedFile> {
    run(&till, move |p| p.report_pdf(&token, close_id)).await
}

/// Sales over time, top products, refund rate, against the previous period.
#[tauri::command]
pub async fn charts_get(
    till: State<'_, TillState>,
    token: SessionToken,
    from_ms: i64,
    to_ms: i64,
    bucket: String,
    utc_offset_minutes: i32,
) -> CmdResult<ChartData> {
    run(&till, move |p| p.charts_get(&token, from_ms, to_ms, &bucket, utc_offset_minutes)).await
}

/// Starts a CSV export in the background.
#[tauri::command]
pub async fn export_start(
    till: State<'_, TillState>,
    token: SessionToken,
    from_ms: i64,
    to_ms: i64,
    kinds: Vec<ExportKind>,
) -> CmdResult<ExportStatus> {
    run(&till, move |p| p.export_start(&token, from_ms, to_ms, &kinds)).await
}

/// Where an export stands.
#[tauri::command]
pub async fn export_status(till: State<'_, TillState>, token: SessionToken, job_id: String) -> CmdResult<ExportStatus> {
    run(&till, move |p| p.export_status(&token, &job_id)).await
}

/// Stops an export.
#[tauri::command]
pub async fn export_cancel(till: State<'_, TillState>, token: SessionToken, job_id: String) -> CmdResult<ExportStatus> {
    run(&till, move |p| p.export_cancel(&token, &job_id)).await
}

/// Products for the catalogue screen.
#[tauri::command]
pub async fn catalogue_list(
    till: State<'_, TillState>,
    token: SessionToken,
    query: String,
    include_inactive: bool,
    offset: u32,
    limit: u32,
) -> CmdResult<Vec<ProductAdminView>> {
    run(&till, move |p| p.catalogue_list(&token, &query, include_inactive, offset, limit)).await
}

/// Adds a product.
#[tauri::command]
pub async fn product_create(
    till: State<'_, TillState>,
    token: SessionToken,
    input: ProductInput,
) -> CmdResult<ProductAdminView> {
    run(&till, move |p| p.product_create(&token, &input)).await
}

/// Changes a product.
#[tauri::command]
pub async fn product_update(
    till: State<'_, TillState>,
    token: SessionToken,
    product_id: i64,
    input: ProductInput,
) -> CmdResult<ProductAdminView> {
    run(&till, move |p| p.product_update(&token, product_id, &input)).await
}

/// Takes a product off sale or back on.
#[tauri::command]
pub async fn product_set_active(
    till: State<'_, TillState>,
    token: SessionToken,
    product_id: i64,
    active: bool,
) -> CmdResult<ProductAdminView> {
    run(&till, move |p| p.product_set_active(&token, product_id, active)).await
}

/// What a catalogue import would do.
#[tauri::command]
pub async fn catalogue_import_preview(
    till: State<'_, TillState>,
    token: SessionToken,
    file_base64: String,
) -> CmdResult<ImportPreview> {
    run(&till, move |p| p.catalogue_import_preview(&token, &file_base64)).await
}

/// Imports a catalogue CSV.
#[tauri::command]
pub async fn catalogue_import_apply(
    till: State<'_, TillState>,
    token: SessionToken,
    file_base64: String,
) -> CmdResult<ImportOutcome> {
    run(&till, move |p| p.catalogue_import_apply(&token, &file_base64)).await
}

/// A page of the audit log.
#[tauri::command]
pub async fn audit_list(
    till: State<'_, TillState>,
    token: SessionToken,
    before_id: Option<i64>,
    limit: u32,
) -> CmdResult<AuditPage> {
    run(&till, move |p| p.audit_list(&token, before_id, limit)).await
}
