//! `POST /v1/sync/batch`: many outbox events in one request, one result each.

use serde::{Deserialize, Serialize};
use till_core::ServerEventKind;

/// Most events in one batch.
pub const MAX_BATCH_EVENTS: usize = 1_000;

/// A batch of events.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct BatchRequest {
    /// The events, applied in order.
    pub events: Vec<BatchEvent>,
}

/// One event of a batch.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct BatchEvent {
    /// The event's own idempotency key (its outbox id).
    pub idempotency_key: String,
    /// `sale`, `refund`, `points_enrol`, `points_update`, `points_reversal` or
    /// `payment_authorize` (a payment approved offline, forwarded).
    pub kind: ServerEventKind,
    /// The body the event's own endpoint takes.
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub body: serde_json::Value,
}

/// The result of one event: the status and body its own endpoint would have answered.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct BatchResult {
    /// Echo of the event's key.
    pub idempotency_key: String,
    /// HTTP status the event alone would have had.
    pub status: u16,
    /// Whether this is the stored result of an earlier identical event.
    pub replayed: bool,
    /// The response body (for errors, `{code, message}`).
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub body: serde_json::Value,
}

/// The batch's answer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct BatchResponse {
    /// One result per event, in order.
    pub results: Vec<BatchResult>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::from_json;

    /// The examples of docs/api.md ("POST /v1/sync/batch") read as these types.
    #[test]
    fn the_documented_examples_parse() {
        let req: BatchRequest = from_json(
            r#"{ "events": [
                { "idempotency_key": "0190f3a2-1", "kind": "sale", "body": {"order_id": "o-1"} },
                { "idempotency_key": "0190f3a5-2", "kind": "points_update", "body": {} }
            ] }"#,
        )
        .unwrap();
        let kinds: Vec<_> = req.events.iter().map(|e| e.kind).collect();
        assert_eq!(kinds, [ServerEventKind::Sale, ServerEventKind::PointsUpdate]);
        assert_eq!(req.events[0].body["order_id"], "o-1");
        let answer: BatchResponse = from_json(
            r#"{ "results": [
                { "idempotency_key": "0190f3a2-1", "status": 201, "replayed": false, "body": {} },
                { "idempotency_key": "0190f3a5-2", "status": 422, "replayed": false,
                  "body": {"code": "token_replayed", "message": "…"} }
            ] }"#,
        )
        .unwrap();
        assert_eq!(answer.results[1].status, 422);
        let err: crate::ErrorBody = serde_json::from_value(answer.results[1].body.clone()).unwrap();
        assert_eq!(err.code, "token_replayed");
    }

    #[test]
    fn malformed_bodies_are_refused() {
        // An unknown kind, a result without its status, and a result without `replayed` (the
        // contract's answers always carry it).
        assert!(from_json::<BatchRequest>(r#"{"events":[{"idempotency_key":"k","kind":"sales","body":{}}]}"#).is_err());
        assert!(
            from_json::<BatchResponse>(r#"{"results":[{"idempotency_key":"k","replayed":false,"body":{}}]}"#).is_err()
        );
        assert!(from_json::<BatchResponse>(r#"{"results":[{"idempotency_key":"k","status":200,"body":{}}]}"#).is_err());
        assert!(matches!(from_json::<BatchResponse>("not json"), Err(crate::BodyError::Json(_))));
    }

    #[test]
    fn a_batch_round_trips_through_json() {
        let req = BatchRequest {
            events: vec![BatchEvent {
                idempotency_key: "e1".into(),
                kind: ServerEventKind::PaymentAuthorize,
                body: serde_json::json!({"payment_id": "p1"}),
            }],
        };
        let text = serde_json::to_string(&req).unwrap();
        assert!(text.contains(r#""kind":"payment_authorize""#), "{text}");
        assert_eq!(from_json::<BatchRequest>(&text).unwrap(), req);
    }
}
