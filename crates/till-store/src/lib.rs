//! Till's local database: one SQLite file that never loses an acknowledged sale.
//!
//! [`Store::open`] sets the connection up for durability (WAL, `synchronous=FULL`, foreign
//! keys, a busy timeout) and applies the migrations embedded from `migrations/*.sql`; a
//! database written by a newer Till is refused rather than misread. Every write runs in an
//! `IMMEDIATE` transaction. [`Store::record_sale`] writes an order, its lines, its payment, an
//! audit entry and the `sale.recorded` outbox event in one commit, so after a crash either all
//! of them are there or none is.
//!
//! ```no_run
//! let store = till_store::Store::open(std::path::Path::new("till.db")).unwrap();
//! let hits = store.search_products("tea", 20).unwrap();
//! # let _ = hits;
//! ```

pub mod answers;
pub mod audit;
pub mod audit_view;
pub mod backup;
pub mod catalogue;
pub mod catalogue_admin;
pub mod catalogue_import;
pub mod catalogue_sync;
pub mod charts;
pub mod checkout;
mod connection;
pub mod delivery;
pub mod demo_data;
pub mod device_services;
pub mod devices;
pub mod error;
pub mod export;
pub mod history;
pub mod integrity;
pub mod migrations;
pub mod open_carts;
pub mod orders;
pub mod outbox;
pub mod payment_journal;
pub mod pending_orders;
pub mod points_ledger;
pub mod print_queue;
pub mod private_fs;
pub mod refunds;
pub mod remote_refunds;
pub mod reports;
pub mod sale_event;
pub mod services;
pub mod settings;
pub mod upgrade;
pub mod users;

pub use audit::AuditReport;
pub use catalogue::NewProduct;
pub use checkout::{PointsChange, RecordedSale, SaleLoyalty};
pub use delivery::{ClaimedEvent, DueEvent, NotPrepared, OutboxCounts, ParkedEvent, Prepared, Settlement};
pub use devices::{DeviceConfig, DeviceRecord};
pub use error::StoreError;
pub use export::ExportKind;
pub use integrity::InvariantReport;
pub use open_carts::{SavedCart, SavedOrigin};
pub use orders::{OrderLineRecord, OrderRecord, PaymentRecord};
pub use payment_journal::{JournalEntry, JournalState, NewJournalPayment, Platform, Settle};
pub use print_queue::{JobKind, JobState, NewJob, PrintJob};
pub use refunds::{
    NewRefund, PhotoUpload, RecordedRefund, RefundSummary, RefundableLine, RefundableOrder, RemoteRefund,
};
pub use reports::{ClosedDay, DayReport, ReportKind};
pub use users::UserRecord;

use rusqlite::{Connection, Transaction, TransactionBehavior};
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard};

/// Result of a store operation.
pub type Result<T> = std::result::Result<T, StoreError>;

/// Turns the `day_closed` abort of the migration 8 triggers into [`StoreError::DayClosed`], so
/// every caller of [`Store::write`] gets a plain answer instead of a raw SQLite error.
fn day_closed(e: StoreError) -> StoreError {
    match &e {
        StoreError::Sqlite(rusqlite::Error::SqliteFailure(_, Some(msg))) if msg.contains("day_closed") => {
            StoreError::DayClosed(
                "that day is closed with a Z report: its sales, lines and payments can no longer change \
                 (a refund of an old sale is booked today)"
                    .into(),
            )
        }
        // The triggers of migration 7 are the last line of defence: say what they mean.
        StoreError::Sqlite(rusqlite::Error::SqliteFailure(_, Some(msg)))
            if msg.contains("refund_exceeds_quantity_sold") =>
        {
            StoreError::RefundExceedsSold { line_no: 0, left: 0 }
        }
        StoreError::Sqlite(rusqlite::Error::SqliteFailure(_, Some(msg)))
            if msg.contains("refund_exceeds_amount_paid") =>
        {
            StoreError::RefundExceedsPaid { left: -1 }
        }
        _ => e,
    }
}

/// The till's database: a writer connection and a reader connection on one file.
///
/// WAL lets the reader (catalogue search, receipts) run while the writer commits.
pub struct Store {
    path: PathBuf,
    writer: Mutex<Connection>,
    reader: Mutex<Connection>,
    // Outbox events to be written with a checkout's sale, by checkout key (in memory only).
    linked: Mutex<std::collections::HashMap<String, checkout::LinkedEvent>>,
}

impl Store {
    /// Opens (creating if needed) the database at `path` and migrates it to this build's schema,
    /// reading the system clock (for the name of a pre-upgrade backup).
    pub fn open(path: &Path) -> Result<Store> {
        Self::open_with_clock(path, &till_core::SystemClock)
    }

    /// Opens (creating if needed) the database at `path` and migrates it to this build's schema.
    ///
    /// A new database file is created with mode 0600 before SQLite opens it, so it and its
    /// `-wal` and `-shm` files (which SQLite gives the database's mode) are the owner's alone;
    /// those files of an older Till are narrowed to 0600 ([`private_fs`]). A file of an older
    /// schema is copied to `backups/` first and then migrated in one transaction
    /// ([`upgrade`]); `clock` names that copy.
    pub fn open_with_clock(path: &Path, clock: &dyn till_core::Clock) -> Result<Store> {
        Self::open_with(path, clock, migrations::MIGRATIONS)
    }

    /// [`Store::open_with_clock`] with a given list of migrations (tests inject a failing one).
    pub(crate) fn open_with(path: &Path, clock: &dyn till_core::Clock, migrations: &[&str]) -> Result<Store> {
        let io = |p: &Path, e: std::io::Error| StoreError::Io(format!("{}: {e}", p.display()));
        private_fs::touch_private(path).map_err(|e| io(path, e))?;
        for suffix in ["", "-wal", "-shm", "-journal"] {
            let mut name = path.as_os_str().to_owned();
            name.push(suffix);
            let file = PathBuf::from(name);
            if private_fs::narrow(&file).map_err(|e| io(&file, e))? {
                tracing::info!(path = %file.display(), "narrowed to owner-only (0600)");
            }
        }
        let mut writer = connection::open(path)?;
        let found = migrations::current_version(&writer)?;
        // Version 0 is a new file: nothing to keep. A newer file is refused by the migration.
        let copy = if found > 0 && (found as usize) < migrations.len() {
            Some(upgrade::pre_upgrade_backup(path, found, clock.now_ms())?)
        } else {
            None
        };
        migrations::migrate_with(&mut writer, migrations).map_err(|e| upgrade::with_backup(e, copy))?;
        let reader = connection::open(path)?;
        Ok(Store {
            path: path.to_path_buf(),
            writer: Mutex::new(writer),
            reader: Mutex::new(reader),
            linked: Mutex::new(Default::default()),
        })
    }

    /// Where the database file is.
    pub fn path(&self) -> &Path {
        &self.path
    }

    fn lock(m: &Mutex<Connection>) -> MutexGuard<'_, Connection> {
        // A panic while holding the lock cannot leave a half-done transaction behind: SQLite
        // rolls back an unfinished transaction when it is dropped. So the poison can be ignored.
        m.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Runs `f` inside one IMMEDIATE transaction: committed if `f` returns Ok, rolled back
    /// otherwise.
    pub fn write<T>(&self, f: impl FnOnce(&Transaction<'_>) -> Result<T>) -> Result<T> {
        let mut conn = Self::lock(&self.writer);
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let out = f(&tx).map_err(day_closed)?;
        tx.commit().map_err(|e| day_closed(e.into()))?;
        Ok(out)
    }

    /// Copies every WAL frame into the database file and truncates the WAL to nothing, so a
    /// page's older versions (a secret just overwritten) are no longer on disk beside it.
    /// Returns false when a reader kept it from completing.
    pub fn checkpoint_truncate(&self) -> Result<bool> {
        let conn = Self::lock(&self.writer);
        let busy: i64 = conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |r| r.get(0))?;
        Ok(busy == 0)
    }

    /// Runs `f` with the reader connection.
    pub fn read<T>(&self, f: impl FnOnce(&Connection) -> Result<T>) -> Result<T> {
        let conn = Self::lock(&self.reader);
        f(&conn)
    }

    /// `PRAGMA integrity_check`: `Ok(())` when SQLite finds nothing wrong.
    pub fn integrity_check(&self) -> Result<()> {
        self.read(|c| {
            let rows: Vec<String> = c
                .prepare("PRAGMA integrity_check")?
                .query_map([], |r| r.get(0))?
                .collect::<std::result::Result<_, _>>()?;
            if rows == ["ok"] {
                Ok(())
            } else {
                Err(StoreError::Corrupt(rows.join("; ")))
            }
        })
    }
}
