import type { Role } from "../../lib/bindings";
import type { MessageKey } from "../../lib/i18n/index.svelte";

// The back office's tabs, in the order of their shortcuts (Alt+1 … Alt+9). The shop profile is
// and the backups are an owner's (and the installer's, on the installer screen); managers do
// not see their tab.
export const TABS = ["history", "reports", "charts", "export", "catalogue", "audit", "loyalty", "services", "shop"] as const;
export type Tab = (typeof TABS)[number];

/** The tabs a user with `role` sees, in order. */
export function tabsFor(role: Role | undefined): Tab[] {
  return TABS.filter((tab) => tab !== "shop" || role === "owner");
}

/** The tab an Alt+digit combo selects among `tabs`, or null. */
export function tabForCombo(combo: string, tabs: readonly Tab[]): Tab | null {
  const m = /^Alt\+([1-9])$/.exec(combo);
  if (!m) return null;
  return tabs[Number(m[1]) - 1] ?? null;
}

/** Each tab's label. */
export const TAB_LABELS: Record<Tab, MessageKey> = {
  history: "office.tab.history",
  reports: "office.tab.reports",
  charts: "office.tab.charts",
  export: "office.tab.export",
  catalogue: "office.tab.catalogue",
  audit: "office.tab.audit",
  loyalty: "loyalty.tab",
  services: "services.tab",
  shop: "office.tab.shop",
};
