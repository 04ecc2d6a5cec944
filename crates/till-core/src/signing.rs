//! The request signature shared by the till (till-sync) and the server (till-server): one pure
//! function and the header names it travels in, so the two sides cannot drift apart. Nonces and
//! the server's replay cache stay with each side.
//!
//! `X-Till-Signature` = base64 (standard, padded) of HMAC-SHA256(secret, `METHOD \n PATH \n
//! TIMESTAMP \n NONCE \n hex(SHA-256(body))`), PATH being the request target as sent (with its
//! `?query`, if any) and the body hash lower-case hex.
//!
//! ```
//! let sig = till_core::signing::sign(&[7u8; 32], "POST", "/v1/sales", 1_795_000_000, "00112233445566778899aabbccddeeff", b"{}");
//! assert_eq!(sig, "hBphe1Jm+UEufnenKgMP/0P5/nnt9ThJ8bTDjzty6B0=");
//! ```

use base64::Engine;
use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};

type HmacSha256 = Hmac<Sha256>;

/// Header naming the terminal.
pub const HEADER_TERMINAL: &str = "x-till-terminal";
/// Header with the signing time, unix seconds.
pub const HEADER_TIMESTAMP: &str = "x-till-timestamp";
/// Header with the request's nonce, 32 hex digits.
pub const HEADER_NONCE: &str = "x-till-nonce";
/// Header with the base64 signature.
pub const HEADER_SIGNATURE: &str = "x-till-signature";
/// Header with the idempotency key of a state-changing request.
pub const HEADER_IDEMPOTENCY_KEY: &str = "idempotency-key";

/// All four signing headers for a request, as (name, value) pairs, ready for any HTTP client.
pub fn signed_headers(
    terminal_id: &str,
    secret: &[u8],
    method: &str,
    path: &str,
    timestamp: i64,
    nonce: &str,
    body: &[u8],
) -> [(&'static str, String); 4] {
    [
        (HEADER_TERMINAL, terminal_id.to_string()),
        (HEADER_TIMESTAMP, timestamp.to_string()),
        (HEADER_NONCE, nonce.to_string()),
        (HEADER_SIGNATURE, sign(secret, method, path, timestamp, nonce, body)),
    ]
}

/// The exact text that is signed.
pub fn string_to_sign(method: &str, path: &str, timestamp: i64, nonce: &str, body: &[u8]) -> String {
    let body_hash = hex::encode(Sha256::digest(body));
    format!("{method}\n{path}\n{timestamp}\n{nonce}\n{body_hash}")
}

fn mac(secret: &[u8], method: &str, path: &str, timestamp: i64, nonce: &str, body: &[u8]) -> HmacSha256 {
    // HMAC takes keys of any length, so new_from_slice cannot fail; the fallback is unreachable.
    let mut mac = HmacSha256::new_from_slice(secret).unwrap_or_else(|_| HmacSha256::new(&Default::default()));
    mac.update(string_to_sign(method, path, timestamp, nonce, body).as_bytes());
    mac
}

/// The `X-Till-Signature` value of a request.
pub fn sign(secret: &[u8], method: &str, path: &str, timestamp: i64, nonce: &str, body: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD
        .encode(mac(secret, method, path, timestamp, nonce, body).finalize().into_bytes())
}

/// Whether `signature` (base64) is the signature of the request, compared in constant time.
pub fn verify(
    secret: &[u8],
    method: &str,
    path: &str,
    timestamp: i64,
    nonce: &str,
    body: &[u8],
    signature: &str,
) -> bool {
    let Ok(given) = base64::engine::general_purpose::STANDARD.decode(signature.trim()) else { return false };
    mac(secret, method, path, timestamp, nonce, body).verify_slice(&given).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The shared test vector (till-sync's tests/signing_vector.rs checks both sides give it).
    #[test]
    fn known_vector() {
        let nonce = "00112233445566778899aabbccddeeff";
        let sig = sign(&[7u8; 32], "POST", "/v1/sales", 1_795_000_000, nonce, b"{}");
        assert_eq!(sig, "hBphe1Jm+UEufnenKgMP/0P5/nnt9ThJ8bTDjzty6B0=");
        assert!(verify(&[7u8; 32], "POST", "/v1/sales", 1_795_000_000, nonce, b"{}", &sig));
        assert!(!verify(&[7u8; 32], "POST", "/v1/sales", 1_795_000_000, nonce, b"{ }", &sig));
        assert!(!verify(&[7u8; 32], "POST", "/v1/sales", 1_795_000_000, nonce, b"{}", "not base64!"));
    }
}
