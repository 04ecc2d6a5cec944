//! The endpoints of customers' payment codes at the sandbox platform ([`crate::payments::code`]):
//! submit a code with its amount, and ask where it stands while the customer confirms.

use super::{blocking, post, EventKind};
use crate::error::ApiError;
use crate::payments::code;
use crate::state::{AppState, AuthedTerminal};
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};

/// Charge a customer's payment code.
#[utoipa::path(post, path = "/v1/payments/code", tag = "payments",
    request_body = till_api::payment_codes::CodePaymentRequest,
    params(("Idempotency-Key" = String, Header, description = "The payment id")),
    responses(
        (status = 200, description = "paid, declined (with reason_code) or user_paying", body = till_api::payment_codes::CodePaymentResponse),
        (status = 400, description = "Malformed request, or not a payment code", body = crate::error::ErrorBody),
        (status = 401, description = "Signature refused", body = crate::error::ErrorBody),
        (status = 409, description = "idempotency_conflict, payment_exists, payment_reversed", body = crate::error::ErrorBody)),
    security(("till_signature" = [])))]
pub async fn post_code(
    State(app): State<AppState>,
    Extension(t): Extension<AuthedTerminal>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Response {
    post(app, t, headers, body, EventKind::PaymentCode).await
}

/// Where a payment-code payment stands (ask every 5 s while `user_paying`).
#[utoipa::path(get, path = "/v1/payments/code/{payment_id}", tag = "payments",
    params(("payment_id" = String, Path, description = "The till's payment id")),
    responses(
        (status = 200, description = "Where it stands", body = till_api::payment_codes::CodePaymentResponse),
        (status = 404, description = "payment_not_found", body = crate::error::ErrorBody)),
    security(("till_signature" = [])))]
pub async fn get_code(
    State(app): State<AppState>,
    Extension(t): Extension<AuthedTerminal>,
    payment_id: Result<Path<String>, axum::extract::rejection::PathRejection>,
) -> Response {
    let payment_id = match payment_id {
        Ok(p) => p.0,
        Err(e) => return ApiError::InvalidRequest(e.body_text()).into_response(),
    };
    let ctx = app.ctx(&t);
    let repo = app.repo.clone();
    // A write transaction: a customer's answer on the phone is stored when first seen.
    let answer = blocking(move || {
        let mut tx = repo.begin()?;
        let r = code::query(&mut *tx, &ctx, &payment_id)?;
        tx.commit()?;
        Ok(r)
    })
    .await;
    match answer {
        Ok(r) => Json(r).into_response(),
        Err(e) => e.into_response(),
    }
}
