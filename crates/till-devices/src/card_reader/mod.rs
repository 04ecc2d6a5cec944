//! Card readers: the trait every driver implements, the card read they all produce, and one
//! parser module per reader output format.

pub mod idtech_enhanced;
pub mod iso7813;
pub mod magnesafe;
pub mod magtek_hid;
pub mod simulated;

use crate::{Cancel, DeviceAddress, DeviceError};
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

/// What an encrypting reader sends for the payment platform to decrypt, passed on untouched:
/// the till never holds the key.
#[derive(Clone, PartialEq, Eq)]
pub struct EncryptedBlock {
    /// How the tracks were encrypted, e.g. `TDES-CBC DUKPT (PIN variant)`.
    pub scheme: String,
    /// The DUKPT key serial number (10 bytes for TDES DUKPT).
    pub ksn: Vec<u8>,
    /// The reader's serial number as it sent it, if it sent one.
    pub device_serial: Option<Vec<u8>>,
    /// Ciphertext of tracks 1, 2 and 3; `None` where the reader sent none.
    pub tracks: [Option<Vec<u8>>; 3],
}

impl fmt::Debug for EncryptedBlock {
    // Even encrypted track data is sensitive authentication data (PCI DSS 3.3.1), so debug
    // output shows only the ciphertext lengths.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let lens: Vec<Option<usize>> = self.tracks.iter().map(|t| t.as_ref().map(Vec::len)).collect();
        f.debug_struct("EncryptedBlock")
            .field("scheme", &self.scheme)
            .field("ksn_len", &self.ksn.len())
            .field("has_device_serial", &self.device_serial.is_some())
            .field("track_ciphertext_lens", &lens)
            .finish()
    }
}

/// How the card number itself travels on: encrypted by the reader, or in clear for readers
/// that cannot encrypt.
#[derive(Debug)]
pub enum CardData {
    /// A clear-text reader: the full number, for hashing or encrypting at once.
    Clear(SecretPan),
    /// An encrypting reader: its block, for the payment platform.
    Encrypted(EncryptedBlock),
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
    /// The clear number or the reader's encrypted block.
    pub card_data: CardData,
}

impl CardRead {
    /// The clear number, if the reader does not encrypt.
    pub fn clear_pan(&self) -> Option<&SecretPan> {
        match &self.card_data {
            CardData::Clear(p) => Some(p),
            CardData::Encrypted(_) => None,
        }
    }

    /// The reader's encrypted block, if it encrypts.
    pub fn encrypted(&self) -> Option<&EncryptedBlock> {
        match &self.card_data {
            CardData::Clear(_) => None,
            CardData::Encrypted(b) => Some(b),
        }
    }
}

/// A card reader on the counter.
pub trait CardReader: Send {
    /// Its address, e.g. `sim://card-reader`.
    fn address(&self) -> String;

    /// Sends the payment indication (the amount) to the reader, then waits up to `timeout`
    /// for a swipe, checking `cancel` at least every 100 ms ([`DeviceError::Cancelled`]).
    fn read_card(&mut self, amount: Money, timeout: Duration, cancel: &Cancel) -> Result<CardRead, DeviceError>;
}

/// Opens the reader at `address`.
pub fn open(address: &str) -> Result<Box<dyn CardReader>, DeviceError> {
    let a = DeviceAddress::parse(address)?;
    match (a.scheme.as_str(), a.path.as_str()) {
        ("sim", "card-reader") => Ok(Box::new(simulated::SimulatedCardReader::from_address(&a)?)),
        _ => Err(DeviceError::Unsupported(address.to_string())),
    }
}

/// Reads `len` bytes at `at` of a report, or says which field the report is too short for.
pub(crate) fn field<'a>(report: &'a [u8], at: usize, len: usize, name: &'static str) -> Result<&'a [u8], DeviceError> {
    at.checked_add(len).and_then(|end| report.get(at..end)).ok_or_else(|| DeviceError::BadReport {
        field: name,
        reason: format!("report ends before byte {} (it has {} bytes)", at.saturating_add(len), report.len()),
    })
}
