//! Who the till is and where its server is: the terminal's credentials, the base URL, how long
//! to wait, which certificates to trust.

use crate::error::ClientError;
use crate::tls::CertPin;
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

/// Checks a server's base URL: `https://` for every server, or `http://` to this computer only
/// (127.0.0.0/8, `::1`, `localhost`), where nobody on the network can read or change the
/// traffic. Plain http to any other host is refused: anyone on the shop's network could read the
/// requests and answer in the server's place.
pub fn check_base_url(url: &str) -> Result<(), ClientError> {
    let parsed = reqwest::Url::parse(url)
        .map_err(|_| ClientError::Config(format!("{url:?} is not an https:// URL (https://host[:port])")))?;
    let host = parsed.host_str().filter(|h| !h.is_empty());
    match (parsed.scheme(), host) {
        ("https", Some(_)) => Ok(()),
        ("http", Some(h)) if is_loopback(h) => Ok(()),
        ("http", Some(_)) => Err(ClientError::Config(format!(
            "{url:?} is plain http to another computer: use https:// (http:// is allowed only to \
             this computer: 127.0.0.1, ::1, localhost)"
        ))),
        _ => Err(ClientError::Config(format!("{url:?} is not an https:// URL (https://host[:port])"))),
    }
}

/// Whether a URL's host (as the URL parser normalised it, IPv6 in brackets) is this computer.
fn is_loopback(host: &str) -> bool {
    let ip = host.strip_prefix('[').and_then(|h| h.strip_suffix(']')).unwrap_or(host);
    match ip.parse::<std::net::IpAddr>() {
        Ok(ip) => ip.is_loopback(),
        Err(_) => host.eq_ignore_ascii_case("localhost"),
    }
}

/// What a [`crate::Client`] needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientConfig {
    /// `https://host[:port]` (no trailing path), or `http://` to this computer only
    /// ([`check_base_url`]): where [`crate::Client::send`] sends requests.
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
    /// The SHA-256 fingerprint of the server's own certificate, for a shop's own server: only
    /// that certificate is accepted (with `trusted_roots_pem` too, it must also chain to them).
    pub pinned_cert: Option<CertPin>,
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
            pinned_cert: None,
        }
    }

    /// Checks what can be checked without the network.
    pub fn validate(&self) -> Result<(), ClientError> {
        check_base_url(&self.base_url)?;
        if self.pinned_cert.is_some() && !self.base_url.starts_with("https://") {
            // Pinning a certificate and then sending in clear would give a false sense of safety.
            return Err(ClientError::Config("a pinned certificate needs an https:// URL".into()));
        }
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
        let c = ClientConfig::new("https://x", "t", s);
        assert!(!format!("{c:?}").contains("abab"), "{c:?}");
    }

    #[test]
    fn validation() {
        let mut c = ClientConfig::new("http://127.0.0.1:1/", "t1", Secret::new([0; 32]));
        assert_eq!(c.base_url, "http://127.0.0.1:1");
        assert!(c.validate().is_ok());
        c.base_url = "ftp://x".into();
        assert_eq!(
            c.validate(),
            Err(ClientError::Config("\"ftp://x\" is not an https:// URL (https://host[:port])".into()))
        );
        c.base_url = "https://x".into();
        c.terminal_id = " ".into();
        assert_eq!(c.validate(), Err(ClientError::Config("the terminal id is empty".into())));
        c.terminal_id = "t 1".into();
        assert!(c.validate().unwrap_err().to_string().contains("no spaces"));
        c.terminal_id = "t_3f9c0a1b2c3d4e5f".into();
        assert!(c.validate().is_ok());
    }

    /// Plain http only to this computer: anywhere else anyone on the network could answer.
    #[test]
    fn https_is_required_for_every_server_but_this_computer() {
        for ok in [
            "https://shop-server:8787",
            "https://sync.example",
            "https://10.0.0.5:8443",
            "https://[2001:db8::1]:8443",
            "http://127.0.0.1:8787",
            "http://127.3.4.5",
            "http://[::1]:8787",
            "http://localhost:8787",
            "http://LOCALHOST",
        ] {
            assert_eq!(check_base_url(ok), Ok(()), "{ok}");
        }
        let e = check_base_url("http://shop-server:8787").unwrap_err();
        assert_eq!(
            e.to_string(),
            "client configuration: \"http://shop-server:8787\" is plain http to another computer: use https:// \
             (http:// is allowed only to this computer: 127.0.0.1, ::1, localhost)"
        );
        for bad in [
            "http://shop-server:8787",
            "http://10.0.0.5:8787",
            "http://192.168.1.20",
            "http://[2001:db8::1]:80",
            "http://localhost.shop.example",
            "http://127.0.0.1.shop.example",
            "ftp://127.0.0.1",
            "https://",
            "127.0.0.1:8787",
            "",
        ] {
            assert!(check_base_url(bad).is_err(), "{bad}");
        }
        // The same rule for the client configuration, and a pin needs https.
        let mut c = ClientConfig::new("http://shop-server:8787", "t1", Secret::new([0; 32]));
        assert!(c.validate().unwrap_err().to_string().contains("use https://"));
        c.base_url = "http://127.0.0.1:8787".into();
        c.pinned_cert = Some(CertPin::new([1; 32]));
        assert_eq!(c.validate(), Err(ClientError::Config("a pinned certificate needs an https:// URL".into())));
        c.base_url = "https://shop-server:8787".into();
        assert_eq!(c.validate(), Ok(()));
    }
}
