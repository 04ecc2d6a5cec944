//! The statements of device services (schema version 10): the device identifier key sealed
//! under the server key, the sold-data list moved from identifiers to blinds, service orders
//! and software updates.

use crate::args;
use crate::error::RepoError;
use crate::repo::sql::{Row, SqlConn, SqlConnExt, Value};
use crate::repo::sql_tx::SqlTx;
use crate::repo::{DeviceServicesTx, RepoResult, ServiceOrderRecord, ServiceStepRecord, SoftwareUpdateRecord};
use crate::sealing::{Purpose, ServerKey};
use till_core::DeviceIdentifierKey;

/// Version 10: the device identifier key, the sold-data list and refunds under blinds, service
/// orders and software updates. The rows of the old `sold_devices` are copied by
/// [`blind_existing_rows`], which also drops the old table. The statements are PostgreSQL's too.
pub(in crate::repo) const MIGRATION_10: &str = "
CREATE TABLE device_identifier_key (key_id TEXT NOT NULL, key_sealed TEXT NOT NULL);
CREATE TABLE sold_devices_v10 (
    blind TEXT PRIMARY KEY, kind TEXT NOT NULL, line_code TEXT NOT NULL REFERENCES order_lines (line_code),
    terminal_id TEXT NOT NULL, order_id TEXT NOT NULL, store TEXT NOT NULL, price_minor BIGINT NOT NULL,
    currency TEXT NOT NULL, paying_account TEXT NOT NULL, software TEXT, sold_at BIGINT NOT NULL,
    refunded BIGINT NOT NULL, identifier_sealed TEXT NOT NULL, warranty_months BIGINT);
ALTER TABLE refunds RENAME COLUMN device_identifier TO device_blind;
CREATE TABLE service_orders (
    terminal_id TEXT NOT NULL, service_no TEXT NOT NULL, device_blind TEXT NOT NULL,
    identifier_sealed TEXT NOT NULL, store TEXT NOT NULL, fault TEXT NOT NULL, status TEXT NOT NULL,
    opened_at BIGINT NOT NULL, updated_at BIGINT NOT NULL, PRIMARY KEY (terminal_id, service_no));
CREATE INDEX service_orders_device ON service_orders (device_blind);
CREATE TABLE service_order_steps (
    terminal_id TEXT NOT NULL, service_no TEXT NOT NULL, status TEXT NOT NULL, at BIGINT NOT NULL,
    by_name TEXT NOT NULL, PRIMARY KEY (terminal_id, service_no, status),
    FOREIGN KEY (terminal_id, service_no) REFERENCES service_orders (terminal_id, service_no));
CREATE TABLE software_updates (
    terminal_id TEXT NOT NULL, update_id TEXT NOT NULL, device_blind TEXT NOT NULL,
    identifier_sealed TEXT NOT NULL, store TEXT NOT NULL, version TEXT NOT NULL,
    installed_by TEXT NOT NULL, installed_at BIGINT NOT NULL, PRIMARY KEY (terminal_id, update_id));
CREATE INDEX software_updates_device ON software_updates (device_blind);
";

fn seal_key(conn: &mut dyn SqlConn, server_key: &ServerKey, key: &DeviceIdentifierKey) -> RepoResult<()> {
    let sealed = server_key.seal(Purpose::DeviceIdentifierKey(key.id()), hex::encode(key.to_bytes()).as_bytes())?;
    conn.execute("INSERT INTO device_identifier_key (key_id, key_sealed) VALUES (?1, ?2)", args![key.id(), sealed])?;
    Ok(())
}

/// Makes the platform's device identifier key (random, sealed under the server key) and moves
/// the sold-data list and the refunds from identifiers in clear to blinds, with each identifier
/// kept sealed. Runs in the migration's transaction; on SQLite the caller then rebuilds the
/// file, so the clear identifiers do not linger in free pages.
pub(in crate::repo) fn blind_existing_rows(conn: &mut dyn SqlConn, server_key: &ServerKey) -> RepoResult<()> {
    let key = DeviceIdentifierKey::generate(&mut rand::rngs::OsRng);
    seal_key(conn, server_key, &key)?;
    let rows = conn.query(
        "SELECT identifier, kind, line_code, terminal_id, order_id, store, price_minor, currency, paying_account, \
         software, sold_at, refunded FROM sold_devices",
        args![],
    )?;
    for row in rows {
        let identifier = row.text(0)?;
        let blind = key.blind(&identifier);
        let sealed = key.seal(&identifier, &mut rand::rngs::OsRng).map_err(|e| RepoError::Corrupt(e.to_string()))?;
        let mut values = vec![Value::Text(blind)];
        values.extend(row.0.into_iter().skip(1));
        values.push(Value::Text(sealed));
        conn.execute(
            "INSERT INTO sold_devices_v10 (blind, kind, line_code, terminal_id, order_id, store, price_minor, currency, \
             paying_account, software, sold_at, refunded, identifier_sealed) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)",
            &values,
        )?;
    }
    conn.batch("DROP TABLE sold_devices; ALTER TABLE sold_devices_v10 RENAME TO sold_devices;")?;
    let refunds =
        conn.query_map("SELECT refund_id, device_blind FROM refunds WHERE device_blind IS NOT NULL", args![], |r| {
            Ok((r.text(0)?, r.text(1)?))
        })?;
    for (refund_id, identifier) in refunds {
        conn.execute(
            "UPDATE refunds SET device_blind = ?2 WHERE refund_id = ?1",
            args![refund_id, key.blind(&identifier)],
        )?;
    }
    Ok(())
}

/// The device identifier key, opened.
fn key(conn: &mut dyn SqlConn, server_key: &ServerKey) -> RepoResult<DeviceIdentifierKey> {
    let (id, sealed) = conn
        .query_opt("SELECT key_id, key_sealed FROM device_identifier_key", args![], |r| Ok((r.text(0)?, r.text(1)?)))?
        .ok_or_else(|| RepoError::Corrupt("the device identifier key is missing".into()))?;
    let text = server_key.open_text(Purpose::DeviceIdentifierKey(&id), &sealed)?;
    let bytes = hex::decode(text.trim())
        .ok()
        .and_then(|b| <[u8; 32]>::try_from(b).ok())
        .ok_or_else(|| RepoError::Corrupt("the device identifier key is not 32 bytes".into()))?;
    let key = DeviceIdentifierKey::from_bytes(bytes);
    if key.id() != id {
        return Err(RepoError::Corrupt("the device identifier key does not match its id".into()));
    }
    Ok(key)
}

const ORDER_COLUMNS: &str =
    "terminal_id, service_no, device_blind, identifier_sealed, store, fault, status, opened_at, updated_at";

fn order_row(r: &Row) -> RepoResult<ServiceOrderRecord> {
    Ok(ServiceOrderRecord {
        terminal_id: r.text(0)?,
        service_no: r.text(1)?,
        device_blind: r.text(2)?,
        identifier_sealed: r.text(3)?,
        store: r.text(4)?,
        fault: r.text(5)?,
        status: r.text(6)?,
        opened_at: r.int(7)?,
        updated_at: r.int(8)?,
    })
}

impl DeviceServicesTx for SqlTx<'_> {
    fn device_identifier_key(&mut self) -> RepoResult<DeviceIdentifierKey> {
        let server_key = self.key;
        key(self.sql(), server_key)
    }

    fn service_order(&mut self, terminal: &str, service_no: &str) -> RepoResult<Option<ServiceOrderRecord>> {
        self.sql().query_opt(
            &format!("SELECT {ORDER_COLUMNS} FROM service_orders WHERE terminal_id = ?1 AND service_no = ?2"),
            args![terminal, service_no],
            order_row,
        )
    }

    fn put_service_order(&mut self, o: &ServiceOrderRecord) -> RepoResult<()> {
        self.sql().execute(
            &format!(
                "INSERT INTO service_orders ({ORDER_COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9) \
                 ON CONFLICT (terminal_id, service_no) DO UPDATE SET status = excluded.status, \
                 updated_at = excluded.updated_at"
            ),
            args![
                o.terminal_id,
                o.service_no,
                o.device_blind,
                o.identifier_sealed,
                o.store,
                o.fault,
                o.status,
                o.opened_at,
                o.updated_at
            ],
        )?;
        Ok(())
    }

    fn insert_service_step(&mut self, s: &ServiceStepRecord) -> RepoResult<()> {
        self.sql().execute(
            "INSERT INTO service_order_steps (terminal_id, service_no, status, at, by_name) \
             VALUES (?1, ?2, ?3, ?4, ?5)",
            args![s.terminal_id, s.service_no, s.status, s.at, s.by],
        )?;
        Ok(())
    }

    fn service_orders_of(&mut self, blind: &str) -> RepoResult<Vec<(ServiceOrderRecord, Vec<ServiceStepRecord>)>> {
        let conn = self.sql();
        let orders = conn.query_map(
            &format!(
                "SELECT {ORDER_COLUMNS} FROM service_orders WHERE device_blind = ?1 \
                 ORDER BY opened_at DESC, service_no DESC"
            ),
            args![blind],
            order_row,
        )?;
        let mut out = Vec::with_capacity(orders.len());
        for o in orders {
            let steps = conn.query_map(
                "SELECT terminal_id, service_no, status, at, by_name FROM service_order_steps \
                 WHERE terminal_id = ?1 AND service_no = ?2 ORDER BY at, status",
                args![o.terminal_id, o.service_no],
                |r| {
                    Ok(ServiceStepRecord {
                        terminal_id: r.text(0)?,
                        service_no: r.text(1)?,
                        status: r.text(2)?,
                        at: r.int(3)?,
                        by: r.text(4)?,
                    })
                },
            )?;
            out.push((o, steps));
        }
        Ok(out)
    }

    fn insert_software_update(&mut self, u: &SoftwareUpdateRecord) -> RepoResult<bool> {
        let n = self.sql().execute(
            "INSERT INTO software_updates (terminal_id, update_id, device_blind, identifier_sealed, store, version, \
             installed_by, installed_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8) \
             ON CONFLICT (terminal_id, update_id) DO NOTHING",
            args![
                u.terminal_id,
                u.update_id,
                u.device_blind,
                u.identifier_sealed,
                u.store,
                u.version,
                u.installed_by,
                u.installed_at
            ],
        )?;
        Ok(n == 1)
    }

    fn software_updates_of(&mut self, blind: &str) -> RepoResult<Vec<SoftwareUpdateRecord>> {
        self.sql().query_map(
            "SELECT terminal_id, update_id, device_blind, identifier_sealed, store, version, installed_by, \
             installed_at FROM software_updates WHERE device_blind = ?1 ORDER BY installed_at DESC, update_id DESC",
            args![blind],
            |r| {
                Ok(SoftwareUpdateRecord {
                    terminal_id: r.text(0)?,
                    update_id: r.text(1)?,
                    device_blind: r.text(2)?,
                    identifier_sealed: r.text(3)?,
                    store: r.text(4)?,
                    version: r.text(5)?,
                    installed_by: r.text(6)?,
                    installed_at: r.int(7)?,
                })
            },
        )
    }
}
