// The isolation frame's hook (isolation/hook.js): well-formed messages pass unchanged,
// anything else becomes a call to a command that does not exist.
import { describe, expect, it } from "vitest";
import "../../../../isolation/hook.js";

type Message = { cmd: unknown; callback: unknown; error: unknown; payload: unknown; options?: unknown };
const hook = (globalThis as unknown as { __TAURI_ISOLATION_HOOK__: (m: unknown) => Message }).__TAURI_ISOLATION_HOOK__;

const ok = (cmd: string, payload: unknown, options?: unknown): Message => ({ cmd, callback: 1, error: 2, payload, options });

describe("the isolation hook", () => {
  it("passes the window's real calls through unchanged", () => {
    for (const m of [
      ok("login", { userId: 1, pin: "1111" }),
      ok("cart_scan", { token: "ab".repeat(32), code: "6901234567892" }),
      ok("history_search", { token: "t", query: { kind: "orders", fromMs: null, sort: "newest" }, cursor: null, limit: 50 }),
      ok("export_start", { token: "t", fromMs: 1, toMs: 2, kinds: ["orders", "lines"] }),
      ok("payment_start", { token: "t", cartId: "c", onProgress: "__CHANNEL__:3" }),
      ok("app_info", {}),
      ok("plugin:__TAURI_CHANNEL__|fetch", null, { headers: { "Tauri-Channel-Id": "4" } }),
    ]) {
      expect(hook(m)).toBe(m);
    }
  });

  it("refuses malformed messages without losing the caller's callbacks", () => {
    const refused = (m: unknown) => {
      const out = hook(m);
      expect(out.cmd).toBe("isolation_refused");
      expect(out.payload).toEqual({});
      return out;
    };
    expect(refused(ok("plugin:window|close", {})).callback).toBe(1);
    refused(ok("Cart_Scan", {}));
    refused(ok("cart scan", {}));
    refused(ok("x".repeat(65), {}));
    refused(ok("cart_scan", [1, 2, 3]));
    refused(ok("cart_scan", "text"));
    refused(ok("cart_scan", new Uint8Array([1, 2])));
    refused(ok("cart_scan", { "__proto__x": 1 }));
    refused(ok("cart_scan", { token: () => 1 }));
    refused(ok("cart_scan", { token: new Date() }));
    refused(ok("cart_scan", { quantity: Number.NaN }));
    refused(ok("cart_scan", { deep: [[[[[[[[[[1]]]]]]]]]] }));
    refused(ok("cart_scan", { file: "x".repeat(32 * 1024 * 1024 + 1) }));
    refused(ok("plugin:__TAURI_CHANNEL__|fetch", { id: 1 }));
    refused({ cmd: "cart_get", callback: "1", error: 2, payload: {} });
    refused({ cmd: "cart_get", callback: 1, error: 2, payload: {}, options: "x" });
    refused(null);
    refused("cart_get");
  });
});
