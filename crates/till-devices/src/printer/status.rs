//! What a printer says about itself: the real-time status answers of `DLE EOT n`.
//!
//! Each answer is one byte whose bits 1 and 4 are always 1 and bits 0 and 7 always 0 (so "all
//! fine" is 0x12); a byte that breaks that pattern is not a status answer and is refused.

use crate::DeviceError;
use serde::{Deserialize, Serialize};

/// `DLE EOT 1`: printer status (drawer, offline).
pub const QUERY_PRINTER: [u8; 3] = [0x10, 0x04, 0x01];
/// `DLE EOT 2`: offline cause (cover, paper end).
pub const QUERY_OFFLINE: [u8; 3] = [0x10, 0x04, 0x02];
/// `DLE EOT 4`: paper sensors.
pub const QUERY_PAPER: [u8; 3] = [0x10, 0x04, 0x04];

/// A printer's state, from its three status answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct PrinterStatus {
    /// The printer is offline (cover open, paper end, error, or fed by its button).
    pub offline: bool,
    /// The cover is open.
    pub cover_open: bool,
    /// Printing stopped because the paper ran out.
    pub paper_end: bool,
    /// The roll is nearly finished: print on, but change it soon.
    pub paper_near_end: bool,
    /// An error stopped the printer (cutter jam, overheating, ...).
    pub error: bool,
    /// The drawer-kick connector's pin 3 is high: on most wiring, the drawer is open.
    pub drawer_open: bool,
}

impl PrinterStatus {
    /// Reads the answers to `DLE EOT 1`, `2` and `4`.
    pub fn from_answers(printer: u8, offline: u8, paper: u8) -> Result<Self, DeviceError> {
        for (which, byte) in [("DLE EOT 1", printer), ("DLE EOT 2", offline), ("DLE EOT 4", paper)] {
            if byte & 0b1001_0011 != 0b0001_0010 {
                return Err(DeviceError::Io(format!(
                    "the printer's answer to {which} is not a status byte ({byte:#04x})"
                )));
            }
        }
        Ok(PrinterStatus {
            offline: printer & 0x08 != 0,
            drawer_open: printer & 0x04 != 0,
            cover_open: offline & 0x04 != 0,
            paper_end: offline & 0x20 != 0 || paper & 0x60 != 0,
            error: offline & 0x40 != 0,
            paper_near_end: paper & 0x0C != 0,
        })
    }

    /// The answers a printer in this state gives to `DLE EOT 1`, `2` and `4` (the simulator's
    /// side of [`PrinterStatus::from_answers`]).
    pub fn answers(&self) -> [u8; 3] {
        let bit = |on: bool, mask: u8| if on { mask } else { 0 };
        let offline = self.offline || self.cover_open || self.paper_end || self.error;
        [
            0x12 | bit(offline, 0x08) | bit(self.drawer_open, 0x04),
            0x12 | bit(self.cover_open, 0x04) | bit(self.paper_end, 0x20) | bit(self.error, 0x40),
            0x12 | bit(self.paper_near_end, 0x0C) | bit(self.paper_end, 0x60),
        ]
    }

    /// What stops printing now, if anything, the most specific cause first.
    pub fn fault(&self) -> Option<PrinterFault> {
        if self.cover_open {
            Some(PrinterFault::CoverOpen)
        } else if self.paper_end {
            Some(PrinterFault::PaperEnd)
        } else if self.error {
            Some(PrinterFault::Error)
        } else if self.offline {
            Some(PrinterFault::Offline)
        } else {
            None
        }
    }
}

/// Why a printer cannot print.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, thiserror::Error)]
#[serde(rename_all = "kebab-case")]
pub enum PrinterFault {
    /// Out of paper.
    #[error("the printer is out of paper")]
    PaperEnd,
    /// Its cover is open.
    #[error("the printer's cover is open")]
    CoverOpen,
    /// It reports itself offline.
    #[error("the printer is offline")]
    Offline,
    /// It reports an error (cutter, head temperature).
    #[error("the printer reports an error (cutter or print head)")]
    Error,
    /// It did not answer at all, or could not be reached.
    #[error("the printer does not answer")]
    NoAnswer,
}

impl PrinterFault {
    /// Every fault.
    pub const ALL: [PrinterFault; 5] = [
        PrinterFault::PaperEnd,
        PrinterFault::CoverOpen,
        PrinterFault::Offline,
        PrinterFault::Error,
        PrinterFault::NoAnswer,
    ];

    /// Its stored name, as in JSON: `paper-end`, `cover-open`, `offline`, `error`, `no-answer`.
    pub fn as_str(self) -> &'static str {
        match self {
            PrinterFault::PaperEnd => "paper-end",
            PrinterFault::CoverOpen => "cover-open",
            PrinterFault::Offline => "offline",
            PrinterFault::Error => "error",
            PrinterFault::NoAnswer => "no-answer",
        }
    }

    /// The fault of a stored name.
    pub fn parse(name: &str) -> Option<Self> {
        PrinterFault::ALL.into_iter().find(|f| f.as_str() == name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn all_fine_is_0x12_three_times() {
        let s = PrinterStatus::from_answers(0x12, 0x12, 0x12).unwrap();
        assert_eq!(s, PrinterStatus::default());
        assert_eq!(s.fault(), None);
        assert_eq!(s.answers(), [0x12, 0x12, 0x12]);
    }

    #[test]
    fn reads_the_documented_bits() {
        // Epson: DLE EOT 2 bit 5 = stopped for paper end, DLE EOT 4 bits 5-6 = paper end.
        let s = PrinterStatus::from_answers(0x1A, 0x32, 0x72).unwrap();
        assert!(s.offline && s.paper_end && !s.cover_open);
        assert_eq!(s.fault(), Some(PrinterFault::PaperEnd));
        let s = PrinterStatus::from_answers(0x1E, 0x16, 0x1E).unwrap();
        assert!(s.cover_open && s.drawer_open && s.paper_near_end);
        assert_eq!(s.fault(), Some(PrinterFault::CoverOpen));
    }

    #[test]
    fn every_state_round_trips_through_its_answers() {
        for bits in 0u8..64 {
            let s = PrinterStatus {
                offline: bits & 1 != 0,
                cover_open: bits & 2 != 0,
                paper_end: bits & 4 != 0,
                paper_near_end: bits & 8 != 0,
                error: bits & 16 != 0,
                drawer_open: bits & 32 != 0,
            };
            let [a, b, c] = s.answers();
            let back = PrinterStatus::from_answers(a, b, c).unwrap();
            assert_eq!(back.fault(), s.fault(), "{s:?}");
            assert_eq!((back.drawer_open, back.paper_near_end), (s.drawer_open, s.paper_near_end));
        }
    }

    #[test]
    fn fault_names_round_trip_and_match_json() {
        for f in PrinterFault::ALL {
            assert_eq!(PrinterFault::parse(f.as_str()), Some(f));
            assert_eq!(serde_json::to_string(&f).unwrap(), format!("\"{}\"", f.as_str()));
        }
        assert_eq!(PrinterFault::parse("interrupted"), None);
    }

    #[test]
    fn a_byte_that_is_no_status_is_refused() {
        for bad in [0x00, 0xFF, 0x13, 0x92, 0x02] {
            assert!(PrinterStatus::from_answers(bad, 0x12, 0x12).is_err(), "{bad:#x}");
        }
    }
}
