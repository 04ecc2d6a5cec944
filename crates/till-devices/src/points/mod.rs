//! The loyalty points terminal and its protocol, till-points-v1 (normative text:
//! `docs/protocols/points-terminal.md`).
//!
//! The till drives a terminal with a [`PointsTerminal`], over a serial port or over an
//! in-process simulator; both come from [`open`]:
//!
//! ```no_run
//! use std::time::Duration;
//! use till_core::{Currency, Money};
//! use till_devices::points::{self, PairingKey};
//! use till_devices::Cancel;
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! // Installer screen, "Pair": the installer holds the terminal's button meanwhile.
//! let mut t = points::open("serial:///dev/ttyUSB0?baud=115200", None)?;
//! let pairing = t.pair(PairingKey::generate(&mut rand::rngs::OsRng))?;
//! // Store pairing.terminal_id and pairing.key (encrypted) in the device settings.
//!
//! // At the counter, "Customer": open with the stored pairing and ask for a phone.
//! let mut t = points::open("serial:///dev/ttyUSB0?baud=115200", Some(pairing))?;
//! let cancel = Cancel::new(); // cancel.cancel() from the UI thread stops the wait
//! let amount = Money::new(1250, Currency::parse("CNY")?);
//! let token = t.read_customer(amount, Duration::from_secs(30), &cancel)?;
//! // Forward token.to_bytes() to the points server, which checks it.
//! t.display(&["Thank you", "+12 points"])?;
//! # Ok(()) }
//! ```
//!
//! Addresses:
//! - `serial:///dev/ttyUSB0?baud=115200`: a real terminal (baud 9600..=115200, default 115200).
//! - `sim://points-terminal?pairing_button=held&auto_present_ms=1500&phone=0`: a simulator in
//!   this process over an in-memory link; all parameters optional, these are the defaults
//!   (see [`SimConfig::from_address`]). [`PointsTerminal::simulator`] returns its handle.
//!
//! Every call returns a [`DeviceError`] whose message says what to do. The ones the app should
//! treat specially: `PointsRepairNeeded` and `PointsNotPaired` (send the installer to Pair),
//! `PointsAuthFailed` and `PointsBadSequence` (security: warn the installer; the driver has
//! already dropped the session and the next call starts a fresh one), `PointsTimeout` and
//! `Cancelled` (no customer: carry on without points), `PointsNotResponding`, `Disconnected`,
//! `PointsBadCrc` and `PointsBadFrame` (cable, port or baud rate).
//!
//! Modules, one per concept: [`crc`], [`frame`] (framing and the byte receiver), [`message`]
//! (typed bodies), [`pairing`], [`session`] (key derivation, sealing), [`token`], [`client`]
//! (the driver), [`simulator`], [`pipe`] (the in-memory link).

pub mod client;
pub mod crc;
pub mod frame;
pub mod message;
pub mod pairing;
pub mod pipe;
pub mod session;
pub mod simulator;
pub mod token;

pub use client::{LoyaltyTerminal, PointsTerminal, TerminalInfo, Timing};
pub use message::TerminalState;
pub use pairing::{Pairing, PairingKey, TerminalId};
pub use simulator::{Fault, Phone, SimConfig, SimulatorHandle};
pub use token::LoyaltyToken;

use crate::transport::SerialLink;
use crate::{DeviceAddress, DeviceError};

/// The baud rate when an address names none.
pub const DEFAULT_BAUD: u32 = 115_200;

/// Opens the points terminal at `address` (see the module docs), with the pairing the till
/// stored for it, if any. Opening sends nothing: the first call starts a session.
pub fn open(address: &str, pairing: Option<Pairing>) -> Result<PointsTerminal, DeviceError> {
    let a = DeviceAddress::parse(address)?;
    match (a.scheme.as_str(), a.path.as_str()) {
        ("serial", path) => {
            let baud = match a.param("baud") {
                None => DEFAULT_BAUD,
                Some(b) => b
                    .parse::<u32>()
                    .ok()
                    .filter(|b| (1200..=921_600).contains(b))
                    .ok_or_else(|| DeviceError::InvalidAddress(address.to_string()))?,
            };
            let link = SerialLink::open(path, baud)?;
            Ok(PointsTerminal::new(Box::new(link), address, pairing, Box::new(rand::rngs::OsRng)))
        }
        ("sim", "points-terminal") => {
            let config = SimConfig::from_address(&a, pairing.as_ref())?;
            let (device_side, pos_side) = pipe::PipeLink::pair(address);
            let handle = simulator::spawn(Box::new(device_side), config);
            Ok(PointsTerminal::new(Box::new(pos_side), address, pairing, Box::new(rand::rngs::OsRng))
                .with_simulator(handle))
        }
        _ => Err(DeviceError::Unsupported(address.to_string())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Cancel;
    use std::time::Duration;
    use till_core::{Currency, Money};

    #[test]
    fn the_in_process_simulator_pairs_and_reads_a_customer() {
        let mut t = open("sim://points-terminal?auto_present_ms=50", None).unwrap();
        assert_eq!(t.status(), Err(DeviceError::PointsNotPaired));
        let pairing = t.pair(PairingKey::from_bytes([9; 32])).unwrap();
        assert_eq!(pairing.terminal_id.as_str(), "TILL-SIM-0001");
        let amount = Money::new(1250, Currency::parse("CNY").unwrap());
        let token = t.read_customer(amount, Duration::from_secs(5), &Cancel::new()).unwrap();
        assert_eq!(&token.account_id, b"DEMO-ACCOUNT-001");
        assert_eq!(t.status().unwrap(), TerminalState::Idle);
    }

    #[test]
    fn a_stored_pairing_for_the_simulator_works_without_pairing_again() {
        let pairing =
            Pairing { terminal_id: TerminalId::new("TILL-SIM-0001").unwrap(), key: PairingKey::from_bytes([3; 32]) };
        let mut t = open("sim://points-terminal?pairing_button=released", Some(pairing)).unwrap();
        assert_eq!(t.status().unwrap(), TerminalState::Idle);
        assert_eq!(t.pair(PairingKey::from_bytes([4; 32])), Err(DeviceError::PointsPairingRefused));
        assert_eq!(t.status().unwrap(), TerminalState::Idle, "a refused pairing keeps the old one");
    }

    #[test]
    fn bad_addresses_are_refused() {
        assert!(matches!(open("sim://card-reader", None), Err(DeviceError::Unsupported(_))));
        assert!(matches!(open("serial:///dev/ttyUSB0?baud=fast", None), Err(DeviceError::InvalidAddress(_))));
        assert!(matches!(open("sim://points-terminal?phone=9", None), Err(DeviceError::InvalidAddress(_))));
        assert!(matches!(open("serial:///dev/no-such-tty", None), Err(DeviceError::NotFound(_))));
    }
}
