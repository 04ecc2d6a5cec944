//! The faults the points terminal simulator commits on purpose, once or on every occasion, so
//! tests (and installers, through `tillctl sim points-terminal`) can watch the till survive
//! them.

use super::frame::STX;

/// Line noise the [`Fault::Garbage`] fault sends before a frame. It holds a stray STX whose
/// length runs into the real frame, so the receiver must resynchronise to find it.
pub const GARBAGE: [u8; 9] = [0x00, 0xFF, 0x55, STX, 0x00, 0x04, 0xAA, 0x03, 0x7E];

/// A fault the simulator can commit on purpose.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// Line noise (with a stray STX) before the next frame it sends.
    Garbage,
    /// Sends only the first half of the next frame; the full frame follows the till's NAK.
    Truncate,
    /// The next frame it sends has a wrong CRC.
    BadCrc,
    /// Ignores the next frame it receives: no ACK, no answer.
    Silence,
    /// Answers the next frame it receives with NAK.
    NakAll,
    /// The next answer carries the request's SEQ plus one.
    WrongSeq,
    /// Sends an earlier answer of this session again instead of the next answer.
    Replay,
    /// The next sealed answer has its tag changed (and a correct CRC).
    BadAuth,
    /// Acknowledges the next request, then closes the link.
    Unplug,
    /// The next redemption token is signed for one point more than the terminal showed (a
    /// tampered terminal or phone app).
    WrongRedeem,
}

impl Fault {
    /// Every fault, in the order of its names.
    pub const ALL: [Fault; 10] = [
        Fault::Garbage,
        Fault::Truncate,
        Fault::BadCrc,
        Fault::Silence,
        Fault::NakAll,
        Fault::WrongSeq,
        Fault::Replay,
        Fault::BadAuth,
        Fault::Unplug,
        Fault::WrongRedeem,
    ];

    /// The name used on tillctl's stdin (`fault bad-crc`).
    pub fn name(self) -> &'static str {
        match self {
            Fault::Garbage => "garbage",
            Fault::Truncate => "truncate",
            Fault::BadCrc => "bad-crc",
            Fault::Silence => "silence",
            Fault::NakAll => "nak",
            Fault::WrongSeq => "wrong-seq",
            Fault::Replay => "replay",
            Fault::BadAuth => "bad-auth",
            Fault::Unplug => "unplug",
            Fault::WrongRedeem => "wrong-redeem",
        }
    }

    /// The fault called `name`.
    pub fn parse(name: &str) -> Option<Fault> {
        Fault::ALL.into_iter().find(|f| f.name() == name)
    }

    pub(crate) fn on_receive(self) -> bool {
        matches!(self, Fault::Silence | Fault::NakAll | Fault::Unplug)
    }

    pub(crate) fn on_send(self) -> bool {
        matches!(self, Fault::Garbage | Fault::Truncate | Fault::BadCrc)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fault_names_round_trip() {
        for f in Fault::ALL {
            assert_eq!(Fault::parse(f.name()), Some(f));
        }
        assert_eq!(Fault::parse("nonsense"), None);
    }
}
