// Pure helpers of the history screen: the virtual list's window, the filter bar's parsing.
// No Svelte, no IPC: tested in __tests__/historyMath.test.ts.
import { parseMajor } from "../../lib/money";

export interface WindowInput {
  /** The list's scrollTop, px. */
  scrollTop: number;
  /** The visible height of the list, px. */
  viewportHeight: number;
  /** Each row's fixed height, px (> 0). */
  rowHeight: number;
  /** Extra rows rendered above and below the visible ones. */
  overscan: number;
  /** Rows loaded. */
  total: number;
}

export interface WindowRange {
  /** First row index rendered (inclusive). */
  start: number;
  /** Row index after the last one rendered (exclusive). */
  end: number;
  /** Top offset of the first rendered row, px. */
  offsetTop: number;
  /** Height of the whole list, px. */
  totalHeight: number;
}

/** Which rows to render for a scroll position: the visible ones plus `overscan` on each side. */
export function visibleWindow({ scrollTop, viewportHeight, rowHeight, overscan, total }: WindowInput): WindowRange {
  const count = Math.max(0, Math.floor(total));
  const h = rowHeight > 0 ? rowHeight : 1;
  const totalHeight = count * h;
  if (count === 0) return { start: 0, end: 0, offsetTop: 0, totalHeight: 0 };
  const top = Math.min(Math.max(0, scrollTop || 0), Math.max(0, totalHeight - 1));
  const view = Math.max(0, viewportHeight || 0);
  const pad = Math.max(0, Math.floor(overscan));
  const firstVisible = Math.floor(top / h);
  const lastVisible = Math.ceil((top + view) / h); // exclusive
  const start = Math.max(0, firstVisible - pad);
  const end = Math.min(count, Math.max(lastVisible, firstVisible + 1) + pad);
  return { start, end, offsetTop: start * h, totalHeight };
}

/** True when the rendered window is within `threshold` rows of the end of what is loaded. */
export function nearEnd(range: WindowRange, total: number, threshold: number): boolean {
  return total - range.end <= threshold;
}

/** The scrollTop that brings row `index` fully into view (unchanged when it already is). */
export function scrollToRow(index: number, scrollTop: number, viewportHeight: number, rowHeight: number): number {
  const top = index * rowHeight;
  const bottom = top + rowHeight;
  if (top < scrollTop) return top;
  if (bottom > scrollTop + viewportHeight) return Math.max(0, bottom - viewportHeight);
  return scrollTop;
}

export type AmountParse = { ok: true; minor: number | null } | { ok: false };

/**
 * A min/max amount typed in major units ("12", "12.5", "¥12.50") as minor units; empty text is
 * "no bound" (null). Anything that is not a non-negative money amount is refused.
 */
export function parseAmountFilter(text: string, currency: string): AmountParse {
  if (text.trim() === "") return { ok: true, minor: null };
  const minor = parseMajor(text, currency);
  return minor === null ? { ok: false } : { ok: true, minor };
}

/** A card's last four digits: empty (no filter) or exactly four digits. */
export function validLast4(text: string): boolean {
  const s = text.trim();
  return s === "" || /^\d{4}$/.test(s);
}

/** A `datetime-local` value ("2026-12-04T09:30") as ms since the epoch in local time; empty/invalid -> null. */
export function localDateTimeMs(value: string): number | null {
  const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2}))?$/.exec(value.trim());
  if (!m) return null;
  const d = new Date(+m[1], +m[2] - 1, +m[3], +m[4], +m[5], m[6] ? +m[6] : 0, 0);
  const ms = d.getTime();
  return Number.isNaN(ms) ? null : ms;
}

/** Trimmed text, or null when empty. */
export function textOrNull(value: string): string | null {
  const s = value.trim();
  return s === "" ? null : s;
}
