//! IPC commands: each is a few lines that call one `till_pos::Pos` method. Work runs on a
//! blocking thread so the window never waits on the database or a card reader, and errors
//! (including a panic) cross as `{code, message}`.

pub mod back_office;
pub mod backups;
pub mod cart;
pub mod checkout;
pub mod collect;
pub mod device_services;
pub mod devices;
pub mod payment;
pub mod print;
pub mod refunds;
pub mod services;
pub mod session;
pub mod setup;
pub mod sync;
pub mod users;

use crate::TillState;
use std::sync::Arc;
use till_pos::ipc::watch::Watch;
use till_pos::{ErrorCode, IpcError, Pos, PosError};

/// What every command returns.
pub type CmdResult<T> = Result<T, IpcError>;

/// Runs `f` against the till on a blocking thread; if the till could not open, says why.
pub async fn run<T, F>(till: &tauri::State<'_, TillState>, f: F) -> CmdResult<T>
where
    T: Send + 'static,
    F: FnOnce(&Pos) -> Result<T, PosError> + Send + 'static,
{
    let pos = match &till.0 {
        Ok(pos) => Arc::clone(pos),
        Err(why) => return Err(why.clone()),
    };
    match tauri::async_runtime::spawn_blocking(move || f(&pos)).await {
        Ok(result) => result.map_err(IpcError::from),
        Err(e) => {
            tracing::error!("command failed: {e}");
            Err(IpcError { code: ErrorCode::Internal, message: "internal error; see the log".into() })
        }
    }
}

/// A window's channel as a listener of the till: each change is sent as it happens. A window
/// that has gone (reloaded, closed) fails to receive; that is logged and otherwise ignored.
pub fn channel_watch<T>(channel: tauri::ipc::Channel<T>) -> Watch<T>
where
    T: serde::Serialize + Clone + Send + Sync + 'static,
{
    Arc::new(move |value: &T| {
        if let Err(e) = channel.send(value.clone()) {
            tracing::debug!("a window channel did not take a change: {e}");
        }
    })
}

/// The handler for every command.
pub fn handler<R: tauri::Runtime>() -> impl Fn(tauri::ipc::Invoke<R>) -> bool + Send + Sync + 'static {
    tauri::generate_handler![
        session::app_info,
        session::login_users,
        session::login,
        session::logout,
        cart::catalogue_search,
        cart::cart_get,
        cart::cart_scan,
        cart::cart_add,
        cart::cart_set_quantity,
        cart::cart_remove,
        cart::cart_clear,
        checkout::checkout_cash,
        payment::payment_start,
        payment::payment_cancel,
        payment::payment_swipe_text,
        payment::payment_code_pay,
        payment::payment_code_cancel,
        payment::payment_pin,
        payment::payment_sign,
        payment::payment_authorize,
        payment::platform_key_set,
        payment::platform_key_status,
        payment::payment_settings_get,
        payment::payment_settings_set,
        payment::forwarded_declines_list,
        checkout::receipt_get,
        users::users_list,
        users::user_create,
        users::user_set_active,
        users::user_set_pin,
        users::audit_verify,
        devices::devices_watch,
        devices::devices_unwatch,
        devices::device_assign,
        devices::device_remove,
        devices::device_test,
        devices::device_pair,
        devices::device_cancel,
        devices::device_status_watch,
        devices::device_status_unwatch,
        devices::customer_identify,
        devices::customer_get,
        devices::customer_clear,
        sync::sync_status_watch,
        sync::sync_status_unwatch,
        sync::sync_settings_get,
        sync::sync_settings_set,
        sync::sync_settings_clear,
        sync::sync_test_connection,
        sync::sync_parked_list,
        sync::sync_parked_retry,
        sync::sync_parked_discard,
        back_office::history_search,
        back_office::history_count,
        back_office::history_cashiers,
        back_office::order_detail,
        back_office::receipt_reprint,
        back_office::report_x,
        back_office::report_z,
        back_office::report_closed_list,
        back_office::report_closed_get,
        back_office::report_pdf,
        back_office::charts_get,
        back_office::export_start,
        back_office::export_status,
        back_office::export_cancel,
        back_office::catalogue_list,
        back_office::product_create,
        back_office::product_update,
        back_office::product_set_active,
        back_office::catalogue_import_preview,
        back_office::catalogue_import_apply,
        back_office::audit_list,
        refunds::cart_set_device,
        refunds::refund_find,
        refunds::refund_quote,
        refunds::refund_record,
        refunds::refund_remote,
        refunds::refund_refresh,
        refunds::refunds_of_order,
        refunds::refund_by_number,
        refunds::refunds_to_pay_out,
        refunds::refund_pay_out,
        refunds::remote_refunds,
        refunds::refund_disagreements,
        refunds::points_enrol,
        refunds::points_redeem,
        refunds::points_problems,
        refunds::loyalty_settings_get,
        refunds::loyalty_settings_set,
        setup::setup_status,
        setup::setup_shop_save,
        setup::setup_first_people,
        setup::setup_pass,
        setup::shop_profile_set,
        setup::sync_enrol,
        backups::backup_settings_get,
        backups::backup_settings_set,
        backups::backup_now,
        backups::backup_status,
        print::print_status_watch,
        print::print_status_unwatch,
        print::print_retry,
        print::print_reprint,
        print::print_refund_receipt,
        print::print_set_language,
        print::print_cancel_job,
        print::print_on_other,
        print::print_report,
        print::drawer_open,
        collect::pending_orders_watch,
        collect::pending_orders_unwatch,
        collect::pending_orders_list,
        collect::pending_orders_refresh,
        collect::pending_order_get,
        collect::pending_order_collect,
        collect::pending_order_release,
        services::services_providers,
        services::services_follow,
        services::services_start,
        services::services_conversation,
        services::services_send,
        services::services_retry,
        services::services_add_to_sale,
        services::services_history,
        device_services::device_lookup,
        device_services::device_repair_open,
        device_services::device_repair_status,
        device_services::device_repair_reprint,
        device_services::device_software_record,
        device_services::service_orders_list,
    ]
}
