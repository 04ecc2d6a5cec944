// Simplified Chinese strings of the back office's reports screens (merged into zh.ts).
import reportsEn from "./reports.en";

const reportsZh: Record<keyof typeof reportsEn, string> = {
  "reports.placeholder": "reports",
};

export default reportsZh;
