import { describe, expect, it } from "vitest";
import {
  localDateTimeMs,
  nearEnd,
  parseAmountFilter,
  scrollToRow,
  validLast4,
  visibleWindow,
} from "../historyMath";

describe("visibleWindow", () => {
  const base = { rowHeight: 40, overscan: 5 };

  it("renders nothing for an empty list", () => {
    expect(visibleWindow({ ...base, scrollTop: 0, viewportHeight: 400, total: 0 })).toEqual({
      start: 0,
      end: 0,
      offsetTop: 0,
      totalHeight: 0,
    });
  });

  it("renders the visible rows plus the overscan below at the top", () => {
    const w = visibleWindow({ ...base, scrollTop: 0, viewportHeight: 400, total: 1000 });
    expect(w).toEqual({ start: 0, end: 15, offsetTop: 0, totalHeight: 40000 });
  });

  it("adds overscan on both sides in the middle", () => {
    const w = visibleWindow({ ...base, scrollTop: 4000, viewportHeight: 400, total: 1000 });
    expect(w.start).toBe(95);
    expect(w.end).toBe(115);
    expect(w.offsetTop).toBe(95 * 40);
  });

  it("counts a partly visible row", () => {
    const w = visibleWindow({ rowHeight: 40, overscan: 0, scrollTop: 20, viewportHeight: 400, total: 1000 });
    expect(w.start).toBe(0);
    expect(w.end).toBe(11);
  });

  it("stops at the end of the list", () => {
    const w = visibleWindow({ ...base, scrollTop: 39800, viewportHeight: 400, total: 1000 });
    expect(w.end).toBe(1000);
    expect(w.start).toBe(990);
  });

  it("clamps a scrollTop past the end and a negative one", () => {
    const past = visibleWindow({ ...base, scrollTop: 1e9, viewportHeight: 400, total: 10 });
    expect(past.end).toBe(10);
    expect(past.start).toBeGreaterThanOrEqual(0);
    const neg = visibleWindow({ ...base, scrollTop: -50, viewportHeight: 400, total: 10 });
    expect(neg.start).toBe(0);
    expect(neg.end).toBe(10);
  });

  it("renders at least one row when the viewport has no height yet", () => {
    const w = visibleWindow({ rowHeight: 40, overscan: 0, scrollTop: 0, viewportHeight: 0, total: 5 });
    expect(w.end - w.start).toBe(1);
  });

  it("knows when it is near the end", () => {
    const w = visibleWindow({ ...base, scrollTop: 3000, viewportHeight: 400, total: 100 });
    expect(nearEnd(w, 100, 20)).toBe(true);
    const top = visibleWindow({ ...base, scrollTop: 0, viewportHeight: 400, total: 100 });
    expect(nearEnd(top, 100, 20)).toBe(false);
  });
});

describe("scrollToRow", () => {
  it("scrolls up or down just enough", () => {
    expect(scrollToRow(0, 400, 400, 40)).toBe(0);
    expect(scrollToRow(20, 0, 400, 40)).toBe(440);
    expect(scrollToRow(5, 0, 400, 40)).toBe(0);
  });
});

describe("parseAmountFilter", () => {
  it("treats empty text as no bound", () => {
    expect(parseAmountFilter("  ", "CNY")).toEqual({ ok: true, minor: null });
  });
  it("parses major units into minor units", () => {
    expect(parseAmountFilter("12", "CNY")).toEqual({ ok: true, minor: 1200 });
    expect(parseAmountFilter("12.5", "CNY")).toEqual({ ok: true, minor: 1250 });
    expect(parseAmountFilter("¥0.99", "CNY")).toEqual({ ok: true, minor: 99 });
    expect(parseAmountFilter("1,234.56", "CNY")).toEqual({ ok: true, minor: 123456 });
    expect(parseAmountFilter("500", "JPY")).toEqual({ ok: true, minor: 500 });
  });
  it("refuses text that is not money", () => {
    expect(parseAmountFilter("abc", "CNY")).toEqual({ ok: false });
    expect(parseAmountFilter("-5", "CNY")).toEqual({ ok: false });
    expect(parseAmountFilter("1.234", "CNY")).toEqual({ ok: false });
    expect(parseAmountFilter("1e3", "CNY")).toEqual({ ok: false });
  });
});

describe("validLast4", () => {
  it("accepts empty or four digits only", () => {
    expect(validLast4("")).toBe(true);
    expect(validLast4("4444")).toBe(true);
    expect(validLast4("444")).toBe(false);
    expect(validLast4("44a4")).toBe(false);
    expect(validLast4("44444")).toBe(false);
  });
});

describe("localDateTimeMs", () => {
  it("reads a datetime-local value in local time", () => {
    expect(localDateTimeMs("2026-12-04T09:30")).toBe(new Date(2026, 11, 4, 9, 30).getTime());
    expect(localDateTimeMs("")).toBeNull();
    expect(localDateTimeMs("nonsense")).toBeNull();
  });
});
