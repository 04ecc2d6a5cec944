// Pure helpers of the export screen: the date range it sends and its progress.

/** A `date` input value ("YYYY-MM-DD") as a local date, or null. */
function parseDate(value: string): { y: number; m: number; d: number } | null {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(value.trim());
  if (!m) return null;
  const y = +m[1];
  const mo = +m[2];
  const d = +m[3];
  const probe = new Date(y, mo - 1, d);
  if (probe.getFullYear() !== y || probe.getMonth() !== mo - 1 || probe.getDate() !== d) return null;
  return { y, m: mo, d };
}

/** Local midnight at the start of `value`, ms since the epoch; null when not a date. */
export function localMidnightMs(value: string): number | null {
  const p = parseDate(value);
  return p ? new Date(p.y, p.m - 1, p.d).getTime() : null;
}

/** Local midnight at the start of the day after `value` (so the range includes all of `value`). */
export function dayAfterMidnightMs(value: string): number | null {
  const p = parseDate(value);
  return p ? new Date(p.y, p.m - 1, p.d + 1).getTime() : null;
}

export type RangeResult = { ok: true; fromMs: number; toMs: number } | { ok: false; reason: "invalid" | "order" };

/** The [fromMs, toMs) an export of the days from..to (both included) covers. */
export function exportRange(from: string, to: string): RangeResult {
  const fromMs = localMidnightMs(from);
  const toStart = localMidnightMs(to);
  const toMs = dayAfterMidnightMs(to);
  if (fromMs === null || toMs === null || toStart === null) return { ok: false, reason: "invalid" };
  if (fromMs > toStart) return { ok: false, reason: "order" };
  return { ok: true, fromMs, toMs };
}

function pad(n: number): string {
  return String(n).padStart(2, "0");
}

/** A Date as a `date` input value, local time. */
export function dateInputValue(d: Date): string {
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
}

/** The default range: the first of this month to today. */
export function defaultRange(now: Date): { from: string; to: string } {
  return { from: dateInputValue(new Date(now.getFullYear(), now.getMonth(), 1)), to: dateInputValue(now) };
}

/** Whole percent done, 0..100 (0 when the total is unknown or zero and nothing is done). */
export function percentDone(written: number, total: number, done = false): number {
  if (total <= 0) return done ? 100 : 0;
  return Math.max(0, Math.min(100, Math.floor((written * 100) / total)));
}
