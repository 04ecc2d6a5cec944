//! The cart: what the customer is buying, before it is paid.

use crate::tax::{self, TaxSplit};
use crate::{CoreError, Currency, DeviceIdentifier, LineOrigin, Money, Product, TaxRate};
use std::collections::BTreeMap;

/// The most units one line may hold; anything larger is a mis-scan or a typo.
pub const MAX_LINE_QUANTITY: i64 = 9_999;

/// One line of the cart.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CartLine {
    /// Number of the line within the cart, stable while the cart lives.
    pub line_no: u32,
    /// The product, as it was when added.
    pub product: Product,
    /// Units, 1..=MAX_LINE_QUANTITY.
    pub quantity: i64,
    /// The device sold on a serialised product's line (its IMEI or serial number).
    pub device: Option<DeviceIdentifier>,
    /// Where the line came from when not the catalogue at its price (an order to collect, a
    /// service); its `product.price` is then the origin's price.
    pub origin: Option<LineOrigin>,
}

/// A cart's amounts, each line's split and the sums.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CartTotals {
    /// Per line, in cart order.
    pub lines: Vec<TaxSplit>,
    /// Sum of the lines' net amounts.
    pub subtotal: Money,
    /// Sum of the lines' taxes.
    pub tax: Money,
    /// Sum of the lines' gross amounts: what the customer pays.
    pub total: Money,
    /// Net and tax per rate, for the receipt.
    pub by_rate: Vec<(TaxRate, Money, Money)>,
}

/// Products and quantities being rung up, in one currency.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cart {
    currency: Currency,
    lines: Vec<CartLine>,
    next_line_no: u32,
}

fn check_quantity(q: i64) -> Result<(), CoreError> {
    if (1..=MAX_LINE_QUANTITY).contains(&q) {
        Ok(())
    } else {
        Err(CoreError::InvalidQuantity(q))
    }
}

impl Cart {
    /// An empty cart.
    pub fn new(currency: Currency) -> Self {
        Cart { currency, lines: Vec::new(), next_line_no: 1 }
    }

    /// The currency.
    pub fn currency(&self) -> Currency {
        self.currency
    }

    /// The lines, in the order they were added.
    pub fn lines(&self) -> &[CartLine] {
        &self.lines
    }

    /// True when nothing has been added.
    pub fn is_empty(&self) -> bool {
        self.lines.is_empty()
    }

    /// Adds `quantity` of `product`. A product already in the cart gets its quantity raised,
    /// except serialised products, where each unit is its own line (it will carry its own
    /// identifier). Nothing changes when the result would be invalid.
    pub fn add(&mut self, product: &Product, quantity: i64) -> Result<u32, CoreError> {
        check_quantity(quantity)?;
        if product.price.currency() != self.currency {
            return Err(CoreError::CurrencyMismatch(
                product.price.currency().code().into(),
                self.currency.code().into(),
            ));
        }
        if product.price.minor() < 0 {
            return Err(CoreError::NegativePrice);
        }
        if !product.serialised {
            if let Some(line) = self.lines.iter_mut().find(|l| l.product.id == product.id && l.origin.is_none()) {
                let q = line.quantity.checked_add(quantity).ok_or(CoreError::InvalidQuantity(i64::MAX))?;
                check_quantity(q)?;
                // the line must still be priceable
                product.price.checked_mul(q)?;
                line.quantity = q;
                return Ok(line.line_no);
            }
        } else if quantity != 1 {
            return Err(CoreError::InvalidQuantity(quantity));
        }
        product.price.checked_mul(quantity)?;
        let line_no = self.next_line_no;
        self.next_line_no += 1;
        self.lines.push(CartLine { line_no, product: product.clone(), quantity, device: None, origin: None });
        Ok(line_no)
    }

    /// Adds `quantity` of `product` at `unit_price` rather than its catalogue price, as its own
    /// line marked with where it came from. Its quantity is the origin's and cannot be changed
    /// afterwards (the line can be removed). Nothing changes when the result would be invalid.
    pub fn add_priced(
        &mut self,
        product: &Product,
        quantity: i64,
        unit_price: Money,
        origin: LineOrigin,
    ) -> Result<u32, CoreError> {
        check_quantity(quantity)?;
        if unit_price.currency() != self.currency {
            return Err(CoreError::CurrencyMismatch(unit_price.currency().code().into(), self.currency.code().into()));
        }
        if unit_price.minor() < 0 {
            return Err(CoreError::NegativePrice);
        }
        if product.serialised && quantity != 1 {
            return Err(CoreError::InvalidQuantity(quantity));
        }
        unit_price.checked_mul(quantity)?;
        let mut product = product.clone();
        product.price = unit_price;
        let line_no = self.next_line_no;
        self.next_line_no += 1;
        self.lines.push(CartLine { line_no, product, quantity, device: None, origin: Some(origin) });
        Ok(line_no)
    }

    /// Sets a line's quantity.
    pub fn set_quantity(&mut self, line_no: u32, quantity: i64) -> Result<(), CoreError> {
        check_quantity(quantity)?;
        let line = self.lines.iter_mut().find(|l| l.line_no == line_no).ok_or(CoreError::NoSuchLine(line_no))?;
        if line.origin.is_some() {
            return Err(CoreError::FixedLine(line_no));
        }
        if line.product.serialised && quantity != 1 {
            return Err(CoreError::InvalidQuantity(quantity));
        }
        line.product.price.checked_mul(quantity)?;
        line.quantity = quantity;
        Ok(())
    }

    /// Records the device sold on a serialised product's line. The same device may not be on
    /// two lines; nothing changes when it is refused.
    pub fn set_device(&mut self, line_no: u32, device: DeviceIdentifier) -> Result<(), CoreError> {
        let line = self.lines.iter().find(|l| l.line_no == line_no).ok_or(CoreError::NoSuchLine(line_no))?;
        if !line.product.serialised {
            return Err(CoreError::NotSerialised(line_no));
        }
        if self.lines.iter().any(|l| l.line_no != line_no && l.device.as_ref() == Some(&device)) {
            return Err(CoreError::DuplicateDeviceIdentifier(device.as_str().to_string()));
        }
        if let Some(line) = self.lines.iter_mut().find(|l| l.line_no == line_no) {
            line.device = Some(device);
        }
        Ok(())
    }

    /// The first serialised line still waiting for its device identifier, if any: such a cart
    /// cannot be paid.
    pub fn line_missing_device(&self) -> Option<u32> {
        self.lines.iter().find(|l| l.product.serialised && l.device.is_none()).map(|l| l.line_no)
    }

    /// Removes a line.
    pub fn remove(&mut self, line_no: u32) -> Result<(), CoreError> {
        let before = self.lines.len();
        self.lines.retain(|l| l.line_no != line_no);
        if self.lines.len() == before {
            return Err(CoreError::NoSuchLine(line_no));
        }
        Ok(())
    }

    /// Number of units over all lines.
    pub fn item_count(&self) -> i64 {
        self.lines.iter().map(|l| l.quantity).sum()
    }

    /// Computes every line's split and the sums, by the rule in [`crate::tax`].
    pub fn totals(&self) -> Result<CartTotals, CoreError> {
        let mut lines = Vec::with_capacity(self.lines.len());
        let mut by_rate: BTreeMap<TaxRate, (Money, Money)> = BTreeMap::new();
        for l in &self.lines {
            let amount = l.product.price.checked_mul(l.quantity)?;
            let s = tax::split(amount, l.product.tax_rate, l.product.tax_inclusive)?;
            let entry =
                by_rate.entry(l.product.tax_rate).or_insert((Money::zero(self.currency), Money::zero(self.currency)));
            entry.0 = entry.0.checked_add(s.net)?;
            entry.1 = entry.1.checked_add(s.tax)?;
            lines.push(s);
        }
        Ok(CartTotals {
            subtotal: Money::sum(self.currency, lines.iter().map(|s| s.net))?,
            tax: Money::sum(self.currency, lines.iter().map(|s| s.tax))?,
            total: Money::sum(self.currency, lines.iter().map(|s| s.gross))?,
            by_rate: by_rate.into_iter().map(|(r, (n, t))| (r, n, t)).collect(),
            lines,
        })
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::{ProductId, Sku, TaxRate};
    use proptest::prelude::*;

    pub(crate) fn cny() -> Currency {
        Currency::parse("CNY").unwrap()
    }

    pub(crate) fn product(id: i64, price: i64, bp: i64, inclusive: bool) -> Product {
        Product {
            id: ProductId(id),
            sku: Sku::parse(&format!("P{id}")).unwrap(),
            barcode: None,
            name: format!("Product {id}"),
            name_zh: None,
            price: Money::new(price, cny()),
            tax_rate: TaxRate::from_basis_points(bp).unwrap(),
            tax_inclusive: inclusive,
            serialised: false,
        }
    }

    #[test]
    fn adding_the_same_product_raises_the_quantity() {
        let mut cart = Cart::new(cny());
        let p = product(1, 500, 1300, true);
        let a = cart.add(&p, 1).unwrap();
        let b = cart.add(&p, 2).unwrap();
        assert_eq!(a, b);
        assert_eq!(cart.lines().len(), 1);
        assert_eq!(cart.lines()[0].quantity, 3);
        assert_eq!(cart.totals().unwrap().total, Money::new(1500, cny()));
    }

    #[test]
    fn serialised_products_get_a_line_per_unit() {
        let mut cart = Cart::new(cny());
        let mut phone = product(9, 399_900, 1300, true);
        phone.serialised = true;
        cart.add(&phone, 1).unwrap();
        cart.add(&phone, 1).unwrap();
        assert_eq!(cart.lines().len(), 2);
        assert_eq!(cart.add(&phone, 2), Err(CoreError::InvalidQuantity(2)));
        assert_eq!(cart.set_quantity(1, 2), Err(CoreError::InvalidQuantity(2)));
    }

    #[test]
    fn a_serialised_line_needs_its_own_device() {
        let mut cart = Cart::new(cny());
        let mut phone = product(9, 399_900, 1300, true);
        phone.serialised = true;
        let a = cart.add(&phone, 1).unwrap();
        let b = cart.add(&phone, 1).unwrap();
        let tea = cart.add(&product(1, 500, 0, true), 1).unwrap();
        assert_eq!(cart.line_missing_device(), Some(a));
        let imei = DeviceIdentifier::parse("490154203237518").unwrap();
        cart.set_device(a, imei.clone()).unwrap();
        assert_eq!(cart.line_missing_device(), Some(b));
        assert_eq!(cart.set_device(b, imei.clone()), Err(CoreError::DuplicateDeviceIdentifier(imei.to_string())));
        assert_eq!(cart.set_device(tea, imei), Err(CoreError::NotSerialised(tea)));
        cart.set_device(b, DeviceIdentifier::parse("SN123").unwrap()).unwrap();
        assert_eq!(cart.line_missing_device(), None);
    }

    #[test]
    fn a_priced_line_keeps_its_price_and_origin_and_its_quantity() {
        let mut c = Cart::new(cny());
        let p = product(1, 500, 1300, true);
        let first = c.add(&p, 1).unwrap();
        let origin = LineOrigin::PendingOrder { reference: "PO-1".into() };
        let priced = c.add_priced(&p, 2, Money::new(450, cny()), origin.clone()).unwrap();
        assert_ne!(first, priced, "a priced line is never merged into a catalogue line");
        // a later catalogue add merges into the catalogue line, not the priced one
        assert_eq!(c.add(&p, 1).unwrap(), first);
        let line = c.lines().iter().find(|l| l.line_no == priced).unwrap();
        assert_eq!((line.product.price.minor(), line.quantity, line.origin.clone()), (450, 2, Some(origin)));
        assert_eq!(c.totals().unwrap().total.minor(), 2 * 500 + 2 * 450);
        assert_eq!(c.set_quantity(priced, 3), Err(CoreError::FixedLine(priced)));
        c.remove(priced).unwrap();
        assert_eq!(c.totals().unwrap().total.minor(), 1000);
    }

    #[test]
    fn a_bad_priced_line_changes_nothing() {
        let mut c = Cart::new(cny());
        let p = product(1, 500, 1300, true);
        let o = || LineOrigin::Service { reference: "c1".into() };
        assert_eq!(c.add_priced(&p, 1, Money::new(-1, cny()), o()), Err(CoreError::NegativePrice));
        let usd = Currency::parse("USD").unwrap();
        assert!(c.add_priced(&p, 1, Money::new(1, usd), o()).is_err());
        assert!(c.add_priced(&p, 0, Money::new(1, cny()), o()).is_err());
        assert!(c.is_empty());
    }

    #[test]
    fn bad_quantities_change_nothing() {
        let mut cart = Cart::new(cny());
        let p = product(1, 500, 0, true);
        cart.add(&p, 5).unwrap();
        let before = cart.clone();
        for q in [0, -1, MAX_LINE_QUANTITY + 1, i64::MAX, i64::MIN] {
            assert_eq!(cart.add(&p, q), Err(CoreError::InvalidQuantity(q)));
            assert_eq!(cart.set_quantity(1, q), Err(CoreError::InvalidQuantity(q)));
        }
        assert_eq!(cart.add(&p, MAX_LINE_QUANTITY), Err(CoreError::InvalidQuantity(MAX_LINE_QUANTITY + 5)));
        assert_eq!(cart.set_quantity(77, 1), Err(CoreError::NoSuchLine(77)));
        assert_eq!(cart.remove(77), Err(CoreError::NoSuchLine(77)));
        assert_eq!(cart, before);
    }

    #[test]
    fn an_unpriceable_line_is_refused() {
        let mut cart = Cart::new(cny());
        let p = product(1, i64::MAX / 2, 0, true);
        assert_eq!(cart.add(&p, 3), Err(CoreError::Overflow));
        assert!(cart.is_empty());
    }

    #[test]
    fn mixed_rates_are_broken_down() {
        let mut cart = Cart::new(cny());
        cart.add(&product(1, 11300, 1300, true), 1).unwrap();
        cart.add(&product(2, 1000, 600, false), 2).unwrap();
        let t = cart.totals().unwrap();
        assert_eq!(t.subtotal, Money::new(10000 + 2000, cny()));
        assert_eq!(t.tax, Money::new(1300 + 120, cny()));
        assert_eq!(t.total, Money::new(11300 + 2120, cny()));
        assert_eq!(t.by_rate.len(), 2);
    }

    proptest! {
        #[test]
        fn totals_equal_the_sum_of_lines(
            items in proptest::collection::vec((1i64..10_000_000, 0i64..=2500, any::<bool>(), 1i64..50), 0..30)
        ) {
            let mut cart = Cart::new(cny());
            for (i, (price, bp, incl, q)) in items.iter().enumerate() {
                cart.add(&product(i as i64, *price, *bp, *incl), *q).unwrap();
            }
            let t = cart.totals().unwrap();
            let gross: i64 = t.lines.iter().map(|s| s.gross.minor()).sum();
            let net: i64 = t.lines.iter().map(|s| s.net.minor()).sum();
            let tax: i64 = t.lines.iter().map(|s| s.tax.minor()).sum();
            prop_assert_eq!(t.total.minor(), gross);
            prop_assert_eq!(t.subtotal.minor(), net);
            prop_assert_eq!(t.tax.minor(), tax);
            prop_assert_eq!(t.subtotal.minor() + t.tax.minor(), t.total.minor());
            let by_rate_tax: i64 = t.by_rate.iter().map(|r| r.2.minor()).sum();
            prop_assert_eq!(by_rate_tax, tax);
        }
    }
}
