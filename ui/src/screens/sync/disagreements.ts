// The refund lines this till paid back while the server did not refund them (the till decided
// offline, or the server's word came later and differs), in words for the manager: how the
// till decided, what the server says, why it refused, and the amount at stake in all.
import { t, type MessageKey } from "../../lib/i18n/index.svelte";
import type { Money, RefundDisagreementView } from "../../lib/bindings";

/** How the till decided the line: within policy, or a manager of the shop confirming it. */
export function tillDecisionText(d: Pick<RefundDisagreementView, "decision" | "decidedOffline">): string {
  const how =
    d.decision === "policy"
      ? t("refundDisagreements.decision.policy")
      : d.decision === "shop_manager"
        ? t("refundDisagreements.decision.shopManager")
        : d.decision;
  return d.decidedOffline ? t("refundDisagreements.offline", { how }) : how;
}

const REASONS: Record<string, MessageKey> = {
  not_found: "refundDisagreements.reason.not_found",
  refund_exceeds_paid: "refundDisagreements.reason.refund_exceeds_paid",
  card_sale_not_authorised: "refundDisagreements.reason.card_sale_not_authorised",
  refund_exists: "refundDisagreements.reason.refund_exists",
  currency_mismatch: "refundDisagreements.reason.currency_mismatch",
  authorization_mismatch: "refundDisagreements.reason.authorization_mismatch",
};

/** The server's word: waits for the seller, or refused and why (a code without words as sent). */
export function serverWordText(d: Pick<RefundDisagreementView, "serverStatus" | "reason">): string {
  if (d.serverStatus === "pending_seller_confirmation") return t("refundDisagreements.server.waits");
  if (d.serverStatus === "rejected") {
    if (!d.reason) return t("refundDisagreements.server.refused");
    const key = REASONS[d.reason];
    return t("refundDisagreements.server.refusedBecause", { why: key ? t(key) : d.reason });
  }
  return d.serverStatus;
}

/** The amount at stake over every line (in the first line's currency; none: null). */
export function amountAtStake(list: readonly Pick<RefundDisagreementView, "amount">[]): Money | null {
  if (list.length === 0) return null;
  const currency = list[0].amount.currency;
  return { minor: list.reduce((sum, d) => sum + d.amount.minor, 0), currency };
}
