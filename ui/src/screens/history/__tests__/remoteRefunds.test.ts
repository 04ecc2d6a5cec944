import { afterEach, describe, expect, it } from "vitest";
import { setLocale } from "../../../lib/i18n/index.svelte";
import { remoteApprovalText, remoteStatusText } from "../remoteRefunds";

describe("refunds of devices sold elsewhere", () => {
  afterEach(() => setLocale("en"));

  it("puts the status in words, a refusal with its code", () => {
    setLocale("en");
    expect(remoteStatusText({ status: "pending", refusedReason: null })).toBe("Not answered yet");
    expect(remoteStatusText({ status: "awaiting_seller", refusedReason: null })).toBe("Waiting for the seller");
    expect(remoteStatusText({ status: "confirmed", refusedReason: null })).toBe("Refunded by the server");
    expect(remoteStatusText({ status: "refused", refusedReason: "card_sale_not_authorised" })).toBe(
      "Refused by the server (card_sale_not_authorised)",
    );
    expect(remoteStatusText({ status: "odd", refusedReason: null })).toBe("odd");
    setLocale("zh");
    expect(remoteStatusText({ status: "confirmed", refusedReason: null })).toBe("服务器已退款");
  });

  it("names the approving manager", () => {
    setLocale("en");
    expect(remoteApprovalText({ approval: "manager", approvedBy: "Li Wei" })).toBe("Manager Li Wei");
    expect(remoteApprovalText({ approval: "manager", approvedBy: null })).toBe("A manager");
    expect(remoteApprovalText({ approval: "seller", approvedBy: null })).toBe("Left to the seller");
    expect(remoteApprovalText({ approval: "policy", approvedBy: null })).toBe("Within policy");
  });
});
