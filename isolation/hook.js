// @ts-nocheck: plain script for the isolation frame, tested by ui/src/lib/__tests__/isolation.test.ts
// The isolation hook: every message from the till's window to the till passes here, inside
// Tauri's sandboxed isolation frame, before it is encrypted and sent (docs/security.md, 12).
// Only well-formed messages go through as they are: a command name of Till's shape (or Tauri's
// channel fetch), numeric callback ids, and arguments that are a plain object of plain JSON
// data (named in camelCase, at most 32 MiB). Anything else is replaced by a call to a command
// that does not exist, so the caller's promise is rejected instead of left hanging, and
// nothing it carried reaches the till. Which commands the window may call is the capability's
// business (capabilities/main-window.json), checked again by the till.
(function (global) {
  "use strict";

  var MAX_JSON = 32 * 1024 * 1024;
  var MAX_DEPTH = 8;
  var REFUSED = "isolation_refused";
  var COMMAND = /^[a-z][a-z0-9_]{0,63}$/;
  var ARGUMENT = /^[a-z][A-Za-z0-9]{0,63}$/;
  var CHANNEL_FETCH = "plugin:__TAURI_CHANNEL__|fetch";

  function isPlainObject(value) {
    if (value === null || typeof value !== "object") return false;
    var proto = Object.getPrototypeOf(value);
    return proto === Object.prototype || proto === null;
  }

  function isData(value, depth) {
    if (depth > MAX_DEPTH) return false;
    if (value === null || typeof value === "boolean" || typeof value === "string") return true;
    if (typeof value === "number") return isFinite(value);
    if (Array.isArray(value)) {
      for (var i = 0; i < value.length; i++) if (!isData(value[i], depth + 1)) return false;
      return true;
    }
    if (!isPlainObject(value)) return false;
    var keys = Object.keys(value);
    for (var k = 0; k < keys.length; k++) if (!isData(value[keys[k]], depth + 1)) return false;
    return true;
  }

  function isCallbackId(id) {
    return typeof id === "number" && isFinite(id) && Math.floor(id) === id;
  }

  /** Whether a message from the window is one the till expects. */
  function wellFormed(message) {
    if (!isPlainObject(message) || typeof message.cmd !== "string") return false;
    if (!isCallbackId(message.callback) || !isCallbackId(message.error)) return false;
    if (message.options !== undefined && message.options !== null && !isPlainObject(message.options)) return false;
    if (message.cmd === CHANNEL_FETCH) {
      // Tauri asking for a large channel message by the id in its headers: no arguments.
      return message.payload === null || message.payload === undefined || (isPlainObject(message.payload) && Object.keys(message.payload).length === 0);
    }
    if (!COMMAND.test(message.cmd) || !isPlainObject(message.payload)) return false;
    var names = Object.keys(message.payload);
    for (var i = 0; i < names.length; i++) {
      if (!ARGUMENT.test(names[i]) || !isData(message.payload[names[i]], 1)) return false;
    }
    var text;
    try {
      text = JSON.stringify(message.payload);
    } catch (_) {
      return false;
    }
    return typeof text === "string" && text.length <= MAX_JSON;
  }

  /** The hook Tauri calls with each message: the message itself, or a refusal. */
  function hook(message) {
    if (wellFormed(message)) return message;
    var refused = Object.create(null);
    refused.cmd = REFUSED;
    refused.callback = message && isCallbackId(message.callback) ? message.callback : 0;
    refused.error = message && isCallbackId(message.error) ? message.error : 0;
    refused.payload = {};
    refused.options = undefined;
    return refused;
  }

  global.__TAURI_ISOLATION_HOOK__ = hook;
})(typeof window !== "undefined" ? window : globalThis);
