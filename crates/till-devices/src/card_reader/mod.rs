//! Card readers: the trait every driver implements, the card read they all produce, one parser
//! module per reader output format, the drivers that run those parsers on a transport, and the
//! simulators that stand in for the readers.
//!
//! [`open`] picks the driver from the address: `sim://card-reader` (the in-process simulator),
//! `hid://VVVV:PPPP[?serial=S][&driver=D]` (a USB HID reader; the driver is guessed from the USB
//! ids when not given) and `serial://PATH[?baud=9600][&driver=idtech-enhanced]` (a reader in
//! USB-CDC mode). Drivers are named by their [`ReaderProtocol`].

pub mod framer;
pub mod hid_reader;
pub mod idtech_enhanced;
pub mod iso7813;
pub mod magnesafe;
pub mod magtek_hid;
pub mod protocol;
pub mod serial_reader;
pub mod sim_control;
pub mod sim_hid;
pub mod sim_reports;
pub mod sim_serial;
pub mod simulated;
pub mod test_cards;

pub use hid_reader::HidCardReader;
pub use protocol::ReaderProtocol;
pub use serial_reader::SerialCardReader;
pub use sim_control::{Fault, SimCommand, SimControl};
pub use sim_hid::SimulatedHidReader;

use crate::transport::{HidDeviceLink, SerialLink, SerialSettings};
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

/// Opens the reader at `address`, with the driver its `driver=` parameter names or, failing
/// that, the one its USB ids suggest.
pub fn open(address: &str) -> Result<Box<dyn CardReader>, DeviceError> {
    open_with_driver(address, None)
}

/// Baud rate of ID TECH readers in USB-CDC mode unless the address says otherwise.
pub const DEFAULT_BAUD: u32 = 9600;

/// The driver for a HID reader the USB ids identify (see the USB ids in the device formats
/// reference): MagTek's swipe readers and ID TECH's ValueMag.
pub fn driver_for_usb_ids(vendor_id: u16, product_id: u16) -> Option<ReaderProtocol> {
    match (vendor_id, product_id) {
        (0x0801, 0x0002 | 0x0011) => Some(ReaderProtocol::MagtekHid),
        (0x0ACD, 0x2030 | 0x0630) => Some(ReaderProtocol::IdtechEnhanced),
        _ => None,
    }
}

/// Parses `VVVV:PPPP` (hex USB vendor and product ids).
pub fn parse_usb_ids(text: &str) -> Option<(u16, u16)> {
    let (v, p) = text.split_once(':')?;
    let hex = |s: &str| if s.len() == 4 { u16::from_str_radix(s, 16).ok() } else { None };
    Some((hex(v)?, hex(p)?))
}

/// Opens the reader at `address` with `driver` (a [`ReaderProtocol`] name), which overrides the
/// address's `driver=` parameter. Simulators ignore the driver.
pub fn open_with_driver(address: &str, driver: Option<&str>) -> Result<Box<dyn CardReader>, DeviceError> {
    let a = DeviceAddress::parse(address)?;
    let driver = driver.or(a.param("driver")).map(ReaderProtocol::parse).transpose()?;
    match (a.scheme.as_str(), a.path.as_str()) {
        ("sim", "card-reader") => Ok(Box::new(simulated::SimulatedCardReader::from_address(&a)?)),
        ("serial", path) => {
            if let Some(p) = driver.filter(|p| *p != ReaderProtocol::IdtechEnhanced) {
                return Err(DeviceError::Unsupported(format!(
                    "{address}: {} readers are HID devices, not serial",
                    p.name()
                )));
            }
            let link = SerialLink::open_with(path, SerialSettings::from_address(&a, DEFAULT_BAUD)?)?;
            Ok(Box::new(SerialCardReader::new(Box::new(link), address.to_string())))
        }
        ("hid", ids) => {
            let (vid, pid) = parse_usb_ids(ids).ok_or_else(|| DeviceError::InvalidAddress(address.to_string()))?;
            let protocol = driver.or_else(|| driver_for_usb_ids(vid, pid)).ok_or_else(|| {
                DeviceError::Unsupported(format!(
                    "{address}: unknown reader; add driver=magtek-hid, magtek-magnesafe or idtech-enhanced"
                ))
            })?;
            let link = HidDeviceLink::open(vid, pid, a.param("serial"))?;
            Ok(Box::new(HidCardReader::new(Box::new(link), protocol, address.to_string())))
        }
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
