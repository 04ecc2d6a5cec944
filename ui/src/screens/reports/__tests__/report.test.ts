import { describe, expect, it } from "vitest";
import { cashState, formatCount, isBusinessDate, localDate, parseCashCounted, remoteRefundsTotal } from "../report";

describe("cash difference state", () => {
  it("is short below zero, over above, even at zero, null without a difference", () => {
    expect(cashState({ minor: -150, currency: "CNY" })).toBe("short");
    expect(cashState({ minor: 1, currency: "CNY" })).toBe("over");
    expect(cashState({ minor: 0, currency: "CNY" })).toBe("even");
    expect(cashState(null)).toBeNull();
  });
});

describe("cash counted", () => {
  it("parses major units into minor units", () => {
    expect(parseCashCounted("37.50", "CNY")).toBe(3750);
    expect(parseCashCounted(" 37 ", "CNY")).toBe(3700);
    expect(parseCashCounted("0", "CNY")).toBe(0);
  });
  it("refuses text that is not money", () => {
    expect(parseCashCounted("", "CNY")).toBeNull();
    expect(parseCashCounted("abc", "CNY")).toBeNull();
    expect(parseCashCounted("-5", "CNY")).toBeNull();
    expect(parseCashCounted("1.234", "CNY")).toBeNull();
  });
});

describe("business date", () => {
  it("defaults to the local calendar date", () => {
    expect(localDate(new Date(2026, 0, 5, 23, 59))).toBe("2026-01-05");
  });
  it("accepts only real dates", () => {
    expect(isBusinessDate("2026-02-28")).toBe(true);
    expect(isBusinessDate("2026-02-30")).toBe(false);
    expect(isBusinessDate("26-2-3")).toBe(false);
  });
  it("formats counts with grouping", () => {
    expect(formatCount(12345, "en")).toBe("12,345");
  });
});

describe("refunds of devices sold elsewhere", () => {
  it("adds them up apart, none when there are none", () => {
    expect(remoteRefundsTotal([])).toBeNull();
    expect(
      remoteRefundsTotal([{ amount: { minor: 399900, currency: "CNY" } }, { amount: { minor: 12900, currency: "CNY" } }]),
    ).toEqual({ minor: 412800, currency: "CNY" });
  });
});
