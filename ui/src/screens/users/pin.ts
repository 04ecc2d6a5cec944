// PIN rules shared by the user forms: 4 to 8 digits.
import type { MessageKey } from "../../lib/i18n/index.svelte";

export function pinProblem(pin: string, confirm: string): MessageKey | null {
  if (!/^\d{4,8}$/.test(pin)) return "users.pinInvalid";
  if (pin !== confirm) return "users.pinMismatch";
  return null;
}

export function digitsOnly(value: string): string {
  return value.replace(/\D/g, "").slice(0, 8);
}
