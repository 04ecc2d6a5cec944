import { afterEach, describe, expect, it } from "vitest";
import { setLocale } from "../../../lib/i18n/index.svelte";
import type { RefundLineState, RefundReceipt, RefundReceiptLine } from "../../../lib/bindings";
import {
  confirmKind,
  hasToPayOut,
  lineOutcome,
  lineStateKind,
  lineStateText,
  needsApproval,
  outcomeText,
  refundNumber,
  refundSums,
  serverDisagreement,
} from "../decisions";

const cny = (minor: number) => ({ minor, currency: "CNY" });

function state(over: Partial<RefundLineState>): RefundLineState {
  return { status: "approved", decision: "policy", serverStatus: null, paid: true, seller: null, ...over };
}

function line(minor: number, over: Partial<RefundLineState>): RefundReceiptLine {
  return { name: "Thing", nameZh: null, quantity: 1, amount: cny(minor), device: null, state: state(over) };
}

function receipt(lines: RefundReceiptLine[], over: Partial<RefundReceipt> = {}): RefundReceipt {
  return {
    refundId: 7,
    refundNo: "R0000007",
    orderNo: "T1-000042",
    createdAtMs: 0,
    amount: cny(lines.reduce((a, l) => a + l.amount.minor, 0)),
    tax: cny(0),
    tender: "cash",
    cardMasked: null,
    reason: "defective",
    approval: "policy",
    approvedBy: null,
    status: "confirmed",
    lines,
    pointsReversed: 0,
    pointsReturned: 0,
    evidenceSha256: null,
    decidedOffline: false,
    toPayOut: cny(0),
    awaitingSeller: cny(0),
    serverRefusal: null,
    ...over,
  };
}

describe("a quoted line's outcome", () => {
  afterEach(() => setLocale("en"));

  it("pays policy lines now and keeps third-party lines waiting whatever the manager says", () => {
    for (const path of ["policy", "self", "seller", "manager", "needed"] as const) {
      expect(lineOutcome("policy", path)).toBe("now");
      expect(lineOutcome("await_seller", path)).toBe("await_seller");
      expect(lineOutcome("shop_manager", path)).toBe("shop_manager");
    }
  });

  it("resolves a line needing approval by the approval chosen", () => {
    expect(lineOutcome("needs_approval", "manager")).toBe("shop_manager");
    expect(lineOutcome("needs_approval", "self")).toBe("shop_manager");
    expect(lineOutcome("needs_approval", "seller")).toBe("left_to_seller");
    expect(lineOutcome("needs_approval", "needed")).toBe("needs_approval");
    // A decision this screen does not know is not taken for an approval.
    expect(lineOutcome("something_new", "needed")).toBe("needs_approval");
  });

  it("puts each outcome in words, naming the seller, in both languages", () => {
    setLocale("en");
    expect(outcomeText("now", null)).toBe("Paid back now");
    expect(outcomeText("await_seller", "acme-audio")).toBe(
      "Sold for acme-audio: waits for that seller, nothing paid until they confirm",
    );
    expect(outcomeText("await_seller", null)).toContain("nothing paid until they confirm");
    expect(outcomeText("shop_manager", null)).toContain("the manager confirms it for the shop");
    expect(outcomeText("needs_approval", null)).toContain("a manager's PIN, or leave it to the seller");
    expect(outcomeText("needs_approval", null, true)).toBe(
      "Above the cashier's limit: a manager's PIN, or leave it to the seller",
    );
    setLocale("zh");
    expect(outcomeText("now", null)).toBe("立即退款");
    expect(outcomeText("await_seller", "acme-audio")).toContain("acme-audio");
  });

  it("asks the confirmation that fits the money", () => {
    expect(confirmKind(["now", "shop_manager"])).toBe("now");
    expect(confirmKind(["await_seller", "left_to_seller"])).toBe("seller");
    expect(confirmKind(["now", "await_seller"])).toBe("split");
  });
});

describe("when an approval is needed", () => {
  const q = (overLimit: boolean, ...decisions: string[]) => ({
    overLimit,
    lines: decisions.map((decision, i) => ({ orderLineId: i, decision, seller: null })),
  });

  it("needs one for the shop's lines below the threshold or above the limit, not for a seller's line", () => {
    expect(needsApproval(null)).toBe(false);
    expect(needsApproval(q(false, "policy", "await_seller"))).toBe(false);
    expect(needsApproval(q(false, "policy", "needs_approval"))).toBe(true);
    expect(needsApproval(q(true, "policy"))).toBe(true);
  });

});

describe("a recorded line's state", () => {
  afterEach(() => setLocale("en"));

  it("tells paid, to pay out, waiting and refused apart", () => {
    expect(lineStateKind({ status: "approved", paid: true })).toBe("paid");
    expect(lineStateKind({ status: "approved", paid: false })).toBe("to_pay_out");
    expect(lineStateKind({ status: "awaiting_seller", paid: false })).toBe("awaiting_seller");
    expect(lineStateKind({ status: "refused", paid: false })).toBe("refused");
    expect(lineStateKind({ status: "odd", paid: false })).toBe("unknown");
  });

  it("says who decided and whether money moved", () => {
    setLocale("en");
    expect(lineStateText(state({}))).toBe("Paid back");
    expect(lineStateText(state({ decision: "shop_manager" }))).toBe("Paid back: approved by the shop's manager");
    expect(lineStateText(state({ decision: "seller" }))).toBe("Paid back: confirmed by the seller");
    expect(lineStateText(state({ decision: "seller", paid: false }))).toBe("Confirmed by the seller: to pay out");
    expect(
      lineStateText(state({ status: "awaiting_seller", decision: "await_seller", paid: false, seller: "acme-audio" })),
    ).toBe("Waiting for the seller (acme-audio): nothing paid yet");
    expect(lineStateText(state({ status: "refused", paid: false }))).toBe("Refused: nothing paid");
    setLocale("zh");
    expect(lineStateText(state({ status: "refused", paid: false }))).toBe("已拒绝：未退款");
  });

  it("shows the server's word only where it differs from money that went back", () => {
    setLocale("en");
    expect(serverDisagreement(state({ serverStatus: "refunded" }))).toBeNull();
    expect(serverDisagreement(state({ serverStatus: "pending_seller_confirmation" }))).toBe(
      "The server waits for the seller",
    );
    expect(serverDisagreement(state({ serverStatus: "rejected" }))).toBe("The server refused it");
    expect(serverDisagreement(state({ status: "awaiting_seller", paid: false, serverStatus: "rejected" }))).toBeNull();
  });
});

describe("a recorded refund's money", () => {
  it("adds up what was paid, what waits, what is to pay out and what was refused", () => {
    const r = receipt(
      [
        line(3800, {}),
        line(12900, { status: "awaiting_seller", decision: "await_seller", paid: false, seller: "acme-audio" }),
        line(500, { status: "refused", paid: false }),
        line(2900, { decision: "seller", paid: false }),
      ],
      { awaitingSeller: cny(12900), toPayOut: cny(2900), status: "pending" },
    );
    const sums = refundSums(r);
    expect(sums.paid).toEqual(cny(3800));
    expect(sums.awaiting).toEqual(cny(12900));
    expect(sums.toPayOut).toEqual(cny(2900));
    expect(sums.refused).toEqual(cny(500));
    expect(hasToPayOut(r)).toBe(true);
  });

  it("has nothing to pay out when the backend says none, or for a refund not recorded here", () => {
    expect(hasToPayOut(receipt([line(100, {})]))).toBe(false);
    expect(hasToPayOut(receipt([line(100, {})], { refundId: 0, toPayOut: cny(100) }))).toBe(false);
    expect(hasToPayOut(null)).toBe(false);
  });
});

describe("a refund number as typed", () => {
  it("takes R0000012, r12 and 12", () => {
    expect(refundNumber(" R0000012 ")).toEqual({ refundNo: "R0000012" });
    expect(refundNumber("r12")).toEqual({ refundNo: "R12" });
    expect(refundNumber("12")).toEqual({ refundNo: "12" });
  });

  it("refuses other text, and says RR numbers are refunds of devices sold elsewhere", () => {
    expect(refundNumber("")).toEqual({ problem: "refundNo" });
    expect(refundNumber("R12X")).toEqual({ problem: "refundNo" });
    expect(refundNumber("T1-000042")).toEqual({ problem: "refundNo" });
    expect(refundNumber("RR000001")).toEqual({ problem: "remoteNo" });
  });
});
