// Typed wrappers around the backend's Tauri commands.
// Every command rejects with an IpcError {code, message}; anything else that
// rejects (e.g. the bridge is missing) is normalised to code "internal".
import { Channel, invoke } from "@tauri-apps/api/core";
import { t, type MessageKey } from "./i18n/index.svelte";
import type {
  DeviceView,
  RepairInput,
  RepairResult,
  RepairStatusInput,
  ServiceOrderRow,
  ServiceOrdersQuery,
  SoftwareUpdateInput,
} from "./bindings";
import type {
  AppInfo,
  AuditReport,
  BackupSettings,
  BackupStatus,
  CardPaymentView,
  CodePaymentView,
  ConnectionTest,
  CartView,
  CollectedOrder,
  CustomerView,
  DeviceAssignment,
  DeviceRole,
  DeviceStatus,
  DeviceTestResult,
  DevicesOverview,
  ErrorCode,
  ForwardedDecline,
  IpcError,
  LoginUser,
  ParkedEventView,
  PendingOrdersCount,
  PendingOrderView,
  ReleasedOrder,
  PaymentSettings,
  PrintReportKind,
  PrintStatus,
  PlatformKeyStatus,
  ProductView,
  Receipt,
  Role,
  Session,
  SyncSettingsInput,
  SyncSettingsView,
  SyncStatusView,
  UserView,
  EnrolView,
  LoyaltySettings,
  PointsProblemView,
  RefundInput,
  RefundLookup,
  RefundOrderView,
  RefundQuoteView,
  RefundReceipt,
  RefundDisagreementView,
  RefundToPayOutView,
  RemoteRefundInput,
  RemoteRefundRecordView,
  RemoteRefundView,
  EnrolmentInput,
  FirstPeopleInput,
  SetupStatus,
  SetupStep,
  ShopProfile,
  ServiceConversationView,
  ServiceProviderView,
} from "./bindings";

const ERROR_KEYS: Record<ErrorCode, MessageKey> = {
  unauthenticated: "error.unauthenticated",
  session_expired: "error.session_expired",
  forbidden: "error.forbidden",
  wrong_pin: "error.wrong_pin",
  user_locked: "error.user_locked",
  user_inactive: "error.user_inactive",
  unknown_barcode: "error.unknown_barcode",
  invalid_barcode: "error.invalid_barcode",
  unknown_product: "error.unknown_product",
  invalid_quantity: "error.invalid_quantity",
  invalid_input: "error.invalid_input",
  day_closed: "error.day_closed",
  invalid_device_identifier: "error.invalid_device_identifier",
  refund_exceeds_sold: "error.refund_exceeds_sold",
  refund_exceeds_paid: "error.refund_exceeds_paid",
  approval_required: "error.approval_required",
  server_unreachable: "error.server_unreachable",
  server_refused: "error.server_refused",
  cart_empty: "error.cart_empty",
  insufficient_tender: "error.insufficient_tender",
  amount_overflow: "error.amount_overflow",
  already_checked_out: "error.already_checked_out",
  card_read_failed: "error.card_read_failed",
  card_bad_read: "error.card_bad_read",
  card_timeout: "error.card_timeout",
  card_reader_disconnected: "error.card_reader_disconnected",
  payment_cancelled: "error.payment_cancelled",
  card_declined: "error.card_declined",
  platform_key_missing: "error.platform_key_missing",
  card_payments_not_set_up: "error.card_payments_not_set_up",
  payment_platform_unreachable: "error.payment_platform_unreachable",
  payment_platform_refused: "error.payment_platform_refused",
  payment_not_recorded: "error.payment_not_recorded",
  payment_code_scanned: "error.payment_code_scanned",
  payment_code_declined: "error.payment_code_declined",
  payment_code_unconfirmed: "error.payment_code_unconfirmed",
  payment_codes_not_set_up: "error.payment_codes_not_set_up",
  invalid_signature: "error.invalid_signature",
  secret_unreadable: "error.secret_unreadable",
  device_not_configured: "error.device_not_configured",
  points_not_responding: "error.points_not_responding",
  points_bad_crc: "error.points_bad_crc",
  points_auth_failed: "error.points_auth_failed",
  points_repair_needed: "error.points_repair_needed",
  points_pairing_refused: "error.points_pairing_refused",
  points_no_customer: "error.points_no_customer",
  points_offline_limit: "error.points_offline_limit",
  device_failed: "error.device_failed",
  cancelled: "error.cancelled",
  not_found: "error.not_found",
  conflict: "error.conflict",
  storage: "error.storage",
  sync_pending: "error.sync_pending",
  sync_not_configured: "error.sync_not_configured",
  device_key_missing: "error.device_key_missing",
  setup_incomplete: "error.setup_incomplete",
  mode_mismatch: "error.mode_mismatch",
  internal: "error.internal",
  startup_failed: "error.startup_failed",
  wrong_pickup_code: "error.wrong_pickup_code",
  pickup_code_locked: "error.pickup_code_locked",
  order_reserved: "error.order_reserved",
  order_closed: "error.order_closed",
  product_not_in_catalogue: "error.product_not_in_catalogue",
};

export function isIpcError(value: unknown): value is IpcError {
  return (
    typeof value === "object" &&
    value !== null &&
    typeof (value as { code?: unknown }).code === "string" &&
    typeof (value as { message?: unknown }).message === "string"
  );
}

export function toIpcError(value: unknown): IpcError {
  if (isIpcError(value)) return value;
  if (value instanceof Error) return { code: "internal", message: value.message };
  return { code: "internal", message: typeof value === "string" ? value : String(value) };
}

/** A translated message for an error; falls back to the backend's message for unknown codes. */
export function errorMessage(err: unknown): string {
  const e = toIpcError(err);
  const key = ERROR_KEYS[e.code as ErrorCode] as MessageKey | undefined;
  if (key) return t(key);
  return e.message || t("error.internal");
}

// Codes whose backend message carries useful specifics (tries left, minutes, the rule broken).
const DETAILED: ReadonlySet<string> = new Set([
  "wrong_pickup_code",
  "order_closed",
  "product_not_in_catalogue",
  "wrong_pin",
  "user_locked",
  "invalid_input",
  "day_closed",
  "invalid_device_identifier",
  "refund_exceeds_sold",
  "refund_exceeds_paid",
  "approval_required",
  "server_unreachable",
  "server_refused",
  "card_read_failed",
  "card_bad_read",
  "card_reader_disconnected",
  "card_declined",
  "card_payments_not_set_up",
  "payment_platform_refused",
  "payment_not_recorded",
  "invalid_signature",
  "device_failed",
  "points_bad_crc",
  "points_offline_limit",
  "conflict",
  "storage",
  "sync_pending",
  "setup_incomplete",
  "mode_mismatch",
  "internal",
]);

/** The backend's own text, when it adds specifics to the translated message; else null. */
export function errorDetail(err: unknown): string | null {
  const e = toIpcError(err);
  const text = e.message?.trim();
  if (!text || !DETAILED.has(e.code)) return null;
  return text.toLowerCase() === errorMessage(e).trim().toLowerCase() ? null : text;
}

export function isAuthError(err: unknown): boolean {
  const e = toIpcError(err);
  return e.code === "session_expired" || e.code === "unauthenticated";
}

type AuthLostHandler = (err: IpcError) => void;
let authLostHandler: AuthLostHandler | null = null;

/** Called once by the app shell: invoked when a command answers session_expired / unauthenticated. */
export function onAuthLost(handler: AuthLostHandler): void {
  authLostHandler = handler;
}

/** Invokes a backend command; rejects with an IpcError (and reports a lost session). */
export async function call<T>(command: string, args?: Record<string, unknown>): Promise<T> {
  try {
    return await invoke<T>(command, args);
  } catch (raw) {
    const err = toIpcError(raw);
    if (isAuthError(err) && authLostHandler) authLostHandler(err);
    throw err;
  }
}

export const appInfo = () => call<AppInfo>("app_info");
export const loginUsers = () => call<LoginUser[]>("login_users");
export const login = (userId: number, pin: string) => call<Session>("login", { userId, pin });
export const logout = (token: string) => call<null>("logout", { token });

export const catalogueSearch = (token: string, query: string, limit = 20) =>
  call<ProductView[]>("catalogue_search", { token, query, limit });

export const cartGet = (token: string) => call<CartView>("cart_get", { token });
export const cartScan = (token: string, code: string) => call<CartView>("cart_scan", { token, code });
export const cartAdd = (token: string, productId: number, quantity: number) =>
  call<CartView>("cart_add", { token, productId, quantity });
export const cartSetQuantity = (token: string, lineNo: number, quantity: number) =>
  call<CartView>("cart_set_quantity", { token, lineNo, quantity });
export const cartRemove = (token: string, lineNo: number) => call<CartView>("cart_remove", { token, lineNo });
export const cartClear = (token: string) => call<CartView>("cart_clear", { token });

export const checkoutCash = (token: string, cartId: string, tenderedMinor: number) =>
  call<Receipt>("checkout_cash", { token, cartId, tenderedMinor });

// Card payments, one step per command (see docs/payments.md). Every change of step is pushed
// through the channel given when the payment starts.
export const paymentStart = (token: string, cartId: string, onProgress: Channel<CardPaymentView>) =>
  call<CardPaymentView>("payment_start", { token, cartId, onProgress });
export const paymentCancel = (token: string, paymentId: string) =>
  call<CardPaymentView>("payment_cancel", { token, paymentId });
export const paymentSwipeText = (
  token: string,
  cartId: string,
  text: string,
  onProgress: Channel<CardPaymentView>,
) => call<CardPaymentView>("payment_swipe_text", { token, cartId, text, onProgress });
// A customer's payment code (docs/payment-codes.md): answers with the receipt once paid; each
// change (the customer confirming on the phone, the seconds left) comes through the channel.
export const paymentCodePay = (token: string, cartId: string, code: string, onProgress: Channel<CodePaymentView>) =>
  call<Receipt>("payment_code_pay", { token, cartId, code, onProgress });
export const paymentCodeCancel = (token: string, paymentId: string) =>
  call<null>("payment_code_cancel", { token, paymentId });
export const paymentPin = (token: string, paymentId: string, pin: string) =>
  call<CardPaymentView>("payment_pin", { token, paymentId, pin });
/** The signature pad's SVG, or null to go on without a signature. */
export const paymentSign = (token: string, paymentId: string, svg: string | null) =>
  call<CardPaymentView>("payment_sign", { token, paymentId, svg });
export const paymentAuthorize = (token: string, paymentId: string) =>
  call<Receipt>("payment_authorize", { token, paymentId });
export const platformKeySet = (token: string, keyHex: string) =>
  call<PlatformKeyStatus>("platform_key_set", { token, keyHex });
export const platformKeyStatus = (token: string) => call<PlatformKeyStatus>("platform_key_status", { token });

export const usersList = (token: string) => call<UserView[]>("users_list", { token });
export const userCreate = (token: string, name: string, role: Role, pin: string) =>
  call<UserView>("user_create", { token, name, role, pin });
export const userSetActive = (token: string, userId: number, active: boolean) =>
  call<UserView>("user_set_active", { token, userId, active });
export const userSetPin = (token: string, userId: number, pin: string) =>
  call<UserView>("user_set_pin", { token, userId, pin });
export const auditVerify = (token: string) => call<AuditReport>("audit_verify", { token });

// Device setup (installers), status lights (anyone), and the cashier's Customer button.
/**
 * Follows the installer's device table: `onchange` now and whenever a device comes or goes, a
 * light or the configuration changes. Resolves to the function that stops it.
 */
export const watchDevices = (token: string, onchange: (o: DevicesOverview) => void) =>
  watch<DevicesOverview>(["devices_watch", "devices_unwatch"], token, onchange);
export const deviceAssign = (token: string, assignment: DeviceAssignment) =>
  call<DevicesOverview>("device_assign", { token, assignment });
export const deviceRemove = (token: string, role: DeviceRole) => call<DevicesOverview>("device_remove", { token, role });
export const deviceTest = (token: string, role: DeviceRole) => call<DeviceTestResult>("device_test", { token, role });
export const devicePair = (token: string) => call<DeviceTestResult>("device_pair", { token });
export const deviceCancel = (token: string) => call<null>("device_cancel", { token });
/**
 * Follows the status lights: `onchange` now and on every change. Resolves to the function that
 * stops it (hand it back from `onMount`).
 */
export const watchDeviceStatus = (token: string, onchange: (s: DeviceStatus) => void) =>
  watch<DeviceStatus>(["device_status_watch", "device_status_unwatch"], token, onchange);
export const customerIdentify = (token: string) => call<CustomerView>("customer_identify", { token });
export const customerGet = (token: string) => call<CustomerView | null>("customer_get", { token });

// Serialised goods, refunds and loyalty points (docs/refunds-and-points.md).
export const cartSetDevice = (token: string, lineNo: number, identifier: string) =>
  call<CartView>("cart_set_device", { token, lineNo, identifier });
export const refundFind = (token: string, lookup: RefundLookup) =>
  call<RefundOrderView>("refund_find", { token, lookup });
export const refundQuote = (token: string, input: RefundInput) =>
  call<RefundQuoteView>("refund_quote", { token, input });
export const refundRecord = (token: string, input: RefundInput) =>
  call<RefundReceipt>("refund_record", { token, input });
export const refundRemote = (token: string, input: RemoteRefundInput) =>
  call<RemoteRefundView>("refund_remote", { token, input });
export const refundRefresh = (token: string, refundId: number) =>
  call<RefundReceipt>("refund_refresh", { token, refundId });
export const refundsOfOrder = (token: string, orderId: number) =>
  call<RefundReceipt[]>("refunds_of_order", { token, orderId });
/** A refund by its printed number (`R0000012`, or `12`). */
export const refundByNumber = (token: string, refundNo: string) =>
  call<RefundReceipt>("refund_by_number", { token, refundNo });
/** Refunds the seller confirmed whose cash is still to be paid out of the drawer. */
export const refundsToPayOut = (token: string) => call<RefundToPayOutView[]>("refunds_to_pay_out", { token });
/** Pays out a confirmed refund's cash: audited, prints its slip and opens the drawer. */
export const refundPayOut = (token: string, refundId: number) =>
  call<RefundReceipt>("refund_pay_out", { token, refundId });
/** Refunds of devices sold at other tills asked for here, newest first. */
export const remoteRefunds = (token: string) => call<RemoteRefundRecordView[]>("remote_refunds", { token });
/** Refund lines paid here that the server did not refund (managers). */
export const refundDisagreements = (token: string) =>
  call<RefundDisagreementView[]>("refund_disagreements", { token });
export const pointsEnrol = (token: string) => call<EnrolView>("points_enrol", { token });
export const pointsRedeem = (token: string, points: number) => call<CustomerView>("points_redeem", { token, points });
export const pointsProblems = (token: string) => call<PointsProblemView[]>("points_problems", { token });
export const loyaltySettingsGet = (token: string) => call<LoyaltySettings>("loyalty_settings_get", { token });
export const loyaltySettingsSet = (token: string, settings: LoyaltySettings) =>
  call<LoyaltySettings>("loyalty_settings_set", { token, settings });

// Payments: the offline points limit (installers; the authorisation timeout and offline card
// limits share its settings but have no field yet), forwarded declines (managers).
export const paymentSettingsGet = (token: string) => call<PaymentSettings>("payment_settings_get", { token });
export const paymentSettingsSet = (token: string, settings: PaymentSettings) =>
  call<PaymentSettings>("payment_settings_set", { token, settings });
export const forwardedDeclinesList = (token: string) =>
  call<ForwardedDecline[]>("forwarded_declines_list", { token });

// Backups (installers and owners): the nightly backup's settings, "Back up now", the outcome.
export const backupSettingsGet = (token: string) => call<BackupSettings>("backup_settings_get", { token });
export const backupSettingsSet = (token: string, settings: BackupSettings) =>
  call<BackupSettings>("backup_settings_set", { token, settings });
export const backupNow = (token: string) => call<BackupStatus>("backup_now", { token });
export const backupStatus = (token: string) => call<BackupStatus>("backup_status", { token });

// Sync: the status line (anyone), parked events (managers), server settings (installers).
/** Follows the sync status line: `onchange` now and on every change; resolves to the stop function. */
/** Follows the receipt printer: `onchange` now and on every change. */
export const watchPrintStatus = (token: string, onchange: (s: PrintStatus) => void) =>
  watch<PrintStatus>(["print_status_watch", "print_status_unwatch"], token, onchange);
export const printRetry = (token: string) => call<PrintStatus>("print_retry", { token });
export const printReprint = (token: string, orderId: number) => call<PrintStatus>("print_reprint", { token, orderId });
export const printRefundReceipt = (token: string, refundId: number) =>
  call<PrintStatus>("print_refund_receipt", { token, refundId });
export const printSetLanguage = (token: string, lang: string) => call<null>("print_set_language", { token, lang });
export const printCancelJob = (token: string, jobId: number) => call<PrintStatus>("print_cancel_job", { token, jobId });
export const printOnOther = (token: string, jobId: number, uri: string) =>
  call<PrintStatus>("print_on_other", { token, jobId, uri });
export const printReport = (token: string, kind: PrintReportKind, closeId: number | null) =>
  call<PrintStatus>("print_report", { token, kind, closeId });
export const drawerOpen = (token: string, reason: string) => call<PrintStatus>("drawer_open", { token, reason });
export const watchSyncStatus = (token: string, onchange: (s: SyncStatusView) => void) =>
  watch<SyncStatusView>(["sync_status_watch", "sync_status_unwatch"], token, onchange);

/** Registers a channel with the watch command; the returned function unregisters it. */
async function watch<T>(
  [watchCommand, unwatchCommand]: [string, string],
  token: string,
  onchange: (value: T) => void,
): Promise<() => void> {
  const onChange = new Channel<T>();
  onChange.onmessage = onchange;
  const id = await call<number>(watchCommand, { token, onChange });
  return () => void call<null>(unwatchCommand, { id }).catch(() => {});
}
export const syncParkedList = (token: string) => call<ParkedEventView[]>("sync_parked_list", { token });
export const syncParkedRetry = (token: string, eventId: string) =>
  call<ParkedEventView[]>("sync_parked_retry", { token, eventId });
export const syncParkedDiscard = (token: string, eventId: string, managerPin: string) =>
  call<ParkedEventView[]>("sync_parked_discard", { token, eventId, managerPin });
export const syncSettingsGet = (token: string) => call<SyncSettingsView>("sync_settings_get", { token });
export const syncSettingsSet = (token: string, settings: SyncSettingsInput) =>
  call<SyncSettingsView>("sync_settings_set", { token, settings });
export const syncTestConnection = (token: string) => call<ConnectionTest>("sync_test_connection", { token });

// First-run setup and the shop profile.
export const setupStatus = () => call<SetupStatus>("setup_status");
export const setupShopSave = (profile: ShopProfile) => call<ShopProfile>("setup_shop_save", { profile });
export const setupFirstPeople = (input: FirstPeopleInput) => call<null>("setup_first_people", { input });
export const setupPass = (token: string, step: SetupStep) => call<SetupStatus>("setup_pass", { token, step });
export const shopProfileSet = (token: string, profile: ShopProfile) =>
  call<ShopProfile>("shop_profile_set", { token, profile });
export const syncEnrol = (token: string, input: EnrolmentInput) =>
  call<SyncSettingsView>("sync_enrol", { token, input });

// Orders pending collection (docs/pending-orders.md): the count is pushed, the pickup code is
// checked by the server when the order is reserved for this till.
export const watchPendingOrders = (token: string, onchange: (c: PendingOrdersCount) => void) =>
  watch<PendingOrdersCount>(["pending_orders_watch", "pending_orders_unwatch"], token, onchange);
export const pendingOrdersList = (token: string) => call<PendingOrderView[]>("pending_orders_list", { token });
export const pendingOrdersRefresh = (token: string) => call<PendingOrderView[]>("pending_orders_refresh", { token });
export const pendingOrderGet = (token: string, orderId: string) =>
  call<PendingOrderView>("pending_order_get", { token, orderId });
export const pendingOrderCollect = (token: string, orderId: string, pickupCode: string) =>
  call<CollectedOrder>("pending_order_collect", { token, orderId, pickupCode });
export const pendingOrderRelease = (token: string, orderId: string) =>
  call<ReleasedOrder>("pending_order_release", { token, orderId });
// The service relay (docs/services.md): providers through the platform, conversations round by
// round; a round with no answer comes back failed in the view, with its code, to retry.
export const servicesProviders = (token: string) => call<ServiceProviderView[]>("services_providers", { token });
export const servicesFollow = (token: string, accountId: string) =>
  call<ServiceProviderView>("services_follow", { token, accountId });
export const servicesStart = (token: string, accountId: string) =>
  call<ServiceConversationView>("services_start", { token, accountId });
export const servicesConversation = (token: string, conversationId: string) =>
  call<ServiceConversationView>("services_conversation", { token, conversationId });
export const servicesSend = (token: string, conversationId: string, text: string) =>
  call<ServiceConversationView>("services_send", { token, conversationId, text });
export const servicesRetry = (token: string, conversationId: string) =>
  call<ServiceConversationView>("services_retry", { token, conversationId });
export const servicesAddToSale = (token: string, conversationId: string) =>
  call<CartView>("services_add_to_sale", { token, conversationId });
export const servicesHistory = (token: string) => call<ServiceConversationView[]>("services_history", { token });
// Device services (docs/device-services.md).
export const deviceLookup = (token: string, identifier: string) =>
  call<DeviceView>("device_lookup", { token, identifier });
export const deviceRepairOpen = (token: string, input: RepairInput) =>
  call<RepairResult>("device_repair_open", { token, input });
export const deviceRepairStatus = (token: string, input: RepairStatusInput) =>
  call<RepairResult>("device_repair_status", { token, input });
export const deviceRepairReprint = (token: string, serviceOrderId: number) =>
  call<boolean>("device_repair_reprint", { token, serviceOrderId });
export const deviceSoftwareRecord = (token: string, input: SoftwareUpdateInput) =>
  call<DeviceView>("device_software_record", { token, input });
export const serviceOrdersList = (token: string, query: ServiceOrdersQuery) =>
  call<ServiceOrderRow[]>("service_orders_list", { token, query });
