//! Driving a card reader simulator from another thread: swipe a test card, or misbehave the way
//! real readers and cables do, on demand.

use super::test_cards::{self, TestCard};
use crate::DeviceError;
use std::sync::mpsc;

/// A way a reader or its cable goes wrong.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// Line noise: bytes that are no frame (serial), or a report of the wrong size (HID).
    Garbage,
    /// A swipe whose frame or report stops half way.
    Truncated,
    /// A swipe whose check bytes do not match (ID TECH LRC; MagTek HID readers strip the LRC,
    /// so their nearest equivalent, a track length that overruns its slot, stands in).
    BadLrc,
    /// The card is swiped but nothing reaches the till.
    Silence,
    /// The reader is pulled out of the USB port.
    Unplug,
}

impl Fault {
    /// Every fault with its command-line name.
    pub const ALL: [(&'static str, Fault); 5] = [
        ("garbage", Fault::Garbage),
        ("truncated", Fault::Truncated),
        ("bad-lrc", Fault::BadLrc),
        ("silence", Fault::Silence),
        ("unplug", Fault::Unplug),
    ];

    /// The fault called `name` (`garbage`, `truncated`, `bad-lrc`, `silence`, `unplug`).
    pub fn parse(name: &str) -> Option<Fault> {
        Fault::ALL.iter().find(|(n, _)| *n == name).map(|(_, f)| *f)
    }
}

/// What a simulator is asked to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SimCommand {
    /// Swipe this card.
    Swipe(&'static TestCard),
    /// Misbehave.
    Fault(Fault),
}

/// The handle that drives a simulator; clone it to drive it from several places.
#[derive(Debug, Clone)]
pub struct SimControl {
    tx: mpsc::Sender<SimCommand>,
}

impl SimControl {
    /// A handle and the receiving end the simulator listens on.
    pub fn channel() -> (SimControl, mpsc::Receiver<SimCommand>) {
        let (tx, rx) = mpsc::channel();
        (SimControl { tx }, rx)
    }

    /// Sends a command; fails once the simulator is gone (unplugged or dropped).
    pub fn send(&self, command: SimCommand) -> Result<(), DeviceError> {
        self.tx.send(command).map_err(|_| DeviceError::Disconnected("card reader simulator".into()))
    }

    /// Swipes the test card called `name` (see [`test_cards::CATALOGUE`]).
    pub fn swipe(&self, name: &str) -> Result<(), DeviceError> {
        let card = test_cards::find(name).ok_or_else(|| {
            DeviceError::InvalidAddress(format!("no test card {name:?}; try {}", test_cards::names().join(", ")))
        })?;
        self.send(SimCommand::Swipe(card))
    }

    /// Makes the simulator misbehave.
    pub fn fault(&self, fault: Fault) -> Result<(), DeviceError> {
        self.send(SimCommand::Fault(fault))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_a_gone_simulator_is_reported() {
        for (name, f) in Fault::ALL {
            assert_eq!(Fault::parse(name), Some(f));
        }
        assert_eq!(Fault::parse("fire"), None);
        let (control, rx) = SimControl::channel();
        control.swipe("unionpay").unwrap();
        assert!(matches!(rx.recv().unwrap(), SimCommand::Swipe(c) if c.name == "unionpay"));
        assert!(matches!(control.swipe("amex"), Err(DeviceError::InvalidAddress(_))));
        drop(rx);
        assert!(matches!(control.fault(Fault::Silence), Err(DeviceError::Disconnected(_))));
    }
}
