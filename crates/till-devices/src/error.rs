//! Errors of devices and their drivers.

/// What can go wrong talking to a device.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DeviceError {
    /// The address is not a URI we understand.
    #[error("invalid device address {0:?}")]
    InvalidAddress(String),
    /// No driver for that kind of address yet.
    #[error("no driver for device address {0:?}")]
    Unsupported(String),
    /// Nothing was swiped before the timeout.
    #[error("no card was swiped in time")]
    Timeout,
    /// The swipe could not be read; the customer should swipe again.
    #[error("could not read {track}: {reason}; please swipe again")]
    BadRead {
        /// Which track failed.
        track: &'static str,
        /// Why.
        reason: String,
    },
    /// A reader's report or frame is malformed: too short, a length that does not fit, a bad
    /// LRC or checksum. It never quotes card data.
    #[error("bad {field} in the card reader's report: {reason}; please swipe again")]
    BadReport {
        /// Which field of the report.
        field: &'static str,
        /// Why.
        reason: String,
    },
    /// No device of this role is set up: a shop's till has none until the installer picks one.
    #[error("no {0} is set up; the installer chooses one on the installer screen")]
    NotSetUp(String),
    /// The device is not connected (or was unplugged).
    #[error("device {0} is not connected")]
    Disconnected(String),
    /// The operating system refused to open the port (the user is not in the `dialout` group,
    /// or a udev rule is missing).
    #[error("permission denied on {0}; add the till's user to the dialout (serial) or plugdev (HID) group")]
    PermissionDenied(String),
    /// No device at that path or id.
    #[error("no device at {0}")]
    NotFound(String),
    /// Any other I/O failure, with the operating system's words.
    #[error("device I/O failed: {0}")]
    Io(String),
    /// The wait was cancelled (the cashier pressed Cancel).
    #[error("cancelled")]
    Cancelled,
    /// The points terminal acknowledged none of `tries` sends of a frame.
    #[error("points terminal did not answer after {tries} tries ({detail})")]
    PointsNotResponding {
        /// How many times the frame was sent.
        tries: u8,
        /// What happened to the last try: no acknowledgement, or a NAK.
        detail: String,
    },
    /// The points terminal's frames kept arriving with a CRC that does not match.
    #[error("bad CRC from the points terminal; check the cable and the baud rate")]
    PointsBadCrc,
    /// The points terminal's frames are broken in another way (too long, no ETX, cut short).
    #[error("bad frame from the points terminal: {0}; check the cable and the baud rate")]
    PointsBadFrame(String),
    /// A frame arrived intact but its message does not follow till-points-v1.
    #[error("malformed {field} from the points terminal: {reason}")]
    PointsBadMessage {
        /// Which message or field.
        field: &'static str,
        /// Why.
        reason: String,
    },
    /// An encrypted message did not decrypt with the session key: tampering, or a terminal
    /// that holds another pairing key.
    #[error("the points terminal failed authentication; pair it again if this persists")]
    PointsAuthFailed,
    /// A message carried a sequence number the session does not allow (replayed or out of order).
    #[error("security error: the points terminal sent sequence number {got} where {expected} was due (replayed or out of order)")]
    PointsBadSequence {
        /// The sequence number the message carried.
        got: u16,
        /// The one the till was waiting for.
        expected: u16,
    },
    /// Another terminal than the paired one answers on the port.
    #[error("a different points terminal (id {terminal_id}) is on this port; pair it again")]
    PointsRepairNeeded {
        /// The id the terminal on the port reported.
        terminal_id: String,
    },
    /// The till holds no pairing for the points terminal, or the terminal has forgotten it.
    #[error("the points terminal is not paired; pair it from the installer screen")]
    PointsNotPaired,
    /// The terminal refused PAIR: its pairing button was not held.
    #[error("the points terminal refused pairing; hold its pairing button while pairing")]
    PointsPairingRefused,
    /// The terminal answered with an ERROR message.
    #[error("the points terminal reported error {code:#04x}: {message}")]
    PointsTerminalError {
        /// The till-points-v1 error code.
        code: u8,
        /// The terminal's own words.
        message: String,
    },
    /// The terminal acknowledged a request but sent no answer in time.
    #[error("the points terminal took the request but sent no answer within {0} ms")]
    PointsNoAnswer(u64),
    /// No phone was presented before the timeout.
    #[error("no phone was presented to the points terminal in time")]
    PointsTimeout,
    /// The phone signed a redemption other than the one the till asked the terminal to show
    /// (other points, another order, another kind of token).
    #[error(
        "security error: the customer's phone signed another redemption than the one shown; no points were redeemed"
    )]
    PointsRedemptionMismatch,
    /// The receipt printer reports a state it cannot print in (paper end, cover open, offline,
    /// an error), or does not answer its status query.
    #[error("{0}")]
    PrinterFault(crate::printer::PrinterFault),
    /// The operating system refused to open the USB printer's device file.
    #[error("permission denied on {0}; add the till's user to the lp group (USB printers)")]
    PrinterPermissionDenied(String),
    /// The CUPS command `lp` is missing or refused the job.
    #[error("printing through CUPS failed: {0}")]
    CupsFailed(String),
}
