import { describe, expect, it } from "vitest";
import { findSwipe, isSwipe, looksLikeSwipe, swipeStart, WedgeCapture } from "../wedge";

const SWIPE = "%B4111111111111111^DOE/JOHN^28121010000000000000?;4111111111111111=28121010000000000?";

function feed(capture: WedgeCapture, text: string) {
  return [...text].map((c) => capture.key(c));
}

describe("swipe detection", () => {
  it("finds tracks 1 and 2 by their sentinels", () => {
    expect(isSwipe(SWIPE)).toBe(true);
    expect(isSwipe(";4111111111111111=2812101?")).toBe(true);
    expect(isSwipe("%E?;4111111111111111=2812101?")).toBe(true);
    expect(findSwipe(`abc${SWIPE}`)).toEqual({ start: 3, end: 3 + SWIPE.length });
  });
  it("never takes a barcode, SKU or search for a swipe", () => {
    for (const text of ["6901234567892", "SNK-001", "绿茶", "tea", "50%", "a;b", "%B no end", ";x?"]) {
      expect(isSwipe(text), text).toBe(false);
    }
    expect(looksLikeSwipe("6901234567892")).toBe(false);
    expect(looksLikeSwipe("%B4111")).toBe(true);
  });
});

describe("WedgeCapture", () => {
  it("swallows every key of a swipe and hands it over on Enter", () => {
    const c = new WedgeCapture(() => 0);
    const results = feed(c, SWIPE);
    expect(results.every((r) => r.kind === "swallow")).toBe(true);
    expect(c.key("Enter")).toEqual({ kind: "swipe", text: SWIPE });
    expect(c.active).toBe(false);
  });
  it("lets ordinary typing and scanning pass", () => {
    const c = new WedgeCapture(() => 0);
    expect(feed(c, "6901234567892").every((r) => r.kind === "pass")).toBe(true);
    expect(c.key("Enter")).toEqual({ kind: "pass" });
  });
  it("rejects a capture that is not a swipe, and forgets a stale one", () => {
    let t = 0;
    const c = new WedgeCapture(() => t, 1500);
    feed(c, ";abc");
    expect(c.key("Enter")).toEqual({ kind: "rejected" });
    feed(c, "%B41");
    t = 5000;
    expect(c.stale()).toBe(true);
    expect(c.key("6")).toEqual({ kind: "pass" });
    expect(c.active).toBe(false);
  });
  it("continues a swipe whose first keys reached the input", () => {
    const c = new WedgeCapture(() => 0);
    expect(swipeStart("abc%B41")).toBe(3);
    c.begin("%B41");
    feed(c, SWIPE.slice(4));
    expect(c.key("Enter")).toEqual({ kind: "swipe", text: SWIPE });
  });
  it("swallows modifier keys inside a swipe and refuses runaway text", () => {
    const c = new WedgeCapture(() => 0);
    c.key("%");
    expect(c.key("Shift")).toEqual({ kind: "swallow" });
    const results = feed(c, "B".repeat(400));
    expect(results.some((r) => r.kind === "rejected")).toBe(true);
  });
});
