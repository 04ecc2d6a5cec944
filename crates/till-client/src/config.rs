//! Who the till is and where its server is: the terminal's credentials, the base URL, how long
//! to wait, which certificates to trust.

use crate::error::ClientError;
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
    pub fn from_hex(text: &str) -> Result<Self, ClientError> {
        let bytes = hex::decode(text.trim()).map_err(|_| ClientError::Config("the secret is not hex".into()))?;
        let arr: [u8; 32] =
            bytes.try_into().map_err(|_| ClientError::Config("the secret must be 32 bytes (64 hex digits)".into()))?;
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

/// Checks a server's base URL: `http://` or `https://` (no trailing path is added or removed).
pub fn check_base_url(url: &str) -> Result<(), ClientError> {
    if url.starts_with("http://") || url.starts_with("https://") {
        Ok(())
    } else {
        Err(ClientError::Config(format!("{url:?} is not an http:// or https:// URL")))
    }
}

/// What a [`crate::Client`] needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientConfig {
    /// `http://host:port` or `https://host:port` (no trailing path): where [`crate::Client::send`]
    /// sends requests.
    pub base_url: String,
    /// The terminal id printed by `till-server terminals add`.
    pub terminal_id: String,
    /// The terminal's secret.
    pub secret: Secret,
    /// Longest wait for a TCP (and TLS) connection.
    pub connect_timeout: Duration,
    /// Longest wait for a whole request's answer; past it the attempt counts as failed (and
    /// may still have been applied: a retry with the same idempotency key finds the answer).
    pub request_timeout: Duration,
    /// PEM certificates to trust instead of the system's roots, for a shop's own server with a
    /// private CA or a self-signed certificate (`None`: the system's trust store).
    pub trusted_roots_pem: Option<Vec<u8>>,
}

impl ClientConfig {
    /// A configuration with the defaults: 3 s connect timeout, 10 s request timeout, the
    /// system's roots. A trailing `/` of the URL is dropped.
    pub fn new(base_url: &str, terminal_id: &str, secret: Secret) -> Self {
        ClientConfig {
            base_url: base_url.trim_end_matches('/').to_string(),
            terminal_id: terminal_id.to_string(),
            secret,
            connect_timeout: Duration::from_secs(3),
            request_timeout: Duration::from_secs(10),
            trusted_roots_pem: None,
        }
    }

    /// Checks what can be checked without the network.
    pub fn validate(&self) -> Result<(), ClientError> {
        check_base_url(&self.base_url)?;
        if self.terminal_id.trim().is_empty() {
            return Err(ClientError::Config("the terminal id is empty".into()));
        }
        // It travels in X-Till-Terminal; the server's ids are `t_` and hex.
        if till_core::TerminalId::parse(&self.terminal_id).is_err() {
            return Err(ClientError::Config("the terminal id is 1 to 64 visible ASCII characters, no spaces".into()));
        }
        Ok(())
    }
}

impl From<&ClientConfig> for ClientConfig {
    fn from(config: &ClientConfig) -> Self {
        config.clone()
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
        let c = ClientConfig::new("http://x", "t", s);
        assert!(!format!("{c:?}").contains("abab"), "{c:?}");
    }

    #[test]
    fn validation() {
        let mut c = ClientConfig::new("http://127.0.0.1:1/", "t1", Secret::new([0; 32]));
        assert_eq!(c.base_url, "http://127.0.0.1:1");
        assert!(c.validate().is_ok());
        c.base_url = "ftp://x".into();
        assert_eq!(c.validate(), Err(ClientError::Config("\"ftp://x\" is not an http:// or https:// URL".into())));
        c.base_url = "https://x".into();
        c.terminal_id = " ".into();
        assert_eq!(c.validate(), Err(ClientError::Config("the terminal id is empty".into())));
        c.terminal_id = "t 1".into();
        assert!(c.validate().unwrap_err().to_string().contains("no spaces"));
        c.terminal_id = "t_3f9c0a1b2c3d4e5f".into();
        assert!(c.validate().is_ok());
    }
}
