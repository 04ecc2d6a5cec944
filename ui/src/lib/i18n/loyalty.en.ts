// The back office's points rules, the cashier's refund limit and rejected points changes.
export default {
  "loyalty.tab": "Points & refunds",

  // Settings.
  "loyalty.settingsTitle": "Points rules and refund limit",
  "loyalty.settingsHint": "Managers only. Every save is recorded in the audit log.",
  "loyalty.pointsPerUnit": "Points per 1 {currency} paid",
  "loyalty.pointsPerUnitHint": "A whole number from 0 to 1000; 0 earns no points.",
  "loyalty.redeemValue": "Value of one point when redeemed ({currency})",
  "loyalty.redeemValueHint": "An amount of money, e.g. 0.01: what one point pays at the till.",
  "loyalty.refundLimit": "Cashier refund limit ({currency})",
  "loyalty.refundLimitHint": "Refunds above this need a manager's approval (their PIN); leaving it to the seller is not enough.",
  "loyalty.thresholdOnServer":
    "The customer reputation threshold for refunds is set on the server, the same for every till.",
  "loyalty.multipliers": "Per-product multipliers",
  "loyalty.multipliersHint":
    "Percent of the normal points for one product: 100 = normal, 200 = double, 0 = none. Products not listed earn normal points.",
  "loyalty.colSku": "SKU",
  "loyalty.colPct": "Percent",
  "loyalty.colActions": "Actions",
  "loyalty.skuRow": "SKU, row {n}",
  "loyalty.pctRow": "Percent, row {n}",
  "loyalty.addRow": "Add row",
  "loyalty.removeRow": "Remove",
  "loyalty.removeRowLabel": "Remove row {n}",
  "loyalty.noMultipliers": "No multipliers: every product earns normal points.",
  "loyalty.save": "Save",
  "loyalty.reset": "Reset",
  "loyalty.resetHint": "Reset reloads the saved values and drops your changes.",
  "loyalty.saving": "Saving…",
  "loyalty.saved": "Saved",
  "loyalty.unsaved": "Unsaved changes",
  "loyalty.fixFields": "Fix the marked fields before saving.",
  "loyalty.confirmTitle": "Save points and refund settings?",
  "loyalty.confirmMessage":
    "Points per 1 {currency}: {ppu}; one point pays {value}; product multipliers: {count}; cashier refund limit {limit}. The change takes effect at once and is recorded in the audit log.",
  "loyalty.confirmSave": "Save settings",

  // Field errors.
  "loyalty.err.required": "Required",
  "loyalty.err.pointsPerUnit": "Enter a whole number of points from {min} to {max}",
  "loyalty.err.redeemValue": "Enter an amount from {min} to {max}",
  "loyalty.err.refundLimit": "Enter an amount of zero or more, like {example}",
  "loyalty.err.pct": "Enter a whole percent from {min} to {max}",
  "loyalty.err.skuRequired": "Enter the product's SKU",
  "loyalty.err.skuDuplicate": "{sku} is already listed",

  // Rejected points changes.
  "loyalty.problemsTitle": "Rejected points changes",
  "loyalty.problemsHint":
    "The points server refused these changes (for example a replayed or expired loyalty token), so they are not in the customer's balance.",
  "loyalty.refresh": "Refresh",
  "loyalty.problemsEmpty": "No rejected points changes",
  "loyalty.problemsCount": "{n} rejected",
  "loyalty.col.when": "Date and time",
  "loyalty.col.account": "Account",
  "loyalty.col.order": "Order",
  "loyalty.col.kind": "Change",
  "loyalty.col.points": "Points",
  "loyalty.col.reason": "Server's reason",
  "loyalty.kind.earn": "Earned",
  "loyalty.kind.redeem": "Redeemed",
  "loyalty.kind.reverseEarn": "Earned points taken back (refund)",
  "loyalty.kind.returnRedeem": "Redeemed points given back (refund)",
} as const;
