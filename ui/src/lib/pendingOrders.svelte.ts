// The count of orders pending collection as the till pushes it: one listener for the signed-in
// session, read by the cashier's header chip and the Pending collection screen. The till tells
// the window when the count changes (after each pull from the server, a collection, a release);
// nothing here asks again.
import type { PendingOrdersCount } from "./bindings";
import * as ipc from "./ipc";

export const pendingOrders: { count: PendingOrdersCount | null } = $state({ count: null });

let stop: (() => void) | null = null;

/** Starts following the count for a new session (and stops following the old one). */
export async function followPendingOrders(token: string): Promise<void> {
  stopPendingOrders();
  try {
    stop = await ipc.watchPendingOrders(token, (c) => {
      pendingOrders.count = c;
    });
  } catch {
    // Installers do not sell: no count for them, and none without a session.
  }
}

/** Stops following the count. */
export function stopPendingOrders(): void {
  stop?.();
  stop = null;
  pendingOrders.count = null;
}
