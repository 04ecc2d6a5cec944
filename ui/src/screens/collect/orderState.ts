// How an order pending collection is described on the Pending collection screen.
import type { PendingOrderView } from "../../lib/bindings";
import type { MessageKey } from "../../lib/i18n/index.svelte";

/** The state column's words for an order, from this till's point of view. */
export function stateKey(o: PendingOrderView): MessageKey {
  if (o.inCart) return "collect.state.inCart";
  if (o.status === "reserved") return o.reservedHere ? "collect.state.reservedHere" : "collect.state.reserved";
  switch (o.status) {
    case "collected":
      return "collect.state.collected";
    case "cancelled":
      return "collect.state.cancelled";
    case "expired":
      return "collect.state.expired";
    default:
      return "collect.state.pending";
  }
}

/** Whether the cashier may try a pickup code on it here. */
export function collectable(o: PendingOrderView): boolean {
  const open = o.status === "pending" || (o.status === "reserved" && o.reservedHere);
  return open && !o.inCart && o.pickupAttemptsLeft > 0 && o.lines.every((l) => l.inCatalogue);
}

/** Whether letting it go means something here: its items are in the cart, or this till holds it. */
export function releasable(o: PendingOrderView): boolean {
  return o.inCart || (o.status === "reserved" && o.reservedHere);
}

/** Units over all lines. */
export function itemCount(o: PendingOrderView): number {
  return o.lines.reduce((n, l) => n + l.quantity, 0);
}
