// The receipt printer's status as the till pushes it: one listener for the signed-in session,
// read by the printer alert under the header, the receipt screen and the drawer button. The
// till tells the window when a job is queued, printed or held and when the printer's state
// changes; nothing here asks again.
import type { HeldJob, IpcError, PrintStatus } from "./bindings";
import { getLocale, t, type MessageKey } from "./i18n/index.svelte";
import * as ipc from "./ipc";

export const printLine: { status: PrintStatus | null } = $state({ status: null });

let stop: (() => void) | null = null;
const session = $state<{ token: string | null }>({ token: null });

// Receipts print in the cashier's language: the till is told at sign-in and whenever the
// cashier switches language.
$effect.root(() => {
  $effect(() => {
    const lang = getLocale();
    if (session.token) void ipc.printSetLanguage(session.token, lang).catch(() => {});
  });
});

/** Starts following the printer for a new session (and stops following the old one). */
export async function followPrintLine(token: string): Promise<void> {
  stopPrintLine();
  session.token = token;
  try {
    stop = await ipc.watchPrintStatus(token, (s) => (printLine.status = s));
  } catch {
    // No printer line without a session; the app shell handles a lost session.
  }
}

/** Whether a receipt printer is set up: printing goes to it rather than to the system's dialog. */
export function printerReady(): boolean {
  return printLine.status?.printerSetUp ?? false;
}

/**
 * Prints with `send` on the receipt printer when one is set up, else opens the system's print
 * dialog; resolves to the error `send` met, or null.
 */
export async function printOrDialog(send: (() => Promise<unknown>) | null): Promise<IpcError | null> {
  if (!printerReady() || !send) {
    window.print();
    return null;
  }
  try {
    await send();
    return null;
  } catch (e) {
    return ipc.toIpcError(e);
  }
}

/** Stops following the printer. */
export function stopPrintLine(): void {
  stop?.();
  stop = null;
  session.token = null;
  printLine.status = null;
}

const FAULTS = ["paper-end", "cover-open", "offline", "error", "no-answer", "interrupted"];

/** A fault code in the cashier's language (the till's own English words for codes it adds later). */
export function faultText(code: string, english: string | null): string {
  return FAULTS.includes(code)
    ? t(`print.fault.${code}` as MessageKey)
    : t("print.fault.other", { fault: english ?? code });
}

/** What a held job prints, in the cashier's language. */
export function jobText(job: HeldJob): string {
  const orderNo = job.orderNo ?? "";
  switch (job.kind) {
    case "receipt":
      return t("print.job.receipt", { orderNo });
    case "reprint":
      return t("print.job.reprint", { orderNo });
    case "refund":
    case "report":
    case "drawer":
    case "test":
      return t(`print.job.${job.kind}` as MessageKey);
    default:
      return job.kind;
  }
}
