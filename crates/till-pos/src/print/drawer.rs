//! The cash drawer opened by hand: managers and owners only, with a reason, audited. The kick
//! goes through the print queue like every printout, so it keeps its place behind a receipt
//! being printed; the worker then watches the drawer's state (`DLE EOT 1`).

use crate::admin::permissions::Command;
use crate::error::{PosError, Result};
use crate::ipc::print::PrintStatus;
use crate::Pos;
use serde_json::json;
use till_core::{DeviceRole, SessionToken};
use till_store::{JobKind, NewJob};

impl Pos {
    /// Opens the drawer: `reason` (1 to 200 characters) goes to the audit log with who did it.
    pub fn drawer_open(&self, token: &SessionToken, reason: &str) -> Result<PrintStatus> {
        let s = self.authorize(token, Command::DrawerOpen)?;
        let reason = reason.trim();
        if reason.is_empty() || reason.chars().count() > 200 {
            return Err(PosError::InvalidInput("give a reason for opening the drawer (at most 200 characters)".into()));
        }
        if self.receipt_printer()?.is_none() {
            return Err(PosError::DeviceNotConfigured(DeviceRole::ReceiptPrinter.as_str()));
        }
        let job = NewJob {
            kind: JobKind::Drawer,
            order_id: None,
            refund_id: None,
            payload: None,
            kick_drawer: true,
            lang: self.print_lang()?,
        };
        let now = self.now_ms();
        self.store.write(|tx| {
            let id = till_store::print_queue::enqueue(tx, &job, now)?;
            till_store::audit::append(
                tx,
                now,
                Some(s.user_id),
                "drawer.opened",
                &json!({ "reason": reason, "job_id": id, "role": s.role.as_str() }),
            )
        })?;
        tracing::info!(user = s.user_id, "drawer opened by hand");
        self.devices.printer_wake.notify();
        self.publish_print_status();
        self.print_status_now()
    }
}
