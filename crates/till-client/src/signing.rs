//! The client side of request signing (docs/api.md, "Signing"): fresh nonces, and the headers and
//! `till_core::signing::sign` that the server verifies with too, re-exported from till-core.
//!
//! `X-Till-Signature` = base64(HMAC-SHA256(secret, `METHOD \n PATH \n TIMESTAMP \n NONCE \n
//! hex(SHA-256(body))`)), with the terminal id, the unix-seconds timestamp and a fresh 16-byte
//! hex nonce in the other three headers.

use rand::RngCore;

pub use till_core::signing::{
    sign, signed_headers, HEADER_IDEMPOTENCY_KEY, HEADER_NONCE, HEADER_SIGNATURE, HEADER_TERMINAL, HEADER_TIMESTAMP,
};

/// A fresh nonce: 16 random bytes as 32 lower-case hex digits.
pub fn nonce(rng: &mut dyn RngCore) -> String {
    let mut b = [0u8; 16];
    rng.fill_bytes(&mut b);
    hex::encode(b)
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
        assert_ne!(a, nonce(&mut rand::rngs::StdRng::seed_from_u64(2)));
    }
}
