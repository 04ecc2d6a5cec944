//! Card readers: the trait every driver implements and the card read they all produce.

pub mod simulated;
pub mod track;

use crate::{DeviceAddress, DeviceError};
use std::fmt;
use std::time::Duration;
use till_core::{CardBrand, MaskedPan, Money};

/// The full card number, held only while a payment needs it. It has no `Display`, its `Debug`
/// prints the masked form, and it is not serialisable, so it cannot reach a log or a file by
/// accident.
pub struct SecretPan(String);

impl SecretPan {
    /// Wraps a clear PAN.
    pub fn new(pan: String) -> Self {
        SecretPan(pan)
    }

    /// The clear digits, for hashing or encrypting at once.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for SecretPan {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match MaskedPan::from_pan(&self.0) {
            Ok(m) => write!(f, "SecretPan({m})"),
            Err(_) => f.write_str("SecretPan(<invalid>)"),
        }
    }
}

impl Drop for SecretPan {
    fn drop(&mut self) {
        // Overwrite the digits before the allocation is freed, so they do not linger in memory.
        let zeros = "0".repeat(self.0.len());
        self.0.replace_range(.., &zeros);
    }
}

/// What a card reader read from one swipe.
#[derive(Debug)]
pub struct CardRead {
    /// The number, first six and last four digits.
    pub masked_pan: MaskedPan,
    /// Scheme from the BIN.
    pub brand: CardBrand,
    /// Expiry as `YYMM`.
    pub expiry: String,
    /// Name on the card, if track 1 was read.
    pub cardholder: Option<String>,
    /// Whether the service code asks for a PIN.
    pub pin_required: bool,
    /// The clear number, for the payment request only.
    pub pan: SecretPan,
}

/// A card reader on the counter.
pub trait CardReader: Send {
    /// Its address, e.g. `sim://card-reader`.
    fn address(&self) -> String;

    /// Sends the payment indication (the amount) to the reader, then waits up to `timeout`
    /// for a swipe.
    fn read_card(&mut self, amount: Money, timeout: Duration) -> Result<CardRead, DeviceError>;
}

/// Opens the reader at `address`.
pub fn open(address: &str) -> Result<Box<dyn CardReader>, DeviceError> {
    let a = DeviceAddress::parse(address)?;
    match (a.scheme.as_str(), a.path.as_str()) {
        ("sim", "card-reader") => Ok(Box::new(simulated::SimulatedCardReader::from_address(&a)?)),
        _ => Err(DeviceError::Unsupported(address.to_string())),
    }
}
