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
}
