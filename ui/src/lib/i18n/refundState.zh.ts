// Refunds decided line by line (one decision, the same at the till and at the server).
import type en from "./refundState.en";

export default {
  // Lookup by refund number.
  "refund.mode.refund_no": "退款号",
  "refund.text.refund_no": "退款号（见退款小票）",
  "refund.placeholder.refund_no": "例如 R0000012",
  "refund.problem.refundNo": "请扫描或输入退款号，例如 R0000012",
  "refund.problem.remoteNo": "RR… 开头的是其他收银台售出设备的退款：请在后台的历史记录中查看。",
  "refund.refundNotFound": "未找到该退款号",

  // The quote, line by line.
  "refund.decisions": "逐行决定",
  "refund.decisionFor": "{name}：{decision}",
  "refund.line.now": "立即退款",
  "refund.line.shopManager": "立即退款：由经理代表本店确认",
  "refund.line.leftToSeller": "交由卖家确认：确认前不退款",
  "refund.line.awaitSeller": "代 {seller} 销售：等待该卖家确认，确认前不退款",
  "refund.line.awaitSellerUnnamed": "等待卖家确认：确认前不退款",
  "refund.line.needsApproval": "需要审批：经理 PIN，或交由卖家确认",
  "refund.line.needsManager": "超过收银员限额：需经理 PIN，或交由卖家确认",
  "refund.policy.sellerLines": "代其他卖家销售的商品需等待该卖家确认",
  "refund.offline":
    "离线：无法询问服务器，由本收银台自行决定（信誉未知按 0 计）。如果服务器之后的决定不同，经理可在同步页面看到。",
  "refund.confirmMessage.split":
    "记录 {amount} 的退款？已批准的商品立即退款；等待卖家确认的商品在卖家确认前不退款。此操作无法撤销。",
  "refund.confirmActionSplit": "记录退款",

  // Each line of a recorded refund.
  "refund.state.paid": "已退款",
  "refund.state.paidManager": "已退款：本店经理批准",
  "refund.state.paidSeller": "已退款：卖家已确认",
  "refund.state.toPayOut": "卖家已确认：待付款",
  "refund.state.awaiting": "等待卖家（{seller}）确认：暂未退款",
  "refund.state.awaitingUnnamed": "等待卖家确认：暂未退款",
  "refund.state.refused": "已拒绝：未退款",
  "refund.state.serverWaits": "服务器在等待卖家确认",
  "refund.state.serverRefused": "服务器已拒绝",

  // The money of a recorded refund.
  "refund.sums": "金额",
  "refund.sum.paid": "现已退款",
  "refund.sum.awaiting": "等待卖家确认",
  "refund.sum.nothingPaid": "暂未退款",
  "refund.sum.toPayOut": "待付款",
  "refund.sum.refused": "已拒绝",
  "refund.decidedOffline": "离线决定：本收银台未询问服务器",
  "refund.receipt.decidedOffline": "离线决定",
  "refund.opened": "退款 {no}",
  "refund.done.partlyPending": "部分等待卖家确认：只退还现已退款的部分。",
  "refund.done.toPayOut": "卖家已确认：请付款 {amount}（Alt+U）。",

  // Pay out.
  "refund.payOut": "付款 {amount}",
  "refund.payingOut": "正在付款…",
  "refund.payOut.title": "退款付款",
  "refund.payOut.message": "为退款 {no} 从钱箱取出现金 {amount} 交给顾客？将打印付款单并打开钱箱。此操作无法撤销。",
  "refund.payOut.confirm": "付款 {amount}",
  "refund.payOut.done": "已付款 {amount}",
  "refund.help.payOut": "付款",

  // Refunds to pay out (the screen's start).
  "refund.toPayOut.title": "待付款（{n}）",
  "refund.toPayOut.hint": "卖家已确认这些退款：打开后付款。",
  "refund.toPayOut.open": "打开销售 {order} 的退款 {no}：待付款 {amount}",
  "refund.toPayOut.action": "打开付款 ›",
  "refund.toPayOut.failed": "无法加载待付款的退款。",

  // A device sold at another till.
  "refund.remote.refundNo": "退款号",

  // The manager's Sync screen: refunds paid here that the server did not confirm.
  "refundDisagreements.title": "服务器未确认的退款",
  "refundDisagreements.hint":
    "本收银台已从钱箱付出现金、但服务器未退款的商品行：收银台离线自行决定，或服务器之后作出了不同决定。钱已付出：请联系顾客或卖家，或记录损失。",
  "refundDisagreements.none": "本收银台的所有退款均已由服务器确认。",
  "refundDisagreements.total": "涉及金额：{amount}，共 {n} 行",
  "refundDisagreements.colRefund": "退款号",
  "refundDisagreements.colSale": "销售",
  "refundDisagreements.colProduct": "商品",
  "refundDisagreements.colAmount": "涉及金额",
  "refundDisagreements.colTill": "收银台的决定",
  "refundDisagreements.colServer": "服务器的答复",
  "refundDisagreements.decision.policy": "符合政策",
  "refundDisagreements.decision.shopManager": "本店经理批准",
  "refundDisagreements.offline": "{how}（离线决定）",
  "refundDisagreements.server.waits": "等待卖家确认",
  "refundDisagreements.server.refused": "已拒绝",
  "refundDisagreements.server.refusedBecause": "已拒绝：{why}",
  "refundDisagreements.reason.not_found": "服务器不知道这笔销售",
  "refundDisagreements.reason.refund_exceeds_paid": "超过服务器记录的该销售金额",
  "refundDisagreements.reason.card_sale_not_authorised": "该销售的银行卡付款从未获批准",
  "refundDisagreements.reason.refund_exists": "服务器已有此退款",
  "refundDisagreements.reason.currency_mismatch": "币种与销售不同",
  "refundDisagreements.reason.authorization_mismatch": "银行卡授权与销售不符",
} as const satisfies Record<keyof typeof en, string>;
