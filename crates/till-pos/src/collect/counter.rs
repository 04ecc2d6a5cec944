//! At the counter: the list of orders to collect, one order, collecting it and letting it go.
//!
//! Collecting fails closed: the pickup code is checked by the server when the till reserves the
//! order (the till never holds codes), so without the server nothing is handed over. Reserved,
//! the order's lines go into the cashier's cart at the order's prices
//! ([`Pos::cart_add_priced_lines`], each line's origin the order), and the customer pays with
//! any tender; the sale's event tells the platform, which marks the order collected in the
//! sale's own transaction. Releasing takes the lines out of the cart and tells the server the
//! till no longer holds the order.

use super::record_of;
use crate::admin::permissions::Command;
use crate::error::{ErrorCode, PosError, Result};
use crate::ipc::collect::{CollectedOrder, PendingOrderLineView, PendingOrderView, ReleasedOrder};
use crate::ipc::sync::Service;
use crate::ipc::views::CartView;
use crate::sale::priced_lines::PricedLine;
use crate::Pos;
use serde_json::json;
use till_api::merchant_orders::PendingOrder;
use till_core::{Currency, LineOrigin, Money, SessionToken, Sku};
use till_store::pending_orders::PendingOrderRecord;
use till_store::StoreError;

/// How long the till asks the server to hold an order while the customer pays.
pub const RESERVE_MINUTES: i64 = 10;

/// Checks an order id before it goes into a path: the platform's ids are `PO-` and capitals or
/// digits.
fn check_order_id(order_id: &str) -> Result<()> {
    let ok = order_id.len() <= 64
        && order_id.starts_with("PO-")
        && order_id[3..].bytes().all(|b| b.is_ascii_alphanumeric())
        && order_id.len() > 3;
    if ok {
        Ok(())
    } else {
        Err(PosError::InvalidInput(format!("{order_id:?} is not an order id of the platform")))
    }
}

/// The pickup code as typed or scanned: 6 digits, spaces and dashes ignored.
fn pickup_code(raw: &str) -> Result<String> {
    let code: String = raw.chars().filter(|c| !matches!(c, ' ' | '-')).collect();
    if code.len() == 6 && code.bytes().all(|b| b.is_ascii_digit()) {
        Ok(code)
    } else {
        Err(PosError::InvalidInput("the pickup code is 6 digits".into()))
    }
}

/// The cashier's words for the server's refusal of a reservation.
fn refusal(e: PosError) -> PosError {
    let PosError::ServerRefused { code, message } = e else { return e };
    let code = match code.as_str() {
        "wrong_pickup_code" => ErrorCode::WrongPickupCode,
        "pickup_code_locked" => ErrorCode::PickupCodeLocked,
        "order_reserved" => ErrorCode::OrderReserved,
        "order_collected" | "order_cancelled" | "order_expired" | "not_found" => ErrorCode::OrderClosed,
        _ => return PosError::ServerRefused { code, message },
    };
    PosError::PendingOrder { code, message }
}

impl Pos {
    fn order_view(&self, o: &PendingOrderRecord, cart: Option<&CartView>) -> Result<PendingOrderView> {
        let currency = Currency::parse(&o.currency)?;
        let m = |v: i64| Money::new(v, currency);
        let lines = o
            .lines
            .iter()
            .map(|l| {
                let product = Sku::parse(&l.sku).ok().map(|s| self.store.product_by_sku(&s)).transpose()?.flatten();
                Ok(PendingOrderLineView {
                    line_no: l.line_no,
                    sku: l.sku.clone(),
                    name: l.name.clone(),
                    name_zh: product.as_ref().and_then(|p| p.name_zh.clone()),
                    quantity: l.quantity,
                    unit_price: m(l.unit_price_minor),
                    total: m(l.total_minor),
                    in_catalogue: product.is_some(),
                })
            })
            .collect::<Result<Vec<_>>>()?;
        let in_cart = cart.is_some_and(|c| {
            c.lines
                .iter()
                .any(|l| l.origin.as_ref().is_some_and(|r| r.kind == "pending_order" && r.reference == o.order_id))
        });
        Ok(PendingOrderView {
            order_id: o.order_id.clone(),
            order_number: o.order_number.clone(),
            status: o.status.clone(),
            customer_name: o.customer_name.clone(),
            phone_tail: o.phone_tail.clone(),
            total: m(o.total_minor),
            created_at_ms: o.created_at_ms,
            expires_at_ms: o.expires_at_ms,
            reserved_until_ms: o.reserved_until_ms,
            reserved_here: o.reserved_here,
            pickup_attempts_left: o.pickup_attempts_left,
            lines,
            in_cart,
        })
    }

    fn mirrored(&self, order_id: &str) -> Result<PendingOrderRecord> {
        check_order_id(order_id)?;
        Ok(self.store.pending_order(order_id)?.ok_or(StoreError::NotFound("pending order"))?)
    }

    /// The orders still to collect at this store, oldest first, as last pulled.
    pub fn pending_orders_list(&self, token: &SessionToken) -> Result<Vec<PendingOrderView>> {
        self.authorize(token, Command::PendingOrdersList)?;
        let cart = self.cart_get(token)?;
        self.store.pending_orders_open()?.iter().map(|o| self.order_view(o, Some(&cart))).collect()
    }

    /// Asks the server now, then lists; offline it fails with the reason (the list as last
    /// known is still there through [`Pos::pending_orders_list`]).
    pub fn pending_orders_refresh(&self, token: &SessionToken) -> Result<Vec<PendingOrderView>> {
        self.authorize(token, Command::PendingOrdersRefresh)?;
        if self.sync_credentials()?.is_none() {
            return Err(PosError::SyncNotConfigured);
        }
        self.pending_orders_follow()?;
        self.pending_orders_list(token)
    }

    /// One order, as last pulled.
    pub fn pending_order_get(&self, token: &SessionToken, order_id: &str) -> Result<PendingOrderView> {
        self.authorize(token, Command::PendingOrderGet)?;
        let cart = self.cart_get(token)?;
        self.order_view(&self.mirrored(order_id)?, Some(&cart))
    }

    /// Collects an order: checks the pickup code by reserving the order at the server for this
    /// till, then puts its lines into the cashier's cart at the order's prices. Fails closed:
    /// without the server's yes nothing goes into the cart.
    pub fn pending_order_collect(&self, token: &SessionToken, order_id: &str, code: &str) -> Result<CollectedOrder> {
        let s = self.authorize(token, Command::PendingOrderCollect)?;
        let code = pickup_code(code)?;
        let order = self.mirrored(order_id)?;
        if !matches!(order.status.as_str(), "pending" | "reserved") {
            return Err(PosError::PendingOrder {
                code: ErrorCode::OrderClosed,
                message: format!("order {} is {}", order.order_number, order.status),
            });
        }
        if Currency::parse(&order.currency)? != self.currency() {
            return Err(PosError::InvalidInput(format!(
                "order {} is in {}; this till sells in {}",
                order.order_number,
                order.currency,
                self.currency()
            )));
        }
        let cart = self.cart_get(token)?;
        if self.order_view(&order, Some(&cart))?.in_cart {
            return Err(PosError::Conflict(format!("order {} is already in the cart", order.order_number)));
        }
        let mut lines = Vec::with_capacity(order.lines.len());
        for l in &order.lines {
            let product =
                Sku::parse(&l.sku).ok().map(|sku| self.store.product_by_sku(&sku)).transpose()?.flatten().ok_or_else(
                    || PosError::PendingOrder {
                        code: ErrorCode::ProductNotInCatalogue,
                        message: format!("{} ({}) is not in this till's catalogue", l.name, l.sku),
                    },
                )?;
            lines.push(PricedLine {
                product,
                quantity: l.quantity,
                unit_price: Money::new(l.unit_price_minor, self.currency()),
                origin: LineOrigin::PendingOrder { reference: order.order_id.clone() },
            });
        }
        let path = format!("/v1/pending-orders/{}/reserve", order.order_id);
        let body = json!({ "pickup_code": code, "minutes": RESERVE_MINUTES });
        let answer = match self.server_call(Service::Sales, "POST", &path, Some(&body), None) {
            Ok(a) => a,
            Err(e) => {
                if matches!(e, PosError::ServerRefused { .. }) {
                    // The server counted a wrong code or knows a newer status: read it now, so
                    // the screen shows the attempts left with the refusal.
                    if let Err(pull) = self.pending_orders_follow() {
                        tracing::info!("pending orders not followed after a refusal: {pull}");
                    }
                }
                return Err(refusal(e));
            }
        };
        let held: PendingOrder = serde_json::from_value(answer)
            .map_err(|e| PosError::ServerUnreachable(format!("the server's answer is not an order: {e}")))?;
        let record = record_of(&held);
        let detail = json!({
            "order_id": order.order_id, "order_number": order.order_number,
            "total_minor": order.total_minor, "currency": order.currency,
            "reserved_until_ms": record.reserved_until_ms,
        });
        self.store.pending_order_answered(&record, s.user_id, "pending_order.collect", &detail, self.now_ms())?;
        let cart = match self.cart_add_priced_lines(s.user_id, lines) {
            Ok(cart) => cart,
            Err(e) => {
                // Nothing in the cart: let the order go again rather than hold it for nothing.
                let _ = self.release_at_server(&order.order_id);
                return Err(e);
            }
        };
        tracing::info!(order_id = %order.order_id, user_id = s.user_id, "pending order loaded into the cart");
        self.publish_pending_count();
        Ok(CollectedOrder { order: self.order_view(&record, Some(&cart))?, cart })
    }

    /// Tells the server the till no longer holds the order; the order as answered.
    fn release_at_server(&self, order_id: &str) -> Result<PendingOrderRecord> {
        let path = format!("/v1/pending-orders/{order_id}/release");
        let answer = self.server_call(Service::Sales, "POST", &path, Some(&json!({})), None)?;
        let order: PendingOrder = serde_json::from_value(answer)
            .map_err(|e| PosError::ServerUnreachable(format!("the server's answer is not an order: {e}")))?;
        Ok(record_of(&order))
    }

    /// Lets an order go (the customer changed their mind): its lines leave the cart and the
    /// server is told the till no longer holds it. Offline, the lines still leave the cart and
    /// the hold ends by itself at its time; the answer says whether the server was told.
    pub fn pending_order_release(&self, token: &SessionToken, order_id: &str) -> Result<ReleasedOrder> {
        let s = self.authorize(token, Command::PendingOrderRelease)?;
        let order = self.mirrored(order_id)?;
        let mut cart = self.cart_get(token)?;
        let ours: Vec<u32> = cart
            .lines
            .iter()
            .filter(|l| l.origin.as_ref().is_some_and(|o| o.kind == "pending_order" && o.reference == order.order_id))
            .map(|l| l.line_no)
            .collect();
        for line_no in ours {
            cart = self.cart_remove(token, line_no)?;
        }
        let (record, server_told) = match self.release_at_server(&order.order_id) {
            Ok(r) => (r, true),
            Err(e) => {
                tracing::warn!(order_id = %order.order_id, "release not told to the server: {e}");
                (order.clone(), false)
            }
        };
        let detail =
            json!({ "order_id": order.order_id, "order_number": order.order_number, "server_told": server_told });
        self.store.pending_order_answered(&record, s.user_id, "pending_order.release", &detail, self.now_ms())?;
        self.publish_pending_count();
        Ok(ReleasedOrder { order: self.order_view(&record, Some(&cart))?, cart, server_told })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_and_ids_are_checked_before_anything_is_sent() {
        assert_eq!(pickup_code(" 123-456 ").unwrap(), "123456");
        assert!(pickup_code("12345").is_err());
        assert!(pickup_code("12345a").is_err());
        assert!(check_order_id("PO-0ZT0BYY9QAZ6").is_ok());
        assert!(check_order_id("PO-").is_err());
        assert!(check_order_id("PO-1/../x").is_err());
        assert!(check_order_id("XX-1").is_err());
    }

    #[test]
    fn the_servers_refusals_get_their_own_codes() {
        let refused = |c: &str| refusal(PosError::ServerRefused { code: c.into(), message: "m".into() }).code();
        assert_eq!(refused("wrong_pickup_code"), ErrorCode::WrongPickupCode);
        assert_eq!(refused("order_reserved"), ErrorCode::OrderReserved);
        assert_eq!(refused("order_expired"), ErrorCode::OrderClosed);
        assert_eq!(refused("pickup_code_locked"), ErrorCode::PickupCodeLocked);
        assert_eq!(refused("bad_signature"), ErrorCode::ServerRefused);
        assert_eq!(refusal(PosError::ServerUnreachable("x".into())).code(), ErrorCode::ServerUnreachable);
    }
}
