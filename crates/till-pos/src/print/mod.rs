//! Printing: receipts, refund receipts, reports, reprints and the test page on the receipt
//! printer, and the cash drawer on its kick port (docs/printing.md).
//!
//! Nothing here holds up a sale. A sale's or refund's receipt is a row of the persisted print
//! queue, written in the sale's own commit (`till_store::print_queue`); the worker
//! ([`worker`]) prints the queue in order on its own thread, asking the printer's status
//! before and after each job, and holds a job a fault stopped so the cashier can retry, reprint
//! or print it on another printer ([`queue`]). A job is marked printed only when the printer
//! reported no fault after it; one the till was sending when it stopped is held as
//! `interrupted`, never printed twice silently. Managers open the drawer with a reason
//! ([`drawer`]); while the printer reports the drawer open, the pushed status says since when.

pub mod drawer;
pub mod layout;
pub mod queue;
pub mod worker;

use crate::ipc::print::PrintStatus;
use crate::ipc::watch::Watchers;
use std::sync::{Arc, Mutex};
use till_devices::printer::{PrinterLink, PrinterStatus};
use till_devices::DeviceError;

/// Opens the link to a printer by its address. The till uses [`DriverOpener`]; tests give a
/// printer of their own.
pub trait PrinterOpener: Send + Sync {
    /// Opens `uri` (`usb:///dev/usb/lp0`, `tcp://HOST:9100`, `sim://printer`, ...).
    fn open(&self, uri: &str) -> Result<Box<dyn PrinterLink>, DeviceError>;
}

/// The printer drivers of till-devices.
pub struct DriverOpener;

impl PrinterOpener for DriverOpener {
    fn open(&self, uri: &str) -> Result<Box<dyn PrinterLink>, DeviceError> {
        till_devices::printer::open(uri)
    }
}

/// What the worker last learnt from the printer.
#[derive(Debug, Default, Clone)]
pub(crate) struct Live {
    /// The fault that stopped the last job or status check.
    pub fault: Option<String>,
    /// The roll is nearly finished.
    pub paper_near_end: bool,
    /// The drawer was kicked: watch its state until the printer reports it closed.
    pub drawer_watch: bool,
    /// Since when the printer reports the drawer open.
    pub drawer_open_since_ms: Option<i64>,
}

impl Live {
    /// Takes in a status answer: its fault (or none) and the paper and drawer bits.
    pub(crate) fn saw(&mut self, status: &PrinterStatus, now_ms: i64) {
        self.fault = status.fault().map(|f| f.as_str().to_string());
        self.paper_near_end = status.paper_near_end;
        if self.drawer_watch {
            if status.drawer_open {
                self.drawer_open_since_ms.get_or_insert(now_ms);
            } else if self.drawer_open_since_ms.is_some() {
                self.drawer_open_since_ms = None;
                self.drawer_watch = false;
            }
        }
    }
}

/// The till's printing state.
pub(crate) struct Printing {
    pub(crate) opener: Arc<dyn PrinterOpener>,
    pub(crate) watchers: Watchers<PrintStatus>,
    pub(crate) last: Mutex<Option<PrintStatus>>,
    pub(crate) live: Mutex<Live>,
    /// One job or status check at a time on the printer's link.
    pub(crate) link: Mutex<()>,
}

impl Printing {
    pub(crate) fn new(opener: Arc<dyn PrinterOpener>) -> Self {
        Printing {
            opener,
            watchers: Watchers::default(),
            last: Mutex::new(None),
            live: Mutex::new(Live::default()),
            link: Mutex::new(()),
        }
    }
}
