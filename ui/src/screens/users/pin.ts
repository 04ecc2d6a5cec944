// PIN rules shared by the user forms and the setup: digits only, the till's shortest length
// (6 in a shop, 4 in demo mode; `AppInfo.setup.pinMinLength`) to 8.
import type { MessageKey } from "../../lib/i18n/index.svelte";

/** The longest PIN the keypad takes. */
export const MAX_PIN_LENGTH = 8;

/** What is wrong with a new PIN and its confirmation, or null. */
export function pinProblem(pin: string, confirm: string, minLength: number): MessageKey | null {
  if (!/^\d+$/.test(pin) || pin.length < minLength || pin.length > MAX_PIN_LENGTH) return "users.pinInvalid";
  if (pin !== confirm) return "users.pinMismatch";
  return null;
}

export function digitsOnly(value: string): string {
  return value.replace(/\D/g, "").slice(0, MAX_PIN_LENGTH);
}
