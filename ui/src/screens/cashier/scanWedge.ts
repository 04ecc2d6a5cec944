// Wedge capture on the scan field. A keyboard-wedge card reader types its swipe into the focused
// scan field as fast keys then Enter; this takes those keys before the field sees them, and takes
// a swipe out of text that reached the field anyway (pasted, or its first keys typed while
// another element had the focus). The swipe text goes to the payment only: never searched,
// shown or looked up as a barcode. Recognising a swipe is payment/wedge.ts's job.
import { findSwipe, swipeStart, SWIPE_IDLE_MS, WedgeCapture } from "../payment/wedge";

export interface WedgeListener {
  /** A swipe has started and is being read. */
  reading(): void;
  /** What was read was not a swipe, or the reader went quiet mid-swipe. */
  ignored(): void;
  /** A whole swipe; `typed` when it came key by key (the "reading" status is showing then). */
  swipe(text: string, typed: boolean): void;
}

/** The part of a keydown the capture needs. */
export type WedgeKey = Pick<KeyboardEvent, "key" | "preventDefault">;

export class ScanWedge {
  private timer: ReturnType<typeof setTimeout> | undefined;

  constructor(
    private readonly on: WedgeListener,
    private readonly capture: WedgeCapture = new WedgeCapture(),
    private readonly idleMs = SWIPE_IDLE_MS,
  ) {}

  /** Feeds a keydown of the scan field; true when the key was the reader's, kept from the field. */
  key(e: WedgeKey): boolean {
    const r = this.capture.key(e.key);
    if (r.kind === "pass") return false;
    e.preventDefault();
    clearTimeout(this.timer);
    if (r.kind === "swallow") this.watch();
    else if (r.kind === "swipe") this.on.swipe(r.text, true);
    else this.on.ignored();
    return true;
  }

  /**
   * Takes the swipe out of the field's text after an input: a whole swipe goes to `swipe`, the
   * start of one continues as a capture. Returns the text to leave in the field, and whether a
   * capture is under way (the field must not search then).
   */
  input(text: string): { text: string; capturing: boolean } {
    const found = findSwipe(text);
    if (found) {
      const swipe = text.slice(found.start, found.end);
      text = text.slice(0, found.start) + text.slice(found.end);
      this.on.swipe(swipe, false);
    }
    const start = swipeStart(text);
    if (start < 0) return { text, capturing: false };
    this.capture.begin(text.slice(start));
    this.watch();
    return { text: text.slice(0, start), capturing: true };
  }

  /** Stops the idle watch (the field is going away). */
  dispose(): void {
    clearTimeout(this.timer);
  }

  /** Says a card is being read, and drops the capture if the reader goes quiet mid-swipe. */
  private watch(): void {
    this.on.reading();
    clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      if (this.capture.stale()) {
        this.capture.reset();
        this.on.ignored();
      }
    }, this.idleMs + 50);
  }
}
