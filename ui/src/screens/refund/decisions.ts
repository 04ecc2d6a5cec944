// Each refund line is decided on its own (the one rule, till_core::refund::decide, that the till
// and the server share; see docs/refunds-and-points.md): what the quote says will become of each
// line with the approval chosen, where each line of a recorded refund stands, and the money of a
// recorded refund by state (paid back, waiting for the seller, to pay out, refused), in words.
import { t } from "../../lib/i18n/index.svelte";
import type { Money, RefundLineState, RefundQuoteView, RefundReceipt } from "../../lib/bindings";

/** The approval the cashier chose, as `approvalPath` names it (refundMath.ts). */
type Path = "policy" | "self" | "seller" | "manager" | "needed";

/**
 * What becomes of a quoted line once the refund is recorded:
 * - `now`: paid back at once (within policy);
 * - `shop_manager`: paid back at once, a manager confirming it for the shop (the seller);
 * - `left_to_seller`: a line the shop sold, left to the seller: nothing paid until confirmed;
 * - `await_seller`: sold for another seller: nothing paid until that seller confirms, whatever
 *   a manager says;
 * - `needs_approval`: a manager's PIN or leaving it to the seller is still to be chosen.
 */
export type LineOutcome = "now" | "shop_manager" | "left_to_seller" | "await_seller" | "needs_approval";

/** The outcome of a line the quote decided `decision`, with the approval `path` chosen. */
export function lineOutcome(decision: string, path: Path): LineOutcome {
  switch (decision) {
    case "policy":
      return "now";
    case "shop_manager":
      return "shop_manager";
    case "await_seller":
      return "await_seller";
    default:
      // `needs_approval`, and (failing closed) any decision this screen does not know.
      if (path === "manager" || path === "self") return "shop_manager";
      if (path === "seller") return "left_to_seller";
      return "needs_approval";
  }
}

/**
 * The outcome in words; `seller` names the seller a line was sold for. Above the cashier's
 * limit (`overLimit`) a line needing approval says so: a manager, or the seller.
 */
export function outcomeText(outcome: LineOutcome, seller: string | null, overLimit = false): string {
  switch (outcome) {
    case "now":
      return t("refund.line.now");
    case "shop_manager":
      return t("refund.line.shopManager");
    case "left_to_seller":
      return t("refund.line.leftToSeller");
    case "await_seller":
      return seller ? t("refund.line.awaitSeller", { seller }) : t("refund.line.awaitSellerUnnamed");
    case "needs_approval":
      return overLimit ? t("refund.line.needsManager") : t("refund.line.needsApproval");
  }
}

/** Whether the outcome pays the line back now. */
export function paysNow(outcome: LineOutcome): boolean {
  return outcome === "now" || outcome === "shop_manager";
}

/**
 * Whether the cashier must choose an approval: above the cashier's limit (a manager), or a line
 * the shop sold to a customer below the server's reputation threshold (a manager, or the seller).
 * A line sold for another seller needs none: it waits for that seller in any case.
 */
export function needsApproval(q: Pick<RefundQuoteView, "overLimit" | "lines"> | null): boolean {
  if (!q) return false;
  const decided = ["policy", "shop_manager", "await_seller"];
  return q.overLimit || q.lines.some((l) => !decided.includes(l.decision));
}

/** What the confirmation asks: money back now for every line, for none (`seller`), or a split. */
export type ConfirmKind = "now" | "seller" | "split";

export function confirmKind(outcomes: readonly LineOutcome[]): ConfirmKind {
  const now = outcomes.filter(paysNow).length;
  if (now === outcomes.length) return "now";
  return now === 0 ? "seller" : "split";
}

/** Where a recorded line stands: paid back, to pay out (the seller confirmed cash), waiting, refused. */
export type LineStateKind = "paid" | "to_pay_out" | "awaiting_seller" | "refused" | "unknown";

export function lineStateKind(s: Pick<RefundLineState, "status" | "paid">): LineStateKind {
  switch (s.status) {
    case "approved":
      return s.paid ? "paid" : "to_pay_out";
    case "awaiting_seller":
      return "awaiting_seller";
    case "refused":
      return "refused";
    default:
      return "unknown";
  }
}

/** A recorded line's state in words (who decided it, whether money moved). */
export function lineStateText(s: RefundLineState): string {
  switch (lineStateKind(s)) {
    case "paid":
      if (s.decision === "shop_manager") return t("refund.state.paidManager");
      if (s.decision === "seller") return t("refund.state.paidSeller");
      return t("refund.state.paid");
    case "to_pay_out":
      return t("refund.state.toPayOut");
    case "awaiting_seller":
      return s.seller ? t("refund.state.awaiting", { seller: s.seller }) : t("refund.state.awaitingUnnamed");
    case "refused":
      return t("refund.state.refused");
    case "unknown":
      return s.status;
  }
}

/**
 * The server's word on a line whose money went back here when the server did not refund it
 * (decided offline, or overtaken): the manager sees it on the Sync screen. Null when they agree.
 */
export function serverDisagreement(s: Pick<RefundLineState, "status" | "paid" | "serverStatus">): string | null {
  if (s.status !== "approved" || !s.paid) return null;
  if (s.serverStatus === "pending_seller_confirmation") return t("refund.state.serverWaits");
  if (s.serverStatus === "rejected") return t("refund.state.serverRefused");
  return null;
}

/** A recorded refund's money by state. */
export interface RefundSums {
  /** Gone back to the customer (cash out of the drawer, to the card, as points). */
  paid: Money;
  /** Waiting for the seller: nothing of it paid. */
  awaiting: Money;
  /** Confirmed by the seller, cash still to be paid out of the drawer. */
  toPayOut: Money;
  /** Refused: nothing paid, the units are back on the sale. */
  refused: Money;
}

export function refundSums(r: Pick<RefundReceipt, "amount" | "lines" | "awaitingSeller" | "toPayOut">): RefundSums {
  const currency = r.amount.currency;
  const sum = (kind: LineStateKind) =>
    r.lines.filter((l) => lineStateKind(l.state) === kind).reduce((acc, l) => acc + l.amount.minor, 0);
  return {
    paid: { minor: sum("paid"), currency },
    awaiting: { minor: r.awaitingSeller.minor, currency },
    toPayOut: { minor: r.toPayOut.minor, currency },
    refused: { minor: sum("refused"), currency },
  };
}

/** Whether the refund has cash to pay out now (the Pay out button). */
export function hasToPayOut(r: Pick<RefundReceipt, "refundId" | "toPayOut"> | null): boolean {
  return !!r && r.refundId > 0 && r.toPayOut.minor > 0;
}

/**
 * A refund number as typed or scanned (`R0000012`, `r12`, `12`): the text to look up, or null
 * when it is not one. `RR…` numbers are refunds of devices sold at other tills (History lists
 * them), not refunds of a sale here.
 */
export function refundNumber(text: string): { refundNo: string } | { problem: "refundNo" | "remoteNo" } {
  const s = text.trim();
  if (/^rr/i.test(s)) return { problem: "remoteNo" };
  if (!/^[Rr]?\d{1,18}$/.test(s)) return { problem: "refundNo" };
  return { refundNo: s.toUpperCase() };
}
