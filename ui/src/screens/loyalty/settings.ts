// The points rules and the cashier's refund limit form: what the manager types (strings), checked against the
// same ranges as the backend (crates/till-pos/src/loyalty.rs, LoyaltySettings::check), and the
// conversion to and from LoyaltySettings. Amounts are typed in major units and kept in integer
// minor units (lib/money.ts); no floating point.
import type { LoyaltySettings } from "../../lib/bindings/LoyaltySettings";
import type { PointsProblemView } from "../../lib/bindings/PointsProblemView";
import type { MessageKey, Params } from "../../lib/i18n/index.svelte";
import { formatMinor, minorToInput, parseMajor } from "../../lib/money";

/** The backend's ranges. */
export const LIMITS = {
  pointsPerUnitMax: 1_000,
  redeemValueMinMinor: 1,
  redeemValueMaxMinor: 1_000_000,
  multiplierPctMax: 1_000,
} as const;

/** One editable multiplier row; `uid` only keys the row on screen. */
export interface MultiplierRow {
  uid: number;
  sku: string;
  pct: string;
}

/** The form as typed. */
export interface LoyaltyForm {
  pointsPerUnit: string;
  redeemValue: string;
  multipliers: MultiplierRow[];
  refundLimit: string;
}

/** A message for one field: a key and its placeholders. */
export interface Problem {
  key: MessageKey;
  params?: Params;
}

export interface RowProblems {
  sku?: Problem;
  pct?: Problem;
}

/** What is wrong with the form, field by field (rows by index). */
export interface FormProblems {
  pointsPerUnit?: Problem;
  redeemValue?: Problem;
  refundLimit?: Problem;
  rows: RowProblems[];
}

let nextUid = 1;

/** A new, empty multiplier row (percent 100 = normal points). */
export function newRow(sku = "", pct = ""): MultiplierRow {
  return { uid: nextUid++, sku, pct };
}

/** The stored settings as the form shows them. */
export function settingsToForm(s: LoyaltySettings, currency: string): LoyaltyForm {
  return {
    pointsPerUnit: String(s.pointsPerUnit),
    redeemValue: minorToInput(s.redeemValueMinor, currency),
    multipliers: s.multipliers.map(([sku, pct]) => newRow(sku, String(pct))),
    refundLimit: minorToInput(s.cashierRefundLimitMinor, currency),
  };
}

/** A whole number typed as digits only ("12", " 7 "); null for anything else ("1.5", "-1", "1e3", ""). */
export function parseWhole(text: string): number | null {
  const s = text.trim();
  if (!/^\d{1,15}$/.test(s)) return null;
  return Number(s);
}

function wholeIn(text: string, min: number, max: number, key: MessageKey): { value: number | null; problem?: Problem } {
  if (text.trim() === "") return { value: null, problem: { key: "loyalty.err.required" } };
  const n = parseWhole(text);
  if (n === null || n < min || n > max) return { value: null, problem: { key, params: { min, max } } };
  return { value: n };
}

/** A row the manager added but left blank is ignored rather than reported. */
export function isBlankRow(r: Pick<MultiplierRow, "sku" | "pct">): boolean {
  return r.sku.trim() === "" && r.pct.trim() === "";
}

/** True when there is no problem anywhere in the form. */
export function isClean(p: FormProblems): boolean {
  return !p.pointsPerUnit && !p.redeemValue && !p.refundLimit && p.rows.every((r) => !r.sku && !r.pct);
}

/**
 * Checks the form and converts it. Returns the settings to save when every field is valid, and
 * the problems (empty when valid). Blank multiplier rows are dropped; SKUs are trimmed; a SKU
 * listed twice (ignoring case, as the backend matches them) is reported on its second row.
 */
export function formToSettings(
  form: LoyaltyForm,
  currency: string,
): { settings: LoyaltySettings | null; problems: FormProblems } {
  const problems: FormProblems = { rows: [] };

  const ppu = wholeIn(form.pointsPerUnit, 0, LIMITS.pointsPerUnitMax, "loyalty.err.pointsPerUnit");
  problems.pointsPerUnit = ppu.problem;

  let redeem: number | null = null;
  if (form.redeemValue.trim() === "") {
    problems.redeemValue = { key: "loyalty.err.required" };
  } else {
    redeem = parseMajor(form.redeemValue, currency);
    if (redeem === null || redeem < LIMITS.redeemValueMinMinor || redeem > LIMITS.redeemValueMaxMinor) {
      redeem = null;
      problems.redeemValue = {
        key: "loyalty.err.redeemValue",
        params: {
          min: formatMinor(LIMITS.redeemValueMinMinor, currency),
          max: formatMinor(LIMITS.redeemValueMaxMinor, currency),
        },
      };
    }
  }

  let limit: number | null = null;
  if (form.refundLimit.trim() === "") {
    problems.refundLimit = { key: "loyalty.err.required" };
  } else {
    limit = parseMajor(form.refundLimit, currency);
    if (limit === null) {
      problems.refundLimit = { key: "loyalty.err.refundLimit", params: { example: minorToInput(20_000, currency) } };
    }
  }

  const multipliers: [string, number][] = [];
  const seen = new Set<string>();
  problems.rows = form.multipliers.map((row) => {
    const rp: RowProblems = {};
    if (isBlankRow(row)) return rp;
    const sku = row.sku.trim();
    if (sku === "") rp.sku = { key: "loyalty.err.skuRequired" };
    else if (seen.has(sku.toLowerCase())) rp.sku = { key: "loyalty.err.skuDuplicate", params: { sku } };
    if (sku !== "") seen.add(sku.toLowerCase());
    const pct = wholeIn(row.pct, 0, LIMITS.multiplierPctMax, "loyalty.err.pct");
    rp.pct = pct.problem;
    if (!rp.sku && pct.value !== null) multipliers.push([sku, pct.value]);
    return rp;
  });

  if (!isClean(problems) || ppu.value === null || redeem === null || limit === null) {
    return { settings: null, problems };
  }
  return {
    settings: {
      pointsPerUnit: ppu.value,
      redeemValueMinor: redeem,
      multipliers,
      cashierRefundLimitMinor: limit,
    },
    problems,
  };
}

/** Whether two settings say the same thing (multiplier order counts: the backend keeps it). */
export function sameSettings(a: LoyaltySettings, b: LoyaltySettings): boolean {
  return (
    a.pointsPerUnit === b.pointsPerUnit &&
    a.redeemValueMinor === b.redeemValueMinor &&
    a.cashierRefundLimitMinor === b.cashierRefundLimitMinor &&
    a.multipliers.length === b.multipliers.length &&
    a.multipliers.every(([sku, pct], i) => b.multipliers[i]?.[0] === sku && b.multipliers[i]?.[1] === pct)
  );
}

/** Whether the form differs from the stored settings (an invalid form always differs). */
export function isDirty(form: LoyaltyForm, stored: LoyaltySettings | null, currency: string): boolean {
  if (!stored) return false;
  const { settings } = formToSettings(form, currency);
  return settings === null || !sameSettings(settings, stored);
}

const KIND_KEYS: Record<string, MessageKey> = {
  earn: "loyalty.kind.earn",
  redeem: "loyalty.kind.redeem",
  "reverse-earn": "loyalty.kind.reverseEarn",
  "return-redeem": "loyalty.kind.returnRedeem",
};

/** The label key of a ledger kind; null for a kind this UI does not know (shown as sent). */
export function kindKey(kind: string): MessageKey | null {
  return KIND_KEYS[kind] ?? null;
}

/** Newest first (by time, then by ledger row); does not change the input. */
export function newestFirst(rows: readonly PointsProblemView[]): PointsProblemView[] {
  return [...rows].sort((a, b) => b.createdAtMs - a.createdAtMs || b.id - a.id);
}

/** A signed points change: "+120", "-50", "0" (grouped in the UI language). */
export function signedPoints(points: number, locale: string): string {
  const text = new Intl.NumberFormat(locale === "zh" ? "zh-CN" : "en").format(Math.abs(points));
  if (points > 0) return `+${text}`;
  if (points < 0) return `-${text}`;
  return text;
}
