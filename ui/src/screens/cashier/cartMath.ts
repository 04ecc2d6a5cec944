// The cashier's arithmetic on the cart shown: which line to select, what a quantity may be,
// and what is left to pay once points pay part of it. Pure, so it is tested without a window.
import type { CartLine, CartView, CustomerView } from "../../lib/bindings";

/** The selection once the cart changed: the same line while it exists, else the last line. */
export function keptSelection(lines: CartLine[], selectedLineNo: number | null): number | null {
  if (lines.some((l) => l.lineNo === selectedLineNo)) return selectedLineNo;
  return lines.length > 0 ? lines[lines.length - 1].lineNo : null;
}

/**
 * The line an add touched, to select and name it: a new line, else the one whose quantity
 * changed (the backend merges a product scanned again into its line), else the last.
 */
export function changedLine(before: CartView | null, after: CartView): CartLine | undefined {
  const old = new Map((before?.lines ?? []).map((l) => [l.lineNo, l.quantity]));
  return (
    after.lines.find((l) => !old.has(l.lineNo)) ??
    after.lines.find((l) => old.get(l.lineNo) !== l.quantity) ??
    after.lines[after.lines.length - 1]
  );
}

/**
 * Where the arrow keys move the selection: `delta` lines on, stopping at either end; from no
 * selection, Down starts at the first line and Up at the last. Null when the cart is empty.
 */
export function steppedSelection(lines: CartLine[], selectedLineNo: number | null, delta: number): number | null {
  if (lines.length === 0) return null;
  const index = lines.findIndex((l) => l.lineNo === selectedLineNo);
  const next = index < 0 ? (delta > 0 ? 0 : lines.length - 1) : Math.max(0, Math.min(lines.length - 1, index + delta));
  return lines[next].lineNo;
}

/**
 * The line selected after the one at `index` was removed: the line that moved into its place,
 * else the new last line, so Delete can be pressed again. Null when the cart is now empty.
 */
export function selectionAfterRemoval(lines: CartLine[], index: number): number | null {
  if (lines.length === 0) return null;
  return lines[Math.min(Math.max(index, 0), lines.length - 1)].lineNo;
}

/** The quantity after + or −, or null when it would drop below one (Delete removes a line). */
export function nudgedQuantity(quantity: number, delta: number): number | null {
  const next = quantity + delta;
  return next < 1 ? null : next;
}

/** A quantity typed by the cashier: whole units from 1 to 999999, else null. */
export function parseQuantity(text: string): number | null {
  const trimmed = text.trim();
  if (!/^\d{1,6}$/.test(trimmed)) return null;
  const quantity = Number(trimmed);
  return quantity > 0 ? quantity : null;
}

/** What points pay of this cart, in minor units: only for the customer identified with it. */
export function redeemedMinor(cart: CartView | null, customer: CustomerView | null): number {
  return customer && cart && customer.cartId === cart.cartId && customer.redeemValue ? customer.redeemValue.minor : 0;
}

/** The cart as the tender sees it: its total less what points pay. */
export function dueCart(cart: CartView | null, redeemMinor: number): CartView | null {
  return cart && redeemMinor > 0 ? { ...cart, total: { ...cart.total, minor: cart.total.minor - redeemMinor } } : cart;
}
