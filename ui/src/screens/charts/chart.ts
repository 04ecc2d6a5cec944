// Pure geometry and arithmetic of the charts tab: date ranges of the presets, a "nice" axis
// scale, bar rectangles, which labels to show, and percentage changes.

export type Bucket = "hour" | "day" | "week";
export type Preset = "today" | "7d" | "30d" | "12w";

export const PRESETS: Preset[] = ["today", "7d", "30d", "12w"];

const DAY_MS = 86_400_000;

function startOfLocalDay(d: Date): Date {
  return new Date(d.getFullYear(), d.getMonth(), d.getDate());
}

function addLocalDays(d: Date, days: number): Date {
  return new Date(d.getFullYear(), d.getMonth(), d.getDate() + days);
}

/** The [from, to) range of a preset in ms (local calendar days, ending at the end of today) and its natural bucket. */
export function presetRange(preset: Preset, now: Date = new Date()): { fromMs: number; toMs: number; bucket: Bucket } {
  const today = startOfLocalDay(now);
  const toMs = addLocalDays(today, 1).getTime();
  switch (preset) {
    case "today":
      return { fromMs: today.getTime(), toMs, bucket: "hour" };
    case "7d":
      return { fromMs: addLocalDays(today, -6).getTime(), toMs, bucket: "day" };
    case "30d":
      return { fromMs: addLocalDays(today, -29).getTime(), toMs, bucket: "day" };
    case "12w":
      return { fromMs: addLocalDays(today, -83).getTime(), toMs, bucket: "week" };
  }
}

/** The UTC offset the backend needs to cut local buckets: minutes east of UTC. */
export function utcOffsetMinutes(now: Date = new Date()): number {
  return -now.getTimezoneOffset();
}

/** The smallest 1, 2, 2.5 or 5 × 10^k (integer, ≥ 1) not below value; 1 for zero or less. */
export function niceMax(value: number): number {
  if (!(value > 0)) return 1;
  const exp = Math.floor(Math.log10(value));
  const base = 10 ** exp;
  for (const m of [1, 2, 2.5, 5, 10]) {
    const candidate = m * base;
    if (candidate >= value) return Math.max(1, Math.ceil(candidate));
  }
  return Math.ceil(10 * base);
}

/** count + 1 evenly spaced tick values from 0 to max, rounded to integers. */
export function ticks(max: number, count = 4): number[] {
  const out: number[] = [];
  for (let i = 0; i <= count; i++) out.push(Math.round((max * i) / count));
  return out;
}

export interface Frame {
  width: number;
  height: number;
  left: number;
  right: number;
  top: number;
  bottom: number;
}

export interface BarGeometry {
  x: number;
  width: number;
  /** The current period's bar. */
  y: number;
  height: number;
  /** The previous period's ghost bar, drawn behind, a little wider. */
  prevY: number;
  prevHeight: number;
  /** Centre of the slot, for the label. */
  cx: number;
}

/** Vertical pixel position of a value on a 0..max scale inside the frame. */
export function scaleY(value: number, max: number, frame: Frame): number {
  const plotH = frame.height - frame.top - frame.bottom;
  const v = Math.max(0, Math.min(value, max));
  return frame.top + plotH - (max > 0 ? (v / max) * plotH : 0);
}

/** The rectangles of n bar slots (current and previous values) across the frame's plot area. */
export function barLayout(values: number[], previous: number[], max: number, frame: Frame, gap = 0.25): BarGeometry[] {
  const n = values.length;
  if (n === 0) return [];
  const plotW = frame.width - frame.left - frame.right;
  const slot = plotW / n;
  const barW = Math.max(1, slot * (1 - gap));
  const baseline = scaleY(0, max, frame);
  return values.map((v, i) => {
    const x = frame.left + i * slot + (slot - barW) / 2;
    const y = scaleY(v, max, frame);
    const prevY = scaleY(previous[i] ?? 0, max, frame);
    return {
      x,
      width: barW,
      y,
      height: baseline - y,
      prevY,
      prevHeight: baseline - prevY,
      cx: frame.left + i * slot + slot / 2,
    };
  });
}

/** Show every k-th label so at most maxLabels are drawn. */
export function labelStep(n: number, maxLabels = 12): number {
  if (n <= maxLabels) return 1;
  return Math.ceil(n / maxLabels);
}

/** Relative change from previous to current, as a fraction (0.25 = +25 %); null when previous is zero. */
export function change(current: number, previous: number): number | null {
  if (previous === 0) return null;
  return (current - previous) / Math.abs(previous);
}

export function dayCount(fromMs: number, toMs: number): number {
  return Math.round((toMs - fromMs) / DAY_MS);
}

/** The backend's limits: hour buckets cover at most 31 days, day and week buckets 400. */
export function bucketAllowed(bucket: Bucket, fromMs: number, toMs: number): boolean {
  const days = (toMs - fromMs) / DAY_MS;
  return days <= (bucket === "hour" ? 31 : 400);
}

/**
 * The axis text of a bucket's label: the backend's labels are "2026-12-04 13:00" (hour),
 * "2026-12-04" (day) and "W 2026-11-30" (week); the axis shows "13:00", "12-04", "W 11-30".
 * The full label stays in the hover title and the data table.
 */
export function shortLabel(label: string, bucket: string): string {
  if (bucket === "hour") {
    const m = /(\d{2}:\d{2})$/.exec(label);
    return m ? m[1] : label;
  }
  const m = /^(\D*)\d{4}-(\d{2}-\d{2})$/.exec(label);
  return m ? `${m[1]}${m[2]}` : label;
}
