//! What each local outbox event becomes on the wire: the server's event kind and the exact
//! JSON body. Run once per event, the first time it is claimed; the result is stored with the
//! event and every attempt sends those bytes.
//!
//! | local kind | server kind | body |
//! | --- | --- | --- |
//! | `sale.recorded` | `sale` (`POST /v1/sales`) | built from the local payload (below) |
//! | `refund.requested` | `refund` (`POST /v1/refunds`) | the payload as queued |
//! | `points.enrolled` | `points_enrol` (`POST /v1/points/enrol`) | the payload as queued |
//! | `points.updated` | `points_update` (`POST /v1/points/updates`) | the payload as queued |
//! | `points.reversed` | `points_reversal` (`POST /v1/points/reversals`) | the payload as queued: `{refund_id, order_id, account_id, kind: reverse_earn \| return_redeem, points}` |
//! | `payment.forward` | `payment_authorize` (`POST /v1/payments/authorize`) | the payload as queued: a card payment approved offline, forwarded (store-and-forward); its id is the payment id |
//! | `payment.reversal` | `payment_reversal` (`POST /v1/payments/{payment_id}/reversal`) | the payload as queued: `{payment_id, amount, reason}`, an authorisation the payment journal takes back; its id is `reversal-<payment id>` |
//! | `service_order.recorded` | `service_order` (`POST /v1/device-services/service-orders`) | built from the local payload: the identifier blinded and sealed, the store added |
//! | `software_update.recorded` | `software_update` (`POST /v1/device-services/software-updates`) | the same |
//! | `refund.photo` | `refund_photo` (`POST /v1/refunds/photos`, sent alone) | the payload read as till-api's `RefundPhotoUpload`: `{sha256, content_type, photo_base64}`; its id is `photo-<sha256>` |
//!
//! A device's identifier never goes in clear (docs/device-services.md): a sale's devices, a
//! refund by device and the device services name it by its blind under the platform's device
//! identifier key, and carry it sealed where the server keeps it ([`crate::device_keys`]).
//! Without the key such an event waits in the outbox.
//!
//! Any other kind is parked with the reason "no server endpoint for event kind ...".

use crate::device_keys::{blind_refund_body, Blinder};
use serde_json::Value;
use till_api::device_services::{ServiceOrderRequest, SoftwareUpdateRequest};
use till_api::sales::{DeviceIn, LineOriginIn, SaleLine, SalePayment, SaleRequest, TenderKind};
use till_api::AmountIn;
use till_core::{EventId, EventKind, ServerEventKind};
use till_store::device_services::{ServiceOrderEvent, SoftwareUpdateEvent};
use till_store::sale_event::SaleRecorded;
use till_store::{ClaimedEvent, DueEvent, NotPrepared, Prepared};

/// The server's path for a server event kind (a template for the payment platform's
/// reversals: [`request_path`] fills it in).
pub fn endpoint(wire_kind: &str) -> Option<&'static str> {
    ServerEventKind::parse(wire_kind).ok().map(ServerEventKind::path)
}

/// The path a claimed event is sent to alone: its kind's endpoint, with the `payment_id` of its
/// body filled in where the path names one. `None`: no endpoint (the event is parked).
pub fn request_path(e: &ClaimedEvent) -> Option<String> {
    let kind = ServerEventKind::parse(&e.wire_kind).ok()?;
    if !kind.path().contains("{payment_id}") {
        return Some(kind.path().to_string());
    }
    let body: Value = serde_json::from_str(&e.body).ok()?;
    Some(kind.path_for(body.get("payment_id")?.as_str()?))
}

/// Whether an answer other than 2xx is an outcome the event reached rather than a refusal to
/// park: for a reversal, a payment the platform never had (404 `payment_not_found`: its id is
/// now blocked), one reversed already (409 `already_reversed`) or declined in the first place
/// (409 `payment_declined`). Either way no money is held, which is what the reversal was for.
pub fn is_final_outcome(wire_kind: &str, status: u16, body: &str) -> bool {
    if ServerEventKind::parse(wire_kind) != Ok(ServerEventKind::PaymentReversal) {
        return false;
    }
    let code = till_api::from_json::<till_api::ErrorBody>(body).map(|e| e.code).unwrap_or_default();
    matches!((status, code.as_str()), (404, "payment_not_found") | (409, "already_reversed" | "payment_declined"))
}

/// The body of `POST /v1/sync/batch` (a [`till_api::BatchRequest`]) for claimed events. Built
/// as text, not through the type: each stored body goes in byte for byte, as on every earlier
/// attempt, and the server hashes each event as if it had been sent alone.
pub fn batch_body(events: &[ClaimedEvent]) -> String {
    let mut body = String::with_capacity(events.iter().map(|e| e.body.len() + 96).sum::<usize>() + 16);
    body.push_str("{\"events\":[");
    for (i, e) in events.iter().enumerate() {
        if i > 0 {
            body.push(',');
        }
        body.push_str("{\"idempotency_key\":");
        body.push_str(&Value::String(e.id.clone()).to_string());
        body.push_str(",\"kind\":");
        body.push_str(&Value::String(e.wire_kind.clone()).to_string());
        body.push_str(",\"body\":");
        body.push_str(&e.body);
        body.push('}');
    }
    body.push_str("]}");
    body
}

/// Turns a queued event into its request without the device identifier key: an event naming a
/// device waits ([`prepare_with`]).
pub fn prepare(ev: &DueEvent, store_name: &str) -> Result<Prepared, NotPrepared> {
    prepare_with(ev, store_name, &mut Blinder::without_key())
}

/// Turns a queued event into its request, or says why it cannot be sent: parked with the reason,
/// or (an event naming a device while the key is unknown) left waiting.
pub fn prepare_with(ev: &DueEvent, store_name: &str, blinder: &mut Blinder<'_>) -> Result<Prepared, NotPrepared> {
    // The id travels as the Idempotency-Key: one the server would refuse is parked here, with
    // the reason, instead of after a round trip.
    EventId::parse(&ev.id).map_err(|e| format!("the event id cannot be an Idempotency-Key: {e}"))?;
    let kind = EventKind::parse(&ev.kind).map_err(|_| format!("no server endpoint for event kind {:?}", ev.kind))?;
    let bad = |e: serde_json::Error| NotPrepared::Park(format!("the queued payload is not a {} event: {e}", ev.kind));
    // A sale's and the device services' server bodies are built from the typed local events; a
    // refund by device gets its blind; every other kind is sent as queued.
    let body = match kind {
        EventKind::SaleRecorded => {
            let sale: SaleRecorded = serde_json::from_str(&ev.payload).map_err(bad)?;
            serde_json::to_string(&sale_body_with(&sale, store_name, blinder)?)
        }
        EventKind::RefundRequested => {
            let mut body: Value = serde_json::from_str(&ev.payload).map_err(bad)?;
            blind_refund_body(&mut body, blinder)?;
            serde_json::to_string(&body)
        }
        EventKind::ServiceOrderRecorded => {
            let e: ServiceOrderEvent = serde_json::from_str(&ev.payload).map_err(bad)?;
            let (device_blind, identifier_sealed) = blinder.blind_and_seal(&e.identifier)?;
            serde_json::to_string(&ServiceOrderRequest {
                service_no: e.service_no,
                device_blind,
                identifier_sealed,
                store: store_name.to_string(),
                fault: e.fault,
                status: e.status,
                opened_at: e.opened_at_ms.div_euclid(1000),
                changed_at: e.changed_at_ms.div_euclid(1000),
                changed_by: e.changed_by,
            })
        }
        EventKind::SoftwareUpdateRecorded => {
            let e: SoftwareUpdateEvent = serde_json::from_str(&ev.payload).map_err(bad)?;
            let (device_blind, identifier_sealed) = blinder.blind_and_seal(&e.identifier)?;
            serde_json::to_string(&SoftwareUpdateRequest {
                update_id: e.update_id,
                device_blind,
                identifier_sealed,
                store: store_name.to_string(),
                version: e.version,
                installed_by: e.installed_by,
                installed_at: e.installed_at_ms.div_euclid(1000),
            })
        }
        EventKind::RefundPhoto => {
            let p: till_api::refunds::RefundPhotoUpload = serde_json::from_str(&ev.payload).map_err(bad)?;
            serde_json::to_string(&p)
        }
        _ => serde_json::to_string(&serde_json::from_str::<Value>(&ev.payload).map_err(bad)?),
    }
    .map_err(|e| NotPrepared::Park(e.to_string()))?;
    Ok(Prepared { wire_kind: kind.server_kind().as_str().to_string(), body })
}

/// The `sale.recorded` event (till-store's checkout) as a `POST /v1/sales` body: the printed
/// order number is the server's order id, amounts become `{minor, currency}`, each line is
/// paid its gross amount, and the payment carries the masked card number and the payment id it
/// was authorised under (for the server's check of card refunds), never more. The body
/// is till-api's [`SaleRequest`], the type the server reads, so the two cannot drift apart.
pub fn sale_body(p: &SaleRecorded, store_name: &str) -> Result<SaleRequest, NotPrepared> {
    sale_body_with(p, store_name, &mut Blinder::without_key())
}

/// [`sale_body`] with the devices blinded and sealed by `blinder`.
pub fn sale_body_with(
    p: &SaleRecorded,
    store_name: &str,
    blinder: &mut Blinder<'_>,
) -> Result<SaleRequest, NotPrepared> {
    let currency = p.currency.as_str();
    let amount = |minor: i64| AmountIn::new(minor, currency);
    let lines = p
        .lines
        .iter()
        .map(|l| {
            // The sold-data list (CN103310370A) learns the device from the sale.
            let devices = match &l.device {
                Some(d) => {
                    let kind = named(&d.kind, "device kind")?;
                    let (blind, sealed) = blinder.blind_and_seal(&d.identifier)?;
                    vec![DeviceIn {
                        kind,
                        blind,
                        sealed,
                        software: d.software.clone(),
                        warranty_months: d.warranty_months,
                    }]
                }
                None => Vec::new(),
            };
            Ok(SaleLine {
                line_code: l.line_code.clone(),
                sku: l.sku.clone(),
                // Events queued before sales carried their names go with the SKU instead.
                name: if l.name.is_empty() { l.sku.clone() } else { l.name.clone() },
                quantity: l.quantity,
                unit_price: amount(l.unit_price),
                total: amount(l.gross),
                seller: l.seller.clone(),
                devices,
                origin: l
                    .origin
                    .as_ref()
                    .map(|o| LineOriginIn { kind: o.kind.clone(), reference: o.reference.clone() }),
            })
        })
        .collect::<Result<Vec<_>, NotPrepared>>()?;
    let mut payments = Vec::with_capacity(2);
    if p.payment.amount > 0 {
        payments.push(SalePayment {
            tender: named(&p.payment.tender, "tender")?,
            amount: amount(p.payment.amount),
            masked_pan: p.payment.card_masked.clone(),
            auth_code: p.payment.auth_code.clone(),
            payment_id: p.payment.payment_id.clone(),
            wallet: p.payment.wallet.clone(),
            masked_code: p.payment.masked_code.clone(),
        });
    }
    if let Some(points) = p.points_payment {
        payments.push(SalePayment {
            tender: TenderKind::Points,
            amount: amount(points),
            masked_pan: None,
            auth_code: None,
            payment_id: None,
            wallet: None,
            masked_code: None,
        });
    }
    Ok(SaleRequest {
        order_id: p.order_no.clone().unwrap_or_else(|| p.order_id.to_string()),
        store: store_name.to_string(),
        created_at: p.created_at_ms.div_euclid(1000),
        currency: currency.to_string(),
        customer_id: p.customer_ref.clone(),
        // A cart id (32 hex digits) is what a redemption token names; an older or foreign key
        // is left out rather than have the sale refused for it.
        checkout_key: till_core::loyalty_token::order_ref(&p.checkout_key).is_ok().then(|| p.checkout_key.clone()),
        lines,
        payments,
    })
}

/// A name the server knows (`imei`, `card`, ...) as its till-api enum.
fn named<T: serde::de::DeserializeOwned>(name: &str, what: &str) -> Result<T, String> {
    serde_json::from_value(Value::String(name.to_string())).map_err(|_| format!("the server knows no {what} {name:?}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn due(kind: &str, payload: &str) -> DueEvent {
        DueEvent {
            id: "e1".into(),
            kind: kind.into(),
            subject: "order/7".into(),
            payload: payload.into(),
            created_at_ms: 0,
        }
    }

    #[test]
    fn a_local_sale_becomes_a_server_sale() {
        let p = json!({
            "order_id": 7, "order_no": "00000007", "checkout_key": "c", "created_at_ms": 1_795_000_000_123i64,
            "cashier_id": 1, "currency": "CNY", "subtotal": 700, "tax": 0, "total": 700,
            "lines": [{"line_code": "L1", "sku": "A", "name": "Apple", "quantity": 2, "unit_price": 350, "tax_rate_bp": 0, "net": 700, "tax": 0, "gross": 700}],
            "payment": {"tender": "card", "amount": 700, "card_masked": "411111******1111", "brand": "visa", "auth_code": "A1",
                        "payment_id": "0190f3a4-1"}
        });
        let out = prepare(&due("sale.recorded", &p.to_string()), "shop-1").unwrap();
        assert_eq!(out.wire_kind, "sale");
        let b: Value = serde_json::from_str(&out.body).unwrap();
        assert_eq!(b["order_id"], "00000007");
        assert_eq!(b["store"], "shop-1");
        assert_eq!(b["created_at"], 1_795_000_000);
        assert_eq!(b["lines"][0]["name"], "Apple");
        assert_eq!(b["lines"][0]["total"], json!({"minor": 700, "currency": "CNY"}));
        assert_eq!(b["payments"][0]["masked_pan"], "411111******1111");
        // the payment id names the card payment's authorisation on the server
        assert_eq!(b["payments"][0]["payment_id"], "0190f3a4-1");
        assert!(b["payments"][0].get("brand").is_none());
        assert!(b["lines"][0].get("devices").is_none() && b.get("customer_id").is_none());
        // an event queued before sales carried their lines' names goes with the SKU
        let mut old = p.clone();
        old["lines"][0].as_object_mut().unwrap().remove("name");
        let b: Value =
            serde_json::from_str(&prepare(&due("sale.recorded", &old.to_string()), "shop-1").unwrap().body).unwrap();
        assert_eq!(b["lines"][0]["name"], "A");
        // deterministic: the same event gives the same bytes
        assert_eq!(out, prepare(&due("sale.recorded", &p.to_string()), "shop-1").unwrap());
    }

    const IMEI: &str = "490154203237518";

    fn rng() -> rand::rngs::StdRng {
        rand::SeedableRng::seed_from_u64(3)
    }

    fn keyed(rng: &mut rand::rngs::StdRng) -> Blinder<'_> {
        Blinder::new(Some(till_core::DeviceIdentifierKey::from_bytes([7; 32])), rng)
    }

    #[test]
    fn a_phone_paid_partly_with_points_carries_its_blinded_imei_the_customer_and_both_tenders() {
        let p = json!({
            "order_id": 8, "order_no": "00000008", "created_at_ms": 0, "currency": "CNY",
            "lines": [{"line_code": "L1", "sku": "PH", "quantity": 1, "unit_price": 1000, "gross": 1000,
                       "device": {"kind": "imei", "identifier": IMEI, "software": "v1.2", "warranty_months": 24}}],
            "payment": {"tender": "cash", "amount": 700}, "points_payment": 300, "customer_ref": "ab12"
        });
        let ev = due("sale.recorded", &p.to_string());
        // Without the key the sale waits: it is neither sent with the IMEI nor parked.
        assert_eq!(prepare(&ev, "s").unwrap_err(), NotPrepared::Wait(crate::device_keys::WAITING_FOR_KEY.into()));
        let mut r = rng();
        let mut blinder = keyed(&mut r);
        let out = prepare_with(&ev, "s", &mut blinder).unwrap();
        assert!(!blinder.waited);
        assert!(!out.body.contains(IMEI), "the identifier never goes in clear: {}", out.body);
        let b: Value = serde_json::from_str(&out.body).unwrap();
        let key = till_core::DeviceIdentifierKey::from_bytes([7; 32]);
        let d = &b["lines"][0]["devices"][0];
        assert_eq!(d["blind"], key.blind(IMEI));
        assert_eq!(key.open(d["sealed"].as_str().unwrap(), &key.blind(IMEI)).unwrap(), IMEI);
        assert_eq!(
            (d["kind"].as_str(), d["software"].as_str(), d["warranty_months"].as_i64()),
            (Some("imei"), Some("v1.2"), Some(24))
        );
        assert_eq!(b["customer_id"], "ab12");
        assert_eq!(b["payments"][1], json!({"tender": "points", "amount": {"minor": 300, "currency": "CNY"}}));
        assert_eq!(b["payments"][0]["amount"]["minor"], 700);
        // The body is the server's type, read back as the server reads it.
        let sale: SaleRequest = till_api::from_json(&out.body).unwrap();
        assert_eq!(sale.lines[0].devices[0].kind, till_api::sales::DeviceKind::Imei);
        assert_eq!(sale.payments.iter().map(|p| p.tender).collect::<Vec<_>>(), [TenderKind::Cash, TenderKind::Points]);
    }

    #[test]
    fn a_refund_and_the_device_services_name_the_device_by_its_blind() {
        let key = till_core::DeviceIdentifierKey::from_bytes([7; 32]);
        let mut r = rng();
        let refund = due("refund.requested", &json!({"refund_id": "r1", "device_identifier": IMEI}).to_string());
        assert!(matches!(prepare(&refund, "s"), Err(NotPrepared::Wait(_))));
        let out = prepare_with(&refund, "s", &mut keyed(&mut r)).unwrap();
        assert_eq!(
            serde_json::from_str::<Value>(&out.body).unwrap(),
            json!({"refund_id": "r1", "device_blind": key.blind(IMEI)})
        );
        let so = json!({"service_no": "SO000001", "identifier": IMEI, "fault": "no sound", "status": "received",
                        "opened_at_ms": 5_000, "changed_at_ms": 5_000, "changed_by": "Li"});
        let out = prepare_with(&due("service_order.recorded", &so.to_string()), "Shop 1", &mut keyed(&mut r)).unwrap();
        assert_eq!(out.wire_kind, "service_order");
        assert!(!out.body.contains(IMEI));
        let req: ServiceOrderRequest = till_api::from_json(&out.body).unwrap();
        assert_eq!((req.device_blind, req.store.as_str(), req.opened_at), (key.blind(IMEI), "Shop 1", 5));
        let su = json!({"update_id": "u1", "identifier": IMEI, "version": "2.0", "installed_by": "Li", "installed_at_ms": 9_000});
        let out =
            prepare_with(&due("software_update.recorded", &su.to_string()), "Shop 1", &mut keyed(&mut r)).unwrap();
        assert_eq!(out.wire_kind, "software_update");
        assert!(!out.body.contains(IMEI));
    }

    #[test]
    fn a_sale_carries_its_cart_id_as_checkout_key_for_the_redemption_it_paid_with() {
        let sale = |key: &str| {
            let p = json!({
                "order_id": 9, "order_no": "00000009", "checkout_key": key, "created_at_ms": 0, "currency": "CNY",
                "lines": [{"line_code": "L1", "sku": "T", "quantity": 1, "unit_price": 500, "gross": 500}],
                "payment": {"tender": "cash", "amount": 470}, "points_payment": 30, "customer_ref": "ab12"
            });
            serde_json::from_str::<Value>(&prepare(&due("sale.recorded", &p.to_string()), "s").unwrap().body).unwrap()
        };
        let cart = "0123456789abcdef0123456789abcdef";
        assert_eq!(sale(cart)["checkout_key"], cart);
        // A key that is not a cart id never reaches the server, which would refuse the sale.
        assert!(sale("cart-1").get("checkout_key").is_none());
    }

    #[test]
    fn a_sale_with_a_tender_or_device_kind_the_server_does_not_know_is_parked_with_the_reason() {
        let p = json!({
            "order_id": 9, "created_at_ms": 0, "currency": "CNY",
            "lines": [{"line_code": "L1", "sku": "A", "quantity": 1, "unit_price": 1, "gross": 1}],
            "payment": {"tender": "cheque", "amount": 1}
        });
        let e = prepare(&due("sale.recorded", &p.to_string()), "s").unwrap_err();
        assert_eq!(e, NotPrepared::Park("the server knows no tender \"cheque\"".into()));
        let mut p = p;
        p["payment"]["tender"] = json!("cash");
        p["lines"][0]["device"] = json!({"kind": "vin", "identifier": "X"});
        let e = prepare_with(&due("sale.recorded", &p.to_string()), "s", &mut keyed(&mut rng())).unwrap_err();
        assert!(e.reason().contains("device kind \"vin\""), "{e:?}");
    }

    #[test]
    fn unknown_kinds_and_bad_payloads_are_refused_with_a_reason() {
        assert!(prepare(&due("mystery", "{}"), "s").unwrap_err().reason().contains("mystery"));
        let mut spaced = due("refund.requested", "{}");
        spaced.id = "e 1".into();
        assert!(prepare(&spaced, "s").unwrap_err().reason().contains("Idempotency-Key"));
        assert!(prepare(&due("sale.recorded", "not json"), "s").is_err());
        let e = prepare(&due("sale.recorded", "{}"), "s").unwrap_err();
        let e = e.reason();
        assert!(e.contains("not a sale.recorded event") && e.contains("missing field"), "{e}");
        let r = prepare(&due("refund.requested", r#"{"refund_id":"r1"}"#), "s").unwrap();
        assert_eq!((r.wire_kind.as_str(), r.body.as_str()), ("refund", r#"{"refund_id":"r1"}"#));
        let r = prepare(&due("payment.forward", r#"{"payment_id":"p1"}"#), "s").unwrap();
        assert_eq!(
            (r.wire_kind.as_str(), endpoint(&r.wire_kind)),
            ("payment_authorize", Some("/v1/payments/authorize"))
        );
    }

    #[test]
    fn a_payment_reversal_goes_alone_to_its_payments_path_and_its_final_refusals_are_outcomes() {
        let payload = r#"{"payment_id":"ab12","amount":{"minor":1999,"currency":"CNY"},"reason":"sale_not_recorded"}"#;
        let r = prepare(&due("payment.reversal", payload), "s").unwrap();
        assert_eq!(r.wire_kind, "payment_reversal");
        assert_eq!(serde_json::from_str::<Value>(&r.body).unwrap(), serde_json::from_str::<Value>(payload).unwrap());
        let claimed = ClaimedEvent {
            id: "reversal-ab12".into(),
            kind: "payment.reversal".into(),
            subject: "payment/ab12".into(),
            wire_kind: r.wire_kind.clone(),
            body: r.body.clone(),
            attempts: 1,
            created_at_ms: 0,
        };
        assert_eq!(request_path(&claimed).as_deref(), Some("/v1/payments/ab12/reversal"));
        let sale = ClaimedEvent { wire_kind: "sale".into(), ..claimed.clone() };
        assert_eq!(request_path(&sale).as_deref(), Some("/v1/sales"));
        let no_id = ClaimedEvent { body: "{}".into(), ..claimed };
        assert_eq!(request_path(&no_id), None);
        let err = |code: &str| format!(r#"{{"code":"{code}","message":"m"}}"#);
        assert!(is_final_outcome("payment_reversal", 404, &err("payment_not_found")));
        assert!(is_final_outcome("payment_reversal", 409, &err("already_reversed")));
        assert!(is_final_outcome("payment_reversal", 409, &err("payment_declined")));
        assert!(!is_final_outcome("payment_reversal", 422, &err("amount_mismatch")));
        assert!(!is_final_outcome("payment_reversal", 404, &err("route_not_found")));
        assert!(!is_final_outcome("refund", 404, &err("payment_not_found")));
    }

    #[test]
    fn a_points_reversal_goes_as_queued_to_its_endpoint() {
        let payload = r#"{"refund_id":"r1","order_id":"00000007","account_id":"00112233445566778899aabbccddeeff","kind":"reverse_earn","points":120}"#;
        let r = prepare(&due("points.reversed", payload), "s").unwrap();
        assert_eq!(r.wire_kind, "points_reversal");
        let sent: Value = serde_json::from_str(&r.body).unwrap();
        assert_eq!(sent, serde_json::from_str::<Value>(payload).unwrap());
        assert_eq!(endpoint(&r.wire_kind), Some("/v1/points/reversals"));
        assert_eq!(endpoint("points_update"), Some("/v1/points/updates"));
        assert_eq!(endpoint("mystery"), None);
    }

    #[test]
    fn the_batch_body_is_the_shared_batch_request_with_each_body_verbatim() {
        let claimed = |id: &str, kind: &str, body: &str| ClaimedEvent {
            id: id.into(),
            kind: "x".into(),
            subject: "order/1".into(),
            wire_kind: kind.into(),
            body: body.into(),
            attempts: 1,
            created_at_ms: 0,
        };
        // Key order and spacing a re-serialisation would change; a quote in a key.
        let sale = r#"{"z":1, "a":[1,2]}"#;
        let events = [claimed("e-\"1", "sale", sale), claimed("e2", "points_update", "{}")];
        let text = batch_body(&events);
        assert!(text.contains(sale), "{text}");
        let parsed: till_api::BatchRequest = till_api::from_json(&text).unwrap();
        let keys: Vec<_> = parsed.events.iter().map(|e| (e.idempotency_key.as_str(), e.kind)).collect();
        assert_eq!(
            keys,
            [("e-\"1", till_core::ServerEventKind::Sale), ("e2", till_core::ServerEventKind::PointsUpdate)]
        );
        assert_eq!(parsed.events[0].body, serde_json::from_str::<Value>(sale).unwrap());
        assert_eq!(batch_body(&[]), r#"{"events":[]}"#);
    }
}
