//! The bottom of the request path: the shared state, the terminal a signature proved, and the
//! context one request's business logic runs with. Every other module that serves requests
//! builds on this one and it on none of them, so the modules form a one-way graph:
//!
//! ```text
//! app (router, signing check) -> routes (endpoints) -> payments, points, idempotency, wire
//!                                       \-> state (AppState, AuthedTerminal, Ctx) <-/
//! ```

use crate::clock::Entropy;
use crate::config::Config;
use crate::error::ApiError;
use crate::repo::Repository;
use std::sync::Arc;
use till_core::Clock;

/// Everything a request handler needs; cheap to clone.
#[derive(Clone)]
pub struct AppState {
    /// Storage.
    pub repo: Arc<dyn Repository>,
    /// The clock (injected so tests can move it).
    pub clock: Arc<dyn Clock>,
    /// Randomness (injected so tests can fix it).
    pub entropy: Arc<dyn Entropy>,
    /// Policies and sandbox keys. (Nothing that several server processes must share is kept
    /// here: nonces and wrong enrolment codes are in the database.)
    pub config: Arc<Config>,
}

impl AppState {
    /// State over `repo` with the given clock, entropy and configuration.
    pub fn new(repo: Arc<dyn Repository>, clock: Arc<dyn Clock>, entropy: Arc<dyn Entropy>, config: Config) -> Self {
        AppState { repo, clock, entropy, config: Arc::new(config) }
    }

    /// The context of one request from `terminal`, with the clock read once.
    pub fn ctx(&self, terminal: &AuthedTerminal) -> Ctx {
        Ctx {
            terminal_id: terminal.id.clone(),
            now: self.clock.now_unix(),
            config: self.config.clone(),
            entropy: self.entropy.clone(),
        }
    }
}

/// The terminal a request's signature proved, put into the request's extensions by the signing
/// check, for the endpoints and for the layers that sign the answer.
#[derive(Clone, PartialEq, Eq)]
pub struct AuthedTerminal {
    /// Terminal id.
    pub id: String,
    /// The terminal's signing secret (32 bytes), as the signature was checked with.
    pub secret: Vec<u8>,
}

impl std::fmt::Debug for AuthedTerminal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The secret never reaches a log.
        f.debug_struct("AuthedTerminal").field("id", &self.id).finish_non_exhaustive()
    }
}

/// What a request's business logic may use: who asked, when, the configuration, randomness.
#[derive(Clone)]
pub struct Ctx {
    /// The authenticated terminal.
    pub terminal_id: String,
    /// The server's clock at the start of the request.
    pub now: i64,
    /// Policies and keys.
    pub config: Arc<Config>,
    /// Randomness (keys, account ids, auth codes).
    pub entropy: Arc<dyn Entropy>,
}

/// Runs blocking storage work off the async threads.
pub(crate) async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, ApiError> + Send + 'static,
) -> Result<T, ApiError> {
    tokio::task::spawn_blocking(f).await.map_err(|e| ApiError::Internal(format!("worker failed: {e}")))?
}
