// The sync status line as the till pushes it: one listener for the whole signed-in session,
// read by the header chip, the Sync screen and the logout check. The till tells the window
// after every sync round, queued event and change of settings; nothing here asks again.
import type { IpcError, SyncStatusView } from "./bindings";
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

/**
 * A list the till reads for a panel of the Sync screen, read again whenever the line is pushed
 * (the server's answers come through sync, and each changes the line). A lost session is the
 * app shell's to handle, so an authorisation error is not shown here. Call it while a
 * component initialises: it follows the line as long as the component lives.
 */
export function followedList<T>(read: () => Promise<T[]>): { list: T[] | null; error: IpcError | null } {
  const shown: { list: T[] | null; error: IpcError | null } = $state({ list: null, error: null });
  $effect(() => {
    void syncLine.receivedAt;
    read().then(
      (list) => {
        shown.list = list;
        shown.error = null;
      },
      (e) => {
        const err = ipc.toIpcError(e);
        if (!ipc.isAuthError(err)) shown.error = err;
      },
    );
  });
  return shown;
}
