// Pure helpers of the catalogue tab: the product form (parsing and checking what was typed into a
// ProductInput), tax percentages, and the base64 of a file read as a data URL.
import { minorToInput, parseMajor } from "../../lib/money";
import type { MessageKey } from "../../lib/i18n/index.svelte";
import type { ProductAdminView, ProductInput } from "../../lib/bindings";

export interface ProductForm {
  sku: string;
  barcode: string;
  name: string;
  nameZh: string;
  price: string;
  tax: string;
  inclusive: boolean;
  serialised: boolean;
}

export type ProductField = "sku" | "barcode" | "name" | "price" | "tax";
export type FieldErrors = Partial<Record<ProductField, MessageKey>>;

/** A new product's form; its tax rate is the shop's default (basis points), 13 % without a profile. */
export function emptyForm(defaultTaxBp = 1300): ProductForm {
  const tax = bpToPercentText(defaultTaxBp);
  return { sku: "", barcode: "", name: "", nameZh: "", price: "", tax, inclusive: true, serialised: false };
}

/** Basis points as the percent text typed in the form: 1300 -> "13", 650 -> "6.5", 625 -> "6.25". */
export function bpToPercentText(bp: number): string {
  const whole = Math.trunc(bp / 100);
  const rest = bp % 100;
  if (rest === 0) return String(whole);
  return `${whole}.${String(rest).padStart(2, "0").replace(/0$/, "")}`;
}

/** A percentage typed as "13", "13.5" or "6.25" in basis points; null unless 0–100 with ≤ 2 decimals. */
export function parseTaxPercent(text: string): number | null {
  const s = text.trim().replace(/%$/, "").trim();
  const m = /^(\d{1,3})(?:\.(\d{1,2}))?$/.exec(s);
  if (!m) return null;
  const bp = Number(m[1]) * 100 + Number((m[2] ?? "").padEnd(2, "0"));
  return bp <= 10_000 ? bp : null;
}

export function formFromProduct(p: ProductAdminView): ProductForm {
  return {
    sku: p.sku,
    barcode: p.barcode ?? "",
    name: p.name,
    nameZh: p.nameZh ?? "",
    price: minorToInput(p.price.minor, p.price.currency),
    tax: bpToPercentText(p.taxRateBp),
    inclusive: p.taxInclusive,
    serialised: p.serialised,
  };
}

/** Checks the form; the ProductInput to send when nothing is wrong, else the problems per field. */
export function checkForm(
  form: ProductForm,
  currency: string,
): { input: ProductInput; errors: null } | { input: null; errors: FieldErrors } {
  const errors: FieldErrors = {};
  const sku = form.sku.trim();
  const barcode = form.barcode.trim();
  const name = form.name.trim();
  const nameZh = form.nameZh.trim();
  if (sku === "") errors.sku = "catalogue.err.skuRequired";
  else if (/\s/.test(sku)) errors.sku = "catalogue.err.skuSpaces";
  if (/\s/.test(barcode)) errors.barcode = "catalogue.err.barcode";
  if (name === "") errors.name = "catalogue.err.nameRequired";
  const priceMinor = form.price.trim() === "" ? null : parseMajor(form.price, currency);
  if (priceMinor === null) errors.price = "catalogue.err.price";
  const taxRateBp = parseTaxPercent(form.tax);
  if (taxRateBp === null) errors.tax = "catalogue.err.tax";
  if (Object.keys(errors).length > 0 || priceMinor === null || taxRateBp === null) return { input: null, errors };
  return {
    input: {
      sku,
      barcode: barcode === "" ? null : barcode,
      name,
      nameZh: nameZh === "" ? null : nameZh,
      priceMinor,
      taxRateBp,
      taxInclusive: form.inclusive,
      serialised: form.serialised,
    },
    errors: null,
  };
}

/** The base64 payload of a data URL ("data:text/csv;base64,AAAA" -> "AAAA"). */
export function dataUrlBase64(dataUrl: string): string {
  const comma = dataUrl.indexOf(",");
  return comma >= 0 ? dataUrl.slice(comma + 1) : dataUrl;
}

export const CSV_COLUMNS = "sku,barcode,name,name_zh,price,tax_rate,tax_inclusive,serialised,active";
