//! Files and folders the till makes are its owner's alone: files 0600, folders 0700 (Unix).
//!
//! The data directory holds the database (masked card numbers, customers, sales), the key
//! file, the log, refund photos and exports. A process of another user on the same machine
//! must read none of them, whatever the umask. So the mode is given when the file or folder
//! is created (`O_CREAT` with 0600, `mkdir` with 0700), never set afterwards: a chmod after
//! creation leaves a moment when the file is readable, and a crash in that moment leaves it so.
//! The umask can only narrow these modes further.
//!
//! SQLite creates the `-wal` and `-shm` files itself, with the permissions of the database file
//! (`robust_open` in its Unix VFS copies the database's mode), so [`create_private_file`]
//! making `till.db` 0600 before SQLite first opens it is enough for all three.
//!
//! Files and folders made by an older Till (0644 / 0755 under the usual umask) are narrowed
//! once by [`narrow`] when the till opens.
//!
//! On other systems these are the ordinary calls: the folder's ACL, inherited from the user's
//! profile, is what protects it there.

use std::fs::{File, OpenOptions};
use std::io::{self, Write};
use std::path::Path;

/// Mode of every file the till makes.
pub const FILE_MODE: u32 = 0o600;
/// Mode of every folder the till makes.
pub const DIR_MODE: u32 = 0o700;

/// Creates `path` and any missing parents as folders of mode 0700. Folders that exist already
/// are left as they are (the data directory may be one the shop chose).
pub fn create_private_dir_all(path: &Path) -> io::Result<()> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        builder.mode(DIR_MODE);
    }
    builder.create(path)
}

/// Options that create a file of mode 0600 (only when the file is new: an existing file keeps
/// its mode). Add `write`, `append`, `truncate` or `create_new` as needed.
pub fn private_file_options() -> OpenOptions {
    let mut options = OpenOptions::new();
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(FILE_MODE);
    }
    options
}

/// Creates (or truncates) `path` for writing; a new file is 0600.
pub fn create_private_file(path: &Path) -> io::Result<File> {
    private_file_options().write(true).create(true).truncate(true).open(path)
}

/// Creates `path` empty with mode 0600 unless it exists; an existing file is left untouched.
/// Returns whether it was created.
pub fn touch_private(path: &Path) -> io::Result<bool> {
    match private_file_options().write(true).create_new(true).open(path) {
        Ok(_) => Ok(true),
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => Ok(false),
        Err(e) => Err(e),
    }
}

/// Writes `bytes` to a new or truncated file of mode 0600 and flushes it to disk.
pub fn write_private(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let mut f = create_private_file(path)?;
    f.write_all(bytes)?;
    f.sync_all()
}

/// Narrows a file or folder an older Till made with a wider mode: 0600 for a file, 0700 for a
/// folder; group and other lose every right. Missing paths are fine. Returns whether the mode
/// changed.
pub fn narrow(path: &Path) -> io::Result<bool> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let meta = match std::fs::symlink_metadata(path) {
            Ok(m) => m,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(false),
            Err(e) => return Err(e),
        };
        // A link is not followed: what it points to is not the till's.
        if meta.file_type().is_symlink() {
            return Ok(false);
        }
        let mode = meta.permissions().mode() & 0o777;
        let wanted = if meta.is_dir() { DIR_MODE } else { FILE_MODE };
        if mode & 0o077 == 0 {
            return Ok(false);
        }
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(wanted))?;
        Ok(true)
    }
    #[cfg(not(unix))]
    {
        let _ = path;
        Ok(false)
    }
}

#[cfg(test)]
#[cfg(unix)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    fn mode(p: &Path) -> u32 {
        std::fs::metadata(p).unwrap().permissions().mode() & 0o777
    }

    #[test]
    fn files_and_folders_are_made_private() {
        let dir = tempfile::tempdir().unwrap();
        let nested = dir.path().join("a/b");
        create_private_dir_all(&nested).unwrap();
        assert_eq!((mode(&dir.path().join("a")), mode(&nested)), (0o700, 0o700));
        write_private(&nested.join("f"), b"x").unwrap();
        assert_eq!(mode(&nested.join("f")), 0o600);
        assert!(touch_private(&nested.join("g")).unwrap());
        assert!(!touch_private(&nested.join("g")).unwrap());
        assert_eq!(mode(&nested.join("g")), 0o600);
    }

    #[test]
    fn wide_modes_of_an_older_till_are_narrowed() {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("old.db");
        std::fs::write(&f, b"x").unwrap();
        std::fs::set_permissions(&f, std::fs::Permissions::from_mode(0o644)).unwrap();
        let d = dir.path().join("exports");
        std::fs::create_dir(&d).unwrap();
        std::fs::set_permissions(&d, std::fs::Permissions::from_mode(0o755)).unwrap();
        assert!(narrow(&f).unwrap() && narrow(&d).unwrap());
        assert_eq!((mode(&f), mode(&d)), (0o600, 0o700));
        assert!(!narrow(&f).unwrap());
        assert!(!narrow(&dir.path().join("missing")).unwrap());
    }
}
