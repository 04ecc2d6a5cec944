//! Calls to a remote service that the counter waits for (enrolling a customer, a points
//! balance, a customer's reputation, a sold device, a refund's decision): one signed request
//! with a short timeout, its answer or a typed error. Changes of money never go this way; they
//! go through the outbox.

use crate::error::{PosError, Result};
use crate::ipc::sync::Service;
use crate::mutex::lock;
use crate::Pos;
use rand::rngs::StdRng;
use rand::SeedableRng;
use serde::Deserialize;
use std::time::Duration;

/// How long the counter waits for a server.
pub const COUNTER_TIMEOUT: Duration = Duration::from_secs(4);

impl Pos {
    /// Sends one signed request to `service`'s server and returns its JSON answer; a 4xx or 5xx
    /// answer becomes [`PosError::ServerRefused`] with the server's code.
    pub(crate) fn server_call(
        &self,
        service: Service,
        method: &str,
        path: &str,
        body: Option<&serde_json::Value>,
        idempotency_key: Option<&str>,
    ) -> Result<serde_json::Value> {
        let answer = self.server_call_answer(service, method, path, body, idempotency_key, COUNTER_TIMEOUT)?;
        if (200..300).contains(&answer.status) {
            return serde_json::from_str(&answer.body)
                .map_err(|e| PosError::ServerUnreachable(format!("the server's answer is not JSON: {e}")));
        }
        #[derive(Deserialize)]
        struct ErrorBody {
            code: String,
            message: String,
        }
        match serde_json::from_str::<ErrorBody>(&answer.body) {
            Ok(e) if answer.status < 500 => Err(PosError::ServerRefused { code: e.code, message: e.message }),
            _ => Err(PosError::ServerUnreachable(format!("HTTP {}", answer.status))),
        }
    }

    /// One signed request with its own `timeout`; the verified answer's status and body, any
    /// status. For callers that read the server's error codes themselves (a service round's
    /// `provider_unavailable` is a 502 with a code the till shows).
    pub(crate) fn server_call_answer(
        &self,
        service: Service,
        method: &str,
        path: &str,
        body: Option<&serde_json::Value>,
        idempotency_key: Option<&str>,
        timeout: Duration,
    ) -> Result<ServerAnswer> {
        let creds = self.sync_credentials()?.ok_or(PosError::SyncNotConfigured)?;
        let mut config = creds.config_for(service);
        config.connect_timeout = timeout.min(COUNTER_TIMEOUT);
        config.request_timeout = timeout;
        let client = till_client::Client::new(&config).map_err(|e| PosError::ServerUnreachable(e.to_string()))?;
        let mut rng = StdRng::from_rng(&mut **lock(&self.rng)).map_err(|e| PosError::Internal(e.to_string()))?;
        let bytes = body.map(|b| b.to_string()).unwrap_or_default();
        let answer = client
            .send(method, path, bytes.as_bytes(), idempotency_key, self.now_ms().div_euclid(1000), &mut rng)
            .map_err(|e| PosError::ServerUnreachable(e.to_string()))?;
        Ok(ServerAnswer { status: answer.status, body: answer.body })
    }
}

/// A verified answer of the server: its status and body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ServerAnswer {
    /// HTTP status.
    pub status: u16,
    /// The body text.
    pub body: String,
}
