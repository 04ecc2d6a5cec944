//! The client side of request signing (docs/api.md, "Signing"): the headers and nonces around
//! `till_core::signing::sign`, the function the server verifies with too.
//!
//! `X-Till-Signature` = base64(HMAC-SHA256(secret, `METHOD \n PATH \n TIMESTAMP \n NONCE \n
//! hex(SHA-256(body))`)), with the terminal id, the unix-seconds timestamp and a fresh 16-byte
//! hex nonce in the other three headers.

use rand::RngCore;

pub use till_core::signing::sign;

/// Header naming the terminal.
pub const HEADER_TERMINAL: &str = "x-till-terminal";
/// Header with the signing time, unix seconds.
pub const HEADER_TIMESTAMP: &str = "x-till-timestamp";
/// Header with the request's nonce.
pub const HEADER_NONCE: &str = "x-till-nonce";
/// Header with the base64 signature.
pub const HEADER_SIGNATURE: &str = "x-till-signature";
/// Header with the idempotency key of a state-changing request.
pub const HEADER_IDEMPOTENCY_KEY: &str = "idempotency-key";

/// A fresh nonce: 16 random bytes as 32 lower-case hex digits.
pub fn nonce(rng: &mut dyn RngCore) -> String {
    let mut b = [0u8; 16];
    rng.fill_bytes(&mut b);
    hex::encode(b)
}

/// The four signing headers as (name, value) pairs.
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

#[cfg(test)]
mod tests {
    use super::*;

    /// The shared test vector; tests/signing_vector.rs checks the server's module gives the same.
    #[test]
    fn known_vector() {
        let sig = sign(&[7u8; 32], "POST", "/v1/sales", 1_795_000_000, "00112233445566778899aabbccddeeff", b"{}");
        assert_eq!(sig, "hBphe1Jm+UEufnenKgMP/0P5/nnt9ThJ8bTDjzty6B0=");
    }

    #[test]
    fn nonces_are_32_hex_digits_from_the_rng() {
        use rand::SeedableRng;
        let a = nonce(&mut rand::rngs::StdRng::seed_from_u64(1));
        assert_eq!(a.len(), 32);
        assert!(a.bytes().all(|b| b.is_ascii_hexdigit()));
        assert_eq!(a, nonce(&mut rand::rngs::StdRng::seed_from_u64(1)));
    }
}
