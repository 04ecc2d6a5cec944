//! The signatures between the service platform (till-server) and a service provider
//! (till-provider or a provider's own service): pure functions and header names, shared by both
//! sides so they cannot drift apart. The secret is the provider's shared secret, the same both
//! ways; nonces and the replay cache stay with each side.
//!
//! A request (platform → provider) carries `X-Relay-Account`, `X-Relay-Timestamp` (unix
//! seconds), `X-Relay-Nonce` (32 hex digits) and `X-Relay-Signature` = base64 (standard, padded)
//! of HMAC-SHA256(secret, `till-relay-v1 \n METHOD \n PATH \n ACCOUNT \n TIMESTAMP \n NONCE \n
//! hex(SHA-256(body))`).
//!
//! The answer carries its own `X-Relay-Timestamp`, `X-Relay-Nonce` and `X-Relay-Signature` =
//! base64 of HMAC-SHA256(secret, `till-relay-v1 answer \n REQUEST NONCE \n STATUS \n TIMESTAMP \n
//! NONCE \n hex(SHA-256(answer body))`): bound to the one request it answers, so an answer
//! cannot be replayed for another request or altered on the way.
//!
//! ```
//! use till_core::relay_signing as rs;
//! let sig = rs::sign_request(b"secret", "POST", "/relay/message", "acct", 1_795_000_000, "00112233445566778899aabbccddeeff", b"{}");
//! assert!(rs::verify_request(b"secret", "POST", "/relay/message", "acct", 1_795_000_000, "00112233445566778899aabbccddeeff", b"{}", &sig));
//! assert!(!rs::verify_request(b"other", "POST", "/relay/message", "acct", 1_795_000_000, "00112233445566778899aabbccddeeff", b"{}", &sig));
//! ```

use base64::Engine;
use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};

type HmacSha256 = Hmac<Sha256>;

/// Header naming the provider's public account the request is for.
pub const HEADER_ACCOUNT: &str = "x-relay-account";
/// Header with the signing time, unix seconds.
pub const HEADER_TIMESTAMP: &str = "x-relay-timestamp";
/// Header with the signer's nonce, 32 hex digits.
pub const HEADER_NONCE: &str = "x-relay-nonce";
/// Header with the base64 signature.
pub const HEADER_SIGNATURE: &str = "x-relay-signature";
/// How far a signed timestamp may be from the checker's clock, seconds.
pub const TIMESTAMP_WINDOW_SECS: i64 = 300;

/// The exact text a request's signature covers.
pub fn request_string_to_sign(
    method: &str,
    path: &str,
    account: &str,
    timestamp: i64,
    nonce: &str,
    body: &[u8],
) -> String {
    let body_hash = hex::encode(Sha256::digest(body));
    format!("till-relay-v1\n{method}\n{path}\n{account}\n{timestamp}\n{nonce}\n{body_hash}")
}

/// The exact text an answer's signature covers.
pub fn answer_string_to_sign(request_nonce: &str, status: u16, timestamp: i64, nonce: &str, body: &[u8]) -> String {
    let body_hash = hex::encode(Sha256::digest(body));
    format!("till-relay-v1 answer\n{request_nonce}\n{status}\n{timestamp}\n{nonce}\n{body_hash}")
}

fn mac_of(secret: &[u8], text: &str) -> HmacSha256 {
    // HMAC takes keys of any length, so new_from_slice cannot fail; the fallback is unreachable.
    let mut mac = HmacSha256::new_from_slice(secret).unwrap_or_else(|_| HmacSha256::new(&Default::default()));
    mac.update(text.as_bytes());
    mac
}

fn sign_text(secret: &[u8], text: &str) -> String {
    base64::engine::general_purpose::STANDARD.encode(mac_of(secret, text).finalize().into_bytes())
}

/// Compared in constant time (the MAC's own `verify_slice`).
fn verify_text(secret: &[u8], text: &str, signature: &str) -> bool {
    let Ok(given) = base64::engine::general_purpose::STANDARD.decode(signature.trim()) else { return false };
    mac_of(secret, text).verify_slice(&given).is_ok()
}

/// The `X-Relay-Signature` of a request.
pub fn sign_request(
    secret: &[u8],
    method: &str,
    path: &str,
    account: &str,
    timestamp: i64,
    nonce: &str,
    body: &[u8],
) -> String {
    sign_text(secret, &request_string_to_sign(method, path, account, timestamp, nonce, body))
}

/// Whether `signature` is the request's signature.
#[allow(clippy::too_many_arguments)]
pub fn verify_request(
    secret: &[u8],
    method: &str,
    path: &str,
    account: &str,
    timestamp: i64,
    nonce: &str,
    body: &[u8],
    signature: &str,
) -> bool {
    verify_text(secret, &request_string_to_sign(method, path, account, timestamp, nonce, body), signature)
}

/// The `X-Relay-Signature` of an answer to the request signed with `request_nonce`.
pub fn sign_answer(
    secret: &[u8],
    request_nonce: &str,
    status: u16,
    timestamp: i64,
    nonce: &str,
    body: &[u8],
) -> String {
    sign_text(secret, &answer_string_to_sign(request_nonce, status, timestamp, nonce, body))
}

/// Whether `signature` is the signature of this answer to the request signed with `request_nonce`.
pub fn verify_answer(
    secret: &[u8],
    request_nonce: &str,
    status: u16,
    timestamp: i64,
    nonce: &str,
    body: &[u8],
    signature: &str,
) -> bool {
    verify_text(secret, &answer_string_to_sign(request_nonce, status, timestamp, nonce, body), signature)
}

/// Whether a nonce has the form both sides use: 32 lower- or upper-case hex digits.
pub fn nonce_is_well_formed(nonce: &str) -> bool {
    nonce.len() == 32 && nonce.bytes().all(|b| b.is_ascii_hexdigit())
}

#[cfg(test)]
mod tests {
    use super::*;

    const NONCE: &str = "00112233445566778899aabbccddeeff";

    #[test]
    fn a_request_signature_covers_every_part() {
        let sig = sign_request(b"k", "POST", "/relay/message", "acct", 100, NONCE, b"{}");
        assert!(verify_request(b"k", "POST", "/relay/message", "acct", 100, NONCE, b"{}", &sig));
        assert!(!verify_request(b"k2", "POST", "/relay/message", "acct", 100, NONCE, b"{}", &sig));
        assert!(!verify_request(b"k", "POST", "/relay/paid", "acct", 100, NONCE, b"{}", &sig));
        assert!(!verify_request(b"k", "POST", "/relay/message", "other", 100, NONCE, b"{}", &sig));
        assert!(!verify_request(b"k", "POST", "/relay/message", "acct", 101, NONCE, b"{}", &sig));
        assert!(!verify_request(b"k", "POST", "/relay/message", "acct", 100, &"f".repeat(32), b"{}", &sig));
        assert!(!verify_request(b"k", "POST", "/relay/message", "acct", 100, NONCE, b"{ }", &sig));
        assert!(!verify_request(b"k", "POST", "/relay/message", "acct", 100, NONCE, b"{}", "not base64!"));
    }

    #[test]
    fn an_answer_is_bound_to_its_request() {
        let sig = sign_answer(b"k", NONCE, 200, 100, &"a".repeat(32), b"{\"text\":\"hi\"}");
        assert!(verify_answer(b"k", NONCE, 200, 100, &"a".repeat(32), b"{\"text\":\"hi\"}", &sig));
        assert!(!verify_answer(b"k", &"b".repeat(32), 200, 100, &"a".repeat(32), b"{\"text\":\"hi\"}", &sig));
        assert!(!verify_answer(b"k", NONCE, 500, 100, &"a".repeat(32), b"{\"text\":\"hi\"}", &sig));
        assert!(!verify_answer(b"k", NONCE, 200, 100, &"a".repeat(32), b"{\"text\":\"ho\"}", &sig));
        // A request's signature is never an answer's, even over the same bytes.
        let req = sign_request(b"k", "POST", "/p", "a", 100, NONCE, b"{}");
        assert!(!verify_answer(b"k", NONCE, 200, 100, NONCE, b"{}", &req));
    }

    #[test]
    fn nonces_are_checked() {
        assert!(nonce_is_well_formed(NONCE));
        assert!(!nonce_is_well_formed("short"));
        assert!(!nonce_is_well_formed(&"g".repeat(32)));
    }
}
