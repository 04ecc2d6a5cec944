//! TypeScript types for everything that crosses IPC, generated from the Rust types with ts-rs.
//! The UI imports them from `ui/src/lib/bindings/`; a test fails when the checked-in files
//! differ from what the Rust types generate.

use crate::error::{ErrorCode, IpcError};
use crate::views::*;
use std::path::Path;
use ts_rs::TS;

/// Writes one `<Type>.ts` file per type (and the types they use) into `dir`.
pub fn export_to(dir: &Path) -> Result<(), ts_rs::ExportError> {
    AppInfo::export_all_to(dir)?;
    LoginUser::export_all_to(dir)?;
    Session::export_all_to(dir)?;
    ProductView::export_all_to(dir)?;
    CartView::export_all_to(dir)?;
    Receipt::export_all_to(dir)?;
    AuditReport::export_all_to(dir)?;
    IpcError::export_all_to(dir)?;
    ErrorCode::export_all_to(dir)?;
    crate::devices::DevicesOverview::export_all_to(dir)?;
    crate::devices::DeviceAssignment::export_all_to(dir)?;
    crate::devices::DeviceTestResult::export_all_to(dir)?;
    crate::device_status::DeviceStatus::export_all_to(dir)?;
    crate::customer::CustomerView::export_all_to(dir)?;
    crate::card_payment::CardPaymentView::export_all_to(dir)?;
    crate::platform_key::PlatformKeyStatus::export_all_to(dir)?;
    crate::store_and_forward::PaymentSettings::export_all_to(dir)?;
    crate::store_and_forward::ForwardedDecline::export_all_to(dir)?;
    crate::sync::SyncStatusView::export_all_to(dir)?;
    crate::sync::ParkedEventView::export_all_to(dir)?;
    crate::sync_settings::SyncSettingsView::export_all_to(dir)?;
    crate::sync_settings::SyncSettingsInput::export_all_to(dir)?;
    crate::sync_settings::ConnectionTest::export_all_to(dir)?;
    crate::back_office::OrderDetail::export_all_to(dir)?;
    crate::refunds::RefundLookup::export_all_to(dir)?;
    crate::refunds::RefundOrderView::export_all_to(dir)?;
    crate::refunds::RefundInput::export_all_to(dir)?;
    crate::refunds::RefundQuoteView::export_all_to(dir)?;
    crate::refunds::RefundReceipt::export_all_to(dir)?;
    crate::refunds::RemoteRefundInput::export_all_to(dir)?;
    crate::refunds::RemoteRefundView::export_all_to(dir)?;
    crate::loyalty::EnrolView::export_all_to(dir)?;
    crate::loyalty::PointsProblemView::export_all_to(dir)?;
    crate::loyalty::LoyaltySettings::export_all_to(dir)?;
    crate::back_office::SavedFile::export_all_to(dir)?;
    crate::export_jobs::ExportStatus::export_all_to(dir)?;
    till_store::history::HistoryQuery::export_all_to(dir)?;
    till_store::history::HistoryPage::export_all_to(dir)?;
    till_store::history::HistoryCount::export_all_to(dir)?;
    till_store::reports::DayReport::export_all_to(dir)?;
    till_store::reports::ClosedDay::export_all_to(dir)?;
    till_store::charts::ChartData::export_all_to(dir)?;
    till_store::export::ExportKind::export_all_to(dir)?;
    till_store::catalogue_admin::ProductAdminView::export_all_to(dir)?;
    till_store::catalogue_admin::ProductInput::export_all_to(dir)?;
    till_store::catalogue_import::ImportPreview::export_all_to(dir)?;
    till_store::catalogue_import::ImportOutcome::export_all_to(dir)?;
    till_store::audit_view::AuditPage::export_all_to(dir)?;
    write_index(dir)
}

/// Writes `index.ts`, re-exporting every generated type, so the UI imports from one place.
fn write_index(dir: &Path) -> Result<(), ts_rs::ExportError> {
    let mut names: Vec<String> = std::fs::read_dir(dir)?
        .flatten()
        .filter_map(|e| e.file_name().to_str().and_then(|n| n.strip_suffix(".ts")).map(str::to_string))
        .filter(|n| n != "index")
        .collect();
    names.sort();
    let mut out = String::from("// Generated from the Rust types by `make bindings`. Do not edit.\n");
    for n in names {
        out.push_str(&format!("export type {{ {n} }} from \"./{n}\";\n"));
    }
    std::fs::write(dir.join("index.ts"), out)?;
    Ok(())
}
