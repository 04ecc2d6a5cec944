import { describe, expect, it } from "vitest";
import type { CartLine, CartView, CustomerView } from "../../../lib/bindings";
import {
  changedLine,
  dueCart,
  keptSelection,
  nudgedQuantity,
  parseQuantity,
  redeemedMinor,
  selectionAfterRemoval,
  steppedSelection,
} from "../cartMath";

const money = (minor: number) => ({ minor, currency: "CNY" });

function line(lineNo: number, quantity = 1): CartLine {
  return {
    lineNo,
    productId: lineNo,
    sku: `SKU-${lineNo}`,
    name: `Item ${lineNo}`,
    nameZh: null,
    quantity,
    unitPrice: money(100),
    lineTotal: money(100 * quantity),
    tax: money(0),
    taxRateBp: 0,
    serialised: false,
    device: null,
    origin: null,
  };
}

function cart(lines: CartLine[], totalMinor = 1000, cartId = "c1"): CartView {
  return { cartId, lines, subtotal: money(totalMinor), tax: money(0), total: money(totalMinor), itemCount: lines.length };
}

function customer(cartId: string, redeem: number | null): CustomerView {
  return {
    cartId,
    accountShort: "abcd1234",
    identifiedAtMs: 0,
    balance: 50,
    level: null,
    promotions: [],
    redeemPoints: redeem ?? 0,
    redeemValue: redeem === null ? null : money(redeem),
  };
}

describe("keptSelection", () => {
  it("keeps a line that is still there", () => {
    expect(keptSelection([line(1), line(2)], 1)).toBe(1);
  });
  it("falls back to the last line, or none in an empty cart", () => {
    expect(keptSelection([line(1), line(2)], 7)).toBe(2);
    expect(keptSelection([line(1)], null)).toBe(1);
    expect(keptSelection([], 1)).toBeNull();
  });
});

describe("changedLine", () => {
  it("finds a new line first", () => {
    expect(changedLine(cart([line(1)]), cart([line(1), line(2)]))?.lineNo).toBe(2);
    expect(changedLine(null, cart([line(1)]))?.lineNo).toBe(1);
  });
  it("finds a line whose quantity changed (a product scanned again)", () => {
    expect(changedLine(cart([line(1), line(2)]), cart([line(1, 2), line(2)]))?.lineNo).toBe(1);
  });
  it("falls back to the last line, or nothing", () => {
    expect(changedLine(cart([line(1), line(2)]), cart([line(1), line(2)]))?.lineNo).toBe(2);
    expect(changedLine(null, cart([]))).toBeUndefined();
  });
});

describe("steppedSelection", () => {
  const lines = [line(1), line(2), line(3)];
  it("moves by the delta and stops at either end", () => {
    expect(steppedSelection(lines, 2, 1)).toBe(3);
    expect(steppedSelection(lines, 3, 1)).toBe(3);
    expect(steppedSelection(lines, 1, -1)).toBe(1);
  });
  it("starts at the first line going down, the last going up", () => {
    expect(steppedSelection(lines, null, 1)).toBe(1);
    expect(steppedSelection(lines, null, -1)).toBe(3);
  });
  it("has nothing to select in an empty cart", () => {
    expect(steppedSelection([], null, 1)).toBeNull();
  });
});

describe("selectionAfterRemoval", () => {
  it("selects the line that moved into the removed one's place", () => {
    expect(selectionAfterRemoval([line(1), line(3)], 1)).toBe(3);
  });
  it("selects the new last line when the last was removed", () => {
    expect(selectionAfterRemoval([line(1), line(2)], 2)).toBe(2);
    expect(selectionAfterRemoval([line(1)], -1)).toBe(1);
  });
  it("selects nothing in an empty cart", () => {
    expect(selectionAfterRemoval([], 0)).toBeNull();
  });
});

describe("quantities", () => {
  it("never nudges below one", () => {
    expect(nudgedQuantity(2, -1)).toBe(1);
    expect(nudgedQuantity(1, -1)).toBeNull();
    expect(nudgedQuantity(1, 1)).toBe(2);
  });
  it("parses whole units up to six digits", () => {
    expect(parseQuantity(" 12 ")).toBe(12);
    expect(parseQuantity("999999")).toBe(999999);
    for (const text of ["", "0", "000", "-1", "1.5", "1e3", "1000000", "two", "１２"]) {
      expect(parseQuantity(text), text).toBeNull();
    }
  });
});

describe("points against the cart", () => {
  const c = cart([line(1)], 2900);
  it("count only for the customer identified with this cart", () => {
    expect(redeemedMinor(c, customer("c1", 10))).toBe(10);
    expect(redeemedMinor(c, customer("other", 10))).toBe(0);
    expect(redeemedMinor(c, customer("c1", null))).toBe(0);
    expect(redeemedMinor(null, customer("c1", 10))).toBe(0);
    expect(redeemedMinor(c, null)).toBe(0);
  });
  it("leave the rest of the total to the tender", () => {
    expect(dueCart(c, 10)?.total).toEqual(money(2890));
    expect(dueCart(c, 10)?.subtotal).toEqual(money(2900));
    expect(dueCart(c, 0)).toBe(c);
    expect(dueCart(null, 10)).toBeNull();
  });
});
