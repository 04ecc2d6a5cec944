//! The kinds of event the till queues in its outbox, and the kinds of state-changing request
//! the server takes (one by one or in `POST /v1/sync/batch`), named once for the till's store,
//! the sync worker and the server.
//!
//! Outbox kinds are stored in the till's database (`outbox.kind`), so their text never changes.
//! Each outbox kind goes to exactly one server kind ([`EventKind::server_kind`]).

use crate::CoreError;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// The kind of an outbox event, as stored (`sale.recorded`, ...).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EventKind {
    /// `sale.recorded`: a completed sale.
    SaleRecorded,
    /// `refund.requested`: a refund for the server to decide or record.
    RefundRequested,
    /// `points.enrolled`: a customer enrolled for loyalty points.
    PointsEnrolled,
    /// `points.updated`: points earned or redeemed with a sale.
    PointsUpdated,
    /// `points.reversed`: points taken back or given back with a refund.
    PointsReversed,
    /// `payment.forward`: a card payment approved offline, forwarded to the payment platform.
    PaymentForward,
    /// `payment.reversal`: an authorisation whose sale was not recorded, taken back at the
    /// payment platform (the payment journal's `reversal_pending`).
    PaymentReversal,
    /// `service_order.recorded`: a repair (service order) opened or moved on, device services.
    ServiceOrderRecorded,
    /// `software_update.recorded`: software installed on a sold device, device services.
    SoftwareUpdateRecorded,
    /// `refund.photo`: the photo of a refund's defect, uploaded for the seller.
    RefundPhoto,
}

impl EventKind {
    /// Every kind.
    pub const ALL: [EventKind; 10] = [
        EventKind::SaleRecorded,
        EventKind::RefundRequested,
        EventKind::PointsEnrolled,
        EventKind::PointsUpdated,
        EventKind::PointsReversed,
        EventKind::PaymentForward,
        EventKind::PaymentReversal,
        EventKind::ServiceOrderRecorded,
        EventKind::SoftwareUpdateRecorded,
        EventKind::RefundPhoto,
    ];

    /// The stored name.
    pub const fn as_str(self) -> &'static str {
        match self {
            EventKind::SaleRecorded => "sale.recorded",
            EventKind::RefundRequested => "refund.requested",
            EventKind::PointsEnrolled => "points.enrolled",
            EventKind::PointsUpdated => "points.updated",
            EventKind::PointsReversed => "points.reversed",
            EventKind::PaymentForward => "payment.forward",
            EventKind::PaymentReversal => "payment.reversal",
            EventKind::ServiceOrderRecorded => "service_order.recorded",
            EventKind::SoftwareUpdateRecorded => "software_update.recorded",
            EventKind::RefundPhoto => "refund.photo",
        }
    }

    /// The kind of a stored name.
    pub fn parse(text: &str) -> Result<Self, CoreError> {
        EventKind::ALL
            .into_iter()
            .find(|k| k.as_str() == text)
            .ok_or_else(|| CoreError::UnknownEventKind(text.chars().take(80).collect()))
    }

    /// The server request an event of this kind becomes.
    pub fn server_kind(self) -> ServerEventKind {
        match self {
            EventKind::SaleRecorded => ServerEventKind::Sale,
            EventKind::RefundRequested => ServerEventKind::Refund,
            EventKind::PointsEnrolled => ServerEventKind::PointsEnrol,
            EventKind::PointsUpdated => ServerEventKind::PointsUpdate,
            EventKind::PointsReversed => ServerEventKind::PointsReversal,
            EventKind::PaymentForward => ServerEventKind::PaymentAuthorize,
            EventKind::PaymentReversal => ServerEventKind::PaymentReversal,
            EventKind::ServiceOrderRecorded => ServerEventKind::ServiceOrder,
            EventKind::SoftwareUpdateRecorded => ServerEventKind::SoftwareUpdate,
            EventKind::RefundPhoto => ServerEventKind::RefundPhoto,
        }
    }
}

impl fmt::Display for EventKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for EventKind {
    type Err = CoreError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        EventKind::parse(s)
    }
}

/// The kinds of state-changing event, as named in a batch.
// The server's OpenAPI document names this schema `EventKind` (docs/openapi.json).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "utoipa", derive(utoipa::ToSchema), schema(as = EventKind))]
#[serde(rename_all = "snake_case")]
pub enum ServerEventKind {
    /// `POST /v1/sales`.
    Sale,
    /// `POST /v1/refunds`.
    Refund,
    /// `POST /v1/points/enrol`.
    PointsEnrol,
    /// `POST /v1/points/updates`.
    PointsUpdate,
    /// `POST /v1/points/reversals`.
    PointsReversal,
    /// `POST /v1/payments/authorize` (in a batch: payments a till approved offline, forwarded).
    PaymentAuthorize,
    /// `POST /v1/payments/{payment_id}/reversal`: an authorisation taken back.
    PaymentReversal,
    /// `POST /v1/payments/code`: a customer's payment code charged.
    PaymentCode,
    /// `POST /v1/device-services/service-orders`: a service order's current state.
    ServiceOrder,
    /// `POST /v1/device-services/software-updates`: a software update record.
    SoftwareUpdate,
    /// `POST /v1/refunds/photos`: the photo of a refund's defect (stored by its SHA-256).
    RefundPhoto,
}

impl ServerEventKind {
    /// Every kind.
    pub const ALL: [ServerEventKind; 11] = [
        ServerEventKind::Sale,
        ServerEventKind::Refund,
        ServerEventKind::PointsEnrol,
        ServerEventKind::PointsUpdate,
        ServerEventKind::PointsReversal,
        ServerEventKind::PaymentAuthorize,
        ServerEventKind::PaymentReversal,
        ServerEventKind::PaymentCode,
        ServerEventKind::ServiceOrder,
        ServerEventKind::SoftwareUpdate,
        ServerEventKind::RefundPhoto,
    ];

    /// The name in a batch (`sale`, `points_enrol`, ...).
    pub const fn as_str(self) -> &'static str {
        match self {
            ServerEventKind::Sale => "sale",
            ServerEventKind::Refund => "refund",
            ServerEventKind::PointsEnrol => "points_enrol",
            ServerEventKind::PointsUpdate => "points_update",
            ServerEventKind::PointsReversal => "points_reversal",
            ServerEventKind::PaymentAuthorize => "payment_authorize",
            ServerEventKind::PaymentReversal => "payment_reversal",
            ServerEventKind::PaymentCode => "payment_code",
            ServerEventKind::ServiceOrder => "service_order",
            ServerEventKind::SoftwareUpdate => "software_update",
            ServerEventKind::RefundPhoto => "refund_photo",
        }
    }

    /// The kind of a batch name.
    pub fn parse(text: &str) -> Result<Self, CoreError> {
        ServerEventKind::ALL
            .into_iter()
            .find(|k| k.as_str() == text)
            .ok_or_else(|| CoreError::UnknownEventKind(text.chars().take(80).collect()))
    }

    /// The endpoint the event belongs to; part of the server's request hash. A path with a
    /// `{payment_id}` is a template: the request goes to [`ServerEventKind::path_for`] while the
    /// hash keeps the template, so an event hashes alike alone and in a batch.
    pub fn path(self) -> &'static str {
        match self {
            ServerEventKind::Sale => "/v1/sales",
            ServerEventKind::Refund => "/v1/refunds",
            ServerEventKind::PointsEnrol => "/v1/points/enrol",
            ServerEventKind::PointsUpdate => "/v1/points/updates",
            ServerEventKind::PointsReversal => "/v1/points/reversals",
            ServerEventKind::PaymentAuthorize => "/v1/payments/authorize",
            ServerEventKind::PaymentReversal => "/v1/payments/{payment_id}/reversal",
            ServerEventKind::PaymentCode => "/v1/payments/code",
            ServerEventKind::ServiceOrder => "/v1/device-services/service-orders",
            ServerEventKind::SoftwareUpdate => "/v1/device-services/software-updates",
            ServerEventKind::RefundPhoto => "/v1/refunds/photos",
        }
    }

    /// The path a request of this kind is sent to: [`ServerEventKind::path`] with its
    /// `{payment_id}` filled in (percent-encoded) from `payment_id`.
    pub fn path_for(self, payment_id: &str) -> String {
        let mut encoded = String::with_capacity(payment_id.len());
        for b in payment_id.bytes() {
            if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                encoded.push(char::from(b));
            } else {
                encoded.push_str(&format!("%{b:02X}"));
            }
        }
        self.path().replace("{payment_id}", &encoded)
    }

    /// Whether `POST /v1/sync/batch` takes it from the till: every kind but the payment
    /// platform's (authorisations and reversals), which go alone to their own endpoint, and
    /// photos, which go alone because of their size (a batch's limit is for many small events).
    pub fn batchable(self) -> bool {
        !matches!(
            self,
            ServerEventKind::PaymentAuthorize
                | ServerEventKind::PaymentReversal
                | ServerEventKind::PaymentCode
                | ServerEventKind::RefundPhoto
        )
    }
}

impl fmt::Display for ServerEventKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for ServerEventKind {
    type Err = CoreError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        ServerEventKind::parse(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_outbox_kind_round_trips_and_keeps_its_stored_name() {
        let stored: Vec<&str> = EventKind::ALL.iter().map(|k| k.as_str()).collect();
        // These strings are in existing databases: changing one strands its events.
        assert_eq!(
            stored,
            [
                "sale.recorded",
                "refund.requested",
                "points.enrolled",
                "points.updated",
                "points.reversed",
                "payment.forward",
                "payment.reversal",
                "service_order.recorded",
                "software_update.recorded",
                "refund.photo"
            ]
        );
        for kind in EventKind::ALL {
            assert_eq!(EventKind::parse(kind.as_str()), Ok(kind));
            assert_eq!(kind.to_string().parse::<EventKind>(), Ok(kind));
        }
        for bad in ["", "sale", "Sale.Recorded", "refund.recorded", "test.kind"] {
            assert!(EventKind::parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn every_server_kind_round_trips_in_text_and_json() {
        for kind in ServerEventKind::ALL {
            assert_eq!(ServerEventKind::parse(kind.as_str()), Ok(kind));
            let json = serde_json::to_string(&kind).unwrap();
            assert_eq!(json, format!("\"{}\"", kind.as_str()));
            assert_eq!(serde_json::from_str::<ServerEventKind>(&json).unwrap(), kind);
        }
        assert!(ServerEventKind::parse("sale.recorded").is_err());
    }

    #[test]
    fn each_outbox_kind_goes_to_its_endpoint() {
        let routes: Vec<(&str, &str, &str)> =
            EventKind::ALL.iter().map(|k| (k.as_str(), k.server_kind().as_str(), k.server_kind().path())).collect();
        assert_eq!(
            routes,
            [
                ("sale.recorded", "sale", "/v1/sales"),
                ("refund.requested", "refund", "/v1/refunds"),
                ("points.enrolled", "points_enrol", "/v1/points/enrol"),
                ("points.updated", "points_update", "/v1/points/updates"),
                ("points.reversed", "points_reversal", "/v1/points/reversals"),
                ("payment.forward", "payment_authorize", "/v1/payments/authorize"),
                ("payment.reversal", "payment_reversal", "/v1/payments/{payment_id}/reversal"),
                ("service_order.recorded", "service_order", "/v1/device-services/service-orders"),
                ("software_update.recorded", "software_update", "/v1/device-services/software-updates"),
                ("refund.photo", "refund_photo", "/v1/refunds/photos"),
            ]
        );
        let unbatched: Vec<_> = ServerEventKind::ALL.into_iter().filter(|k| !k.batchable()).collect();
        assert_eq!(
            unbatched,
            [
                ServerEventKind::PaymentAuthorize,
                ServerEventKind::PaymentReversal,
                ServerEventKind::PaymentCode,
                ServerEventKind::RefundPhoto
            ]
        );
        assert_eq!(ServerEventKind::PaymentReversal.path_for("ab12"), "/v1/payments/ab12/reversal");
        assert_eq!(ServerEventKind::PaymentReversal.path_for("a b/é"), "/v1/payments/a%20b%2F%C3%A9/reversal");
        assert_eq!(ServerEventKind::Sale.path_for("x"), "/v1/sales");
    }
}
