//! The manager's back office: history, order detail and reprint, end-of-day reports, charts,
//! the catalogue and its CSV import, the audit log. Each method checks the caller is a manager
//! and then hands over to the store, which holds the queries; the only work done here is what
//! needs the till itself (its currency, its clock, where files are saved, the audit actor).

pub mod export_jobs;

use crate::admin::data_dir::EXPORTS_DIR;
use crate::admin::permissions::Command;
use crate::error::{PosError, Result};
use crate::ipc::back_office::{OrderDetail, SavedFile};
use crate::ipc::views::{LoginUser, Receipt};
use crate::sale::cart::receipt_of;
use crate::Pos;
use base64::Engine;
use serde_json::json;
use std::path::PathBuf;
use till_core::Money;
use till_core::{OrderId, SessionToken};
use till_store::charts::ChartData;
use till_store::history::{HistoryCount, HistoryPage, HistoryQuery};
use till_store::reports::{ClosedDay, DayReport};
use till_store::{audit_view::AuditPage, catalogue_admin, catalogue_import};

/// What the back office holds: the export jobs under way.
#[derive(Default)]
pub(crate) struct BackOffice {
    pub(crate) jobs: export_jobs::ExportJobs,
}

/// Rows a history page holds at most.
pub const MAX_PAGE: u32 = 500;
/// `history_count` stops counting here and says "more than".
pub const COUNT_CAP: i64 = 100_000;
/// Largest catalogue file accepted for import (bytes, before base64).
pub const MAX_IMPORT_BYTES: usize = 20 * 1024 * 1024;

impl Pos {
    /// Where files made for the manager (exports, PDFs) go: `exports/` beside the database,
    /// made 0700 (its files 0600).
    pub fn exports_dir(&self) -> Result<PathBuf> {
        let dir = self.store.path().parent().map(|p| p.join(EXPORTS_DIR)).unwrap_or_else(|| PathBuf::from(EXPORTS_DIR));
        till_store::private_fs::create_private_dir_all(&dir)
            .map_err(|e| PosError::Internal(format!("cannot create {}: {e}", dir.display())))?;
        Ok(dir)
    }

    /// One page of the history.
    pub fn history_search(
        &self,
        token: &SessionToken,
        query: &HistoryQuery,
        cursor: Option<&str>,
        limit: u32,
    ) -> Result<HistoryPage> {
        self.authorize(token, Command::HistorySearch)?;
        Ok(self.store.history_page(query, cursor, limit.clamp(1, MAX_PAGE))?)
    }

    /// How many rows a history query has, up to [`COUNT_CAP`].
    pub fn history_count(&self, token: &SessionToken, query: &HistoryQuery) -> Result<HistoryCount> {
        self.authorize(token, Command::HistoryCount)?;
        Ok(self.store.history_count(query, COUNT_CAP)?)
    }

    /// Everyone who may have sold something (the cashier filter), inactive users included.
    pub fn history_cashiers(&self, token: &SessionToken) -> Result<Vec<LoginUser>> {
        self.authorize(token, Command::HistoryCashiers)?;
        Ok(self
            .store
            .users()?
            .into_iter()
            .filter(|u| u.role != till_core::Role::Installer)
            .map(|u| LoginUser { id: u.id, name: u.name, role: u.role })
            .collect())
    }

    /// An order with its receipt, refunds, points, sync events and audit trail.
    pub fn order_detail(&self, token: &SessionToken, order_id: OrderId) -> Result<OrderDetail> {
        let order_id = order_id.get();
        self.authorize(token, Command::OrderDetail)?;
        let receipt = receipt_of(&self.store.order(order_id)?)?;
        Ok(OrderDetail { receipt, extras: self.store.order_extras(order_id)? })
    }

    /// The receipt of a past order, to print again; the reprint is audited.
    pub fn receipt_reprint(&self, token: &SessionToken, order_id: OrderId) -> Result<Receipt> {
        let order_id = order_id.get();
        let s = self.authorize(token, Command::ReceiptReprint)?;
        let receipt = receipt_of(&self.store.order(order_id)?)?;
        self.store.audit(self.now_ms(), Some(s.user_id), "receipt.reprinted", &json!({ "order_id": order_id }))?;
        Ok(receipt)
    }

    /// The X report of the open period: changes nothing.
    pub fn report_x(&self, token: &SessionToken) -> Result<DayReport> {
        self.authorize(token, Command::ReportX)?;
        Ok(self.store.x_report(self.now_ms())?)
    }

    /// The Z report: closes the open period as `business_date` with the cash the manager counted.
    pub fn report_z(&self, token: &SessionToken, business_date: &str, cash_counted_minor: i64) -> Result<DayReport> {
        let s = self.authorize(token, Command::ReportZ)?;
        if cash_counted_minor < 0 {
            return Err(PosError::InvalidInput("the cash counted cannot be negative".into()));
        }
        let counted = Money::new(cash_counted_minor, self.currency());
        Ok(self.store.close_day(business_date, counted, s.user_id, self.now_ms())?)
    }

    /// The days closed so far, newest first.
    pub fn report_closed_list(&self, token: &SessionToken) -> Result<Vec<ClosedDay>> {
        self.authorize(token, Command::ReportClosedList)?;
        Ok(self.store.closed_days(400)?)
    }

    /// A closed day's Z report, exactly as it was when closed.
    pub fn report_closed_get(&self, token: &SessionToken, close_id: i64) -> Result<DayReport> {
        self.authorize(token, Command::ReportClosedGet)?;
        Ok(self.store.closed_day(close_id)?)
    }

    /// Saves a report as PDF in the exports folder: a closed day's, or the X report of now.
    pub fn report_pdf(&self, token: &SessionToken, close_id: Option<i64>) -> Result<SavedFile> {
        self.authorize(token, Command::ReportPdf)?;
        let (report, name) = match close_id {
            Some(id) => {
                let r = self.store.closed_day(id)?;
                let name = format!("z-report-{}.pdf", r.business_date.clone().unwrap_or_else(|| id.to_string()));
                (r, name)
            }
            None => {
                let now = self.now_ms();
                (self.store.x_report(now)?, format!("x-report-{now}.pdf"))
            }
        };
        let title = match close_id {
            Some(_) => "Z report",
            None => "X report",
        };
        let mut lines = self.shop_heading()?;
        lines.extend(till_store::reports::report_lines(&report));
        let pdf = till_core::pdf::text_pdf(title, &lines);
        let path = self.exports_dir()?.join(name);
        write_file(&path, &pdf)?;
        Ok(SavedFile { path: path.display().to_string(), bytes: pdf.len() as u64 })
    }

    /// Sales over time with the previous period, top products, refund rate.
    pub fn charts_get(
        &self,
        token: &SessionToken,
        from_ms: i64,
        to_ms: i64,
        bucket: &str,
        utc_offset_minutes: i32,
    ) -> Result<ChartData> {
        self.authorize(token, Command::ChartsGet)?;
        Ok(self.store.chart_data(from_ms, to_ms, bucket, utc_offset_minutes)?)
    }

    /// Products for the catalogue screen.
    pub fn catalogue_list(
        &self,
        token: &SessionToken,
        query: &str,
        include_inactive: bool,
        offset: u32,
        limit: u32,
    ) -> Result<Vec<catalogue_admin::ProductAdminView>> {
        self.authorize(token, Command::CatalogueList)?;
        Ok(self.store.products_admin(query, include_inactive, offset, limit.clamp(1, MAX_PAGE))?)
    }

    /// Adds a product.
    pub fn product_create(
        &self,
        token: &SessionToken,
        input: &catalogue_admin::ProductInput,
    ) -> Result<catalogue_admin::ProductAdminView> {
        let s = self.authorize(token, Command::ProductCreate)?;
        Ok(self.store.product_create(input, self.currency(), s.user_id, self.now_ms())?)
    }

    /// Changes a product; past orders keep what they were sold at.
    pub fn product_update(
        &self,
        token: &SessionToken,
        product_id: i64,
        input: &catalogue_admin::ProductInput,
    ) -> Result<catalogue_admin::ProductAdminView> {
        let s = self.authorize(token, Command::ProductUpdate)?;
        Ok(self.store.product_update(product_id, input, self.currency(), s.user_id, self.now_ms())?)
    }

    /// Takes a product off sale, or back on.
    pub fn product_set_active(
        &self,
        token: &SessionToken,
        product_id: i64,
        active: bool,
    ) -> Result<catalogue_admin::ProductAdminView> {
        let s = self.authorize(token, Command::ProductSetActive)?;
        Ok(self.store.product_set_active(product_id, active, s.user_id, self.now_ms())?)
    }

    /// What importing a catalogue CSV would do, row by row, with every row's errors.
    pub fn catalogue_import_preview(
        &self,
        token: &SessionToken,
        file_base64: &str,
    ) -> Result<catalogue_import::ImportPreview> {
        self.authorize(token, Command::CatalogueImportPreview)?;
        Ok(self.store.catalogue_import_preview(&decode_file(file_base64)?, self.currency())?)
    }

    /// Imports a catalogue CSV in one transaction; refused while any row has an error.
    pub fn catalogue_import_apply(
        &self,
        token: &SessionToken,
        file_base64: &str,
    ) -> Result<catalogue_import::ImportOutcome> {
        let s = self.authorize(token, Command::CatalogueImportApply)?;
        Ok(self.store.catalogue_import_apply(&decode_file(file_base64)?, self.currency(), s.user_id, self.now_ms())?)
    }

    /// A page of the audit log, newest first, each entry checked against the chain.
    pub fn audit_list(&self, token: &SessionToken, before_id: Option<i64>, limit: u32) -> Result<AuditPage> {
        self.authorize(token, Command::AuditList)?;
        Ok(self.store.audit_page(before_id, limit.clamp(1, MAX_PAGE))?)
    }
}

fn decode_file(file_base64: &str) -> Result<Vec<u8>> {
    if file_base64.len() > MAX_IMPORT_BYTES / 3 * 4 + 4 {
        return Err(PosError::InvalidInput(format!("the file is larger than {} MB", MAX_IMPORT_BYTES / 1024 / 1024)));
    }
    base64::engine::general_purpose::STANDARD
        .decode(file_base64.trim())
        .map_err(|_| PosError::InvalidInput("the file did not arrive intact; choose it again".into()))
}

/// Writes `bytes` to `path` through a temporary file, so a crash never leaves half a file under
/// the final name. The file is 0600 from its creation.
pub(crate) fn write_file(path: &std::path::Path, bytes: &[u8]) -> Result<()> {
    let part = path.with_extension("part");
    till_store::private_fs::write_private(&part, bytes)
        .and_then(|_| std::fs::rename(&part, path))
        .map_err(|e| PosError::Internal(format!("cannot write {}: {e}", path.display())))
}
