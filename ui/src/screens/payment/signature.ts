// Signature strokes (pointer positions on the pad) to the compact SVG the backend accepts:
// `<svg xmlns=... viewBox="0 0 W H">` and one `<path d="M x y L x y ...">` per stroke, whole
// numbers inside the view box, nothing else (the backend refuses anything else).

export type Point = readonly [number, number];
export type Stroke = readonly Point[];

export const MAX_STROKES = 200;
export const MAX_POINTS = 2000;
/** Points closer than this to the previous one add nothing visible; they are dropped. */
const MIN_STEP = 2;

function clamp(v: number, max: number): number {
  return Math.min(max, Math.max(0, Math.round(v)));
}

/** The stroke's points as whole numbers inside the pad, without near-duplicates. */
export function simplify(stroke: Stroke, width: number, height: number): Point[] {
  const out: Point[] = [];
  for (const [x, y] of stroke) {
    const p: Point = [clamp(x, width), clamp(y, height)];
    const last = out[out.length - 1];
    if (last && Math.abs(last[0] - p[0]) < MIN_STEP && Math.abs(last[1] - p[1]) < MIN_STEP) continue;
    out.push(p);
    if (out.length >= MAX_POINTS) break;
  }
  return out;
}

/** The SVG of the strokes on a pad of width × height, or null when nothing was drawn. */
export function toSvg(strokes: readonly Stroke[], width: number, height: number): string | null {
  const w = Math.max(1, Math.round(width));
  const h = Math.max(1, Math.round(height));
  const paths = strokes
    .slice(0, MAX_STROKES)
    .map((s) => simplify(s, w, h))
    .filter((s) => s.length > 0)
    .map((s) => `<path d="${s.map(([x, y], i) => `${i === 0 ? "M" : "L"} ${x} ${y}`).join(" ")}"/>`);
  if (paths.length === 0) return null;
  return `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${w} ${h}">${paths.join("")}</svg>`;
}
