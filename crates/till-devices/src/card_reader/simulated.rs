//! A card reader that needs no hardware: `sim://card-reader`. After the payment indication it
//! "swipes" a test card by itself after `delay_ms` (default 800). Options in the address:
//! `card=` (a name from [`test_cards`]: `visa`, the default, `mastercard`, `unionpay`,
//! `expired`, `pin`, `unreadable`), `track2=` (the track to deliver instead, URL-style
//! `%3B`/`%3D`/`%3F` or the raw characters), `fail=bad-read`, `fail=timeout`, `fail=bad-lrc` or
//! `fail=unplug` to rehearse errors.
//!
//! [`SimulatedCardReader::with_control`] builds one that swipes only when told to through its
//! [`SimControl`], for tests and demos that decide when the customer swipes.

use super::sim_control::{Fault, SimCommand, SimControl};
use super::test_cards::{self, TestCard};
use super::{iso7813, CardRead, CardReader};
use crate::{Cancel, DeviceAddress, DeviceError};
use std::sync::mpsc::{Receiver, RecvTimeoutError};
use std::time::{Duration, Instant};
use till_core::Money;

/// The Visa test card the simulator swipes unless told otherwise.
pub const DEFAULT_TRACK2: &str = ";4111111111111111=28121010000000000?";

/// The simulated reader.
pub struct SimulatedCardReader {
    address: String,
    delay: Duration,
    track2: Option<String>,
    card: &'static TestCard,
    fail: Option<String>,
    commands: Option<Receiver<SimCommand>>,
    unplugged: bool,
    /// The amounts it was armed with, newest last (what a real reader would display).
    pub indications: Vec<Money>,
}

impl SimulatedCardReader {
    /// Builds the simulator from its address.
    pub fn from_address(a: &DeviceAddress) -> Result<Self, DeviceError> {
        let invalid = || DeviceError::InvalidAddress(format!("sim://{}", a.path));
        let delay_ms = a.param("delay_ms").map(|v| v.parse::<u64>()).transpose().map_err(|_| invalid())?;
        let track2 = a.param("track2").map(|t| t.replace("%3B", ";").replace("%3D", "=").replace("%3F", "?"));
        let card = match a.param("card") {
            None => &test_cards::CATALOGUE[0],
            Some(name) => test_cards::find(name).ok_or_else(|| {
                DeviceError::InvalidAddress(format!(
                    "sim://{}?card={name}: no such test card; try {}",
                    a.path,
                    test_cards::names().join(", ")
                ))
            })?,
        };
        Ok(SimulatedCardReader {
            address: format!("sim://{}", a.path),
            delay: Duration::from_millis(delay_ms.unwrap_or(800)),
            track2,
            card,
            fail: a.param("fail").map(str::to_string),
            commands: None,
            unplugged: false,
            indications: Vec::new(),
        })
    }

    /// Builds the simulator from its address, to swipe only on demand: `read_card` waits for
    /// the returned handle's swipes and faults instead of swiping by itself.
    pub fn with_control(a: &DeviceAddress) -> Result<(Self, SimControl), DeviceError> {
        let mut reader = SimulatedCardReader::from_address(a)?;
        let (control, commands) = SimControl::channel();
        reader.commands = Some(commands);
        Ok((reader, control))
    }

    fn swipe(&self, card: &TestCard) -> Result<CardRead, DeviceError> {
        if !card.readable {
            return Err(DeviceError::BadRead { track: "track 2", reason: "the reader could not decode it".into() });
        }
        match &self.track2 {
            Some(track2) => iso7813::parse_tracks(None, Some(track2)),
            None => iso7813::parse_tracks(Some(&card.track1()), Some(&card.track2())),
        }
    }

    /// Waits for a command from the handle, as the drivers of real readers wait for reports.
    fn read_on_demand(&mut self, timeout: Duration, cancel: &Cancel) -> Result<CardRead, DeviceError> {
        let deadline = Instant::now() + timeout;
        loop {
            if self.unplugged {
                return Err(DeviceError::Disconnected(self.address.clone()));
            }
            if cancel.is_cancelled() {
                return Err(DeviceError::Cancelled);
            }
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Err(DeviceError::Timeout);
            }
            let command = match &self.commands {
                Some(rx) => rx.recv_timeout(left.min(Duration::from_millis(100))),
                None => Err(RecvTimeoutError::Disconnected),
            };
            match command {
                Ok(SimCommand::Swipe(card)) => return self.swipe(card),
                // A driver skips line noise and hears nothing of a silent swipe.
                Ok(SimCommand::Fault(Fault::Garbage | Fault::Silence)) => {}
                Ok(SimCommand::Fault(Fault::Truncated)) => {
                    return Err(DeviceError::BadReport {
                        field: "frame",
                        reason: "the reader stopped sending in the middle of the swipe".into(),
                    })
                }
                Ok(SimCommand::Fault(Fault::BadLrc)) => return Err(bad_lrc()),
                Ok(SimCommand::Fault(Fault::Unplug)) => self.unplugged = true,
                Err(RecvTimeoutError::Timeout) => {}
                Err(RecvTimeoutError::Disconnected) => std::thread::sleep(left.min(Duration::from_millis(100))),
            }
        }
    }
}

fn bad_lrc() -> DeviceError {
    DeviceError::BadReport { field: "LRC", reason: "it does not match the card data".into() }
}

impl CardReader for SimulatedCardReader {
    fn address(&self) -> String {
        self.address.clone()
    }

    fn read_card(&mut self, amount: Money, timeout: Duration, cancel: &Cancel) -> Result<CardRead, DeviceError> {
        self.indications.push(amount);
        if self.commands.is_some() {
            return self.read_on_demand(timeout, cancel);
        }
        let swipes = self.fail.as_deref() != Some("timeout") && self.delay <= timeout;
        let wait = if swipes { self.delay } else { timeout };
        let start = Instant::now();
        while start.elapsed() < wait {
            if cancel.is_cancelled() {
                return Err(DeviceError::Cancelled);
            }
            // Saturating: time passes between the check above and this line (on a busy machine
            // enough to pass `wait`, which would underflow and panic the reader's thread).
            std::thread::sleep(wait.saturating_sub(start.elapsed()).min(Duration::from_millis(20)));
        }
        if !swipes {
            return Err(DeviceError::Timeout);
        }
        match self.fail.as_deref() {
            Some("bad-read") => Err(DeviceError::BadRead { track: "track 2", reason: "parity error".into() }),
            Some("bad-lrc") => Err(bad_lrc()),
            Some("unplug") => Err(DeviceError::Disconnected(self.address.clone())),
            _ => self.swipe(self.card),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::card_reader::open;
    use till_core::Currency;

    fn amount() -> Money {
        Money::new(4250, Currency::parse("CNY").unwrap())
    }

    #[test]
    fn swipes_the_test_card_after_the_indication() {
        let mut r = open("sim://card-reader?delay_ms=1").unwrap();
        let read = r.read_card(amount(), Duration::from_secs(1), &Cancel::new()).unwrap();
        assert_eq!(read.masked_pan.as_str(), "411111******1111");
        assert_eq!(r.address(), "sim://card-reader");
    }

    #[test]
    fn rehearses_errors() {
        let mut r = open("sim://card-reader?delay_ms=1&fail=bad-read").unwrap();
        assert!(matches!(
            r.read_card(amount(), Duration::from_secs(1), &Cancel::new()),
            Err(DeviceError::BadRead { .. })
        ));
        let mut r = open("sim://card-reader?delay_ms=50").unwrap();
        assert_eq!(r.read_card(amount(), Duration::from_millis(5), &Cancel::new()).err(), Some(DeviceError::Timeout));
        let cancel = Cancel::new();
        cancel.cancel();
        let mut r = open("sim://card-reader?delay_ms=5000").unwrap();
        assert_eq!(r.read_card(amount(), Duration::from_secs(10), &cancel).err(), Some(DeviceError::Cancelled));
        assert!(matches!(open("sim://card-reader?delay_ms=x"), Err(DeviceError::InvalidAddress(_))));
        assert!(matches!(open("sim://card-reader?card=amex"), Err(DeviceError::InvalidAddress(_))));
        let mut r = open("sim://card-reader?delay_ms=1&fail=unplug").unwrap();
        assert!(matches!(
            r.read_card(amount(), Duration::from_secs(1), &Cancel::new()),
            Err(DeviceError::Disconnected(_))
        ));
    }

    #[test]
    fn swipes_the_card_asked_for() {
        let read = |card: &str| {
            open(&format!("sim://card-reader?delay_ms=1&card={card}"))?.read_card(
                amount(),
                Duration::from_secs(1),
                &Cancel::new(),
            )
        };
        let unionpay = read("unionpay").unwrap();
        assert_eq!(
            (unionpay.masked_pan.as_str(), unionpay.brand),
            ("625094******8599", till_core::CardBrand::UnionPay)
        );
        assert!(read("pin").unwrap().pin_required);
        assert_eq!(read("expired").unwrap().expiry, "2001");
        assert!(matches!(read("unreadable"), Err(DeviceError::BadRead { track: "track 2", .. })));
        // track2= still wins over the card.
        let custom = open("sim://card-reader?delay_ms=1&track2=%3B5555555555554444%3D29112010000000000%3F").unwrap();
        let mut custom = custom;
        assert_eq!(
            custom.read_card(amount(), Duration::from_secs(1), &Cancel::new()).unwrap().masked_pan.last4(),
            "4444"
        );
    }

    #[test]
    fn swipes_and_faults_on_demand() {
        let a = DeviceAddress::parse("sim://card-reader").unwrap();
        let (mut r, control) = SimulatedCardReader::with_control(&a).unwrap();
        assert_eq!(r.read_card(amount(), Duration::from_millis(50), &Cancel::new()).err(), Some(DeviceError::Timeout));
        control.fault(Fault::Garbage).unwrap();
        control.swipe("mastercard").unwrap();
        assert_eq!(r.read_card(amount(), Duration::from_secs(1), &Cancel::new()).unwrap().masked_pan.last4(), "4444");
        control.fault(Fault::BadLrc).unwrap();
        assert!(matches!(
            r.read_card(amount(), Duration::from_secs(1), &Cancel::new()),
            Err(DeviceError::BadReport { field: "LRC", .. })
        ));
        control.fault(Fault::Truncated).unwrap();
        assert!(matches!(
            r.read_card(amount(), Duration::from_secs(1), &Cancel::new()),
            Err(DeviceError::BadReport { field: "frame", .. })
        ));
        let cancel = Cancel::new();
        cancel.cancel();
        assert_eq!(r.read_card(amount(), Duration::from_secs(5), &cancel).err(), Some(DeviceError::Cancelled));
        control.fault(Fault::Unplug).unwrap();
        assert!(matches!(
            r.read_card(amount(), Duration::from_secs(1), &Cancel::new()),
            Err(DeviceError::Disconnected(_))
        ));
    }
}
