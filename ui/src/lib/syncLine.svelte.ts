// The sync status line as the till pushes it: one listener for the whole signed-in session,
// read by the header chip, the Sync screen and the logout check. The till tells the window
// after every sync round, queued event and change of settings; nothing here asks again.
import type { SyncStatusView } from "./bindings";
import * as ipc from "./ipc";

export const syncLine: { status: SyncStatusView | null; receivedAt: number } = $state({
  status: null,
  receivedAt: 0,
});

let stop: (() => void) | null = null;

/** Starts following the line for a new session (and stops following the old one). */
export async function followSyncLine(token: string): Promise<void> {
  stopSyncLine();
  try {
    const stopThis = await ipc.watchSyncStatus(token, (s) => {
      syncLine.status = s;
      syncLine.receivedAt = Date.now();
    });
    stop = stopThis;
  } catch {
    // No status line without a session; the app shell handles a lost session.
  }
}

/** Stops following the line. */
export function stopSyncLine(): void {
  stop?.();
  stop = null;
  syncLine.status = null;
}

/** The age of the oldest pending event now: the pushed age counted on since it was pushed. */
export function oldestPendingAgeMs(now: number): number | null {
  const age = syncLine.status?.oldestPendingAgeMs;
  return age === null || age === undefined ? null : age + Math.max(0, now - syncLine.receivedAt);
}
