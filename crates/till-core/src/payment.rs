//! Payments: how an order was paid.

use crate::{CardBrand, CoreError, MaskedPan, Money, PaymentId, Wallet};

/// The kind of tender.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tender {
    /// Notes and coins.
    Cash,
    /// A payment card.
    Card,
    /// A customer's payment code (a wallet app's barcode or QR code).
    PaymentCode,
}

impl Tender {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Tender::Cash => "cash",
            Tender::Card => "card",
            Tender::PaymentCode => "payment_code",
        }
    }
}

/// Cash handed over and the change given back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CashPayment {
    /// What the customer handed over.
    pub tendered: Money,
    /// What goes back: `tendered - due`.
    pub change: Money,
}

impl CashPayment {
    /// Takes `tendered` against `due`; refuses a negative or short tender.
    pub fn take(due: Money, tendered: Money) -> Result<Self, CoreError> {
        if tendered.minor() < 0 {
            return Err(CoreError::NegativeAmount);
        }
        let change = tendered.checked_sub(due)?;
        if change.minor() < 0 {
            return Err(CoreError::InsufficientTender { due: due.to_string(), tendered: tendered.to_string() });
        }
        Ok(CashPayment { tendered, change })
    }
}

/// An approved card payment, holding only what may be stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CardPayment {
    /// First six and last four digits.
    pub masked_pan: MaskedPan,
    /// Keyed hash of the full PAN (HMAC-SHA256 under the till's own key), hex.
    pub pan_hash: String,
    /// Scheme.
    pub brand: CardBrand,
    /// Approval code from whoever authorised it.
    pub auth_code: String,
    /// The payment id it was authorised under at the payment platform (online, or forwarded
    /// after an offline approval); the server finds the authorisation of a card refund by it.
    /// `None` for a payment no platform saw (generated or imported history).
    pub payment_id: Option<PaymentId>,
    /// The reader's device address, e.g. `sim://card-reader`.
    pub reader: String,
    /// How the card was entered: `magstripe` (a reader the till drives) or `magstripe-wedge`
    /// (a keyboard-wedge reader typing into the cashier's input).
    pub entry_mode: String,
    /// How the cardholder was verified: `pin`, `signature`, `pin-and-signature` or `none`.
    pub cvm: String,
    /// The signature drawn on screen, as validated SVG of path elements.
    pub signature_svg: Option<String>,
}

/// A payment by a customer's payment code, approved by the payment platform.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CodePayment {
    /// The wallet that paid.
    pub wallet: Wallet,
    /// The code, first four and last four digits only.
    pub masked_code: String,
    /// The platform's reference of the payment (its transaction number).
    pub platform_ref: String,
    /// The payment id it was submitted under; a refund goes back to the same wallet by it.
    pub payment_id: PaymentId,
}

/// One payment of an order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Payment {
    /// Paid in cash.
    Cash(CashPayment),
    /// Paid by card.
    Card(CardPayment),
    /// Paid by a customer's payment code.
    Code(CodePayment),
}

impl Payment {
    /// The tender kind.
    pub fn tender(&self) -> Tender {
        match self {
            Payment::Cash(_) => Tender::Cash,
            Payment::Card(_) => Tender::Card,
            Payment::Code(_) => Tender::PaymentCode,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Currency;

    #[test]
    fn change_is_tendered_minus_due() {
        let c = Currency::parse("CNY").unwrap();
        let p = CashPayment::take(Money::new(4250, c), Money::new(5000, c)).unwrap();
        assert_eq!(p.change, Money::new(750, c));
        assert!(matches!(
            CashPayment::take(Money::new(4250, c), Money::new(4249, c)),
            Err(CoreError::InsufficientTender { .. })
        ));
        assert_eq!(CashPayment::take(Money::new(1, c), Money::new(-5, c)), Err(CoreError::NegativeAmount));
        assert_eq!(CashPayment::take(Money::new(-1, c), Money::new(i64::MAX, c)), Err(CoreError::Overflow));
    }
}
