//! Request signing: how a till proves which terminal sent a request and that nobody changed it.
//!
//! Every request carries four headers:
//!
//! | header | value |
//! | --- | --- |
//! | `X-Till-Terminal` | the terminal id printed by `till-server terminals add` |
//! | `X-Till-Timestamp` | unix seconds when the request was signed |
//! | `X-Till-Nonce` | 16 random bytes, 32 lower-case hex digits, new for every request |
//! | `X-Till-Signature` | base64 (standard, padded) of HMAC-SHA256(secret, string to sign) |
//!
//! The string to sign is `METHOD \n PATH \n TIMESTAMP \n NONCE \n hex(SHA-256(body))`, where PATH
//! is the request target as sent (path, plus `?query` when there is one) and the body hash is
//! lower-case hex (of the empty string for a GET). [`sign`] is the whole client side; it and
//! [`verify`] are `till_core::signing`'s, shared with the till's sync client:
//!
//! ```
//! let secret = [7u8; 32];
//! let sig = till_server::signing::sign(&secret, "POST", "/v1/sales", 1_795_000_000, "00112233445566778899aabbccddeeff", b"{}");
//! assert!(till_server::signing::verify(&secret, "POST", "/v1/sales", 1_795_000_000, "00112233445566778899aabbccddeeff", b"{}", &sig));
//! ```
//!
//! The server accepts a timestamp at most [`TIMESTAMP_WINDOW_SECS`] away from its clock and each
//! nonce once per terminal within that window ([`claim_nonce`]).

use crate::error::RepoError;
use crate::repo::Repository;

pub use till_core::signing::{
    sign, signed_headers, string_to_sign, verify, HEADER_IDEMPOTENCY_KEY, HEADER_NONCE, HEADER_SIGNATURE,
    HEADER_TERMINAL, HEADER_TIMESTAMP,
};

/// How far (seconds) a request's timestamp may be from the server's clock, either way.
pub const TIMESTAMP_WINDOW_SECS: i64 = 300;

/// Whether a nonce has the required form: 16 bytes as 32 hex digits.
pub fn nonce_is_well_formed(nonce: &str) -> bool {
    nonce.len() == 32 && nonce.bytes().all(|b| b.is_ascii_hexdigit())
}

/// Until when a nonce used with `timestamp` (the request's) at `now` (the server's clock) must be
/// refused: until the timestamp can no longer pass the window check.
pub fn nonce_expiry(timestamp: i64, now: i64) -> i64 {
    timestamp.max(now).saturating_add(TIMESTAMP_WINDOW_SECS)
}

/// Records `nonce` for `terminal`: false if it was already used and has not expired.
///
/// Kept in the database (`request_nonces`, schema version 11), not in memory: every server
/// process sharing the database refuses a nonce any of them saw, and so does a server after a
/// restart. One conditional insert in a transaction of its own that does not queue behind the
/// writers ([`Repository::begin_unordered`]); the purge task deletes expired nonces.
pub fn claim_nonce(
    repo: &dyn Repository,
    terminal: &str,
    nonce: &str,
    timestamp: i64,
    now: i64,
) -> Result<bool, RepoError> {
    let mut tx = repo.begin_unordered()?;
    let fresh = tx.claim_nonce(terminal, &nonce.to_ascii_lowercase(), nonce_expiry(timestamp, now), now)?;
    tx.commit()?;
    Ok(fresh)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn string_to_sign_layout() {
        let s = string_to_sign("GET", "/v1/line-codes/X", 5, "ab", b"");
        assert_eq!(s, "GET\n/v1/line-codes/X\n5\nab\ne3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    }

    #[test]
    fn the_worked_example_of_docs_api_md() {
        let secret: Vec<u8> = (0u8..32).collect();
        let body = br#"{"order_id":"o-1"}"#;
        let nonce = "00112233445566778899aabbccddeeff";
        assert_eq!(
            string_to_sign("POST", "/v1/sales", 1_795_000_000, nonce, body),
            "POST\n/v1/sales\n1795000000\n00112233445566778899aabbccddeeff\n\
             21fbcc9a1180d3749842735ce7bfc5af1928fae94c44031deefd1dcd721d48a5"
        );
        assert_eq!(
            sign(&secret, "POST", "/v1/sales", 1_795_000_000, nonce, body),
            "s6rO2EVvs2cfzECkoC0ZJL6ew460cLEIpN5Jg0a3+c0="
        );
    }

    #[test]
    fn hmac_matches_rfc_4231_case_2() {
        // RFC 4231 test case 2: key "Jefe", data "what do ya want for nothing?".
        use hmac::{Hmac, Mac};
        let mut m = Hmac::<sha2::Sha256>::new_from_slice(b"Jefe").unwrap();
        m.update(b"what do ya want for nothing?");
        assert_eq!(
            hex::encode(m.finalize().into_bytes()),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }

    #[test]
    fn any_change_breaks_the_signature() {
        let k = [1u8; 32];
        let n = "00112233445566778899aabbccddeeff";
        let sig = sign(&k, "POST", "/v1/sales", 100, n, b"{\"a\":1}");
        assert!(verify(&k, "POST", "/v1/sales", 100, n, b"{\"a\":1}", &sig));
        assert!(!verify(&k, "POST", "/v1/sales", 100, n, b"{\"a\":2}", &sig));
        assert!(!verify(&k, "POST", "/v1/refunds", 100, n, b"{\"a\":1}", &sig));
        assert!(!verify(&k, "POST", "/v1/sales", 101, n, b"{\"a\":1}", &sig));
        assert!(!verify(&k, "PUT", "/v1/sales", 100, n, b"{\"a\":1}", &sig));
        assert!(!verify(&[2u8; 32], "POST", "/v1/sales", 100, n, b"{\"a\":1}", &sig));
        assert!(!verify(&k, "POST", "/v1/sales", 100, n, b"{\"a\":1}", "not base64!"));
    }
}
