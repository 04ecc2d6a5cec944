// English strings of the back office's reports screens (merged into en.ts).
const reportsEn = {
  "reports.placeholder": "reports",
};

export default reportsEn;
