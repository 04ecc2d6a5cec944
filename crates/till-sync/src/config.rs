//! What the worker needs to know: where the server is, who this till is, how patient to be.

use crate::backoff::BackoffPolicy;
use crate::error::SyncError;
use std::fmt;
use std::time::Duration;

/// The terminal's 32-byte signing secret. Never printed (its `Debug` is redacted).
#[derive(Clone, PartialEq, Eq)]
pub struct Secret([u8; 32]);

impl Secret {
    /// From the 32 raw bytes.
    pub fn new(bytes: [u8; 32]) -> Self {
        Secret(bytes)
    }

    /// From 64 hex digits, as `till-server terminals add` prints it (surrounding white space
    /// ignored, so a secret file may end with a newline).
    pub fn from_hex(text: &str) -> Result<Self, SyncError> {
        let bytes = hex::decode(text.trim()).map_err(|_| SyncError::Config("the secret is not hex".into()))?;
        let arr: [u8; 32] =
            bytes.try_into().map_err(|_| SyncError::Config("the secret must be 32 bytes (64 hex digits)".into()))?;
        Ok(Secret(arr))
    }

    /// The raw bytes, for signing.
    pub fn bytes(&self) -> &[u8; 32] {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(..)")
    }
}

/// How events travel.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Delivery {
    /// Up to `batch_size` events per `POST /v1/sync/batch`, one result each.
    Batched,
    /// One request per event to the event's own endpoint.
    OneByOne,
}

/// Configuration of a [`crate::Syncer`] / [`crate::SyncWorker`].
#[derive(Debug, Clone)]
pub struct SyncConfig {
    /// `http://host:port` or `https://host:port` (no trailing path).
    pub base_url: String,
    /// The terminal id printed by `till-server terminals add`.
    pub terminal_id: String,
    /// The terminal's secret.
    pub secret: Secret,
    /// The store name the server files sales under.
    pub store_name: String,
    /// Longest wait for a TCP (and TLS) connection.
    pub connect_timeout: Duration,
    /// Longest wait for a whole request's answer; past it the attempt counts as failed (and
    /// may still have been applied: the retry finds the stored answer).
    pub request_timeout: Duration,
    /// Most events per batch (the server takes up to 1000).
    pub batch_size: usize,
    /// Batched or one by one.
    pub delivery: Delivery,
    /// How long a claim holds before another worker may take the event again. Longer than
    /// `request_timeout`.
    pub lease: Duration,
    /// Waits between attempts.
    pub backoff: BackoffPolicy,
    /// Longest sleep of an idle worker before it looks at the outbox again (a nudge wakes it
    /// at once).
    pub idle_poll: Duration,
    /// PEM certificates to trust instead of the system's roots, for a shop's own server with a
    /// private CA or a self-signed certificate (`None`: the system's trust store).
    pub trusted_roots_pem: Option<Vec<u8>>,
}

impl SyncConfig {
    /// A configuration with the defaults: 10 s request timeout, 3 s connect timeout, batches of
    /// 200, 60 s lease, backoff 0.5 s doubling to 5 min, 5 s idle poll.
    pub fn new(base_url: &str, terminal_id: &str, secret: Secret) -> Self {
        SyncConfig {
            base_url: base_url.trim_end_matches('/').to_string(),
            terminal_id: terminal_id.to_string(),
            secret,
            store_name: "main".to_string(),
            connect_timeout: Duration::from_secs(3),
            request_timeout: Duration::from_secs(10),
            batch_size: 200,
            delivery: Delivery::Batched,
            lease: Duration::from_secs(60),
            backoff: BackoffPolicy::default(),
            idle_poll: Duration::from_secs(5),
            trusted_roots_pem: None,
        }
    }

    /// Checks what can be checked without the network.
    pub fn validate(&self) -> Result<(), SyncError> {
        if !(self.base_url.starts_with("http://") || self.base_url.starts_with("https://")) {
            return Err(SyncError::Config(format!("{:?} is not an http:// or https:// URL", self.base_url)));
        }
        if self.terminal_id.trim().is_empty() {
            return Err(SyncError::Config("the terminal id is empty".into()));
        }
        if !(1..=1000).contains(&self.batch_size) {
            return Err(SyncError::Config("the batch size is 1 to 1000".into()));
        }
        if self.store_name.trim().is_empty() || self.store_name.chars().count() > 64 {
            return Err(SyncError::Config("the store name is 1 to 64 characters".into()));
        }
        if self.lease <= self.request_timeout {
            return Err(SyncError::Config("the lease must be longer than the request timeout".into()));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_parse_from_hex_and_never_print() {
        let s = Secret::from_hex(&format!("{}\n", "ab".repeat(32))).unwrap();
        assert_eq!(s.bytes()[0], 0xab);
        assert_eq!(format!("{s:?}"), "Secret(..)");
        assert!(Secret::from_hex("abcd").is_err());
        assert!(Secret::from_hex(&"zz".repeat(32)).is_err());
    }

    #[test]
    fn validation() {
        let mut c = SyncConfig::new("http://127.0.0.1:1/", "t1", Secret::new([0; 32]));
        assert_eq!(c.base_url, "http://127.0.0.1:1");
        assert!(c.validate().is_ok());
        c.batch_size = 0;
        assert!(c.validate().is_err());
        c.batch_size = 10;
        c.base_url = "ftp://x".into();
        assert!(c.validate().is_err());
    }
}
