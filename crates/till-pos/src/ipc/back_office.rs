//! What the back office sends to the window: order detail, saved files, export progress.

use crate::error::IpcError;
use crate::ipc::views::Receipt;
use serde::Serialize;
use till_store::history::OrderExtras;
use ts_rs::TS;

/// One order as the manager opens it from the history: its receipt and everything recorded
/// about it since.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct OrderDetail {
    /// The receipt, as printed.
    pub receipt: Receipt,
    /// Refunds, points, sync events, audit trail, status.
    pub extras: OrderExtras,
}

/// A file the till wrote for the manager (a report as PDF).
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct SavedFile {
    /// Where it is.
    pub path: String,
    /// Its size.
    #[ts(type = "number")]
    pub bytes: u64,
}

/// Where an export stands.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct ExportStatus {
    /// The job's id.
    pub job_id: String,
    /// Rows written so far.
    #[ts(type = "number")]
    pub rows_written: u64,
    /// Rows the export will write in all.
    #[ts(type = "number")]
    pub total_rows: u64,
    /// Finished: written, cancelled or failed.
    pub done: bool,
    /// Stopped by the manager; its files were removed.
    pub cancelled: bool,
    /// The files written (once done).
    pub files: Vec<String>,
    /// Why it failed, when it did.
    pub error: Option<IpcError>,
}
