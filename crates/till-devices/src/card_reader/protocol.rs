//! The reader output formats a driver can speak, by the names device addresses use
//! (`driver=magtek-hid`).

use super::{idtech_enhanced, magnesafe, magtek_hid, CardRead};
use crate::DeviceError;

/// A card reader's output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ReaderProtocol {
    /// MagTek's clear 337-byte HID report ([`magtek_hid`]).
    MagtekHid,
    /// MagTek MagneSafe's encrypting HID report ([`magnesafe`]).
    MagtekMagnesafe,
    /// ID TECH's framed encrypting output, over HID or serial ([`idtech_enhanced`]).
    IdtechEnhanced,
}

impl ReaderProtocol {
    /// Every protocol a transport driver speaks.
    pub const ALL: [ReaderProtocol; 3] =
        [ReaderProtocol::MagtekHid, ReaderProtocol::MagtekMagnesafe, ReaderProtocol::IdtechEnhanced];

    /// The protocol's name in device addresses and on the command line.
    pub fn name(self) -> &'static str {
        match self {
            ReaderProtocol::MagtekHid => "magtek-hid",
            ReaderProtocol::MagtekMagnesafe => "magtek-magnesafe",
            ReaderProtocol::IdtechEnhanced => "idtech-enhanced",
        }
    }

    /// The protocol called `name`.
    pub fn parse(name: &str) -> Result<Self, DeviceError> {
        ReaderProtocol::ALL.into_iter().find(|p| p.name() == name).ok_or_else(|| {
            DeviceError::Unsupported(format!(
                "driver={name} (card reader drivers: magtek-hid, magtek-magnesafe, idtech-enhanced)"
            ))
        })
    }

    /// Parses one whole report or frame in this format.
    pub fn parse_report(self, bytes: &[u8]) -> Result<CardRead, DeviceError> {
        match self {
            ReaderProtocol::MagtekHid => magtek_hid::parse(bytes),
            ReaderProtocol::MagtekMagnesafe => magnesafe::parse(bytes),
            ReaderProtocol::IdtechEnhanced => idtech_enhanced::parse(bytes),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for p in ReaderProtocol::ALL {
            assert_eq!(ReaderProtocol::parse(p.name()), Ok(p));
        }
        assert!(matches!(ReaderProtocol::parse("zvt"), Err(DeviceError::Unsupported(_))));
    }
}
