//! Device services (CN103310370A; docs/device-services.md): from a sold device's identifier,
//! scanned or typed, the cashier sees its sale, its warranty and the software recorded at sale,
//! and can refund it (the refund screen), open a repair (a service order with its own receipt)
//! or record a software update.
//!
//! What this till knows comes from its own database; what other tills of the shop did comes
//! from the platform (`GET /v1/device-services/devices/{blind}`), asked by the device's blind
//! only. The platform is asked only with the device identifier key at hand; without it (or the
//! platform) the screen shows what this till knows and says why the rest is missing. Repairs and
//! updates are written here in one commit with their outbox event, whether or not the key or
//! the platform is there now: the event waits and is blinded when it is sent.

use crate::admin::permissions::Command;
use crate::error::{PosError, Result};
use crate::ipc::device_services::{
    DeviceSaleView, DeviceView, RepairInput, RepairResult, RepairStatusInput, ServiceOrderRow, ServiceOrderView,
    ServiceOrdersQuery, ServiceStepView, SoftwareUpdateInput, SoftwareUpdateView, WarrantyView,
};
use crate::ipc::sync::Service;
use crate::Pos;
use till_api::device_services::DeviceRecord;
use till_core::{warranty, DeviceIdentifier, Money, SessionToken};
use till_store::device_services::{NewServiceOrder, ServiceOrder, STATES};

/// A repair, its product's name and its warranty's end with whether it ran at intake.
pub(crate) type PrintFacts = (ServiceOrder, Option<String>, Option<(i64, bool)>);

/// Most repairs the back office lists at once.
const HISTORY_LIMIT: i64 = 500;

fn steps(o: &ServiceOrder) -> Vec<ServiceStepView> {
    o.steps
        .iter()
        .map(|s| ServiceStepView { status: s.status.clone(), by: s.user_name.clone(), at_ms: s.at_ms })
        .collect()
}

fn next_status(status: &str) -> Option<String> {
    let i = STATES.iter().position(|s| *s == status)?;
    STATES.get(i + 1).map(|s| s.to_string())
}

fn warranty_view(sold_at_ms: i64, months: i64, now_ms: i64) -> WarrantyView {
    let ends_at_ms = warranty::end_ms(sold_at_ms, months);
    let days_left = warranty::days_left(ends_at_ms, now_ms);
    WarrantyView { months, ends_at_ms, days_left, expired: now_ms > ends_at_ms }
}

impl Pos {
    fn device_id(&self, text: &str) -> Result<DeviceIdentifier> {
        if text.trim().is_empty() {
            return Err(PosError::InvalidInput("scan or type the device's IMEI or serial number".into()));
        }
        Ok(DeviceIdentifier::parse(text)?)
    }

    /// What the platform knows of the device, by its blind: `Ok(None)` when it knows nothing,
    /// `Err(platform state)` when it could not be asked.
    fn platform_record(&self, id: &DeviceIdentifier) -> std::result::Result<Option<DeviceRecord>, &'static str> {
        let key = match self.device_key() {
            Ok(k) => k,
            Err(PosError::DeviceKeyMissing(why)) if why == "no server settings" => return Err("not_configured"),
            Err(e) => {
                tracing::info!("device lookup without the platform: {e}");
                return Err("key_missing");
            }
        };
        let path = format!("/v1/device-services/devices/{}", key.blind(id.as_str()));
        match self.server_call(Service::Sales, "GET", &path, None, None) {
            Ok(v) => serde_json::from_value(v).map(Some).map_err(|e| {
                tracing::warn!("the platform's device record is not understood: {e}");
                "unreachable"
            }),
            Err(PosError::ServerRefused { code, .. }) if code == "not_found" => Ok(None),
            Err(e) => {
                tracing::info!("device lookup: the platform did not answer: {e}");
                Err("unreachable")
            }
        }
    }

    /// The device's record: this till's facts, and the platform's when it can be asked.
    pub(crate) fn device_view(&self, id: &DeviceIdentifier) -> Result<DeviceView> {
        let now = self.now_ms();
        let terminal = self.sync_credentials()?.map(|c| c.terminal_id).unwrap_or_default();
        let store_name = self.shop_profile()?.map(|s| s.name).unwrap_or_default();
        let local = self.store.device_sale(id.as_str())?;
        let (platform, record) = match self.platform_record(id) {
            Ok(r) => ("checked", r),
            Err(state) => (state, None),
        };
        let mut software = None;
        let mut warranty = None;
        let sale = if let Some(s) = &local {
            software = s.software.clone();
            warranty = s.warranty_months.map(|m| warranty_view(s.sold_at_ms, m, now));
            let refunded =
                s.refunded_quantity > 0 || record.as_ref().and_then(|r| r.sold.as_ref()).is_some_and(|d| d.refunded);
            Some(DeviceSaleView {
                order_no: s.order_no.clone(),
                sold_at_ms: s.sold_at_ms,
                price: Money::new(s.gross_minor, till_core::Currency::parse(&s.currency)?),
                product: s.name.clone(),
                product_zh: s.name_zh.clone(),
                store: store_name.clone(),
                terminal_id: terminal.clone(),
                here: true,
                refunded,
            })
        } else if let Some(d) = record.as_ref().and_then(|r| r.sold.as_ref()) {
            software = d.software.clone();
            warranty = d.warranty_months.map(|m| warranty_view(d.sold_at * 1000, m, now));
            Some(DeviceSaleView {
                order_no: d.order_id.clone(),
                sold_at_ms: d.sold_at * 1000,
                price: Money::new(d.price.minor, till_core::Currency::parse(&d.price.currency)?),
                product: String::new(),
                product_zh: None,
                store: d.store.clone(),
                terminal_id: d.terminal_id.clone(),
                here: false,
                refunded: d.refunded,
            })
        } else {
            None
        };
        // This till's repairs, then the other tills' the platform holds (this till's own, once
        // sent, are not shown twice).
        let mut service_orders: Vec<ServiceOrderView> = self
            .store
            .service_orders_of(id.as_str())?
            .iter()
            .map(|o| ServiceOrderView {
                id: Some(o.id),
                service_no: o.service_no.clone(),
                status: o.status.clone(),
                next_status: next_status(&o.status),
                fault: o.fault.clone(),
                opened_at_ms: o.opened_at_ms,
                store: store_name.clone(),
                terminal_id: terminal.clone(),
                steps: steps(o),
            })
            .collect();
        let mut software_updates: Vec<SoftwareUpdateView> = self
            .store
            .software_updates_of(id.as_str())?
            .into_iter()
            .map(|u| SoftwareUpdateView {
                version: u.version,
                installed_by: u.installed_by,
                installed_at_ms: u.installed_at_ms,
                terminal_id: terminal.clone(),
            })
            .collect();
        if let Some(r) = &record {
            for o in r.service_orders.iter().filter(|o| o.terminal_id != terminal) {
                service_orders.push(ServiceOrderView {
                    id: None,
                    service_no: o.service_no.clone(),
                    status: o.status.clone(),
                    next_status: None,
                    fault: o.fault.clone(),
                    opened_at_ms: o.opened_at * 1000,
                    store: o.store.clone(),
                    terminal_id: o.terminal_id.clone(),
                    steps: o
                        .history
                        .iter()
                        .map(|s| ServiceStepView { status: s.status.clone(), by: s.by.clone(), at_ms: s.at * 1000 })
                        .collect(),
                });
            }
            for u in r.software_updates.iter().filter(|u| u.terminal_id != terminal) {
                software_updates.push(SoftwareUpdateView {
                    version: u.version.clone(),
                    installed_by: u.installed_by.clone(),
                    installed_at_ms: u.installed_at * 1000,
                    terminal_id: u.terminal_id.clone(),
                });
            }
        }
        service_orders.sort_by_key(|o| std::cmp::Reverse(o.opened_at_ms));
        software_updates.sort_by_key(|u| std::cmp::Reverse(u.installed_at_ms));
        Ok(DeviceView {
            identifier: id.to_string(),
            kind: id.kind().as_str().to_string(),
            sale,
            warranty,
            software,
            service_orders,
            software_updates,
            platform: platform.to_string(),
        })
    }

    /// A device's record from its identifier (scanned or typed). Not found anywhere (nor a
    /// repair or update of it): `not_found`; here but the platform could not be asked: the
    /// record says so in `platform`.
    pub fn device_lookup(&self, token: &SessionToken, identifier: &str) -> Result<DeviceView> {
        self.authorize(token, Command::DeviceLookup)?;
        let id = self.device_id(identifier)?;
        let view = self.device_view(&id)?;
        if view.sale.is_none() && view.service_orders.is_empty() && view.software_updates.is_empty() {
            if view.platform == "checked" {
                return Err(PosError::Store(till_store::StoreError::NotFound("sale of that device")));
            }
            // Not sold here, and the platform could not be asked: say why, failing closed.
            return Err(match view.platform.as_str() {
                "key_missing" => PosError::DeviceKeyMissing("the platform has not given it yet".into()),
                "not_configured" => PosError::SyncNotConfigured,
                _ => PosError::ServerUnreachable("the platform did not answer about this device".into()),
            });
        }
        Ok(view)
    }

    /// Opens a repair for a device this till or the platform knows: the service order, its
    /// outbox event and its receipt's print job in one commit.
    pub fn device_repair_open(&self, token: &SessionToken, input: RepairInput) -> Result<RepairResult> {
        let s = self.authorize(token, Command::DeviceRepairOpen)?;
        let id = self.device_id(&input.identifier)?;
        let (order, printed) = self.store.open_service_order(&NewServiceOrder {
            identifier: id.to_string(),
            fault: input.fault,
            user_id: s.user_id,
            now_ms: self.now_ms(),
            event_id: self.random_hex(16),
        })?;
        self.sync_nudge();
        if printed {
            self.devices.printer_wake.notify();
        }
        Ok(RepairResult { device: self.device_view(&id)?, service_no: order.service_no, printed })
    }

    /// Moves a repair of this till to its next status.
    pub fn device_repair_status(&self, token: &SessionToken, input: RepairStatusInput) -> Result<RepairResult> {
        let s = self.authorize(token, Command::DeviceRepairStatus)?;
        let order = self.store.advance_service_order(
            input.service_order_id,
            &input.status,
            s.user_id,
            self.now_ms(),
            &self.random_hex(16),
        )?;
        self.sync_nudge();
        let id = DeviceIdentifier::parse(&order.identifier)?;
        Ok(RepairResult { device: self.device_view(&id)?, service_no: order.service_no, printed: false })
    }

    /// Prints a repair's receipt again.
    pub fn device_repair_reprint(&self, token: &SessionToken, service_order_id: i64) -> Result<bool> {
        self.authorize(token, Command::DeviceRepairReprint)?;
        let printed = self.store.reprint_service_order(service_order_id, self.now_ms())?;
        if !printed {
            return Err(PosError::DeviceNotConfigured("receipt-printer"));
        }
        self.devices.printer_wake.notify();
        Ok(printed)
    }

    /// Records a software update of a device (version, who: the user, when: now).
    pub fn device_software_record(&self, token: &SessionToken, input: SoftwareUpdateInput) -> Result<DeviceView> {
        let s = self.authorize(token, Command::DeviceSoftwareRecord)?;
        let id = self.device_id(&input.identifier)?;
        self.store.record_software_update(
            id.as_str(),
            &input.version,
            s.user_id,
            &self.random_hex(12),
            &self.random_hex(16),
            self.now_ms(),
        )?;
        self.sync_nudge();
        self.device_view(&id)
    }

    /// The repairs opened in a period, for the back office's history.
    pub fn service_orders_list(&self, token: &SessionToken, q: ServiceOrdersQuery) -> Result<Vec<ServiceOrderRow>> {
        self.authorize(token, Command::ServiceOrdersList)?;
        Ok(self
            .store
            .service_orders_between(q.from_ms, q.to_ms, HISTORY_LIMIT)?
            .into_iter()
            .map(|o| ServiceOrderRow {
                steps: steps(&o),
                id: o.id,
                service_no: o.service_no,
                identifier: o.identifier,
                status: o.status,
                fault: o.fault,
                opened_by: o.opened_by,
                opened_at_ms: o.opened_at_ms,
                updated_at_ms: o.updated_at_ms,
            })
            .collect())
    }

    /// A repair and what its receipt says of the device's sale (the print worker's question):
    /// the product's name (in Chinese when `zh` and it has one) and the warranty's end with
    /// whether it was still running when the repair was opened.
    pub(crate) fn service_order_print_facts(&self, id: i64, zh: bool) -> Result<PrintFacts> {
        let order = self.store.service_order(id)?;
        let sale = self.store.device_sale(&order.identifier)?;
        let product = sale.as_ref().map(|s| match (zh, &s.name_zh) {
            (true, Some(name)) => name.clone(),
            _ => s.name.clone(),
        });
        let warranty_end = sale.as_ref().and_then(|s| {
            let end = warranty::end_ms(s.sold_at_ms, s.warranty_months?);
            Some((end, order.opened_at_ms <= end))
        });
        Ok((order, product, warranty_end))
    }
}
