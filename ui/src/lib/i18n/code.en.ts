// Payment by a customer's payment code (docs/payment-codes.md).
export default {
  "code.title": "Payment code",
  "code.scan": "Customer's payment code",
  "code.hint": "Scan the code on the customer's phone (WeChat Pay, Alipay, UnionPay). It is never stored.",
  "code.pay": "Charge",
  "code.submitting": "Sending to the payment platform…",
  "code.userPaying": "The customer is confirming on the phone… {seconds} s left (Esc stops)",
  "code.paid": "Paid",
  "code.reversing": "Not confirmed: taking it back…",
  "code.wallet.wechat_pay": "WeChat Pay",
  "code.wallet.alipay": "Alipay",
  "code.wallet.unionpay": "UnionPay QuickPass",
  "code.platformRef": "Transaction no.",
  "cashier.payCode": "Payment code",
  "error.payment_code_scanned": "A payment code was scanned: it is taken as payment.",
  "error.payment_code_unconfirmed": "The customer did not confirm in time. The payment was taken back; the customer is not charged.",
  "error.payment_codes_not_set_up": "Payment codes are not set up on this till: the installer sets up the payments server.",
} as const;
