//! The provider's HTTP side (axum): `POST {base}/follow`, `{base}/message` and `{base}/paid`,
//! each checked against the shared secret and answered signed. `base` is `/relay`, so the
//! endpoint to register on the platform is `http://HOST:PORT/relay`.

use crate::engine::{Engine, RoundError};
use crate::paid::PaidLedger;
use crate::signing::{self, Nonces, RequestHeaders};
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::Router;
use serde::Serialize;
use std::collections::BTreeSet;
use std::sync::{Arc, Mutex, MutexGuard};
use till_api::services::{RelayAck, RelayFollow, RelayMessage, RelayPaid};
use till_core::relay_signing as rs;
use till_core::Clock;

/// The path every route hangs under.
pub const BASE: &str = "/relay";

/// What the provider knows and keeps while it runs.
pub struct ProviderState {
    /// Its public account id on the platform.
    pub account: String,
    secret: Vec<u8>,
    clock: Arc<dyn Clock>,
    engine: Mutex<Engine>,
    paid: Mutex<PaidLedger>,
    nonces: Mutex<Nonces>,
    followers: Mutex<BTreeSet<String>>,
}

impl std::fmt::Debug for ProviderState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never the secret.
        f.debug_struct("ProviderState").field("account", &self.account).finish_non_exhaustive()
    }
}

/// A lock that stays usable after a panic elsewhere (the data is a cache of answers and a
/// ledger written through to disk; a half-finished step leaves nothing inconsistent).
fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl ProviderState {
    /// The state of a provider answering for `account` with `secret`, from `engine`'s table.
    pub fn new(account: &str, secret: Vec<u8>, engine: Engine, paid: PaidLedger, clock: Arc<dyn Clock>) -> Self {
        ProviderState {
            account: account.to_string(),
            secret,
            clock,
            engine: Mutex::new(engine),
            paid: Mutex::new(paid),
            nonces: Mutex::new(Nonces::default()),
            followers: Mutex::new(BTreeSet::new()),
        }
    }

    /// The payments recorded (one per conversation).
    pub fn payments(&self) -> Vec<RelayPaid> {
        lock(&self.paid).payments()
    }

    /// Paid notices received, repeats included.
    pub fn paid_notices(&self) -> u64 {
        lock(&self.paid).notices()
    }

    /// The terminals bound to the account by following it.
    pub fn followers(&self) -> Vec<String> {
        lock(&self.followers).iter().cloned().collect()
    }
}

/// The routes over `state`.
pub fn router(state: Arc<ProviderState>) -> Router {
    Router::new()
        .route(&format!("{BASE}/follow"), post(follow))
        .route(&format!("{BASE}/message"), post(message))
        .route(&format!("{BASE}/paid"), post(paid))
        .with_state(state)
}

#[derive(Serialize)]
struct ErrorBody {
    code: &'static str,
    message: String,
}

/// A signed answer to the request signed with `nonce` (an unsigned one when the request had no
/// usable nonce: the platform refuses it as unsigned anyway).
fn answer<T: Serialize>(s: &ProviderState, nonce: Option<&str>, status: StatusCode, body: &T) -> Response {
    let bytes = serde_json::to_vec(body).unwrap_or_else(|_| b"{}".to_vec());
    let mut resp = (status, [(axum::http::header::CONTENT_TYPE, "application/json")], bytes.clone()).into_response();
    if let Some(nonce) = nonce {
        for (name, value) in signing::answer_headers(&s.secret, nonce, status.as_u16(), s.clock.now_unix(), &bytes) {
            if let Ok(v) = axum::http::HeaderValue::from_str(&value) {
                resp.headers_mut().insert(name, v);
            }
        }
    }
    resp
}

fn error(s: &ProviderState, nonce: Option<&str>, status: StatusCode, code: &'static str, message: String) -> Response {
    answer(s, nonce, status, &ErrorBody { code, message })
}

/// Checks the request's signature and reads its body; `Err` is the answer to send.
fn checked<T: serde::de::DeserializeOwned>(
    s: &ProviderState,
    method: &Method,
    uri: &Uri,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<(T, String), Box<Response>> {
    let get = |name: &str| headers.get(name).and_then(|v| v.to_str().ok()).unwrap_or_default().to_string();
    let nonce = get(rs::HEADER_NONCE);
    let sign_back = rs::nonce_is_well_formed(&nonce).then_some(nonce.as_str());
    let h = RequestHeaders {
        account: get(rs::HEADER_ACCOUNT),
        timestamp: get(rs::HEADER_TIMESTAMP).parse().unwrap_or(i64::MIN),
        nonce: nonce.clone(),
        signature: get(rs::HEADER_SIGNATURE),
    };
    let now = s.clock.now_unix();
    signing::check_request(&s.secret, &s.account, method.as_str(), uri.path(), &h, body, now, &mut lock(&s.nonces))
        .map_err(|e| {
            tracing::warn!(error = %e, "refused a request of the platform");
            Box::new(error(s, sign_back, StatusCode::UNAUTHORIZED, "bad_signature", e.to_string()))
        })?;
    let value: T = serde_json::from_slice(body).map_err(|e| {
        Box::new(error(
            s,
            Some(&nonce),
            StatusCode::BAD_REQUEST,
            "invalid_request",
            format!("not the expected body: {e}"),
        ))
    })?;
    Ok((value, nonce))
}

async fn follow(
    State(s): State<Arc<ProviderState>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let (req, nonce) = match checked::<RelayFollow>(&s, &method, &uri, &headers, &body) {
        Ok(v) => v,
        Err(resp) => return *resp,
    };
    lock(&s.followers).insert(req.terminal_id);
    answer(&s, Some(&nonce), StatusCode::OK, &RelayAck { acknowledged: true })
}

async fn message(
    State(s): State<Arc<ProviderState>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let (req, nonce) = match checked::<RelayMessage>(&s, &method, &uri, &headers, &body) {
        Ok(v) => v,
        Err(resp) => return *resp,
    };
    let result = lock(&s.engine).answer(&req.conversation_id, req.seq, &req.text);
    match result {
        Ok(a) => answer(&s, Some(&nonce), StatusCode::OK, &a),
        Err(e @ RoundError::RoundConflict(_)) => {
            error(&s, Some(&nonce), StatusCode::CONFLICT, "round_conflict", e.to_string())
        }
        Err(e @ RoundError::Done) => error(&s, Some(&nonce), StatusCode::CONFLICT, "conversation_done", e.to_string()),
    }
}

async fn paid(
    State(s): State<Arc<ProviderState>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let (req, nonce) = match checked::<RelayPaid>(&s, &method, &uri, &headers, &body) {
        Ok(v) => v,
        Err(resp) => return *resp,
    };
    let recorded = lock(&s.paid).record(&req);
    match recorded {
        Ok(first) => {
            if first {
                tracing::info!(conversation = %req.conversation_id, minor = req.amount.minor, "paid");
            }
            answer(&s, Some(&nonce), StatusCode::OK, &RelayAck { acknowledged: true })
        }
        // Not written: not acknowledged, so the platform sends it again later.
        Err(e) => error(&s, Some(&nonce), StatusCode::SERVICE_UNAVAILABLE, "not_recorded", e.to_string()),
    }
}
