//! Device services (docs/device-services.md): what this till knows of a sold device (its sale
//! line, with the warranty and software recorded at sale), its repairs (service orders: received
//! → in repair → ready → returned) and its software update records.
//!
//! Each change is one IMMEDIATE transaction with its outbox event (and, for a service order, its
//! receipt's print job and an audit entry). The events carry the identifier as the till holds
//! it; the sync worker blinds and seals it when it sends them (till-sync `wire`), so an event
//! queued while the device identifier key is not yet known waits in the outbox and is never
//! lost.

use crate::{audit, outbox, print_queue, Result, Store, StoreError};
use rusqlite::{params, OptionalExtension, Row, Transaction};
use serde::{Deserialize, Serialize};
use serde_json::json;
use till_core::EventKind;

/// The states of a service order, in their only order.
pub const STATES: [&str; 4] = ["received", "in_repair", "ready", "returned"];

/// The sale of a device at this till.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeviceSale {
    /// Local order id.
    pub order_id: i64,
    /// Printed order number.
    pub order_no: String,
    /// When sold, ms since the epoch.
    pub sold_at_ms: i64,
    /// The sale line.
    pub order_line_id: i64,
    /// Its line code.
    pub line_code: String,
    /// SKU.
    pub sku: String,
    /// Name as sold.
    pub name: String,
    /// Chinese name as sold.
    pub name_zh: Option<String>,
    /// What the line paid, minor units.
    pub gross_minor: i64,
    /// ISO 4217 code.
    pub currency: String,
    /// Units refunded.
    pub refunded_quantity: i64,
    /// Software recorded at sale.
    pub software: Option<String>,
    /// Warranty recorded at sale, months (lines sold before it was recorded: `None`).
    pub warranty_months: Option<i64>,
}

/// One step of a service order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServiceStep {
    /// The status reached.
    pub status: String,
    /// Who (user name).
    pub user_name: String,
    /// When, ms since the epoch.
    pub at_ms: i64,
}

/// A service order (a repair).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServiceOrder {
    /// Local id.
    pub id: i64,
    /// `SO000001`.
    pub service_no: String,
    /// The device's identifier, normalised.
    pub identifier: String,
    /// The sale line, when this till sold the device.
    pub order_line_id: Option<i64>,
    /// The fault as described.
    pub fault: String,
    /// Current status.
    pub status: String,
    /// Who opened it (user name).
    pub opened_by: String,
    /// When, ms since the epoch.
    pub opened_at_ms: i64,
    /// When the current status was reached.
    pub updated_at_ms: i64,
    /// Its steps, oldest first.
    pub steps: Vec<ServiceStep>,
}

/// A software update record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SoftwareUpdate {
    /// Its id (sent to the server).
    pub update_id: String,
    /// The device's identifier, normalised.
    pub identifier: String,
    /// Version installed.
    pub version: String,
    /// Who installed it (user name).
    pub installed_by: String,
    /// When, ms since the epoch.
    pub installed_at_ms: i64,
}

/// The `service_order.recorded` outbox event: a service order's state as it now is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServiceOrderEvent {
    /// `SO000001`.
    pub service_no: String,
    /// The identifier, normalised (blinded and sealed when sent).
    pub identifier: String,
    /// The fault.
    pub fault: String,
    /// The status reached.
    pub status: String,
    /// When opened, ms.
    pub opened_at_ms: i64,
    /// When the status was reached, ms.
    pub changed_at_ms: i64,
    /// Who moved it there.
    pub changed_by: String,
}

/// The `software_update.recorded` outbox event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SoftwareUpdateEvent {
    /// The record's id.
    pub update_id: String,
    /// The identifier, normalised (blinded and sealed when sent).
    pub identifier: String,
    /// Version installed.
    pub version: String,
    /// Who installed it.
    pub installed_by: String,
    /// When, ms.
    pub installed_at_ms: i64,
}

/// A new service order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewServiceOrder {
    /// The device's identifier, normalised.
    pub identifier: String,
    /// The fault.
    pub fault: String,
    /// Who opens it.
    pub user_id: i64,
    /// When, ms.
    pub now_ms: i64,
    /// The outbox event's id.
    pub event_id: String,
}

/// A device line's services as recorded at sale: line number (from 1), software, warranty months.
pub type LineServices = (i64, Option<String>, Option<i64>);

/// Records the software and warranty of each serialised line of `order_id`, as its product says
/// now, inside the sale's transaction; returns them by line number (from 1) for the sale event.
pub(crate) fn record_line_services(tx: &Transaction<'_>, order_id: i64) -> Result<Vec<LineServices>> {
    let rows = tx
        .prepare_cached(
            "UPDATE order_lines SET software = (SELECT software FROM products p WHERE p.id = order_lines.product_id),
                    warranty_months = (SELECT warranty_months FROM products p WHERE p.id = order_lines.product_id)
             WHERE order_id = ?1 AND serial_number IS NOT NULL
             RETURNING line_no, software, warranty_months",
        )?
        .query_map([order_id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
        .collect::<std::result::Result<Vec<_>, _>>()?;
    Ok(rows)
}

fn step_rows(c: &rusqlite::Connection, id: i64) -> Result<Vec<ServiceStep>> {
    Ok(c.prepare_cached(
        "SELECT s.status, coalesce(u.name, ''), s.at_ms FROM service_order_steps s LEFT JOIN users u ON u.id = s.user_id
         WHERE s.service_order_id = ?1 ORDER BY s.at_ms, s.rowid",
    )?
    .query_map([id], |r| Ok(ServiceStep { status: r.get(0)?, user_name: r.get(1)?, at_ms: r.get(2)? }))?
    .collect::<std::result::Result<_, _>>()?)
}

const ORDER_SQL: &str =
    "SELECT o.id, o.service_no, o.identifier, o.order_line_id, o.fault, o.status, coalesce(u.name, ''),
        o.opened_at_ms, o.updated_at_ms FROM service_orders o LEFT JOIN users u ON u.id = o.opened_by";

fn order_row(r: &Row<'_>) -> rusqlite::Result<ServiceOrder> {
    Ok(ServiceOrder {
        id: r.get(0)?,
        service_no: r.get(1)?,
        identifier: r.get(2)?,
        order_line_id: r.get(3)?,
        fault: r.get(4)?,
        status: r.get(5)?,
        opened_by: r.get(6)?,
        opened_at_ms: r.get(7)?,
        updated_at_ms: r.get(8)?,
        steps: Vec::new(),
    })
}

fn with_steps(c: &rusqlite::Connection, mut orders: Vec<ServiceOrder>) -> Result<Vec<ServiceOrder>> {
    for o in &mut orders {
        o.steps = step_rows(c, o.id)?;
    }
    Ok(orders)
}

fn user_name(tx: &Transaction<'_>, user_id: i64) -> Result<String> {
    tx.query_row("SELECT name FROM users WHERE id = ?1", [user_id], |r| r.get(0))
        .optional()?
        .ok_or(StoreError::NotFound("user"))
}

fn event_of(o: &ServiceOrder, changed_by: &str) -> ServiceOrderEvent {
    ServiceOrderEvent {
        service_no: o.service_no.clone(),
        identifier: o.identifier.clone(),
        fault: o.fault.clone(),
        status: o.status.clone(),
        opened_at_ms: o.opened_at_ms,
        changed_at_ms: o.updated_at_ms,
        changed_by: changed_by.to_string(),
    }
}

impl Store {
    /// The latest sale of a device at this till, by its normalised identifier.
    pub fn device_sale(&self, identifier: &str) -> Result<Option<DeviceSale>> {
        self.read(|c| {
            Ok(c.query_row(
                "SELECT o.id, o.order_no, o.created_at_ms, l.id, l.line_code, l.sku, l.name, l.name_zh, l.gross_minor,
                        o.currency, l.refunded_quantity, l.software, l.warranty_months
                 FROM order_lines l JOIN orders o ON o.id = l.order_id
                 WHERE l.serial_number = ?1 ORDER BY l.id DESC LIMIT 1",
                [identifier],
                |r| {
                    Ok(DeviceSale {
                        order_id: r.get(0)?,
                        order_no: r.get(1)?,
                        sold_at_ms: r.get(2)?,
                        order_line_id: r.get(3)?,
                        line_code: r.get(4)?,
                        sku: r.get(5)?,
                        name: r.get(6)?,
                        name_zh: r.get(7)?,
                        gross_minor: r.get(8)?,
                        currency: r.get(9)?,
                        refunded_quantity: r.get(10)?,
                        software: r.get(11)?,
                        warranty_months: r.get(12)?,
                    })
                },
            )
            .optional()?)
        })
    }

    /// A service order by id.
    pub fn service_order(&self, id: i64) -> Result<ServiceOrder> {
        self.read(|c| {
            let o = c
                .query_row(&format!("{ORDER_SQL} WHERE o.id = ?1"), [id], order_row)
                .optional()?
                .ok_or(StoreError::NotFound("service order"))?;
            Ok(with_steps(c, vec![o])?.remove(0))
        })
    }

    /// A device's service orders at this till, newest first.
    pub fn service_orders_of(&self, identifier: &str) -> Result<Vec<ServiceOrder>> {
        self.read(|c| {
            let orders = c
                .prepare_cached(&format!("{ORDER_SQL} WHERE o.identifier = ?1 ORDER BY o.id DESC"))?
                .query_map([identifier], order_row)?
                .collect::<std::result::Result<Vec<_>, _>>()?;
            with_steps(c, orders)
        })
    }

    /// Service orders opened in `[from_ms, to_ms)`, newest first, at most `limit` (the back
    /// office's history).
    pub fn service_orders_between(&self, from_ms: i64, to_ms: i64, limit: i64) -> Result<Vec<ServiceOrder>> {
        self.read(|c| {
            let orders = c
                .prepare_cached(&format!(
                    "{ORDER_SQL} WHERE o.opened_at_ms >= ?1 AND o.opened_at_ms < ?2 ORDER BY o.id DESC LIMIT ?3"
                ))?
                .query_map(params![from_ms, to_ms, limit], order_row)?
                .collect::<std::result::Result<Vec<_>, _>>()?;
            with_steps(c, orders)
        })
    }

    /// A device's software update records at this till, newest first.
    pub fn software_updates_of(&self, identifier: &str) -> Result<Vec<SoftwareUpdate>> {
        self.read(|c| {
            Ok(c.prepare_cached(
                "SELECT s.update_id, s.identifier, s.version, coalesce(u.name, ''), s.installed_at_ms
                 FROM software_updates s LEFT JOIN users u ON u.id = s.installed_by
                 WHERE s.identifier = ?1 ORDER BY s.id DESC",
            )?
            .query_map([identifier], |r| {
                Ok(SoftwareUpdate {
                    update_id: r.get(0)?,
                    identifier: r.get(1)?,
                    version: r.get(2)?,
                    installed_by: r.get(3)?,
                    installed_at_ms: r.get(4)?,
                })
            })?
            .collect::<std::result::Result<_, _>>()?)
        })
    }

    /// Opens a service order in status `received`: the order, its first step, its outbox event,
    /// its receipt's print job (when a printer is set up) and an audit entry, in one commit.
    /// Returns the order and whether its receipt was queued.
    pub fn open_service_order(&self, n: &NewServiceOrder) -> Result<(ServiceOrder, bool)> {
        let fault = n.fault.trim();
        if fault.is_empty() || fault.chars().count() > 500 {
            return Err(StoreError::Invalid("describe the fault in 1 to 500 characters".into()));
        }
        let (id, printed) = self.write(|tx| {
            let line: Option<i64> = tx
                .query_row(
                    "SELECT id FROM order_lines WHERE serial_number = ?1 ORDER BY id DESC LIMIT 1",
                    [&n.identifier],
                    |r| r.get(0),
                )
                .optional()?;
            let name = user_name(tx, n.user_id)?;
            let id: i64 = tx.query_row(
                "INSERT INTO service_orders (identifier, order_line_id, fault, status, opened_by, opened_at_ms, updated_at_ms)
                 VALUES (?1, ?2, ?3, 'received', ?4, ?5, ?5) RETURNING id",
                params![n.identifier, line, fault, n.user_id, n.now_ms],
                |r| r.get(0),
            )?;
            tx.execute(
                "INSERT INTO service_order_steps (service_order_id, status, user_id, at_ms) VALUES (?1, 'received', ?2, ?3)",
                params![id, n.user_id, n.now_ms],
            )?;
            let o = tx.query_row(&format!("{ORDER_SQL} WHERE o.id = ?1"), [id], order_row)?;
            outbox::enqueue_kind(
                tx,
                &n.event_id,
                EventKind::ServiceOrderRecorded,
                &format!("service/{id}"),
                &event_of(&o, &name),
                n.now_ms,
            )?;
            audit::append(
                tx,
                n.now_ms,
                Some(n.user_id),
                "service_order.opened",
                &json!({ "service_no": o.service_no, "order_line_id": line }),
            )?;
            let printed = print_queue::queue_service(tx, id, n.now_ms)?;
            Ok((id, printed))
        })?;
        Ok((self.service_order(id)?, printed))
    }

    /// Moves a service order to the next status (received → in_repair → ready → returned, one
    /// step at a time): the step, the outbox event and an audit entry in one commit.
    pub fn advance_service_order(
        &self,
        id: i64,
        to: &str,
        user_id: i64,
        now_ms: i64,
        event_id: &str,
    ) -> Result<ServiceOrder> {
        let to_rank = STATES
            .iter()
            .position(|s| *s == to)
            .ok_or_else(|| StoreError::Invalid(format!("a service order's status is one of {}", STATES.join(", "))))?;
        self.write(|tx| {
            let status: String = tx
                .query_row("SELECT status FROM service_orders WHERE id = ?1", [id], |r| r.get(0))
                .optional()?
                .ok_or(StoreError::NotFound("service order"))?;
            let from_rank = STATES.iter().position(|s| *s == status).unwrap_or(STATES.len());
            if to_rank != from_rank + 1 {
                return Err(StoreError::Conflict(format!("a service order that is {status} cannot become {to}")));
            }
            let name = user_name(tx, user_id)?;
            tx.execute(
                "UPDATE service_orders SET status = ?2, updated_at_ms = ?3 WHERE id = ?1",
                params![id, to, now_ms],
            )?;
            tx.execute(
                "INSERT INTO service_order_steps (service_order_id, status, user_id, at_ms) VALUES (?1, ?2, ?3, ?4)",
                params![id, to, user_id, now_ms],
            )?;
            let o = tx.query_row(&format!("{ORDER_SQL} WHERE o.id = ?1"), [id], order_row)?;
            outbox::enqueue_kind(
                tx,
                event_id,
                EventKind::ServiceOrderRecorded,
                &format!("service/{id}"),
                &event_of(&o, &name),
                now_ms,
            )?;
            audit::append(
                tx,
                now_ms,
                Some(user_id),
                "service_order.status",
                &json!({ "service_no": o.service_no, "from": status, "to": to }),
            )?;
            Ok(())
        })?;
        self.service_order(id)
    }

    /// Queues a service order's receipt again (when a printer is set up); whether it was.
    pub fn reprint_service_order(&self, id: i64, now_ms: i64) -> Result<bool> {
        self.write(|tx| {
            tx.query_row("SELECT 1 FROM service_orders WHERE id = ?1", [id], |_| Ok(()))
                .optional()?
                .ok_or(StoreError::NotFound("service order"))?;
            print_queue::queue_service(tx, id, now_ms)
        })
    }

    /// Records software installed on a device, with its outbox event and an audit entry.
    pub fn record_software_update(
        &self,
        identifier: &str,
        version: &str,
        user_id: i64,
        update_id: &str,
        event_id: &str,
        now_ms: i64,
    ) -> Result<SoftwareUpdate> {
        let version = version.trim();
        if version.is_empty() || version.chars().count() > 64 || version.chars().any(char::is_control) {
            return Err(StoreError::Invalid("the version is 1 to 64 characters".into()));
        }
        self.write(|tx| {
            let name = user_name(tx, user_id)?;
            tx.execute(
                "INSERT INTO software_updates (update_id, identifier, version, installed_by, installed_at_ms)
                 VALUES (?1, ?2, ?3, ?4, ?5)",
                params![update_id, identifier, version, user_id, now_ms],
            )?;
            let u = SoftwareUpdate {
                update_id: update_id.to_string(),
                identifier: identifier.to_string(),
                version: version.to_string(),
                installed_by: name.clone(),
                installed_at_ms: now_ms,
            };
            outbox::enqueue_kind(
                tx,
                event_id,
                EventKind::SoftwareUpdateRecorded,
                &format!("software/{update_id}"),
                &SoftwareUpdateEvent {
                    update_id: u.update_id.clone(),
                    identifier: u.identifier.clone(),
                    version: u.version.clone(),
                    installed_by: name,
                    installed_at_ms: now_ms,
                },
                now_ms,
            )?;
            audit::append(
                tx,
                now_ms,
                Some(user_id),
                "software_update.recorded",
                &json!({ "update_id": update_id, "version": version }),
            )?;
            Ok(u)
        })
    }
}
