//! What the window is told about printing: the receipt printer's state, the jobs it holds, the
//! drawer; and what it sends to print a report.

use serde::{Deserialize, Serialize};
use ts_rs::TS;

/// A print job stopped by a fault, waiting for retry, reprint or cancel.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct HeldJob {
    /// The job's id (for cancel and "print on another printer").
    #[ts(type = "number")]
    pub id: i64,
    /// `receipt`, `refund`, `report`, `reprint`, `drawer` or `test`.
    pub kind: String,
    /// The sale's number, when the job prints a sale or a refund of one.
    pub order_no: Option<String>,
    /// The sale's id, for a reprint.
    #[ts(type = "number | null")]
    pub order_id: Option<i64>,
    /// Why it is held: `paper-end`, `cover-open`, `offline`, `error`, `no-answer`,
    /// `unprintable` or `interrupted` (the till stopped while sending it: it may have printed).
    pub fault: String,
    /// The same in plain English.
    pub message: String,
    /// Queued at, ms since the epoch.
    #[ts(type = "number")]
    pub created_at_ms: i64,
}

/// The receipt printer's line on the cashier's screen, pushed whenever it changes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct PrintStatus {
    /// Whether a receipt printer is set up and enabled.
    pub printer_set_up: bool,
    /// Its address.
    pub uri: Option<String>,
    /// What stops it now, as the last job or status check found it (codes as [`HeldJob::fault`]).
    pub fault: Option<String>,
    /// The same in plain English.
    pub fault_message: Option<String>,
    /// The roll is nearly finished.
    pub paper_near_end: bool,
    /// Jobs waiting their turn.
    pub queued: u32,
    /// Jobs stopped by a fault, in order.
    pub held: Vec<HeldJob>,
    /// Since when the printer reports the drawer open, ms since the epoch.
    #[ts(type = "number | null")]
    pub drawer_open_since_ms: Option<i64>,
    /// The drawer has been open longer than the shop allows (`print.drawer_warn_s`).
    pub drawer_warning: bool,
}

/// Which report to print.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "lowercase")]
pub enum PrintReportKind {
    /// The open period's X report, as it is now.
    X,
    /// A closed day's Z report (by its close id).
    Z,
}
