//! Logs go to stderr and to `till.log` in the data directory. Nothing card-related beyond the
//! masked number is ever logged (see `till_pos::sale::card`).

use std::fs::OpenOptions;
use std::path::Path;
use std::sync::Mutex;
use tracing_subscriber::fmt::writer::MakeWriterExt;
use tracing_subscriber::EnvFilter;

/// Starts logging; `RUST_LOG` overrides the default `info` level.
pub fn init(dir: &Path) {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let _ = std::fs::create_dir_all(dir);
    let file = OpenOptions::new().create(true).append(true).open(dir.join("till.log"));
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_ansi(false);
    let _ = match file {
        Ok(f) => builder.with_writer(std::io::stderr.and(Mutex::new(f))).try_init(),
        Err(_) => builder.with_writer(std::io::stderr).try_init(),
    };
}
