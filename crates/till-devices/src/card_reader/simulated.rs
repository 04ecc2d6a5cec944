//! A card reader that needs no hardware: `sim://card-reader`. After the payment indication it
//! "swipes" a test card by itself after `delay_ms` (default 800). Options in the address:
//! `track2=` (the track to deliver, URL-style `%3B`/`%3D`/`%3F` or the raw characters),
//! `fail=bad-read` or `fail=timeout` to rehearse errors.

use super::{iso7813, CardRead, CardReader};
use crate::{Cancel, DeviceAddress, DeviceError};
use std::time::{Duration, Instant};
use till_core::Money;

/// The Visa test card the simulator swipes unless told otherwise.
pub const DEFAULT_TRACK2: &str = ";4111111111111111=28121010000000000?";

/// The simulated reader.
pub struct SimulatedCardReader {
    address: String,
    delay: Duration,
    track2: String,
    fail: Option<String>,
    /// The amounts it was armed with, newest last (what a real reader would display).
    pub indications: Vec<Money>,
}

impl SimulatedCardReader {
    /// Builds the simulator from its address.
    pub fn from_address(a: &DeviceAddress) -> Result<Self, DeviceError> {
        let invalid = || DeviceError::InvalidAddress(format!("sim://{}", a.path));
        let delay_ms = a.param("delay_ms").map(|v| v.parse::<u64>()).transpose().map_err(|_| invalid())?;
        let track2 = a
            .param("track2")
            .map(|t| t.replace("%3B", ";").replace("%3D", "=").replace("%3F", "?"))
            .unwrap_or_else(|| DEFAULT_TRACK2.to_string());
        Ok(SimulatedCardReader {
            address: format!("sim://{}", a.path),
            delay: Duration::from_millis(delay_ms.unwrap_or(800)),
            track2,
            fail: a.param("fail").map(str::to_string),
            indications: Vec::new(),
        })
    }
}

impl CardReader for SimulatedCardReader {
    fn address(&self) -> String {
        self.address.clone()
    }

    fn read_card(&mut self, amount: Money, timeout: Duration, cancel: &Cancel) -> Result<CardRead, DeviceError> {
        self.indications.push(amount);
        let swipes = self.fail.as_deref() != Some("timeout") && self.delay <= timeout;
        let wait = if swipes { self.delay } else { timeout };
        let start = Instant::now();
        while start.elapsed() < wait {
            if cancel.is_cancelled() {
                return Err(DeviceError::Cancelled);
            }
            std::thread::sleep((wait - start.elapsed()).min(Duration::from_millis(20)));
        }
        if !swipes {
            return Err(DeviceError::Timeout);
        }
        if self.fail.as_deref() == Some("bad-read") {
            return Err(DeviceError::BadRead { track: "track 2", reason: "parity error".into() });
        }
        iso7813::parse_tracks(None, Some(&self.track2))
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
        assert!(matches!(open("hid://0801:0002"), Err(DeviceError::Unsupported(_))));
        assert!(matches!(open("sim://card-reader?delay_ms=x"), Err(DeviceError::InvalidAddress(_))));
    }
}
