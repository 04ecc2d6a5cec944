//! The router: the signing check in front of every endpoint, and the routes. The top of the
//! module graph: it uses [`crate::routes`] and [`crate::state`], and nothing below uses it.

use crate::error::ApiError;
use crate::limits::{self, RequestLimits};
use crate::response_signature;
use crate::routes::{self, batch, lookups, refund_check, services, terminals};
use crate::signing::{self, HEADER_NONCE, HEADER_SIGNATURE, HEADER_TERMINAL, HEADER_TIMESTAMP, TIMESTAMP_WINDOW_SECS};
use crate::state::blocking;
use axum::body::Body;
use axum::extract::{DefaultBodyLimit, Request, State};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;

// The state lives in crate::state (below the routes); these keep `till_server::state::AppState`
// and `app::AuthedTerminal` working for the till's tests, tillctl and the examples.
use crate::state::{AppState, AuthedTerminal};

/// The largest batch body accepted by default (a batch of 1,000 sales fits); other bodies are
/// limited to 1 MiB. Both are `limits` in the configuration.
pub const BODY_LIMIT: usize = crate::config::DEFAULT_BATCH_BODY_LIMIT;

/// The whole API. Every `/v1` route but `POST /v1/terminals/enrol` (and a `GET /v1/ping` with no
/// signing header at all, answered as a liveness probe) requires a valid signature and signs
/// its answer; unknown paths answer `route_not_found`. Every request, unknown paths included,
/// goes through the request limits.
pub fn router(state: AppState) -> Router {
    let request_limits = RequestLimits::new(&state.config.limits);
    Router::new()
        .route("/v1/ping", get(lookups::ping))
        .route("/v1/payments/authorize", post(routes::authorize))
        .route("/v1/payments/{payment_id}/reversal", post(routes::post_payment_reversal))
        .route("/v1/payments/code", post(routes::payment_codes::post_code))
        .route("/v1/payments/code/{payment_id}", get(routes::payment_codes::get_code))
        .route("/v1/sales", post(routes::post_sale))
        .route("/v1/line-codes/{code}", get(lookups::line_code))
        .route("/v1/sold-devices/{blind}", get(lookups::sold_device))
        .route("/v1/refunds", post(routes::post_refund))
        .route(refund_check::PATH, post(refund_check::check))
        .route(routes::refund_photos::PATH, post(routes::refund_photos::post_photo))
        .route("/v1/refunds/{refund_id}", get(lookups::refund))
        .route("/v1/customers/{customer_id}", get(lookups::customer))
        .route("/v1/points/enrol", post(routes::post_enrol))
        .route("/v1/points/updates", post(routes::post_points_update))
        .route("/v1/points/reversals", post(routes::post_points_reversal))
        .route("/v1/points/accounts/{account_id}", get(lookups::points_account))
        .route(limits::BATCH_PATH, post(batch::batch))
        .merge(routes::pending_orders::router())
        .merge(routes::catalogue::router())
        .route(services::PROVIDERS_PATH, get(services::providers))
        .route(services::FOLLOW_PATH, post(services::follow))
        .route(services::CONVERSATIONS_PATH, post(services::start))
        .route(services::MESSAGES_PATH, post(services::message))
        .merge(routes::device_services::routes())
        // Inside the signing check: only answers to requests it let through are signed.
        .route_layer(middleware::from_fn(response_signature::sign_answers))
        .route_layer(middleware::from_fn_with_state(state.clone(), authenticate))
        // After the route layers, so outside the signing check: the till enrolling has no secret
        // yet; its one-time code is what it proves itself with. The request limits still apply.
        .route(terminals::ENROL_PATH, post(terminals::post_terminal_enrol))
        // Merchants prove themselves with their API key, not a terminal's signature.
        .merge(routes::merchant_orders::router())
        // The HQ console: browser pages with their own sign-in, outside the signing check.
        .nest(crate::console::BASE, crate::console::router())
        // `nest` matches `/console` but not `/console/`, which people type too.
        .route("/console/", get(|| async { axum::response::Redirect::permanent(crate::console::BASE) }))
        // The signing check reads the body under the route's limit already; axum's own, smaller
        // default limit would otherwise refuse large batches with a plain-text answer.
        .layer(DefaultBodyLimit::disable())
        .fallback(|| async { ApiError::RouteNotFound.into_response() })
        .method_not_allowed_fallback(|| async { ApiError::MethodNotAllowed.into_response() })
        .layer(middleware::from_fn_with_state(request_limits, limits::limit))
        .with_state(state)
}

/// The signing check: headers, clock window, terminal, body size, HMAC, then the nonce.
async fn authenticate(State(app): State<AppState>, req: Request, next: Next) -> Response {
    if is_unsigned_ping(&req) {
        // Outside the signature check and unsigned: a service manager's or a package test's
        // probe has no terminal. A request with any signing header is checked in full.
        return lookups::alive(&app);
    }
    match check_signature(&app, req).await {
        Ok(req) => next.run(req).await,
        Err(e) => e.into_response(),
    }
}

/// `GET /v1/ping` without any of the four signing headers.
fn is_unsigned_ping(req: &Request) -> bool {
    req.method() == axum::http::Method::GET
        && req.uri().path() == "/v1/ping"
        && [HEADER_TERMINAL, HEADER_TIMESTAMP, HEADER_NONCE, HEADER_SIGNATURE]
            .iter()
            .all(|h| !req.headers().contains_key(*h))
}

/// Everything that can be checked before the body is read is checked first, so a client that
/// is not a registered, enabled terminal with a fresh timestamp never gets the server to read
/// (or wait for) a body; only the HMAC, which covers the body, needs it.
async fn check_signature(app: &AppState, req: Request) -> Result<Request, ApiError> {
    let (mut parts, body) = req.into_parts();
    let header = |name: &str| {
        parts
            .headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
            .ok_or_else(|| ApiError::BadAuthHeaders(format!("{name} is missing")))
    };
    let terminal_id = header(HEADER_TERMINAL)?;
    let timestamp: i64 = header(HEADER_TIMESTAMP)?
        .parse()
        .map_err(|_| ApiError::BadAuthHeaders(format!("{HEADER_TIMESTAMP} is not unix seconds")))?;
    let nonce = header(HEADER_NONCE)?;
    let signature = header(HEADER_SIGNATURE)?;
    if !signing::nonce_is_well_formed(&nonce) {
        return Err(ApiError::BadAuthHeaders(format!("{HEADER_NONCE} is not 32 hex digits")));
    }
    if !signature_is_well_formed(&signature) {
        return Err(ApiError::BadAuthHeaders(format!("{HEADER_SIGNATURE} is not base64 of 32 bytes")));
    }
    let now = app.clock.now_unix();
    let skew = now.saturating_sub(timestamp);
    if skew.saturating_abs() > TIMESTAMP_WINDOW_SECS {
        return Err(ApiError::StaleTimestamp(skew));
    }
    if till_core::TerminalId::parse(&terminal_id).is_err() {
        // Not the form of any terminal id: no need to ask the database.
        return Err(ApiError::UnknownTerminal);
    }
    let repo = app.repo.clone();
    let lookup_id = terminal_id.clone();
    // A read transaction: it does not wait for a write in progress.
    let terminal = blocking(move || Ok(repo.read()?.terminal(&lookup_id)?)).await?.ok_or(ApiError::UnknownTerminal)?;
    if terminal.disabled {
        return Err(ApiError::TerminalDisabled);
    }
    let limit = limits::body_limit(&app.config.limits, parts.uri.path());
    let declared = parts
        .headers
        .get(axum::http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > limit as u64) {
        return Err(ApiError::PayloadTooLarge(limit));
    }
    let bytes = axum::body::to_bytes(body, limit).await.map_err(|_| ApiError::PayloadTooLarge(limit))?;
    let secret =
        hex::decode(&terminal.secret_hex).map_err(|_| ApiError::Internal("stored secret is not hex".into()))?;
    let path = parts.uri.path_and_query().map_or_else(|| parts.uri.path(), |p| p.as_str());
    if !signing::verify(&secret, parts.method.as_str(), path, timestamp, &nonce, &bytes, &signature) {
        return Err(ApiError::BadSignature);
    }
    // Only after the signature: a forger must not be able to fill the table or burn nonces.
    let (repo, id) = (app.repo.clone(), terminal.id.clone());
    if !blocking(move || Ok(signing::claim_nonce(&*repo, &id, &nonce, timestamp, now)?)).await? {
        return Err(ApiError::ReplayedNonce);
    }
    // Later layers (the endpoints, the answer's signature) need who asked and their secret.
    parts.extensions.insert(AuthedTerminal { id: terminal.id, secret });
    Ok(Request::from_parts(parts, Body::from(bytes)))
}

/// Whether a signature header can be a signature at all: base64 (standard, padded) of the 32
/// bytes of an HMAC-SHA256, i.e. 44 characters ending in one `=`.
fn signature_is_well_formed(signature: &str) -> bool {
    use base64::Engine;
    signature.len() == 44
        && base64::engine::general_purpose::STANDARD.decode(signature).is_ok_and(|bytes| bytes.len() == 32)
}
