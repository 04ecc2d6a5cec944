// The customer display's words. Customers read English or Chinese, and the display is not
// theirs to switch, so every text is shown in both, side by side (no locale here).
export interface Both {
  en: string;
  zh: string;
}

export const words = {
  welcome: { en: "Welcome", zh: "欢迎光临" },
  lines: { en: "Your items", zh: "您的商品" },
  items: { en: "Items", zh: "件数" },
  total: { en: "Total", zh: "合计" },
  points: { en: "Paid with points", zh: "积分抵扣" },
  toPay: { en: "To pay", zh: "应付金额" },
  card: { en: "Please insert or swipe your card", zh: "请插卡或刷卡" },
  pin: { en: "Please enter your PIN", zh: "请输入密码" },
  pinHint: { en: "Cover the keypad with your hand", zh: "输入时请用手遮挡键盘" },
  enrol: { en: "Scan with your phone to join our points", zh: "请用手机扫码加入积分会员" },
  enrolQr: { en: "Enrolment QR code", zh: "会员注册二维码" },
  thanks: { en: "Thank you", zh: "谢谢惠顾" },
  paid: { en: "Paid", zh: "已付" },
  cash: { en: "Cash", zh: "收现" },
  change: { en: "Change", zh: "找零" },
  latest: { en: "just scanned", zh: "刚扫描" },
} satisfies Record<string, Both>;
