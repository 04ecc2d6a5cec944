// One card payment as the till pushes it: the till owns the step machine and tells the window
// every change of step through a channel; the window shows the step it was told and never
// asks again.
import { Channel } from "@tauri-apps/api/core";
import type { CardPaymentView } from "../../lib/bindings";

/** The latest view of one card payment. */
export class PaymentFeed {
  view = $state<CardPaymentView | null>(null);
  /** Handed to `payment_start` / `payment_swipe_text`; the till sends each change through it. */
  readonly channel = new Channel<CardPaymentView>();

  constructor() {
    // Tauri delivers a channel's messages in the order they were sent.
    this.channel.onmessage = (v) => (this.view = v);
  }
}
