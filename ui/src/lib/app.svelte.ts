// Application-wide state: who is signed in, which screen is shown, open dialogs.
import type { AppInfo, Receipt, Role, Session } from "./bindings";
import type { MessageKey } from "./i18n/index.svelte";
import * as ipc from "./ipc";
import { followPendingOrders, stopPendingOrders } from "./pendingOrders.svelte";
import { followPrintLine, stopPrintLine } from "./printLine.svelte";
import { followSyncLine, stopSyncLine, syncLine } from "./syncLine.svelte";

export type Screen =
  | "login"
  | "cashier"
  | "receipt"
  | "users"
  | "installer"
  | "sync"
  | "backoffice"
  | "refund"
  | "collect"
  | "services"
  | "device";

interface AppState {
  screen: Screen;
  session: Session | null;
  info: AppInfo | null;
  receipt: Receipt | null;
  loginNotice: MessageKey | null;
  /** Number of open modal dialogs; screens ignore their own shortcuts while > 0. */
  modals: number;
  /** Why the till could not open, when it could not; nothing else can be done then. */
  startupError: string | null;
  /** Events not yet on the server when a logout was asked for: the confirmation is open. */
  logoutPending: { pending: number; parked: number } | null;
}

export const app: AppState = $state({
  screen: "login",
  session: null,
  info: null,
  receipt: null,
  loginNotice: null,
  modals: 0,
  startupError: null,
  logoutPending: null,
});

export function currency(): string {
  return app.info?.currency ?? "CNY";
}

/**
 * The shop's time zone (the shop profile's), for the times on receipts and in the history;
 * undefined (the PC's own zone) on a till without a profile or with a zone this browser lacks.
 */
export function shopTimeZone(): string | undefined {
  const zone = app.info?.setup.shop?.timeZone;
  if (!zone) return undefined;
  try {
    new Intl.DateTimeFormat("en", { timeZone: zone });
    return zone;
  } catch {
    return undefined;
  }
}

/** The shortest PIN the till accepts (6 in a shop, 4 in demo mode); the till checks again. */
export function pinMinLength(): number {
  return app.info?.setup.pinMinLength ?? 6;
}

export function token(): string {
  return app.session?.token ?? "";
}

export function startSession(session: Session): void {
  app.session = session;
  app.loginNotice = null;
  app.receipt = null;
  app.screen = session.user.role === "installer" ? "installer" : "cashier";
  void followSyncLine(session.token);
  void followPrintLine(session.token);
  if (session.user.role !== "installer") void followPendingOrders(session.token);
}

export function endSession(notice: MessageKey | null): void {
  stopSyncLine();
  stopPrintLine();
  stopPendingOrders();
  app.session = null;
  app.receipt = null;
  app.loginNotice = notice;
  app.screen = "login";
}

export async function logOut(): Promise<void> {
  const current = app.session;
  app.logoutPending = null;
  endSession(null);
  if (current) {
    try {
      await ipc.logout(current.token);
    } catch {
      // Already signed out on the backend side (expired or unknown token): nothing to do.
    }
  }
}

/**
 * Logs out, after a confirmation when events have not reached the server yet. A logout is never
 * refused (a cashier must be able to hand over the till during an outage; the events stay on the
 * till), but nobody should walk away thinking everything was sent.
 */
export async function requestLogout(): Promise<void> {
  const current = app.session;
  if (!current) return;
  const s = syncLine.status;
  if (s && (s.pending > 0 || s.parked > 0)) {
    app.logoutPending = { pending: s.pending, parked: s.parked };
    return;
  }
  await logOut();
}

export function showReceipt(receipt: Receipt): void {
  app.receipt = receipt;
  app.screen = "receipt";
}

export function goTo(screen: Screen): void {
  app.screen = screen;
}

/** Whether a role has a manager's say (approvals, the back office): managers and owners. */
export function hasManagerRights(role: Role | undefined): boolean {
  return role === "manager" || role === "owner";
}

export function isManager(): boolean {
  return hasManagerRights(app.session?.user.role);
}
