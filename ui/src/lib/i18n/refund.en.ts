// Refunds, serialised goods and loyalty points.
export default {
  "refund.title": "Refund",
} as const;
