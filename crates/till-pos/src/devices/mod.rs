//! The installer's device setup: discovering the devices on the machine, assigning a role,
//! driver and serial settings to an address, testing a device, pairing the points terminal, and
//! keeping the card reader the till uses in step with the configuration and with the devices
//! actually plugged in.
//!
//! One device per role. A configured card reader replaces the default reader (`PosConfig::card_reader`,
//! from `TILL_CARD_READER`) at start-up and as soon as it changes; with nothing configured the
//! default stays in use. The points terminal's pairing key is generated from the till's RNG,
//! sent once to the terminal, and stored only sealed (AES-256-GCM under the till's local key,
//! purpose [`PAIRING_KEY_PURPOSE`]); it is never logged, shown or returned.

pub mod points_link;
pub mod reader;
pub mod setup;
pub mod status;

use crate::admin::permissions::Command;
use crate::devices::points_link::TerminalOpener;
use crate::devices::status::{Action, RoleStatus};
use crate::error::{PosError, Result};
use crate::ipc::devices::{DeviceRole, DeviceTestResult, Parity};
use crate::ipc::devices::{DeviceStatus, DevicesOverview};
use crate::ipc::watch::{Watch, Watchers};
use crate::mutex::{lock, Wake};
use crate::Pos;
use reader::{line_address, slot_for, ReaderSlot};
use std::collections::HashMap;
use std::sync::{Arc, Mutex, Weak};
use std::time::Duration;
use till_core::SessionToken;
use till_devices::points::{LoyaltyTerminal, Pairing, PairingKey, TerminalId};
use till_devices::transport::discovery::{self, DiscoveredDevice, Enumerator};
use till_devices::CardReader;
use till_devices::{Cancel, DeviceError};
use till_store::{DeviceConfig, DeviceRecord};

/// The sealing purpose of pairing keys (the associated data of their AES-GCM seal).
pub const PAIRING_KEY_PURPOSE: &str = "points-pairing-key";
/// The points terminal's protocol.
pub const POINTS_DRIVER: &str = "till-points-v1";
/// till-points-v1's serial speed unless the installer sets another.
pub const POINTS_DEFAULT_BAUD: u32 = 115_200;
/// How long the installer's card reader test waits for a swipe.
pub const TEST_SWIPE_TIMEOUT: Duration = Duration::from_secs(20);
/// The driver name the simulators take.
pub const SIM_DRIVER: &str = "sim";
/// The receipt printer's protocol.
pub const PRINTER_DRIVER: &str = "escpos";
/// A serial receipt printer's speed unless the installer sets another.
pub const PRINTER_DEFAULT_BAUD: u32 = 19_200;
/// The customer display in a second window of the till.
pub const DISPLAY_WINDOW_DRIVER: &str = "window";
/// The second window's address.
pub const DISPLAY_WINDOW_URI: &str = "window://customer";
/// A serial pole display (2×20, the ESC/POS display command set).
pub const DISPLAY_POLE_DRIVER: &str = "escpos-display";
/// A pole display's speed unless the installer sets another.
pub const DISPLAY_DEFAULT_BAUD: u32 = 9_600;

impl Parity {
    fn as_str(self) -> &'static str {
        match self {
            Parity::None => "none",
            Parity::Even => "even",
            Parity::Odd => "odd",
        }
    }

    fn parse(text: &str) -> Option<Self> {
        [Parity::None, Parity::Even, Parity::Odd].into_iter().find(|p| p.as_str() == text)
    }
}

impl DeviceTestResult {
    fn new(role: DeviceRole, uri: &str) -> Self {
        DeviceTestResult {
            role,
            uri: uri.to_string(),
            ok: false,
            message: String::new(),
            code: None,
            masked_pan: None,
            brand: None,
            expiry: None,
            terminal_id: None,
            firmware: None,
            paired: None,
        }
    }

    fn failed(mut self, e: PosError) -> Self {
        self.code = Some(e.code());
        self.message = e.to_string();
        self
    }
}

/// The till's device state: discovery, status lights, the points terminal connection and the
/// waits a user may cancel.
pub(crate) struct Devices {
    enumerator: Mutex<Box<dyn Enumerator>>,
    default_reader: String,
    default_terminal: Option<String>,
    card_timeout: Duration,
    reader_status: Mutex<RoleStatus>,
    terminal_status: Mutex<RoleStatus>,
    opener: Arc<dyn TerminalOpener>,
    terminal: Mutex<Option<(String, Box<dyn LoyaltyTerminal>)>>,
    waits: Mutex<HashMap<i64, Cancel>>,
    /// The card reader in use (a slot: the configured reader, or why there is none).
    pub(crate) card_reader: Arc<Mutex<Box<dyn CardReader>>>,
    /// The windows' listeners for the status lights, and what they were last told.
    status_watchers: Watchers<DeviceStatus>,
    last_status: Mutex<Option<DeviceStatus>>,
    /// The installer's listeners for the whole device table.
    pub(crate) overview_watchers: Watchers<DevicesOverview>,
    /// Wakes the print worker: a job was queued by hand or the printer's setup changed.
    pub(crate) printer_wake: Arc<Wake>,
}

/// How the devices part of the till is set up (from `PosConfig`).
pub(crate) struct DevicesConfig {
    pub enumerator: Box<dyn Enumerator>,
    pub default_reader: String,
    pub default_terminal: Option<String>,
    pub card_timeout: Duration,
    pub opener: Arc<dyn TerminalOpener>,
    pub card_reader: Box<dyn CardReader>,
}

impl Devices {
    pub(crate) fn new(c: DevicesConfig) -> Self {
        Devices {
            enumerator: Mutex::new(c.enumerator),
            default_reader: c.default_reader,
            default_terminal: c.default_terminal,
            card_timeout: c.card_timeout,
            reader_status: Mutex::new(RoleStatus::default()),
            terminal_status: Mutex::new(RoleStatus::default()),
            opener: c.opener,
            terminal: Mutex::new(None),
            waits: Mutex::new(HashMap::new()),
            card_reader: Arc::new(Mutex::new(c.card_reader)),
            status_watchers: Watchers::default(),
            last_status: Mutex::new(None),
            overview_watchers: Watchers::default(),
            printer_wake: Arc::new(Wake::default()),
        }
    }
}

impl Pos {
    /// Tells the status model about a reader just opened, without asking it to open again.
    pub(crate) fn init_reader_status(&self, opened: std::result::Result<(), String>) -> Result<()> {
        let (found, _) = self.enumerate_devices();
        let reader = self.effective_reader()?;
        let mut st = lock(&self.devices.reader_status);
        st.update(reader.as_ref().map(|c| c.uri.as_str()), &found);
        st.opened(opened);
        drop(st);
        let terminal = self.effective_terminal()?;
        lock(&self.devices.terminal_status).update(terminal.as_ref().map(|(c, _)| c.uri.as_str()), &found);
        self.publish_device_status();
        Ok(())
    }

    /// The card reader in use: the configured one, else the default, else (a shop's till before
    /// the installer picked one) none.
    fn effective_reader(&self) -> Result<Option<DeviceConfig>> {
        Ok(Some(match self.store.device(DeviceRole::CardReader.as_str())?.filter(|d| d.config.enabled) {
            Some(d) => d.config,
            None if self.devices.default_reader.is_empty() => return Ok(None),
            None => DeviceConfig::new(DeviceRole::CardReader.as_str(), "", &self.devices.default_reader),
        }))
    }

    /// The points terminal in use: the configured one, else the default (the simulator in
    /// demo mode), else none.
    fn effective_terminal(&self) -> Result<Option<(DeviceConfig, Option<DeviceRecord>)>> {
        if let Some(d) = self.store.device(DeviceRole::PointsTerminal.as_str())?.filter(|d| d.config.enabled) {
            return Ok(Some((d.config.clone(), Some(d))));
        }
        Ok(self
            .devices
            .default_terminal
            .as_ref()
            .map(|uri| (DeviceConfig::new(DeviceRole::PointsTerminal.as_str(), SIM_DRIVER, uri), None)))
    }

    /// Feeds the devices present to the status model, and reopens a card reader that came back.
    pub fn refresh_device_status(&self, present: &[DiscoveredDevice]) {
        let reader = self.effective_reader().ok().flatten();
        let action = lock(&self.devices.reader_status).update(reader.as_ref().map(|c| c.uri.as_str()), present);
        match (action, reader) {
            (Action::Open, Some(c)) => {
                // A swipe in progress holds the reader; try again at the next update instead of waiting.
                if let Ok(mut slot) = self.devices.card_reader.try_lock() {
                    // Close the old handle first: a serial port opens only once at a time.
                    *slot = Box::new(ReaderSlot::closed(&c));
                    let fresh = slot_for(&c);
                    let result = fresh.open_result();
                    *slot = Box::new(fresh);
                    if result.is_ok() {
                        tracing::info!(uri = %c.uri, "card reader connected");
                    }
                    lock(&self.devices.reader_status).opened(result);
                } else {
                    lock(&self.devices.reader_status)
                        .opened(Err("the card reader is busy; it reconnects after the current swipe".into()));
                }
            }
            (Action::Vanished, Some(c)) => {
                tracing::warn!(uri = %c.uri, "card reader disconnected");
                // Let go of the stale handle now; a swipe in progress fails by itself and the
                // reader is reopened when it is back.
                if let Ok(mut slot) = self.devices.card_reader.try_lock() {
                    *slot = Box::new(ReaderSlot::closed(&c));
                }
            }
            _ => {}
        }
        let terminal = self.effective_terminal().ok().flatten();
        let action =
            lock(&self.devices.terminal_status).update(terminal.as_ref().map(|(c, _)| c.uri.as_str()), present);
        match action {
            Action::Open => lock(&self.devices.terminal_status).opened(Ok(())),
            Action::Vanished => {
                // A stale connection would only fail later; reconnect on next use. A request in
                // progress holds the connection and drops it itself when it fails.
                if let Ok(mut t) = self.devices.terminal.try_lock() {
                    *t = None;
                }
            }
            Action::None => {}
        }
        self.publish_device_status();
    }

    /// Tells the listeners when a light changed (the monitor ticks every 2 s; most ticks
    /// change nothing and tell nobody).
    fn publish_device_status(&self) {
        let now = self.device_status_now();
        {
            let mut last = lock(&self.devices.last_status);
            if last.as_ref() == Some(&now) {
                return;
            }
            *last = Some(now.clone());
        }
        self.devices.status_watchers.send(&now);
        self.publish_overview();
    }

    fn device_status_now(&self) -> DeviceStatus {
        DeviceStatus {
            card_reader: lock(&self.devices.reader_status).light(),
            points_terminal: lock(&self.devices.terminal_status).light(),
        }
    }

    /// The status lights, for anyone logged in: told to `watch` now and on every change until
    /// [`Pos::device_status_unwatch`] with the id returned.
    pub fn device_status_watch(&self, token: &SessionToken, watch: Watch<DeviceStatus>) -> Result<u64> {
        self.authorize(token, Command::DeviceStatusWatch)?;
        watch(&self.device_status_now());
        Ok(self.devices.status_watchers.add(watch))
    }

    /// Stops telling a listener of the status lights. Needs no live session: a window whose
    /// session lapsed must still be able to let go of its listener.
    pub fn device_status_unwatch(&self, id: u64) {
        self.devices.status_watchers.remove(id);
    }

    /// Starts watching for devices being plugged in and pulled out (every `interval`), keeping
    /// the status lights current and reconnecting a configured reader that comes back. The
    /// watch ends when the till is dropped.
    pub fn start_device_monitor(pos: &Arc<Pos>, enumerator: Box<dyn Enumerator>, interval: Duration) -> Result<()> {
        let monitor = discovery::DeviceMonitor::start(enumerator, interval)?;
        let weak: Weak<Pos> = Arc::downgrade(pos);
        std::thread::Builder::new()
            .name("device-status".into())
            .spawn(move || loop {
                // Every tick, not only on changes: a reader that was busy or failed to open is
                // retried.
                let change = monitor.next_change(interval);
                let Some(pos) = weak.upgrade() else { return };
                pos.refresh_device_status(&monitor.devices());
                if change.is_some() {
                    // A port came or went: the installer's table changes even when no light does.
                    pos.publish_overview();
                }
            })
            .map_err(|e| PosError::Internal(format!("cannot start the device status thread: {e}")))?;
        Ok(())
    }

    /// Registers a wait the caller may cancel with [`Pos::device_cancel`].
    pub(crate) fn begin_wait(&self, user_id: i64) -> Cancel {
        let c = Cancel::new();
        lock(&self.devices.waits).insert(user_id, c.clone());
        c
    }

    pub(crate) fn end_wait(&self, user_id: i64) {
        lock(&self.devices.waits).remove(&user_id);
    }

    /// Cancels the caller's wait on a device (a test swipe, a customer's phone).
    pub fn device_cancel(&self, token: &SessionToken) -> Result<()> {
        let s = self.authorize(token, Command::DeviceCancel)?;
        if let Some(c) = lock(&self.devices.waits).get(&s.user_id) {
            c.cancel();
        }
        Ok(())
    }

    /// Opens the terminal of `config` with the pairing stored in `record`, if any.
    fn open_terminal(&self, config: &DeviceConfig, record: Option<&DeviceRecord>) -> Result<Box<dyn LoyaltyTerminal>> {
        let pairing = match record.and_then(|r| r.pairing_key_sealed.as_ref().zip(r.terminal_id.as_ref())) {
            Some((sealed, id)) => Some(self.open_pairing(sealed, id)?),
            None => None,
        };
        self.devices.opener.open(&line_address(config), pairing).map_err(PosError::Points)
    }

    /// The stored pairing: the key opened from its seal, and the terminal's id.
    fn open_pairing(&self, sealed: &[u8], terminal_id: &str) -> Result<Pairing> {
        let opened = self.secrets.open(PAIRING_KEY_PURPOSE, sealed)?;
        let bytes: [u8; 32] = opened
            .as_ref()
            .try_into()
            .map_err(|_| PosError::Internal("the stored pairing key has the wrong length; pair again".into()))?;
        let terminal_id = TerminalId::new(terminal_id).map_err(PosError::Points)?;
        Ok(Pairing { terminal_id, key: PairingKey::from_bytes(bytes) })
    }

    /// Runs `f` on the points terminal, opening it (and saying HELLO) if needed. A connection
    /// that failed is dropped so the next use starts afresh. In demo mode the default simulator
    /// pairs itself on first use, so the Customer button works out of the box.
    pub(crate) fn with_terminal<T>(
        &self,
        f: impl FnOnce(&mut dyn LoyaltyTerminal) -> std::result::Result<T, DeviceError>,
    ) -> Result<T> {
        let (config, mut record) =
            self.effective_terminal()?.ok_or(PosError::DeviceNotConfigured(DeviceRole::PointsTerminal.as_str()))?;
        if self.demo && config.uri.starts_with("sim://") && record.as_ref().is_none_or(|r| r.terminal_id.is_none()) {
            self.pair_terminal(None)?;
            record = self.store.device(DeviceRole::PointsTerminal.as_str())?;
        }
        let mut slot = lock(&self.devices.terminal);
        if slot.as_ref().is_none_or(|(uri, _)| *uri != config.uri) {
            *slot = None;
            let mut t = self.open_terminal(&config, record.as_ref())?;
            t.hello().map_err(PosError::Points)?;
            *slot = Some((config.uri.clone(), t));
        }
        let Some((_, t)) = slot.as_mut() else {
            return Err(PosError::Internal("points terminal connection vanished".into()));
        };
        let out = f(t.as_mut());
        if matches!(&out, Err(e) if !matches!(e, DeviceError::Cancelled | DeviceError::PointsTimeout)) {
            *slot = None;
        }
        out.map_err(|e| match e {
            DeviceError::Cancelled => PosError::Cancelled,
            e => PosError::Points(e),
        })
    }
}

#[cfg(test)]
mod tests;
