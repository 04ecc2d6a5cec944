//! Keeping one client from starving the others: a bounded number of requests at once, each
//! answered within a time limit, and bodies read only up to a size that depends on the route.
//!
//! Connection-level limits (header read timeout, idle timeout, open connections) are the
//! listener's, in [`crate::server`]. The middleware here wraps the whole router:
//!
//! 1. the request timeout starts, covering everything below;
//! 2. the request waits at most the queue timeout for one of `max_concurrent_requests` slots,
//!    else it is refused with 503 `server_busy` and `Retry-After: 1`;
//! 3. the signing check ([`crate::app`]) authenticates the headers, then reads the body up to
//!    [`body_limit`] (413 `payload_too_large` beyond it);
//! 4. the endpoint runs; if the request timeout ends first the answer is 503 `request_timeout`.
//!
//! tower's `GlobalConcurrencyLimit` + `LoadShed` and tower-http's `TimeoutLayer` do steps 1 and
//! 2 too, but answer in plain text and either queue without bound or refuse at once; this keeps
//! the `{code, message}` contract and a bounded wait.

use crate::config::Limits;
use crate::error::ApiError;
use axum::extract::{Request, State};
use axum::http::HeaderValue;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Semaphore;

/// The path whose bodies may be as large as `batch_body_limit_bytes`.
pub const BATCH_PATH: &str = "/v1/sync/batch";

/// The path of refund photos, whose bodies may be as large as [`PHOTO_BODY_LIMIT`].
pub const PHOTO_PATH: &str = "/v1/refunds/photos";

/// The largest body of a photo upload: a photo of 5 MiB is about 7 MB in base64; a little over
/// 6 MiB still reaches the route, which answers `photo_too_large` in words rather than
/// `payload_too_large`.
pub const PHOTO_BODY_LIMIT: usize = 8 * 1024 * 1024;

/// The largest body accepted on `path`.
pub fn body_limit(limits: &Limits, path: &str) -> usize {
    if path == BATCH_PATH {
        limits.batch_body_limit_bytes
    } else if path == PHOTO_PATH {
        limits.body_limit_bytes.max(PHOTO_BODY_LIMIT)
    } else {
        limits.body_limit_bytes
    }
}

/// The request slots and time limits shared by every request of one server.
#[derive(Debug, Clone)]
pub struct RequestLimits {
    slots: Arc<Semaphore>,
    queue_timeout: Duration,
    request_timeout: Duration,
}

impl RequestLimits {
    /// Slots and timeouts from the configuration.
    pub fn new(limits: &Limits) -> RequestLimits {
        RequestLimits {
            slots: Arc::new(Semaphore::new(limits.max_concurrent_requests)),
            queue_timeout: Duration::from_millis(limits.queue_timeout_ms),
            request_timeout: Duration::from_millis(limits.request_timeout_ms),
        }
    }
}

/// The middleware: a slot within the queue timeout, an answer within the request timeout.
pub async fn limit(State(limits): State<RequestLimits>, req: Request, next: Next) -> Response {
    let run = async {
        let Ok(Ok(slot)) = tokio::time::timeout(limits.queue_timeout, limits.slots.clone().acquire_owned()).await
        else {
            let mut busy = ApiError::ServerBusy.into_response();
            busy.headers_mut().insert(axum::http::header::RETRY_AFTER, HeaderValue::from_static("1"));
            return busy;
        };
        let answer = next.run(req).await;
        drop(slot);
        answer
    };
    match tokio::time::timeout(limits.request_timeout, run).await {
        Ok(answer) => answer,
        Err(_) => {
            let ms = u64::try_from(limits.request_timeout.as_millis()).unwrap_or(u64::MAX);
            let mut late = ApiError::RequestTimeout(ms).into_response();
            // The client may still be sending a body this server will not read.
            late.headers_mut().insert(axum::http::header::CONNECTION, HeaderValue::from_static("close"));
            late
        }
    }
}
