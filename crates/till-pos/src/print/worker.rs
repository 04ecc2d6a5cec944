//! The print worker: one thread taking the queue's jobs in order. For each job it opens the
//! printer's link, asks its status (a fault holds the job and stops the queue there), marks the
//! job `sending` in a commit of its own, sends the drawer kick and then the printout, asks the
//! status again, and marks the job printed only when the printer reports no fault after it;
//! otherwise the job is held with the fault so the cashier can reprint it. Like the backup
//! thread it holds the till weakly, so it ends when the till is dropped.

use super::layout::{self, Lang};
use super::Live;
use crate::error::{PosError, Result};
use crate::mutex::lock;
use crate::Pos;
use std::sync::{Arc, Weak};
use std::time::Duration;
use till_core::DeviceRole;
use till_devices::printer::encode::{encode, DRAWER_KICK, DRAWER_KICK_REALTIME};
use till_devices::printer::{CodePage, PaperWidth, PrintDoc, PrinterFault, PrinterLink, PrinterSettings};
use till_store::{DeviceConfig, JobKind, PrintJob};

/// How long the worker sleeps when nothing wakes it (a queued job wakes it at once).
pub const IDLE: Duration = Duration::from_secs(2);
/// How often the drawer's state is read while it is open.
pub const DRAWER_POLL: Duration = Duration::from_secs(2);

/// A fault code in plain English.
pub fn fault_message(code: &str) -> String {
    match PrinterFault::parse(code) {
        Some(f) => f.to_string(),
        None if code == till_store::print_queue::INTERRUPTED => {
            "the till stopped while sending this job: it may have printed; reprint it or cancel it".into()
        }
        None if code == UNPRINTABLE => "this job could not be laid out for printing".into(),
        None => code.to_string(),
    }
}

/// The fault of a job whose printout could not be made (its sale is gone, say).
pub const UNPRINTABLE: &str = "unprintable";

/// How a printer is set up: its paper and code page (80 mm and GB18030 unless set).
pub(crate) fn settings_of(d: &DeviceConfig) -> PrinterSettings {
    let default = PrinterSettings::default();
    PrinterSettings {
        width: d.paper_mm.and_then(PaperWidth::from_millimetres).unwrap_or(default.width),
        code_page: d.code_page.as_deref().and_then(CodePage::parse).unwrap_or(default.code_page),
    }
}

enum Outcome {
    Printed,
    Held,
}

impl Pos {
    /// Starts the print worker. A failure inside is logged and shown in the print status,
    /// never fatal.
    pub fn start_printing(pos: &Arc<Pos>) -> Result<()> {
        let weak: Weak<Pos> = Arc::downgrade(pos);
        std::thread::Builder::new()
            .name("printer".into())
            .spawn(move || loop {
                let Some(pos) = weak.upgrade() else { return };
                let wait = match pos.print_round() {
                    Ok(wait) => wait,
                    Err(e) => {
                        tracing::warn!("print worker: {e}");
                        IDLE
                    }
                };
                let wake = pos.devices.printer_wake.clone();
                drop(pos);
                wake.wait(wait);
            })
            .map_err(|e| PosError::Internal(format!("cannot start the print worker: {e}")))?;
        Ok(())
    }

    /// The configured receipt printer, when one is set up and enabled.
    pub(crate) fn receipt_printer(&self) -> Result<Option<DeviceConfig>> {
        Ok(self.store.device(DeviceRole::ReceiptPrinter.as_str())?.filter(|d| d.config.enabled).map(|d| d.config))
    }

    /// One round: every job that can print now, in order, then the drawer. Returns how long to
    /// wait before the next round.
    pub(crate) fn print_round(&self) -> Result<Duration> {
        let Some(printer) = self.receipt_printer()? else {
            *lock(&self.print.live) = Live::default();
            self.publish_print_status();
            return Ok(IDLE);
        };
        while let Some(job) = self.store.print_next()? {
            let outcome = self.print_one(&job, &printer);
            self.publish_print_status();
            match outcome? {
                Outcome::Printed => continue,
                Outcome::Held => break,
            }
        }
        self.kick_behind(&printer)?;
        let watching = lock(&self.print.live).drawer_watch;
        let faulted = lock(&self.print.live).fault.is_some();
        if watching || faulted {
            // Read the printer again: the drawer may have closed, the paper may be loaded.
            self.print_check(&printer.uri);
        }
        self.publish_print_status();
        Ok(if lock(&self.print.live).drawer_watch { DRAWER_POLL } else { IDLE })
    }

    /// Asks the printer its status and takes the answer in (no job).
    fn print_check(&self, uri: &str) {
        let _link = lock(&self.print.link);
        let now = self.now_ms();
        let answer = self.print.opener.open(uri).and_then(|mut link| link.status());
        let mut live = lock(&self.print.live);
        match answer {
            Ok(Some(status)) => live.saw(&status, now),
            Ok(None) => live.fault = None,
            Err(_) => live.fault = Some(PrinterFault::NoAnswer.as_str().into()),
        }
    }

    fn hold(&self, job: &PrintJob, fault: &str) -> Result<Outcome> {
        tracing::warn!(job = job.id, kind = job.kind.as_str(), fault, "print job held");
        self.store.print_mark_held(job.id, fault)?;
        lock(&self.print.live).fault = Some(fault.to_string());
        Ok(Outcome::Held)
    }

    fn print_one(&self, job: &PrintJob, printer: &DeviceConfig) -> Result<Outcome> {
        let settings = settings_of(printer);
        let doc = match self.print_doc(job, &settings) {
            Ok(doc) => doc,
            Err(e) => {
                tracing::warn!(job = job.id, "print job cannot be laid out: {e}");
                return self.hold(job, UNPRINTABLE);
            }
        };
        let uri = job.uri.clone().unwrap_or_else(|| printer.uri.clone());
        let _one_at_a_time = lock(&self.print.link);
        let mut link: Box<dyn PrinterLink> = match self.print.opener.open(&uri) {
            Ok(link) => link,
            Err(e) => {
                tracing::warn!(uri = %uri, "printer not reached: {e}");
                return self.hold(job, PrinterFault::NoAnswer.as_str());
            }
        };
        match link.status() {
            Ok(Some(status)) => {
                lock(&self.print.live).saw(&status, self.now_ms());
                if let Some(f) = status.fault() {
                    if job.kick_drawer && matches!(f, PrinterFault::PaperEnd | PrinterFault::CoverOpen) {
                        // The receipt waits for paper; the cashier's change does not: a
                        // real-time kick opens the drawer of a stopped printer.
                        self.kick_now(job, link.as_mut())?;
                    }
                    return self.hold(job, f.as_str());
                }
            }
            Ok(None) => {}
            Err(e) => {
                tracing::warn!(uri = %uri, "printer gave no status: {e}");
                return self.hold(job, PrinterFault::NoAnswer.as_str());
            }
        }
        // On disk before the first byte leaves: a crash from here on is seen at the next start.
        self.store.print_mark_sending(job.id)?;
        let mut bytes = Vec::new();
        if job.kick_drawer {
            bytes.extend_from_slice(&DRAWER_KICK);
        }
        if let Some(doc) = &doc {
            bytes.extend(encode(doc, &settings));
        }
        if let Err(e) = link.send(&bytes) {
            tracing::warn!(uri = %uri, "sending to the printer failed: {e}");
            return self.hold(job, PrinterFault::NoAnswer.as_str());
        }
        if job.kick_drawer {
            self.store.print_kick_done(job.id)?;
            lock(&self.print.live).drawer_watch = true;
        }
        match link.status() {
            Ok(Some(status)) => {
                lock(&self.print.live).saw(&status, self.now_ms());
                if let Some(f) = status.fault() {
                    // It may have stopped halfway: the cashier sees it held and reprints.
                    return self.hold(job, f.as_str());
                }
            }
            // A link that carries no answers (a CUPS queue) took the job: that is all it can say.
            Ok(None) => {}
            Err(e) => {
                tracing::warn!(uri = %uri, "printer gave no status after the job: {e}");
                return self.hold(job, PrinterFault::NoAnswer.as_str());
            }
        }
        self.store.print_mark_printed(job.id, self.now_ms())?;
        lock(&self.print.live).fault = None;
        tracing::info!(job = job.id, kind = job.kind.as_str(), "printed");
        Ok(Outcome::Printed)
    }

    /// Cash sales made while the queue waits for paper or a closed cover: their receipts stay
    /// in line, their drawer kicks go now, in real time.
    fn kick_behind(&self, printer: &DeviceConfig) -> Result<()> {
        let fault = lock(&self.print.live).fault.as_deref().and_then(PrinterFault::parse);
        if !matches!(fault, Some(PrinterFault::PaperEnd | PrinterFault::CoverOpen)) {
            return Ok(());
        }
        let waiting: Vec<PrintJob> = self
            .store
            .print_open_jobs()?
            .into_iter()
            .filter(|j| j.kick_drawer && j.state == till_store::JobState::Queued)
            .collect();
        if waiting.is_empty() {
            return Ok(());
        }
        let _one_at_a_time = lock(&self.print.link);
        let Ok(mut link) = self.print.opener.open(&printer.uri) else { return Ok(()) };
        for job in &waiting {
            self.kick_now(job, link.as_mut())?;
        }
        Ok(())
    }

    /// Sends the real-time drawer kick of a job held before printing, once.
    fn kick_now(&self, job: &PrintJob, link: &mut dyn PrinterLink) -> Result<()> {
        match link.send(&DRAWER_KICK_REALTIME) {
            Ok(()) => {
                self.store.print_kick_done(job.id)?;
                lock(&self.print.live).drawer_watch = true;
                tracing::info!(job = job.id, "drawer kicked in real time; the receipt waits");
            }
            Err(e) => tracing::warn!(job = job.id, "the real-time drawer kick failed: {e}"),
        }
        Ok(())
    }

    /// The printout of job `job_id` as the worker lays it out for the configured printer
    /// (`None` for a drawer kick alone): for tests, tools and a screen's preview.
    pub fn print_doc_of_job(&self, job_id: i64) -> Result<Option<(PrintDoc, PrinterSettings)>> {
        let job = self.store.print_job(job_id)?;
        let printer =
            self.receipt_printer()?.ok_or(PosError::DeviceNotConfigured(DeviceRole::ReceiptPrinter.as_str()))?;
        let settings = settings_of(&printer);
        Ok(self.print_doc(&job, &settings)?.map(|doc| (doc, settings)))
    }

    /// The printout of a job (`None` for a drawer kick alone).
    pub(crate) fn print_doc(&self, job: &PrintJob, settings: &PrinterSettings) -> Result<Option<PrintDoc>> {
        let lang = Lang::parse(&job.lang);
        let shop = self.shop_profile()?;
        let reprint = job.payload.as_deref().is_some_and(|p| p.contains("\"reprint\":true"));
        let missing = |what: &str| PosError::Internal(format!("print job {} names no {what}", job.id));
        Ok(Some(match job.kind {
            JobKind::Receipt | JobKind::Reprint => {
                let order_id = job.order_id.ok_or_else(|| missing("sale"))?;
                let mut receipt = crate::sale::cart::receipt_of(&self.store.order(order_id)?)?;
                receipt.points = crate::loyalty::receipt_points(&self.store.points_of_order(order_id)?);
                layout::receipt::receipt(&receipt, shop.as_ref(), lang, settings.width, job.kind == JobKind::Reprint)
            }
            JobKind::Refund => {
                let refund_id = job.refund_id.ok_or_else(|| missing("refund"))?;
                let r = self.refund_receipt_of(refund_id)?;
                layout::refund::refund(&r, shop.as_ref(), lang, settings.width, reprint)
            }
            JobKind::Report => {
                let payload = job.payload.as_deref().ok_or_else(|| missing("report"))?;
                let report: till_store::DayReport = serde_json::from_str(payload)
                    .map_err(|e| PosError::Internal(format!("print job {}: the report does not read: {e}", job.id)))?;
                layout::report::report(&report, shop.as_ref(), lang, settings.width)
            }
            JobKind::Test => layout::test_page::test_page(shop.as_ref(), lang, settings, job.created_at_ms),
            JobKind::Drawer => return Ok(None),
            JobKind::Service => {
                let id = job.service_order_id.ok_or_else(|| missing("service order"))?;
                let (order, product, warranty_end) = self.service_order_print_facts(id, lang == Lang::Zh)?;
                let facts = layout::service_order::SaleFacts { product, warranty_end };
                layout::service_order::service_order(&order, &facts, shop.as_ref(), lang, settings.width)
            }
        }))
    }
}
