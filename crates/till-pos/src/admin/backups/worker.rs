//! The nightly backup's thread: wakes every tick (or when the settings change), asks the till's
//! clock whether a backup is due, and takes it. Like the device monitor it holds the till
//! weakly, so it ends when the till is dropped.

use crate::error::{PosError, Result};
use crate::mutex::lock;
use crate::Pos;
use std::sync::{Arc, Weak};
use std::time::Duration;

/// How often the shell's worker looks at the clock.
pub const TICK: Duration = Duration::from_secs(60);

impl Pos {
    /// Starts the nightly backup thread, looking every `tick`. A failure inside is reported
    /// (status, audit log, log file), never fatal.
    pub fn start_backups(pos: &Arc<Pos>, tick: Duration) -> Result<()> {
        let weak: Weak<Pos> = Arc::downgrade(pos);
        std::thread::Builder::new()
            .name("backups".into())
            .spawn(move || loop {
                let Some(pos) = weak.upgrade() else { return };
                if let Err(e) = pos.backup_if_due() {
                    tracing::warn!("nightly backup not taken: {e}");
                }
                // Waits for the tick or a wake-up, without holding the till meanwhile.
                let wake = pos.backups.wake.clone();
                drop(pos);
                let (flag, cv) = &*wake;
                let mut woken = lock(flag);
                if !*woken {
                    woken = cv.wait_timeout(woken, tick).map(|(g, _)| g).unwrap_or_else(|p| p.into_inner().0);
                }
                *woken = false;
            })
            .map_err(|e| PosError::Internal(format!("cannot start the backup thread: {e}")))?;
        Ok(())
    }
}
