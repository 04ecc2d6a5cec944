//! `till.log`, capped in size: a till runs for months, and a log that only grows fills the
//! disk of a small counter PC. When a write would take the file past its cap, `till.log` becomes
//! `till.log.1` (`.1` becomes `.2`, ..., the oldest is dropped) and a new `till.log` starts. So
//! the logs never take more than `(keep + 1) × max_bytes` (60 MiB with the defaults).
//!
//! Every file is created 0600 ([`private_fs`]): the log names users, orders and amounts.

use std::fs::File;
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use till_store::private_fs;

/// The size at which `till.log` is rotated, unless `TILL_LOG_MAX_BYTES` says otherwise.
pub const DEFAULT_MAX_BYTES: u64 = 10 * 1024 * 1024;
/// How many rotated logs are kept (`till.log.1` ... `till.log.5`).
pub const DEFAULT_KEEP: usize = 5;
/// The smallest cap `TILL_LOG_MAX_BYTES` may set (smaller values are raised to it).
const MIN_MAX_BYTES: u64 = 4096;

/// How large the log may grow and how many old logs are kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// The size at which the log is rotated.
    pub max_bytes: u64,
    /// Rotated logs kept beside the current one.
    pub keep: usize,
}

impl Limits {
    /// The defaults, with `TILL_LOG_MAX_BYTES` (a whole number of bytes) overriding the cap.
    pub fn from_env() -> Limits {
        let max_bytes = std::env::var("TILL_LOG_MAX_BYTES")
            .ok()
            .and_then(|v| v.trim().parse::<u64>().ok())
            .map(|v| v.max(MIN_MAX_BYTES))
            .unwrap_or(DEFAULT_MAX_BYTES);
        Limits { max_bytes, keep: DEFAULT_KEEP }
    }
}

/// A log file that rotates itself when it reaches its cap.
pub struct RotatingFile {
    path: PathBuf,
    limits: Limits,
    file: File,
    size: u64,
}

impl RotatingFile {
    /// Opens (appending to) or creates the log at `path`.
    pub fn open(path: &Path, limits: Limits) -> io::Result<RotatingFile> {
        let file = open_append(path)?;
        let size = file.metadata()?.len();
        Ok(RotatingFile { path: path.to_path_buf(), limits, file, size })
    }

    /// The path of the `n`th rotated log (`till.log.n`).
    pub fn rotated(path: &Path, n: usize) -> PathBuf {
        let mut name = path.as_os_str().to_owned();
        name.push(format!(".{n}"));
        PathBuf::from(name)
    }

    fn rotate(&mut self) -> io::Result<()> {
        self.file.flush()?;
        if self.limits.keep == 0 {
            std::fs::remove_file(&self.path)?;
        } else {
            // Renames are atomic: a crash in between loses at most the oldest log.
            let _ = std::fs::remove_file(Self::rotated(&self.path, self.limits.keep));
            for n in (1..self.limits.keep).rev() {
                let from = Self::rotated(&self.path, n);
                if from.exists() {
                    std::fs::rename(&from, Self::rotated(&self.path, n + 1))?;
                }
            }
            std::fs::rename(&self.path, Self::rotated(&self.path, 1))?;
        }
        self.file = open_append(&self.path)?;
        self.size = 0;
        Ok(())
    }
}

fn open_append(path: &Path) -> io::Result<File> {
    private_fs::private_file_options().create(true).append(true).open(path)
}

impl Write for RotatingFile {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        // A record is never split across two files; one larger than the cap gets a file alone.
        if self.size > 0 && self.size + buf.len() as u64 > self.limits.max_bytes {
            self.rotate()?;
        }
        let n = self.file.write(buf)?;
        self.size += n as u64;
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.file.flush()
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    fn line(i: usize) -> String {
        format!("{i:06} the log line of a till that has been selling for months\n")
    }

    #[test]
    fn the_log_stays_under_its_cap_and_keeps_the_newest_lines() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("till.log");
        let limits = Limits { max_bytes: 4096, keep: 3 };
        let mut log = RotatingFile::open(&path, limits).unwrap();
        for i in 0..2000 {
            log.write_all(line(i).as_bytes()).unwrap();
        }
        log.flush().unwrap();

        // 2000 lines of 64 bytes are 125 KiB: far more than 4 files of 4 KiB.
        let mut total = 0;
        for p in [
            path.clone(),
            RotatingFile::rotated(&path, 1),
            RotatingFile::rotated(&path, 2),
            RotatingFile::rotated(&path, 3),
        ] {
            let size = std::fs::metadata(&p).unwrap().len();
            assert!(size <= limits.max_bytes, "{} is {size} bytes", p.display());
            total += size;
        }
        assert!(total <= (limits.keep as u64 + 1) * limits.max_bytes);
        assert!(!RotatingFile::rotated(&path, 4).exists(), "only `keep` rotated logs are kept");

        // The newest line is in till.log, the line before the rotation in till.log.1.
        let current = std::fs::read_to_string(&path).unwrap();
        assert!(current.ends_with(&line(1999)));
        let previous = std::fs::read_to_string(RotatingFile::rotated(&path, 1)).unwrap();
        let first_current = current.lines().next().unwrap();
        let n: usize = first_current[..6].parse().unwrap();
        assert!(previous.ends_with(&line(n - 1)), "till.log.1 ends just before till.log starts");
    }

    #[test]
    fn reopening_counts_what_is_already_there() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("till.log");
        std::fs::write(&path, vec![b'x'; 4050]).unwrap();
        let mut log = RotatingFile::open(&path, Limits { max_bytes: 4096, keep: 2 }).unwrap();
        log.write_all(line(1).as_bytes()).unwrap();
        assert_eq!(std::fs::metadata(RotatingFile::rotated(&path, 1)).unwrap().len(), 4050);
        assert_eq!(std::fs::read_to_string(&path).unwrap(), line(1));
    }

    #[cfg(unix)]
    #[test]
    fn every_log_is_the_owners_alone() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("till.log");
        let mut log = RotatingFile::open(&path, Limits { max_bytes: 4096, keep: 2 }).unwrap();
        for i in 0..200 {
            log.write_all(line(i).as_bytes()).unwrap();
        }
        for p in [path.clone(), RotatingFile::rotated(&path, 1)] {
            assert_eq!(std::fs::metadata(&p).unwrap().permissions().mode() & 0o777, 0o600, "{}", p.display());
        }
    }
}
