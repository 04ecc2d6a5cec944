//! TypeScript types for everything that crosses IPC, generated from the Rust types with ts-rs.
//! The UI imports them from `ui/src/lib/bindings/`; a test fails when the checked-in files
//! differ from what the Rust types generate.

use crate::error::{ErrorCode, IpcError};
use crate::ipc::views::*;
use std::path::Path;
use ts_rs::TS;

/// Writes one `<Type>.ts` file per type (and the types they use) into `dir`.
pub fn export_to(dir: &Path) -> Result<(), ts_rs::ExportError> {
    AppInfo::export_all_to(dir)?;
    crate::ipc::setup::SetupStatus::export_all_to(dir)?;
    crate::ipc::setup::FirstPeopleInput::export_all_to(dir)?;
    crate::ipc::setup::EnrolmentInput::export_all_to(dir)?;
    LoginUser::export_all_to(dir)?;
    Session::export_all_to(dir)?;
    ProductView::export_all_to(dir)?;
    CartView::export_all_to(dir)?;
    Receipt::export_all_to(dir)?;
    AuditReport::export_all_to(dir)?;
    IpcError::export_all_to(dir)?;
    ErrorCode::export_all_to(dir)?;
    crate::ipc::devices::DevicesOverview::export_all_to(dir)?;
    crate::ipc::devices::DeviceAssignment::export_all_to(dir)?;
    crate::ipc::devices::DeviceTestResult::export_all_to(dir)?;
    crate::ipc::devices::DeviceStatus::export_all_to(dir)?;
    crate::ipc::print::PrintStatus::export_all_to(dir)?;
    crate::ipc::print::PrintReportKind::export_all_to(dir)?;
    crate::ipc::loyalty::CustomerView::export_all_to(dir)?;
    crate::ipc::sale::CardPaymentView::export_all_to(dir)?;
    crate::ipc::sale::CodePaymentView::export_all_to(dir)?;
    crate::ipc::display::CustomerDisplayView::export_all_to(dir)?;
    crate::ipc::sale::PlatformKeyStatus::export_all_to(dir)?;
    crate::ipc::sale::PaymentSettings::export_all_to(dir)?;
    crate::ipc::sale::ForwardedDecline::export_all_to(dir)?;
    crate::ipc::sync::SyncStatusView::export_all_to(dir)?;
    crate::ipc::collect::PendingOrdersCount::export_all_to(dir)?;
    crate::ipc::collect::PendingOrderView::export_all_to(dir)?;
    crate::ipc::collect::CollectedOrder::export_all_to(dir)?;
    crate::ipc::collect::ReleasedOrder::export_all_to(dir)?;
    crate::ipc::sync::ParkedEventView::export_all_to(dir)?;
    crate::ipc::sync::SyncSettingsView::export_all_to(dir)?;
    crate::ipc::sync::SyncSettingsInput::export_all_to(dir)?;
    crate::ipc::sync::ConnectionTest::export_all_to(dir)?;
    crate::ipc::backups::BackupSettings::export_all_to(dir)?;
    crate::ipc::backups::BackupStatus::export_all_to(dir)?;
    crate::ipc::back_office::OrderDetail::export_all_to(dir)?;
    crate::ipc::refund::RefundLookup::export_all_to(dir)?;
    crate::ipc::refund::RefundOrderView::export_all_to(dir)?;
    crate::ipc::refund::RefundInput::export_all_to(dir)?;
    crate::ipc::refund::RefundQuoteView::export_all_to(dir)?;
    crate::ipc::refund::RefundReceipt::export_all_to(dir)?;
    crate::ipc::refund::RemoteRefundInput::export_all_to(dir)?;
    crate::ipc::refund::RemoteRefundView::export_all_to(dir)?;
    crate::ipc::refund::RefundToPayOutView::export_all_to(dir)?;
    crate::ipc::refund::RefundDisagreementView::export_all_to(dir)?;
    crate::ipc::refund::RemoteRefundRecordView::export_all_to(dir)?;
    crate::ipc::loyalty::EnrolView::export_all_to(dir)?;
    crate::ipc::loyalty::PointsProblemView::export_all_to(dir)?;
    crate::ipc::loyalty::LoyaltySettings::export_all_to(dir)?;
    crate::ipc::back_office::SavedFile::export_all_to(dir)?;
    crate::ipc::back_office::ExportStatus::export_all_to(dir)?;
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
    crate::ipc::services::ServiceProviderView::export_all_to(dir)?;
    crate::ipc::services::ServiceConversationView::export_all_to(dir)?;
    crate::ipc::device_services::DeviceView::export_all_to(dir)?;
    crate::ipc::device_services::RepairInput::export_all_to(dir)?;
    crate::ipc::device_services::RepairStatusInput::export_all_to(dir)?;
    crate::ipc::device_services::RepairResult::export_all_to(dir)?;
    crate::ipc::device_services::SoftwareUpdateInput::export_all_to(dir)?;
    crate::ipc::device_services::ServiceOrderRow::export_all_to(dir)?;
    crate::ipc::device_services::ServiceOrdersQuery::export_all_to(dir)?;
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
