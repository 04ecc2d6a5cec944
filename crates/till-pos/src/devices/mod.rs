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
pub mod status;

use crate::admin::auth::{ANYONE, INSTALLERS};
use crate::devices::points_link::TerminalOpener;
use crate::devices::status::{Action, RoleStatus};
use crate::error::{PosError, Result};
use crate::ipc::devices::DeviceStatus;
use crate::ipc::devices::{
    ConfiguredView, DeviceAssignment, DeviceRole, DeviceTestResult, DevicesOverview, DiscoveredView, DriverOption,
    Parity,
};
use crate::mutex::lock;
use crate::Pos;
use serde_json::json;
use std::collections::HashMap;
use std::sync::{Arc, Mutex, Weak};
use std::time::Duration;
use till_core::Money;
use till_devices::card_reader::{CardRead, CardReader, ReaderProtocol};
use till_devices::points::{LoyaltyTerminal, Pairing, PairingKey, TerminalId};
use till_devices::transport::discovery::{self, DiscoveredDevice, Enumerator};
use till_devices::{Cancel, DeviceAddress, DeviceError};
use till_store::{devices as store_devices, DeviceConfig, DeviceRecord};

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

impl DeviceRole {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            DeviceRole::CardReader => "card-reader",
            DeviceRole::PointsTerminal => "points-terminal",
        }
    }

    fn from_discovered(r: discovery::DeviceRole) -> Self {
        match r {
            discovery::DeviceRole::CardReader => DeviceRole::CardReader,
            discovery::DeviceRole::PointsTerminal => DeviceRole::PointsTerminal,
        }
    }
}

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
}

/// How the devices part of the till is set up (from `PosConfig`).
pub(crate) struct DevicesConfig {
    pub enumerator: Box<dyn Enumerator>,
    pub default_reader: String,
    pub default_terminal: Option<String>,
    pub card_timeout: Duration,
    pub opener: Arc<dyn TerminalOpener>,
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
        }
    }
}

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
fn line_address(c: &DeviceConfig) -> String {
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
    fn closed(c: &DeviceConfig) -> Self {
        ReaderSlot {
            inner: None,
            uri: c.uri.clone(),
            timeout: c.swipe_timeout_s.map(|s| Duration::from_secs(u64::from(s))),
            fault: Some(DeviceError::Disconnected(c.uri.clone())),
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
        None => Ok(ReaderSlot {
            inner: Some(till_devices::card_reader::open(default_uri)?),
            uri: default_uri.to_string(),
            timeout: None,
            fault: None,
        }),
    }
}

fn slot_for(c: &DeviceConfig) -> ReaderSlot {
    let timeout = c.swipe_timeout_s.map(|s| Duration::from_secs(u64::from(s)));
    match open_configured_reader(c) {
        Ok(r) => ReaderSlot { inner: Some(r), uri: c.uri.clone(), timeout, fault: None },
        Err(e) => {
            tracing::warn!(uri = %c.uri, "configured card reader did not open: {e}");
            ReaderSlot { inner: None, uri: c.uri.clone(), timeout, fault: Some(e) }
        }
    }
}

fn configured_view(d: &DeviceRecord) -> Option<ConfiguredView> {
    let role = match d.config.role.as_str() {
        "card-reader" => DeviceRole::CardReader,
        "points-terminal" => DeviceRole::PointsTerminal,
        _ => return None,
    };
    Some(ConfiguredView {
        role,
        driver: d.config.driver.clone(),
        uri: d.config.uri.clone(),
        baud: d.config.baud,
        parity: d.config.parity.as_deref().and_then(Parity::parse),
        enabled: d.config.enabled,
        swipe_timeout_s: d.config.swipe_timeout_s,
        paired: d.pairing_key_sealed.is_some(),
        terminal_id: d.terminal_id.clone(),
        paired_at_ms: d.paired_at_ms,
    })
}

fn driver_options() -> Vec<DriverOption> {
    let mut out: Vec<DriverOption> = ReaderProtocol::ALL
        .iter()
        .map(|p| DriverOption { role: DeviceRole::CardReader, name: p.name().to_string() })
        .collect();
    out.push(DriverOption { role: DeviceRole::CardReader, name: SIM_DRIVER.into() });
    out.push(DriverOption { role: DeviceRole::PointsTerminal, name: POINTS_DRIVER.into() });
    out.push(DriverOption { role: DeviceRole::PointsTerminal, name: SIM_DRIVER.into() });
    out
}

/// Checks an assignment and turns it into what is stored: the driver fits the role and the
/// address, serial settings only for serial devices, a timeout only for card readers.
fn validate(a: &DeviceAssignment) -> Result<DeviceConfig> {
    let bad = |m: String| Err(PosError::InvalidInput(m));
    let addr = DeviceAddress::parse(a.uri.trim()).map_err(|e| PosError::InvalidInput(e.to_string()))?;
    let is_sim = addr.scheme == "sim";
    let expected_sim = match a.role {
        DeviceRole::CardReader => "card-reader",
        DeviceRole::PointsTerminal => "points-terminal",
    };
    if is_sim && addr.path != expected_sim {
        return bad(format!("{} is not a simulated {}", a.uri, a.role.as_str().replace('-', " ")));
    }
    let driver_ok = match (a.role, is_sim) {
        (_, true) => a.driver == SIM_DRIVER,
        (DeviceRole::CardReader, false) => match ReaderProtocol::parse(&a.driver) {
            Ok(ReaderProtocol::IdtechEnhanced) => true,
            Ok(_) => addr.scheme == "hid",
            Err(_) => false,
        },
        (DeviceRole::PointsTerminal, false) => a.driver == POINTS_DRIVER && addr.scheme == "serial",
    };
    if !driver_ok {
        return bad(format!("driver {:?} cannot run the {} at {}", a.driver, a.role.as_str().replace('-', " "), a.uri));
    }
    let serial = addr.scheme == "serial";
    if let Some(b) = a.baud {
        if !serial {
            return bad("a baud rate applies to serial devices only".into());
        }
        if !(1200..=921_600).contains(&b) {
            return bad(format!("baud rate {b} is out of range (1200 to 921600)"));
        }
    }
    if a.parity.is_some() && !serial {
        return bad("parity applies to serial devices only".into());
    }
    if let Some(t) = a.swipe_timeout_s {
        if a.role != DeviceRole::CardReader {
            return bad("a swipe timeout applies to card readers only".into());
        }
        if !(5..=300).contains(&t) {
            return bad(format!("a swipe timeout of {t} s is out of range (5 to 300 s)"));
        }
    }
    let default_baud = match a.role {
        DeviceRole::PointsTerminal => POINTS_DEFAULT_BAUD,
        DeviceRole::CardReader => till_devices::card_reader::DEFAULT_BAUD,
    };
    Ok(DeviceConfig {
        role: a.role.as_str().into(),
        driver: a.driver.clone(),
        uri: a.uri.trim().to_string(),
        baud: if serial { Some(a.baud.unwrap_or(default_baud)) } else { None },
        parity: if serial { Some(a.parity.unwrap_or(Parity::None).as_str().into()) } else { None },
        enabled: true,
        swipe_timeout_s: a.swipe_timeout_s,
    })
}

impl Pos {
    /// The devices on the machine, the configured ones and the status lights. Installers only.
    pub fn devices_list(&self, token: &str) -> Result<DevicesOverview> {
        self.authorize(token, INSTALLERS, "set up devices")?;
        self.overview()
    }

    fn overview(&self) -> Result<DevicesOverview> {
        let (found, discovery_error) = self.enumerate_devices();
        self.refresh_device_status(&found);
        let configured: Vec<ConfiguredView> = self.store.devices()?.iter().filter_map(configured_view).collect();
        let discovered = found
            .into_iter()
            .map(|d| DiscoveredView {
                assigned_role: configured
                    .iter()
                    .find(|c| crate::devices::status::same_device(&c.uri, &d.uri))
                    .map(|c| c.role),
                usb_ids: d.vendor_id.zip(d.product_id).map(|(v, p)| format!("{v:04x}:{p:04x}")),
                kind: match d.kind {
                    discovery::DeviceKind::Serial => "serial",
                    discovery::DeviceKind::Hid => "hid",
                    discovery::DeviceKind::Sim => "sim",
                }
                .to_string(),
                guessed_role: d.guessed_role.map(DeviceRole::from_discovered),
                uri: d.uri,
                product: d.product,
                serial_number: d.serial,
                guessed_driver: d.guessed_driver,
            })
            .collect();
        Ok(DevicesOverview {
            discovered,
            configured,
            drivers: driver_options(),
            discovery_error,
            status: self.device_status_now(),
        })
    }

    /// Enumerates the machine's devices; the simulators are always listed, even when the
    /// operating system's enumeration fails.
    fn enumerate_devices(&self) -> (Vec<DiscoveredDevice>, Option<String>) {
        let (mut found, error) = match lock(&self.devices.enumerator).enumerate() {
            Ok(found) => (found, None),
            Err(e) => {
                tracing::warn!("device enumeration failed: {e}");
                (Vec::new(), Some(e.to_string()))
            }
        };
        for sim in discovery::simulators() {
            if !found.iter().any(|d| d.uri == sim.uri) {
                found.push(sim);
            }
        }
        (found, error)
    }

    /// Assigns a role, driver and serial settings to an address, replacing what the role had.
    /// A new card reader is put to use at once.
    pub fn device_assign(&self, token: &str, assignment: &DeviceAssignment) -> Result<DevicesOverview> {
        let s = self.authorize(token, INSTALLERS, "set up devices")?;
        let config = validate(assignment)?;
        let now = self.now_ms();
        self.store.write(|tx| {
            store_devices::put(tx, &config, now)?;
            till_store::audit::append(
                tx,
                now,
                Some(s.user_id),
                "device.assigned",
                &json!({ "role": config.role, "driver": config.driver, "uri": config.uri, "baud": config.baud,
                         "parity": config.parity, "swipe_timeout_s": config.swipe_timeout_s }),
            )
        })?;
        tracing::info!(role = %config.role, uri = %config.uri, driver = %config.driver, "device assigned");
        self.apply_config_change(assignment.role)?;
        self.overview()
    }

    /// Removes the device of a role; the card reader falls back to the default.
    pub fn device_remove(&self, token: &str, role: DeviceRole) -> Result<DevicesOverview> {
        let s = self.authorize(token, INSTALLERS, "set up devices")?;
        let now = self.now_ms();
        let removed = self.store.write(|tx| {
            let removed = store_devices::remove(tx, role.as_str())?;
            if removed {
                till_store::audit::append(
                    tx,
                    now,
                    Some(s.user_id),
                    "device.removed",
                    &json!({ "role": role.as_str() }),
                )?;
            }
            Ok(removed)
        })?;
        if !removed {
            return Err(PosError::DeviceNotConfigured(role.as_str()));
        }
        self.apply_config_change(role)?;
        self.overview()
    }

    /// Puts a changed configuration to use: reopens the card reader, drops the terminal
    /// connection.
    fn apply_config_change(&self, role: DeviceRole) -> Result<()> {
        match role {
            DeviceRole::CardReader => {
                // Drop the old reader before opening the new one: a serial port opens only once.
                *lock(&self.card_reader) = Box::new(ReaderSlot {
                    inner: None,
                    uri: String::new(),
                    timeout: None,
                    fault: Some(DeviceError::Disconnected("(reconfiguring)".into())),
                });
                let slot = initial_reader(&self.store, &self.devices.default_reader)?;
                self.init_reader_status(slot.open_result())?;
                *lock(&self.card_reader) = Box::new(slot);
            }
            DeviceRole::PointsTerminal => {
                *lock(&self.devices.terminal) = None;
            }
        }
        Ok(())
    }

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
        Ok(())
    }

    /// The card reader in use: the configured one, else the default.
    fn effective_reader(&self) -> Result<Option<DeviceConfig>> {
        Ok(Some(match self.store.device(DeviceRole::CardReader.as_str())?.filter(|d| d.config.enabled) {
            Some(d) => d.config,
            None => DeviceConfig {
                role: DeviceRole::CardReader.as_str().into(),
                driver: String::new(),
                uri: self.devices.default_reader.clone(),
                baud: None,
                parity: None,
                enabled: true,
                swipe_timeout_s: None,
            },
        }))
    }

    /// The points terminal in use: the configured one, else the default (the simulator in
    /// demo mode), else none.
    fn effective_terminal(&self) -> Result<Option<(DeviceConfig, Option<DeviceRecord>)>> {
        if let Some(d) = self.store.device(DeviceRole::PointsTerminal.as_str())?.filter(|d| d.config.enabled) {
            return Ok(Some((d.config.clone(), Some(d))));
        }
        Ok(self.devices.default_terminal.as_ref().map(|uri| {
            (
                DeviceConfig {
                    role: DeviceRole::PointsTerminal.as_str().into(),
                    driver: SIM_DRIVER.into(),
                    uri: uri.clone(),
                    baud: None,
                    parity: None,
                    enabled: true,
                    swipe_timeout_s: None,
                },
                None,
            )
        }))
    }

    /// Feeds the devices present to the status model, and reopens a card reader that came back.
    pub fn refresh_device_status(&self, present: &[DiscoveredDevice]) {
        let reader = self.effective_reader().ok().flatten();
        let action = lock(&self.devices.reader_status).update(reader.as_ref().map(|c| c.uri.as_str()), present);
        match (action, reader) {
            (Action::Open, Some(c)) => {
                // A swipe in progress holds the reader; try again at the next update instead of waiting.
                if let Ok(mut slot) = self.card_reader.try_lock() {
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
                if let Ok(mut slot) = self.card_reader.try_lock() {
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
    }

    fn device_status_now(&self) -> DeviceStatus {
        DeviceStatus {
            card_reader: lock(&self.devices.reader_status).light(),
            points_terminal: lock(&self.devices.terminal_status).light(),
        }
    }

    /// The status lights, for anyone logged in.
    pub fn device_status(&self, token: &str) -> Result<DeviceStatus> {
        self.authorize(token, ANYONE, "see device status")?;
        Ok(self.device_status_now())
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
                let _ = monitor.next_change(interval);
                let Some(pos) = weak.upgrade() else { return };
                pos.refresh_device_status(&monitor.devices());
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
    pub fn device_cancel(&self, token: &str) -> Result<()> {
        let s = self.authorize(token, ANYONE, "cancel a device wait")?;
        if let Some(c) = lock(&self.devices.waits).get(&s.user_id) {
            c.cancel();
        }
        Ok(())
    }

    /// Tests the device of a role: a card reader waits for a swipe and reports the masked read;
    /// a points terminal answers HELLO. The result says exactly what is wrong when it fails.
    pub fn device_test(&self, token: &str, role: DeviceRole) -> Result<DeviceTestResult> {
        let s = self.authorize(token, INSTALLERS, "test devices")?;
        let cancel = self.begin_wait(s.user_id);
        let result = match role {
            DeviceRole::CardReader => self.test_reader(&cancel),
            DeviceRole::PointsTerminal => self.test_terminal(),
        };
        self.end_wait(s.user_id);
        let result = result?;
        let now = self.now_ms();
        self.store.audit(
            now,
            Some(s.user_id),
            "device.tested",
            &json!({ "role": role.as_str(), "uri": result.uri, "ok": result.ok, "code": result.code }),
        )?;
        Ok(result)
    }

    fn test_reader(&self, cancel: &Cancel) -> Result<DeviceTestResult> {
        let mut reader = lock(&self.card_reader);
        let uri = reader.address();
        let out = DeviceTestResult::new(DeviceRole::CardReader, &uri);
        let timeout = TEST_SWIPE_TIMEOUT.min(self.devices.card_timeout.max(Duration::from_secs(5)));
        match reader.read_card(Money::zero(self.currency), timeout, cancel) {
            Ok(read) => Ok(DeviceTestResult {
                ok: true,
                // The same words as `tillctl devices test`.
                message: format!(
                    "read {} {} expiring {} ({}){}",
                    read.brand.name(),
                    read.masked_pan,
                    read.expiry,
                    if read.pin_required { "asks for a PIN" } else { "no PIN" },
                    match read.encrypted() {
                        Some(b) => format!(", encrypted by the reader ({}, KSN {})", b.scheme, hex::encode(&b.ksn)),
                        None => ", in clear (a non-encrypting reader)".to_string(),
                    }
                ),
                masked_pan: Some(read.masked_pan.to_string()),
                brand: Some(read.brand.name().to_string()),
                expiry: Some(read.expiry.clone()),
                ..out
            }),
            Err(DeviceError::Cancelled) => Err(PosError::Cancelled),
            Err(e) => Ok(out.failed(PosError::CardReadFailed(e.to_string()))),
        }
    }

    fn test_terminal(&self) -> Result<DeviceTestResult> {
        let (config, record) =
            self.effective_terminal()?.ok_or(PosError::DeviceNotConfigured(DeviceRole::PointsTerminal.as_str()))?;
        let out = DeviceTestResult::new(DeviceRole::PointsTerminal, &config.uri);
        // A test always opens afresh, so it says how the terminal is now, not how it was.
        *lock(&self.devices.terminal) = None;
        let hello = self.open_terminal(&config, record.as_ref()).and_then(|mut t| {
            let hello = t.hello().map_err(PosError::Points)?;
            *lock(&self.devices.terminal) = Some((config.uri.clone(), t));
            Ok(hello)
        });
        match hello {
            Ok(h) => Ok(DeviceTestResult {
                ok: true,
                message: format!(
                    "terminal {} firmware {}, {}",
                    h.terminal_id,
                    h.firmware,
                    if h.paired { "paired" } else { "not paired" }
                ),
                terminal_id: Some(h.terminal_id.to_string()),
                firmware: Some(h.firmware),
                paired: Some(h.paired),
                ..out
            }),
            Err(e) => Ok(out.failed(e)),
        }
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

    /// Pairs the points terminal: the installer holds its pairing button, then presses Pair. A
    /// fresh random key goes to the terminal, its proof is checked, and the key is stored
    /// sealed with the terminal's id.
    pub fn device_pair(&self, token: &str) -> Result<DeviceTestResult> {
        let s = self.authorize(token, INSTALLERS, "pair devices")?;
        self.pair_terminal(Some(s.user_id))
    }

    fn pair_terminal(&self, actor: Option<i64>) -> Result<DeviceTestResult> {
        let (config, _) =
            self.effective_terminal()?.ok_or(PosError::DeviceNotConfigured(DeviceRole::PointsTerminal.as_str()))?;
        let key = PairingKey::generate(&mut **lock(&self.rng));
        *lock(&self.devices.terminal) = None;
        let mut t = self.open_terminal(&config, None)?;
        let hello = t.hello().map_err(PosError::Points)?;
        let pairing = t.pair(key).map_err(PosError::Points)?;
        drop(t);
        let sealed = self.secrets.seal(PAIRING_KEY_PURPOSE, pairing.key.expose());
        let terminal_id = pairing.terminal_id.to_string();
        let now = self.now_ms();
        self.store.write(|tx| {
            if store_devices::get(tx, DeviceRole::PointsTerminal.as_str())?.is_none() {
                // Pairing the default terminal (the demo simulator) configures it, so the key has
                // a row to live in.
                store_devices::put(tx, &config, now)?;
            }
            store_devices::set_pairing(tx, DeviceRole::PointsTerminal.as_str(), &sealed, &terminal_id, now)?;
            till_store::audit::append(
                tx,
                now,
                actor,
                "device.paired",
                &json!({ "role": "points-terminal", "uri": config.uri, "terminal_id": terminal_id }),
            )
        })?;
        tracing::info!(uri = %config.uri, terminal_id = %terminal_id, "points terminal paired");
        Ok(DeviceTestResult {
            ok: true,
            message: format!("paired with terminal {terminal_id} (firmware {})", hello.firmware),
            terminal_id: Some(terminal_id),
            firmware: Some(hello.firmware),
            paired: Some(true),
            ..DeviceTestResult::new(DeviceRole::PointsTerminal, &config.uri)
        })
    }
}

#[cfg(test)]
mod tests;
