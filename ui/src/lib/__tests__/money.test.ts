import { describe, expect, it } from "vitest";
import { formatMinor, formatRateBp, minorToInput, parseMajor } from "../money";

describe("formatMinor", () => {
  it("formats two-digit currencies", () => {
    expect(formatMinor(1250, "CNY")).toBe("¥12.50");
    expect(formatMinor(5, "CNY")).toBe("¥0.05");
    expect(formatMinor(0, "USD")).toBe("$0.00");
    expect(formatMinor(123456789, "EUR")).toBe("€1234567.89");
    expect(formatMinor(250, "HKD")).toBe("HK$2.50");
    expect(formatMinor(99, "GBP")).toBe("£0.99");
    expect(formatMinor(-4290, "CNY")).toBe("-¥42.90");
  });
  it("formats zero-digit currencies", () => {
    expect(formatMinor(1500, "JPY")).toBe("¥1500");
  });
  it("handles amounts beyond float precision via bigint", () => {
    expect(formatMinor(9007199254740993n, "CNY")).toBe("¥90071992547409.93");
  });
  it("rejects non-integers", () => {
    expect(formatMinor(1.5, "CNY")).toBe("—");
  });
});

describe("parseMajor", () => {
  it("parses whole and decimal amounts without float math", () => {
    expect(parseMajor("50", "CNY")).toBe(5000);
    expect(parseMajor("50.00", "CNY")).toBe(5000);
    expect(parseMajor("50.5", "CNY")).toBe(5050);
    expect(parseMajor("0.29", "CNY")).toBe(29); // 0.29 * 100 in floats is 28.999…
    expect(parseMajor("1.005", "CNY")).toBeNull();
    expect(parseMajor(".5", "CNY")).toBe(50);
    expect(parseMajor("¥ 1,000.10", "CNY")).toBe(100010);
    expect(parseMajor("100.000", "CNY")).toBe(10000);
  });
  it("rejects invalid text", () => {
    for (const bad of ["", " ", ".", "abc", "-5", "5.5.5", "1e3", "12a"]) {
      expect(parseMajor(bad, "CNY")).toBeNull();
    }
  });
  it("respects zero-digit currencies", () => {
    expect(parseMajor("500", "JPY")).toBe(500);
    expect(parseMajor("500.0", "JPY")).toBe(500);
    expect(parseMajor("500.5", "JPY")).toBeNull();
  });
  it("rejects amounts that do not fit a safe integer", () => {
    expect(parseMajor("999999999999999999", "CNY")).toBeNull();
  });
});

describe("helpers", () => {
  it("writes minor units back as input text", () => {
    expect(minorToInput(5000, "CNY")).toBe("50.00");
    expect(minorToInput(7, "CNY")).toBe("0.07");
    expect(minorToInput(500, "JPY")).toBe("500");
  });
  it("formats tax rates in basis points", () => {
    expect(formatRateBp(1300)).toBe("13%");
    expect(formatRateBp(650)).toBe("6.5%");
    expect(formatRateBp(0)).toBe("0%");
    expect(formatRateBp(1)).toBe("0.01%");
  });
});
