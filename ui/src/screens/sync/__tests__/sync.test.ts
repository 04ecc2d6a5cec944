import { describe, expect, it } from "vitest";
import type { SyncStatusView } from "../../../lib/bindings";
import { formatAge } from "../age";
import { canRetry, chipState } from "../syncState";

const base: SyncStatusView = {
  configured: true,
  running: true,
  online: true,
  pending: 0,
  oldestPendingAgeMs: null,
  parked: 0,
  delivered: 3,
  lastError: null,
  lastSuccessAtMs: null,
};

describe("sync chip", () => {
  it("is green only when online with nothing waiting", () => {
    expect(chipState(base)).toBe("online");
    expect(chipState({ ...base, pending: 2, oldestPendingAgeMs: 4000 })).toBe("pending");
    expect(chipState({ ...base, online: null, pending: 1 })).toBe("pending");
    expect(chipState({ ...base, online: null })).toBe("idle");
  });
  it("is red offline, with parked events, or when the worker is not running", () => {
    expect(chipState({ ...base, online: false, pending: 1 })).toBe("offline");
    expect(chipState({ ...base, running: false })).toBe("offline");
    expect(chipState({ ...base, parked: 1 })).toBe("parked");
  });
  it("is grey without a server", () => {
    expect(chipState({ ...base, configured: false, running: false, online: null })).toBe("unconfigured");
  });
  it("formats ages", () => {
    expect(formatAge(42_500)).toBe("42 s");
    expect(formatAge(3 * 60_000 + 5)).toBe("3 min");
    expect(formatAge(5 * 3_600_000)).toBe("5 h");
    expect(formatAge(3 * 86_400_000)).toBe("3 d");
  });
  it("offers no retry for a parked offline card payment, whose card data is gone", () => {
    expect(canRetry({ kind: "sale.recorded" })).toBe(true);
    expect(canRetry({ kind: "payment.forward" })).toBe(false);
  });
});
