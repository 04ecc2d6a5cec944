//! Ringing up and checking out: the open cart of each user, and turning it into a recorded
//! order only when the store's commit has returned.

use crate::admin::permissions::Command;
use crate::error::{PosError, Result};
use crate::ipc::views::{
    CartLine, CartView, LineOriginView, PaymentView, ProductView, Receipt, ReceiptLine, TaxLine, Tender,
};
use crate::mutex::lock;
use crate::Pos;
use std::collections::hash_map::Entry;
use std::collections::HashMap;
use till_core::{Barcode, Cart, CashPayment, DeviceIdentifier, LineOrigin, Money, NewOrder, Payment, ProductId, Sku};
use till_core::{CartId, OrderId, SessionToken};
use till_store::OrderRecord;
use till_store::{SavedCart, SavedOrigin, StoreError};

/// Results a search returns at most.
pub const MAX_SEARCH_RESULTS: u32 = 50;

/// A cart being rung up, with the id its checkout will be keyed by.
#[derive(Debug, Clone)]
pub struct OpenCart {
    /// Random id; the order's checkout key.
    pub id: CartId,
    /// The lines.
    pub cart: Cart,
}

impl OpenCart {
    /// The UI's view of it.
    pub fn view(&self) -> Result<CartView> {
        let t = self.cart.totals()?;
        Ok(CartView {
            cart_id: self.id.clone(),
            lines: self
                .cart
                .lines()
                .iter()
                .zip(&t.lines)
                .map(|(l, s)| CartLine {
                    line_no: l.line_no,
                    product_id: l.product.id.0,
                    sku: l.product.sku.as_str().to_string(),
                    name: l.product.name.clone(),
                    name_zh: l.product.name_zh.clone(),
                    quantity: l.quantity,
                    unit_price: l.product.price,
                    line_total: s.gross,
                    tax: s.tax,
                    tax_rate_bp: l.product.tax_rate.basis_points(),
                    serialised: l.product.serialised,
                    device: l.device.as_ref().map(|d| d.to_string()),
                    origin: l.origin.as_ref().map(LineOriginView::from),
                })
                .collect(),
            subtotal: t.subtotal,
            tax: t.tax,
            total: t.total,
            item_count: self.cart.item_count(),
        })
    }
}

impl Pos {
    fn new_cart(&self) -> OpenCart {
        OpenCart { id: CartId::generate(&mut **lock(&self.rng)), cart: Cart::new(self.currency()) }
    }

    /// The user's open cart: in memory, else as saved on disk (after a restart or a crash),
    /// else a new empty one.
    fn open_cart<'a>(&self, carts: &'a mut HashMap<i64, OpenCart>, user_id: i64) -> Result<&'a mut OpenCart> {
        match carts.entry(user_id) {
            Entry::Occupied(o) => Ok(o.into_mut()),
            Entry::Vacant(v) => Ok(v.insert(self.load_open_cart(user_id)?)),
        }
    }

    /// Rebuilds a saved cart from today's catalogue; products no longer sold are left out.
    fn load_open_cart(&self, user_id: i64) -> Result<OpenCart> {
        let Some(saved) = self.store.open_cart(user_id)? else { return Ok(self.new_cart()) };
        let mut cart = Cart::new(self.currency());
        for (i, (product_id, quantity)) in saved.lines.into_iter().enumerate() {
            if let Some(p) = self.store.product_by_id(ProductId(product_id))? {
                let added = match saved.origins.get(i).cloned().flatten() {
                    // A line from an order or a service keeps the price it came with.
                    Some(o) => LineOrigin::parse(&o.kind, &o.reference).and_then(|origin| {
                        cart.add_priced(&p, quantity, Money::new(o.unit_price_minor, cart.currency()), origin)
                    }),
                    None => cart.add(&p, quantity),
                };
                match added {
                    Ok(line_no) => {
                        let device = saved.devices.get(i).cloned().flatten();
                        if let Some(id) = device.as_deref().and_then(|d| DeviceIdentifier::parse(d).ok()) {
                            let _ = cart.set_device(line_no, id);
                        }
                    }
                    Err(_) => tracing::warn!(product_id, "a saved cart line no longer fits; left out"),
                }
            }
        }
        Ok(OpenCart { id: CartId::parse(&saved.cart_id)?, cart })
    }

    /// Applies `change` to the user's cart and saves it; on any error the cart is left as it was,
    /// in memory and on disk.
    pub(super) fn with_cart(&self, user_id: i64, change: impl FnOnce(&mut Cart) -> Result<()>) -> Result<CartView> {
        let mut carts = lock(&self.sale.carts);
        let open = self.open_cart(&mut carts, user_id)?;
        let mut draft = open.cart.clone();
        change(&mut draft)?;
        let candidate = OpenCart { id: open.id.clone(), cart: draft };
        let view = candidate.view()?;
        if candidate.cart != open.cart {
            let lines = candidate.cart.lines().iter().map(|l| (l.product.id.0, l.quantity)).collect();
            let devices = candidate.cart.lines().iter().map(|l| l.device.as_ref().map(|d| d.to_string())).collect();
            let origins = candidate
                .cart
                .lines()
                .iter()
                .map(|l| {
                    l.origin.as_ref().map(|o| SavedOrigin {
                        kind: o.kind().to_string(),
                        reference: o.reference().to_string(),
                        unit_price_minor: l.product.price.minor(),
                    })
                })
                .collect();
            let saved = SavedCart { cart_id: candidate.id.to_string(), lines, devices, origins };
            self.store.save_open_cart(user_id, &saved, self.now_ms())?;
        }
        *open = candidate;
        self.customer_display.cart(user_id, &view, self.points_paying(user_id, &view.cart_id));
        Ok(view)
    }

    /// Search-as-you-type over the catalogue.
    pub fn catalogue_search(&self, token: &SessionToken, query: &str, limit: u32) -> Result<Vec<ProductView>> {
        self.authorize(token, Command::CatalogueSearch)?;
        let hits = self.store.search_products(query, limit.clamp(1, MAX_SEARCH_RESULTS))?;
        Ok(hits.iter().map(ProductView::from).collect())
    }

    /// The user's open cart.
    pub fn cart_get(&self, token: &SessionToken) -> Result<CartView> {
        let s = self.authorize(token, Command::CartGet)?;
        self.with_cart(s.user_id, |_| Ok(()))
    }

    /// Adds one unit of the product with this barcode or SKU, as a scanner or the keyboard
    /// typed it.
    pub fn cart_scan(&self, token: &SessionToken, code: &str) -> Result<CartView> {
        let s = self.authorize(token, Command::CartScan)?;
        let code = code.trim();
        if code.is_empty() {
            return Err(PosError::InvalidInput("nothing was scanned".into()));
        }
        // A customer's payment code is payment, not a product: never searched, never logged.
        if let Some(payment_code) = till_core::PaymentCode::recognise(code) {
            return Err(PosError::PaymentCodeScanned(payment_code.wallet().display_name()));
        }
        let product = if Barcode::looks_like_barcode(code) {
            self.store.product_by_barcode(&Barcode::parse(code)?)?
        } else {
            match Sku::parse(code) {
                Ok(sku) => self.store.product_by_sku(&sku)?,
                Err(_) => None,
            }
        };
        let product = product.ok_or_else(|| PosError::UnknownBarcode(code.to_string()))?;
        self.with_cart(s.user_id, |c| Ok(c.add(&product, 1).map(|_| ())?))
    }

    /// Adds `quantity` of a product chosen from search results.
    pub fn cart_add(&self, token: &SessionToken, product_id: i64, quantity: i64) -> Result<CartView> {
        let s = self.authorize(token, Command::CartAdd)?;
        let product = self.store.product_by_id(ProductId(product_id))?.ok_or(PosError::UnknownProduct(product_id))?;
        self.with_cart(s.user_id, |c| Ok(c.add(&product, quantity).map(|_| ())?))
    }

    /// Sets a line's quantity.
    pub fn cart_set_quantity(&self, token: &SessionToken, line_no: u32, quantity: i64) -> Result<CartView> {
        let s = self.authorize(token, Command::CartSetQuantity)?;
        self.with_cart(s.user_id, |c| Ok(c.set_quantity(line_no, quantity)?))
    }

    /// Records the IMEI, MEID, ESN or serial number of the device sold on a serialised
    /// product's line (scanned or typed; an IMEI's check digit is verified).
    pub fn cart_set_device(&self, token: &SessionToken, line_no: u32, identifier: &str) -> Result<CartView> {
        let s = self.authorize(token, Command::CartSetDevice)?;
        let id = DeviceIdentifier::parse(identifier)?;
        self.with_cart(s.user_id, |c| Ok(c.set_device(line_no, id)?))
    }

    /// Removes a line.
    pub fn cart_remove(&self, token: &SessionToken, line_no: u32) -> Result<CartView> {
        let s = self.authorize(token, Command::CartRemove)?;
        self.with_cart(s.user_id, |c| Ok(c.remove(line_no)?))
    }

    /// Empties the cart (it keeps its id: nothing was sold).
    pub fn cart_clear(&self, token: &SessionToken) -> Result<CartView> {
        let s = self.authorize(token, Command::CartClear)?;
        let currency = self.currency();
        self.with_cart(s.user_id, |c| {
            *c = Cart::new(currency);
            Ok(())
        })
    }

    /// Explains why `cart_id` is not the user's open cart: it was paid already, or it never was.
    fn stale_cart(&self, cart_id: &CartId) -> PosError {
        match self.store.order_by_checkout_key(cart_id.as_str()) {
            Ok(Some(o)) => PosError::Store(StoreError::AlreadyCheckedOut { order_id: o.id }),
            Ok(None) => PosError::Conflict("this cart is no longer open; the screen will refresh".into()),
            Err(e) => e.into(),
        }
    }

    /// Records the sale of the user's open cart, which must still be `expected` (same id and
    /// lines), paid by `payment(total)`, settling `settle` in the payment journal in the same
    /// commit. The carts lock is held until the commit returns, so a double click cannot
    /// record the cart twice; the cart is replaced by a fresh one only after the commit.
    pub(crate) fn record_checkout(
        &self,
        user_id: i64,
        expected: &OpenCart,
        settle: Option<&till_store::Settle>,
        payment: impl FnOnce(Money) -> Result<Payment>,
    ) -> Result<Receipt> {
        let mut carts = lock(&self.sale.carts);
        let open = self.open_cart(&mut carts, user_id)?;
        if open.id != expected.id {
            return Err(self.stale_cart(&expected.id));
        }
        if open.cart != expected.cart {
            return Err(PosError::Conflict("the cart changed during payment; please take payment again".into()));
        }
        if open.cart.is_empty() {
            return Err(till_core::CoreError::EmptyCart.into());
        }
        if let Some(line_no) = open.cart.line_missing_device() {
            return Err(till_core::CoreError::MissingDeviceIdentifier(line_no).into());
        }
        let total = open.cart.totals()?.total;
        // Points redeemed pay part of the total; the tender pays the rest.
        let loyalty = self.sale_loyalty(user_id, &open.id, &open.cart)?;
        let due = Money::new(total.minor() - loyalty.as_ref().map_or(0, |l| l.points_paid()), total.currency());
        let payment = payment(due)?;
        let now = self.now_ms();
        let mut attempt = 0;
        let recorded = loop {
            let order = {
                let mut rng = lock(&self.rng);
                NewOrder::from_cart(&open.cart, payment.clone(), open.id.to_string(), user_id, now, &mut **rng)?
            };
            let event_id = self.random_hex(16);
            match self.store.record_sale_settling(&order, &event_id, loyalty.as_ref(), settle) {
                // A line code collision (1 in 2^60 per pair) just draws new codes.
                Err(e) if e.is_unique_violation() && attempt < 3 => attempt += 1,
                other => break other?,
            }
        };
        carts.insert(user_id, self.new_cart());
        drop(carts);
        tracing::info!(order_id = recorded.order_id, total = %total, "sale recorded");
        // The sale (and a card payment approved offline, queued with it) goes out now, not at
        // the worker's next idle poll. Cash and card checkouts both come through here.
        self.sync_nudge();
        // The receipt's print job (if a printer is set up) was committed with the sale; the
        // print worker takes it now. Printing never holds up the sale.
        self.devices.printer_wake.notify();
        let mut receipt = receipt_of(&self.store.order(recorded.order_id)?)?;
        if loyalty.is_some() {
            receipt.points = self.points_after_sale(recorded.order_id)?;
        }
        self.customer_display.sale_done(&receipt);
        Ok(receipt)
    }

    /// The user's open cart as it is now, checked against the id the UI holds.
    pub(crate) fn snapshot_cart(&self, user_id: i64, cart_id: &CartId) -> Result<OpenCart> {
        let mut carts = lock(&self.sale.carts);
        let open = self.open_cart(&mut carts, user_id)?;
        if open.id == *cart_id {
            Ok(open.clone())
        } else {
            Err(self.stale_cart(cart_id))
        }
    }

    /// Takes cash for the open cart `cart_id` and records the sale.
    pub fn checkout_cash(&self, token: &SessionToken, cart_id: &CartId, tendered_minor: i64) -> Result<Receipt> {
        let s = self.authorize(token, Command::CheckoutCash)?;
        let expected = self.snapshot_cart(s.user_id, cart_id)?;
        let currency = self.currency();
        self.record_checkout(s.user_id, &expected, None, |total| {
            Ok(Payment::Cash(CashPayment::take(total, Money::new(tendered_minor, currency))?))
        })
    }

    /// The receipt of a recorded order.
    pub fn receipt(&self, token: &SessionToken, order_id: OrderId) -> Result<Receipt> {
        let order_id = order_id.get();
        self.authorize(token, Command::ReceiptGet)?;
        let mut receipt = receipt_of(&self.store.order(order_id)?)?;
        receipt.points = crate::loyalty::receipt_points(&self.store.points_of_order(order_id)?);
        Ok(receipt)
    }
}

/// The receipt of a stored order: built here, where sales are recorded, so the view types
/// stay free of the rules that fill them.
pub fn receipt_of(o: &OrderRecord) -> Result<Receipt> {
    let p = o
        .payments
        .iter()
        .find(|p| p.tender != "points")
        .or_else(|| o.payments.first())
        .ok_or_else(|| PosError::Internal(format!("order {} has no payment", o.id)))?;
    let points_paid = o.payments.iter().find(|p| p.tender == "points").map(|p| p.amount);
    let mut rates: std::collections::BTreeMap<i64, (Money, Money)> = Default::default();
    for l in &o.lines {
        let e =
            rates.entry(l.tax_rate_bp).or_insert((Money::zero(o.total.currency()), Money::zero(o.total.currency())));
        e.0 = e.0.checked_add(l.net)?;
        e.1 = e.1.checked_add(l.tax)?;
    }
    Ok(Receipt {
        order_id: o.id,
        order_no: o.order_no.clone(),
        created_at_ms: o.created_at_ms,
        cashier_name: o.cashier_name.clone(),
        lines: o
            .lines
            .iter()
            .map(|l| {
                Ok(ReceiptLine {
                    line_code: till_core::LineCode::parse(&l.line_code)?.grouped(),
                    sku: l.sku.clone(),
                    name: l.name.clone(),
                    name_zh: l.name_zh.clone(),
                    quantity: l.quantity,
                    unit_price: l.unit_price,
                    line_total: l.gross,
                    tax_rate_bp: l.tax_rate_bp,
                    device: l.serial_number.clone(),
                    origin: l
                        .origin
                        .as_ref()
                        .map(|(kind, reference)| LineOriginView { kind: kind.clone(), reference: reference.clone() }),
                })
            })
            .collect::<std::result::Result<_, till_core::CoreError>>()?,
        tax_lines: rates.into_iter().map(|(rate_bp, (net, tax))| TaxLine { rate_bp, net, tax }).collect(),
        subtotal: o.subtotal,
        tax: o.tax,
        total: o.total,
        payment: PaymentView {
            tender: match p.tender.as_str() {
                "card" => Tender::Card,
                "points" => Tender::Points,
                "payment_code" => Tender::PaymentCode,
                _ => Tender::Cash,
            },
            amount: p.amount,
            tendered: p.tendered,
            change: p.change,
            card_masked: p.card_masked.clone(),
            card_brand: p.card_brand.clone(),
            auth_code: p.auth_code.clone(),
            offline_approval: p.auth_code.as_deref() == Some(crate::sale::offline_forward::OFFLINE_AUTH_CODE),
        },
        points_paid,
        points: None,
    })
}

#[cfg(test)]
mod tests {
    use crate::tests::{pos, CASHIER, MANAGER};
    use crate::ErrorCode;

    const TEA: &str = "6901234567892";

    fn count(p: &crate::Pos, table: &str) -> i64 {
        p.store().read(|c| Ok(c.query_row(&format!("SELECT count(*) FROM {table}"), [], |r| r.get(0))?)).unwrap()
    }

    #[test]
    fn scan_pay_cash_and_the_receipt_comes_from_disk() {
        let (_d, _c, p) = pos();
        let t = p.login(CASHIER, "1111").unwrap().token;
        p.cart_scan(&t, TEA).unwrap();
        p.cart_scan(&t, TEA).unwrap();
        let cart = p.cart_scan(&t, "snk-001").unwrap();
        assert_eq!((cart.lines.len(), cart.item_count), (2, 3));
        let due = cart.total.minor();
        let r = p.checkout_cash(&t, &cart.cart_id, due + 1000).unwrap();
        assert_eq!(r.total.minor(), due);
        assert_eq!(r.payment.change.unwrap().minor(), 1000);
        assert_eq!(r.lines.len(), 2);
        assert!(r.lines.iter().all(|l| till_core::LineCode::parse(&l.line_code).is_ok()));
        assert_eq!(p.receipt(&t, till_core::OrderId::new(r.order_id).unwrap()).unwrap().order_no, r.order_no);
        // a fresh, empty cart with a new id
        let next = p.cart_get(&t).unwrap();
        assert!(next.lines.is_empty());
        assert_ne!(next.cart_id, cart.cart_id);
        assert_eq!(p.store().outbox_events("sale.recorded").unwrap().len(), 1);
    }

    #[test]
    fn bad_input_changes_nothing() {
        let (_d, _c, p) = pos();
        let t = p.login(CASHIER, "1111").unwrap().token;
        let before = p.cart_scan(&t, TEA).unwrap();
        let code = |r: crate::Result<_>| r.map(|_: crate::ipc::views::CartView| ()).unwrap_err().code();
        assert_eq!(code(p.cart_scan(&t, "6901234567893")), ErrorCode::InvalidBarcode);
        assert_eq!(code(p.cart_scan(&t, "4006381333931")), ErrorCode::UnknownBarcode);
        assert_eq!(code(p.cart_scan(&t, "NO-SUCH-SKU")), ErrorCode::UnknownBarcode);
        assert_eq!(code(p.cart_scan(&t, "  ")), ErrorCode::InvalidInput);
        assert_eq!(code(p.cart_scan(&t, "%B4111^x")), ErrorCode::UnknownBarcode);
        let line = before.lines[0].line_no;
        for q in [0, -1, 10_000, i64::MAX] {
            assert_eq!(code(p.cart_set_quantity(&t, line, q)), ErrorCode::InvalidQuantity);
            assert_eq!(code(p.cart_add(&t, before.lines[0].product_id, q)), ErrorCode::InvalidQuantity);
        }
        assert_eq!(code(p.cart_add(&t, 999_999, 1)), ErrorCode::UnknownProduct);
        assert_eq!(code(p.cart_remove(&t, 99)), ErrorCode::NotFound);
        let after = p.cart_get(&t).unwrap();
        assert_eq!(serde_json::to_value(&after).unwrap(), serde_json::to_value(&before).unwrap());
    }

    #[test]
    fn short_or_absurd_tender_writes_nothing() {
        let (_d, _c, p) = pos();
        let t = p.login(CASHIER, "1111").unwrap().token;
        let cart = p.cart_scan(&t, TEA).unwrap();
        let due = cart.total.minor();
        let err = |r: crate::Result<crate::ipc::views::Receipt>| r.unwrap_err().code();
        assert_eq!(err(p.checkout_cash(&t, &cart.cart_id, due - 1)), ErrorCode::InsufficientTender);
        assert_eq!(err(p.checkout_cash(&t, &cart.cart_id, -5)), ErrorCode::InvalidInput);
        assert_eq!(err(p.checkout_cash(&t, &cart.cart_id, i64::MIN)), ErrorCode::InvalidInput);
        assert_eq!(count(&p, "orders"), 0);
        assert_eq!(p.cart_get(&t).unwrap().cart_id, cart.cart_id);
    }

    #[test]
    fn an_empty_cart_cannot_be_paid() {
        let (_d, _c, p) = pos();
        let t = p.login(CASHIER, "1111").unwrap().token;
        let cart = p.cart_get(&t).unwrap();
        assert_eq!(p.checkout_cash(&t, &cart.cart_id, 100).unwrap_err().code(), ErrorCode::CartEmpty);
    }

    #[test]
    fn amounts_that_overflow_are_refused_and_change_nothing() {
        let (_d, _c, p) = pos();
        let huge = till_store::NewProduct {
            sku: till_core::Sku::parse("HUGE").unwrap(),
            barcode: None,
            name: "Overpriced".into(),
            name_zh: None,
            price: till_core::Money::new(i64::MAX / 2, p.currency()),
            tax_rate: till_core::TaxRate::from_basis_points(0).unwrap(),
            tax_inclusive: true,
            serialised: false,
        };
        let id = p.store().add_products(&[huge]).unwrap()[0].0;
        let t = p.login(CASHIER, "1111").unwrap().token;
        assert_eq!(p.cart_add(&t, id, 3).unwrap_err().code(), ErrorCode::AmountOverflow);
        let one = p.cart_add(&t, id, 2).unwrap();
        // a second line pushes the cart total past i64
        assert_eq!(p.cart_scan(&t, TEA).unwrap_err().code(), ErrorCode::AmountOverflow);
        assert_eq!(p.cart_get(&t).unwrap().lines.len(), one.lines.len());
        assert_eq!(p.checkout_cash(&t, &one.cart_id, i64::MAX).map(|r| r.total.minor()).unwrap(), i64::MAX - 1);
    }

    #[test]
    fn a_double_click_records_one_sale() {
        let (_d, _c, p) = pos();
        let p = std::sync::Arc::new(p);
        let t = p.login(CASHIER, "1111").unwrap().token;
        let cart = p.cart_scan(&t, TEA).unwrap();
        let handles: Vec<_> = (0..4)
            .map(|_| {
                let (p, t, id) = (p.clone(), t.clone(), cart.cart_id.clone());
                std::thread::spawn(move || p.checkout_cash(&t, &id, 100_000).map_err(|e| e.code()))
            })
            .collect();
        let results: Vec<_> = handles.into_iter().map(|h| h.join().unwrap()).collect();
        assert_eq!(results.iter().filter(|r| r.is_ok()).count(), 1, "{results:?}");
        assert!(results.iter().filter_map(|r| r.as_ref().err()).all(|c| *c == ErrorCode::AlreadyCheckedOut));
        assert_eq!(count(&p, "orders"), 1);
    }

    #[test]
    fn the_open_cart_survives_a_restart_and_goes_with_the_sale() {
        let (dir, _c, p) = pos();
        let t = p.login(CASHIER, "1111").unwrap().token;
        p.cart_scan(&t, TEA).unwrap();
        p.cart_scan(&t, TEA).unwrap();
        let with_chips = p.cart_scan(&t, "SNK-001").unwrap();
        let before = p.cart_remove(&t, with_chips.lines[1].line_no).unwrap();
        assert_eq!((before.lines.len(), before.item_count), (1, 2));
        drop(p); // as if the till lost power

        let p = crate::tests::reopen(&dir);
        let t = p.login(CASHIER, "1111").unwrap().token;
        let after = p.cart_get(&t).unwrap();
        assert_eq!(serde_json::to_value(&after).unwrap(), serde_json::to_value(&before).unwrap());
        p.checkout_cash(&t, &after.cart_id, 100_000).unwrap();
        drop(p);

        let p = crate::tests::reopen(&dir);
        let t = p.login(CASHIER, "1111").unwrap().token;
        let next = p.cart_get(&t).unwrap();
        assert!(next.lines.is_empty());
        assert_ne!(next.cart_id, after.cart_id);
    }

    #[test]
    fn carts_are_per_user() {
        let (_d, _c, p) = pos();
        let a = p.login(CASHIER, "1111").unwrap().token;
        let b = p.login(MANAGER, "2222").unwrap().token;
        p.cart_scan(&a, TEA).unwrap();
        assert!(p.cart_get(&b).unwrap().lines.is_empty());
        assert_eq!(
            p.checkout_cash(&b, &p.cart_get(&a).unwrap().cart_id, 100_000).unwrap_err().code(),
            ErrorCode::Conflict
        );
    }
}
