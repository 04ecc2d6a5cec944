// Simplified Chinese strings of the back office's history screens (merged into zh.ts).
import historyEn from "./history.en";

const historyZh: Record<keyof typeof historyEn, string> = {
  "history.placeholder": "history",
};

export default historyZh;
