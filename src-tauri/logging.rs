//! Logs go to stderr and to `till.log` in the data directory, capped in size and rotated
//! ([`crate::log_file`]). Nothing card-related beyond the masked number is ever logged (see
//! `till_pos::sale::card`). The log is created 0600 (and the data directory 0700 when the log
//! makes it): it names users, orders and amounts.

use crate::log_file::{Limits, RotatingFile};
use std::path::Path;
use std::sync::Mutex;
use till_pos::admin::data_dir::LOG_FILE;
use till_store::private_fs;
use tracing_subscriber::fmt::writer::MakeWriterExt;
use tracing_subscriber::EnvFilter;

/// Starts logging; `RUST_LOG` overrides the default `info` level, `TILL_LOG_MAX_BYTES` the size
/// at which the log is rotated.
pub fn init(dir: &Path) {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let _ = private_fs::create_private_dir_all(dir);
    let file = RotatingFile::open(&dir.join(LOG_FILE), Limits::from_env());
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_ansi(false);
    let _ = match file {
        Ok(f) => builder.with_writer(std::io::stderr.and(Mutex::new(f))).try_init(),
        Err(_) => builder.with_writer(std::io::stderr).try_init(),
    };
}
