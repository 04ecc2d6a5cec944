import { describe, expect, it } from "vitest";
import type { PendingOrderView } from "../../../lib/bindings";
import { collectable, itemCount, releasable, stateKey } from "../orderState";

const cny = (minor: number) => ({ minor, currency: "CNY" });

function order(over: Partial<PendingOrderView>): PendingOrderView {
  return {
    orderId: "PO-1",
    orderNumber: "WEB-1",
    status: "pending",
    customerName: "Li Na",
    phoneTail: "8000",
    total: cny(8500),
    createdAtMs: 0,
    expiresAtMs: 1,
    reservedUntilMs: null,
    reservedHere: false,
    pickupAttemptsLeft: 5,
    lines: [
      { lineNo: 1, sku: "TEA-01", name: "Tea", nameZh: null, quantity: 2, unitPrice: cny(3500), total: cny(7000), inCatalogue: true },
      { lineNo: 2, sku: "SNK-002", name: "Choc", nameZh: null, quantity: 1, unitPrice: cny(1500), total: cny(1500), inCatalogue: true },
    ],
    inCart: false,
    ...over,
  };
}

describe("orders pending collection", () => {
  it("says where an order stands from this till's point of view", () => {
    expect(stateKey(order({}))).toBe("collect.state.pending");
    expect(stateKey(order({ status: "reserved" }))).toBe("collect.state.reserved");
    expect(stateKey(order({ status: "reserved", reservedHere: true }))).toBe("collect.state.reservedHere");
    expect(stateKey(order({ status: "reserved", reservedHere: true, inCart: true }))).toBe("collect.state.inCart");
    expect(stateKey(order({ status: "expired" }))).toBe("collect.state.expired");
  });

  it("offers the code field only when this till may collect it", () => {
    expect(collectable(order({}))).toBe(true);
    expect(collectable(order({ status: "reserved" }))).toBe(false);
    expect(collectable(order({ status: "reserved", reservedHere: true }))).toBe(true);
    expect(collectable(order({ inCart: true }))).toBe(false);
    expect(collectable(order({ pickupAttemptsLeft: 0 }))).toBe(false);
    expect(collectable(order({ status: "cancelled" }))).toBe(false);
    const missing = order({});
    missing.lines[1].inCatalogue = false;
    expect(collectable(missing)).toBe(false);
  });

  it("offers letting go only for what this till holds", () => {
    expect(releasable(order({}))).toBe(false);
    expect(releasable(order({ status: "reserved" }))).toBe(false);
    expect(releasable(order({ status: "reserved", reservedHere: true }))).toBe(true);
    expect(releasable(order({ inCart: true }))).toBe(true);
    expect(itemCount(order({}))).toBe(3);
  });
});
