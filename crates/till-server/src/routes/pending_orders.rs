//! The tills' side of orders pending collection (docs/pending-orders.md), signed like every
//! other till request: the store's orders changed since a cursor (`GET /v1/pending-orders`),
//! holding one while its customer is at the counter (`POST …/{id}/reserve`, which checks the
//! pickup code), letting it go (`POST …/{id}/release`), and [`collected`]: the sale that paid
//! for it marks it collected, in the sale's own transaction.
//!
//! The rules, all on the server's clock:
//! - A till sees and reserves only its own store's orders ([`crate::merchants::store_of`]);
//!   another store's order is `not_found`, so its existence is not told either.
//! - A reservation lasts [`DEFAULT_RESERVE_MINUTES`] (1 to [`MAX_RESERVE_MINUTES`] on request);
//!   while it lasts another till is refused with `order_reserved` and the merchant cannot cancel.
//! - An order expires at `expires_at`, but not while a till holds it: it expires when the
//!   reservation ends. Expiry is written (with a new change position) when a till of the store
//!   next asks, so every till learns it through its cursor.
//! - [`MAX_PICKUP_FAILURES`] wrong pickup codes lock the order at the counter.
//! - The sale collects the order if its till ever reserved it, even when the reservation lapsed,
//!   the order expired or was cancelled meanwhile, or another till holds it now: the money was
//!   taken at the counter, so the sale is never refused for it; the collection is flagged
//!   instead. A till that never reserved it, another store's till, an order collected by another
//!   sale, or lines that do not add up to the order refuse the sale.

use super::blocking;
use crate::error::{ApiError, ErrorBody};
use crate::merchants::store_of;
use crate::repo::{MerchantOrderRecord, Tx};
use crate::state::{AppState, AuthedTerminal};
use crate::wire::CursorQuery;
use axum::extract::rejection::{PathRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Extension, Json, Router};
use std::collections::BTreeMap;
use subtle::ConstantTimeEq;
use till_api::merchant_orders::{CustomerOut, OrderLine, OrderStatus, PendingOrder, PendingOrdersPage, ReserveRequest};

/// How long a reservation lasts unless the till asks otherwise.
pub const DEFAULT_RESERVE_MINUTES: i64 = 10;
/// The longest reservation a till may ask for.
pub const MAX_RESERVE_MINUTES: i64 = 30;
/// Wrong pickup codes allowed before the order is locked at the counter.
pub const MAX_PICKUP_FAILURES: i64 = 5;
/// Orders per page unless the till asks for fewer.
pub const DEFAULT_PAGE: i64 = 100;
/// The most orders per page.
pub const MAX_PAGE: i64 = 500;

/// The tills' routes (inside the signing check).
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/v1/pending-orders", get(list))
        .route("/v1/pending-orders/{order_id}/reserve", post(reserve))
        .route("/v1/pending-orders/{order_id}/release", post(release))
}

/// Where an order stands at `now`: its stored status, with a live reservation shown as
/// `reserved` and a passed expiry (with no live reservation) as `expired`.
pub fn status_now(o: &MerchantOrderRecord, now: i64) -> OrderStatus {
    match OrderStatus::parse(&o.status) {
        Some(OrderStatus::Pending) | None => {
            if o.reserved_by.is_some() && o.reserved_until.is_some_and(|u| u > now) {
                OrderStatus::Reserved
            } else if o.expires_at <= now {
                OrderStatus::Expired
            } else {
                OrderStatus::Pending
            }
        }
        Some(s) => s,
    }
}

/// The lines as answered.
pub fn lines_view(o: &MerchantOrderRecord) -> Vec<OrderLine> {
    o.lines
        .iter()
        .map(|l| OrderLine {
            sku: l.sku.clone(),
            name: l.name.clone(),
            quantity: l.quantity,
            unit_price_minor: l.unit_price_minor,
            total_minor: l.total_minor,
        })
        .collect()
}

/// The order as a till of its store sees it: no pickup code, the phone's last four digits.
pub fn till_view(o: &MerchantOrderRecord, terminal: &str, now: i64) -> PendingOrder {
    let status = status_now(o, now);
    let digits: Vec<char> = o.customer_phone.chars().filter(char::is_ascii_digit).collect();
    let phone_tail: String = digits[digits.len().saturating_sub(4)..].iter().collect();
    PendingOrder {
        order_id: o.order_id.clone(),
        order_number: o.order_number.clone(),
        status,
        customer: CustomerOut { name: o.customer_name.clone(), phone_tail },
        currency: o.currency.clone(),
        total_minor: o.total_minor,
        lines: lines_view(o),
        created_at: o.created_at,
        expires_at: o.expires_at,
        reserved_until: (status == OrderStatus::Reserved).then_some(o.reserved_until).flatten(),
        reserved_by_you: status == OrderStatus::Reserved && o.reserved_by.as_deref() == Some(terminal),
        pickup_attempts_left: MAX_PICKUP_FAILURES.saturating_sub(o.pickup_failures).max(0),
        version: o.seq,
    }
}

/// Writes the expiry of the store's orders that are due and not held by a till, each with a new
/// change position so the tills following the store see it.
pub fn expire_due(tx: &mut dyn Tx, store: &str, now: i64) -> Result<(), ApiError> {
    for id in tx.merchant_orders_due(store, now)? {
        let Some(mut o) = tx.merchant_order(&id)? else { continue };
        if status_now(&o, now) == OrderStatus::Expired {
            o.status = OrderStatus::Expired.name().to_string();
            o.reserved_by = None;
            o.reserved_until = None;
            o.seq = tx.next_merchant_order_seq()?;
            tx.update_merchant_order(&o)?;
        }
    }
    Ok(())
}

/// The order `order_id` if it is one of the terminal's store's.
fn store_order(tx: &mut dyn Tx, terminal: &str, order_id: &str) -> Result<MerchantOrderRecord, ApiError> {
    let store = store_of(tx, terminal)?;
    match tx.merchant_order(order_id)? {
        Some(o) if o.store == store => Ok(o),
        _ => Err(ApiError::NotFound("pending order")),
    }
}

/// The store's orders changed since a cursor.
#[utoipa::path(get, path = "/v1/pending-orders", tag = "pending orders",
    params(
        ("since" = Option<String>, Query, description = "The cursor of the last page; absent or 0 for the start (then orders already collected, cancelled or expired are left out)"),
        ("limit" = Option<i64>, Query, description = "Orders per page, 1 to 500 (default 100)")),
    responses(
        (status = 200, description = "The changed orders of the terminal's store, oldest change first, the cursor for next time, and whether more wait", body = PendingOrdersPage),
        (status = 400, description = "invalid_request: a cursor or limit that is not a number in range", body = ErrorBody),
        (status = 401, description = "Signature refused", body = ErrorBody)),
    security(("till_signature" = [])))]
pub async fn list(
    State(app): State<AppState>,
    Extension(t): Extension<AuthedTerminal>,
    query: Result<Query<CursorQuery>, QueryRejection>,
) -> Response {
    let result = async {
        let Query(q) = query.map_err(|e| ApiError::InvalidRequest(e.body_text()))?;
        let (since, limit) = q.page(DEFAULT_PAGE, MAX_PAGE)?;
        let now = app.clock.now_unix();
        let repo = app.repo.clone();
        blocking(move || {
            // A write transaction: due expiries are written first, so the page tells them.
            let mut tx = repo.begin()?;
            let store = store_of(&mut *tx, &t.id)?;
            expire_due(&mut *tx, &store, now)?;
            let mut changed = tx.merchant_orders_changed(&store, since, limit + 1)?;
            tx.commit()?;
            let more = changed.len() as i64 > limit;
            changed.truncate(limit as usize);
            let cursor = changed.last().map_or(since, |o| o.seq);
            let orders = changed
                .iter()
                .map(|o| till_view(o, &t.id, now))
                // A till starting from nothing needs only the orders still to collect.
                .filter(|o| since > 0 || !o.status.is_final())
                .collect();
            Ok(PendingOrdersPage { orders, cursor: cursor.to_string(), more })
        })
        .await
    }
    .await;
    match result {
        Ok(page) => Json(page).into_response(),
        Err(e) => e.into_response(),
    }
}

fn param(p: Result<Path<String>, PathRejection>) -> Result<String, ApiError> {
    p.map(|Path(v)| v).map_err(|e| ApiError::InvalidRequest(e.body_text()))
}

/// The pickup code as typed or scanned: digits only (spaces and dashes dropped).
fn normalise_code(code: &str) -> String {
    code.chars().filter(|c| !matches!(c, ' ' | '-')).collect()
}

/// Hold an order for this till while its customer is at the counter; checks the pickup code.
#[utoipa::path(post, path = "/v1/pending-orders/{order_id}/reserve", tag = "pending orders",
    request_body = ReserveRequest,
    params(("order_id" = String, Path, description = "The platform's order id")),
    responses(
        (status = 200, description = "Reserved to this till until reserved_until (asking again extends it)", body = PendingOrder),
        (status = 400, description = "malformed_json, invalid_request", body = ErrorBody),
        (status = 401, description = "Signature refused", body = ErrorBody),
        (status = 404, description = "not_found: no such order in this till's store", body = ErrorBody),
        (status = 409, description = "order_reserved (another till holds it), order_collected, order_cancelled, order_expired", body = ErrorBody),
        (status = 422, description = "wrong_pickup_code (the attempts left are counted and told), pickup_code_locked", body = ErrorBody)),
    security(("till_signature" = [])))]
pub async fn reserve(
    State(app): State<AppState>,
    Extension(t): Extension<AuthedTerminal>,
    order_id: Result<Path<String>, PathRejection>,
    body: axum::body::Bytes,
) -> Response {
    let result = async {
        let order_id = param(order_id)?;
        let req: ReserveRequest = crate::wire::from_value(crate::wire::parse_json(&body)?)?;
        let minutes = req.minutes.unwrap_or(DEFAULT_RESERVE_MINUTES);
        if !(1..=MAX_RESERVE_MINUTES).contains(&minutes) {
            return Err(ApiError::InvalidRequest(format!("minutes must be 1 to {MAX_RESERVE_MINUTES}")));
        }
        let now = app.clock.now_unix();
        let repo = app.repo.clone();
        blocking(move || {
            let mut tx = repo.begin()?;
            let mut o = store_order(&mut *tx, &t.id, &order_id)?;
            match status_now(&o, now) {
                OrderStatus::Collected => return Err(ApiError::OrderCollected(o.order_id)),
                OrderStatus::Cancelled => return Err(ApiError::OrderCancelled(o.order_id)),
                OrderStatus::Expired => return Err(ApiError::OrderExpired(o.order_id)),
                OrderStatus::Reserved if o.reserved_by.as_deref() != Some(t.id.as_str()) => {
                    return Err(ApiError::OrderReserved { until: o.reserved_until.unwrap_or(now) })
                }
                OrderStatus::Pending | OrderStatus::Reserved => {}
            }
            if o.pickup_failures >= MAX_PICKUP_FAILURES {
                return Err(ApiError::PickupCodeLocked);
            }
            let given = normalise_code(&req.pickup_code);
            let right = bool::from(given.as_bytes().ct_eq(o.pickup_code.as_bytes()));
            o.seq = tx.next_merchant_order_seq()?;
            if !right {
                // The failure is kept (and told to every till through the cursor) although the
                // request is refused: that is what makes guessing 6 digits hopeless.
                o.pickup_failures += 1;
                tx.update_merchant_order(&o)?;
                tx.commit()?;
                tracing::warn!(order_id = %o.order_id, terminal = %t.id, "wrong pickup code");
                let attempts_left = MAX_PICKUP_FAILURES - o.pickup_failures;
                return Err(if attempts_left <= 0 {
                    ApiError::PickupCodeLocked
                } else {
                    ApiError::WrongPickupCode { attempts_left }
                });
            }
            o.reserved_by = Some(t.id.clone());
            o.reserved_until = Some(now.saturating_add(minutes * 60));
            tx.update_merchant_order(&o)?;
            tx.note_merchant_order_reservation(&o.order_id, &t.id, now)?;
            tx.commit()?;
            Ok(till_view(&o, &t.id, now))
        })
        .await
    }
    .await;
    match result {
        Ok(order) => Json(order).into_response(),
        Err(e) => e.into_response(),
    }
}

/// Let go of an order this till holds (the cashier cancelled); nothing when it holds none.
#[utoipa::path(post, path = "/v1/pending-orders/{order_id}/release", tag = "pending orders",
    params(("order_id" = String, Path, description = "The platform's order id")),
    responses(
        (status = 200, description = "Released, or not held by this till: the order as it stands", body = PendingOrder),
        (status = 401, description = "Signature refused", body = ErrorBody),
        (status = 404, description = "not_found: no such order in this till's store", body = ErrorBody)),
    security(("till_signature" = [])))]
pub async fn release(
    State(app): State<AppState>,
    Extension(t): Extension<AuthedTerminal>,
    order_id: Result<Path<String>, PathRejection>,
) -> Response {
    let result = async {
        let order_id = param(order_id)?;
        let now = app.clock.now_unix();
        let repo = app.repo.clone();
        blocking(move || {
            let mut tx = repo.begin()?;
            let mut o = store_order(&mut *tx, &t.id, &order_id)?;
            if status_now(&o, now) == OrderStatus::Reserved && o.reserved_by.as_deref() == Some(t.id.as_str()) {
                o.reserved_by = None;
                o.reserved_until = None;
                o.seq = tx.next_merchant_order_seq()?;
                tx.update_merchant_order(&o)?;
                tx.commit()?;
            }
            Ok(till_view(&o, &t.id, now))
        })
        .await
    }
    .await;
    match result {
        Ok(order) => Json(order).into_response(),
        Err(e) => e.into_response(),
    }
}

/// One sale line of a pending order, as the sale recorded it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CollectedLine {
    /// The platform's order id the line came from (the line origin's reference).
    pub reference: String,
    /// What the sale took for the line, minor units.
    pub total_minor: i64,
    /// Its currency.
    pub currency: String,
}

/// Marks the pending orders a sale's lines came from collected by that sale, inside the sale's
/// transaction (called by `crate::routes::line_origins::recorded` for the `pending_order`
/// lines). An error refuses the sale; see the module's rules for when.
pub fn collected(
    tx: &mut dyn Tx,
    terminal: &str,
    sale_order_id: &str,
    lines: &[CollectedLine],
    now: i64,
) -> Result<(), ApiError> {
    let mut by_order: BTreeMap<&str, (i64, Vec<&str>)> = BTreeMap::new();
    for l in lines {
        let entry = by_order.entry(l.reference.as_str()).or_default();
        entry.0 = entry.0.checked_add(l.total_minor).ok_or(ApiError::AmountOverflow)?;
        entry.1.push(l.currency.as_str());
    }
    for (reference, (paid, currencies)) in by_order {
        let mut o = store_order(tx, terminal, reference)?;
        if o.status == OrderStatus::Collected.name() {
            if o.collected_terminal.as_deref() == Some(terminal) && o.collected_sale.as_deref() == Some(sale_order_id) {
                continue;
            }
            return Err(ApiError::OrderCollected(o.order_id));
        }
        if paid != o.total_minor || currencies.iter().any(|c| *c != o.currency) {
            return Err(ApiError::OrderNotCovered(o.order_id));
        }
        if !tx.merchant_order_reserved_by(&o.order_id, terminal)? {
            return Err(ApiError::OrderNotReserved(o.order_id));
        }
        let holds = o.reserved_by.as_deref() == Some(terminal);
        let flag = match status_now(&o, now) {
            OrderStatus::Cancelled => Some("cancelled_meanwhile"),
            OrderStatus::Expired => Some("expired_meanwhile"),
            _ if o.expires_at <= now => Some("expired_meanwhile"),
            OrderStatus::Reserved if !holds => Some("reserved_elsewhere"),
            OrderStatus::Reserved => None,
            _ => Some("reservation_lapsed"),
        };
        if let Some(f) = flag {
            tracing::warn!(order_id = %o.order_id, terminal, flag = f, "pending order collected late; the sale stands");
        }
        o.status = OrderStatus::Collected.name().to_string();
        o.reserved_by = None;
        o.reserved_until = None;
        o.collected_terminal = Some(terminal.to_string());
        o.collected_sale = Some(sale_order_id.to_string());
        o.collected_at = Some(now);
        o.collected_flag = flag.map(str::to_string);
        o.seq = tx.next_merchant_order_seq()?;
        tx.update_merchant_order(&o)?;
    }
    Ok(())
}
