//! The request and answer signatures shared by the till (till-client) and the server
//! (till-server): pure functions and the header names they travel in, so the two sides cannot
//! drift apart. Nonces and the server's replay cache stay with each side.
//!
//! `X-Till-Signature` = base64 (standard, padded) of HMAC-SHA256(secret, `METHOD \n PATH \n
//! TIMESTAMP \n NONCE \n hex(SHA-256(body))`), PATH being the request target as sent (with its
//! `?query`, if any) and the body hash lower-case hex.
//!
//! The server's answer to a signed request carries `X-Till-Response-Signature` = base64 of
//! HMAC-SHA256(secret, `RESPONSE \n NONCE \n STATUS \n hex(SHA-256(answer body)) \n TIMESTAMP`),
//! NONCE and TIMESTAMP being the request's: the answer is bound to the one request it answers, so
//! nobody between the two can change it, make one up, or replay another request's.
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
/// Header of the server's answer with the base64 answer signature.
pub const HEADER_RESPONSE_SIGNATURE: &str = "x-till-response-signature";

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

/// The exact text an answer's signature covers: `RESPONSE`, the request's nonce, the answer's
/// status in decimal, the lower-case hex SHA-256 of the answer body, the request's timestamp.
pub fn response_string_to_sign(nonce: &str, status: u16, body: &[u8], timestamp: i64) -> String {
    let body_hash = hex::encode(Sha256::digest(body));
    format!("RESPONSE\n{nonce}\n{status}\n{body_hash}\n{timestamp}")
}

fn response_mac(secret: &[u8], nonce: &str, status: u16, body: &[u8], timestamp: i64) -> HmacSha256 {
    // As in `mac`: any key length is accepted, the fallback is unreachable.
    let mut mac = HmacSha256::new_from_slice(secret).unwrap_or_else(|_| HmacSha256::new(&Default::default()));
    mac.update(response_string_to_sign(nonce, status, body, timestamp).as_bytes());
    mac
}

/// The `X-Till-Response-Signature` value of an answer with `status` and `body` to the request
/// signed with `nonce` and `timestamp`.
pub fn sign_response(secret: &[u8], nonce: &str, status: u16, body: &[u8], timestamp: i64) -> String {
    base64::engine::general_purpose::STANDARD
        .encode(response_mac(secret, nonce, status, body, timestamp).finalize().into_bytes())
}

/// Whether `signature` (base64) is the answer signature of `status` and `body` for the request
/// signed with `nonce` and `timestamp`, compared in constant time.
pub fn verify_response(secret: &[u8], nonce: &str, status: u16, body: &[u8], timestamp: i64, signature: &str) -> bool {
    let Ok(given) = base64::engine::general_purpose::STANDARD.decode(signature.trim()) else { return false };
    response_mac(secret, nonce, status, body, timestamp).verify_slice(&given).is_ok()
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

    /// The worked example of docs/api.md ("Signed answers"); the same vector is checked by
    /// till-client's and till-server's tests.
    #[test]
    fn the_response_signature_of_docs_api_md() {
        let secret: Vec<u8> = (0u8..32).collect();
        let nonce = "00112233445566778899aabbccddeeff";
        let body = br#"{"status":"declined","reason_code":"do_not_honour"}"#;
        assert_eq!(
            response_string_to_sign(nonce, 200, body, 1_795_000_000),
            "RESPONSE\n00112233445566778899aabbccddeeff\n200\n\
             37ccefb543325aac2c9d74008ffcb8c4b3098212e2cd1d452f04a32b793885c5\n1795000000"
        );
        let sig = sign_response(&secret, nonce, 200, body, 1_795_000_000);
        assert_eq!(sig, "U2hQz+nonlzSAJV7HOoHnYYtc+b6w2GLglWgnSU21B0=");
        assert!(verify_response(&secret, nonce, 200, body, 1_795_000_000, &sig));
        // Any other status, body, nonce, timestamp or key: no longer the answer's signature.
        assert!(!verify_response(&secret, nonce, 201, body, 1_795_000_000, &sig));
        assert!(!verify_response(&secret, nonce, 200, br#"{"status":"approved"}"#, 1_795_000_000, &sig));
        assert!(!verify_response(&secret, "ffeeddccbbaa99887766554433221100", 200, body, 1_795_000_000, &sig));
        assert!(!verify_response(&secret, nonce, 200, body, 1_795_000_001, &sig));
        assert!(!verify_response(&[0u8; 32], nonce, 200, body, 1_795_000_000, &sig));
        assert!(!verify_response(&secret, nonce, 200, body, 1_795_000_000, ""));
        assert!(!verify_response(&secret, nonce, 200, body, 1_795_000_000, "not base64!"));
    }
}
