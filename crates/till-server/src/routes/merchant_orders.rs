//! The merchant's side of orders pending collection (docs/pending-orders.md): a web shop sends
//! an order for its store (`POST /v1/merchant/orders`), reads it (`GET …/{id}`) and may cancel it
//! (`POST …/{id}/cancel`). These routes are outside the terminals' signing check: a merchant
//! proves itself with its API key ([`crate::merchants::authenticate`]).
//!
//! The merchant's own order number makes sending idempotent: the same number with the same body
//! (compared as canonical JSON) answers the order already made, `200` instead of `201`; another
//! body under a used number is `409 order_number_conflict`.

use super::pending_orders::{self, status_now};
use crate::clock::Entropy;
use crate::error::{ApiError, ErrorBody};
use crate::idempotency::request_hash;
use crate::merchants;
use crate::repo::{MerchantOrderLineRecord, MerchantOrderRecord, MerchantRecord, Tx};
use crate::state::{blocking, AppState};
use crate::wire::check_text;
use axum::body::Body;
use axum::extract::rejection::PathRejection;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use till_api::merchant_orders::{Collection, CustomerIn, MerchantOrder, MerchantOrderRequest, OrderStatus};
use till_core::{Currency, Money};

/// The path merchants post orders to.
pub const ORDERS_PATH: &str = "/v1/merchant/orders";

/// The largest body accepted (200 lines of long names fit).
pub const BODY_LIMIT: usize = 256 * 1024;

/// Most lines an order may have.
pub const MAX_LINES: usize = 200;

/// Most of one item an order may ask for.
pub const MAX_QUANTITY: i64 = 10_000;

/// How long an order waits for its customer when the merchant names no expiry.
pub const DEFAULT_LIFETIME_SECS: i64 = 7 * 86_400;

/// The longest an order may wait.
pub const MAX_LIFETIME_SECS: i64 = 30 * 86_400;

/// The merchant's routes (outside the signing check).
pub fn router() -> Router<AppState> {
    Router::new()
        .route(ORDERS_PATH, post(post_order))
        .route("/v1/merchant/orders/{order_id}", get(get_order))
        .route("/v1/merchant/orders/{order_id}/cancel", post(cancel_order))
}

fn authorization(headers: &HeaderMap) -> Option<String> {
    headers.get(axum::http::header::AUTHORIZATION).and_then(|v| v.to_str().ok()).map(str::to_string)
}

fn param(p: Result<Path<String>, PathRejection>) -> Result<String, ApiError> {
    p.map(|Path(v)| v).map_err(|e| ApiError::InvalidRequest(e.body_text()))
}

/// An order's answer: `status`, the body, and `Idempotent-Replayed: true` for a resend.
fn answer(result: Result<(StatusCode, MerchantOrder), ApiError>) -> Response {
    match result {
        Ok((status, order)) => {
            let mut resp = (status, Json(order)).into_response();
            if status == StatusCode::OK {
                resp.headers_mut().insert("idempotent-replayed", HeaderValue::from_static("true"));
            }
            resp
        }
        Err(e) => e.into_response(),
    }
}

/// Send an order for collection at a store.
#[utoipa::path(post, path = "/v1/merchant/orders", tag = "merchant orders",
    request_body = MerchantOrderRequest,
    responses(
        (status = 201, description = "Received: the platform's order id, the pickup code for the customer, the status", body = MerchantOrder),
        (status = 200, description = "The same order number with the same body was sent before: that order, as it stands now (Idempotent-Replayed: true)", body = MerchantOrder),
        (status = 400, description = "malformed_json, invalid_request, invalid_amount (the total is not the lines' sum, or a price is negative), unknown_currency, amount_overflow", body = ErrorBody),
        (status = 401, description = "merchant_key_invalid, merchant_disabled", body = ErrorBody),
        (status = 403, description = "store_not_allowed: the key is for another store", body = ErrorBody),
        (status = 409, description = "order_number_conflict: the number was sent before with another body", body = ErrorBody),
        (status = 413, description = "payload_too_large", body = ErrorBody)),
    security(("merchant_key" = [])))]
pub async fn post_order(State(app): State<AppState>, headers: HeaderMap, body: Body) -> Response {
    let result = async {
        let bytes = axum::body::to_bytes(body, BODY_LIMIT).await.map_err(|_| ApiError::PayloadTooLarge(BODY_LIMIT))?;
        let auth = authorization(&headers);
        let now = app.clock.now_unix();
        let (repo, entropy) = (app.repo.clone(), app.entropy.clone());
        blocking(move || {
            let mut tx = repo.begin()?;
            let merchant = merchants::authenticate(&mut *tx, auth.as_deref())?;
            let value = crate::wire::parse_json(&bytes)?;
            let hash = request_hash("POST", ORDERS_PATH, &value);
            let req: MerchantOrderRequest = crate::wire::from_value(value)?;
            let answer = create(&mut *tx, &merchant, &req, &hash, now, &*entropy)?;
            tx.commit()?;
            Ok(answer)
        })
        .await
    }
    .await;
    answer(result)
}

/// Read one of the merchant's orders.
#[utoipa::path(get, path = "/v1/merchant/orders/{order_id}", tag = "merchant orders",
    params(("order_id" = String, Path, description = "The platform's order id (PO-…)")),
    responses(
        (status = 200, description = "The order as it stands", body = MerchantOrder),
        (status = 401, description = "merchant_key_invalid, merchant_disabled", body = ErrorBody),
        (status = 404, description = "not_found: no such order of this merchant", body = ErrorBody)),
    security(("merchant_key" = [])))]
pub async fn get_order(
    State(app): State<AppState>,
    headers: HeaderMap,
    order_id: Result<Path<String>, PathRejection>,
) -> Response {
    let result = async {
        let order_id = param(order_id)?;
        let auth = authorization(&headers);
        let now = app.clock.now_unix();
        let repo = app.repo.clone();
        blocking(move || {
            let mut tx = repo.read()?;
            let merchant = merchants::authenticate(&mut *tx, auth.as_deref())?;
            let order = own_order(&mut *tx, &merchant, &order_id)?;
            Ok(merchant_view(&order, now))
        })
        .await
    }
    .await;
    match result {
        Ok(order) => Json(order).into_response(),
        Err(e) => e.into_response(),
    }
}

/// Cancel an order that is not being collected.
#[utoipa::path(post, path = "/v1/merchant/orders/{order_id}/cancel", tag = "merchant orders",
    params(("order_id" = String, Path, description = "The platform's order id (PO-…)")),
    responses(
        (status = 200, description = "Cancelled (also when it already was): tills drop it at their next pull", body = MerchantOrder),
        (status = 401, description = "merchant_key_invalid, merchant_disabled", body = ErrorBody),
        (status = 404, description = "not_found", body = ErrorBody),
        (status = 409, description = "order_reserved (a till holds it: the customer is at the counter; try again after reserved_until), order_collected, order_expired", body = ErrorBody)),
    security(("merchant_key" = [])))]
pub async fn cancel_order(
    State(app): State<AppState>,
    headers: HeaderMap,
    order_id: Result<Path<String>, PathRejection>,
) -> Response {
    let result = async {
        let order_id = param(order_id)?;
        let auth = authorization(&headers);
        let now = app.clock.now_unix();
        let repo = app.repo.clone();
        blocking(move || {
            let mut tx = repo.begin()?;
            let merchant = merchants::authenticate(&mut *tx, auth.as_deref())?;
            let mut order = own_order(&mut *tx, &merchant, &order_id)?;
            match status_now(&order, now) {
                OrderStatus::Pending => {
                    order.status = OrderStatus::Cancelled.name().to_string();
                    order.cancelled_at = Some(now);
                    order.reserved_by = None;
                    order.reserved_until = None;
                    order.seq = tx.next_merchant_order_seq()?;
                    tx.update_merchant_order(&order)?;
                    tx.commit()?;
                    tracing::info!(order_id = %order.order_id, "pending order cancelled by the merchant");
                }
                OrderStatus::Cancelled => {}
                OrderStatus::Reserved => {
                    return Err(ApiError::OrderReserved { until: order.reserved_until.unwrap_or(now) })
                }
                OrderStatus::Collected => return Err(ApiError::OrderCollected(order.order_id)),
                OrderStatus::Expired => return Err(ApiError::OrderExpired(order.order_id)),
            }
            Ok(merchant_view(&order, now))
        })
        .await
    }
    .await;
    match result {
        Ok(order) => Json(order).into_response(),
        Err(e) => e.into_response(),
    }
}

/// The merchant's order with this id; another merchant's is not found.
fn own_order(tx: &mut dyn Tx, merchant: &MerchantRecord, order_id: &str) -> Result<MerchantOrderRecord, ApiError> {
    match tx.merchant_order(order_id)? {
        Some(o) if o.merchant_id == merchant.merchant_id => Ok(o),
        _ => Err(ApiError::NotFound("order")),
    }
}

/// Checks a phone number: 5 to 20 digits, an optional leading `+`, spaces and dashes.
fn check_phone(phone: &str) -> Result<(), ApiError> {
    let digits = phone.bytes().filter(u8::is_ascii_digit).count();
    let shape = phone.strip_prefix('+').unwrap_or(phone).bytes().all(|b| b.is_ascii_digit() || b == b' ' || b == b'-');
    if shape && (5..=20).contains(&digits) {
        Ok(())
    } else {
        Err(ApiError::InvalidRequest("customer.phone must be 5 to 20 digits (+, spaces and dashes allowed)".into()))
    }
}

/// Checks the merchant's number: 1 to 64 visible ASCII characters.
fn check_number(number: &str) -> Result<(), ApiError> {
    if (1..=64).contains(&number.len()) && number.bytes().all(|b| b.is_ascii_graphic()) {
        Ok(())
    } else {
        Err(ApiError::InvalidRequest("order_number must be 1 to 64 visible ASCII characters".into()))
    }
}

/// Checks an order and works out its lines' totals and its expiry.
fn check(req: &MerchantOrderRequest, now: i64) -> Result<(Vec<MerchantOrderLineRecord>, Currency, i64), ApiError> {
    check_number(&req.order_number)?;
    merchants::check_store(&req.store)?;
    check_text("customer.name", &req.customer.name, 100)?;
    check_phone(&req.customer.phone)?;
    let currency = Currency::parse(&req.currency)?;
    if req.lines.is_empty() || req.lines.len() > MAX_LINES {
        return Err(ApiError::InvalidRequest(format!("an order has 1 to {MAX_LINES} lines")));
    }
    let mut lines = Vec::with_capacity(req.lines.len());
    for (i, l) in req.lines.iter().enumerate() {
        check_text("sku", &l.sku, 64)?;
        check_text("name", &l.name, 200)?;
        if !(1..=MAX_QUANTITY).contains(&l.quantity) {
            return Err(ApiError::InvalidRequest(format!("quantity {} is not 1 to {MAX_QUANTITY}", l.quantity)));
        }
        if l.unit_price_minor < 0 {
            return Err(ApiError::InvalidAmount(format!("unit_price_minor {} is negative", l.unit_price_minor)));
        }
        let total = Money::new(l.unit_price_minor, currency).checked_mul(l.quantity)?;
        lines.push(MerchantOrderLineRecord {
            line_no: i as i64 + 1,
            sku: l.sku.clone(),
            name: l.name.clone(),
            quantity: l.quantity,
            unit_price_minor: l.unit_price_minor,
            total_minor: total.minor(),
        })
    }
    let total = Money::sum(currency, lines.iter().map(|l| Money::new(l.total_minor, currency)))?;
    if total.minor() != req.total_minor {
        return Err(ApiError::InvalidAmount(format!(
            "total_minor is {} but the lines add up to {}",
            req.total_minor,
            total.minor()
        )));
    }
    if total.minor() == 0 {
        return Err(ApiError::InvalidAmount("an order's total must be above zero".into()));
    }
    let expires_at = req.expires_at.unwrap_or(now.saturating_add(DEFAULT_LIFETIME_SECS));
    if expires_at <= now || expires_at > now.saturating_add(MAX_LIFETIME_SECS) {
        return Err(ApiError::InvalidRequest("expires_at must be in the next 30 days".into()));
    }
    Ok((lines, currency, expires_at))
}

/// A fresh id: `PO-` and 12 Crockford base32 symbols (60 random bits).
fn new_order_id(entropy: &dyn Entropy) -> String {
    const SYMBOLS: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";
    let mut bytes = [0u8; 8];
    entropy.fill(&mut bytes);
    let n = u64::from_le_bytes(bytes);
    let id: String = (0..12).map(|i| SYMBOLS[((n >> (i * 5)) & 31) as usize] as char).collect();
    format!("PO-{id}")
}

/// A fresh pickup code: 6 decimal digits, uniform (rejection sampling, no modulo bias).
fn new_pickup_code(entropy: &dyn Entropy) -> String {
    const LIMIT: u32 = u32::MAX - (u32::MAX % 1_000_000);
    loop {
        let mut bytes = [0u8; 4];
        entropy.fill(&mut bytes);
        let n = u32::from_le_bytes(bytes);
        if n < LIMIT {
            return format!("{:06}", n % 1_000_000);
        }
    }
}

/// Makes the order, or answers the one already made under its number.
pub fn create(
    tx: &mut dyn Tx,
    merchant: &MerchantRecord,
    req: &MerchantOrderRequest,
    hash: &str,
    now: i64,
    entropy: &dyn Entropy,
) -> Result<(StatusCode, MerchantOrder), ApiError> {
    check_number(&req.order_number)?;
    if let Some(existing) = tx.merchant_order_by_number(&merchant.merchant_id, &req.order_number)? {
        if existing.request_hash != hash {
            return Err(ApiError::OrderNumberConflict(req.order_number.clone()));
        }
        return Ok((StatusCode::OK, merchant_view(&existing, now)));
    }
    if req.store != merchant.store {
        return Err(ApiError::StoreNotAllowed(req.store.clone()));
    }
    let (lines, currency, expires_at) = check(req, now)?;
    let order = MerchantOrderRecord {
        order_id: new_order_id(entropy),
        merchant_id: merchant.merchant_id.clone(),
        order_number: req.order_number.clone(),
        request_hash: hash.to_string(),
        store: req.store.clone(),
        customer_name: req.customer.name.clone(),
        customer_phone: req.customer.phone.clone(),
        currency: currency.code().to_string(),
        total_minor: req.total_minor,
        pickup_code: new_pickup_code(entropy),
        status: OrderStatus::Pending.name().to_string(),
        created_at: now,
        expires_at,
        reserved_by: None,
        reserved_until: None,
        pickup_failures: 0,
        collected_terminal: None,
        collected_sale: None,
        collected_at: None,
        collected_flag: None,
        cancelled_at: None,
        seq: tx.next_merchant_order_seq()?,
        lines,
    };
    tx.insert_merchant_order(&order)?;
    tracing::info!(order_id = %order.order_id, store = %order.store, "pending order received");
    Ok((StatusCode::CREATED, merchant_view(&order, now)))
}

/// The order as the merchant sees it.
pub fn merchant_view(o: &MerchantOrderRecord, now: i64) -> MerchantOrder {
    let status = status_now(o, now);
    MerchantOrder {
        order_id: o.order_id.clone(),
        order_number: o.order_number.clone(),
        store: o.store.clone(),
        status,
        pickup_code: o.pickup_code.clone(),
        customer: CustomerIn { name: o.customer_name.clone(), phone: o.customer_phone.clone() },
        currency: o.currency.clone(),
        total_minor: o.total_minor,
        lines: pending_orders::lines_view(o),
        created_at: o.created_at,
        expires_at: o.expires_at,
        reserved_until: (status == OrderStatus::Reserved).then_some(o.reserved_until).flatten(),
        collection: match (&o.collected_terminal, &o.collected_sale, o.collected_at) {
            (Some(t), Some(s), Some(at)) => Some(Collection {
                terminal_id: t.clone(),
                sale_order_id: s.clone(),
                collected_at: at,
                flag: o.collected_flag.clone(),
            }),
            _ => None,
        },
        cancelled_at: o.cancelled_at,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::SeededEntropy;

    #[test]
    fn ids_and_codes_have_their_form() {
        let e = SeededEntropy::new(1);
        let id = new_order_id(&e);
        assert!(id.starts_with("PO-") && id.len() == 15, "{id}");
        let code = new_pickup_code(&e);
        assert!(code.len() == 6 && code.bytes().all(|b| b.is_ascii_digit()), "{code}");
        assert_ne!(new_pickup_code(&e), code);
    }

    #[test]
    fn phones_are_checked() {
        assert!(check_phone("+86 138-0013-8000").is_ok());
        assert!(check_phone("1234").is_err());
        assert!(check_phone("call me").is_err());
        assert!(check_phone("+86+138").is_err());
    }
}
