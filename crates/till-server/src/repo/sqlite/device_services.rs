//! The statements of device services (schema version 10): the device identifier key sealed
//! under the server key, the sold-data list moved from identifiers to blinds, service orders
//! and software updates.

use super::super::{RepoResult, ServiceOrderRecord, ServiceStepRecord, SoftwareUpdateRecord};
use crate::error::RepoError;
use crate::sealing::{Purpose, ServerKey};
use rusqlite::{params, Connection, OptionalExtension, Row};
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

fn seal_key(conn: &Connection, server_key: &ServerKey, key: &DeviceIdentifierKey) -> RepoResult<()> {
    let sealed = server_key.seal(Purpose::DeviceIdentifierKey(key.id()), hex::encode(key.to_bytes()).as_bytes())?;
    conn.execute("INSERT INTO device_identifier_key (key_id, key_sealed) VALUES (?1, ?2)", params![key.id(), sealed])?;
    Ok(())
}

/// Makes the platform's device identifier key (random, sealed under the server key) and moves
/// the sold-data list and the refunds from identifiers in clear to blinds, with each identifier
/// kept sealed. Runs in the migration's transaction; the caller then rebuilds the file, so the
/// clear identifiers do not linger in free pages.
pub(in crate::repo) fn blind_existing_rows(conn: &Connection, server_key: &ServerKey) -> RepoResult<()> {
    let key = DeviceIdentifierKey::generate(&mut rand::rngs::OsRng);
    seal_key(conn, server_key, &key)?;
    let rows: Vec<(String, Vec<rusqlite::types::Value>)> = {
        let mut s = conn.prepare(
            "SELECT identifier, kind, line_code, terminal_id, order_id, store, price_minor, currency, paying_account, \
             software, sold_at, refunded FROM sold_devices",
        )?;
        let rows = s.query_map([], |r| Ok((r.get(0)?, (1..12).map(|i| r.get(i)).collect::<Result<Vec<_>, _>>()?)))?;
        rows.collect::<Result<_, _>>()?
    };
    for (identifier, rest) in rows {
        let blind = key.blind(&identifier);
        let sealed = key.seal(&identifier, &mut rand::rngs::OsRng).map_err(|e| RepoError::Corrupt(e.to_string()))?;
        let mut values: Vec<rusqlite::types::Value> = vec![blind.into()];
        values.extend(rest);
        values.push(sealed.into());
        conn.execute(
            "INSERT INTO sold_devices_v10 (blind, kind, line_code, terminal_id, order_id, store, price_minor, currency, \
             paying_account, software, sold_at, refunded, identifier_sealed) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)",
            rusqlite::params_from_iter(values),
        )?;
    }
    conn.execute_batch("DROP TABLE sold_devices; ALTER TABLE sold_devices_v10 RENAME TO sold_devices;")?;
    let refunds: Vec<(String, String)> = conn
        .prepare("SELECT refund_id, device_blind FROM refunds WHERE device_blind IS NOT NULL")?
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<Result<_, _>>()?;
    for (refund_id, identifier) in refunds {
        conn.execute(
            "UPDATE refunds SET device_blind = ?2 WHERE refund_id = ?1",
            params![refund_id, key.blind(&identifier)],
        )?;
    }
    Ok(())
}

/// The device identifier key, opened.
pub(super) fn key(conn: &Connection, server_key: &ServerKey) -> RepoResult<DeviceIdentifierKey> {
    let (id, sealed): (String, String) = conn
        .prepare_cached("SELECT key_id, key_sealed FROM device_identifier_key")?
        .query_row([], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?
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

fn order_row(r: &Row<'_>) -> rusqlite::Result<ServiceOrderRecord> {
    Ok(ServiceOrderRecord {
        terminal_id: r.get(0)?,
        service_no: r.get(1)?,
        device_blind: r.get(2)?,
        identifier_sealed: r.get(3)?,
        store: r.get(4)?,
        fault: r.get(5)?,
        status: r.get(6)?,
        opened_at: r.get(7)?,
        updated_at: r.get(8)?,
    })
}

/// A service order by terminal and number.
pub(super) fn service_order(conn: &Connection, terminal: &str, no: &str) -> RepoResult<Option<ServiceOrderRecord>> {
    Ok(conn
        .prepare_cached(&format!(
            "SELECT {ORDER_COLUMNS} FROM service_orders WHERE terminal_id = ?1 AND service_no = ?2"
        ))?
        .query_row(params![terminal, no], order_row)
        .optional()?)
}

/// Inserts a service order or replaces its status and time.
pub(super) fn put_service_order(conn: &Connection, o: &ServiceOrderRecord) -> RepoResult<()> {
    conn.prepare_cached(&format!(
        "INSERT INTO service_orders ({ORDER_COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9) \
         ON CONFLICT (terminal_id, service_no) DO UPDATE SET status = excluded.status, updated_at = excluded.updated_at"
    ))?
    .execute(params![
        o.terminal_id,
        o.service_no,
        o.device_blind,
        o.identifier_sealed,
        o.store,
        o.fault,
        o.status,
        o.opened_at,
        o.updated_at
    ])?;
    Ok(())
}

/// Appends a step.
pub(super) fn insert_service_step(conn: &Connection, s: &ServiceStepRecord) -> RepoResult<()> {
    conn.prepare_cached(
        "INSERT INTO service_order_steps (terminal_id, service_no, status, at, by_name) VALUES (?1, ?2, ?3, ?4, ?5)",
    )?
    .execute(params![s.terminal_id, s.service_no, s.status, s.at, s.by])?;
    Ok(())
}

/// A device's service orders, newest first, with their steps.
pub(super) fn service_orders_of(
    conn: &Connection,
    blind: &str,
) -> RepoResult<Vec<(ServiceOrderRecord, Vec<ServiceStepRecord>)>> {
    let orders: Vec<ServiceOrderRecord> = conn
        .prepare_cached(&format!(
            "SELECT {ORDER_COLUMNS} FROM service_orders WHERE device_blind = ?1 ORDER BY opened_at DESC, service_no DESC"
        ))?
        .query_map([blind], order_row)?
        .collect::<Result<_, _>>()?;
    let mut steps = conn.prepare_cached(
        "SELECT terminal_id, service_no, status, at, by_name FROM service_order_steps \
         WHERE terminal_id = ?1 AND service_no = ?2 ORDER BY at, status",
    )?;
    let mut out = Vec::with_capacity(orders.len());
    for o in orders {
        let s: Vec<ServiceStepRecord> = steps
            .query_map(params![o.terminal_id, o.service_no], |r| {
                Ok(ServiceStepRecord {
                    terminal_id: r.get(0)?,
                    service_no: r.get(1)?,
                    status: r.get(2)?,
                    at: r.get(3)?,
                    by: r.get(4)?,
                })
            })?
            .collect::<Result<_, _>>()?;
        out.push((o, s));
    }
    Ok(out)
}

/// Stores a software update once per terminal and id.
pub(super) fn insert_software_update(conn: &Connection, u: &SoftwareUpdateRecord) -> RepoResult<bool> {
    let n = conn
        .prepare_cached(
            "INSERT INTO software_updates (terminal_id, update_id, device_blind, identifier_sealed, store, version, \
             installed_by, installed_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8) \
             ON CONFLICT (terminal_id, update_id) DO NOTHING",
        )?
        .execute(params![
            u.terminal_id,
            u.update_id,
            u.device_blind,
            u.identifier_sealed,
            u.store,
            u.version,
            u.installed_by,
            u.installed_at
        ])?;
    Ok(n == 1)
}

/// A device's software updates, newest first.
pub(super) fn software_updates_of(conn: &Connection, blind: &str) -> RepoResult<Vec<SoftwareUpdateRecord>> {
    Ok(conn
        .prepare_cached(
            "SELECT terminal_id, update_id, device_blind, identifier_sealed, store, version, installed_by, installed_at \
             FROM software_updates WHERE device_blind = ?1 ORDER BY installed_at DESC, update_id DESC",
        )?
        .query_map([blind], |r| {
            Ok(SoftwareUpdateRecord {
                terminal_id: r.get(0)?,
                update_id: r.get(1)?,
                device_blind: r.get(2)?,
                identifier_sealed: r.get(3)?,
                store: r.get(4)?,
                version: r.get(5)?,
                installed_by: r.get(6)?,
                installed_at: r.get(7)?,
            })
        })?
        .collect::<Result<_, _>>()?)
}

impl super::super::DeviceServicesTx for super::SqliteTx<'_> {
    fn device_identifier_key(&mut self) -> RepoResult<till_core::DeviceIdentifierKey> {
        key(&self.conn, self.key)
    }

    fn service_order(&mut self, terminal: &str, service_no: &str) -> RepoResult<Option<ServiceOrderRecord>> {
        service_order(&self.conn, terminal, service_no)
    }

    fn put_service_order(&mut self, o: &ServiceOrderRecord) -> RepoResult<()> {
        put_service_order(&self.conn, o)
    }

    fn insert_service_step(&mut self, s: &ServiceStepRecord) -> RepoResult<()> {
        insert_service_step(&self.conn, s)
    }

    fn service_orders_of(&mut self, blind: &str) -> RepoResult<Vec<(ServiceOrderRecord, Vec<ServiceStepRecord>)>> {
        service_orders_of(&self.conn, blind)
    }

    fn insert_software_update(&mut self, u: &SoftwareUpdateRecord) -> RepoResult<bool> {
        insert_software_update(&self.conn, u)
    }

    fn software_updates_of(&mut self, blind: &str) -> RepoResult<Vec<SoftwareUpdateRecord>> {
        software_updates_of(&self.conn, blind)
    }
}

#[cfg(test)]
mod tests {
    use super::super::schema::{MIGRATION_3, MIGRATION_4, MIGRATION_6};
    use super::super::{SqliteRepository, MIGRATION_2, SCHEMA};
    use crate::repo::Repository;
    use rusqlite::Connection;

    const IMEI: &str = "352099001761481";

    fn files(db: &std::path::Path) -> Vec<u8> {
        let mut all = std::fs::read(db).unwrap();
        all.extend(std::fs::read(db.with_file_name("v6.db-wal")).unwrap_or_default());
        all
    }

    fn contains(haystack: &[u8], needle: &str) -> bool {
        haystack.windows(needle.len()).any(|w| w == needle.as_bytes())
    }

    #[test]
    fn a_version_6_sold_data_list_is_moved_to_blinds_and_its_identifiers_leave_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("v6.db");
        {
            let c = Connection::open(&db).unwrap();
            c.execute_batch(SCHEMA).unwrap();
            for m in [MIGRATION_2, MIGRATION_3, MIGRATION_4, crate::repo::sealed_columns::MIGRATION_5, MIGRATION_6] {
                c.execute_batch(m).unwrap();
            }
            c.execute_batch(&format!(
                "INSERT INTO schema_version (version) VALUES (1), (2), (3), (4), (5), (6);
                 INSERT INTO orders VALUES ('t_1', 'o-1', 'Shop 1', 'CNY', 199900, NULL, 100, 100, NULL);
                 INSERT INTO order_lines VALUES ('ABCDABCDABCDA', 't_1', 'o-1', 1, 'PH-1', 'Phone', 1, 199900, 199900, 'CNY', NULL, 199900);
                 INSERT INTO sold_devices VALUES ('{IMEI}', 'imei', 'ABCDABCDABCDA', 't_1', 'o-1', 'Shop 1', 199900, 'CNY', 'cash', 'v1.2', 100, 1);
                 INSERT INTO refunds (refund_id, terminal_id, line_code, device_identifier, amount_minor, currency, tender, reason,
                                      status, refund_to, created_at)
                      VALUES ('r-1', 't_1', 'ABCDABCDABCDA', '{IMEI}', 199900, 'CNY', 'original', 'broken', 'refunded', 'cash', 200);"
            ))
            .unwrap();
        }
        assert!(contains(&files(&db), IMEI), "the fixture holds the identifier in clear");
        let repo = SqliteRepository::open(&db).unwrap();
        assert!(!contains(&files(&db), IMEI), "the identifier is still in the files after the migration");
        let mut tx = repo.read().unwrap();
        let key = tx.device_identifier_key().unwrap();
        let blind = key.blind(IMEI);
        let d = tx.merchant_sold_device("default", &blind).unwrap().expect("the sale is found by its blind");
        assert_eq!((d.line_code.as_str(), d.software.as_deref(), d.refunded), ("ABCDABCDABCDA", Some("v1.2"), true));
        assert_eq!(key.open(&d.identifier_sealed, &blind).unwrap(), IMEI, "the seller can still read it");
        assert_eq!(tx.refund("r-1").unwrap().unwrap().device_blind.as_deref(), Some(blind.as_str()));
        assert!(
            tx.merchant_sold_device("default", IMEI).unwrap().is_none(),
            "nothing is found by the identifier in clear"
        );
        drop(tx);
        drop(repo);
        // A second open changes nothing and keeps the same key.
        let repo = SqliteRepository::open(&db).unwrap();
        assert_eq!(repo.read().unwrap().device_identifier_key().unwrap().id(), key.id());
    }
}
