// Display helpers shared by the history, order detail, export and audit screens: dates and
// numbers in the current language, translated kinds / statuses / tenders (unknown values as sent).
import { shopTimeZone } from "../../lib/app.svelte";
import { getLocale, t, type MessageKey } from "../../lib/i18n/index.svelte";
import en from "../../lib/i18n/en";

function intlLocale(): string {
  return getLocale() === "zh" ? "zh-CN" : "en";
}

// Formatters are built once per language: the history list formats dozens of rows per frame.
const dateFormats = new Map<string, Intl.DateTimeFormat>();
const numberFormats = new Map<string, Intl.NumberFormat>();

/**
 * A date and time in the shop's time zone (the PC's without a shop profile) and the current
 * language, e.g. "12/4/26, 9:30:05 AM" / "2026/12/4 09:30:05".
 */
export function formatDateTime(ms: number): string {
  const d = new Date(ms);
  if (Number.isNaN(d.getTime())) return "";
  const locale = intlLocale();
  const timeZone = shopTimeZone();
  const key = `${locale} ${timeZone ?? ""}`;
  let f = dateFormats.get(key);
  if (!f) {
    f = new Intl.DateTimeFormat(locale, { dateStyle: "short", timeStyle: "medium", timeZone });
    dateFormats.set(key, f);
  }
  return f.format(d);
}

/** An integer with the current language's grouping, e.g. 1,234. */
export function formatCount(n: number): string {
  const locale = intlLocale();
  let f = numberFormats.get(locale);
  if (!f) {
    f = new Intl.NumberFormat(locale);
    numberFormats.set(locale, f);
  }
  return f.format(n);
}

function lookup(prefix: string, value: string | null | undefined): string {
  if (!value) return t("common.none");
  const key = `${prefix}.${value}`;
  return key in en ? t(key as MessageKey) : value;
}

export const kindLabel = (kind: string | null | undefined) => lookup("history.kind", kind);
export const statusLabel = (status: string | null | undefined) => lookup("history.status", status);
export const tenderLabel = (tender: string | null | undefined) => lookup("history.tender", tender);
export const sortLabel = (sort: string | null | undefined) => lookup("history.sort", sort);
