//! Device services (CN103310370A; docs/device-services.md): the device identifier key a till
//! fetches wrapped for itself, a device's record looked up by blind, and the service orders and
//! software updates tills send through their outbox (batch kinds `service_order`,
//! `software_update`), all kept under the device's blind.

use super::{blocking, post, Ctx, EventKind};
use crate::error::{ApiError, ErrorBody};
use crate::idempotency::Reply;
use crate::repo::{RefundRecord, Repository, ServiceOrderRecord, ServiceStepRecord, SoftwareUpdateRecord, Tx};
use crate::scope::Scope;
use crate::state::{AppState, AuthedTerminal};
use crate::wire::check_text;
use axum::extract::rejection::PathRejection;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post as post_route};
use axum::{Extension, Json, Router};
use till_core::device_blind::is_blind;
use till_core::{DeviceIdentifier, DeviceIdentifierKey};

pub use till_api::device_services::{
    DeviceKeyResponse, DeviceRecord, ServiceOrderInfo, ServiceOrderRecorded, ServiceOrderRequest, ServiceStep,
    SoftwareUpdateInfo, SoftwareUpdateRecorded, SoftwareUpdateRequest, SERVICE_STATES,
};

/// The routes of device services (inside the signing check).
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/v1/device-services/key", get(device_key))
        .route("/v1/device-services/devices/{blind}", get(device))
        .route("/v1/device-services/service-orders", post_route(post_service_order))
        .route("/v1/device-services/software-updates", post_route(post_software_update))
}

/// A blind is 64 lower-case hex digits; anything else (an identifier in clear above all) is
/// refused.
pub(crate) fn check_blind(blind: &str) -> Result<(), ApiError> {
    if is_blind(blind) {
        Ok(())
    } else {
        Err(ApiError::InvalidRequest(
            "a device is named by its blind (64 lower-case hex digits), never by its identifier".into(),
        ))
    }
}

/// Opens a sealed identifier for `blind` and checks it has the form of `kind`.
pub(crate) fn open_checked(
    key: &DeviceIdentifierKey,
    kind: till_api::sales::DeviceKind,
    sealed: &str,
    blind: &str,
) -> Result<String, ApiError> {
    let id = key.open(sealed, blind).map_err(|e| ApiError::InvalidRequest(format!("device {blind}: {e}")))?;
    let normal = super::sales::normalise_identifier(kind, &id)?;
    if normal != id {
        return Err(ApiError::InvalidRequest(format!("device {blind}: the sealed identifier is not normalised")));
    }
    Ok(id)
}

/// Opens a service's sealed identifier for `blind` and checks it is a device identifier.
fn open_any(key: &DeviceIdentifierKey, sealed: &str, blind: &str) -> Result<String, ApiError> {
    let id = key.open(sealed, blind).map_err(|e| ApiError::InvalidRequest(format!("device {blind}: {e}")))?;
    match DeviceIdentifier::parse(&id) {
        Ok(d) if d.as_str() == id => Ok(id),
        _ => Err(ApiError::InvalidRequest(format!("device {blind}: the sealed identifier is not a device identifier"))),
    }
}

/// The identifiers of refunds' devices, opened for the seller reading them (`till-server refunds
/// list`); `None` for refunds by line code.
pub fn identifiers_of(repo: &dyn Repository, refunds: &[RefundRecord]) -> Result<Vec<Option<String>>, ApiError> {
    let mut tx = repo.read()?;
    let key = tx.device_identifier_key()?;
    refunds
        .iter()
        .map(|r| match &r.device_blind {
            None => Ok(None),
            // The device as the refund's own merchant sold it.
            Some(blind) => match Scope::of_refund(&mut *tx, &r.refund_id)?
                .map(|scope| scope.sold_device(&mut *tx, blind))
                .transpose()?
                .flatten()
            {
                Some(d) => {
                    Ok(Some(key.open(&d.identifier_sealed, blind).map_err(|e| ApiError::Internal(e.to_string()))?))
                }
                None => Ok(None),
            },
        })
        .collect()
}

fn param(p: Result<Path<String>, PathRejection>) -> Result<String, ApiError> {
    p.map(|Path(v)| v).map_err(|e| ApiError::InvalidRequest(e.body_text()))
}

fn json<T: serde::Serialize>(r: Result<T, ApiError>) -> Response {
    match r {
        Ok(v) => Json(v).into_response(),
        Err(e) => e.into_response(),
    }
}

/// The platform's device identifier key, wrapped for the asking terminal: AES-256-GCM under a
/// key derived with HKDF-SHA256 from the terminal's signing secret, so the answer (signed like
/// every answer) tells an observer nothing.
#[utoipa::path(get, path = "/v1/device-services/key", tag = "device-services",
    responses((status = 200, body = DeviceKeyResponse), (status = 401, body = ErrorBody)),
    security(("till_signature" = [])))]
pub async fn device_key(State(app): State<AppState>, Extension(t): Extension<AuthedTerminal>) -> Response {
    let repo = app.repo.clone();
    let entropy = app.entropy.clone();
    json(
        blocking(move || {
            let key = repo.read()?.device_identifier_key()?;
            let mut rng = EntropyRng(&*entropy);
            let wrapped = key.wrap_for(&t.id, &t.secret, &mut rng).map_err(|e| ApiError::Internal(e.to_string()))?;
            Ok(DeviceKeyResponse { key_id: key.id().to_string(), wrapped })
        })
        .await,
    )
}

/// The server's entropy as an `RngCore` for the nonces of till-core's key functions.
struct EntropyRng<'a>(&'a dyn crate::clock::Entropy);

impl rand::RngCore for EntropyRng<'_> {
    fn next_u32(&mut self) -> u32 {
        let mut b = [0u8; 4];
        self.0.fill(&mut b);
        u32::from_le_bytes(b)
    }
    fn next_u64(&mut self) -> u64 {
        let mut b = [0u8; 8];
        self.0.fill(&mut b);
        u64::from_le_bytes(b)
    }
    fn fill_bytes(&mut self, dest: &mut [u8]) {
        self.0.fill(dest);
    }
    fn try_fill_bytes(&mut self, dest: &mut [u8]) -> Result<(), rand::Error> {
        self.0.fill(dest);
        Ok(())
    }
}

/// Everything the terminal's merchant knows of a device, by blind: its sale, its service orders
/// and its software updates (from every till of the merchant's stores; another merchant's are
/// not shown, and a device only another merchant knows is not found).
#[utoipa::path(get, path = "/v1/device-services/devices/{blind}", tag = "device-services",
    params(("blind" = String, Path, description = "The device's blind (64 hex digits)")),
    responses((status = 200, body = DeviceRecord), (status = 400, body = ErrorBody),
        (status = 404, body = ErrorBody, description = "Nothing of the device at the terminal's merchant (another merchant's records are not shown)")),
    security(("till_signature" = [])))]
pub async fn device(
    State(app): State<AppState>,
    Extension(t): Extension<AuthedTerminal>,
    blind: Result<Path<String>, PathRejection>,
) -> Response {
    let blind = match param(blind).and_then(|b| check_blind(&b).map(|()| b)) {
        Ok(b) => b,
        Err(e) => return e.into_response(),
    };
    let repo = app.repo.clone();
    json(
        blocking(move || {
            let mut tx = repo.read()?;
            let scope = Scope::of_terminal(&mut *tx, &t.id)?;
            let sold = scope.sold_device(&mut *tx, &blind)?.map(super::lookups::sold_device_info);
            let ours = scope.service_orders(&mut *tx, &blind)?;
            let service_orders: Vec<ServiceOrderInfo> = tx
                .service_orders_of(&blind)?
                .into_iter()
                .filter(|(o, _)| ours.iter().any(|(t, n)| *t == o.terminal_id && *n == o.service_no))
                .map(|(o, steps)| ServiceOrderInfo {
                    terminal_id: o.terminal_id,
                    service_no: o.service_no,
                    store: o.store,
                    fault: o.fault,
                    status: o.status,
                    opened_at: o.opened_at,
                    history: steps.into_iter().map(|s| ServiceStep { status: s.status, at: s.at, by: s.by }).collect(),
                })
                .collect();
            let ours = scope.software_updates(&mut *tx, &blind)?;
            let software_updates: Vec<SoftwareUpdateInfo> = tx
                .software_updates_of(&blind)?
                .into_iter()
                .filter(|u| ours.iter().any(|(t, id)| *t == u.terminal_id && *id == u.update_id))
                .map(|u| SoftwareUpdateInfo {
                    terminal_id: u.terminal_id,
                    update_id: u.update_id,
                    store: u.store,
                    version: u.version,
                    installed_by: u.installed_by,
                    installed_at: u.installed_at,
                })
                .collect();
            if sold.is_none() && service_orders.is_empty() && software_updates.is_empty() {
                return Err(ApiError::NotFound("device"));
            }
            Ok(DeviceRecord { blind, sold, service_orders, software_updates })
        })
        .await,
    )
}

fn status_rank(status: &str) -> Result<usize, ApiError> {
    SERVICE_STATES
        .iter()
        .position(|s| *s == status)
        .ok_or_else(|| ApiError::InvalidRequest(format!("status is one of {}", SERVICE_STATES.join(", "))))
}

/// Reads and checks a service order's state.
pub(crate) fn parse_service_order(value: serde_json::Value) -> Result<ServiceOrderRequest, ApiError> {
    let r: ServiceOrderRequest = crate::wire::from_value(value)?;
    let no = r.service_no.as_bytes();
    if !(no.len() >= 8 && no.len() <= 16 && no.starts_with(b"SO") && no[2..].iter().all(u8::is_ascii_digit)) {
        return Err(ApiError::InvalidRequest("service_no is SO and 6 to 14 digits".into()));
    }
    check_blind(&r.device_blind)?;
    check_text("identifier_sealed", &r.identifier_sealed, 200)?;
    check_text("store", &r.store, 64)?;
    check_text("fault", &r.fault, 500)?;
    check_text("changed_by", &r.changed_by, 64)?;
    status_rank(&r.status)?;
    if r.changed_at < r.opened_at {
        return Err(ApiError::InvalidRequest("changed_at is before opened_at".into()));
    }
    Ok(r)
}

/// Stores a service order's state: a new order, or a status further along (the same status
/// again changes nothing; a status going back, or another device under the same number, is
/// refused). Each status reached is one step of its history.
pub(crate) fn record_service_order(tx: &mut dyn Tx, ctx: &Ctx, r: &ServiceOrderRequest) -> Result<Reply, ApiError> {
    let key = tx.device_identifier_key()?;
    open_any(&key, &r.identifier_sealed, &r.device_blind)?;
    let terminal = ctx.terminal_id.as_str();
    let rank = status_rank(&r.status)?;
    let held = tx.service_order(terminal, &r.service_no)?;
    let advance = match &held {
        None => true,
        Some(h) if h.device_blind != r.device_blind => {
            return Err(ApiError::ServiceOrderConflict(format!("{} is another device's service order", r.service_no)))
        }
        Some(h) => {
            let was = status_rank(&h.status)?;
            if rank < was {
                return Err(ApiError::ServiceOrderConflict(format!(
                    "{} is already {}; it cannot go back to {}",
                    r.service_no, h.status, r.status
                )));
            }
            rank > was
        }
    };
    if advance {
        tx.put_service_order(&ServiceOrderRecord {
            terminal_id: terminal.to_string(),
            service_no: r.service_no.clone(),
            device_blind: r.device_blind.clone(),
            identifier_sealed: r.identifier_sealed.clone(),
            store: r.store.clone(),
            fault: r.fault.clone(),
            status: r.status.clone(),
            opened_at: held.as_ref().map_or(r.opened_at, |h| h.opened_at),
            updated_at: r.changed_at,
        })?;
        tx.insert_service_step(&ServiceStepRecord {
            terminal_id: terminal.to_string(),
            service_no: r.service_no.clone(),
            status: r.status.clone(),
            at: r.changed_at,
            by: r.changed_by.clone(),
        })?;
        if held.is_none() {
            Scope::of_terminal(tx, terminal)?.service_order_opened(tx, terminal, &r.service_no)?;
        }
    }
    let status = if advance { r.status.clone() } else { held.map(|h| h.status).unwrap_or_default() };
    Reply::json(201, &ServiceOrderRecorded { service_no: r.service_no.clone(), status })
}

/// Reads and checks a software update record.
pub(crate) fn parse_software_update(value: serde_json::Value) -> Result<SoftwareUpdateRequest, ApiError> {
    let r: SoftwareUpdateRequest = crate::wire::from_value(value)?;
    check_text("update_id", &r.update_id, 64)?;
    check_blind(&r.device_blind)?;
    check_text("identifier_sealed", &r.identifier_sealed, 200)?;
    check_text("store", &r.store, 64)?;
    check_text("version", &r.version, 64)?;
    check_text("installed_by", &r.installed_by, 64)?;
    Ok(r)
}

/// Stores a software update (once per terminal and id).
pub(crate) fn record_software_update(tx: &mut dyn Tx, ctx: &Ctx, r: &SoftwareUpdateRequest) -> Result<Reply, ApiError> {
    let key = tx.device_identifier_key()?;
    open_any(&key, &r.identifier_sealed, &r.device_blind)?;
    let inserted = tx.insert_software_update(&SoftwareUpdateRecord {
        terminal_id: ctx.terminal_id.clone(),
        update_id: r.update_id.clone(),
        device_blind: r.device_blind.clone(),
        identifier_sealed: r.identifier_sealed.clone(),
        store: r.store.clone(),
        version: r.version.clone(),
        installed_by: r.installed_by.clone(),
        installed_at: r.installed_at,
    })?;
    if inserted {
        Scope::of_terminal(tx, &ctx.terminal_id)?.software_update_recorded(tx, &ctx.terminal_id, &r.update_id)?;
    }
    Reply::json(201, &SoftwareUpdateRecorded { update_id: r.update_id.clone() })
}

/// Record a service order's state (opened, or a change of status).
#[utoipa::path(post, path = "/v1/device-services/service-orders", tag = "device-services",
    request_body = ServiceOrderRequest,
    params(("Idempotency-Key" = String, Header, description = "The outbox event id")),
    responses(
        (status = 201, body = ServiceOrderRecorded, description = "Stored (the same status again changes nothing)"),
        (status = 400, body = ErrorBody, description = "Malformed, or a sealed identifier that does not open for its blind"),
        (status = 409, body = ErrorBody, description = "idempotency_conflict, or service_order_conflict: another device under the number, or a status going back")),
    security(("till_signature" = [])))]
pub async fn post_service_order(
    State(app): State<AppState>,
    Extension(t): Extension<AuthedTerminal>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Response {
    post(app, t, headers, body, EventKind::ServiceOrder).await
}

/// Record software installed on a device.
#[utoipa::path(post, path = "/v1/device-services/software-updates", tag = "device-services",
    request_body = SoftwareUpdateRequest,
    params(("Idempotency-Key" = String, Header, description = "The outbox event id")),
    responses(
        (status = 201, body = SoftwareUpdateRecorded, description = "Stored"),
        (status = 400, body = ErrorBody, description = "Malformed, or a sealed identifier that does not open for its blind")),
    security(("till_signature" = [])))]
pub async fn post_software_update(
    State(app): State<AppState>,
    Extension(t): Extension<AuthedTerminal>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Response {
    post(app, t, headers, body, EventKind::SoftwareUpdate).await
}
