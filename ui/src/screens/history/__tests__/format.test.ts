import { afterEach, describe, expect, it } from "vitest";
import { app } from "../../../lib/app.svelte";
import type { AppInfo, ShopProfile } from "../../../lib/bindings";
import { setLocale } from "../../../lib/i18n/index.svelte";
import { formatCount, formatDateTime, kindLabel, sortLabel, statusLabel, tenderLabel } from "../format";

describe("history display helpers", () => {
  afterEach(() => setLocale("en"));

  it("groups counts", () => {
    setLocale("en");
    expect(formatCount(1234)).toBe("1,234");
    expect(formatCount(100000)).toBe("100,000");
  });

  it("formats dates in the current language", () => {
    const ms = new Date(2026, 11, 4, 9, 30, 5).getTime();
    setLocale("en");
    const en = formatDateTime(ms);
    setLocale("zh");
    const zh = formatDateTime(ms);
    expect(en).toContain("30");
    expect(zh).toContain("2026");
    expect(formatDateTime(Number.NaN)).toBe("");
  });

  it("shows times in the shop's time zone", () => {
    setLocale("en");
    const ms = Date.UTC(2026, 11, 4, 1, 30, 5); // 09:30:05 in Shanghai, 10:30:05 in Tokyo
    const shop = (timeZone: string) => ({ timeZone }) as ShopProfile;
    app.info = { setup: { shop: shop("Asia/Shanghai") } } as unknown as AppInfo;
    expect(formatDateTime(ms)).toContain("9:30:05");
    app.info = { setup: { shop: shop("Asia/Tokyo") } } as unknown as AppInfo;
    expect(formatDateTime(ms)).toContain("10:30:05");
    // A zone this browser does not know: the PC's own, never an error.
    app.info = { setup: { shop: shop("Mars/Olympus") } } as unknown as AppInfo;
    expect(formatDateTime(ms)).not.toBe("");
    app.info = null;
  });

  it("translates known values and shows unknown ones as sent", () => {
    setLocale("en");
    expect(kindLabel("refunds")).toBe("Refunds");
    expect(statusLabel("partly_refunded")).toBe("Partly refunded");
    expect(statusLabel("weird")).toBe("weird");
    expect(tenderLabel("card")).toBe("Card");
    expect(sortLabel("amount_desc")).toBe("Largest amount first");
    setLocale("zh");
    expect(kindLabel("refunds")).toBe("退款");
  });
});
