import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { SWIPE_IDLE_MS, WedgeCapture } from "../../payment/wedge";
import { ScanWedge } from "../scanWedge";

const SWIPE = "%B4111111111111111^DOE/JOHN^28121010000000000000?;4111111111111111=28121010000000000?";

function setup() {
  const events: string[] = [];
  const swipes: { text: string; typed: boolean }[] = [];
  const wedge = new ScanWedge({
    reading: () => events.push("reading"),
    ignored: () => events.push("ignored"),
    swipe: (text, typed) => swipes.push({ text, typed }),
  });
  return { wedge, events, swipes };
}

function key(k: string) {
  return { key: k, prevented: false, preventDefault() { this.prevented = true; } };
}

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

describe("ScanWedge keys", () => {
  it("lets barcodes and searches through", () => {
    const { wedge, events } = setup();
    for (const c of "6901234567892") {
      const k = key(c);
      expect(wedge.key(k)).toBe(false);
      expect(k.prevented).toBe(false);
    }
    expect(wedge.key(key("Enter"))).toBe(false);
    expect(events).toEqual([]);
  });

  it("keeps every key of a swipe from the field and hands the swipe over on Enter", () => {
    const { wedge, events, swipes } = setup();
    const keys = [...SWIPE, "Enter"].map(key);
    expect(keys.every((k) => wedge.key(k))).toBe(true);
    expect(keys.every((k) => k.prevented)).toBe(true);
    expect(swipes).toEqual([{ text: SWIPE, typed: true }]);
    expect(events.every((e) => e === "reading")).toBe(true);
  });

  it("ignores what ended on Enter without being a swipe", () => {
    const { wedge, events, swipes } = setup();
    for (const c of ";abc") wedge.key(key(c));
    expect(wedge.key(key("Enter"))).toBe(true);
    expect(swipes).toEqual([]);
    expect(events[events.length - 1]).toBe("ignored");
  });

  it("drops a capture when the reader goes quiet", () => {
    const { wedge, events } = setup();
    wedge.key(key("%"));
    vi.advanceTimersByTime(SWIPE_IDLE_MS + 100);
    expect(events).toEqual(["reading", "ignored"]);
    // The next key starts afresh.
    expect(wedge.key(key("a"))).toBe(false);
  });

  it("says nothing after dispose", () => {
    const { wedge, events } = setup();
    wedge.key(key(";"));
    wedge.dispose();
    vi.advanceTimersByTime(SWIPE_IDLE_MS * 2);
    expect(events).toEqual(["reading"]);
  });
});

describe("ScanWedge input", () => {
  it("leaves ordinary text alone", () => {
    const { wedge, swipes, events } = setup();
    expect(wedge.input("绿茶 50")).toEqual({ text: "绿茶 50", capturing: false });
    expect(swipes).toEqual([]);
    expect(events).toEqual([]);
  });

  it("takes a pasted swipe out of the text", () => {
    const { wedge, swipes } = setup();
    expect(wedge.input(`tea${SWIPE}`)).toEqual({ text: "tea", capturing: false });
    expect(swipes).toEqual([{ text: SWIPE, typed: false }]);
  });

  it("continues a swipe whose first keys reached the field as a capture", () => {
    const { wedge, swipes, events } = setup();
    expect(wedge.input("%B4111")).toEqual({ text: "", capturing: true });
    expect(events).toEqual(["reading"]);
    for (const c of SWIPE.slice("%B4111".length)) expect(wedge.key(key(c))).toBe(true);
    wedge.key(key("Enter"));
    expect(swipes).toEqual([{ text: SWIPE, typed: true }]);
  });

  it("uses the capture it is given", () => {
    let now = 0;
    const wedge = new ScanWedge(
      { reading() {}, ignored() {}, swipe() {} },
      new WedgeCapture(() => now, 10),
      10,
    );
    wedge.key(key("%"));
    now = 11;
    expect(wedge.key(key("a"))).toBe(false);
  });
});
