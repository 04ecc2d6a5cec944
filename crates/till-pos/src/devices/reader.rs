//! The card reader in use: the configured reader with the installer's swipe timeout, or why there is none right now.

use super::SIM_DRIVER;
use crate::error::Result;
use crate::ipc::devices::DeviceRole;
use std::time::Duration;
use till_core::Money;
use till_devices::card_reader::{CardRead, CardReader};
use till_devices::{Cancel, DeviceError};
use till_store::DeviceConfig;

/// A card reader slot: the configured reader, or why there is none right now. It applies the
/// installer's swipe timeout, so the payment code need not know about configuration.
pub(crate) struct ReaderSlot {
    inner: Option<Box<dyn CardReader>>,
    uri: String,
    timeout: Option<Duration>,
    fault: Option<DeviceError>,
}

impl CardReader for ReaderSlot {
    fn address(&self) -> String {
        self.inner.as_ref().map(|r| r.address()).unwrap_or_else(|| self.uri.clone())
    }

    fn read_card(
        &mut self,
        amount: Money,
        timeout: Duration,
        cancel: &Cancel,
    ) -> std::result::Result<CardRead, DeviceError> {
        match self.inner.as_mut() {
            Some(r) => r.read_card(amount, self.timeout.unwrap_or(timeout), cancel),
            None => Err(self.fault.clone().unwrap_or_else(|| DeviceError::Disconnected(self.uri.clone()))),
        }
    }
}

/// The address a driver opens for a configured device: for a serial port, the URI with the
/// configured baud rate and parity added unless the URI already names them.
pub(crate) fn line_address(c: &DeviceConfig) -> String {
    if !c.uri.starts_with("serial://") {
        return c.uri.clone();
    }
    let mut uri = c.uri.clone();
    let settings = [("baud", c.baud.map(|b| b.to_string())), ("parity", c.parity.clone())];
    for (key, value) in settings {
        if let Some(value) = value.filter(|_| !uri.contains(&format!("{key}="))) {
            let sep = if uri.contains('?') { '&' } else { '?' };
            uri = format!("{uri}{sep}{key}={value}");
        }
    }
    uri
}

fn open_configured_reader(c: &DeviceConfig) -> std::result::Result<Box<dyn CardReader>, DeviceError> {
    // Simulators take no driver; the default reader (no driver named) is opened as its address says.
    let driver = (c.driver != SIM_DRIVER && !c.driver.is_empty()).then_some(c.driver.as_str());
    till_devices::card_reader::open_with_driver(&line_address(c), driver)
}

impl ReaderSlot {
    /// A slot for `c` with no reader open: reads answer "not connected".
    pub(crate) fn closed(c: &DeviceConfig) -> Self {
        ReaderSlot {
            inner: None,
            uri: c.uri.clone(),
            timeout: c.swipe_timeout_s.map(|s| Duration::from_secs(u64::from(s))),
            fault: Some(DeviceError::Disconnected(c.uri.clone())),
        }
    }

    /// The empty slot while the configuration changes: the old reader is dropped before the
    /// new one opens, because a serial port opens only once.
    pub(crate) fn reconfiguring() -> Self {
        ReaderSlot {
            inner: None,
            uri: String::new(),
            timeout: None,
            fault: Some(DeviceError::Disconnected("(reconfiguring)".into())),
        }
    }

    /// How opening went: `Err` with the reason when the reader is not open.
    pub(crate) fn open_result(&self) -> std::result::Result<(), String> {
        self.fault.as_ref().map_or(Ok(()), |e| Err(e.to_string()))
    }
}

/// Opens the card reader the till uses: the configured one if any (a configured reader that
/// cannot open now is shown disconnected and retried when it is back), else the default, whose
/// address must be good.
pub(crate) fn initial_reader(store: &till_store::Store, default_uri: &str) -> Result<ReaderSlot> {
    match store.device(DeviceRole::CardReader.as_str())?.filter(|d| d.config.enabled) {
        Some(d) => Ok(slot_for(&d.config)),
        None if default_uri.is_empty() => Ok(ReaderSlot {
            inner: None,
            uri: String::new(),
            timeout: None,
            fault: Some(DeviceError::NotSetUp("card reader".into())),
        }),
        None => Ok(ReaderSlot {
            inner: Some(till_devices::card_reader::open(default_uri)?),
            uri: default_uri.to_string(),
            timeout: None,
            fault: None,
        }),
    }
}

pub(crate) fn slot_for(c: &DeviceConfig) -> ReaderSlot {
    let timeout = c.swipe_timeout_s.map(|s| Duration::from_secs(u64::from(s)));
    match open_configured_reader(c) {
        Ok(r) => ReaderSlot { inner: Some(r), uri: c.uri.clone(), timeout, fault: None },
        Err(e) => {
            tracing::warn!(uri = %c.uri, "configured card reader did not open: {e}");
            ReaderSlot { inner: None, uri: c.uri.clone(), timeout, fault: Some(e) }
        }
    }
}
