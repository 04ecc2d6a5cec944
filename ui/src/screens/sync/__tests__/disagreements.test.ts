import { afterEach, describe, expect, it } from "vitest";
import { setLocale } from "../../../lib/i18n/index.svelte";
import type { RefundDisagreementView } from "../../../lib/bindings";
import { amountAtStake, serverWordText, tillDecisionText } from "../disagreements";

function row(over: Partial<RefundDisagreementView>): RefundDisagreementView {
  return {
    refundId: 3,
    refundNo: "R0000003",
    orderNo: "T1-000009",
    name: "Green tea",
    amount: { minor: 3800, currency: "CNY" },
    decision: "policy",
    decidedOffline: false,
    serverStatus: "rejected",
    reason: null,
    ...over,
  };
}

describe("refunds the server did not confirm", () => {
  afterEach(() => setLocale("en"));

  it("says how the till decided, and whether offline", () => {
    setLocale("en");
    expect(tillDecisionText(row({}))).toBe("Within policy");
    expect(tillDecisionText(row({ decision: "shop_manager", decidedOffline: true }))).toBe(
      "The shop's manager approved, decided offline",
    );
    setLocale("zh");
    expect(tillDecisionText(row({ decidedOffline: true }))).toBe("符合政策（离线决定）");
  });

  it("puts the server's word and its reason in words, unknown codes as sent", () => {
    setLocale("en");
    expect(serverWordText(row({ serverStatus: "pending_seller_confirmation" }))).toBe("Waits for the seller");
    expect(serverWordText(row({}))).toBe("Refused");
    expect(serverWordText(row({ reason: "not_found" }))).toBe("Refused: the server does not know the sale");
    expect(serverWordText(row({ reason: "refund_exceeds_paid" }))).toBe(
      "Refused: more than the server holds for the sale",
    );
    expect(serverWordText(row({ reason: "brand_new_code" }))).toBe("Refused: brand_new_code");
  });

  it("adds up the amount at stake", () => {
    expect(amountAtStake([])).toBeNull();
    expect(amountAtStake([row({}), row({ amount: { minor: 12900, currency: "CNY" } })])).toEqual({
      minor: 16700,
      currency: "CNY",
    });
  });
});
