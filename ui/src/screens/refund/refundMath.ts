// The refund screen's logic that does not need the screen: lookup building, default quantities,
// the RefundInput sent to the backend, which approval path applies, photo base64 handling.
import { parseMajor } from "../../lib/money";
import { needsApproval } from "./decisions";
import type {
  RefundInput,
  RefundLineInput,
  RefundLookup,
  RefundOrderView,
  RefundQuoteView,
  RefundSaleLine,
} from "../../lib/bindings";

/** A line of a sale being refunded, as `refund_find` sends it. */
export type { RefundSaleLine };

/** The sale's lines. */
export function saleLines(order: RefundOrderView | null): RefundSaleLine[] {
  return order?.lines ?? [];
}

/** How the cashier looks up: a sale (line code, device, receipt) or a refund by its number. */
export const LOOKUP_MODES = ["line_code", "device", "receipt", "refund_no"] as const;
export type LookupMode = (typeof LOOKUP_MODES)[number];
/** The modes that find a sale (`refund_find`); `refund_no` finds a recorded refund instead. */
export type SaleLookupMode = Exclude<LookupMode, "refund_no">;

/** The mode an Alt+digit press selects (Alt+1 line code, Alt+2 device, Alt+3 receipt, Alt+4 refund no.), or null. */
export function modeForCombo(combo: string): LookupMode | null {
  const m = /^Alt\+([1-9])$/.exec(combo);
  if (!m) return null;
  return LOOKUP_MODES[Number(m[1]) - 1] ?? null;
}

/** The reason codes the backend accepts (till-pos `refunds::REASONS`), in menu order. */
export const REASONS = ["defective", "wrong_item", "not_as_described", "changed_mind", "other"] as const;
export type Reason = (typeof REASONS)[number];

/** Largest photo of a defect the till keeps (till-core `photo::MAX_PHOTO_BYTES`): 5 MiB. */
export const MAX_PHOTO_BYTES = 5 * 1024 * 1024;

/** The kinds of photo taken, for the file picker (the backend checks the bytes again). */
export const PHOTO_ACCEPT = "image/jpeg,image/png,image/webp";

/**
 * The kind of a photo by its first bytes (till-core `photo::PhotoType::sniff`): JPEG, PNG or
 * WebP, else null. The name and the type the picker reports are not believed.
 */
export function photoKind(head: Uint8Array): "image/jpeg" | "image/png" | "image/webp" | null {
  const starts = (sig: number[], at = 0) => sig.every((b, i) => head[at + i] === b);
  if (starts([0xff, 0xd8, 0xff])) return "image/jpeg";
  if (starts([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) return "image/png";
  if (head.length >= 12 && starts([0x52, 0x49, 0x46, 0x46]) && starts([0x57, 0x45, 0x42, 0x50], 8)) return "image/webp";
  return null;
}

/** Today as YYYY-MM-DD in local time (the date printed on receipts). */
export function todayIso(now: Date = new Date()): string {
  const p = (n: number) => String(n).padStart(2, "0");
  return `${now.getFullYear()}-${p(now.getMonth() + 1)}-${p(now.getDate())}`;
}

/** True for a real calendar date written YYYY-MM-DD. */
export function isIsoDate(text: string): boolean {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text.trim());
  if (!m) return false;
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  if (mo < 1 || mo > 12 || d < 1) return false;
  const days = new Date(Date.UTC(y, mo, 0)).getUTCDate();
  return d <= days;
}

/**
 * A total typed in major units ("12.50", "¥12.5") as minor units with the currency's digits,
 * or null when it is empty or not an amount.
 */
export function amountToMinor(text: string, currency: string): number | null {
  if (text.trim() === "") return null;
  return parseMajor(text, currency);
}

export type LookupProblem = "text" | "date" | "amount";

/**
 * The lookup to send, or what is missing: the text always; for a receipt also a valid date and
 * a total amount.
 */
export function buildLookup(
  mode: SaleLookupMode,
  text: string,
  date: string,
  amountText: string,
  currency: string,
  utcOffsetMinutes: number = localOffsetMinutes(date),
): { lookup: RefundLookup } | { problem: LookupProblem } {
  const trimmed = text.trim();
  if (trimmed === "") return { problem: "text" };
  if (mode !== "receipt") {
    return { lookup: { by: mode, text: trimmed, date: null, amountMinor: null, utcOffsetMinutes: null } };
  }
  if (!isIsoDate(date)) return { problem: "date" };
  const amountMinor = amountToMinor(amountText, currency);
  if (amountMinor === null) return { problem: "amount" };
  return { lookup: { by: "receipt", text: trimmed, date: date.trim(), amountMinor, utcOffsetMinutes } };
}

/** This machine's offset from UTC on `date` (local noon), in minutes east: UTC+8 is 480. */
export function localOffsetMinutes(date: string): number {
  const d = new Date(`${date.trim()}T12:00:00`);
  return Number.isNaN(d.getTime()) ? 0 : -d.getTimezoneOffset();
}

/**
 * The quantities preselected for a sale just found: the matched line with one unit (a line of a
 * single unit, e.g. a device, with all it has left), every other line with none.
 */
export function defaultQuantities(lines: RefundSaleLine[]): Record<number, number> {
  const out: Record<number, number> = {};
  for (const l of lines) {
    const left = Math.max(0, l.refundable);
    out[l.orderLineId] = l.matched && left > 0 ? (l.quantity === 1 ? left : 1) : 0;
  }
  return out;
}

/** A quantity as typed, kept within 0..refundable (whole units; anything else is 0). */
export function clampQuantity(value: unknown, refundable: number): number {
  const n = typeof value === "number" ? value : Number(String(value ?? "").trim());
  if (!Number.isFinite(n)) return 0;
  return Math.min(Math.max(0, Math.trunc(n)), Math.max(0, refundable));
}

/** The lines with at least one unit chosen, in the sale's order. */
export function chosenLines(lines: RefundSaleLine[], quantities: Record<number, number>): RefundLineInput[] {
  const out: RefundLineInput[] = [];
  for (const l of lines) {
    const q = clampQuantity(quantities[l.orderLineId] ?? 0, l.refundable);
    if (q > 0) out.push({ orderLineId: l.orderLineId, quantity: q });
  }
  return out;
}

export interface Approval {
  managerId: number | null;
  managerPin: string;
  waitForSeller: boolean;
}

/**
 * The RefundInput for a quote (no approval, no photo) or for recording it. The approval is sent
 * only when it is needed: the seller's confirmation wins over a manager; a manager needs a PIN.
 */
export function buildRefundInput(args: {
  orderId: number;
  lines: RefundLineInput[];
  reason: string;
  photoBase64?: string | null;
  approval?: Approval | null;
}): RefundInput {
  const a = args.approval ?? null;
  const seller = !!a?.waitForSeller;
  const pin = a?.managerPin.trim() ?? "";
  const manager = !seller && a?.managerId != null && pin !== "";
  return {
    orderId: args.orderId,
    lines: args.lines.map((l) => ({ orderLineId: l.orderLineId, quantity: l.quantity })),
    reason: args.reason,
    photoBase64: args.photoBase64 ? args.photoBase64 : null,
    managerId: manager ? (a?.managerId ?? null) : null,
    managerPin: manager ? pin : null,
    waitForSeller: seller,
  };
}

/** A stable key for a set of chosen lines (to tell whether a quote is for the current choice). */
export function linesKey(orderId: number, lines: RefundLineInput[]): string {
  return `${orderId}:${lines.map((l) => `${l.orderLineId}x${l.quantity}`).join(",")}`;
}

/**
 * Which approval applies to a quote:
 * - `policy`: no approval to choose (every line paid back at once, or waiting for the seller it
 *   was sold for, who decides in any case);
 * - `self`: an approval is needed, and the signed-in user is a manager who gives it;
 * - `seller`: the shop's lines left to the seller (money paid back when they confirm); not
 *   above the cashier's limit, where a manager must approve;
 * - `manager`: a manager's PIN given;
 * - `needed`: an approval is needed and none is chosen yet.
 */
export type ApprovalPath = "policy" | "self" | "seller" | "manager" | "needed";

export function approvalPath(
  quote: Pick<RefundQuoteView, "overLimit" | "lines"> | null,
  userIsManager: boolean,
  approval: Approval,
): ApprovalPath {
  if (!needsApproval(quote)) return "policy";
  if (userIsManager) return "self";
  if (approval.waitForSeller) return "seller";
  if (approval.managerId != null && approval.managerPin.trim() !== "") return "manager";
  return "needed";
}

/** The base64 payload of a data URL (`data:image/png;base64,AAAA` -> `AAAA`); other text as is. */
export function stripDataUrl(dataUrl: string): string {
  const m = /^data:[^,]*;base64,/i.exec(dataUrl);
  if (m) return dataUrl.slice(m[0].length);
  const comma = dataUrl.startsWith("data:") ? dataUrl.indexOf(",") : -1;
  return comma >= 0 ? dataUrl.slice(comma + 1) : dataUrl;
}

/** True when a photo of this many bytes may be kept (1 byte .. 5 MiB). */
export function photoSizeOk(bytes: number): boolean {
  return bytes > 0 && bytes <= MAX_PHOTO_BYTES;
}

/** A byte count for people: 512 B, 12.3 KB, 4.5 MB. */
export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KB`;
  return `${(bytes / (1024 * 1024)).toFixed(1)} MB`;
}

/** A SHA-256 shortened for the receipt: the first 8 and last 4 hex digits. */
export function shortSha(sha: string | null | undefined): string {
  if (!sha) return "";
  const s = sha.trim().toLowerCase();
  return s.length <= 16 ? s : `${s.slice(0, 8)}…${s.slice(-4)}`;
}
