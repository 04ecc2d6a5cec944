//! The installer's device setup: the list of devices with the configured ones, assigning and removing a role, testing a device and pairing the points terminal.

use super::reader::{initial_reader, ReaderSlot};
use super::{
    DISPLAY_DEFAULT_BAUD, DISPLAY_POLE_DRIVER, DISPLAY_WINDOW_DRIVER, DISPLAY_WINDOW_URI, PAIRING_KEY_PURPOSE,
    POINTS_DEFAULT_BAUD, POINTS_DRIVER, PRINTER_DEFAULT_BAUD, PRINTER_DRIVER, SIM_DRIVER, TEST_SWIPE_TIMEOUT,
};
use crate::admin::permissions::Command;
use crate::error::{PosError, Result};
use crate::ipc::devices::{
    ConfiguredView, DeviceAssignment, DeviceRole, DeviceTestResult, DevicesOverview, DiscoveredView, DriverOption,
    Parity,
};
use crate::ipc::watch::Watch;
use crate::mutex::lock;
use crate::Pos;
use serde_json::json;
use std::time::Duration;
use till_core::Money;
use till_core::SessionToken;
use till_devices::card_reader::ReaderProtocol;
use till_devices::points::PairingKey;
use till_devices::printer::{CodePage, PaperWidth};
use till_devices::transport::discovery::{self, DiscoveredDevice};
use till_devices::{Cancel, DeviceAddress, DeviceError};
use till_store::{devices as store_devices, DeviceConfig, DeviceRecord};

impl Pos {
    /// The devices on the machine, the configured ones and the status lights. Installers only.
    pub fn devices_list(&self, token: &SessionToken) -> Result<DevicesOverview> {
        self.authorize(token, Command::DevicesWatch)?;
        self.overview()
    }

    /// The same, told to `watch` now and again whenever a device is plugged in or pulled out,
    /// a light changes or the configuration changes, until [`Pos::devices_unwatch`].
    pub fn devices_watch(&self, token: &SessionToken, watch: Watch<DevicesOverview>) -> Result<u64> {
        self.authorize(token, Command::DevicesWatch)?;
        watch(&self.overview()?);
        Ok(self.devices.overview_watchers.add(watch))
    }

    /// Stops telling a listener of the devices. Needs no live session.
    pub fn devices_unwatch(&self, id: u64) {
        self.devices.overview_watchers.remove(id);
    }

    /// Tells the installer's listeners the devices as they are now (nothing when none listens:
    /// the overview enumerates the machine's ports).
    pub(crate) fn publish_overview(&self) {
        if self.devices.overview_watchers.is_empty() {
            return;
        }
        thread_local! {
            static PUBLISHING: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
        }
        // Reading the overview refreshes the lights, which may publish again on this thread:
        // the outer call sends the overview read after that refresh, so a nested one has
        // nothing to add.
        if PUBLISHING.with(|p| p.replace(true)) {
            return;
        }
        let read = self.overview();
        PUBLISHING.with(|p| p.set(false));
        match read {
            Ok(o) => self.devices.overview_watchers.send(&o),
            Err(e) => tracing::warn!("device overview not read: {e}"),
        }
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
                kind: d.kind.as_str().to_string(),
                guessed_role: d.guessed_role,
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
    pub(crate) fn enumerate_devices(&self) -> (Vec<DiscoveredDevice>, Option<String>) {
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
    pub fn device_assign(&self, token: &SessionToken, assignment: &DeviceAssignment) -> Result<DevicesOverview> {
        let s = self.authorize(token, Command::DeviceAssign)?;
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
                         "parity": config.parity, "swipe_timeout_s": config.swipe_timeout_s,
                         "paper_mm": config.paper_mm, "code_page": config.code_page }),
            )
        })?;
        tracing::info!(role = %config.role, uri = %config.uri, driver = %config.driver, "device assigned");
        self.apply_config_change(assignment.role)?;
        self.publish_overview();
        self.overview()
    }

    /// Removes the device of a role; the card reader falls back to the default.
    pub fn device_remove(&self, token: &SessionToken, role: DeviceRole) -> Result<DevicesOverview> {
        let s = self.authorize(token, Command::DeviceRemove)?;
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
        self.publish_overview();
        self.overview()
    }

    /// Puts a changed configuration to use: reopens the card reader, drops the terminal
    /// connection.
    fn apply_config_change(&self, role: DeviceRole) -> Result<()> {
        match role {
            DeviceRole::CardReader => {
                // Drop the old reader before opening the new one: a serial port opens only once.
                *lock(&self.devices.card_reader) = Box::new(ReaderSlot::reconfiguring());
                let slot = initial_reader(&self.store, &self.devices.default_reader)?;
                self.init_reader_status(slot.open_result())?;
                *lock(&self.devices.card_reader) = Box::new(slot);
            }
            DeviceRole::PointsTerminal => {
                *lock(&self.devices.terminal) = None;
            }
            // The print worker reads the printer's row before each job; it only needs waking
            // so held jobs show against the new printer.
            DeviceRole::ReceiptPrinter => self.devices.printer_wake.notify(),
            // The customer display reads its row when it shows something.
            DeviceRole::CustomerDisplay => {}
        }
        Ok(())
    }

    /// Tests the device of a role: a card reader waits for a swipe and reports the masked read;
    /// a points terminal answers HELLO. The result says exactly what is wrong when it fails.
    pub fn device_test(&self, token: &SessionToken, role: DeviceRole) -> Result<DeviceTestResult> {
        let s = self.authorize(token, Command::DeviceTest)?;
        let cancel = self.begin_wait(s.user_id);
        let result = match role {
            DeviceRole::CardReader => self.test_reader(&cancel),
            DeviceRole::PointsTerminal => self.test_terminal(),
            DeviceRole::ReceiptPrinter => self.test_printer(),
            DeviceRole::CustomerDisplay => {
                self.store.device(role.as_str()).map_err(PosError::from).and_then(|d| match d {
                    Some(d) => Ok(DeviceTestResult {
                        ok: true,
                        message: "the customer display is set up; it shows the next sale".into(),
                        ..DeviceTestResult::new(role, &d.config.uri)
                    }),
                    None => Err(PosError::DeviceNotConfigured(role.as_str())),
                })
            }
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
        let mut reader = lock(&self.devices.card_reader);
        let uri = reader.address();
        let out = DeviceTestResult::new(DeviceRole::CardReader, &uri);
        let timeout = TEST_SWIPE_TIMEOUT.min(self.devices.card_timeout.max(Duration::from_secs(5)));
        match reader.read_card(Money::zero(self.currency()), timeout, cancel) {
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

    /// The printer's test goes through the print queue like every printout, so it also proves
    /// the queue and the worker; the printer status line says how it went.
    fn test_printer(&self) -> Result<DeviceTestResult> {
        let d = self
            .store
            .device(DeviceRole::ReceiptPrinter.as_str())?
            .filter(|d| d.config.enabled)
            .ok_or(PosError::DeviceNotConfigured(DeviceRole::ReceiptPrinter.as_str()))?;
        let lang = self.store.setting(till_store::print_queue::LANG_SETTING)?.filter(|l| l == "zh");
        let job = till_store::NewJob {
            kind: till_store::JobKind::Test,
            order_id: None,
            refund_id: None,
            payload: None,
            kick_drawer: false,
            lang: lang.unwrap_or_else(|| "en".into()),
        };
        let id = self.store.print_enqueue(&job, self.now_ms())?;
        self.devices.printer_wake.notify();
        Ok(DeviceTestResult {
            ok: true,
            message: format!("test page queued as print job {id}; the printer's status line shows whether it printed"),
            ..DeviceTestResult::new(DeviceRole::ReceiptPrinter, &d.config.uri)
        })
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

    /// Pairs the points terminal: the installer holds its pairing button, then presses Pair. A
    /// fresh random key goes to the terminal, its proof is checked, and the key is stored
    /// sealed with the terminal's id.
    pub fn device_pair(&self, token: &SessionToken) -> Result<DeviceTestResult> {
        let s = self.authorize(token, Command::DevicePair)?;
        self.pair_terminal(Some(s.user_id))
    }

    pub(crate) fn pair_terminal(&self, actor: Option<i64>) -> Result<DeviceTestResult> {
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
        self.publish_overview();
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

pub(crate) fn configured_view(d: &DeviceRecord) -> Option<ConfiguredView> {
    let role = match d.config.role.as_str() {
        "card-reader" => DeviceRole::CardReader,
        "points-terminal" => DeviceRole::PointsTerminal,
        "receipt-printer" => DeviceRole::ReceiptPrinter,
        "customer-display" => DeviceRole::CustomerDisplay,
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
        paper_mm: d.config.paper_mm,
        code_page: d.config.code_page.clone(),
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
    out.push(DriverOption { role: DeviceRole::ReceiptPrinter, name: PRINTER_DRIVER.into() });
    out.push(DriverOption { role: DeviceRole::ReceiptPrinter, name: SIM_DRIVER.into() });
    out.push(DriverOption { role: DeviceRole::CustomerDisplay, name: DISPLAY_WINDOW_DRIVER.into() });
    out.push(DriverOption { role: DeviceRole::CustomerDisplay, name: DISPLAY_POLE_DRIVER.into() });
    out
}

/// Checks an assignment and turns it into what is stored: the driver fits the role and the
/// address, serial settings only for serial devices, a timeout only for card readers, paper
/// width and code page only for receipt printers. The window's assignment and
/// `tillctl devices assign` both go through it.
pub fn validate(a: &DeviceAssignment) -> Result<DeviceConfig> {
    let bad = |m: String| Err(PosError::InvalidInput(m));
    let (paper_mm, code_page) = printer_settings(a)?;
    if a.role == DeviceRole::CustomerDisplay && a.uri.trim() == DISPLAY_WINDOW_URI {
        // The second window is no device address: nothing more to check.
        if a.driver != DISPLAY_WINDOW_DRIVER {
            return bad(format!("{DISPLAY_WINDOW_URI} takes the driver {DISPLAY_WINDOW_DRIVER:?}"));
        }
        return Ok(DeviceConfig::new(a.role.as_str(), &a.driver, DISPLAY_WINDOW_URI));
    }
    let addr = DeviceAddress::parse(a.uri.trim()).map_err(|e| PosError::InvalidInput(e.to_string()))?;
    let is_sim = addr.scheme == "sim";
    let expected_sim = match a.role {
        DeviceRole::CardReader => "card-reader",
        DeviceRole::PointsTerminal => "points-terminal",
        DeviceRole::ReceiptPrinter => "printer",
        DeviceRole::CustomerDisplay => "customer-display",
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
        (DeviceRole::ReceiptPrinter, false) => {
            a.driver == PRINTER_DRIVER && matches!(addr.scheme.as_str(), "usb" | "serial" | "tcp" | "cups")
        }
        (DeviceRole::CustomerDisplay, false) => a.driver == DISPLAY_POLE_DRIVER && addr.scheme == "serial",
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
        DeviceRole::ReceiptPrinter => PRINTER_DEFAULT_BAUD,
        DeviceRole::CustomerDisplay => DISPLAY_DEFAULT_BAUD,
    };
    Ok(DeviceConfig {
        role: a.role.as_str().into(),
        driver: a.driver.clone(),
        uri: a.uri.trim().to_string(),
        baud: if serial { Some(a.baud.unwrap_or(default_baud)) } else { None },
        parity: if serial { Some(a.parity.unwrap_or(Parity::None).as_str().into()) } else { None },
        enabled: true,
        swipe_timeout_s: a.swipe_timeout_s,
        paper_mm,
        code_page,
    })
}

/// A receipt printer's paper width (58 or 80 mm, 80 unless set) and code page (`gb18030`
/// unless set); other roles take neither.
fn printer_settings(a: &DeviceAssignment) -> Result<(Option<u32>, Option<String>)> {
    if a.role != DeviceRole::ReceiptPrinter {
        if a.paper_mm.is_some() || a.code_page.is_some() {
            return Err(PosError::InvalidInput("paper width and code page apply to receipt printers only".into()));
        }
        return Ok((None, None));
    }
    let paper = a.paper_mm.unwrap_or(80);
    if PaperWidth::from_millimetres(paper).is_none() {
        return Err(PosError::InvalidInput(format!("a paper width of {paper} mm is not supported (58 or 80 mm)")));
    }
    let code_page = a.code_page.as_deref().unwrap_or(CodePage::Gb18030.as_str());
    let Some(code_page) = CodePage::parse(code_page) else {
        return Err(PosError::InvalidInput(format!("code page {code_page:?} is not supported (gb18030 or pc437)")));
    };
    Ok((Some(paper), Some(code_page.as_str().to_string())))
}
