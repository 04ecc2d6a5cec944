//! A simulated ESC/POS receipt printer with a cash drawer, for tests, demos and `tillctl sim
//! printer`.
//!
//! - [`decoder`]: bytes (split anywhere) to commands; [`page`]: commands to a [`Printed`] job
//!   and its text form (`[QR data]`, `[CUT]`, `[DRAWER pin=0 on=50ms off=500ms]`).
//! - [`printer`]: the device: status answers (`DLE EOT`, `GS r`), faults that stop printing
//!   and lose the bytes sent meanwhile, the drawer a kick opens, slow mode, finished jobs kept
//!   in memory and written as `job-NNNN.txt` / `job-NNNN.png`.
//! - [`serve`]: on a TCP port or a pseudo-terminal.
//! - `render` (feature `sim-render`): a job as a PNG at the paper's dots.
//! - [`shared`] / [`link`]: the in-process printer behind `sim://printer`, reached by name.

pub mod decoder;
pub mod page;
pub mod printer;
#[cfg(feature = "sim-render")]
pub mod render;
pub mod serve;

pub use decoder::{Decoder, Event, Kick};
pub use page::{decode_jobs, Element, Printed};
pub use printer::{Job, SimHandle, UnknownControl};

use crate::printer::status::{QUERY_OFFLINE, QUERY_PAPER, QUERY_PRINTER};
use crate::printer::{PaperWidth, PrinterLink, PrinterStatus};
use crate::{DeviceAddress, DeviceError};
use std::collections::HashMap;
use std::sync::{Mutex, OnceLock};

fn registry() -> &'static Mutex<HashMap<String, SimHandle>> {
    static REGISTRY: OnceLock<Mutex<HashMap<String, SimHandle>>> = OnceLock::new();
    REGISTRY.get_or_init(|| Mutex::new(HashMap::new()))
}

/// The in-process simulated printer called `name` (`sim://NAME`), made on first use (80 mm,
/// ready, drawer closed): tests and the demo reach the printer the till prints on through it.
pub fn shared(name: &str) -> SimHandle {
    let mut map = registry().lock().unwrap_or_else(|e| e.into_inner());
    map.entry(name.to_string()).or_default().clone()
}

/// Opens `sim://NAME[?width=58|80][&slow_ms=N]`: a link to the in-process printer [`shared`]
/// returns for NAME. Each `send` is like one network connection: a job with content that did
/// not end with a cut ends with it.
pub fn link(address: &DeviceAddress) -> Result<Box<dyn PrinterLink>, DeviceError> {
    let bad = || DeviceError::InvalidAddress(format!("sim://{}", address.path));
    let width = match address.param("width") {
        None => None,
        Some(w) => Some(w.parse().ok().and_then(PaperWidth::from_millimetres).ok_or_else(bad)?),
    };
    let slow = match address.param("slow_ms") {
        None => None,
        Some(ms) => Some(ms.parse::<u64>().map_err(|_| bad())?),
    };
    let printer = shared(&address.path);
    if let Some(width) = width {
        printer.set_width(width);
    }
    if let Some(ms) = slow {
        printer.set_slow(ms);
    }
    Ok(Box::new(SimLink { printer }))
}

/// A [`PrinterLink`] to an in-process simulated printer.
#[derive(Debug, Clone)]
pub struct SimLink {
    printer: SimHandle,
}

impl SimLink {
    /// A link to `printer`.
    pub fn new(printer: SimHandle) -> Self {
        SimLink { printer }
    }
}

impl PrinterLink for SimLink {
    fn send(&mut self, bytes: &[u8]) -> Result<(), DeviceError> {
        // Status answers to queries inside a job have no reader here; a real link would drop
        // them the same way.
        let _ = self.printer.take(bytes);
        self.printer.connection_closed();
        Ok(())
    }

    fn status(&mut self) -> Result<Option<PrinterStatus>, DeviceError> {
        // Through the same bytes a real printer answers, so the decoder's status path is the
        // one tested.
        let mut answers = Vec::new();
        for query in [QUERY_PRINTER, QUERY_OFFLINE, QUERY_PAPER] {
            answers.extend(self.printer.take(&query));
        }
        match answers[..] {
            [a, b, c] => PrinterStatus::from_answers(a, b, c).map(Some),
            _ => Err(DeviceError::Io("the simulated printer did not answer DLE EOT".into())),
        }
    }
}
