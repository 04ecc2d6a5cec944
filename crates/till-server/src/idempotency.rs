//! Exactly-once effects: `(terminal, Idempotency-Key)` -> (request hash, stored response).
//!
//! The claim, the effect and the stored response commit in one transaction, so a request either
//! happened with its response stored, or did not happen at all. The claim is an insert on the
//! table's primary key, so of any number of concurrent duplicates exactly one performs the
//! effect; the others find its stored response. Only successful responses are stored: a refused
//! request (4xx) changes nothing, not even the key table, and the same key may be tried again.

use crate::error::ApiError;
use crate::repo::Tx;
use serde_json::Value;
use sha2::{Digest, Sha256};

/// How long keys are kept (the contract promises at least 7 days).
pub const RETENTION_SECS: i64 = 8 * 86_400;

/// A response as stored and replayed: status and exact body text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reply {
    /// HTTP status.
    pub status: u16,
    /// JSON body, byte for byte.
    pub body: String,
}

impl Reply {
    /// A reply with `status` and `body` serialised to JSON.
    pub fn json<T: serde::Serialize>(status: u16, body: &T) -> Result<Reply, ApiError> {
        let body = serde_json::to_string(body).map_err(|e| ApiError::Internal(e.to_string()))?;
        Ok(Reply { status, body })
    }
}

/// Whether the reply was produced now or replayed from the key table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// The effect ran in this request.
    Fresh(Reply),
    /// An earlier identical request ran it; this is its stored response.
    Replayed(Reply),
}

impl Outcome {
    /// The reply, however it came.
    pub fn reply(&self) -> &Reply {
        match self {
            Outcome::Fresh(r) | Outcome::Replayed(r) => r,
        }
    }
}

/// Checks the form of an idempotency key: 1 to 128 visible ASCII characters (a UUID fits), the
/// form of a till's outbox event id ([`till_core::EventId`]).
pub fn validate_key(key: &str) -> Result<(), ApiError> {
    till_core::EventId::parse(key).map(|_| ()).map_err(|_| ApiError::MissingIdempotencyKey)
}

/// JSON with object keys sorted and no whitespace, so that the hash of a request does not depend
/// on how a client (or the batch envelope) happened to lay its body out.
pub fn canonical_json(value: &Value) -> String {
    let mut out = String::new();
    write_canonical(value, &mut out);
    out
}

fn write_canonical(value: &Value, out: &mut String) {
    match value {
        Value::Object(map) => {
            let mut entries: Vec<(&String, &Value)> = map.iter().collect();
            entries.sort_by(|a, b| a.0.cmp(b.0));
            out.push('{');
            for (i, (k, v)) in entries.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push_str(&Value::String(k.clone()).to_string());
                out.push(':');
                write_canonical(v, out);
            }
            out.push('}');
        }
        Value::Array(items) => {
            out.push('[');
            for (i, v) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_canonical(v, out);
            }
            out.push(']');
        }
        scalar => out.push_str(&scalar.to_string()),
    }
}

/// SHA-256 (hex) of `METHOD \n PATH \n canonical body`: the same event hashes the same whether it
/// is sent alone or inside a batch.
pub fn request_hash(method: &str, path: &str, body: &Value) -> String {
    let mut h = Sha256::new();
    h.update(method.as_bytes());
    h.update(b"\n");
    h.update(path.as_bytes());
    h.update(b"\n");
    h.update(canonical_json(body).as_bytes());
    hex::encode(h.finalize())
}

/// Runs `effect` at most once per `(terminal, key)` inside `tx`.
///
/// A stored response for the same hash is returned unchanged; a different hash is
/// `idempotency_conflict`. If `effect` fails, the caller must roll back (drop `tx` or roll back to
/// a savepoint), which also releases the claim.
pub fn run(
    tx: &mut dyn Tx,
    terminal: &str,
    key: &str,
    hash: &str,
    now: i64,
    effect: impl FnOnce(&mut dyn Tx) -> Result<Reply, ApiError>,
) -> Result<Outcome, ApiError> {
    if let Some(stored) = tx.claim_idempotency(terminal, key, hash, now)? {
        if stored.request_hash != hash {
            return Err(ApiError::IdempotencyConflict);
        }
        return match (stored.status, stored.body) {
            (Some(status), Some(body)) => Ok(Outcome::Replayed(Reply { status, body })),
            // Claimed but not completed is impossible once committed (both happen in one
            // transaction); say so rather than guess a response.
            _ => Err(ApiError::Internal(format!("idempotency key {key} has no stored response"))),
        };
    }
    let reply = effect(tx)?;
    tx.complete_idempotency(terminal, key, reply.status, &reply.body)?;
    Ok(Outcome::Fresh(reply))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn canonical_json_ignores_layout_but_not_content() {
        let a: Value = serde_json::from_str(r#"{ "b": [1, {"y":2,"x":"é\n"}], "a": null }"#).unwrap();
        let b = json!({"a": null, "b": [1, {"x": "é\n", "y": 2}]});
        assert_eq!(canonical_json(&a), r#"{"a":null,"b":[1,{"x":"é\n","y":2}]}"#);
        assert_eq!(request_hash("POST", "/v1/sales", &a), request_hash("POST", "/v1/sales", &b));
        assert_ne!(request_hash("POST", "/v1/sales", &a), request_hash("POST", "/v1/refunds", &a));
        assert_ne!(request_hash("POST", "/v1/sales", &a), request_hash("POST", "/v1/sales", &json!({"a": 1})));
    }

    #[test]
    fn keys_are_checked() {
        assert!(validate_key("0190f3a2-7c1e-7000-8000-000000000001").is_ok());
        assert!(validate_key("").is_err());
        assert!(validate_key("has space").is_err());
        assert!(validate_key(&"k".repeat(129)).is_err());
    }
}
