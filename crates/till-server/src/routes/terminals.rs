//! `POST /v1/terminals/enrol`: the one unsigned state-changing route. A till that has only the
//! installer's one-time code exchanges it for its terminal id and secret (crate::enrolment
//! does the exchange); the body is read here under a small limit of its own, since the signing
//! check that limits every other body does not run for this route.

use crate::enrolment;
use crate::error::{ApiError, ErrorBody};
use crate::state::{blocking, AppState};
use axum::body::Body;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use axum::Json;
use till_api::enrolment::{TerminalEnrolRequest, TerminalEnrolResponse};

/// The path of the route (outside the signing check).
pub const ENROL_PATH: &str = "/v1/terminals/enrol";

/// The largest body accepted: a code is 19 characters; room for spaces and JSON around it.
pub const ENROL_BODY_LIMIT: usize = 1024;

/// Exchanges a one-time enrolment code for the terminal's id and secret, once.
#[utoipa::path(post, path = "/v1/terminals/enrol", tag = "terminals",
    request_body = TerminalEnrolRequest,
    responses(
        (status = 200, description = "The terminal's id and secret; the code is used up", body = TerminalEnrolResponse),
        (status = 400, description = "malformed_json: not JSON, or no enrolment_code", body = ErrorBody),
        (status = 401, description = "enrolment_code_invalid (no such code, or not a code); terminal_disabled", body = ErrorBody),
        (status = 410, description = "enrolment_code_used, enrolment_code_expired", body = ErrorBody),
        (status = 413, description = "payload_too_large", body = ErrorBody),
        (status = 429, description = "too_many_enrolment_attempts: too many wrong codes in the last minute", body = ErrorBody)))]
pub async fn post_terminal_enrol(State(app): State<AppState>, body: Body) -> Response {
    let result = async {
        let bytes = axum::body::to_bytes(body, ENROL_BODY_LIMIT)
            .await
            .map_err(|_| ApiError::PayloadTooLarge(ENROL_BODY_LIMIT))?;
        let request: TerminalEnrolRequest =
            serde_json::from_slice(&bytes).map_err(|e| ApiError::MalformedJson(e.to_string()))?;
        let now = app.clock.now_unix();
        let repo = app.repo.clone();
        blocking(move || enrolment::exchange(&*repo, &request.enrolment_code, now)).await
    }
    .await;
    match result {
        Ok(answer) => Json(answer).into_response(),
        Err(e) => e.into_response(),
    }
}
