// Money formatting and parsing with integer arithmetic only.
// Amounts are integer minor units (e.g. fen for CNY); no floating point is used
// to convert between major and minor units.
import type { Money } from "./bindings";

export interface CurrencyInfo {
  symbol: string;
  digits: number;
}

// Same symbols and minor digits as the backend's currency table.
const CURRENCIES: Record<string, CurrencyInfo> = {
  CNY: { symbol: "¥", digits: 2 },
  HKD: { symbol: "HK$", digits: 2 },
  USD: { symbol: "$", digits: 2 },
  EUR: { symbol: "€", digits: 2 },
  GBP: { symbol: "£", digits: 2 },
  JPY: { symbol: "¥", digits: 0 },
};

export function currencyInfo(code: string): CurrencyInfo {
  return CURRENCIES[code.toUpperCase()] ?? { symbol: `${code} `, digits: 2 };
}

/**
 * Formats integer minor units, e.g. (123450, "CNY") -> "¥1234.50". No thousands separators:
 * amounts read the same as on the receipt printer and in the backend's logs.
 */
export function formatMinor(minor: number | bigint, currency: string): string {
  const { symbol, digits } = currencyInfo(currency);
  let value: bigint;
  if (typeof minor === "bigint") {
    value = minor;
  } else if (Number.isInteger(minor)) {
    value = BigInt(minor);
  } else {
    return "—";
  }
  const negative = value < 0n;
  const abs = (negative ? -value : value).toString().padStart(digits + 1, "0");
  const intPart = abs.slice(0, abs.length - digits);
  const fracPart = digits > 0 ? abs.slice(abs.length - digits) : "";
  return `${negative ? "-" : ""}${symbol}${intPart}${digits > 0 ? "." + fracPart : ""}`;
}

export function formatMoney(money: Money): string {
  return formatMinor(money.minor, money.currency);
}

/** Formats minor units as a plain major-unit string without symbol or grouping: (5000, "CNY") -> "50.00". */
export function minorToInput(minor: number, currency: string): string {
  const { digits } = currencyInfo(currency);
  if (!Number.isInteger(minor) || minor < 0) return "";
  const abs = BigInt(minor).toString().padStart(digits + 1, "0");
  const intPart = abs.slice(0, abs.length - digits);
  return digits > 0 ? `${intPart}.${abs.slice(abs.length - digits)}` : intPart;
}

/** One major unit expressed in minor units (100 for CNY, 1 for JPY). */
export function majorUnit(currency: string): number {
  return 10 ** currencyInfo(currency).digits;
}

/**
 * Parses a major-unit amount typed by a person ("50", "50.5", "50.00", "¥50")
 * into integer minor units by string manipulation. Returns null when the text is
 * not a valid non-negative amount for the currency or does not fit a safe integer.
 */
export function parseMajor(text: string, currency: string): number | null {
  const { symbol, digits } = currencyInfo(currency);
  let s = text.trim().replace(/[\s,]/g, "");
  if (symbol.trim() && s.startsWith(symbol.trim())) s = s.slice(symbol.trim().length);
  const m = /^(\d*)(?:\.(\d*))?$/.exec(s);
  if (!m) return null;
  const intDigits = m[1] ?? "";
  const fracDigits = m[2] ?? "";
  if (intDigits === "" && fracDigits === "") return null;
  if (fracDigits.length > digits) {
    // Allow trailing zeros beyond the currency precision ("50.000", "100.0" for JPY).
    if (!/^0*$/.test(fracDigits.slice(digits))) return null;
  }
  const frac = fracDigits.slice(0, digits).padEnd(digits, "0");
  const minorText = ((intDigits || "0") + frac).replace(/^0+(?=\d)/, "");
  const value = BigInt(minorText);
  if (value > BigInt(Number.MAX_SAFE_INTEGER)) return null;
  return Number(value);
}

/** Tax rate in basis points as a percentage string: 1300 -> "13%", 650 -> "6.5%". */
export function formatRateBp(bp: number): string {
  const whole = Math.trunc(bp / 100);
  const rest = Math.abs(bp % 100);
  if (rest === 0) return `${whole}%`;
  return `${whole}.${rest.toString().padStart(2, "0").replace(/0$/, "")}%`;
}
