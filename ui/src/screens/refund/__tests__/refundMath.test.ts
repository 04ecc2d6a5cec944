import { describe, expect, it } from "vitest";
import type { RefundOrderView } from "../../../lib/bindings";
import {
  amountToMinor,
  approvalPath,
  buildLookup,
  buildRefundInput,
  chosenLines,
  clampQuantity,
  defaultQuantities,
  formatBytes,
  isIsoDate,
  linesKey,
  MAX_PHOTO_BYTES,
  photoKind,
  modeForCombo,
  photoSizeOk,
  saleLines,
  shortSha,
  stripDataUrl,
  todayIso,
  type RefundSaleLine,
} from "../refundMath";

function line(over: Partial<RefundSaleLine>): RefundSaleLine {
  return {
    orderLineId: 1,
    lineNo: 1,
    lineCode: "ABCD-EFGH-JKLM-N",
    sku: "SKU",
    name: "Thing",
    nameZh: null,
    quantity: 1,
    refundable: 1,
    lineTotal: { minor: 1250, currency: "CNY" },
    device: null,
    matched: false,
    ...over,
  };
}

describe("lookup", () => {
  it("maps Alt+digit to modes", () => {
    expect(modeForCombo("Alt+1")).toBe("line_code");
    expect(modeForCombo("Alt+2")).toBe("device");
    expect(modeForCombo("Alt+3")).toBe("receipt");
    expect(modeForCombo("Alt+4")).toBe("refund_no");
    expect(modeForCombo("Alt+5")).toBeNull();
    expect(modeForCombo("1")).toBeNull();
  });

  it("formats today locally", () => {
    expect(todayIso(new Date(2026, 0, 5, 23, 59))).toBe("2026-01-05");
  });

  it("checks dates", () => {
    expect(isIsoDate("2026-02-28")).toBe(true);
    expect(isIsoDate("2024-02-29")).toBe(true);
    expect(isIsoDate("2026-02-29")).toBe(false);
    expect(isIsoDate("2026-13-01")).toBe(false);
    expect(isIsoDate("26-1-1")).toBe(false);
    expect(isIsoDate("")).toBe(false);
  });

  it("parses totals in major units with the currency's digits", () => {
    expect(amountToMinor("12.50", "CNY")).toBe(1250);
    expect(amountToMinor("12.5", "CNY")).toBe(1250);
    expect(amountToMinor("¥12", "CNY")).toBe(1200);
    expect(amountToMinor("1200", "JPY")).toBe(1200);
    expect(amountToMinor("12.345", "CNY")).toBeNull();
    expect(amountToMinor("abc", "CNY")).toBeNull();
    expect(amountToMinor("  ", "CNY")).toBeNull();
  });

  it("builds line code and device lookups", () => {
    expect(buildLookup("line_code", " ABCD-EFGH-JKLM-N ", "", "", "CNY")).toEqual({
      lookup: { by: "line_code", text: "ABCD-EFGH-JKLM-N", date: null, amountMinor: null, utcOffsetMinutes: null },
    });
    expect(buildLookup("device", "356938035643809", "2026-01-01", "5", "CNY")).toEqual({
      lookup: { by: "device", text: "356938035643809", date: null, amountMinor: null, utcOffsetMinutes: null },
    });
    expect(buildLookup("device", "  ", "", "", "CNY")).toEqual({ problem: "text" });
  });

  it("builds receipt lookups and says what is missing", () => {
    expect(buildLookup("receipt", "000123", "2026-03-04", "12.50", "CNY", 480)).toEqual({
      lookup: { by: "receipt", text: "000123", date: "2026-03-04", amountMinor: 1250, utcOffsetMinutes: 480 },
    });
    expect(buildLookup("receipt", "000123", "2026-3-4", "12.50", "CNY")).toEqual({ problem: "date" });
    expect(buildLookup("receipt", "000123", "2026-03-04", "", "CNY")).toEqual({ problem: "amount" });
    expect(buildLookup("receipt", "", "2026-03-04", "1", "CNY")).toEqual({ problem: "text" });
  });
});

describe("quantities", () => {
  it("preselects one unit of the matched line", () => {
    const lines = [
      line({ orderLineId: 1, quantity: 3, refundable: 3, matched: true }),
      line({ orderLineId: 2, quantity: 2, refundable: 2 }),
    ];
    expect(defaultQuantities(lines)).toEqual({ 1: 1, 2: 0 });
  });

  it("preselects a single-unit matched line and nothing once refunded", () => {
    expect(defaultQuantities([line({ orderLineId: 7, quantity: 1, refundable: 1, matched: true })])).toEqual({ 7: 1 });
    expect(defaultQuantities([line({ orderLineId: 7, quantity: 1, refundable: 0, matched: true })])).toEqual({ 7: 0 });
    expect(defaultQuantities([line({ orderLineId: 8, quantity: 4, refundable: 0, matched: true })])).toEqual({ 8: 0 });
  });

  it("clamps typed quantities", () => {
    expect(clampQuantity("2", 3)).toBe(2);
    expect(clampQuantity(5, 3)).toBe(3);
    expect(clampQuantity(-1, 3)).toBe(0);
    expect(clampQuantity("1.7", 3)).toBe(1);
    expect(clampQuantity("", 3)).toBe(0);
    expect(clampQuantity("x", 3)).toBe(0);
    expect(clampQuantity(null, 3)).toBe(0);
    expect(clampQuantity(2, 0)).toBe(0);
  });

  it("keeps only chosen lines, clamped, in sale order", () => {
    const lines = [
      line({ orderLineId: 1, refundable: 2, quantity: 2 }),
      line({ orderLineId: 2, refundable: 1 }),
      line({ orderLineId: 3, refundable: 4, quantity: 4 }),
    ];
    expect(chosenLines(lines, { 3: 9, 1: 0, 2: 1 })).toEqual([
      { orderLineId: 2, quantity: 1 },
      { orderLineId: 3, quantity: 4 },
    ]);
    expect(chosenLines(lines, {})).toEqual([]);
  });

  it("reads the lines of a found sale with their real shape", () => {
    const order = { lines: [line({ orderLineId: 4 })] } as unknown as RefundOrderView;
    expect(saleLines(order)[0].orderLineId).toBe(4);
    expect(saleLines(null)).toEqual([]);
  });

  it("keys a choice", () => {
    expect(linesKey(5, [{ orderLineId: 1, quantity: 2 }])).toBe("5:1x2");
    expect(linesKey(5, [])).toBe("5:");
  });
});

describe("RefundInput", () => {
  const lines = [{ orderLineId: 1, quantity: 2 }];

  it("sends no approval for a quote", () => {
    expect(buildRefundInput({ orderId: 9, lines, reason: "defective" })).toEqual({
      orderId: 9,
      lines,
      reason: "defective",
      photoBase64: null,
      managerId: null,
      managerPin: null,
      waitForSeller: false,
    });
  });

  it("sends a manager's approval with the photo", () => {
    const input = buildRefundInput({
      orderId: 9,
      lines,
      reason: "other",
      photoBase64: "QUJD",
      approval: { managerId: 3, managerPin: " 1234 ", waitForSeller: false },
    });
    expect(input).toMatchObject({ photoBase64: "QUJD", managerId: 3, managerPin: "1234", waitForSeller: false });
  });

  it("prefers the seller's confirmation and drops a half-given manager", () => {
    expect(
      buildRefundInput({ orderId: 9, lines, reason: "other", approval: { managerId: 3, managerPin: "1234", waitForSeller: true } }),
    ).toMatchObject({ managerId: null, managerPin: null, waitForSeller: true });
    expect(
      buildRefundInput({ orderId: 9, lines, reason: "other", approval: { managerId: 3, managerPin: "", waitForSeller: false } }),
    ).toMatchObject({ managerId: null, managerPin: null, waitForSeller: false });
    expect(buildRefundInput({ orderId: 9, lines, reason: "other", photoBase64: "" }).photoBase64).toBeNull();
  });

  it("tells which approval applies", () => {
    const none = { managerId: null, managerPin: "", waitForSeller: false };
    const decided = (...decisions: string[]) =>
      decisions.map((decision, i) => ({ orderLineId: i + 1, decision, seller: null }));
    const out = { overLimit: false, lines: decided("policy", "needs_approval") };
    expect(approvalPath(null, false, none)).toBe("policy");
    expect(approvalPath({ overLimit: false, lines: decided("policy") }, false, none)).toBe("policy");
    expect(approvalPath(out, true, none)).toBe("self");
    expect(approvalPath(out, false, none)).toBe("needed");
    expect(approvalPath(out, false, { ...none, waitForSeller: true })).toBe("seller");
    expect(approvalPath(out, false, { ...none, managerId: 2 })).toBe("needed");
    expect(approvalPath(out, false, { ...none, managerId: 2, managerPin: "1234" })).toBe("manager");
  });

  it("asks no approval for a line that waits for the seller it was sold for", () => {
    const none = { managerId: null, managerPin: "", waitForSeller: false };
    const lines = [{ orderLineId: 1, decision: "await_seller", seller: "acme-audio" }];
    expect(approvalPath({ overLimit: false, lines }, false, none)).toBe("policy");
  });

  it("above the cashier's limit, a manager approves or the seller decides", () => {
    const none = { managerId: null, managerPin: "", waitForSeller: false };
    const over = { overLimit: true, lines: [{ orderLineId: 1, decision: "policy", seller: null }] };
    expect(approvalPath(over, false, none)).toBe("needed");
    expect(approvalPath(over, false, { ...none, waitForSeller: true })).toBe("seller");
    expect(approvalPath(over, false, { ...none, managerId: 2, managerPin: "2222" })).toBe("manager");
    expect(approvalPath(over, true, none)).toBe("self");
  });
});

describe("photo and receipt helpers", () => {
  it("strips the data URL prefix", () => {
    expect(stripDataUrl("data:image/png;base64,iVBORw0KGgo=")).toBe("iVBORw0KGgo=");
    expect(stripDataUrl("data:image/jpeg;name=a.jpg;base64,/9j/4AAQ")).toBe("/9j/4AAQ");
    expect(stripDataUrl("data:,abc")).toBe("abc");
    expect(stripDataUrl("QUJD")).toBe("QUJD");
  });

  it("limits photos to 5 MiB", () => {
    expect(MAX_PHOTO_BYTES).toBe(5 * 1024 * 1024);
    expect(photoSizeOk(1)).toBe(true);
    expect(photoSizeOk(MAX_PHOTO_BYTES)).toBe(true);
    expect(photoSizeOk(MAX_PHOTO_BYTES + 1)).toBe(false);
    expect(photoSizeOk(0)).toBe(false);
  });

  it("formats sizes", () => {
    expect(formatBytes(512)).toBe("512 B");
    expect(formatBytes(2048)).toBe("2.0 KB");
    expect(formatBytes(3 * 1024 * 1024)).toBe("3.0 MB");
  });

  it("shortens a SHA-256", () => {
    const sha = "ab".repeat(32);
    expect(shortSha(sha)).toBe("abababab…abab");
    expect(shortSha(null)).toBe("");
    expect(shortSha("abc")).toBe("abc");
  });
});

describe("photo kinds", () => {
  const bytes = (...b: number[]) => Uint8Array.from(b);
  it("reads JPEG, PNG and WebP from the bytes", () => {
    expect(photoKind(bytes(0xff, 0xd8, 0xff, 0xe0))).toBe("image/jpeg");
    expect(photoKind(bytes(0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0))).toBe("image/png");
    expect(photoKind(new TextEncoder().encode("RIFF\u0000\u0000\u0000\u0000WEBPVP8 "))).toBe("image/webp");
  });
  it("refuses anything else whatever its name", () => {
    expect(photoKind(new TextEncoder().encode("GIF89a"))).toBeNull();
    expect(photoKind(new TextEncoder().encode("<svg xmlns="))).toBeNull();
    expect(photoKind(new TextEncoder().encode("RIFF\u0000\u0000\u0000\u0000WAVE"))).toBeNull();
    expect(photoKind(bytes(0x89, 0x50, 0x4e, 0x47))).toBeNull();
    expect(photoKind(bytes())).toBeNull();
  });
});
