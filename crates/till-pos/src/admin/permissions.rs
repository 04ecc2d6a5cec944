//! Who may call what: the one table of IPC command × role. Every `Pos` method behind a command
//! asks [`Pos::authorize`](crate::Pos::authorize) with its [`Command`], and the answer comes
//! from this table only. docs/security.md (section 4) shows the same table;
//! `tests/permissions.rs` calls every command as every role through the IPC and fails when a
//! cell differs from it, and when the documentation's table differs from this one.
//!
//! Two rules sit below the table, in the commands themselves: a manager manages the accounts of
//! cashiers only and an owner every account ([`Role::manages`]); a user cannot deactivate
//! themselves.

use till_core::Role;

/// Who may call a command.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Anyone, with no live session: the login screen, ending a session by its token (an
    /// unknown one changes nothing), ending a feed by the id the caller was given.
    Public,
    /// A logged-in user with one of these roles.
    Roles(&'static [Role]),
}

impl Access {
    /// Whether a logged-in user with `role` may call the command.
    pub fn allows(self, role: Role) -> bool {
        match self {
            Access::Public => true,
            Access::Roles(roles) => roles.contains(&role),
        }
    }
}

/// Every role: the status lights, the sync line.
const ANYONE: Access = Access::Roles(&[Role::Owner, Role::Manager, Role::Cashier, Role::Installer]);
/// Those who sell: cashiers, managers and owners; never installers.
const SELLERS: Access = Access::Roles(&[Role::Owner, Role::Manager, Role::Cashier]);
/// The back office: managers and owners.
const MANAGERS: Access = Access::Roles(&[Role::Owner, Role::Manager]);
/// Devices, servers, keys and payment limits: installers only.
const INSTALLERS: Access = Access::Roles(&[Role::Installer]);
/// The payment platform key's status: installers set it up, managers see whether it is there.
const KEY_VIEWERS: Access = Access::Roles(&[Role::Owner, Role::Manager, Role::Installer]);
/// The shop profile: its owners and its installer.
const SHOP_KEEPERS: Access = Access::Roles(&[Role::Owner, Role::Installer]);
/// The till's backups: the installer sets them up, the owner may too.
const BACKUP_KEEPERS: Access = Access::Roles(&[Role::Owner, Role::Installer]);
/// No session needed.
const PUBLIC: Access = Access::Public;

/// One row of the table.
#[derive(Debug, Clone, Copy)]
pub struct Permission {
    /// The command.
    pub command: Command,
    /// Its IPC name.
    pub name: &'static str,
    /// Who may call it.
    pub access: Access,
    /// What a refusal says the user may not do ("… may not sell").
    pub action: &'static str,
}

macro_rules! permissions {
    ($($variant:ident $name:literal $access:ident $action:literal;)*) => {
        /// Every IPC command of the till, by its place in [`TABLE`].
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum Command {
            $(
                #[doc = concat!("`", $name, "`")]
                $variant,
            )*
        }

        /// The table: every command, who may call it, and what a refusal names.
        pub const TABLE: &[Permission] = &[
            $(Permission { command: Command::$variant, name: $name, access: $access, action: $action },)*
        ];
    };
}

permissions! {
    AppInfo "app_info" PUBLIC "see the app's version";
    LoginUsers "login_users" PUBLIC "list the users";
    Login "login" PUBLIC "log in";
    Logout "logout" PUBLIC "log out";
    CatalogueSearch "catalogue_search" SELLERS "search the catalogue";
    CartGet "cart_get" SELLERS "sell";
    CartScan "cart_scan" SELLERS "sell";
    CartAdd "cart_add" SELLERS "sell";
    CartSetQuantity "cart_set_quantity" SELLERS "sell";
    CartRemove "cart_remove" SELLERS "sell";
    CartClear "cart_clear" SELLERS "sell";
    CheckoutCash "checkout_cash" SELLERS "take payment";
    PaymentStart "payment_start" SELLERS "take payment";
    PaymentCancel "payment_cancel" SELLERS "take payment";
    PaymentSwipeText "payment_swipe_text" SELLERS "take payment";
    PaymentPin "payment_pin" SELLERS "take payment";
    PaymentSign "payment_sign" SELLERS "take payment";
    PaymentAuthorize "payment_authorize" SELLERS "take payment";
    PaymentCodePay "payment_code_pay" SELLERS "take payment";
    PaymentCodeCancel "payment_code_cancel" SELLERS "take payment";
    PlatformKeySet "platform_key_set" INSTALLERS "set the payment platform key";
    PlatformKeyStatus "platform_key_status" KEY_VIEWERS "see the payment platform key status";
    PaymentSettingsGet "payment_settings_get" INSTALLERS "see the payment settings";
    PaymentSettingsSet "payment_settings_set" INSTALLERS "change the payment settings";
    ForwardedDeclinesList "forwarded_declines_list" MANAGERS "see declined offline payments";
    ReceiptGet "receipt_get" SELLERS "view receipts";
    UsersList "users_list" MANAGERS "manage users";
    UserCreate "user_create" MANAGERS "manage users";
    UserSetActive "user_set_active" MANAGERS "manage users";
    UserSetPin "user_set_pin" MANAGERS "manage users";
    AuditVerify "audit_verify" MANAGERS "verify the audit log";
    DevicesWatch "devices_watch" INSTALLERS "set up devices";
    DevicesUnwatch "devices_unwatch" PUBLIC "stop a device feed";
    DeviceAssign "device_assign" INSTALLERS "set up devices";
    DeviceRemove "device_remove" INSTALLERS "set up devices";
    DeviceTest "device_test" INSTALLERS "test devices";
    DevicePair "device_pair" INSTALLERS "pair devices";
    DeviceCancel "device_cancel" ANYONE "cancel a device wait";
    DeviceStatusWatch "device_status_watch" ANYONE "see device status";
    DeviceStatusUnwatch "device_status_unwatch" PUBLIC "stop a device feed";
    CustomerIdentify "customer_identify" SELLERS "identify customers";
    CustomerGet "customer_get" SELLERS "see the customer";
    CustomerClear "customer_clear" SELLERS "identify customers";
    SyncStatusWatch "sync_status_watch" ANYONE "see the sync status";
    SyncStatusUnwatch "sync_status_unwatch" PUBLIC "stop the sync feed";
    SyncSettingsGet "sync_settings_get" INSTALLERS "see the server settings";
    SyncSettingsSet "sync_settings_set" INSTALLERS "change the server settings";
    SyncSettingsClear "sync_settings_clear" INSTALLERS "clear the server settings";
    SyncTestConnection "sync_test_connection" INSTALLERS "test the server connection";
    SyncEnrol "sync_enrol" INSTALLERS "enrol the till with the server";
    SyncParkedList "sync_parked_list" MANAGERS "see parked sync events";
    SyncParkedRetry "sync_parked_retry" MANAGERS "retry parked sync events";
    SyncParkedDiscard "sync_parked_discard" MANAGERS "discard parked sync events";
    HistorySearch "history_search" MANAGERS "review the history";
    HistoryCount "history_count" MANAGERS "review the history";
    HistoryCashiers "history_cashiers" MANAGERS "review the history";
    OrderDetail "order_detail" MANAGERS "review the history";
    ReceiptReprint "receipt_reprint" MANAGERS "reprint receipts";
    ReportX "report_x" MANAGERS "run reports";
    ReportZ "report_z" MANAGERS "close the day";
    ReportClosedList "report_closed_list" MANAGERS "run reports";
    ReportClosedGet "report_closed_get" MANAGERS "run reports";
    ReportPdf "report_pdf" MANAGERS "run reports";
    ChartsGet "charts_get" MANAGERS "see charts";
    ExportStart "export_start" MANAGERS "export data";
    ExportStatus "export_status" MANAGERS "export data";
    ExportCancel "export_cancel" MANAGERS "export data";
    CatalogueList "catalogue_list" MANAGERS "edit the catalogue";
    ProductCreate "product_create" MANAGERS "edit the catalogue";
    ProductUpdate "product_update" MANAGERS "edit the catalogue";
    ProductSetActive "product_set_active" MANAGERS "edit the catalogue";
    CatalogueImportPreview "catalogue_import_preview" MANAGERS "edit the catalogue";
    CatalogueImportApply "catalogue_import_apply" MANAGERS "edit the catalogue";
    AuditList "audit_list" MANAGERS "read the audit log";
    CartSetDevice "cart_set_device" SELLERS "sell";
    RefundFind "refund_find" SELLERS "refund";
    RefundQuote "refund_quote" SELLERS "refund";
    RefundRecord "refund_record" SELLERS "refund";
    RefundRemote "refund_remote" SELLERS "refund";
    RefundRefresh "refund_refresh" SELLERS "see refunds";
    RefundsOfOrder "refunds_of_order" SELLERS "see refunds";
    RefundByNumber "refund_by_number" SELLERS "see refunds";
    RefundsToPayOut "refunds_to_pay_out" SELLERS "see refunds";
    RefundPayOut "refund_pay_out" SELLERS "pay out refunds";
    RefundsRemoteList "remote_refunds" SELLERS "see refunds";
    RefundDisagreements "refund_disagreements" MANAGERS "see refund disagreements";
    PointsEnrol "points_enrol" SELLERS "enrol customers";
    PointsRedeem "points_redeem" SELLERS "redeem points";
    PointsProblems "points_problems" MANAGERS "see rejected points changes";
    LoyaltySettingsGet "loyalty_settings_get" MANAGERS "see the points and refund settings";
    LoyaltySettingsSet "loyalty_settings_set" MANAGERS "change the points and refund settings";
    SetupStatus "setup_status" PUBLIC "see the setup's progress";
    SetupShopSave "setup_shop_save" PUBLIC "set up the shop";
    SetupFirstPeople "setup_first_people" PUBLIC "create the first owner and installer";
    SetupPass "setup_pass" INSTALLERS "go on with the setup";
    ShopProfileSet "shop_profile_set" SHOP_KEEPERS "change the shop profile";
    BackupSettingsGet "backup_settings_get" BACKUP_KEEPERS "see the backup settings";
    BackupSettingsSet "backup_settings_set" BACKUP_KEEPERS "change the backup settings";
    BackupNow "backup_now" BACKUP_KEEPERS "take a backup";
    BackupStatus "backup_status" BACKUP_KEEPERS "see the backups";
    PrintStatusWatch "print_status_watch" ANYONE "see the printer's status";
    PrintStatusUnwatch "print_status_unwatch" PUBLIC "stop the printer feed";
    PrintRetry "print_retry" SELLERS "retry printing";
    PrintReprint "print_reprint" SELLERS "reprint receipts";
    PrintRefundReceipt "print_refund_receipt" SELLERS "reprint receipts";
    PrintSetLanguage "print_set_language" SELLERS "choose the receipt language";
    PrintCancelJob "print_cancel_job" MANAGERS "cancel print jobs";
    PrintOnOther "print_on_other" MANAGERS "print on another printer";
    PrintReport "print_report" MANAGERS "print reports";
    DrawerOpen "drawer_open" MANAGERS "open the cash drawer";
    PendingOrdersWatch "pending_orders_watch" SELLERS "see orders pending collection";
    PendingOrdersUnwatch "pending_orders_unwatch" PUBLIC "stop the pending orders feed";
    PendingOrdersList "pending_orders_list" SELLERS "see orders pending collection";
    PendingOrdersRefresh "pending_orders_refresh" SELLERS "see orders pending collection";
    PendingOrderGet "pending_order_get" SELLERS "see orders pending collection";
    PendingOrderCollect "pending_order_collect" SELLERS "collect orders";
    PendingOrderRelease "pending_order_release" SELLERS "collect orders";
    ServicesProviders "services_providers" SELLERS "handle services";
    ServicesFollow "services_follow" SELLERS "follow service providers";
    ServicesStart "services_start" SELLERS "handle services";
    ServicesConversation "services_conversation" SELLERS "handle services";
    ServicesSend "services_send" SELLERS "handle services";
    ServicesRetry "services_retry" SELLERS "handle services";
    ServicesAddToSale "services_add_to_sale" SELLERS "sell";
    ServicesHistory "services_history" MANAGERS "see the history";
    DeviceLookup "device_lookup" SELLERS "use device services";
    DeviceRepairOpen "device_repair_open" SELLERS "open repairs";
    DeviceRepairStatus "device_repair_status" SELLERS "move repairs on";
    DeviceRepairReprint "device_repair_reprint" SELLERS "reprint receipts";
    DeviceSoftwareRecord "device_software_record" SELLERS "record software updates";
    ServiceOrdersList "service_orders_list" MANAGERS "see the history";
}

impl Command {
    /// This command's row.
    pub fn permission(self) -> &'static Permission {
        // The macro writes the rows in the order of the variants.
        &TABLE[self as usize]
    }

    /// The IPC name.
    pub fn name(self) -> &'static str {
        self.permission().name
    }

    /// The row of the command called `name`, if there is one.
    pub fn named(name: &str) -> Option<&'static Permission> {
        TABLE.iter().find(|p| p.name == name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_row_is_its_commands_and_names_are_unique() {
        for (i, row) in TABLE.iter().enumerate() {
            assert_eq!(row.command as usize, i);
            assert_eq!(row.command.permission().name, row.name);
            assert_eq!(Command::named(row.name).map(|p| p.command), Some(row.command));
        }
        let mut names: Vec<_> = TABLE.iter().map(|p| p.name).collect();
        names.sort();
        names.dedup();
        assert_eq!(names.len(), TABLE.len());
    }

    #[test]
    fn installers_neither_sell_nor_see_sales_and_owners_do_what_managers_do() {
        // Everything an installer may call once logged in: devices, servers, keys, limits,
        // the status lights, the sync line (counts only) and the backups. No cart, payment, receipt,
        // history, report, export, refund, customer or user command.
        let installer: Vec<&str> = TABLE
            .iter()
            .filter(|r| r.access != Access::Public && r.access.allows(Role::Installer))
            .map(|r| r.name)
            .collect();
        assert_eq!(
            installer,
            [
                "platform_key_set",
                "platform_key_status",
                "payment_settings_get",
                "payment_settings_set",
                "devices_watch",
                "device_assign",
                "device_remove",
                "device_test",
                "device_pair",
                "device_cancel",
                "device_status_watch",
                "sync_status_watch",
                "sync_settings_get",
                "sync_settings_set",
                "sync_settings_clear",
                "sync_test_connection",
                "sync_enrol",
                "setup_pass",
                "shop_profile_set",
                "backup_settings_get",
                "backup_settings_set",
                "backup_now",
                "backup_status",
                "print_status_watch",
            ]
        );
        for row in TABLE {
            if row.access.allows(Role::Manager) {
                assert!(row.access.allows(Role::Owner), "{} is a manager's but not an owner's", row.name);
            }
            if row.access.allows(Role::Cashier) {
                assert!(row.access.allows(Role::Manager), "{} is a cashier's but not a manager's", row.name);
            }
        }
    }
}
