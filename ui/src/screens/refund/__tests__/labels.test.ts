import { afterEach, describe, expect, it } from "vitest";
import { setLocale } from "../../../lib/i18n/index.svelte";
import { refundStatusLabel, refusalText } from "../labels";

describe("refusals of a refund", () => {
  afterEach(() => setLocale("en"));

  it("tells the seller's refusal from the server's", () => {
    setLocale("en");
    expect(refundStatusLabel({ status: "refused", serverRefusal: null })).toBe("Refused by the seller");
    expect(refundStatusLabel({ status: "refused", serverRefusal: "card_sale_not_authorised" })).toBe(
      "Refused by the server",
    );
    expect(refundStatusLabel({ status: "pending", serverRefusal: null })).toBe("Pending");
  });

  it("puts the server's code in words, in both languages", () => {
    setLocale("en");
    expect(refusalText("card_sale_not_authorised")).toContain("never approved this sale's card payment");
    expect(refusalText("refund_exists")).toContain("(refund_exists)");
    setLocale("zh");
    expect(refusalText("card_sale_not_authorised")).toContain("支付平台从未批准");
    expect(refusalText("refund_exists")).toContain("（refund_exists）");
  });
});
