//! Orders as they are about to be recorded: a paid cart, with a line code per line.

use crate::{Cart, CoreError, Currency, DeviceIdentifier, LineCode, LineOrigin, Money, Payment, ProductId};
use rand::RngCore;

/// A line of an order about to be recorded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewOrderLine {
    /// Its own code, printed on the receipt.
    pub line_code: LineCode,
    /// The product sold.
    pub product_id: ProductId,
    /// SKU at the time of sale.
    pub sku: String,
    /// Name at the time of sale.
    pub name: String,
    /// Chinese name at the time of sale.
    pub name_zh: Option<String>,
    /// Units.
    pub quantity: i64,
    /// Unit price as it was charged.
    pub unit_price: Money,
    /// Tax rate in basis points.
    pub tax_rate_bp: u16,
    /// Whether the unit price included tax.
    pub tax_inclusive: bool,
    /// Line amount before tax.
    pub net: Money,
    /// Tax on the line.
    pub tax: Money,
    /// Line amount including tax.
    pub gross: Money,
    /// The device sold on the line (serialised products).
    pub device: Option<DeviceIdentifier>,
    /// Where the line came from when not the catalogue (an order collected, a service paid).
    pub origin: Option<LineOrigin>,
}

/// A paid order, ready to be written in one transaction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewOrder {
    /// Idempotency key of the checkout (the cart's id): a second checkout of the same cart
    /// finds the first order instead of writing another.
    pub checkout_key: String,
    /// Currency of every amount.
    pub currency: Currency,
    /// Who rang it up.
    pub cashier_id: i64,
    /// When it was paid, ms since the Unix epoch.
    pub created_at_ms: i64,
    /// Lines.
    pub lines: Vec<NewOrderLine>,
    /// Sum of net amounts.
    pub subtotal: Money,
    /// Sum of taxes.
    pub tax: Money,
    /// Sum of gross amounts.
    pub total: Money,
    /// How it was paid.
    pub payment: Payment,
}

impl NewOrder {
    /// Turns a non-empty `cart` paid by `payment` into an order; each line draws a line code
    /// from `rng`.
    pub fn from_cart(
        cart: &Cart,
        payment: Payment,
        checkout_key: String,
        cashier_id: i64,
        created_at_ms: i64,
        rng: &mut dyn RngCore,
    ) -> Result<Self, CoreError> {
        if cart.is_empty() {
            return Err(CoreError::EmptyCart);
        }
        if let Some(line_no) = cart.line_missing_device() {
            return Err(CoreError::MissingDeviceIdentifier(line_no));
        }
        let totals = cart.totals()?;
        let lines = cart
            .lines()
            .iter()
            .zip(&totals.lines)
            .map(|(l, s)| NewOrderLine {
                line_code: LineCode::generate(rng),
                product_id: l.product.id,
                sku: l.product.sku.as_str().to_string(),
                name: l.product.name.clone(),
                name_zh: l.product.name_zh.clone(),
                quantity: l.quantity,
                unit_price: l.product.price,
                tax_rate_bp: l.product.tax_rate.basis_points(),
                tax_inclusive: l.product.tax_inclusive,
                net: s.net,
                tax: s.tax,
                gross: s.gross,
                device: l.device.clone(),
                origin: l.origin.clone(),
            })
            .collect();
        Ok(NewOrder {
            checkout_key,
            currency: cart.currency(),
            cashier_id,
            created_at_ms,
            lines,
            subtotal: totals.subtotal,
            tax: totals.tax,
            total: totals.total,
            payment,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cart::tests::{cny, product};
    use crate::CashPayment;
    use rand::rngs::StdRng;
    use rand::SeedableRng;

    #[test]
    fn every_line_gets_its_own_code() {
        let mut cart = Cart::new(cny());
        for i in 0..5 {
            cart.add(&product(i, 100 + i, 1300, true), 1).unwrap();
        }
        let total = cart.totals().unwrap().total;
        let pay = Payment::Cash(CashPayment::take(total, total).unwrap());
        let mut rng = StdRng::seed_from_u64(1);
        let o = NewOrder::from_cart(&cart, pay, "k".into(), 1, 0, &mut rng).unwrap();
        let mut codes: Vec<_> = o.lines.iter().map(|l| l.line_code.clone()).collect();
        codes.sort();
        codes.dedup();
        assert_eq!(codes.len(), 5);
        assert_eq!(o.total, total);
    }

    #[test]
    fn an_empty_cart_cannot_become_an_order() {
        let cart = Cart::new(cny());
        let pay = Payment::Cash(CashPayment::take(Money::zero(cny()), Money::zero(cny())).unwrap());
        let mut rng = StdRng::seed_from_u64(1);
        assert_eq!(NewOrder::from_cart(&cart, pay, "k".into(), 1, 0, &mut rng), Err(CoreError::EmptyCart));
    }
}
