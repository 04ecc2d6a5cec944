//! Online backups: a consistent copy of the till database taken while the till keeps selling.
//!
//! The copy is made with SQLite's online backup API from a connection of its own (never the
//! store's reader or writer, so the till's own reads and commits do not queue behind it). That
//! connection holds one read transaction for the whole copy: in WAL mode this pins a snapshot,
//! so the till's commits go on (into the WAL) and the copy is the database as it was when the
//! backup started. Without it, SQLite restarts a backup whenever another connection writes,
//! and on a busy till a large backup would never finish. The pages are copied
//! [`BackupOptions::pages_per_step`] at a time with [`BackupOptions::pause`] between steps, so
//! the copy's disk reads leave room for a checkout's fsync.
//!
//! The copy is written to a temporary file in the target folder (created 0600 before SQLite
//! opens it), switched to a single-file journal mode, checked with `PRAGMA integrity_check`,
//! fsynced and only then renamed into place (and the folder fsynced), so a file with the
//! backup's name is always a whole, checked copy. A failure removes the temporary file.
//!
//! A backup holds no clear secret: the till's secrets in the database are sealed under
//! `till.key`, which lives beside the database and is never copied here.

use crate::{connection, private_fs, Result, StoreError};
use rusqlite::backup::{Backup, StepResult};
use rusqlite::{Connection, OpenFlags};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// How a backup paces itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BackupOptions {
    /// Pages copied per step (`-1`: everything in one step, for a database nobody else uses).
    pub pages_per_step: i32,
    /// Pause between steps.
    pub pause: Duration,
}

impl Default for BackupOptions {
    /// 1,024 pages (4 MiB with SQLite's default page size) then 5 ms of rest: measured in
    /// docs/performance.md (`tillctl bench backup`).
    fn default() -> Self {
        BackupOptions { pages_per_step: 1024, pause: Duration::from_millis(5) }
    }
}

impl BackupOptions {
    /// One step, no pause: for a database no one else writes (before an upgrade, a restore).
    pub fn all_at_once() -> Self {
        BackupOptions { pages_per_step: -1, pause: Duration::ZERO }
    }
}

/// What a backup wrote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BackupReport {
    /// The backup file.
    pub path: PathBuf,
    /// Its size in bytes.
    pub bytes: u64,
    /// Steps the copy took.
    pub steps: u64,
    /// How long the whole backup took (copy, check, fsync, rename).
    pub duration: Duration,
}

/// Copies the database at `source` to `out` (see the module documentation). `out`'s folder
/// must exist; an existing `out` is replaced only once the new copy is whole and checked.
pub fn backup_database(source: &Path, out: &Path, options: &BackupOptions) -> Result<BackupReport> {
    let started = Instant::now();
    if !source.is_file() {
        return Err(StoreError::Io(format!("{}: no database there", source.display())));
    }
    let folder = out.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let name = out
        .file_name()
        .ok_or_else(|| StoreError::Invalid(format!("{}: not a file name", out.display())))?
        .to_string_lossy()
        .into_owned();
    let temp = folder.join(format!(".{name}.partial-{}", std::process::id()));
    remove_with_journals(&temp);
    let result = copy_and_check(source, &temp, options).and_then(|steps| {
        sync_file(&temp)?;
        std::fs::rename(&temp, out).map_err(|e| io(out, e))?;
        sync_dir(folder);
        let bytes = std::fs::metadata(out).map_err(|e| io(out, e))?.len();
        Ok(BackupReport { path: out.to_path_buf(), bytes, steps, duration: started.elapsed() })
    });
    if result.is_err() {
        remove_with_journals(&temp);
    }
    result
}

/// Runs `PRAGMA integrity_check` on a database file without changing it (read-only).
pub fn integrity_check_file(path: &Path) -> Result<()> {
    let conn = Connection::open_with_flags(path, OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX)?;
    integrity_check(&conn)
}

fn integrity_check(conn: &Connection) -> Result<()> {
    let rows: Vec<String> =
        conn.prepare("PRAGMA integrity_check")?.query_map([], |r| r.get(0))?.collect::<std::result::Result<_, _>>()?;
    if rows == ["ok"] {
        Ok(())
    } else {
        Err(StoreError::Corrupt(rows.join("; ")))
    }
}

/// The copy itself, into `temp`; returns the number of steps.
fn copy_and_check(source: &Path, temp: &Path, options: &BackupOptions) -> Result<u64> {
    private_fs::touch_private(temp).map_err(|e| io(temp, e))?;
    let src = connection::open(source)?;
    // One read transaction for the whole copy: a fixed snapshot (see the module documentation).
    src.execute_batch("BEGIN DEFERRED")?;
    let pinned: Result<()> =
        src.query_row("SELECT count(*) FROM sqlite_schema", [], |_| Ok(())).map_err(StoreError::from);
    let mut dst = Connection::open(temp)?;
    let steps = pinned.and_then(|()| run(&src, &mut dst, options));
    // Ends the read transaction whatever happened; nothing was written through it.
    let _ = src.execute_batch("COMMIT");
    let steps = steps?;
    // The pages came with the source's WAL flag: make the copy one self-contained file.
    dst.pragma_update(None, "journal_mode", "DELETE")?;
    integrity_check(&dst)?;
    dst.close().map_err(|(_, e)| StoreError::from(e))?;
    Ok(steps)
}

fn run(src: &Connection, dst: &mut Connection, options: &BackupOptions) -> Result<u64> {
    let backup = Backup::new(src, dst)?;
    let mut steps = 0u64;
    loop {
        steps += 1;
        match backup.step(options.pages_per_step)? {
            StepResult::Done => return Ok(steps),
            // Busy or locked: the destination is ours alone, so this is the source's lock
            // held for a moment (a checkpoint); waiting is all there is to do.
            StepResult::More | StepResult::Busy | StepResult::Locked => {
                if !options.pause.is_zero() {
                    std::thread::sleep(options.pause);
                }
            }
            // StepResult is non-exhaustive.
            _ => std::thread::sleep(Duration::from_millis(1)),
        }
    }
}

fn io(path: &Path, e: std::io::Error) -> StoreError {
    StoreError::Io(format!("{}: {e}", path.display()))
}

fn sync_file(path: &Path) -> Result<()> {
    std::fs::File::open(path).and_then(|f| f.sync_all()).map_err(|e| io(path, e))
}

/// Makes a rename in `folder` durable. Not every file system lets a folder be fsynced (some
/// network shares refuse): the file itself is synced already, so a refusal is only logged.
pub(crate) fn sync_dir(folder: &Path) {
    #[cfg(unix)]
    if let Err(e) = std::fs::File::open(folder).and_then(|f| f.sync_all()) {
        tracing::debug!(folder = %folder.display(), "folder not fsynced: {e}");
    }
    #[cfg(not(unix))]
    let _ = folder;
}

/// Removes a file and the journal files SQLite may have left beside it.
pub(crate) fn remove_with_journals(path: &Path) {
    for suffix in ["", "-journal", "-wal", "-shm"] {
        let mut name = path.as_os_str().to_owned();
        name.push(suffix);
        let _ = std::fs::remove_file(PathBuf::from(name));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Store;

    fn mode(p: &Path) -> u32 {
        use std::os::unix::fs::PermissionsExt;
        std::fs::metadata(p).unwrap().permissions().mode() & 0o777
    }

    #[test]
    fn a_backup_is_a_whole_private_checked_single_file() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("till.db")).unwrap();
        store.set_setting("k", "v").unwrap();
        let out = dir.path().join("copy.db");
        let report =
            backup_database(store.path(), &out, &BackupOptions { pages_per_step: 2, pause: Duration::ZERO }).unwrap();
        assert!(report.steps > 1, "copied in steps: {report:?}");
        assert_eq!(mode(&out), 0o600);
        assert_eq!(report.bytes, std::fs::metadata(&out).unwrap().len());
        // No journal beside it, nothing temporary left in the folder.
        let names: Vec<_> =
            std::fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().file_name().into_string().unwrap()).collect();
        assert!(!names.iter().any(|n| n.starts_with(".copy.db") || n.starts_with("copy.db-")), "{names:?}");
        let mode: String = Connection::open(&out).unwrap().query_row("PRAGMA journal_mode", [], |r| r.get(0)).unwrap();
        assert_eq!(mode, "delete");
        integrity_check_file(&out).unwrap();
        drop(store);
        let copy = Store::open(&out).unwrap();
        assert_eq!(copy.setting("k").unwrap().as_deref(), Some("v"));
    }

    #[test]
    fn the_copy_is_the_snapshot_of_its_start_even_while_another_connection_writes() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("till.db")).unwrap();
        // Enough pages that the copy takes many steps.
        store
            .write(|tx| {
                for i in 0..2000 {
                    crate::settings::put(tx, &format!("k{i}"), &"x".repeat(200))?;
                }
                Ok(())
            })
            .unwrap();
        let out = dir.path().join("copy.db");
        let writer = std::thread::scope(|s| {
            let h = s.spawn(|| {
                backup_database(
                    store.path(),
                    &out,
                    &BackupOptions { pages_per_step: 1, pause: Duration::from_millis(1) },
                )
            });
            let mut n = 0;
            while !h.is_finished() {
                store.set_setting(&format!("during{n}"), "y").unwrap();
                n += 1;
            }
            h.join().unwrap().map(|r| (r, n))
        });
        let (report, writes) = writer.unwrap();
        assert!(writes > 0 && report.steps > 100, "{writes} writes, {report:?}");
        integrity_check_file(&out).unwrap();
        let copy = Connection::open(&out).unwrap();
        let k: i64 = copy.query_row("SELECT count(*) FROM settings WHERE key LIKE 'k%'", [], |r| r.get(0)).unwrap();
        assert_eq!(k, 2000);
    }

    #[test]
    fn a_missing_source_or_folder_fails_and_leaves_nothing() {
        let dir = tempfile::tempdir().unwrap();
        assert!(
            backup_database(&dir.path().join("none.db"), &dir.path().join("c.db"), &BackupOptions::default()).is_err()
        );
        let store = Store::open(&dir.path().join("till.db")).unwrap();
        let err = backup_database(store.path(), &dir.path().join("missing/c.db"), &BackupOptions::default());
        assert!(matches!(err, Err(StoreError::Io(_))), "{err:?}");
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 3, "till.db, -wal, -shm only");
    }
}
