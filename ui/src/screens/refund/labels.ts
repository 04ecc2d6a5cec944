// Translated names of the refund screen's codes (reasons, tenders, statuses, approvals);
// a code without a translation is shown as sent.
import { t, type MessageKey } from "../../lib/i18n/index.svelte";
import en from "../../lib/i18n/en";

function lookup(prefix: string, value: string | null | undefined): string {
  if (!value) return t("common.none");
  const key = `${prefix}.${value}`;
  return key in en ? t(key as MessageKey) : value;
}

export const reasonLabel = (reason: string | null | undefined) => lookup("refund.reason", reason);
export const tenderLabel = (tender: string | null | undefined) => lookup("refund.tender", tender);
export const statusLabel = (status: string | null | undefined) => lookup("refund.status", status);

/** A refund's status; a refusal by the server (not by the seller) says so. */
export function refundStatusLabel(r: { status: string; serverRefusal: string | null }): string {
  return r.status === "refused" && r.serverRefusal ? t("refund.status.refusedByServer") : statusLabel(r.status);
}

/** What the cashier is told about the server's refusal code (e.g. card_sale_not_authorised). */
export function refusalText(code: string): string {
  const key = `refund.refusal.${code}`;
  return key in en ? t(key as MessageKey) : t("refund.refusal.other", { code });
}

/** How a refund was approved: at once, by manager NAME, or waiting for the seller. */
export function approvalLabel(approval: string, approvedBy: string | null): string {
  if (approval === "manager") {
    return approvedBy ? t("refund.approval.manager", { name: approvedBy }) : t("refund.approval.managerUnknown");
  }
  return lookup("refund.approval", approval);
}

/** Where the money goes: cash from the drawer, back to card ****1234, as points. */
export function goesToLabel(tender: string, cardMasked: string | null): string {
  if (tender === "card") return cardMasked ? t("refund.goesTo.card", { card: cardMasked }) : t("refund.goesTo.cardUnknown");
  if (tender === "payment_code") return t("refund.goesTo.payment_code", { code: cardMasked ?? "" });
  return lookup("refund.goesTo", tender);
}
