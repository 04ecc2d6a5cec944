// What the cash and card dialogs share: their props and the state of one checkout attempt.
import { tick } from "svelte";
import * as ipc from "../../lib/ipc";
import type { CartView, IpcError, Receipt } from "../../lib/bindings";
import type { PaymentFeed } from "./paymentFeed.svelte";

export interface PaymentDialogProps {
  token: string;
  cart: CartView;
  onpaid: (receipt: Receipt) => void;
  oncancel: () => void;
}

/** The card dialog also offers cash after a failure, and may open on a card already read. */
export interface CardDialogProps extends PaymentDialogProps {
  oncash: () => void;
  /** A payment a keyboard-wedge swipe started (card already read), as the till pushes it. */
  started?: PaymentFeed | null;
  /** The till refused: card payments are not set up (`card_payments_not_set_up`). */
  onnotsetup?: () => void;
}

/** Pending while the backend takes the payment, paid once it returned a receipt, else the error. */
export class Checkout {
  pending = $state(false);
  paid = $state(false);
  error = $state<IpcError | null>(null);

  /** True while a payment is under way or done: nothing may start, change or cancel it then. */
  get locked(): boolean {
    return this.pending || this.paid;
  }

  /**
   * Takes the payment unless one is under way or done; on success hands the receipt to onpaid,
   * on failure keeps the error and calls onfailed once the error is on screen.
   */
  async run(pay: () => Promise<Receipt>, onpaid: (receipt: Receipt) => void, onfailed: () => void): Promise<void> {
    if (this.locked) return;
    this.pending = true;
    this.error = null;
    try {
      const receipt = await pay();
      this.paid = true;
      onpaid(receipt);
    } catch (e) {
      this.error = ipc.toIpcError(e);
      this.pending = false;
      await tick();
      onfailed();
    }
  }
}
