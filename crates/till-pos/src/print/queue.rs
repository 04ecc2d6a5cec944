//! What the cashier and the manager do with the print queue: watch the printer's status,
//! retry held jobs, reprint a sale's receipt, cancel a held job, print one job on another
//! printer, print an X or Z report, and choose the language receipts print in.

use super::worker::fault_message;
use crate::admin::permissions::Command;
use crate::error::{PosError, Result};
use crate::ipc::print::{HeldJob, PrintReportKind, PrintStatus};
use crate::ipc::watch::Watch;
use crate::mutex::lock;
use crate::Pos;
use serde_json::json;
use till_core::{DeviceRole, SessionToken};
use till_devices::DeviceAddress;
use till_store::print_queue::LANG_SETTING;
use till_store::{JobKind, JobState, NewJob};

/// The setting: seconds the drawer may stay open before the till warns (30 unless set).
pub const DRAWER_WARN_SETTING: &str = "print.drawer_warn_s";
/// The drawer warning's default, seconds.
pub const DRAWER_WARN_DEFAULT_S: i64 = 30;

impl Pos {
    /// The printer's status now.
    pub fn print_status(&self, token: &SessionToken) -> Result<PrintStatus> {
        self.authorize(token, Command::PrintStatusWatch)?;
        self.print_status_now()
    }

    /// The printer's status, told to `watch` now and whenever it changes, until
    /// [`Pos::print_status_unwatch`].
    pub fn print_status_watch(&self, token: &SessionToken, watch: Watch<PrintStatus>) -> Result<u64> {
        self.authorize(token, Command::PrintStatusWatch)?;
        watch(&self.print_status_now()?);
        Ok(self.print.watchers.add(watch))
    }

    /// Stops telling a listener of the printer. Needs no live session.
    pub fn print_status_unwatch(&self, id: u64) {
        self.print.watchers.remove(id);
    }

    pub(crate) fn print_status_now(&self) -> Result<PrintStatus> {
        let printer = self.receipt_printer()?;
        let jobs = self.store.print_open_jobs()?;
        let live = lock(&self.print.live).clone();
        let warn_s = self
            .store
            .setting(DRAWER_WARN_SETTING)?
            .and_then(|v| v.parse::<i64>().ok())
            .filter(|s| *s > 0)
            .unwrap_or(DRAWER_WARN_DEFAULT_S);
        let now = self.now_ms();
        Ok(PrintStatus {
            printer_set_up: printer.is_some(),
            uri: printer.map(|p| p.uri),
            fault_message: live.fault.as_deref().map(fault_message),
            fault: live.fault,
            paper_near_end: live.paper_near_end,
            queued: jobs.iter().filter(|j| j.state != JobState::Held).count() as u32,
            held: jobs
                .iter()
                .filter(|j| j.state == JobState::Held)
                .map(|j| {
                    let fault = j.fault.clone().unwrap_or_default();
                    HeldJob {
                        id: j.id,
                        kind: j.kind.as_str().to_string(),
                        order_no: j.order_no.clone(),
                        order_id: j.order_id,
                        message: fault_message(&fault),
                        fault,
                        created_at_ms: j.created_at_ms,
                    }
                })
                .collect(),
            drawer_open_since_ms: live.drawer_open_since_ms,
            drawer_warning: live.drawer_open_since_ms.is_some_and(|since| now - since > warn_s * 1000),
        })
    }

    /// Tells the listeners the printer's status when it differs from what they were told last.
    pub(crate) fn publish_print_status(&self) {
        let status = match self.print_status_now() {
            Ok(s) => s,
            Err(e) => {
                tracing::warn!("print status not read: {e}");
                return;
            }
        };
        let mut last = lock(&self.print.last);
        if last.as_ref() != Some(&status) {
            *last = Some(status.clone());
            drop(last);
            self.print.watchers.send(&status);
        }
    }

    /// The language receipts print in for a new job.
    pub(crate) fn print_lang(&self) -> Result<String> {
        Ok(if self.store.setting(LANG_SETTING)?.as_deref() == Some("zh") { "zh" } else { "en" }.to_string())
    }

    /// Sets the language receipts print in (`en` or `zh`): the cashier's language, told by the
    /// screen when it changes.
    pub fn print_set_language(&self, token: &SessionToken, lang: &str) -> Result<()> {
        self.authorize(token, Command::PrintSetLanguage)?;
        if !matches!(lang, "en" | "zh") {
            return Err(PosError::InvalidInput(format!("receipts print in en or zh, not {lang:?}")));
        }
        self.store.set_setting(LANG_SETTING, lang)?;
        Ok(())
    }

    fn require_printer(&self) -> Result<()> {
        match self.receipt_printer()? {
            Some(_) => Ok(()),
            None => Err(PosError::DeviceNotConfigured(DeviceRole::ReceiptPrinter.as_str())),
        }
    }

    fn queue_job(&self, user_id: i64, job: NewJob, action: &str, detail: serde_json::Value) -> Result<i64> {
        let now = self.now_ms();
        let id = self.store.write(|tx| {
            let id = till_store::print_queue::enqueue(tx, &job, now)?;
            let mut detail = detail;
            detail["job_id"] = json!(id);
            till_store::audit::append(tx, now, Some(user_id), action, &detail)?;
            Ok(id)
        })?;
        self.devices.printer_wake.notify();
        self.publish_print_status();
        Ok(id)
    }

    /// Queues every held job again (the cashier cleared the fault). A job held as
    /// `interrupted` stays held: it may have printed, so it is reprinted or cancelled by hand.
    pub fn print_retry(&self, token: &SessionToken) -> Result<PrintStatus> {
        self.authorize(token, Command::PrintRetry)?;
        let n = self.store.print_retry_held()?;
        tracing::info!(jobs = n, "held print jobs queued again");
        lock(&self.print.live).fault = None;
        self.devices.printer_wake.notify();
        self.publish_print_status();
        self.print_status_now()
    }

    /// Prints a sale's receipt again, marked as a reprint. Audited.
    pub fn print_reprint(&self, token: &SessionToken, order_id: i64) -> Result<PrintStatus> {
        let s = self.authorize(token, Command::PrintReprint)?;
        self.require_printer()?;
        let order = self.store.order(order_id)?;
        let job = NewJob {
            kind: JobKind::Reprint,
            order_id: Some(order.id),
            refund_id: None,
            payload: None,
            kick_drawer: false,
            lang: self.print_lang()?,
        };
        let now = self.now_ms();
        // The reprint replaces a held print of the same sale (one stopped by a fault, or
        // interrupted): that one is cancelled in the same commit, so the sale prints once more
        // and the queue goes on.
        let replaced = self.store.write(|tx| {
            let replaced = till_store::print_queue::cancel_held_of_order(tx, order.id)?;
            let id = till_store::print_queue::enqueue(tx, &job, now)?;
            till_store::audit::append(
                tx,
                now,
                Some(s.user_id),
                "print.reprint",
                &json!({ "order_id": order.id, "job_id": id, "replaced": replaced }),
            )?;
            Ok(replaced)
        })?;
        if !replaced.is_empty() {
            lock(&self.print.live).fault = None;
        }
        self.devices.printer_wake.notify();
        self.publish_print_status();
        self.print_status_now()
    }

    /// Prints a refund's receipt again, marked as a reprint. Audited.
    pub fn print_refund_receipt(&self, token: &SessionToken, refund_id: i64) -> Result<PrintStatus> {
        let s = self.authorize(token, Command::PrintRefundReceipt)?;
        self.require_printer()?;
        self.store.refund_summary(refund_id)?;
        let job = NewJob {
            kind: JobKind::Refund,
            order_id: None,
            refund_id: Some(refund_id),
            payload: Some(json!({ "reprint": true }).to_string()),
            kick_drawer: false,
            lang: self.print_lang()?,
        };
        self.queue_job(s.user_id, job, "print.reprint", json!({ "refund_id": refund_id }))?;
        self.print_status_now()
    }

    /// Cancels a held or queued job (it was reprinted, or is not wanted). Audited.
    pub fn print_cancel_job(&self, token: &SessionToken, job_id: i64) -> Result<PrintStatus> {
        let s = self.authorize(token, Command::PrintCancelJob)?;
        let job = self.store.print_cancel(job_id)?;
        self.store.audit(
            self.now_ms(),
            Some(s.user_id),
            "print.cancelled",
            &json!({ "job_id": job_id, "kind": job.kind.as_str(), "order_id": job.order_id }),
        )?;
        self.devices.printer_wake.notify();
        self.publish_print_status();
        self.print_status_now()
    }

    /// Prints one held job on another printer (`tcp://HOST:9100`, `usb:///dev/usb/lp1`, ...),
    /// for this job only. Audited.
    pub fn print_on_other(&self, token: &SessionToken, job_id: i64, uri: &str) -> Result<PrintStatus> {
        let s = self.authorize(token, Command::PrintOnOther)?;
        let uri = uri.trim();
        let addr = DeviceAddress::parse(uri).map_err(|e| PosError::InvalidInput(e.to_string()))?;
        if !matches!(addr.scheme.as_str(), "usb" | "serial" | "tcp" | "cups" | "sim") {
            return Err(PosError::InvalidInput(format!("{uri} is not a printer address (usb, serial, tcp or cups)")));
        }
        self.store.print_requeue(job_id, Some(uri))?;
        self.store.audit(
            self.now_ms(),
            Some(s.user_id),
            "print.redirected",
            &json!({ "job_id": job_id, "uri": uri }),
        )?;
        self.devices.printer_wake.notify();
        self.publish_print_status();
        self.print_status_now()
    }

    /// Prints the X report as it is now, or the Z report of the closed day `close_id`.
    pub fn print_report(
        &self,
        token: &SessionToken,
        kind: PrintReportKind,
        close_id: Option<i64>,
    ) -> Result<PrintStatus> {
        let s = self.authorize(token, Command::PrintReport)?;
        self.require_printer()?;
        let report = match (kind, close_id) {
            (PrintReportKind::X, _) => self.store.x_report(self.now_ms())?,
            (PrintReportKind::Z, Some(id)) => self.store.closed_day(id)?,
            (PrintReportKind::Z, None) => {
                return Err(PosError::InvalidInput("say which closed day's Z report to print".into()))
            }
        };
        let payload = serde_json::to_string(&report).map_err(|e| PosError::Internal(e.to_string()))?;
        let job = NewJob {
            kind: JobKind::Report,
            order_id: None,
            refund_id: None,
            payload: Some(payload),
            kick_drawer: false,
            lang: self.print_lang()?,
        };
        self.queue_job(s.user_id, job, "print.report", json!({ "kind": kind, "close_id": close_id }))?;
        self.print_status_now()
    }
}
