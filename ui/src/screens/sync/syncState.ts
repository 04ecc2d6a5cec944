// The chip's colour from the status line: green online with nothing waiting, amber events
// waiting while the server is reachable (or not yet asked), red offline, parked events, or a
// worker that did not start; grey when no server is set up, or when nothing was sent yet (the
// worker only talks to the server when it has something to send, so "online" is not known).
import type { ParkedEventView, SyncStatusView } from "../../lib/bindings";

export type ChipState = "online" | "idle" | "pending" | "offline" | "parked" | "unconfigured";

export function chipState(s: SyncStatusView): ChipState {
  if (!s.configured) return "unconfigured";
  if (s.parked > 0) return "parked";
  if (s.online === false || !s.running) return "offline";
  if (s.pending > 0) return "pending";
  return s.online === true ? "online" : "idle";
}

/** The words for the connection: no server, online, offline, connecting, or not yet connected. */
export function connectionKey(
  s: SyncStatusView,
): "sync.notConfigured" | "sync.online" | "sync.offline" | "sync.connecting" | "sync.notYetConnected" {
  if (!s.configured) return "sync.notConfigured";
  if (s.online === false || !s.running) return "sync.offline";
  if (s.online === true) return "sync.online";
  return s.pending > 0 ? "sync.connecting" : "sync.notYetConnected";
}

/**
 * Whether Retry can send a parked event again. A card payment approved offline
 * (`payment.forward`) lost its card data when it was parked, so the server would get another
 * body: the till refuses its retry, and the screen offers Discard only (the customer pays again).
 */
export function canRetry(ev: Pick<ParkedEventView, "kind">): boolean {
  return ev.kind !== "payment.forward";
}
