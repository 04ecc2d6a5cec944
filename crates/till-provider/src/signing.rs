//! The provider's side of the relay signatures (`till_core::relay_signing`): the platform's
//! requests are checked (account, clock window, signature, then a nonce seen once), and every
//! answer is signed back, bound to the request's nonce.

use rand::RngCore;
use std::collections::HashMap;
use till_core::relay_signing as rs;

/// Why a request is refused before it is read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refused {
    /// A header is missing or malformed.
    #[error("{0}")]
    BadHeaders(String),
    /// The request is for another account.
    #[error("this provider is not account {0}")]
    WrongAccount(String),
    /// The timestamp is outside the window.
    #[error("the timestamp is {0} s away from this provider's clock")]
    Stale(i64),
    /// The signature does not verify with the shared secret.
    #[error("the signature does not verify")]
    BadSignature,
    /// The nonce was used before.
    #[error("the nonce was used before")]
    Replayed,
}

/// The signed headers of a request, as received.
#[derive(Debug, Clone)]
pub struct RequestHeaders {
    /// `X-Relay-Account`.
    pub account: String,
    /// `X-Relay-Timestamp`.
    pub timestamp: i64,
    /// `X-Relay-Nonce`.
    pub nonce: String,
    /// `X-Relay-Signature`.
    pub signature: String,
}

/// Nonces seen within the timestamp window.
#[derive(Debug, Default)]
pub struct Nonces {
    seen: HashMap<String, i64>,
}

impl Nonces {
    /// True when `nonce` is new (and is now seen); forgets those older than the window.
    pub fn check_and_insert(&mut self, nonce: &str, timestamp: i64, now: i64) -> bool {
        self.seen.retain(|_, at| now.saturating_sub(*at) <= 2 * rs::TIMESTAMP_WINDOW_SECS);
        if self.seen.contains_key(nonce) {
            return false;
        }
        self.seen.insert(nonce.to_string(), timestamp.max(now));
        true
    }
}

/// Checks a request of the platform, in the order that spends nothing on a forger: form,
/// account, clock, signature, and only then the nonce.
#[allow(clippy::too_many_arguments)]
pub fn check_request(
    secret: &[u8],
    account: &str,
    method: &str,
    path: &str,
    h: &RequestHeaders,
    body: &[u8],
    now: i64,
    nonces: &mut Nonces,
) -> Result<(), Refused> {
    if !rs::nonce_is_well_formed(&h.nonce) {
        return Err(Refused::BadHeaders("X-Relay-Nonce is not 32 hex digits".into()));
    }
    if h.account != account {
        return Err(Refused::WrongAccount(h.account.clone()));
    }
    let skew = now.saturating_sub(h.timestamp);
    if skew.saturating_abs() > rs::TIMESTAMP_WINDOW_SECS {
        return Err(Refused::Stale(skew));
    }
    if !rs::verify_request(secret, method, path, &h.account, h.timestamp, &h.nonce, body, &h.signature) {
        return Err(Refused::BadSignature);
    }
    if !nonces.check_and_insert(&h.nonce, h.timestamp, now) {
        return Err(Refused::Replayed);
    }
    Ok(())
}

/// The three headers of a signed answer.
pub fn answer_headers(
    secret: &[u8],
    request_nonce: &str,
    status: u16,
    now: i64,
    body: &[u8],
) -> [(&'static str, String); 3] {
    let mut bytes = [0u8; 16];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    let nonce = hex::encode(bytes);
    let signature = rs::sign_answer(secret, request_nonce, status, now, &nonce, body);
    [(rs::HEADER_TIMESTAMP, now.to_string()), (rs::HEADER_NONCE, nonce), (rs::HEADER_SIGNATURE, signature)]
}

#[cfg(test)]
mod tests {
    use super::*;

    const NONCE: &str = "00112233445566778899aabbccddeeff";

    fn headers(secret: &[u8], ts: i64, nonce: &str, body: &[u8]) -> RequestHeaders {
        RequestHeaders {
            account: "acct".into(),
            timestamp: ts,
            nonce: nonce.into(),
            signature: rs::sign_request(secret, "POST", "/relay/message", "acct", ts, nonce, body),
        }
    }

    #[test]
    fn the_platforms_request_is_checked_then_its_nonce_spent() {
        let mut n = Nonces::default();
        let h = headers(b"s", 1000, NONCE, b"{}");
        assert_eq!(check_request(b"s", "acct", "POST", "/relay/message", &h, b"{}", 1000, &mut n), Ok(()));
        assert_eq!(
            check_request(b"s", "acct", "POST", "/relay/message", &h, b"{}", 1000, &mut n),
            Err(Refused::Replayed)
        );
        let h = headers(b"wrong", 1000, &"1".repeat(32), b"{}");
        assert_eq!(
            check_request(b"s", "acct", "POST", "/relay/message", &h, b"{}", 1000, &mut n),
            Err(Refused::BadSignature)
        );
        let h = headers(b"s", 1000, &"2".repeat(32), b"{}");
        assert_eq!(
            check_request(b"s", "acct", "POST", "/relay/message", &h, b"{\"x\":1}", 1000, &mut n),
            Err(Refused::BadSignature)
        );
        assert_eq!(
            check_request(b"s", "other", "POST", "/relay/message", &h, b"{}", 1000, &mut n),
            Err(Refused::WrongAccount("acct".into()))
        );
        assert_eq!(
            check_request(b"s", "acct", "POST", "/relay/message", &h, b"{}", 2000, &mut n),
            Err(Refused::Stale(1000))
        );
        // The refused ones spent no nonce: the good request with nonce 2 still goes through.
        assert_eq!(check_request(b"s", "acct", "POST", "/relay/message", &h, b"{}", 1000, &mut n), Ok(()));
    }

    #[test]
    fn answers_are_signed_for_their_request() {
        let [(_, ts), (_, nonce), (_, sig)] = answer_headers(b"s", NONCE, 200, 1000, b"{}");
        let ts: i64 = ts.parse().unwrap();
        assert!(rs::verify_answer(b"s", NONCE, 200, ts, &nonce, b"{}", &sig));
        assert!(!rs::verify_answer(b"s", &"f".repeat(32), 200, ts, &nonce, b"{}", &sig));
    }
}
