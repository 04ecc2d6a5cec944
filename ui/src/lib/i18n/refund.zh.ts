// Refunds, serialised goods and loyalty points.
export default {
  "refund.title": "退款",
} as const;
