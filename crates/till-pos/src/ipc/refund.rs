//! Refund lookups, quotes, inputs and receipts as the window sees them.

use serde::{Deserialize, Serialize};
use till_core::Money;
use ts_rs::TS;

/// How the cashier looks a sale up.
#[derive(Debug, Clone, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct RefundLookup {
    /// `line_code`, `device` or `receipt`.
    pub by: String,
    /// The line code, device identifier or receipt number, as scanned or typed.
    pub text: String,
    /// The day on the receipt, `YYYY-MM-DD` (receipt lookups).
    pub date: Option<String>,
    /// The total on the receipt, minor units (receipt lookups).
    #[ts(type = "number | null")]
    pub amount_minor: Option<i64>,
    /// The till's offset from UTC on that day, minutes (UTC+8: 480), so the day is the local
    /// one printed on the receipt; none means UTC.
    #[ts(type = "number | null")]
    pub utc_offset_minutes: Option<i32>,
}

/// A line of a sale being refunded.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct RefundSaleLine {
    /// Order line id.
    #[ts(type = "number")]
    pub order_line_id: i64,
    /// Position on the receipt.
    #[ts(type = "number")]
    pub line_no: i64,
    /// Line code, grouped as printed.
    pub line_code: String,
    /// SKU.
    pub sku: String,
    /// Name.
    pub name: String,
    /// Chinese name.
    pub name_zh: Option<String>,
    /// Units sold.
    #[ts(type = "number")]
    pub quantity: i64,
    /// Units that may still be refunded.
    #[ts(type = "number")]
    pub refundable: i64,
    /// What the line was paid.
    pub line_total: Money,
    /// The device sold on it.
    pub device: Option<String>,
    /// The lookup found the sale by this line.
    pub matched: bool,
}

/// A sale sold at another till, found on the server by its device.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct RemoteSaleView {
    /// The device.
    pub identifier: String,
    /// Its kind.
    pub kind: String,
    /// Its price.
    pub price: Money,
    /// Who paid (masked card or tender).
    pub paying_account: String,
    /// Order at the other till.
    pub order_id: String,
    /// Store.
    pub store: String,
    /// Refunded already.
    pub refunded: bool,
}

/// A sale as the refund screen shows it.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct RefundOrderView {
    /// Order id (0 for a sale at another till).
    #[ts(type = "number")]
    pub order_id: i64,
    /// Receipt number.
    pub order_no: String,
    /// When sold.
    #[ts(type = "number")]
    pub created_at_ms: i64,
    /// Total paid.
    pub total: Money,
    /// Refunded so far.
    pub refunded: Money,
    /// `cash`, `card` or `points`.
    pub tender: String,
    /// Masked card of a card sale.
    pub card_masked: Option<String>,
    /// The loyalty customer of the sale, shortened.
    pub customer_short: Option<String>,
    /// Lines.
    pub lines: Vec<RefundSaleLine>,
    /// Set when the sale was made at another till (found on the server).
    pub remote: Option<RemoteSaleView>,
}

/// One line to refund.
#[derive(Debug, Clone, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct RefundLineInput {
    /// Order line id.
    #[ts(type = "number")]
    pub order_line_id: i64,
    /// Units.
    #[ts(type = "number")]
    pub quantity: i64,
}

/// A refund as the cashier asks for it.
#[derive(Debug, Clone, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct RefundInput {
    /// The order.
    #[ts(type = "number")]
    pub order_id: i64,
    /// Lines and units.
    pub lines: Vec<RefundLineInput>,
    /// One of [`REASONS`].
    pub reason: String,
    /// Photo of the defect, base64 (kept locally; its SHA-256 goes to the server).
    pub photo_base64: Option<String>,
    /// The approving manager (outside policy).
    #[ts(type = "number | null")]
    pub manager_id: Option<i64>,
    /// Their PIN.
    pub manager_pin: Option<String>,
    /// Leave the decision to the seller instead of a manager.
    pub wait_for_seller: bool,
}

/// The refund of a device sold at another till, as the cashier asks for it.
#[derive(Debug, Clone, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct RemoteRefundInput {
    /// The device's identifier.
    pub identifier: String,
    /// One of [`REASONS`].
    pub reason: String,
    /// Photo of the defect, base64.
    pub photo_base64: Option<String>,
    /// The approving manager.
    #[ts(type = "number | null")]
    pub manager_id: Option<i64>,
    /// Their PIN.
    pub manager_pin: Option<String>,
    /// Leave the decision to the seller.
    pub wait_for_seller: bool,
}

/// The refund of a device sold at another till, as asked of the server.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct RemoteRefundView {
    /// The device.
    pub identifier: String,
    /// Its price, paid back.
    pub amount: Money,
    /// Where it goes: the card or account that paid.
    pub paying_account: String,
    /// `policy`, `manager` or `seller`.
    pub approval: String,
    /// The approving manager.
    pub approved_by: Option<String>,
    /// This till's record of it (`RR000001`).
    pub refund_no: String,
    /// The server's id of the refund.
    pub server_refund_id: String,
    /// `refunded`, `pending_seller_confirmation`, `rejected` (by the seller, or refused by the
    /// server: then `server_refusal`), or `queued` (not answered yet).
    pub status: String,
    /// The code the server refused the refund with, e.g. `card_sale_not_authorised`.
    pub server_refusal: Option<String>,
}

/// How one line of a refund would be decided (`till_core::refund::decide`).
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct RefundLineDecisionView {
    /// The order line.
    #[ts(type = "number")]
    pub order_line_id: i64,
    /// `policy` (paid back at once), `needs_approval` (a line the shop sold, for a customer
    /// below the threshold: a manager's PIN confirms it for the shop, or it waits for the
    /// seller), or `await_seller` (sold for another seller: nothing is paid until that seller
    /// confirms, whatever the manager says).
    pub decision: String,
    /// The seller it was sold for (None: the shop).
    pub seller: Option<String>,
}

/// A refund line at the till after its decision.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct RefundLineState {
    /// `approved`, `awaiting_seller` or `refused`.
    pub status: String,
    /// `policy`, `shop_manager`, `await_seller`, or `seller` (confirmed by the seller later).
    pub decision: Option<String>,
    /// The server's last word: `refunded`, `pending_seller_confirmation`, `rejected`.
    pub server_status: Option<String>,
    /// Its money went back (for cash: it left the drawer).
    pub paid: bool,
    /// The seller it was sold for (None: the shop).
    pub seller: Option<String>,
}

/// A refund whose cash the seller confirmed and that is still to be paid out.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct RefundToPayOutView {
    /// Refund id.
    #[ts(type = "number")]
    pub refund_id: i64,
    /// Printed refund number.
    pub refund_no: String,
    /// The sale's receipt number.
    pub order_no: String,
    /// To pay out now.
    pub amount: Money,
    /// When the refund was recorded.
    #[ts(type = "number")]
    pub created_at_ms: i64,
}

/// A refund line paid out of this drawer while the server did not refund it.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct RefundDisagreementView {
    /// Refund id.
    #[ts(type = "number")]
    pub refund_id: i64,
    /// Printed refund number.
    pub refund_no: String,
    /// The sale's receipt number.
    pub order_no: String,
    /// The product.
    pub name: String,
    /// The amount at stake.
    pub amount: Money,
    /// How the till decided it: `policy` or `shop_manager`.
    pub decision: String,
    /// The till decided without the server.
    pub decided_offline: bool,
    /// The server's word: `pending_seller_confirmation` or `rejected`.
    pub server_status: String,
    /// Why the server refused it (its code), when it did.
    pub reason: Option<String>,
}

/// A refund of a device sold at another till, as recorded here.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct RemoteRefundRecordView {
    /// Printed number (`RR000001`).
    pub refund_no: String,
    /// The device.
    pub identifier: String,
    /// When it was asked for.
    #[ts(type = "number")]
    pub created_at_ms: i64,
    /// Who asked.
    pub cashier: String,
    /// `policy`, `manager` or `seller`.
    pub approval: String,
    /// The approving manager.
    pub approved_by: Option<String>,
    /// Its price.
    pub amount: Money,
    /// Where the server pays it back.
    pub paying_account: String,
    /// `pending` (not answered yet), `awaiting_seller`, `confirmed` or `refused`.
    pub status: String,
    /// Why the server refused it.
    pub refused_reason: Option<String>,
}

/// What a refund would pay back and whether it is within policy.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct RefundQuoteView {
    /// Amount paid back.
    pub amount: Money,
    /// Tax in it.
    pub tax: Money,
    /// Where it goes: `cash`, `card` or `points`.
    pub tender: String,
    /// Of the amount, the value given back as points.
    pub points_value: Money,
    /// Points taken back from what the sale earned.
    #[ts(type = "number")]
    pub points_reversed: i64,
    /// Points given back from what the sale redeemed.
    #[ts(type = "number")]
    pub points_returned: i64,
    /// Approved at once.
    pub within_policy: bool,
    /// Above the cashier's limit.
    pub over_limit: bool,
    /// The customer's reputation is unknown or below the threshold.
    pub low_reputation: bool,
    /// The customer's reputation, when the server told.
    #[ts(type = "number | null")]
    pub reputation: Option<i64>,
    /// The cashier's limit.
    pub limit: Money,
    /// The reputation threshold.
    #[ts(type = "number")]
    pub threshold: i64,
    /// How each line would be decided, in the order asked.
    pub lines: Vec<RefundLineDecisionView>,
    /// The server could not be asked: the till decides with what it knows (an unknown
    /// reputation counts as 0), and the server's later word may disagree.
    pub offline: bool,
}

/// A refund receipt.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct RefundReceipt {
    /// Refund id (0 for a sale at another till).
    #[ts(type = "number")]
    pub refund_id: i64,
    /// Printed refund number.
    pub refund_no: String,
    /// The sale's receipt number.
    pub order_no: String,
    /// When.
    #[ts(type = "number")]
    pub created_at_ms: i64,
    /// Amount paid back.
    pub amount: Money,
    /// Tax in it.
    pub tax: Money,
    /// `cash`, `card`, `points` or `original` (a sale at another till).
    pub tender: String,
    /// The card it goes back to.
    pub card_masked: Option<String>,
    /// Reason code.
    pub reason: String,
    /// `policy`, `manager` or `seller`.
    pub approval: String,
    /// The approving manager.
    pub approved_by: Option<String>,
    /// `pending`, `confirmed` or `refused`.
    pub status: String,
    /// Lines: name, units, amount.
    pub lines: Vec<RefundReceiptLine>,
    /// Points taken back.
    #[ts(type = "number")]
    pub points_reversed: i64,
    /// Points given back.
    #[ts(type = "number")]
    pub points_returned: i64,
    /// SHA-256 of the photo.
    pub evidence_sha256: Option<String>,
    /// The till decided without the server.
    pub decided_offline: bool,
    /// Cash the seller confirmed that is still to be paid out (zero when none).
    pub to_pay_out: Money,
    /// Of the amount, what waits for the seller (nothing of it was paid).
    pub awaiting_seller: Money,
    /// When the server refused a line of the refund (status `refused`, not the seller): its
    /// code, e.g. `card_sale_not_authorised` (the sale's card payment has no approved
    /// authorisation on the server).
    pub server_refusal: Option<String>,
}

/// A line of a refund receipt.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct RefundReceiptLine {
    /// Name.
    pub name: String,
    /// Chinese name.
    pub name_zh: Option<String>,
    /// Units.
    #[ts(type = "number")]
    pub quantity: i64,
    /// Amount.
    pub amount: Money,
    /// The device.
    pub device: Option<String>,
    /// Its decision and state.
    pub state: RefundLineState,
}
