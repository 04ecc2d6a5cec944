//! Files and folders for the owner only: the database, its WAL and shared-memory files and the
//! key file are 0600, a data folder the server makes is 0700.
//!
//! SQLite gives a database's `-wal` and `-shm` files the mode of the database file itself, so
//! creating the database 0600 before SQLite opens it is what keeps the WAL private too.

use crate::error::RepoError;
use std::fs::{File, OpenOptions, Permissions};
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

/// Mode of every file the server makes.
pub const FILE_MODE: u32 = 0o600;
/// Mode of a folder the server makes.
pub const DIR_MODE: u32 = 0o700;

fn io_error(what: &str, path: &Path, e: std::io::Error) -> RepoError {
    RepoError::Key(format!("cannot {what} {}: {e}", path.display()))
}

/// Creates `dir` (and missing parents) with mode 0700. A folder that already exists is left as
/// it is (it may be shared, e.g. the current directory) but a warning names it when others can
/// enter it.
pub fn create_private_dir(dir: &Path) -> Result<(), RepoError> {
    if dir.is_dir() {
        let mode = std::fs::metadata(dir).map_err(|e| io_error("inspect", dir, e))?.permissions().mode();
        if mode & 0o077 != 0 {
            tracing::warn!(dir = %dir.display(), mode = format!("{:04o}", mode & 0o7777),
                "the server's data folder is open to other accounts; make it 0700");
        }
        return Ok(());
    }
    std::fs::DirBuilder::new().recursive(true).mode(DIR_MODE).create(dir).map_err(|e| io_error("create", dir, e))
}

/// Creates `path`, which must not exist yet, with mode 0600.
pub fn create_new_private_file(path: &Path) -> Result<File, RepoError> {
    OpenOptions::new().write(true).create_new(true).mode(FILE_MODE).open(path).map_err(|e| io_error("create", path, e))
}

/// Makes sure the database at `db` and its `-wal`, `-shm` and `-journal` files are 0600:
/// creates the (empty) database file with that mode when it does not exist, so SQLite's own
/// files inherit it, and tightens existing ones that are open to others.
pub fn prepare_database_files(db: &Path) -> Result<(), RepoError> {
    if let Some(dir) = db.parent().filter(|d| !d.as_os_str().is_empty()) {
        create_private_dir(dir)?;
    }
    if !db.exists() {
        // SQLite takes an empty file for a new database.
        OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(false)
            .mode(FILE_MODE)
            .open(db)
            .map_err(|e| io_error("create", db, e))?;
    }
    for file in database_files(db) {
        if let Ok(meta) = std::fs::metadata(&file) {
            if meta.permissions().mode() & 0o077 != 0 {
                std::fs::set_permissions(&file, Permissions::from_mode(FILE_MODE))
                    .map_err(|e| io_error("restrict", &file, e))?;
            }
        }
    }
    Ok(())
}

/// The database file and the files SQLite keeps beside it.
pub fn database_files(db: &Path) -> Vec<PathBuf> {
    let mut out = vec![db.to_path_buf()];
    for suffix in ["-wal", "-shm", "-journal"] {
        let mut name = db.as_os_str().to_os_string();
        name.push(suffix);
        out.push(PathBuf::from(name));
    }
    out
}

/// Refuses a file that its group or others may read or write (like ssh does for private keys).
pub fn check_owner_only(path: &Path) -> Result<(), RepoError> {
    let mode = std::fs::metadata(path).map_err(|e| io_error("read", path, e))?.permissions().mode();
    if mode & 0o077 != 0 {
        return Err(RepoError::Key(format!(
            "the key file {} is open to other accounts (mode {:04o}); run chmod 600 on it",
            path.display(),
            mode & 0o7777
        )));
    }
    Ok(())
}

/// Flushes the folder entry of a new file, so the file survives a power cut. Best effort: not
/// every file system can sync a folder.
pub fn sync_dir_of(path: &Path) {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        if let Ok(d) = File::open(dir) {
            let _ = d.sync_all();
        }
    }
}
