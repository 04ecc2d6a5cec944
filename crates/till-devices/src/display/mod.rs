//! Serial pole displays facing the customer: two lines of twenty characters, driven with the
//! ESC/POS customer display command set (Epson DM-D and the many displays that copy it).
//!
//! The bytes this driver sends, from Epson's "ESC/POS Command Reference for Customer Displays":
//! - `ESC @` (`1B 40`): initialise the display, once when it is opened;
//! - `CLR` (`0C`): clear both lines and put the cursor home, once when it is opened and on
//!   [`PoleDisplay::clear`];
//! - `US $ x y` (`1F 24 x y`): move the cursor to column `x` (1..=20) of row `y` (1..=2), before
//!   each line; each line is then written as exactly twenty characters, so a shorter text
//!   overwrites what the line showed before without a clear (no flicker).
//!
//! Pole displays show the ASCII range of their default character table and no Chinese: text is
//! folded to ASCII ([`ascii_fold`]: Latin letters lose their accents, currency signs become
//! letters, anything else becomes `?`). The till sends the English names.

mod text;

pub use text::{ascii_fold, fit, pair};

use crate::transport::{ByteLink, SerialLink, SerialSettings};
use crate::{DeviceAddress, DeviceError};

/// Characters on each line.
pub const COLUMNS: usize = 20;
/// Lines on the display.
pub const ROWS: usize = 2;
/// `ESC @`: initialise.
pub const INITIALISE: [u8; 2] = [0x1B, 0x40];
/// `CLR`: clear the display and put the cursor home.
pub const CLEAR: u8 = 0x0C;
/// The baud rate of a `serial://` address without `?baud=` (the DM-D's factory setting).
pub const DEFAULT_BAUD: u32 = 9600;

/// `US $ x y`: moves the cursor to column `col` (1..=20) of row `row` (1..=2).
pub fn move_to(col: u8, row: u8) -> [u8; 4] {
    [0x1F, 0x24, col, row]
}

/// The bytes that show `line1` on the upper line and `line2` on the lower one, each folded to
/// ASCII and padded or cut to twenty columns.
pub fn frame(line1: &str, line2: &str) -> Vec<u8> {
    let mut out = Vec::with_capacity(2 * (4 + COLUMNS));
    for (row, text) in [(1u8, line1), (2u8, line2)] {
        out.extend_from_slice(&move_to(1, row));
        out.extend_from_slice(fit(&ascii_fold(text), COLUMNS).as_bytes());
    }
    out
}

/// A 2×20 pole display on a byte link (a serial port, or a pseudo-terminal in tests).
pub struct PoleDisplay {
    link: Box<dyn ByteLink>,
    name: String,
}

impl PoleDisplay {
    /// Takes the display on `link`: initialises and clears it.
    pub fn new(mut link: Box<dyn ByteLink>, name: impl Into<String>) -> Result<Self, DeviceError> {
        let mut hello = INITIALISE.to_vec();
        hello.push(CLEAR);
        link.write_all(&hello)?;
        Ok(PoleDisplay { link, name: name.into() })
    }

    /// Opens the display at a `serial://PATH?baud=N&parity=P` address (9600 baud by default).
    pub fn open(address: &str) -> Result<Self, DeviceError> {
        let a = DeviceAddress::parse(address)?;
        if a.scheme != "serial" {
            return Err(DeviceError::Unsupported(address.to_string()));
        }
        let link = SerialLink::open_with(&a.path, SerialSettings::from_address(&a, DEFAULT_BAUD)?)?;
        PoleDisplay::new(Box::new(link), a.path)
    }

    /// Shows two lines (folded to ASCII, padded or cut to twenty columns).
    pub fn show(&mut self, line1: &str, line2: &str) -> Result<(), DeviceError> {
        self.link.write_all(&frame(line1, line2))
    }

    /// Blanks the display.
    pub fn clear(&mut self) -> Result<(), DeviceError> {
        self.link.write_all(&[CLEAR])
    }

    /// The port's name, for messages.
    pub fn name(&self) -> &str {
        &self.name
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_frame_is_two_cursor_moves_and_forty_characters() {
        let f = frame("Green tea", "TOTAL          38.00");
        let mut want = vec![0x1F, 0x24, 1, 1];
        want.extend_from_slice(b"Green tea           ");
        want.extend_from_slice(&[0x1F, 0x24, 1, 2]);
        want.extend_from_slice(b"TOTAL          38.00");
        assert_eq!(f, want);
        assert_eq!(frame("x".repeat(50).as_str(), "").len(), 2 * (4 + COLUMNS));
    }

    #[test]
    fn only_serial_addresses_are_pole_displays() {
        assert!(matches!(PoleDisplay::open("tcp://127.0.0.1:9100"), Err(DeviceError::Unsupported(_))));
        assert!(matches!(PoleDisplay::open("nonsense"), Err(DeviceError::InvalidAddress(_))));
        assert!(matches!(PoleDisplay::open("serial:///dev/tty-none?baud=7"), Err(DeviceError::InvalidAddress(_))));
    }
}
