//! `/v1/services/...`: the service relay's endpoints for tills (crate::services does the work).

use crate::error::{ApiError, ErrorBody};
use crate::services::conversation;
use crate::signing::HEADER_IDEMPOTENCY_KEY;
use crate::state::{AppState, AuthedTerminal};
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use till_api::services::{
    ConversationRequest, ConversationResponse, FollowRequest, FollowResponse, MessageRequest, ProvidersResponse,
    RoundResponse,
};

/// The providers path.
pub const PROVIDERS_PATH: &str = "/v1/services/providers";
/// The follow path.
pub const FOLLOW_PATH: &str = "/v1/services/follow";
/// The conversations path.
pub const CONVERSATIONS_PATH: &str = "/v1/services/conversations";
/// A conversation's rounds.
pub const MESSAGES_PATH: &str = "/v1/services/conversations/{conversation_id}/messages";

fn json_body<T: serde::de::DeserializeOwned>(body: &[u8]) -> Result<T, ApiError> {
    crate::wire::from_value(crate::wire::parse_json(body)?)
}

fn answer<T: serde::Serialize>(r: Result<T, ApiError>) -> Response {
    match r {
        Ok(v) => Json(v).into_response(),
        Err(e) => e.into_response(),
    }
}

/// The service providers the terminal may follow.
#[utoipa::path(get, path = "/v1/services/providers", tag = "services",
    responses((status = 200, description = "Enabled providers, with whether this terminal follows each", body = ProvidersResponse)),
    security(("till_signature" = [])))]
pub async fn providers(State(app): State<AppState>, Extension(t): Extension<AuthedTerminal>) -> Response {
    answer(conversation::list(&app, &t).await)
}

/// Follow a provider's public account (the provider binds the terminal to it).
#[utoipa::path(post, path = "/v1/services/follow", tag = "services", request_body = FollowRequest,
    responses(
        (status = 200, description = "Followed (also when already followed)", body = FollowResponse),
        (status = 404, description = "provider_not_found", body = ErrorBody),
        (status = 502, description = "provider_unavailable, provider_signature_invalid, provider_refused: nothing recorded", body = ErrorBody)),
    security(("till_signature" = [])))]
pub async fn follow(
    State(app): State<AppState>,
    Extension(t): Extension<AuthedTerminal>,
    body: axum::body::Bytes,
) -> Response {
    let run = async { conversation::follow(&app, &t, json_body::<FollowRequest>(&body)?).await };
    answer(run.await)
}

/// Start a conversation with a followed provider (idempotent by conversation id).
#[utoipa::path(post, path = "/v1/services/conversations", tag = "services", request_body = ConversationRequest,
    responses(
        (status = 200, description = "The conversation (new, or as it is)", body = ConversationResponse),
        (status = 404, description = "provider_not_found", body = ErrorBody),
        (status = 409, description = "not_following, conversation_exists", body = ErrorBody)),
    security(("till_signature" = [])))]
pub async fn start(
    State(app): State<AppState>,
    Extension(t): Extension<AuthedTerminal>,
    body: axum::body::Bytes,
) -> Response {
    let run = async { conversation::start(&app, &t, json_body::<ConversationRequest>(&body)?).await };
    answer(run.await)
}

/// One round: the request text goes to the provider, its signed answer comes back.
#[utoipa::path(post, path = "/v1/services/conversations/{conversation_id}/messages", tag = "services",
    request_body = MessageRequest,
    params(
        ("conversation_id" = String, Path, description = "The conversation"),
        ("Idempotency-Key" = String, Header, description = "The round's key: the same key returns the stored answer, or re-sends a failed round")),
    responses(
        (status = 200, description = "The provider's answer: text, an optional amount to pay, done", body = RoundResponse),
        (status = 404, description = "conversation_not_found, provider_not_found", body = ErrorBody),
        (status = 409, description = "idempotency_conflict, conversation_closed, round_pending (retry the last round first), round_in_progress", body = ErrorBody),
        (status = 502, description = "provider_unavailable, provider_signature_invalid, provider_refused, provider_answer_invalid: the round is kept as failed; retry with the same key", body = ErrorBody)),
    security(("till_signature" = [])))]
pub async fn message(
    State(app): State<AppState>,
    Extension(t): Extension<AuthedTerminal>,
    Path(conversation_id): Path<String>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Response {
    let run = async {
        let key = headers
            .get(HEADER_IDEMPOTENCY_KEY)
            .and_then(|v| v.to_str().ok())
            .ok_or(ApiError::MissingIdempotencyKey)?
            .to_string();
        let req: MessageRequest = json_body(&body)?;
        conversation::send_round(&app, &t, conversation_id, key, req).await
    };
    answer(run.await)
}
