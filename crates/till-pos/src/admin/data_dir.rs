//! The till's data directory: what the till keeps there, and that all of it is its owner's alone.
//!
//! Beside `till.db` (with its `-wal` and `-shm`) live `till.key` (the key that seals the till's
//! secrets), `till.log`, `evidence/` (photos of defects kept with refunds) and `exports/` (files
//! made for the manager). Every file is created 0600 and every folder 0700 (Unix), by
//! [`till_store::private_fs`]: the database by the store, the key file by
//! [`crate::admin::secrets::SecretBox`], photos and exports here in till-pos, the log by the
//! desktop shell.
//!
//! Those files and folders as an older Till left them (0644 / 0755 under the usual umask) are
//! narrowed once when the till opens ([`narrow_existing`]). The data directory itself is left
//! as it is: it may be one the shop chose; the shell creates it 0700 when it does not exist.

use std::path::Path;
use till_store::private_fs;

/// The log file, written by the desktop shell.
pub const LOG_FILE: &str = "till.log";
/// Photos of defects kept with refunds.
pub const EVIDENCE_DIR: &str = "evidence";
/// Files made for the manager (CSV exports, PDFs).
pub const EXPORTS_DIR: &str = "exports";

/// Narrows what an older Till made in `dir` with wider modes: the key file and the log to 0600,
/// the evidence and exports folders to 0700 and the files in them to 0600. The database's own
/// files are the store's ([`till_store::Store::open`]). Failures are logged, not fatal: the
/// till still sells.
pub fn narrow_existing(dir: &Path) {
    let mut paths = vec![dir.join(crate::admin::secrets::KEY_FILE), dir.join(LOG_FILE)];
    for sub in [EVIDENCE_DIR, EXPORTS_DIR] {
        let folder = dir.join(sub);
        if let Ok(entries) = std::fs::read_dir(&folder) {
            paths.extend(entries.flatten().map(|e| e.path()));
        }
        paths.push(folder);
    }
    for path in paths {
        match private_fs::narrow(&path) {
            Ok(true) => tracing::info!(path = %path.display(), "narrowed to owner-only"),
            Ok(false) => {}
            Err(e) => tracing::warn!(path = %path.display(), "could not narrow to owner-only: {e}"),
        }
    }
}
