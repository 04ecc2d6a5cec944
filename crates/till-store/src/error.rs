//! Errors of the store.

/// Everything the store can fail with.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// SQLite said no (I/O, constraint, busy...).
    #[error("database error: {0}")]
    Sqlite(#[from] rusqlite::Error),
    /// The file was written by a newer Till; opening it could misread or damage it.
    #[error("the database is at schema version {found}, newer than this Till understands ({supported}); install the newer Till or restore a backup")]
    DatabaseTooNew {
        /// Version in the file.
        found: u32,
        /// Newest version this build knows.
        supported: u32,
    },
    /// A migration failed while upgrading the database. Every pending migration runs in one
    /// transaction, so the file is still at version `from`, as it was.
    #[error(
        "the database could not be upgraded: migration {version} failed: {reason}. The database is unchanged \
         (still at schema version {from}); {}",
        backup.as_ref().map_or("no copy was needed".to_string(), |p| format!("a copy taken before the upgrade is at {}", p.display()))
    )]
    MigrationFailed {
        /// The schema version the failing migration brings the file to.
        version: u32,
        /// The version the file had, and still has.
        from: u32,
        /// What SQLite or the check said.
        reason: String,
        /// The backup taken before the upgrade, when there is one.
        backup: Option<std::path::PathBuf>,
    },
    /// The backup that must precede an upgrade could not be made, so the database was not
    /// upgraded (and is unchanged).
    #[error("the database at schema version {from} needs an upgrade, but the backup taken before it failed: {reason}. The database is unchanged; free some disk space or make {folder} writable, then start Till again")]
    PreUpgradeBackupFailed {
        /// The file's version.
        from: u32,
        /// The folder the backup goes to.
        folder: String,
        /// Why.
        reason: String,
    },
    /// This cart was already checked out; the order it became is `order_id`.
    #[error("this cart was already checked out as order {order_id}")]
    AlreadyCheckedOut {
        /// The order the first checkout wrote.
        order_id: i64,
    },
    /// No such row.
    #[error("{0} not found")]
    NotFound(&'static str),
    /// A uniqueness rule was broken (a name or code already in use).
    #[error("{0}")]
    Conflict(String),
    /// Stored data that does not make sense (failed integrity check, bad stored value).
    #[error("database is damaged: {0}")]
    Corrupt(String),
    /// A domain rule refused stored or given data.
    #[error(transparent)]
    Domain(#[from] till_core::CoreError),
    /// Input from a user or a file that cannot be used; the message says what to fix.
    #[error("{0}")]
    Invalid(String),
    /// The change would touch a day that has been closed with a Z report.
    #[error("{0}")]
    DayClosed(String),
    /// A refund would take a line past the units sold (or refunded already).
    #[error("line {line_no} has {left} unit(s) left to refund")]
    RefundExceedsSold {
        /// Receipt line (0 when the database's own check caught it).
        line_no: i64,
        /// Units that may still be refunded.
        left: i64,
    },
    /// A refund would pay back more than the sale was paid.
    #[error("only {left} minor units of this sale are left to refund")]
    RefundExceedsPaid {
        /// Minor units left (-1 when the database's own check caught it).
        left: i64,
    },
    /// Long work (an export) stopped because it was asked to.
    #[error("cancelled")]
    Cancelled,
    /// Reading or writing a file outside the database failed.
    #[error("file error: {0}")]
    Io(String),
    /// A test asked the store to fail at this step.
    #[error("injected failure at {0}")]
    Injected(&'static str),
}

impl StoreError {
    /// True when SQLite refused a write because of a UNIQUE constraint.
    pub fn is_unique_violation(&self) -> bool {
        matches!(self, StoreError::Sqlite(rusqlite::Error::SqliteFailure(e, _))
            if e.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_UNIQUE
                || e.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_PRIMARYKEY)
    }
}
