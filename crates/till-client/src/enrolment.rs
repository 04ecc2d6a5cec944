//! Exchanging a one-time enrolment code for the terminal's credentials
//! (`POST /v1/terminals/enrol`, docs/api.md "Enrolment codes").
//!
//! The installer types the code `till-server terminals add --enrolment-code` printed; the till
//! sends it once and keeps the secret it gets back (sealed, never shown). The request cannot be
//! signed (the till has no secret yet) and neither can the answer, so everything rests on TLS:
//! the same rules as every other request of the till apply (https:// for every server but this
//! computer, the system's roots, the shop's CA or a pinned certificate, no redirects), and the
//! answer is read under the same 8 MiB cap. An answer that is not exactly a terminal id and 64
//! hex digits is refused, not half-believed.
//!
//! ```no_run
//! let enrolled = till_client::enrolment::exchange(
//!     "https://shop-server:8443",
//!     &till_client::enrolment::Trust::default(),
//!     "7K3M-Q9XD-2HPA-W4TZ",
//! ).unwrap();
//! println!("enrolled as {}", enrolled.terminal_id);
//! ```

use crate::answer::{read_capped, MAX_ANSWER_BYTES};
use crate::client::{classify_read, classify_send, http_client};
use crate::config::{ClientConfig, Secret};
pub use crate::error::EnrolError;
use crate::error::{ClientError, SendError};
use crate::tls::CertPin;
use std::time::Duration;
use till_api::enrolment::{TerminalEnrolRequest, TerminalEnrolResponse};
use till_api::ErrorBody;

/// The route's path.
pub const ENROL_PATH: &str = "/v1/terminals/enrol";

/// Which server certificates to trust, as for [`ClientConfig`]: none given means the system's
/// roots.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Trust {
    /// PEM certificates to trust instead of the system's roots (a shop's own CA).
    pub trusted_roots_pem: Option<Vec<u8>>,
    /// The SHA-256 fingerprint of the server's own certificate: only that one is accepted.
    pub pinned_cert: Option<CertPin>,
}

/// What a code is exchanged for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Enrolled {
    /// The id to sign requests as (`X-Till-Terminal`).
    pub terminal_id: String,
    /// The terminal's signing secret (its `Debug` is redacted).
    pub secret: Secret,
}

/// Exchanges `code` (as typed; till-server reads it forgivingly) with the server at `base_url`
/// for the terminal's id and secret. Succeeds at most once per code.
pub fn exchange(base_url: &str, trust: &Trust, code: &str) -> Result<Enrolled, EnrolError> {
    exchange_with_timeouts(base_url, trust, code, Duration::from_secs(3), Duration::from_secs(10))
}

/// [`exchange`] with other connect and request timeouts than 3 s and 10 s.
pub fn exchange_with_timeouts(
    base_url: &str,
    trust: &Trust,
    code: &str,
    connect_timeout: Duration,
    request_timeout: Duration,
) -> Result<Enrolled, EnrolError> {
    let code = code.trim();
    if code.is_empty() || code.len() > 64 || code.chars().any(char::is_control) {
        return Err(ClientError::Config(
            "the enrolment code is 16 letters and digits, e.g. 7K3M-Q9XD-2HPA-W4TZ".into(),
        )
        .into());
    }
    // The client's own rules: https but to this computer, a pin only over https, the trust.
    let mut config = ClientConfig::new(base_url, "enrolling", Secret::new([0; 32]));
    config.connect_timeout = connect_timeout;
    config.request_timeout = request_timeout;
    config.trusted_roots_pem = trust.trusted_roots_pem.clone();
    config.pinned_cert = trust.pinned_cert;
    config.validate()?;
    let http = http_client(&config)?;
    let body = serde_json::to_vec(&TerminalEnrolRequest { enrolment_code: code.to_string() })
        .map_err(|e| ClientError::Config(e.to_string()))?;
    let resp = http
        .post(format!("{}{ENROL_PATH}", config.base_url))
        .header("content-type", "application/json")
        .body(body)
        .send()
        .map_err(|e| classify_send(e, request_timeout))?;
    let (status, bytes) = read_capped(resp, MAX_ANSWER_BYTES, |e| classify_read(e, request_timeout))?;
    let text = std::str::from_utf8(&bytes)
        .map_err(|_| SendError::BadAnswer(format!("the HTTP {status} answer to the enrolment is not UTF-8")))?;
    if status != 200 {
        return Err(match till_api::from_json::<ErrorBody>(text) {
            Ok(e) if (400..500).contains(&status) => EnrolError::Refused { status, code: e.code, message: e.message },
            _ => EnrolError::Send(SendError::BadAnswer(format!("HTTP {status} to the enrolment"))),
        });
    }
    let bad = |what: &str| EnrolError::Send(SendError::BadAnswer(format!("the enrolment answer {what}")));
    let answer: TerminalEnrolResponse = till_api::from_json(text).map_err(|_| bad("is not {terminal_id, secret}"))?;
    if till_core::TerminalId::parse(&answer.terminal_id).is_err() {
        return Err(bad("names no terminal id"));
    }
    // Exactly 64 hex digits: `from_hex` alone would forgive white space around them.
    if answer.secret.len() != 64 {
        return Err(bad("has no 64-hex-digit secret"));
    }
    let secret = Secret::from_hex(&answer.secret).map_err(|_| bad("has no 64-hex-digit secret"))?;
    let terminal_id = answer.terminal_id;
    Ok(Enrolled { terminal_id, secret })
}
