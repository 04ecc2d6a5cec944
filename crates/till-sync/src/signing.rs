//! Request signing for the client lives in till-client ([`till_client::signing`]); this module
//! only keeps `till_sync::signing::*` working until its callers import `till_client::signing`.

pub use till_client::signing::{
    nonce, sign, signed_headers, HEADER_IDEMPOTENCY_KEY, HEADER_NONCE, HEADER_SIGNATURE, HEADER_TERMINAL,
    HEADER_TIMESTAMP,
};
