import { describe, expect, it } from "vitest";
import { barLayout, bucketAllowed, change, labelStep, niceMax, presetRange, scaleY, shortLabel, ticks, type Frame } from "../chart";

const frame: Frame = { width: 500, height: 220, left: 60, right: 40, top: 10, bottom: 10 };

describe("scale", () => {
  it("rounds the maximum up to a nice value", () => {
    expect(niceMax(0)).toBe(1);
    expect(niceMax(7)).toBe(10);
    expect(niceMax(10)).toBe(10);
    expect(niceMax(11)).toBe(20);
    expect(niceMax(2100)).toBe(2500);
    expect(niceMax(4321)).toBe(5000);
    expect(niceMax(123456)).toBe(200000);
  });
  it("spaces ticks evenly from zero", () => {
    expect(ticks(5000)).toEqual([0, 1250, 2500, 3750, 5000]);
  });
  it("maps values onto the plot area", () => {
    expect(scaleY(0, 100, frame)).toBe(210);
    expect(scaleY(100, 100, frame)).toBe(10);
    expect(scaleY(50, 100, frame)).toBe(110);
    expect(scaleY(500, 100, frame)).toBe(10);
  });
});

describe("bars", () => {
  it("divides the width into equal slots with bars from the baseline", () => {
    const bars = barLayout([100, 50, 0, 25], [0, 100, 50, 25], 100, frame, 0.5);
    expect(bars).toHaveLength(4);
    // plot width 400 → slots of 100, bars 50 wide centred in them
    expect(bars[0].x).toBe(85);
    expect(bars[0].width).toBe(50);
    expect(bars[0].cx).toBe(110);
    expect(bars[1].x).toBe(185);
    expect(bars[0].y).toBe(10);
    expect(bars[0].height).toBe(200);
    expect(bars[1].height).toBe(100);
    expect(bars[2].height).toBe(0);
    expect(bars[1].prevHeight).toBe(200);
    expect(bars[0].prevHeight).toBe(0);
  });
  it("draws nothing without points", () => {
    expect(barLayout([], [], 10, frame)).toEqual([]);
  });
  it("thins out labels", () => {
    expect(labelStep(7)).toBe(1);
    expect(labelStep(24)).toBe(2);
    expect(labelStep(30)).toBe(3);
  });
});

describe("changes and ranges", () => {
  it("computes a relative change, none against zero", () => {
    expect(change(150, 100)).toBe(0.5);
    expect(change(50, 100)).toBe(-0.5);
    expect(change(10, 0)).toBeNull();
  });
  it("ends presets at the end of today", () => {
    const now = new Date(2026, 11, 4, 13, 30);
    const today = presetRange("today", now);
    expect(today.fromMs).toBe(new Date(2026, 11, 4).getTime());
    expect(today.toMs).toBe(new Date(2026, 11, 5).getTime());
    expect(today.bucket).toBe("hour");
    expect(presetRange("7d", now).fromMs).toBe(new Date(2026, 10, 28).getTime());
    expect(presetRange("30d", now).bucket).toBe("day");
    expect(presetRange("12w", now).bucket).toBe("week");
  });
});

describe("labels and limits", () => {
  it("shortens the backend's labels for the axis", () => {
    expect(shortLabel("2026-12-04 13:00", "hour")).toBe("13:00");
    expect(shortLabel("2026-12-04", "day")).toBe("12-04");
    expect(shortLabel("W 2026-11-30", "week")).toBe("W 11-30");
    expect(shortLabel("odd", "day")).toBe("odd");
  });
  it("allows hour buckets for at most 31 days", () => {
    const r = presetRange("12w", new Date(2026, 11, 4));
    expect(bucketAllowed("hour", r.fromMs, r.toMs)).toBe(false);
    expect(bucketAllowed("week", r.fromMs, r.toMs)).toBe(true);
    const m = presetRange("30d", new Date(2026, 11, 4));
    expect(bucketAllowed("hour", m.fromMs, m.toMs)).toBe(true);
  });
});
