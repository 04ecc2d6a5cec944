//! The devices the installer configured: one per role (card reader, points terminal), each with
//! its driver, address URI, serial settings and, for a paired points terminal, the sealed
//! pairing key and the terminal's id. The store never sees a pairing key in clear: callers hand
//! it sealed bytes only.

use crate::{Result, Store, StoreError};
use rusqlite::{params, Connection, OptionalExtension, Row, Transaction};
use std::fmt;

/// What the installer sets for a role.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeviceConfig {
    /// `card-reader` or `points-terminal`.
    pub role: String,
    /// Protocol name of the driver (`magtek-hid`, `till-points-v1`, ...).
    pub driver: String,
    /// Address URI (`hid://0801:0002`, `serial:///dev/ttyACM0`, `sim://card-reader`).
    pub uri: String,
    /// Serial speed, for serial devices.
    pub baud: Option<u32>,
    /// Serial parity (`none`, `even`, `odd`), for serial devices.
    pub parity: Option<String>,
    /// Whether the till uses the device.
    pub enabled: bool,
    /// How long a card reader waits for a swipe, in seconds (the till's default when unset).
    pub swipe_timeout_s: Option<u32>,
    /// A receipt printer's paper width in millimetres (58 or 80).
    pub paper_mm: Option<u32>,
    /// A receipt printer's code page (`gb18030`, `pc437`).
    pub code_page: Option<String>,
}

impl DeviceConfig {
    /// The device of `role` at `uri` run by `driver`, enabled, with every other setting at the
    /// till's default.
    pub fn new(role: &str, driver: &str, uri: &str) -> Self {
        DeviceConfig {
            role: role.into(),
            driver: driver.into(),
            uri: uri.into(),
            baud: None,
            parity: None,
            enabled: true,
            swipe_timeout_s: None,
            paper_mm: None,
            code_page: None,
        }
    }

    /// A receipt printer on `paper_mm` paper printing in `code_page`.
    pub fn printer(driver: &str, uri: &str, paper_mm: u32, code_page: &str) -> Self {
        DeviceConfig {
            paper_mm: Some(paper_mm),
            code_page: Some(code_page.into()),
            ..DeviceConfig::new("receipt-printer", driver, uri)
        }
    }
}

/// A configured device as stored.
#[derive(Clone, PartialEq, Eq)]
pub struct DeviceRecord {
    /// The installer's settings.
    pub config: DeviceConfig,
    /// The pairing key, sealed by the caller; `None` until paired.
    pub pairing_key_sealed: Option<Vec<u8>>,
    /// The paired terminal's id.
    pub terminal_id: Option<String>,
    /// When it was paired, ms since the epoch.
    pub paired_at_ms: Option<i64>,
    /// First configured, ms since the epoch.
    pub created_at_ms: i64,
    /// Last changed, ms since the epoch.
    pub updated_at_ms: i64,
}

impl fmt::Debug for DeviceRecord {
    // Even sealed, the key has no business in a log: show only whether there is one.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DeviceRecord")
            .field("config", &self.config)
            .field("paired", &self.pairing_key_sealed.is_some())
            .field("terminal_id", &self.terminal_id)
            .field("paired_at_ms", &self.paired_at_ms)
            .field("created_at_ms", &self.created_at_ms)
            .field("updated_at_ms", &self.updated_at_ms)
            .finish()
    }
}

const COLUMNS: &str = "role, driver, uri, baud, parity, enabled, swipe_timeout_s, pairing_key_sealed, terminal_id, \
                       paired_at_ms, created_at_ms, updated_at_ms, paper_mm, code_page";

fn from_row(r: &Row<'_>) -> rusqlite::Result<DeviceRecord> {
    Ok(DeviceRecord {
        config: DeviceConfig {
            role: r.get(0)?,
            driver: r.get(1)?,
            uri: r.get(2)?,
            baud: r.get(3)?,
            parity: r.get(4)?,
            enabled: r.get(5)?,
            swipe_timeout_s: r.get(6)?,
            paper_mm: r.get(12)?,
            code_page: r.get(13)?,
        },
        pairing_key_sealed: r.get(7)?,
        terminal_id: r.get(8)?,
        paired_at_ms: r.get(9)?,
        created_at_ms: r.get(10)?,
        updated_at_ms: r.get(11)?,
    })
}

/// Reads the device configured for `role`, on any connection or inside a transaction.
pub fn get(conn: &Connection, role: &str) -> Result<Option<DeviceRecord>> {
    Ok(conn.query_row(&format!("SELECT {COLUMNS} FROM devices WHERE role = ?1"), [role], from_row).optional()?)
}

/// Sets the device for a role inside an open transaction. The pairing is kept when the role
/// keeps its URI and driver, and dropped otherwise: a key belongs to one terminal. A URI that
/// already serves the other role is refused.
pub fn put(tx: &Transaction<'_>, config: &DeviceConfig, now_ms: i64) -> Result<()> {
    let taken: Option<String> = tx
        .query_row("SELECT role FROM devices WHERE uri = ?1 AND role <> ?2", params![config.uri, config.role], |r| {
            r.get(0)
        })
        .optional()?;
    if let Some(other) = taken {
        return Err(StoreError::Conflict(format!("{} is already configured as the {other}", config.uri)));
    }
    let keep_pairing =
        get(tx, &config.role)?.is_some_and(|d| d.config.uri == config.uri && d.config.driver == config.driver);
    tx.execute(
        "INSERT INTO devices (role, driver, uri, baud, parity, enabled, swipe_timeout_s, created_at_ms, updated_at_ms,
                              paper_mm, code_page)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?8, ?9, ?10)
         ON CONFLICT (role) DO UPDATE SET driver = excluded.driver, uri = excluded.uri, baud = excluded.baud,
             parity = excluded.parity, enabled = excluded.enabled, swipe_timeout_s = excluded.swipe_timeout_s,
             updated_at_ms = excluded.updated_at_ms, paper_mm = excluded.paper_mm, code_page = excluded.code_page",
        params![
            config.role,
            config.driver,
            config.uri,
            config.baud,
            config.parity,
            config.enabled,
            config.swipe_timeout_s,
            now_ms,
            config.paper_mm,
            config.code_page
        ],
    )?;
    if !keep_pairing {
        clear_pairing(tx, &config.role)?;
    }
    Ok(())
}

/// Forgets the device of a role; `false` when none was configured.
pub fn remove(tx: &Transaction<'_>, role: &str) -> Result<bool> {
    Ok(tx.execute("DELETE FROM devices WHERE role = ?1", [role])? > 0)
}

/// Stores a pairing: the sealed key and the terminal's id.
pub fn set_pairing(tx: &Transaction<'_>, role: &str, sealed_key: &[u8], terminal_id: &str, now_ms: i64) -> Result<()> {
    let n = tx.execute(
        "UPDATE devices SET pairing_key_sealed = ?2, terminal_id = ?3, paired_at_ms = ?4, updated_at_ms = ?4
         WHERE role = ?1",
        params![role, sealed_key, terminal_id, now_ms],
    )?;
    if n == 0 {
        return Err(StoreError::NotFound("device"));
    }
    Ok(())
}

/// Drops a pairing (the device was replaced).
pub fn clear_pairing(tx: &Transaction<'_>, role: &str) -> Result<()> {
    tx.execute(
        "UPDATE devices SET pairing_key_sealed = NULL, terminal_id = NULL, paired_at_ms = NULL WHERE role = ?1",
        [role],
    )?;
    Ok(())
}

impl Store {
    /// Every configured device, by role.
    pub fn devices(&self) -> Result<Vec<DeviceRecord>> {
        self.read(|c| {
            let rows = c
                .prepare(&format!("SELECT {COLUMNS} FROM devices ORDER BY role"))?
                .query_map([], from_row)?
                .collect::<std::result::Result<_, _>>()?;
            Ok(rows)
        })
    }

    /// The device configured for `role`.
    pub fn device(&self, role: &str) -> Result<Option<DeviceRecord>> {
        self.read(|c| get(c, role))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn store() -> (tempfile::TempDir, Store) {
        let dir = tempfile::tempdir().unwrap();
        let s = Store::open(&dir.path().join("t.db")).unwrap();
        (dir, s)
    }

    fn reader(uri: &str) -> DeviceConfig {
        DeviceConfig {
            role: "card-reader".into(),
            driver: "idtech-enhanced".into(),
            uri: uri.into(),
            baud: Some(9600),
            parity: Some("none".into()),
            enabled: true,
            swipe_timeout_s: Some(20),
            paper_mm: None,
            code_page: None,
        }
    }

    fn terminal(uri: &str) -> DeviceConfig {
        DeviceConfig {
            role: "points-terminal".into(),
            driver: "till-points-v1".into(),
            uri: uri.into(),
            baud: Some(115_200),
            parity: None,
            enabled: true,
            swipe_timeout_s: None,
            paper_mm: None,
            code_page: None,
        }
    }

    #[test]
    fn config_round_trips_and_replaces_per_role() {
        let (_d, s) = store();
        assert!(s.devices().unwrap().is_empty());
        s.write(|tx| put(tx, &reader("serial:///dev/ttyACM0"), 10)).unwrap();
        let d = s.device("card-reader").unwrap().unwrap();
        assert_eq!(d.config, reader("serial:///dev/ttyACM0"));
        assert_eq!((d.created_at_ms, d.updated_at_ms, d.pairing_key_sealed), (10, 10, None));
        s.write(|tx| put(tx, &reader("serial:///dev/ttyACM1"), 20)).unwrap();
        let d = s.device("card-reader").unwrap().unwrap();
        assert_eq!((d.config.uri.as_str(), d.created_at_ms, d.updated_at_ms), ("serial:///dev/ttyACM1", 10, 20));
        assert_eq!(s.devices().unwrap().len(), 1);
        assert!(s.write(|tx| remove(tx, "card-reader")).unwrap());
        assert!(!s.write(|tx| remove(tx, "card-reader")).unwrap());
        assert!(s.devices().unwrap().is_empty());
    }

    #[test]
    fn bad_values_are_refused_and_change_nothing() {
        let (_d, s) = store();
        let mut bad = reader("serial:///dev/ttyACM0");
        bad.role = "printer".into();
        assert!(s.write(|tx| put(tx, &bad, 1)).is_err());
        let mut bad = reader("serial:///dev/ttyACM0");
        bad.baud = Some(7);
        assert!(s.write(|tx| put(tx, &bad, 1)).is_err());
        let mut bad = reader("serial:///dev/ttyACM0");
        bad.parity = Some("mark".into());
        assert!(s.write(|tx| put(tx, &bad, 1)).is_err());
        assert!(s.devices().unwrap().is_empty());
    }

    #[test]
    fn one_uri_serves_one_role() {
        let (_d, s) = store();
        s.write(|tx| put(tx, &reader("serial:///dev/ttyACM0"), 1)).unwrap();
        let e = s.write(|tx| put(tx, &terminal("serial:///dev/ttyACM0"), 2)).unwrap_err();
        assert!(matches!(e, StoreError::Conflict(_)), "{e:?}");
        assert!(s.device("points-terminal").unwrap().is_none());
    }

    #[test]
    fn pairing_is_kept_while_the_address_stays_and_dropped_when_it_changes() {
        let (_d, s) = store();
        s.write(|tx| put(tx, &terminal("sim://points-terminal"), 1)).unwrap();
        s.write(|tx| set_pairing(tx, "points-terminal", b"sealed", "TERM-0001", 2)).unwrap();
        let d = s.device("points-terminal").unwrap().unwrap();
        assert_eq!(
            (d.pairing_key_sealed.as_deref(), d.terminal_id.as_deref()),
            (Some(&b"sealed"[..]), Some("TERM-0001"))
        );
        assert!(!format!("{d:?}").contains("sealed\""), "{d:?}");
        let mut slower = terminal("sim://points-terminal");
        slower.baud = Some(9600);
        s.write(|tx| put(tx, &slower, 3)).unwrap();
        assert!(s.device("points-terminal").unwrap().unwrap().pairing_key_sealed.is_some());
        s.write(|tx| put(tx, &terminal("serial:///dev/ttyUSB0"), 4)).unwrap();
        let d = s.device("points-terminal").unwrap().unwrap();
        assert_eq!((d.pairing_key_sealed, d.terminal_id, d.paired_at_ms), (None, None, None));
        assert!(matches!(s.write(|tx| set_pairing(tx, "card-reader", b"k", "T", 5)), Err(StoreError::NotFound(_))));
    }
}
