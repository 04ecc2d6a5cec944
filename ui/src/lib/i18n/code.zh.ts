// 付款码支付（docs/payment-codes.md）。
export default {
  "code.title": "付款码",
  "code.scan": "顾客付款码",
  "code.hint": "扫描顾客手机上的付款码（微信支付、支付宝、云闪付）。付款码不会被保存。",
  "code.pay": "收款",
  "code.submitting": "正在发送到支付平台…",
  "code.userPaying": "顾客正在手机上确认… 剩余 {seconds} 秒（Esc 停止）",
  "code.paid": "已支付",
  "code.reversing": "未确认：正在撤销…",
  "code.wallet.wechat_pay": "微信支付",
  "code.wallet.alipay": "支付宝",
  "code.wallet.unionpay": "云闪付",
  "code.platformRef": "交易单号",
  "cashier.payCode": "付款码",
  "error.payment_code_scanned": "扫到的是付款码：将作为付款处理。",
  "error.payment_code_unconfirmed": "顾客未及时确认。款项已撤销，顾客未被扣款。",
  "error.payment_codes_not_set_up": "本收银机未设置付款码：请安装人员设置支付服务器。",
} as const;
