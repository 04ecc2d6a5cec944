// Current locale (reactive, remembered in localStorage) and the t() lookup.
import en, { type MessageKey } from "./en";
import zh from "./zh";

export type Locale = "en" | "zh";
export type { MessageKey };

const STORAGE_KEY = "till.locale";
const dictionaries: Record<Locale, Record<MessageKey, string>> = { en, zh };

function initialLocale(): Locale {
  try {
    const saved = localStorage.getItem(STORAGE_KEY);
    if (saved === "en" || saved === "zh") return saved;
  } catch {
    // localStorage unavailable: fall back to the default.
  }
  return "en";
}

const state = $state<{ locale: Locale }>({ locale: initialLocale() });

function applyDocumentLang(locale: Locale): void {
  if (typeof document !== "undefined") {
    document.documentElement.lang = locale === "zh" ? "zh-CN" : "en";
  }
}
applyDocumentLang(state.locale);

export function getLocale(): Locale {
  return state.locale;
}

export function setLocale(locale: Locale): void {
  state.locale = locale;
  applyDocumentLang(locale);
  try {
    localStorage.setItem(STORAGE_KEY, locale);
  } catch {
    // Ignore: the choice just won't be remembered.
  }
}

export function toggleLocale(): void {
  setLocale(state.locale === "en" ? "zh" : "en");
}

export type Params = Record<string, string | number>;

/** Translates a key in the current locale, filling {placeholders} from params. */
export function t(key: MessageKey, params?: Params): string {
  const text = dictionaries[state.locale][key] ?? en[key] ?? key;
  if (!params) return text;
  return text.replace(/\{(\w+)\}/g, (whole, name: string) =>
    name in params ? String(params[name]) : whole,
  );
}

/** Returns the Chinese name when the UI is in Chinese and one exists. */
export function productName(item: { name: string; nameZh: string | null }): string {
  return state.locale === "zh" && item.nameZh ? item.nameZh : item.name;
}

const ROLE_KEYS = {
  cashier: "role.cashier",
  manager: "role.manager",
  installer: "role.installer",
  owner: "role.owner",
} as const satisfies Record<string, MessageKey>;

/** Translated name of a role; unknown roles are shown as sent. */
export function roleLabel(role: string): string {
  const key = (ROLE_KEYS as Record<string, MessageKey>)[role];
  return key ? t(key) : role;
}
