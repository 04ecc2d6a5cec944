// Ages for people: "42 s", "3 min", "5 h", "2 d" (rounded down), translated.
import { t } from "../../lib/i18n/index.svelte";

export function formatAge(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  if (s < 60) return t("sync.age.s", { n: s });
  const min = Math.floor(s / 60);
  if (min < 60) return t("sync.age.min", { n: min });
  const h = Math.floor(min / 60);
  if (h < 48) return t("sync.age.h", { n: h });
  return t("sync.age.d", { n: Math.floor(h / 24) });
}
