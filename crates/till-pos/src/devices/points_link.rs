//! How the till opens its points terminal: through [`TerminalOpener`], so the app uses the
//! till-points-v1 driver ([`till_devices::points::open`]) and tests put a scripted terminal
//! behind the same [`LoyaltyTerminal`] trait.

use till_devices::points::{self, LoyaltyTerminal, Pairing};
use till_devices::DeviceError;

/// Opens points terminals.
pub trait TerminalOpener: Send + Sync {
    /// Opens the terminal at `address` (its URI with `baud=` for serial ports), with the pairing
    /// the till holds for it, if any.
    fn open(&self, address: &str, pairing: Option<Pairing>) -> Result<Box<dyn LoyaltyTerminal>, DeviceError>;
}

/// The real driver: serial ports and the in-process simulator.
#[derive(Debug, Default, Clone, Copy)]
pub struct DriverOpener;

impl TerminalOpener for DriverOpener {
    fn open(&self, address: &str, pairing: Option<Pairing>) -> Result<Box<dyn LoyaltyTerminal>, DeviceError> {
        Ok(Box::new(points::open(address, pairing)?))
    }
}
