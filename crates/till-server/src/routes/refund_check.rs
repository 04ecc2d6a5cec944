//! `POST /v1/refunds/check`: what the server would answer to refund requests, asked by a till
//! before any money moves, so the till pays out only what the server will accept.
//!
//! The requests run in order through the very code of `POST /v1/refunds`
//! ([`super::refunds::apply`]) inside one transaction that is never committed: each in its own
//! savepoint, kept when accepted (so a later request of the same line sees what an earlier one
//! reserved) and rolled back when refused (so a refusal does not stop the following checks).
//! Dropping the transaction undoes everything; nothing is written, not even an idempotency key.
//!
//! A check is signed like every till route, so its nonce is spent (a captured check cannot be
//! replayed), but it needs no `Idempotency-Key` and claims none: it has no effect to do once.
//! An `Idempotency-Key` sent with it is ignored.

use super::blocking;
use super::refunds::{self, RefundRequest};
use crate::error::{ApiError, ErrorBody};
use crate::repo::Tx;
use crate::scope::Scope;
use crate::state::{AppState, AuthedTerminal, Ctx};
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use till_core::LineCode;

// The bodies are till-api's, shared with the till.
pub use till_api::refunds::{RefundCheckRequest, RefundCheckResponse, RefundCheckResult};

/// The check's path.
pub const PATH: &str = "/v1/refunds/check";

/// The last segment of [`PATH`]: no refund may take it as its id, or `GET /v1/refunds/{id}`
/// could not reach that refund.
pub const PATH_SEGMENT: &str = "check";

/// Most refund requests in one check (a till checks the lines of one refund at a time).
pub const MAX_REFUNDS: usize = 100;

/// The savepoint each request runs in.
const SAVEPOINT: &str = "refund_check";

/// Check refund requests without making them.
#[utoipa::path(post, path = "/v1/refunds/check", tag = "refunds", request_body = RefundCheckRequest,
    responses(
        (status = 200, description = "One result per request, in order: the status, decision and seller it would get, or the error code and message it would be refused with. Nothing is written.", body = RefundCheckResponse),
        (status = 400, description = "Malformed body, or not 1 to 100 requests", body = ErrorBody),
        (status = 401, description = "Signature refused (also a replayed nonce)", body = ErrorBody)),
    security(("till_signature" = [])))]
pub async fn check(
    State(app): State<AppState>,
    Extension(t): Extension<AuthedTerminal>,
    body: axum::body::Bytes,
) -> Response {
    match run(&app, &t, &body).await {
        Ok(r) => Json(r).into_response(),
        Err(e) => e.into_response(),
    }
}

async fn run(app: &AppState, t: &AuthedTerminal, body: &[u8]) -> Result<RefundCheckResponse, ApiError> {
    let req: RefundCheckRequest = crate::wire::from_value(crate::wire::parse_json(body)?)?;
    if req.refunds.is_empty() || req.refunds.len() > MAX_REFUNDS {
        return Err(ApiError::InvalidRequest(format!(
            "a refund check has 1 to {MAX_REFUNDS} refunds, not {}",
            req.refunds.len()
        )));
    }
    let ctx = app.ctx(t);
    let repo = app.repo.clone();
    blocking(move || {
        // A write transaction, like the refunds themselves: the checks see the state a refund
        // would, with no write interleaving. It is dropped, never committed: rolled back.
        let mut tx = repo.begin()?;
        let mut results = Vec::with_capacity(req.refunds.len());
        let mut sale_reputation: Option<Option<i64>> = None;
        for r in &req.refunds {
            results.push(check_one(&mut *tx, &ctx, r)?);
            if sale_reputation.is_none() {
                sale_reputation = sale(&mut *tx, &ctx, r)?.map(|s| s.reputation);
            }
        }
        drop(tx);
        Ok(RefundCheckResponse {
            results,
            threshold: ctx.config.refund_reputation_threshold,
            reputation: sale_reputation.flatten(),
        })
    })
    .await
}

/// One request, in its own savepoint: kept when accepted, undone when refused. A storage or
/// internal failure ends the whole check (the till treats it as no answer).
fn check_one(tx: &mut dyn Tx, ctx: &Ctx, r: &RefundRequest) -> Result<RefundCheckResult, ApiError> {
    let refused = |e: &ApiError, seller: Option<String>| {
        let ErrorBody { code, message } = e.body();
        RefundCheckResult {
            refund_id: r.refund_id.clone(),
            status: None,
            decision: None,
            seller,
            error_code: Some(code),
            error_message: Some(message),
        }
    };
    if let Err(e) = refunds::validate(r) {
        return Ok(refused(&e, None));
    }
    tx.savepoint(SAVEPOINT)?;
    match refunds::apply(tx, ctx, r) {
        Ok(d) => {
            tx.release(SAVEPOINT)?;
            Ok(RefundCheckResult {
                refund_id: r.refund_id.clone(),
                status: Some(d.record.status),
                decision: Some(d.decision.as_str().to_string()),
                seller: d.seller,
                error_code: None,
                error_message: None,
            })
        }
        Err(e @ (ApiError::Storage(_) | ApiError::Internal(_))) => Err(e),
        Err(e) => {
            // `apply` refuses before it writes today; the savepoint keeps a refusal from
            // leaving anything behind for the following requests should that ever change.
            tx.rollback_to(SAVEPOINT)?;
            tx.release(SAVEPOINT)?;
            let seller = sale(tx, ctx, r)?.and_then(|s| s.seller);
            Ok(refused(&e, seller))
        }
    }
}

/// What the server knows of the sale a refund request names.
struct Sale {
    /// The line's seller.
    seller: Option<String>,
    /// The reputation of the order's customer, when it has one the server knows.
    reputation: Option<i64>,
}

/// The sale behind a request's line code or device identifier; `None` when the server has none
/// (or the request names neither well enough to look).
fn sale(tx: &mut dyn Tx, ctx: &Ctx, r: &RefundRequest) -> Result<Option<Sale>, ApiError> {
    // The same scope as the refund itself: another merchant's sale tells nothing.
    let scope = Scope::of_terminal(tx, &ctx.terminal_id)?;
    let line_code = match (&r.line_code, &r.device_blind) {
        (Some(code), _) => match LineCode::parse(code) {
            Ok(c) => c.as_str().to_string(),
            Err(_) => return Ok(None),
        },
        (None, Some(blind)) => match scope.sold_device(tx, blind)? {
            Some(d) => d.line_code,
            None => return Ok(None),
        },
        (None, None) => return Ok(None),
    };
    let Some(line) = scope.line(tx, &line_code)? else { return Ok(None) };
    let Some(order) = tx.order(&line.terminal_id, &line.order_id)? else { return Ok(None) };
    let reputation = match &order.customer_id {
        Some(c) => scope.customer_reputation(tx, c)?,
        None => None,
    };
    Ok(Some(Sale { seller: line.seller, reputation }))
}
