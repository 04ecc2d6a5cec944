// English strings of the back office's history screens (merged into en.ts).
const historyEn = {
  "history.placeholder": "history",
};

export default historyEn;
