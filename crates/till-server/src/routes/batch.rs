//! `POST /v1/sync/batch`: many events in one request, one result each.
//!
//! The events run in one transaction, each inside its own savepoint, so a refused event is
//! undone alone and the others stand, and the whole batch costs one commit (one fsync). Each
//! event carries its own idempotency key and is hashed exactly as if it had been sent alone, so
//! an event first sent alone and then again in a batch (or the other way round) is recognised.

use super::blocking;
use crate::error::{ApiError, ErrorBody};
use crate::idempotency::{self, Outcome};
use crate::state::{AppState, AuthedTerminal};
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};

/// Most events in one batch.
pub const MAX_EVENTS: usize = till_api::MAX_BATCH_EVENTS;

// The batch's bodies are till-api's, shared with the till's sync worker.
pub use till_api::{BatchEvent, BatchRequest, BatchResponse, BatchResult};

fn error_result(key: String, e: &ApiError) -> BatchResult {
    let body = serde_json::to_value(e.body()).unwrap_or(serde_json::Value::Null);
    BatchResult { idempotency_key: key, status: e.status().as_u16(), replayed: false, body }
}

/// Apply many events.
#[utoipa::path(post, path = "/v1/sync/batch", tag = "sync", request_body = BatchRequest,
    responses(
        (status = 200, description = "One result per event", body = BatchResponse),
        (status = 400, description = "Malformed batch", body = ErrorBody),
        (status = 401, description = "Signature refused", body = ErrorBody)),
    security(("till_signature" = [])))]
pub async fn batch(
    State(app): State<AppState>,
    Extension(t): Extension<AuthedTerminal>,
    body: axum::body::Bytes,
) -> Response {
    match run(app, t, &body).await {
        Ok(r) => Json(r).into_response(),
        Err(e) => e.into_response(),
    }
}

async fn run(app: AppState, t: AuthedTerminal, body: &[u8]) -> Result<BatchResponse, ApiError> {
    let req: BatchRequest = crate::wire::from_value(crate::wire::parse_json(body)?)?;
    if req.events.is_empty() || req.events.len() > MAX_EVENTS {
        return Err(ApiError::InvalidRequest(format!("a batch has 1 to {MAX_EVENTS} events")));
    }
    // Parse and check every event first; the ones that fail here never touch storage.
    let prepared: Vec<_> = req
        .events
        .into_iter()
        .map(|ev| {
            let key = ev.idempotency_key;
            // Payment authorisations are taken too: a till forwards the payments it approved
            // offline (store-and-forward) through its outbox like any other event.
            let checked = idempotency::validate_key(&key).and_then(|()| {
                let hash = idempotency::request_hash("POST", ev.kind.path(), &ev.body);
                Ok((hash, super::Event::parse(ev.kind, ev.body)?))
            });
            (key, checked)
        })
        .collect();
    let ctx = app.ctx(&t);
    let repo = app.repo.clone();
    blocking(move || {
        let mut tx = repo.begin()?;
        let mut results = Vec::with_capacity(prepared.len());
        for (key, checked) in prepared {
            let (hash, event) = match checked {
                Ok(c) => c,
                Err(e) => {
                    results.push(error_result(key, &e));
                    continue;
                }
            };
            tx.savepoint("batch_event")?;
            match idempotency::run(&mut *tx, &ctx.terminal_id, &key, &hash, ctx.now, |tx| event.apply(tx, &ctx)) {
                Ok(outcome) => {
                    tx.release("batch_event")?;
                    let replayed = matches!(outcome, Outcome::Replayed(_));
                    let reply = outcome.reply();
                    let body = serde_json::from_str(&reply.body).map_err(|e| ApiError::Internal(e.to_string()))?;
                    results.push(BatchResult { idempotency_key: key, status: reply.status, replayed, body });
                }
                // Storage failures abort the whole batch: the client retries it as is.
                Err(e @ (ApiError::Storage(_) | ApiError::Internal(_))) => return Err(e),
                Err(e) => {
                    tx.rollback_to("batch_event")?;
                    tx.release("batch_event")?;
                    results.push(error_result(key, &e));
                }
            }
        }
        tx.commit()?;
        Ok(BatchResponse { results })
    })
    .await
}
