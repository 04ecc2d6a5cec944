// Refunds decided line by line (one decision, the same at the till and at the server): the
// decision of each line in the quote, each line's state on the refund, the money by state, the
// pay-out of refunds the seller confirmed, and finding a refund by its number.
export default {
  // Lookup by refund number.
  "refund.mode.refund_no": "Refund no.",
  "refund.text.refund_no": "Refund number (on the refund receipt)",
  "refund.placeholder.refund_no": "e.g. R0000012",
  "refund.problem.refundNo": "Type or scan the refund number, e.g. R0000012",
  "refund.problem.remoteNo":
    "RR… numbers are refunds of devices sold at other tills: the back office's History lists them.",
  "refund.refundNotFound": "No refund with that number",

  // The quote, line by line.
  "refund.decisions": "Each line",
  "refund.decisionFor": "{name}: {decision}",
  "refund.line.now": "Paid back now",
  "refund.line.shopManager": "Paid back now: the manager confirms it for the shop",
  "refund.line.leftToSeller": "Left to the seller: nothing paid until they confirm",
  "refund.line.awaitSeller": "Sold for {seller}: waits for that seller, nothing paid until they confirm",
  "refund.line.awaitSellerUnnamed": "Waits for the seller: nothing paid until they confirm",
  "refund.line.needsApproval": "Needs approval: a manager's PIN, or leave it to the seller",
  "refund.line.needsManager": "Above the cashier's limit: a manager's PIN, or leave it to the seller",
  "refund.policy.sellerLines": "A line sold for another seller waits for that seller",
  "refund.offline":
    "Offline: the server cannot be asked, so this till decides by itself (an unknown reputation counts as 0). If the server decides otherwise later, a manager sees it on the Sync screen.",
  "refund.confirmMessage.split":
    "Record the refund of {amount}? The lines approved are paid back now; the lines waiting for the seller pay nothing until the seller confirms. This cannot be undone.",
  "refund.confirmActionSplit": "Record the refund",

  // Each line of a recorded refund.
  "refund.state.paid": "Paid back",
  "refund.state.paidManager": "Paid back: approved by the shop's manager",
  "refund.state.paidSeller": "Paid back: confirmed by the seller",
  "refund.state.toPayOut": "Confirmed by the seller: to pay out",
  "refund.state.awaiting": "Waiting for the seller ({seller}): nothing paid yet",
  "refund.state.awaitingUnnamed": "Waiting for the seller: nothing paid yet",
  "refund.state.refused": "Refused: nothing paid",
  "refund.state.serverWaits": "The server waits for the seller",
  "refund.state.serverRefused": "The server refused it",

  // The money of a recorded refund.
  "refund.sums": "Money",
  "refund.sum.paid": "Paid back now",
  "refund.sum.awaiting": "Waiting for the seller",
  "refund.sum.nothingPaid": "nothing paid yet",
  "refund.sum.toPayOut": "To pay out",
  "refund.sum.refused": "Refused",
  "refund.decidedOffline": "Decided offline: the till decided without the server",
  "refund.receipt.decidedOffline": "Decided offline",
  "refund.opened": "Refund {no}",
  "refund.done.partlyPending": "Part of it waits for the seller: hand over only what is paid back now.",
  "refund.done.toPayOut": "The seller confirmed: pay out {amount} (Alt+U).",

  // Pay out.
  "refund.payOut": "Pay out {amount}",
  "refund.payingOut": "Paying out…",
  "refund.payOut.title": "Pay out the refund",
  "refund.payOut.message":
    "Take {amount} in cash out of the drawer for refund {no} and give it to the customer? Its slip prints and the drawer opens. This cannot be undone.",
  "refund.payOut.confirm": "Pay out {amount}",
  "refund.payOut.done": "Paid out {amount}",
  "refund.help.payOut": "pay out",

  // Refunds to pay out (the screen's start).
  "refund.toPayOut.title": "To pay out ({n})",
  "refund.toPayOut.hint": "The seller confirmed these refunds: open one and pay it out.",
  "refund.toPayOut.open": "Open refund {no} of sale {order}: {amount} to pay out",
  "refund.toPayOut.action": "Open to pay out ›",
  "refund.toPayOut.failed": "The refunds to pay out could not be loaded.",

  // A device sold at another till.
  "refund.remote.refundNo": "Refund no.",

  // The manager's Sync screen: refunds paid here that the server did not confirm.
  "refundDisagreements.title": "Refunds the server did not confirm",
  "refundDisagreements.hint":
    "Refund lines whose cash this till paid out of the drawer while the server did not refund them: the till decided offline, or the server decided otherwise later. The money is gone: contact the customer or the seller, or record the loss.",
  "refundDisagreements.none": "Every refund paid here is confirmed by the server.",
  "refundDisagreements.total": "At stake: {amount} on {n} line(s)",
  "refundDisagreements.colRefund": "Refund no.",
  "refundDisagreements.colSale": "Sale",
  "refundDisagreements.colProduct": "Product",
  "refundDisagreements.colAmount": "Amount at stake",
  "refundDisagreements.colTill": "How the till decided",
  "refundDisagreements.colServer": "The server's word",
  "refundDisagreements.decision.policy": "Within policy",
  "refundDisagreements.decision.shopManager": "The shop's manager approved",
  "refundDisagreements.offline": "{how}, decided offline",
  "refundDisagreements.server.waits": "Waits for the seller",
  "refundDisagreements.server.refused": "Refused",
  "refundDisagreements.server.refusedBecause": "Refused: {why}",
  "refundDisagreements.reason.not_found": "the server does not know the sale",
  "refundDisagreements.reason.refund_exceeds_paid": "more than the server holds for the sale",
  "refundDisagreements.reason.card_sale_not_authorised": "the sale's card payment was never approved",
  "refundDisagreements.reason.refund_exists": "the server has this refund already",
  "refundDisagreements.reason.currency_mismatch": "another currency than the sale's",
  "refundDisagreements.reason.authorization_mismatch": "the card authorisation does not match the sale",
} as const;
