// Words for a round that has no answer, chosen by its code (the platform's or the till's).
import type { ServiceRoundView } from "../../lib/bindings";
import { t, type MessageKey } from "../../lib/i18n/index.svelte";

const KNOWN = new Set([
  "provider_unavailable",
  "provider_signature_invalid",
  "provider_refused",
  "provider_answer_invalid",
  "server_unreachable",
  "sync_not_configured",
]);

/** Why a failed round has no answer, in the window's language, with the details when known. */
export function failureText(round: ServiceRoundView): string {
  const code = round.errorCode ?? "";
  if (KNOWN.has(code)) return t(`services.error.${code}` as MessageKey);
  return t("services.failed", { reason: round.errorMessage ?? code });
}
