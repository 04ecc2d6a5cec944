// The chip's colour from the status line: green online with nothing waiting, amber events
// waiting while the server is reachable (or not yet asked), red offline, parked events, or a
// worker that did not start; grey when no server is set up.
import type { SyncStatusView } from "../../lib/types";

export type ChipState = "online" | "pending" | "offline" | "parked" | "unconfigured";

export function chipState(s: SyncStatusView): ChipState {
  if (!s.configured) return "unconfigured";
  if (s.parked > 0) return "parked";
  if (s.online === false || !s.running) return "offline";
  if (s.pending > 0) return "pending";
  return s.online === true ? "online" : "pending";
}
