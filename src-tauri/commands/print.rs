//! The receipt printer and the cash drawer: the pushed printer status, retry, reprint, cancel,
//! another printer, reports, the receipt language, and "Open drawer".

use super::{channel_watch, run, CmdResult};
use crate::TillState;
use tauri::ipc::Channel;
use tauri::State;
use till_core::SessionToken;
use till_pos::ipc::print::{PrintReportKind, PrintStatus};

/// The printer's status line: sent at once and whenever it changes. The id stops it.
#[tauri::command]
pub async fn print_status_watch(
    till: State<'_, TillState>,
    token: SessionToken,
    on_change: Channel<PrintStatus>,
) -> CmdResult<u64> {
    run(&till, move |p| p.print_status_watch(&token, channel_watch(on_change))).await
}

/// Stops sending the printer's status to a channel.
#[tauri::command]
pub async fn print_status_unwatch(till: State<'_, TillState>, id: u64) -> CmdResult<()> {
    run(&till, move |p| {
        p.print_status_unwatch(id);
        Ok(())
    })
    .await
}

/// Queues the held print jobs again, once the fault is cleared.
#[tauri::command]
pub async fn print_retry(till: State<'_, TillState>, token: SessionToken) -> CmdResult<PrintStatus> {
    run(&till, move |p| p.print_retry(&token)).await
}

/// Prints a sale's receipt again, marked as a reprint (replacing a held print of it).
#[tauri::command]
pub async fn print_reprint(till: State<'_, TillState>, token: SessionToken, order_id: i64) -> CmdResult<PrintStatus> {
    run(&till, move |p| p.print_reprint(&token, order_id)).await
}

/// Prints a refund's receipt again, marked as a reprint.
#[tauri::command]
pub async fn print_refund_receipt(
    till: State<'_, TillState>,
    token: SessionToken,
    refund_id: i64,
) -> CmdResult<PrintStatus> {
    run(&till, move |p| p.print_refund_receipt(&token, refund_id)).await
}

/// Sets the language receipts print in (`en` or `zh`).
#[tauri::command]
pub async fn print_set_language(till: State<'_, TillState>, token: SessionToken, lang: String) -> CmdResult<()> {
    run(&till, move |p| p.print_set_language(&token, &lang)).await
}

/// Cancels a held or queued print job (managers).
#[tauri::command]
pub async fn print_cancel_job(till: State<'_, TillState>, token: SessionToken, job_id: i64) -> CmdResult<PrintStatus> {
    run(&till, move |p| p.print_cancel_job(&token, job_id)).await
}

/// Prints one held job on another printer (managers).
#[tauri::command]
pub async fn print_on_other(
    till: State<'_, TillState>,
    token: SessionToken,
    job_id: i64,
    uri: String,
) -> CmdResult<PrintStatus> {
    run(&till, move |p| p.print_on_other(&token, job_id, &uri)).await
}

/// Prints the X report now, or a closed day's Z report (managers).
#[tauri::command]
pub async fn print_report(
    till: State<'_, TillState>,
    token: SessionToken,
    kind: PrintReportKind,
    close_id: Option<i64>,
) -> CmdResult<PrintStatus> {
    run(&till, move |p| p.print_report(&token, kind, close_id)).await
}

/// Opens the cash drawer, with a reason for the audit log (managers).
#[tauri::command]
pub async fn drawer_open(till: State<'_, TillState>, token: SessionToken, reason: String) -> CmdResult<PrintStatus> {
    run(&till, move |p| p.drawer_open(&token, &reason)).await
}
