//! The read-only endpoints: line codes, sold devices, refunds, customers, points accounts, and a
//! signed ping (or, unsigned, a liveness answer).

use super::{blocking, points, refunds::RefundResponse};
use crate::error::{ApiError, ErrorBody};
use crate::scope::Scope;
use crate::state::{AppState, AuthedTerminal};
use crate::wire::Amount;
use axum::extract::rejection::PathRejection;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use serde::Serialize;
use till_core::LineCode;

// The answer bodies are till-api's, shared with the till.
pub use till_api::lookups::{CustomerInfo, LineInfo, SoldDeviceInfo};

/// Answer of the ping: till-api's, shared with the till's connection test.
pub use till_api::Pong;

/// A path parameter, or `invalid_request` (not axum's plain-text rejection) when it is not UTF-8.
fn param(p: Result<Path<String>, PathRejection>) -> Result<String, ApiError> {
    p.map(|Path(v)| v).map_err(|e| ApiError::InvalidRequest(e.body_text()))
}

fn json<T: Serialize>(r: Result<T, ApiError>) -> Response {
    match r {
        Ok(v) => Json(v).into_response(),
        Err(e) => e.into_response(),
    }
}

/// Checks credentials and clock: a signed no-op for the installer's test button. Sent without
/// any signing header it answers only that the server is up (`{server_id, server_time}`,
/// unsigned; see [`alive`]).
#[utoipa::path(get, path = "/v1/ping", tag = "terminals",
    responses((status = 200, body = Pong, description = "Signed request: the terminal, the server and its clock. Without any signing header: only {server_id, server_time}, unsigned (a liveness probe)"), (status = 401, body = ErrorBody)), security(("till_signature" = [])))]
pub async fn ping(State(app): State<AppState>, Extension(t): Extension<AuthedTerminal>) -> Response {
    json(Ok(Pong { terminal_id: t.id, server_id: app.config.server_id.clone(), server_time: app.clock.now_unix() }))
}

/// The answer to a ping without any signing header: the server is up, and nothing else.
pub fn alive(app: &AppState) -> Response {
    json(Ok(till_api::ping::Alive { server_id: app.config.server_id.clone(), server_time: app.clock.now_unix() }))
}

/// The order line behind a line code.
#[utoipa::path(get, path = "/v1/line-codes/{code}", tag = "sales",
    params(("code" = String, Path, description = "Line code, compact or grouped")),
    responses((status = 200, body = LineInfo), (status = 400, body = ErrorBody),
        (status = 404, body = ErrorBody, description = "No such line code, or one another merchant's store sold: the same answer")),
    security(("till_signature" = [])))]
pub async fn line_code(
    State(app): State<AppState>,
    Extension(t): Extension<AuthedTerminal>,
    code: Result<Path<String>, PathRejection>,
) -> Response {
    json(
        async {
            let code = LineCode::parse(&param(code)?)?;
            let repo = app.repo.clone();
            blocking(move || {
                let mut tx = repo.read()?;
                // Another merchant's line is not found, exactly like a code never sold.
                let scope = Scope::of_terminal(&mut *tx, &t.id)?;
                let l = scope.line(&mut *tx, code.as_str())?.ok_or(ApiError::NotFound("line code"))?;
                let o = tx.order(&l.terminal_id, &l.order_id)?.ok_or(ApiError::NotFound("order"))?;
                Ok(LineInfo {
                    line_code: code.grouped(),
                    terminal_id: l.terminal_id,
                    order_id: l.order_id,
                    store: o.store,
                    sold_at: o.created_at,
                    line_no: l.line_no,
                    sku: l.sku,
                    name: l.name,
                    quantity: l.quantity,
                    unit_price: Amount::new(l.unit_price_minor, &l.currency),
                    total: Amount::new(l.total_minor, &l.currency),
                    refunded: Amount::new(l.refunded_minor, &l.currency),
                    refundable: Amount::new(l.total_minor.saturating_sub(l.refunded_minor), &l.currency),
                    seller: l.seller,
                })
            })
            .await
        }
        .await,
    )
}

/// A sold-data list entry as answered (never its identifier, sealed or not).
pub(crate) fn sold_device_info(d: crate::repo::SoldDeviceRecord) -> SoldDeviceInfo {
    SoldDeviceInfo {
        price: Amount::new(d.price_minor, &d.currency),
        blind: d.blind,
        kind: d.kind,
        paying_account: d.paying_account,
        order_id: d.order_id,
        store: d.store,
        terminal_id: d.terminal_id,
        line_code: d.line_code,
        software: d.software,
        warranty_months: d.warranty_months,
        sold_at: d.sold_at,
        refunded: d.refunded,
    }
}

/// The sale of a device by the blind of its IMEI, MEID, ESN or serial number (an identifier in
/// clear is refused: it never crosses the network).
#[utoipa::path(get, path = "/v1/sold-devices/{blind}", tag = "sales",
    params(("blind" = String, Path, description = "The device's blind: HMAC-SHA256 of its identifier under the device identifier key (64 hex digits)")),
    responses((status = 200, body = SoldDeviceInfo), (status = 400, body = ErrorBody),
        (status = 404, body = ErrorBody, description = "The terminal's merchant never sold the device (another merchant's sale is not shown)")),
    security(("till_signature" = [])))]
pub async fn sold_device(
    State(app): State<AppState>,
    Extension(t): Extension<AuthedTerminal>,
    blind: Result<Path<String>, PathRejection>,
) -> Response {
    let blind = match param(blind).and_then(|b| super::device_services::check_blind(&b).map(|()| b)) {
        Ok(b) => b,
        Err(e) => return e.into_response(),
    };
    let repo = app.repo.clone();
    json(
        blocking(move || {
            let mut tx = repo.read()?;
            let scope = Scope::of_terminal(&mut *tx, &t.id)?;
            let d = scope.sold_device(&mut *tx, &blind)?.ok_or(ApiError::NotFound("device"))?;
            Ok(sold_device_info(d))
        })
        .await,
    )
}

/// A refund's current status (a till polls it while the seller decides).
#[utoipa::path(get, path = "/v1/refunds/{refund_id}", tag = "refunds",
    params(("refund_id" = String, Path, description = "The till's refund id")),
    responses((status = 200, body = RefundResponse),
        (status = 404, body = ErrorBody, description = "No such refund, or a refund of another merchant's line: the same answer")),
    security(("till_signature" = [])))]
pub async fn refund(
    State(app): State<AppState>,
    Extension(t): Extension<AuthedTerminal>,
    refund_id: Result<Path<String>, PathRejection>,
) -> Response {
    let refund_id = match param(refund_id) {
        Ok(r) => r,
        Err(e) => return e.into_response(),
    };
    let repo = app.repo.clone();
    json(
        blocking(move || {
            let mut tx = repo.read()?;
            let scope = Scope::of_terminal(&mut *tx, &t.id)?;
            let r = scope.refund(&mut *tx, &refund_id)?.ok_or(ApiError::NotFound("refund"))?;
            Ok(RefundResponse::from(&r))
        })
        .await,
    )
}

/// A customer's reputation and the refund policy's threshold, so a till can tell before it sends
/// a refund whether the refund will be paid at once or wait for the seller.
#[utoipa::path(get, path = "/v1/customers/{customer_id}", tag = "refunds",
    params(("customer_id" = String, Path, description = "The customer id the till sends with refunds; a customer of the terminal's merchant (the same id at another merchant is another customer)")),
    responses((status = 200, body = CustomerInfo), (status = 400, body = ErrorBody)),
    security(("till_signature" = [])))]
pub async fn customer(
    State(app): State<AppState>,
    Extension(t): Extension<AuthedTerminal>,
    customer_id: Result<Path<String>, PathRejection>,
) -> Response {
    let customer_id = match param(customer_id) {
        Ok(c) => c,
        Err(e) => return e.into_response(),
    };
    if let Err(e) = crate::wire::check_text("customer_id", &customer_id, 64) {
        return e.into_response();
    }
    let repo = app.repo.clone();
    let threshold = app.config.refund_reputation_threshold;
    json(
        blocking(move || {
            let mut tx = repo.read()?;
            // The terminal's merchant's customer: the same id at another merchant is another one.
            let reputation = Scope::of_terminal(&mut *tx, &t.id)?.customer_reputation(&mut *tx, &customer_id)?;
            // An unknown customer is not an error: the decision counts them as reputation 0.
            Ok(CustomerInfo { customer_id, reputation, threshold })
        })
        .await,
    )
}

/// A points account: balance, level, promotions and history.
#[utoipa::path(get, path = "/v1/points/accounts/{account_id}", tag = "points",
    params(("account_id" = String, Path, description = "32 hex digits")),
    responses((status = 200, body = points::AccountDetail),
        (status = 404, body = ErrorBody, description = "No such account, or one enrolled at another merchant: the same answer")),
    security(("till_signature" = [])))]
pub async fn points_account(
    State(app): State<AppState>,
    Extension(t): Extension<AuthedTerminal>,
    account_id: Result<Path<String>, PathRejection>,
) -> Response {
    let account_id = match param(account_id) {
        Ok(a) => a,
        Err(e) => return e.into_response(),
    };
    let repo = app.repo.clone();
    let ctx = app.ctx(&t);
    json(
        blocking(move || {
            let mut tx = repo.read()?;
            let scope = Scope::of_terminal(&mut *tx, &ctx.terminal_id)?;
            let a = scope
                .points_account(&mut *tx, &account_id.to_ascii_lowercase())?
                .ok_or(ApiError::NotFound("points account"))?;
            let history = tx
                .points_history(&a.account_id, 50)?
                .into_iter()
                .map(|e| points::HistoryEntry {
                    counter: e.counter,
                    order_id: e.order_id,
                    terminal_id: e.terminal_id,
                    kind: e.kind,
                    delta: e.delta,
                    balance_after: e.balance_after,
                    at: e.at,
                    refund_id: e.refund_id,
                })
                .collect();
            Ok(points::AccountDetail { summary: points::summary(&ctx, &a), history })
        })
        .await,
    )
}
