// What the parts of the cashier screen share: the cart on screen, its customer, the one dialog
// open (at most one, so the shortcuts and the scan field's focus can tell), and the message
// under the scan field. Cart operations go through one chain so they apply in the order asked.
import * as ipc from "../../lib/ipc";
import type { CartView, CustomerView, IpcError } from "../../lib/bindings";
import { dueCart, keptSelection, redeemedMinor } from "./cartMath";

export type Dialog = "cash" | "card" | "code" | "clear" | "qty" | "customer" | "device" | "enrol" | "redeem";

export interface CartOpHandlers {
  ok?: (before: CartView | null, after: CartView) => void;
  fail?: (e: IpcError) => void;
}

export class CashierState {
  cart = $state<CartView | null>(null);
  selectedLineNo = $state<number | null>(null);
  /** The customer identified for this cart by the points terminal (kept with the open cart). */
  customer = $state<CustomerView | null>(null);
  dialog = $state<Dialog | null>(null);
  error = $state<{ err: IpcError; code: string | null } | null>(null);
  /** A thunk so the message follows language changes. */
  status = $state<(() => string) | null>(null);
  /** No payment platform is set up (known at login, or the till refused a card as not set up):
   * the Card button says so until a card goes through. */
  cardNotSetUp = $state(false);

  readonly selectedLine = $derived(this.cart?.lines.find((l) => l.lineNo === this.selectedLineNo) ?? null);
  /** What points pay of the cart; the tender pays the rest. */
  readonly redeemMinor = $derived(redeemedMinor(this.cart, this.customer));
  readonly dueCart = $derived(dueCart(this.cart, this.redeemMinor));

  private chain: Promise<void> = Promise.resolve();

  /** Done once every cart operation asked for so far is: the cart on screen is the current one. */
  settled(): Promise<void> {
    return this.chain;
  }

  /** Queues a cart operation; its result replaces the cart shown. Auth errors are left to the app. */
  cartOp(run: () => Promise<CartView>, handlers: CartOpHandlers = {}): Promise<void> {
    this.chain = this.chain.then(async () => {
      const before = this.cart;
      try {
        const next = await run();
        this.cart = next;
        this.selectedLineNo = keptSelection(next.lines, this.selectedLineNo);
        handlers.ok?.(before, next);
      } catch (raw) {
        const e = ipc.toIpcError(raw);
        if (ipc.isAuthError(e)) return;
        handlers.fail?.(e);
      }
    });
    return this.chain;
  }

  /** Shows an error under the scan field; `code` is the scanned text it is about. */
  showError(err: IpcError, code: string | null = null): void {
    this.error = { err, code };
    this.status = null;
  }

  /** The error for an empty cart, which cannot be paid or cleared. */
  showCartEmpty(): void {
    this.showError({ code: "cart_empty", message: "" });
  }
}
