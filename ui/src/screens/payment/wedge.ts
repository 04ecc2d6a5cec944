// Keyboard-wedge card readers type the swipe into whatever has the focus: "%B...?;...?" then
// Enter, faster than anyone types. The cashier's scan input must never search for, show or log
// that text; it recognises the swipe by its start sentinels and hands it to the card payment.
// Barcodes and SKUs never contain "%" or ";", so a capture starts at either character.

/** A capture that sees no key for this long is dropped (a person typed a stray "%" or ";"). */
export const SWIPE_IDLE_MS = 1500;
/** Longest text a swipe can be: track 1 (79) + track 2 (40) + track 3 (107) and some slack. */
export const MAX_SWIPE_CHARS = 300;

/** Where a swipe is in `input`: from a track 1 or 2 start sentinel to the last end sentinel. */
export function findSwipe(input: string): { start: number; end: number } | null {
  let start = -1;
  for (let i = 0; i < input.length - 1; i++) {
    const c = input[i];
    const next = input[i + 1];
    if ((c === "%" && (next === "B" || next === "E")) || (c === ";" && (/[0-9]/.test(next) || next === "E"))) {
      start = i;
      break;
    }
  }
  if (start < 0) return null;
  const end = input.lastIndexOf("?");
  return end > start ? { start, end: end + 1 } : null;
}

/** Whether `input` holds a complete swipe. */
export function isSwipe(input: string): boolean {
  return findSwipe(input) !== null;
}

/** Where typed text starts to look like a swipe (a start sentinel), or -1. */
export function swipeStart(input: string): number {
  const i = [input.indexOf("%"), input.indexOf(";")].filter((n) => n >= 0);
  return i.length > 0 ? Math.min(...i) : -1;
}

/** Whether typed text has started to look like a swipe (never search or show such text). */
export function looksLikeSwipe(input: string): boolean {
  return swipeStart(input) >= 0;
}

export type WedgeResult =
  | { kind: "pass" } // not ours: the scan input handles the key as usual
  | { kind: "swallow" } // part of a swipe: keep it out of the input
  | { kind: "swipe"; text: string } // Enter ended a complete swipe
  | { kind: "rejected" }; // Enter (or too much text) ended something that is not a swipe

/** Collects a swipe key by key, outside the input's value. */
export class WedgeCapture {
  private buffer = "";
  private lastKeyAt = 0;
  active = false;

  constructor(
    private readonly now: () => number = () => Date.now(),
    private readonly idleMs = SWIPE_IDLE_MS,
  ) {}

  /** Feeds one keydown's `key`; see WedgeResult for what the caller does. */
  key(key: string): WedgeResult {
    const now = this.now();
    if (this.active && now - this.lastKeyAt > this.idleMs) this.reset();
    if (!this.active) {
      if (key !== "%" && key !== ";") return { kind: "pass" };
      this.active = true;
      this.buffer = key;
      this.lastKeyAt = now;
      return { kind: "swallow" };
    }
    this.lastKeyAt = now;
    if (key === "Enter") {
      const text = this.buffer;
      this.reset();
      return isSwipe(text) ? { kind: "swipe", text } : { kind: "rejected" };
    }
    if (key.length === 1) {
      this.buffer += key;
      if (this.buffer.length > MAX_SWIPE_CHARS) {
        this.reset();
        return { kind: "rejected" };
      }
    }
    // Shift and other modifiers arrive between the characters of a swipe: swallow them too.
    return { kind: "swallow" };
  }

  /**
   * Starts a capture with text that reached the input before the keys could be caught (the
   * first keys arrived while another element had the focus); the next keys continue it.
   */
  begin(text: string): void {
    this.active = true;
    this.buffer = text.slice(0, MAX_SWIPE_CHARS);
    this.lastKeyAt = this.now();
  }

  /** Whether a capture is under way but has gone quiet for too long. */
  stale(): boolean {
    return this.active && this.now() - this.lastKeyAt > this.idleMs;
  }

  /** Forgets the capture (overwriting the text held so far). */
  reset(): void {
    this.buffer = "";
    this.active = false;
  }
}
