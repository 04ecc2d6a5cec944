//! The HTTP endpoints. Each module parses and checks its request, then applies it inside one
//! transaction; this module holds what they share: the request context, the state-changing
//! events (which the batch endpoint also takes) and how an event is submitted exactly once.

pub mod batch;
pub mod catalogue;
pub mod device_services;
pub mod line_origins;
pub mod lookups;
pub mod merchant_orders;
pub mod payment_codes;
pub mod pending_orders;
pub mod points;
pub mod refund_check;
pub mod refund_photos;
pub mod refunds;
pub mod sales;
pub mod services;
pub mod terminals;

use crate::error::ApiError;
use crate::idempotency::{self, Outcome, Reply};
use crate::payments::{self, reversal, AuthorizeRequest};
use crate::repo::Tx;
use crate::signing::HEADER_IDEMPOTENCY_KEY;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Extension;

// Ctx and blocking live in crate::state, below both the routes and the payments sandbox; the
// re-exports keep `routes::Ctx` and `super::blocking` working for the endpoint modules.
pub(crate) use crate::state::blocking;
pub use crate::state::Ctx;
use crate::state::{AppState, AuthedTerminal};

/// The kinds of state-changing event, as named in a batch: till-core's, shared with the till's
/// sync worker (its `path` is part of the request hash).
pub use till_core::ServerEventKind as EventKind;

/// A parsed and checked state-changing request.
pub(crate) enum Event {
    Sale(sales::SaleRequest),
    Refund(refunds::RefundRequest),
    PointsEnrol(points::EnrolRequest),
    PointsUpdate(points::PointsUpdateRequest),
    PointsReversal(points::PointsReversalRequest),
    Authorize(AuthorizeRequest),
    Reversal(reversal::ReversalRequest),
    CodePayment(payments::code::CodePaymentRequest),
    ServiceOrder(till_api::device_services::ServiceOrderRequest),
    SoftwareUpdate(till_api::device_services::SoftwareUpdateRequest),
    RefundPhoto(refund_photos::CheckedPhoto),
}

impl Event {
    /// Reads and checks an event of `kind` from its JSON body; nothing is claimed or changed yet.
    pub(crate) fn parse(kind: EventKind, value: serde_json::Value) -> Result<Event, ApiError> {
        use crate::wire::from_value;
        Ok(match kind {
            EventKind::Sale => {
                let r: sales::SaleRequest = from_value(value)?;
                sales::validate(&r)?;
                Event::Sale(r)
            }
            EventKind::Refund => {
                let r: refunds::RefundRequest = from_value(value)?;
                refunds::validate(&r)?;
                Event::Refund(r)
            }
            EventKind::PointsEnrol => {
                let r: points::EnrolRequest = from_value(value)?;
                points::validate_enrol(&r)?;
                Event::PointsEnrol(r)
            }
            EventKind::PointsUpdate => {
                let r: points::PointsUpdateRequest = from_value(value)?;
                points::validate_update(&r)?;
                Event::PointsUpdate(r)
            }
            EventKind::PointsReversal => {
                let r: points::PointsReversalRequest = from_value(value)?;
                points::validate_reversal(&r)?;
                Event::PointsReversal(r)
            }
            EventKind::PaymentAuthorize => {
                let r: AuthorizeRequest = from_value(value)?;
                payments::validate(&r)?;
                Event::Authorize(r)
            }
            EventKind::PaymentReversal => {
                let r: reversal::ReversalRequest = from_value(value)?;
                reversal::validate(&r)?;
                Event::Reversal(r)
            }
            EventKind::PaymentCode => {
                let r: payments::code::CodePaymentRequest = from_value(value)?;
                payments::code::validate(&r)?;
                Event::CodePayment(r)
            }
            EventKind::ServiceOrder => Event::ServiceOrder(device_services::parse_service_order(value)?),
            EventKind::SoftwareUpdate => Event::SoftwareUpdate(device_services::parse_software_update(value)?),
            EventKind::RefundPhoto => Event::RefundPhoto(refund_photos::check(from_value(value)?)?),
        })
    }

    /// Applies the event inside `tx`.
    pub(crate) fn apply(&self, tx: &mut dyn Tx, ctx: &Ctx) -> Result<Reply, ApiError> {
        match self {
            Event::Sale(r) => sales::record(tx, ctx, r),
            Event::Refund(r) => refunds::request(tx, ctx, r),
            Event::PointsEnrol(r) => points::enrol(tx, ctx, r),
            Event::PointsUpdate(r) => points::update(tx, ctx, r),
            Event::PointsReversal(r) => points::reverse(tx, ctx, r),
            Event::Authorize(r) => payments::authorize(tx, ctx, r),
            Event::Reversal(r) => reversal::reverse(tx, ctx, r),
            Event::CodePayment(r) => payments::code::pay(tx, ctx, r),
            Event::ServiceOrder(r) => device_services::record_service_order(tx, ctx, r),
            Event::SoftwareUpdate(r) => device_services::record_software_update(tx, ctx, r),
            Event::RefundPhoto(p) => refund_photos::store(tx, ctx, p),
        }
    }
}

/// The reply as an HTTP response; replays carry `Idempotent-Replayed: true`.
pub(crate) fn outcome_response(outcome: Outcome) -> Response {
    let replayed = matches!(outcome, Outcome::Replayed(_));
    let reply = match outcome {
        Outcome::Fresh(r) | Outcome::Replayed(r) => r,
    };
    let status = StatusCode::from_u16(reply.status).unwrap_or(StatusCode::OK);
    let mut resp = (status, [(axum::http::header::CONTENT_TYPE, "application/json")], reply.body).into_response();
    if replayed {
        resp.headers_mut().insert("idempotent-replayed", HeaderValue::from_static("true"));
    }
    resp
}

/// Submits one state-changing request: key, parse, check, then claim + effect + stored response
/// in one transaction.
pub(crate) async fn submit(
    app: &AppState,
    terminal: &AuthedTerminal,
    headers: &HeaderMap,
    body: &[u8],
    kind: EventKind,
) -> Result<Response, ApiError> {
    let key = headers
        .get(HEADER_IDEMPOTENCY_KEY)
        .and_then(|v| v.to_str().ok())
        .ok_or(ApiError::MissingIdempotencyKey)?
        .to_string();
    idempotency::validate_key(&key)?;
    let value = crate::wire::parse_json(body)?;
    let hash = idempotency::request_hash("POST", kind.path(), &value);
    let event = Event::parse(kind, value)?;
    let ctx = app.ctx(terminal);
    let repo = app.repo.clone();
    let outcome = blocking(move || {
        let mut tx = repo.begin()?;
        let outcome = idempotency::run(&mut *tx, &ctx.terminal_id, &key, &hash, ctx.now, |tx| event.apply(tx, &ctx))?;
        tx.commit()?;
        Ok(outcome)
    })
    .await?;
    Ok(outcome_response(outcome))
}

/// Shared body of the POST handlers.
pub(crate) async fn post(
    app: AppState,
    terminal: AuthedTerminal,
    headers: HeaderMap,
    body: axum::body::Bytes,
    kind: EventKind,
) -> Response {
    submit(&app, &terminal, &headers, &body, kind).await.unwrap_or_else(IntoResponse::into_response)
}

/// Authorise a card payment at the sandbox platform.
#[utoipa::path(post, path = "/v1/payments/authorize", tag = "payments",
    request_body = AuthorizeRequest,
    params(("Idempotency-Key" = String, Header, description = "The payment id or outbox event id")),
    responses(
        (status = 200, description = "Approved or declined", body = payments::AuthorizeResponse),
        (status = 400, description = "Malformed request", body = crate::error::ErrorBody),
        (status = 401, description = "Signature refused", body = crate::error::ErrorBody),
        (status = 409, description = "idempotency_conflict or payment_exists", body = crate::error::ErrorBody),
        (status = 422, description = "invalid_card_block, or replayed_card_block: a DUKPT block whose KSN counter is not above the last one taken from its reader (the same block under another payment id, or an older one)", body = crate::error::ErrorBody)),
    security(("till_signature" = [])))]
pub async fn authorize(
    State(app): State<AppState>,
    Extension(t): Extension<AuthedTerminal>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Response {
    post(app, t, headers, body, EventKind::PaymentAuthorize).await
}

/// Reverse (void) an approved card authorisation whose sale the till did not record.
#[utoipa::path(post, path = "/v1/payments/{payment_id}/reversal", tag = "payments",
    request_body = reversal::ReversalRequest,
    params(
        ("payment_id" = String, Path, description = "The payment id of the authorisation (also in the body)"),
        ("Idempotency-Key" = String, Header, description = "The till's reversal event id")),
    responses(
        (status = 200, description = "Reversed", body = reversal::ReversalResponse),
        (status = 400, description = "Malformed request, or the body's payment_id is not the path's", body = crate::error::ErrorBody),
        (status = 401, description = "Signature refused", body = crate::error::ErrorBody),
        (status = 404, description = "payment_not_found: never authorised; the id is now blocked (stored and replayed like a success)", body = crate::error::ErrorBody),
        (status = 409, description = "idempotency_conflict, already_reversed, payment_declined", body = crate::error::ErrorBody),
        (status = 422, description = "amount_mismatch", body = crate::error::ErrorBody)),
    security(("till_signature" = [])))]
pub async fn post_payment_reversal(
    State(app): State<AppState>,
    Extension(t): Extension<AuthedTerminal>,
    payment_id: Result<axum::extract::Path<String>, axum::extract::rejection::PathRejection>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Response {
    let same_id = || -> Result<(), ApiError> {
        let id = payment_id.map(|p| p.0).map_err(|e| ApiError::InvalidRequest(e.body_text()))?;
        let value = crate::wire::parse_json(&body)?;
        if value.get("payment_id").and_then(serde_json::Value::as_str) != Some(id.as_str()) {
            return Err(ApiError::InvalidRequest("the body's payment_id must be the one in the path".into()));
        }
        Ok(())
    };
    if let Err(e) = same_id() {
        return e.into_response();
    }
    post(app, t, headers, body, EventKind::PaymentReversal).await
}

/// Record a completed sale.
#[utoipa::path(post, path = "/v1/sales", tag = "sales", request_body = sales::SaleRequest,
    params(("Idempotency-Key" = String, Header, description = "The outbox event id")),
    responses(
        (status = 201, description = "Recorded", body = sales::SaleRecorded),
        (status = 400, description = "Invalid sale", body = crate::error::ErrorBody),
        (status = 401, description = "Signature refused", body = crate::error::ErrorBody),
        (status = 409, description = "idempotency_conflict, order_exists, line_code_exists, device_already_sold, payment_recorded (a card payment's payment_id already named by another sale)", body = crate::error::ErrorBody)),
    security(("till_signature" = [])))]
pub async fn post_sale(
    State(app): State<AppState>,
    Extension(t): Extension<AuthedTerminal>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Response {
    post(app, t, headers, body, EventKind::Sale).await
}

/// Ask for a refund by line code or device identifier.
#[utoipa::path(post, path = "/v1/refunds", tag = "refunds", request_body = refunds::RefundRequest,
    params(("Idempotency-Key" = String, Header, description = "The outbox event id")),
    responses(
        (status = 201, description = "Decided by till_core::refund::decide: refunded (decided_by policy, or shop_manager: a manager of the shop approved a line the shop sold itself), or pending_seller_confirmation (a line below the threshold sold for another seller or not approved, or hold_for_seller)", body = refunds::RefundResponse),
        (status = 400, description = "Malformed request (also a refund_id of `check`)", body = crate::error::ErrorBody),
        (status = 404, description = "Unknown line code or device, or another merchant's (the same answer)", body = crate::error::ErrorBody),
        (status = 409, description = "idempotency_conflict or refund_exists", body = crate::error::ErrorBody),
        (status = 422, description = "refund_exceeds_paid, authorization_mismatch, or card_sale_not_authorised: the money would go back to a card whose payment has no approved authorisation on the server (no payment_id, unknown, declined, reversed, another card or a smaller amount)", body = crate::error::ErrorBody)),
    security(("till_signature" = [])))]
pub async fn post_refund(
    State(app): State<AppState>,
    Extension(t): Extension<AuthedTerminal>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Response {
    post(app, t, headers, body, EventKind::Refund).await
}

/// Enrol a customer in the points programme.
#[utoipa::path(post, path = "/v1/points/enrol", tag = "points", request_body = points::EnrolRequest,
    params(("Idempotency-Key" = String, Header, description = "The outbox event id")),
    responses((status = 201, description = "Account created", body = points::EnrolResponse)),
    security(("till_signature" = [])))]
pub async fn post_enrol(
    State(app): State<AppState>,
    Extension(t): Extension<AuthedTerminal>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Response {
    post(app, t, headers, body, EventKind::PointsEnrol).await
}

/// Earn or redeem points with a loyalty token.
#[utoipa::path(post, path = "/v1/points/updates", tag = "points", request_body = points::PointsUpdateRequest,
    params(("Idempotency-Key" = String, Header, description = "The outbox event id")),
    responses(
        (status = 200, description = "Applied", body = points::AccountSummary),
        (status = 422, description = "invalid_token, token_does_not_cover, token_replayed, token_expired, insufficient_points", body = crate::error::ErrorBody)),
    security(("till_signature" = [])))]
pub async fn post_points_update(
    State(app): State<AppState>,
    Extension(t): Extension<AuthedTerminal>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Response {
    post(app, t, headers, body, EventKind::PointsUpdate).await
}

/// Reverse an order's earned points, or return its redeemed points, for a refund (no token).
#[utoipa::path(post, path = "/v1/points/reversals", tag = "points", request_body = points::PointsReversalRequest,
    params(("Idempotency-Key" = String, Header, description = "The outbox event id")),
    responses(
        (status = 200, description = "Applied", body = points::AccountSummary),
        (status = 400, description = "Malformed request", body = crate::error::ErrorBody),
        (status = 404, description = "Unknown points account", body = crate::error::ErrorBody),
        (status = 409, description = "idempotency_conflict or reversal_exists", body = crate::error::ErrorBody),
        (status = 422, description = "no_points_to_reverse, reversal_exceeds_original, insufficient_points", body = crate::error::ErrorBody)),
    security(("till_signature" = [])))]
pub async fn post_points_reversal(
    State(app): State<AppState>,
    Extension(t): Extension<AuthedTerminal>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Response {
    post(app, t, headers, body, EventKind::PointsReversal).await
}
