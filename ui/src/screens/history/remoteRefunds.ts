// Refunds of devices sold at other tills, as this till recorded them (RR numbers): their status
// and approval in words. No money moved through this drawer: the server pays the account that
// paid for the device.
import { t, type MessageKey } from "../../lib/i18n/index.svelte";
import type { RemoteRefundRecordView } from "../../lib/bindings";

const STATUS: Record<string, MessageKey> = {
  pending: "history.remote.status.pending",
  awaiting_seller: "history.remote.status.awaiting_seller",
  confirmed: "history.remote.status.confirmed",
  refused: "history.remote.status.refused",
};

/** The status in words; a refusal says why when the server gave a code (unknown statuses as sent). */
export function remoteStatusText(r: Pick<RemoteRefundRecordView, "status" | "refusedReason">): string {
  const key = STATUS[r.status];
  const text = key ? t(key) : r.status;
  return r.status === "refused" && r.refusedReason ? `${text} (${r.refusedReason})` : text;
}

/** How it was approved: within policy, manager NAME, or left to the seller. */
export function remoteApprovalText(r: Pick<RemoteRefundRecordView, "approval" | "approvedBy">): string {
  if (r.approval === "manager") {
    return r.approvedBy
      ? t("history.remote.approval.manager", { name: r.approvedBy })
      : t("history.remote.approval.managerUnknown");
  }
  if (r.approval === "policy") return t("history.remote.approval.policy");
  if (r.approval === "seller") return t("history.remote.approval.seller");
  return r.approval;
}
