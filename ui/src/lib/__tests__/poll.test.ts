import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { poll } from "../poll";

describe("poll", () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it("refreshes at once, then every interval, until stopped", () => {
    const refresh = vi.fn(() => Promise.resolve());
    const stop = poll(refresh, 1000);
    expect(refresh).toHaveBeenCalledTimes(1);
    vi.advanceTimersByTime(2500);
    expect(refresh).toHaveBeenCalledTimes(3);
    stop();
    vi.advanceTimersByTime(5000);
    expect(refresh).toHaveBeenCalledTimes(3);
  });
});
