import type { MessageKey } from "../../lib/i18n/index.svelte";

// The back office's tabs, in the order of their shortcuts (Alt+1 … Alt+7).
export const TABS = ["history", "reports", "charts", "export", "catalogue", "audit", "loyalty"] as const;
export type Tab = (typeof TABS)[number];

/** The tab an Alt+digit combo selects, or null. */
export function tabForCombo(combo: string): Tab | null {
  const m = /^Alt\+([1-9])$/.exec(combo);
  if (!m) return null;
  return TABS[Number(m[1]) - 1] ?? null;
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
};
