// Pure helpers of the end-of-day screen: the cash difference's state, the counted cash field,
// the default business date, and date/number formatting for the current language.
import { parseMajor } from "../../lib/money";
import type { Money } from "../../lib/bindings";

export type CashState = "short" | "over" | "even";

/** Short when less cash was counted than expected, over when more, even when equal. */
export function cashState(difference: Money | null | undefined): CashState | null {
  if (!difference) return null;
  if (difference.minor < 0) return "short";
  if (difference.minor > 0) return "over";
  return "even";
}

/** The counted cash typed in major units ("37.50") as minor units, or null when it is not money. */
export function parseCashCounted(text: string, currency: string): number | null {
  if (text.trim() === "") return null;
  return parseMajor(text, currency);
}

function pad(n: number): string {
  return String(n).padStart(2, "0");
}

/** The local calendar date as "YYYY-MM-DD" (the default business date to close). */
export function localDate(now: Date = new Date()): string {
  return `${now.getFullYear()}-${pad(now.getMonth() + 1)}-${pad(now.getDate())}`;
}

/** True for a real "YYYY-MM-DD" calendar date. */
export function isBusinessDate(text: string): boolean {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text);
  if (!m) return false;
  const d = new Date(Number(m[1]), Number(m[2]) - 1, Number(m[3]));
  return d.getFullYear() === Number(m[1]) && d.getMonth() === Number(m[2]) - 1 && d.getDate() === Number(m[3]);
}

/** The BCP 47 tag of a UI locale. */
export function localeTag(locale: string): string {
  return locale === "zh" ? "zh-CN" : "en-GB";
}

/** A date and time in the UI language, e.g. "04/12/2026, 13:05" / "2026/12/04 13:05". */
export function formatDateTime(ms: number, locale: string): string {
  return new Intl.DateTimeFormat(localeTag(locale), {
    year: "numeric",
    month: "2-digit",
    day: "2-digit",
    hour: "2-digit",
    minute: "2-digit",
    hour12: false,
  }).format(new Date(ms));
}

/** A whole number in the UI language (grouping separators). */
export function formatCount(n: number, locale: string): string {
  return new Intl.NumberFormat(localeTag(locale)).format(n);
}

/** The total of the refunds of devices sold elsewhere (no money through this drawer); none: null. */
export function remoteRefundsTotal(entries: readonly { amount: Money }[]): Money | null {
  if (entries.length === 0) return null;
  return { minor: entries.reduce((sum, e) => sum + e.amount.minor, 0), currency: entries[0].amount.currency };
}
