//! Lines put into the cart at a price that is not the catalogue's: the lines of an order a web
//! shop sent for collection, or a service a provider priced. The use cases that produce them
//! (collecting an order, a service conversation) call [`Pos::cart_add_priced_lines`]; the cashier
//! then takes payment with any tender, and each line keeps its origin through the sale.

use crate::error::Result;
use crate::ipc::views::CartView;
use crate::Pos;
use till_core::{LineOrigin, Money, Product};

/// A line to add at its own price, with where it came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PricedLine {
    /// The catalogue product the line is booked under (its tax rate and names).
    pub product: Product,
    /// Units, fixed by the origin.
    pub quantity: i64,
    /// The unit price the origin set.
    pub unit_price: Money,
    /// The order or the service it came from.
    pub origin: LineOrigin,
}

impl Pos {
    /// Adds `lines` to the user's open cart, all or none, and saves the cart (a restart keeps
    /// them at their prices).
    pub fn cart_add_priced_lines(&self, user_id: i64, lines: Vec<PricedLine>) -> Result<CartView> {
        self.with_cart(user_id, move |cart| {
            for l in lines {
                cart.add_priced(&l.product, l.quantity, l.unit_price, l.origin)?;
            }
            Ok(())
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tests::CASHIER;
    use crate::{Pos, PosConfig};
    use till_core::ProductId;

    #[test]
    fn priced_lines_survive_a_restart_at_their_price_and_reach_the_order() {
        let dir = tempfile::tempdir().unwrap();
        let open = || Pos::open(PosConfig::demo(dir.path().join("till.db"))).unwrap();
        let pos = open();
        let user = pos.login(CASHIER, "1111").unwrap().user.id;
        let product = pos.store().product_by_id(ProductId(1)).unwrap().unwrap();
        let currency = product.price.currency();
        let line = |q: i64, price: i64, r: &str| PricedLine {
            product: product.clone(),
            quantity: q,
            unit_price: Money::new(price, currency),
            origin: LineOrigin::PendingOrder { reference: r.into() },
        };
        pos.cart_add_priced_lines(user, vec![line(2, 123, "PO-7"), line(1, 45, "PO-7")]).unwrap();
        // a bad line refuses the whole batch
        assert!(pos.cart_add_priced_lines(user, vec![line(1, 10, "PO-8"), line(0, 10, "PO-8")]).is_err());
        drop(pos);

        let pos = open();
        let token = pos.login(CASHIER, "1111").unwrap().token;
        let cart = pos.cart_get(&token).unwrap();
        let got: Vec<_> = cart
            .lines
            .iter()
            .map(|l| (l.quantity, l.unit_price.minor(), l.origin.clone().map(|o| o.reference)))
            .collect();
        assert_eq!(got, vec![(2, 123, Some("PO-7".into())), (1, 45, Some("PO-7".into()))]);
        assert_eq!(cart.total.minor(), 2 * 123 + 45);
        let receipt = pos.checkout_cash(&token, &cart.cart_id, cart.total.minor()).unwrap();
        assert!(receipt.lines.iter().all(|l| l.origin.as_ref().map(|o| o.kind.as_str()) == Some("pending_order")));
        let events = pos.store().outbox_events("sale.recorded").unwrap();
        assert!(events
            .iter()
            .any(|e| e.payload.contains("\"origin\":{\"kind\":\"pending_order\",\"reference\":\"PO-7\"}")));
    }
}
