import { describe, expect, it } from "vitest";
import { dayAfterMidnightMs, defaultRange, exportRange, localMidnightMs, percentDone } from "../exportRange";

describe("exportRange", () => {
  it("covers from local midnight to the midnight after the last day", () => {
    expect(exportRange("2026-12-01", "2026-12-04")).toEqual({
      ok: true,
      fromMs: new Date(2026, 11, 1).getTime(),
      toMs: new Date(2026, 11, 5).getTime(),
    });
  });
  it("accepts a single day", () => {
    const r = exportRange("2026-12-31", "2026-12-31");
    expect(r).toEqual({ ok: true, fromMs: new Date(2026, 11, 31).getTime(), toMs: new Date(2027, 0, 1).getTime() });
  });
  it("refuses from after to, and bad dates", () => {
    expect(exportRange("2026-12-05", "2026-12-04")).toEqual({ ok: false, reason: "order" });
    expect(exportRange("", "2026-12-04")).toEqual({ ok: false, reason: "invalid" });
    expect(exportRange("2026-02-30", "2026-03-01")).toEqual({ ok: false, reason: "invalid" });
  });
  it("computes midnights", () => {
    expect(localMidnightMs("2026-03-01")).toBe(new Date(2026, 2, 1).getTime());
    expect(dayAfterMidnightMs("2026-02-28")).toBe(new Date(2026, 2, 1).getTime());
  });
});

describe("defaultRange", () => {
  it("is the first of the month to today", () => {
    expect(defaultRange(new Date(2026, 11, 4, 15, 0))).toEqual({ from: "2026-12-01", to: "2026-12-04" });
  });
});

describe("percentDone", () => {
  it("is a whole percent, clamped", () => {
    expect(percentDone(0, 0)).toBe(0);
    expect(percentDone(0, 0, true)).toBe(100);
    expect(percentDone(1, 3)).toBe(33);
    expect(percentDone(5, 3)).toBe(100);
  });
});
