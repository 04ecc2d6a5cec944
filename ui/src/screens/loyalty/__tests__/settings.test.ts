import { describe, expect, it } from "vitest";
import type { LoyaltySettings } from "../../../lib/bindings/LoyaltySettings";
import type { PointsProblemView } from "../../../lib/bindings/PointsProblemView";
import {
  formToSettings,
  isBlankRow,
  isClean,
  isDirty,
  kindKey,
  LIMITS,
  newestFirst,
  newRow,
  parseWhole,
  sameSettings,
  settingsToForm,
  signedPoints,
  type LoyaltyForm,
} from "../settings";

const STORED: LoyaltySettings = {
  pointsPerUnit: 1,
  redeemValueMinor: 1,
  multipliers: [
    ["TEA-1", 200],
    ["BAG", 0],
  ],
  cashierRefundLimitMinor: 20_000,
};

function form(over: Partial<LoyaltyForm> = {}): LoyaltyForm {
  return { ...settingsToForm(STORED, "CNY"), ...over };
}

describe("settingsToForm", () => {
  it("shows amounts in major units and numbers as text", () => {
    const f = settingsToForm(STORED, "CNY");
    expect(f.pointsPerUnit).toBe("1");
    expect(f.redeemValue).toBe("0.01");
    expect(f.refundLimit).toBe("200.00");
    // The reputation threshold is the server's: the form has no field for it.
    expect("threshold" in f).toBe(false);
    expect(f.multipliers.map((r) => [r.sku, r.pct])).toEqual([
      ["TEA-1", "200"],
      ["BAG", "0"],
    ]);
  });
  it("gives every row its own key", () => {
    const f = settingsToForm(STORED, "CNY");
    expect(new Set(f.multipliers.map((r) => r.uid)).size).toBe(2);
    expect(newRow().uid).not.toBe(newRow().uid);
  });
  it("uses the currency's minor digits", () => {
    const f = settingsToForm({ ...STORED, redeemValueMinor: 5, cashierRefundLimitMinor: 3000 }, "JPY");
    expect(f.redeemValue).toBe("5");
    expect(f.refundLimit).toBe("3000");
  });
});

describe("formToSettings", () => {
  it("round-trips the stored settings", () => {
    const { settings, problems } = formToSettings(form(), "CNY");
    expect(isClean(problems)).toBe(true);
    expect(settings).toEqual(STORED);
  });

  it("converts major units to minor units without floating point", () => {
    const { settings } = formToSettings(form({ redeemValue: "0.1", refundLimit: "1234.56" }), "CNY");
    expect(settings?.redeemValueMinor).toBe(10);
    expect(settings?.cashierRefundLimitMinor).toBe(123_456);
    expect(formToSettings(form({ refundLimit: "¥ 50" }), "CNY").settings?.cashierRefundLimitMinor).toBe(5000);
    expect(formToSettings(form({ redeemValue: "3" }), "JPY").settings?.redeemValueMinor).toBe(3);
  });

  it("accepts the ends of every range", () => {
    const low = formToSettings(
      form({ pointsPerUnit: "0", redeemValue: "0.01", refundLimit: "0", multipliers: [newRow("A", "0")] }),
      "CNY",
    );
    expect(low.settings).toEqual({
      pointsPerUnit: 0,
      redeemValueMinor: 1,
      multipliers: [["A", 0]],
      cashierRefundLimitMinor: 0,
    });
    const high = formToSettings(
      form({ pointsPerUnit: "1000", redeemValue: "10000.00", multipliers: [newRow("A", "1000")] }),
      "CNY",
    );
    expect(high.settings?.pointsPerUnit).toBe(LIMITS.pointsPerUnitMax);
    expect(high.settings?.redeemValueMinor).toBe(LIMITS.redeemValueMaxMinor);
    expect(high.settings?.multipliers).toEqual([["A", 1000]]);
  });

  it("rejects points per unit outside 0..1000 or not whole", () => {
    for (const bad of ["1001", "-1", "1.5", "abc", "1e2"]) {
      const r = formToSettings(form({ pointsPerUnit: bad }), "CNY");
      expect(r.settings, bad).toBeNull();
      expect(r.problems.pointsPerUnit, bad).toEqual({ key: "loyalty.err.pointsPerUnit", params: { min: 0, max: 1000 } });
    }
    expect(formToSettings(form({ pointsPerUnit: " " }), "CNY").problems.pointsPerUnit).toEqual({
      key: "loyalty.err.required",
    });
  });

  it("rejects a point value of zero, above 1,000,000 minor units or finer than the currency", () => {
    for (const bad of ["0", "0.00", "10000.01", "0.001", "-0.01", "x"]) {
      const r = formToSettings(form({ redeemValue: bad }), "CNY");
      expect(r.settings, bad).toBeNull();
      expect(r.problems.redeemValue, bad).toEqual({
        key: "loyalty.err.redeemValue",
        params: { min: "¥0.01", max: "¥10000.00" },
      });
    }
    expect(formToSettings(form({ redeemValue: "" }), "CNY").problems.redeemValue?.key).toBe("loyalty.err.required");
  });

  it("rejects a negative or malformed refund limit", () => {
    for (const bad of ["-1", "1.234", "ten"]) {
      const r = formToSettings(form({ refundLimit: bad }), "CNY");
      expect(r.settings, bad).toBeNull();
      expect(r.problems.refundLimit, bad).toEqual({ key: "loyalty.err.refundLimit", params: { example: "200.00" } });
    }
    expect(formToSettings(form({ refundLimit: "" }), "CNY").problems.refundLimit?.key).toBe("loyalty.err.required");
  });

  it("saves no reputation threshold (the server's alone)", () => {
    const { settings } = formToSettings(form(), "CNY");
    expect(settings && Object.keys(settings).sort()).toEqual([
      "cashierRefundLimitMinor",
      "multipliers",
      "pointsPerUnit",
      "redeemValueMinor",
    ]);
  });

  it("checks each multiplier row and reports problems by row", () => {
    const r = formToSettings(
      form({ multipliers: [newRow("OK", "150"), newRow("", "100"), newRow("B", "1001"), newRow("C", "")] }),
      "CNY",
    );
    expect(r.settings).toBeNull();
    expect(r.problems.rows).toEqual([
      {},
      { sku: { key: "loyalty.err.skuRequired" } },
      { pct: { key: "loyalty.err.pct", params: { min: 0, max: 1000 } } },
      { pct: { key: "loyalty.err.required" } },
    ]);
    expect(r.problems.pointsPerUnit).toBeUndefined();
  });

  it("reports a SKU listed twice (ignoring case) on the later row", () => {
    const r = formToSettings(form({ multipliers: [newRow("tea-1", "200"), newRow(" TEA-1 ", "300")] }), "CNY");
    expect(r.settings).toBeNull();
    expect(r.problems.rows[0]).toEqual({});
    expect(r.problems.rows[1].sku).toEqual({ key: "loyalty.err.skuDuplicate", params: { sku: "TEA-1" } });
  });

  it("trims SKUs and drops rows left blank", () => {
    const r = formToSettings(form({ multipliers: [newRow("  A-1 ", " 120 "), newRow(" ", "")] }), "CNY");
    expect(r.settings?.multipliers).toEqual([["A-1", 120]]);
    expect(r.problems.rows).toEqual([{}, {}]);
    expect(isBlankRow({ sku: " ", pct: "" })).toBe(true);
    expect(isBlankRow({ sku: "", pct: "0" })).toBe(false);
  });

  it("reports every bad field at once", () => {
    const r = formToSettings(
      { pointsPerUnit: "x", redeemValue: "0", multipliers: [], refundLimit: "-1" },
      "CNY",
    );
    expect(r.settings).toBeNull();
    expect(Object.keys(r.problems).filter((k) => k !== "rows" && r.problems[k as "refundLimit"]).sort()).toEqual([
      "pointsPerUnit",
      "redeemValue",
      "refundLimit",
    ]);
  });
});

describe("parseWhole", () => {
  it("takes digits only", () => {
    expect(parseWhole(" 42 ")).toBe(42);
    expect(parseWhole("007")).toBe(7);
    for (const bad of ["", "4.0", "+4", "-4", "4e1", "0x10", "1 000"]) expect(parseWhole(bad), bad).toBeNull();
  });
});

describe("dirty state", () => {
  it("compares settings including multiplier order", () => {
    expect(sameSettings(STORED, { ...STORED, multipliers: [...STORED.multipliers] })).toBe(true);
    expect(sameSettings(STORED, { ...STORED, multipliers: [...STORED.multipliers].reverse() })).toBe(false);
    expect(sameSettings(STORED, { ...STORED, cashierRefundLimitMinor: 20_001 })).toBe(false);
  });
  it("is clean for the stored values, dirty after an edit or while invalid", () => {
    expect(isDirty(form(), STORED, "CNY")).toBe(false);
    expect(isDirty(form({ refundLimit: "200" }), STORED, "CNY")).toBe(false);
    expect(isDirty(form({ refundLimit: "201" }), STORED, "CNY")).toBe(true);
    expect(isDirty(form({ refundLimit: "abc" }), STORED, "CNY")).toBe(true);
    expect(isDirty(form(), null, "CNY")).toBe(false);
  });
});

describe("rejected points changes", () => {
  const row = (id: number, createdAtMs: number): PointsProblemView => ({
    id,
    accountShort: "ABCD1234",
    orderId: null,
    kind: "earn",
    points: 10,
    createdAtMs,
    reason: "token replayed",
  });

  it("lists newest first, then by ledger row, without changing the input", () => {
    const input = [row(1, 1000), row(2, 3000), row(3, 2000), row(4, 3000)];
    expect(newestFirst(input).map((r) => r.id)).toEqual([4, 2, 3, 1]);
    expect(input.map((r) => r.id)).toEqual([1, 2, 3, 4]);
  });

  it("translates known kinds and leaves others as sent", () => {
    expect(kindKey("earn")).toBe("loyalty.kind.earn");
    expect(kindKey("redeem")).toBe("loyalty.kind.redeem");
    expect(kindKey("reverse-earn")).toBe("loyalty.kind.reverseEarn");
    expect(kindKey("return-redeem")).toBe("loyalty.kind.returnRedeem");
    expect(kindKey("bonus")).toBeNull();
  });

  it("signs points changes", () => {
    expect(signedPoints(120, "en")).toBe("+120");
    expect(signedPoints(-50, "en")).toBe("-50");
    expect(signedPoints(0, "en")).toBe("0");
    expect(signedPoints(12345, "en")).toBe("+12,345");
  });
});
