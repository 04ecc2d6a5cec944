// The first-run setup's pure parts: the steps in order, a new shop profile's defaults, tax rates
// as the form edits them (percent text, read as the catalogue reads it) and as the till stores
// them (basis points).
import type { SetupStep, ShopProfile, TaxRateEntry } from "../../lib/bindings";
import type { MessageKey } from "../../lib/i18n/index.svelte";
import { bpToPercentText, parseTaxPercent } from "../catalogue/product";

/** The steps as the progress list shows them. */
export const STEPS: readonly Exclude<SetupStep, "done">[] = ["shop", "people", "server", "payments", "devices"];

/** The currencies the till sells in (till-core's list). */
export const CURRENCIES = ["CNY", "HKD", "USD", "EUR", "GBP", "JPY"] as const;

/** A tax rate as the form holds it: the percentage as typed. */
export interface RateRow {
  name: string;
  percent: string;
}

/** The shop profile as the form holds it. */
export interface ShopForm {
  name: string;
  address: string;
  taxId: string;
  currency: string;
  rates: RateRow[];
  defaultRate: number;
  receiptHeader: string;
  receiptFooter: string;
  timeZone: string;
  tillName: string;
}

/** The machine's time zone, else Asia/Shanghai. */
export function localTimeZone(): string {
  try {
    return Intl.DateTimeFormat().resolvedOptions().timeZone || "Asia/Shanghai";
  } catch {
    return "Asia/Shanghai";
  }
}

/** Every IANA zone the browser knows, for the time zone field's suggestions. */
export function timeZones(): string[] {
  const intl = Intl as unknown as { supportedValuesOf?: (key: string) => string[] };
  try {
    return intl.supportedValuesOf?.("timeZone") ?? [];
  } catch {
    return [];
  }
}

/** The form for a profile, or a new shop's defaults (China's 13 %, 9 % and 6 % VAT rates). */
export function formFor(p: ShopProfile | null): ShopForm {
  if (p) {
    return {
      name: p.name,
      address: p.address,
      taxId: p.taxId,
      currency: p.currency,
      rates: p.taxRates.map((r) => ({ name: r.name, percent: bpToPercentText(r.rateBp) })),
      defaultRate: p.defaultTaxRate,
      receiptHeader: p.receiptHeader,
      receiptFooter: p.receiptFooter,
      timeZone: p.timeZone,
      tillName: p.tillName,
    };
  }
  return {
    name: "",
    address: "",
    taxId: "",
    currency: "CNY",
    rates: [
      { name: "Standard", percent: "13" },
      { name: "Reduced", percent: "9" },
      { name: "Services", percent: "6" },
    ],
    defaultRate: 0,
    receiptHeader: "",
    receiptFooter: "",
    timeZone: localTimeZone(),
    tillName: "Counter 1",
  };
}

export type FormProblems = Partial<Record<"name" | "address" | "rates" | "timeZone" | "tillName", MessageKey>>;

/** What is wrong with the form before it is sent (the till checks everything again). */
export function problems(f: ShopForm): FormProblems {
  const out: FormProblems = {};
  if (!f.name.trim()) out.name = "setup.shop.nameRequired";
  if (!f.address.trim()) out.address = "setup.shop.addressRequired";
  if (!f.tillName.trim()) out.tillName = "setup.shop.tillNameRequired";
  if (!f.timeZone.trim()) out.timeZone = "setup.shop.timeZoneRequired";
  if (f.rates.length === 0 || f.rates.some((r) => !r.name.trim() || parseTaxPercent(r.percent) === null)) {
    out.rates = "setup.shop.ratesInvalid";
  }
  return out;
}

/** The profile to send; call only when `problems` found none. */
export function toProfile(f: ShopForm): ShopProfile {
  const rates: TaxRateEntry[] = f.rates.map((r) => ({ name: r.name.trim(), rateBp: parseTaxPercent(r.percent) ?? 0 }));
  return {
    name: f.name,
    address: f.address,
    taxId: f.taxId,
    currency: f.currency,
    taxRates: rates,
    defaultTaxRate: Math.min(f.defaultRate, rates.length - 1),
    receiptHeader: f.receiptHeader,
    receiptFooter: f.receiptFooter,
    timeZone: f.timeZone,
    tillName: f.tillName,
  };
}
