//! A CUPS queue in raw mode: `cups://QUEUE`, each job handed to `lp -d QUEUE -o raw` on its
//! standard input. CUPS carries nothing back from the printer, so this link has no status.

use super::PrinterLink;
use crate::printer::PrinterStatus;
use crate::DeviceError;
use std::io::{ErrorKind, Read, Write};
use std::process::{Command, Stdio};
use std::thread;
use std::time::{Duration, Instant};

/// How long `lp` may take to queue a job (it only hands it to the scheduler).
pub const LP_TIMEOUT: Duration = Duration::from_secs(30);

/// A CUPS queue name as this link accepts it: letters, digits, `_ - . @`, not starting with `-`
/// (so it can never read as an option of `lp`), at most 127 characters as CUPS allows.
pub fn valid_queue(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 127
        && !name.starts_with('-')
        && name.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.' | '@'))
}

/// A raw CUPS queue.
pub struct CupsLink {
    queue: String,
}

impl CupsLink {
    /// A link to `queue`; nothing runs until the first send.
    pub fn new(queue: &str) -> Result<Self, DeviceError> {
        if !valid_queue(queue) {
            return Err(DeviceError::InvalidAddress(format!("cups://{queue}")));
        }
        Ok(CupsLink { queue: queue.to_string() })
    }
}

impl PrinterLink for CupsLink {
    fn send(&mut self, bytes: &[u8]) -> Result<(), DeviceError> {
        let mut child = Command::new("lp")
            .args(["-d", &self.queue, "-o", "raw"])
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| match e.kind() {
                ErrorKind::NotFound => {
                    DeviceError::CupsFailed("the `lp` command is not installed (install the CUPS client)".into())
                }
                _ => DeviceError::CupsFailed(format!("cannot run `lp`: {e}")),
            })?;
        let written = match child.stdin.take() {
            // Dropping stdin after writing closes it: the end of the job for `lp`.
            Some(mut stdin) => stdin.write_all(bytes),
            None => Ok(()),
        };
        let deadline = Instant::now() + LP_TIMEOUT;
        let status = loop {
            match child.try_wait() {
                Ok(Some(status)) => break status,
                Ok(None) if Instant::now() < deadline => thread::sleep(Duration::from_millis(10)),
                Ok(None) => {
                    // Best effort: it is stuck either way, and the job counts as not printed.
                    let _ = child.kill();
                    let _ = child.wait();
                    return Err(DeviceError::CupsFailed(format!(
                        "`lp -d {}` did not finish within {} s (is the CUPS scheduler running?)",
                        self.queue,
                        LP_TIMEOUT.as_secs()
                    )));
                }
                Err(e) => return Err(DeviceError::CupsFailed(format!("waiting for `lp`: {e}"))),
            }
        };
        let mut stderr = String::new();
        if let Some(mut err) = child.stderr.take() {
            // Only to quote it in the error; a failure to read it changes nothing.
            let _ = err.read_to_string(&mut stderr);
        }
        if !status.success() {
            return Err(DeviceError::CupsFailed(format!(
                "`lp -d {} -o raw` failed ({status}): {}",
                self.queue,
                stderr.trim()
            )));
        }
        written.map_err(|e| DeviceError::CupsFailed(format!("`lp` did not take the whole job: {e}")))
    }

    fn status(&mut self) -> Result<Option<PrinterStatus>, DeviceError> {
        Ok(None)
    }
}
