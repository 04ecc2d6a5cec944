//! Declares Till's commands to Tauri so each needs an explicit `allow-<command>` permission in
//! `capabilities/`, and embeds the config, icons and capabilities.

/// Every IPC command; keep in step with `commands::handler()`.
const COMMANDS: &[&str] = &[
    "app_info",
    "login_users",
    "login",
    "logout",
    "catalogue_search",
    "cart_get",
    "cart_scan",
    "cart_add",
    "cart_set_quantity",
    "cart_remove",
    "cart_clear",
    "checkout_cash",
    "payment_start",
    "payment_status",
    "payment_cancel",
    "payment_swipe_text",
    "payment_pin",
    "payment_sign",
    "payment_authorize",
    "platform_key_set",
    "platform_key_status",
    "payment_settings_get",
    "payment_settings_set",
    "forwarded_declines_list",
    "receipt_get",
    "users_list",
    "user_create",
    "user_set_active",
    "user_set_pin",
    "audit_verify",
    "devices_list",
    "device_assign",
    "device_remove",
    "device_test",
    "device_pair",
    "device_cancel",
    "device_status",
    "customer_identify",
    "customer_get",
    "customer_clear",
    "sync_status",
    "sync_settings_get",
    "sync_settings_set",
    "sync_settings_clear",
    "sync_test_connection",
    "sync_parked_list",
    "sync_parked_retry",
    "sync_parked_discard",
];

fn main() {
    let attrs = tauri_build::Attributes::new().app_manifest(tauri_build::AppManifest::new().commands(COMMANDS));
    if let Err(e) = tauri_build::try_build(attrs) {
        eprintln!("tauri build step failed: {e:#}");
        std::process::exit(1);
    }
}
