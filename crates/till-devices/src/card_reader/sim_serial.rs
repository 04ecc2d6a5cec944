//! An ID TECH reader in USB-CDC mode, simulated on any [`ByteLink`] (typically the device side
//! of a pseudo-terminal pair, whose other side the till opens like a real serial port). It runs
//! on its own thread and writes enhanced-format frames, or faults, when told to through its
//! [`SimControl`].

use super::protocol::ReaderProtocol;
use super::sim_control::{Fault, SimCommand, SimControl};
use super::sim_reports::{self, KsnCounter};
use super::test_cards::CATALOGUE;
use crate::transport::ByteLink;
use crate::DeviceError;
use rand::RngCore;
use std::thread;

/// Starts the simulator on `link`, drawing its "ciphertext" from `rng`. It stops, dropping the
/// link (which the till sees as an unplug), on [`Fault::Unplug`], when every [`SimControl`] is
/// gone, or when the till's side of the link is gone.
pub fn spawn(link: Box<dyn ByteLink>, rng: Box<dyn RngCore + Send>) -> Result<SimControl, DeviceError> {
    let (control, commands) = SimControl::channel();
    thread::Builder::new()
        .name("idtech-serial-sim".into())
        .spawn(move || {
            let mut link = link;
            let mut rng = rng;
            let mut ksn = KsnCounter::new();
            let protocol = ReaderProtocol::IdtechEnhanced;
            for command in commands {
                let bytes = match command {
                    SimCommand::Swipe(card) => Some(sim_reports::report(protocol, card, rng.as_mut(), ksn.next_ksn())),
                    SimCommand::Fault(Fault::Unplug) => break,
                    SimCommand::Fault(fault) => {
                        sim_reports::faulty(protocol, fault, &CATALOGUE[0], rng.as_mut(), ksn.next_ksn())
                    }
                };
                if let Some(bytes) = bytes {
                    // A full buffer nobody reads (a timeout) is no reason to stop; a vanished
                    // till side is.
                    if let Err(DeviceError::Disconnected(_)) = link.write_all(&bytes) {
                        break;
                    }
                }
            }
        })
        .map_err(|e| DeviceError::Io(format!("cannot start the reader simulator: {e}")))?;
    Ok(control)
}
