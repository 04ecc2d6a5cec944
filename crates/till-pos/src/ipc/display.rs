//! What the customer sees: the customer display's view, pushed to the second window and the
//! pole display whenever the sale moves on. It carries nothing of a card but the amount, and
//! nothing the customer is not shown anyway.

use serde::Serialize;
use till_core::Money;
use ts_rs::TS;

/// Where the sale stands, as the customer is told.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum CustomerPhase {
    /// Nobody is being served: the shop's welcome.
    Idle,
    /// Lines are being scanned: the lines, the total and what is left to pay.
    Scanning,
    /// The card reader waits for the card, or the payment is being authorised: the amount.
    ToPay,
    /// The card asks for its PIN: "Please enter your PIN".
    EnterPin,
    /// A new points account: the enrolment QR code for the customer's phone.
    Enrol,
    /// The sale is recorded: thank you, and the change given.
    ThankYou,
}

/// One line as scanned.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct CustomerLine {
    /// The cart's line number.
    pub line_no: u32,
    /// English name.
    pub name: String,
    /// Chinese name (the English one when the product has none).
    pub name_zh: String,
    /// Units.
    #[ts(type = "number")]
    pub quantity: i64,
    /// Line amount incl. tax.
    pub line_total: Money,
}

/// The customer display's whole view: the window and the pole display render it as it is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct CustomerDisplayView {
    /// Where the sale stands.
    pub phase: CustomerPhase,
    /// The shop's name (the welcome).
    pub shop_name: String,
    /// ISO 4217 code of the till's currency.
    pub currency: String,
    /// The lines as scanned, in the cart's order.
    pub lines: Vec<CustomerLine>,
    /// The line scanned or changed last (highlighted), if it is still there.
    pub latest_line_no: Option<u32>,
    /// Units in the cart.
    #[ts(type = "number")]
    pub item_count: i64,
    /// The cart's total.
    pub total: Money,
    /// What the customer pays: the total less points redeemed; in `to_pay` and `enter_pin` the
    /// amount the card reader was armed with.
    pub amount_to_pay: Money,
    /// Points redeemed as a tender, their money value.
    pub points_paid: Option<Money>,
    /// The enrolment message the QR code carries (phase `enrol` only).
    pub enrolment: Option<String>,
    /// Cash handed over (phase `thank_you`, cash sales).
    pub tendered: Option<Money>,
    /// Change given (phase `thank_you`, cash sales).
    pub change: Option<Money>,
}

impl CustomerDisplayView {
    /// The welcome: nothing in the cart.
    pub fn idle(shop_name: &str, currency: till_core::Currency) -> Self {
        CustomerDisplayView {
            phase: CustomerPhase::Idle,
            shop_name: shop_name.to_string(),
            currency: currency.code().to_string(),
            lines: Vec::new(),
            latest_line_no: None,
            item_count: 0,
            total: Money::zero(currency),
            amount_to_pay: Money::zero(currency),
            points_paid: None,
            enrolment: None,
            tendered: None,
            change: None,
        }
    }
}
