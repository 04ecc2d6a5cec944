//! A points terminal simulator that speaks till-points-v1 over any [`ByteLink`] in its own
//! thread: the one `sim://points-terminal` runs in-process, the one `tillctl sim
//! points-terminal --serial` puts on a pseudo-terminal, and the one the tests break on purpose.
//!
//! It has an id, a firmware version, a pairing key (or none), a pairing button the installer
//! presses or holds, enrolled phones that make real loyalty tokens, and faults to inject on
//! demand, once ([`SimulatorHandle::inject`]) or on every frame ([`SimulatorHandle::inject_always`]).

pub use super::fault::{Fault, GARBAGE};
use super::frame::{self, FrameReceiver, RxEvent, ACK, NAK};
use super::message::{kind, Body, ErrorCode, Message, TerminalState};
use super::pairing::{hmac_sha256, pair_proof, PairingKey, TerminalId};
pub use super::phone::Phone;
use super::session::{open_body, seal_body, SessionKey};
use crate::transport::ByteLink;
use crate::{DeviceAddress, DeviceError};
use rand::RngCore;
use std::collections::VecDeque;
use std::sync::{Arc, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};
use till_core::loyalty_token::Redemption;

mod terminal;
use terminal::Terminal;

/// Counters of what crossed the link, for tests to check what the till did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SimStats {
    /// Intact frames received (including ignored and refused ones).
    pub frames_received: u32,
    /// Frames sent (each try counts).
    pub frames_sent: u32,
    /// NAKs the till sent us.
    pub naks_received: u32,
    /// NAKs we sent (broken frames, or the nak fault).
    pub naks_sent: u32,
    /// Requests refused as replayed, unauthenticated or out of session.
    pub security_errors: u32,
    /// READ_CUSTOMER requests handled.
    pub reads: u32,
    /// REDEEM requests handled.
    pub redeems: u32,
}

/// How a simulator starts.
pub struct SimConfig {
    /// Its id.
    pub terminal_id: TerminalId,
    /// Its firmware version (at most 8 ASCII characters).
    pub firmware: String,
    /// The pairing key it holds already, if any.
    pub pairing_key: Option<PairingKey>,
    /// Enrolled phones, presented by index.
    pub phones: Vec<Phone>,
    /// Whether the pairing button is held from the start.
    pub pairing_button: bool,
    /// Present this phone automatically this long after each READ_CUSTOMER.
    pub auto_present: Option<(usize, Duration)>,
    /// Unix seconds, for the tokens' `issued_at`.
    pub clock: Box<dyn Fn() -> u64 + Send>,
    /// Terminal nonces and sealing nonces.
    pub rng: Box<dyn RngCore + Send>,
}

impl Default for SimConfig {
    fn default() -> Self {
        SimConfig {
            terminal_id: TerminalId::from_literal(*b"TILL-SIM-0001   "),
            firmware: "sim-1.0".into(),
            pairing_key: None,
            phones: vec![Phone::demo(1), Phone::demo(2)],
            pairing_button: false,
            auto_present: None,
            clock: Box::new(|| SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs())),
            rng: Box::new(rand::rngs::OsRng),
        }
    }
}

impl SimConfig {
    /// The configuration of `sim://points-terminal?...`: `pairing_button=held|released`
    /// (default held, so the installer's Pair works), `auto_present_ms=N` (default 1500; 0
    /// waits for [`SimulatorHandle::present_phone`]), `phone=N` (which demo phone, default 0).
    /// A stored `pairing` for the simulator's id pairs it at once.
    pub fn from_address(address: &DeviceAddress, pairing: Option<&super::Pairing>) -> Result<Self, DeviceError> {
        let bad = || DeviceError::InvalidAddress(format!("sim://{}", address.path));
        let mut config = SimConfig { pairing_button: true, ..SimConfig::default() };
        match address.param("pairing_button") {
            None | Some("held") => {}
            Some("released") => config.pairing_button = false,
            Some(_) => return Err(bad()),
        }
        let phone: usize = address.param("phone").map_or(Ok(0), str::parse).map_err(|_| bad())?;
        if phone >= config.phones.len() {
            return Err(bad());
        }
        let ms: u64 = address.param("auto_present_ms").map_or(Ok(1500), str::parse).map_err(|_| bad())?;
        config.auto_present = (ms > 0).then(|| (phone, Duration::from_millis(ms)));
        if let Some(p) = pairing.filter(|p| p.terminal_id == config.terminal_id) {
            config.pairing_key = Some(p.key.clone());
        }
        Ok(config)
    }
}

struct Shared {
    terminal_id: TerminalId,
    key: Option<PairingKey>,
    phones: Vec<Phone>,
    pairing_button: bool,
    presented: VecDeque<usize>,
    /// The phone presented automatically (set by [`SimulatorHandle::enrol_phone`]).
    auto_phone: Option<usize>,
    once: VecDeque<Fault>,
    always: Vec<Fault>,
    display: Vec<String>,
    /// Every token the phones handed over, as sent: what the customer approved.
    issued: Vec<Vec<u8>>,
    stats: SimStats,
    state: TerminalState,
    stop: bool,
    unplug: bool,
    swapped: bool,
    running: bool,
}

fn lock(shared: &Mutex<Shared>) -> MutexGuard<'_, Shared> {
    // A panic elsewhere must not take the simulator down with it; its state stays usable.
    shared.lock().unwrap_or_else(|e| e.into_inner())
}

/// Controls a running simulator. Dropping it stops the simulator, which closes its link.
pub struct SimulatorHandle {
    shared: Arc<Mutex<Shared>>,
    thread: Option<JoinHandle<()>>,
}

impl std::fmt::Debug for SimulatorHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SimulatorHandle").field("terminal_id", &self.terminal_id()).finish()
    }
}

impl SimulatorHandle {
    /// Presses the pairing button: pairing mode until a PAIR succeeds or the button is released.
    pub fn press_pair_button(&self) {
        lock(&self.shared).pairing_button = true;
    }

    /// Releases the pairing button.
    pub fn release_pair_button(&self) {
        lock(&self.shared).pairing_button = false;
    }

    /// Holds phone `index` to the terminal: it answers the waiting READ_CUSTOMER, or the next one.
    pub fn present_phone(&self, index: usize) -> Result<(), DeviceError> {
        let mut s = lock(&self.shared);
        if index >= s.phones.len() {
            return Err(DeviceError::NotFound(format!("simulated phone {index}")));
        }
        s.presented.push_back(index);
        Ok(())
    }

    /// Enrols a new phone from an enrolment message, as the customer scanning the till's QR
    /// code would; from now on it is the phone presented automatically. Returns its index.
    pub fn enrol_phone(&self, message: &str) -> Result<usize, DeviceError> {
        let phone = Phone::enrol(message)?;
        let mut s = lock(&self.shared);
        s.phones.push(phone);
        let index = s.phones.len() - 1;
        s.auto_phone = Some(index);
        Ok(index)
    }

    /// Commits `fault` once, at the next occasion.
    pub fn inject(&self, fault: Fault) {
        lock(&self.shared).once.push_back(fault);
    }

    /// Commits `fault` at every occasion until [`SimulatorHandle::clear_faults`].
    pub fn inject_always(&self, fault: Fault) {
        lock(&self.shared).always.push(fault);
    }

    /// Stops committing faults.
    pub fn clear_faults(&self) {
        let mut s = lock(&self.shared);
        s.once.clear();
        s.always.clear();
    }

    /// Pulls the cable now: the simulator closes its link and stops.
    pub fn unplug(&self) {
        lock(&self.shared).unplug = true;
    }

    /// Puts another terminal on the port: a new id, a pairing key from another till, no session.
    pub fn swap_terminal(&self, terminal_id: TerminalId) {
        let mut s = lock(&self.shared);
        s.terminal_id = terminal_id;
        s.key = Some(PairingKey::from_bytes(hmac_sha256(b"another till", &[terminal_id.as_bytes()])));
        s.swapped = true;
    }

    /// What crossed the link so far.
    pub fn stats(&self) -> SimStats {
        lock(&self.shared).stats.clone()
    }

    /// The lines the terminal shows: the last DISPLAY's, or the redemption a REDEEM showed.
    pub fn display_lines(&self) -> Vec<String> {
        lock(&self.shared).display.clone()
    }

    /// Every token the phones handed over so far, oldest first, as they went to the till (44
    /// bytes to identify, 66 to redeem).
    pub fn issued_tokens(&self) -> Vec<Vec<u8>> {
        lock(&self.shared).issued.clone()
    }

    /// The pairing key the terminal holds.
    pub fn pairing_key(&self) -> Option<PairingKey> {
        lock(&self.shared).key.clone()
    }

    /// The terminal's id.
    pub fn terminal_id(&self) -> TerminalId {
        lock(&self.shared).terminal_id
    }

    /// Enrolled phone `index` as it is now (its counter counts the tokens made).
    pub fn phone(&self, index: usize) -> Option<Phone> {
        lock(&self.shared).phones.get(index).cloned()
    }

    /// What the terminal is doing.
    pub fn state(&self) -> TerminalState {
        lock(&self.shared).state
    }

    /// Whether the simulator still runs (it stops when unplugged or when its link closes).
    pub fn is_running(&self) -> bool {
        lock(&self.shared).running
    }

    /// Waits until the simulator's thread has ended.
    pub fn join(mut self) {
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

impl Drop for SimulatorHandle {
    fn drop(&mut self) {
        lock(&self.shared).stop = true;
    }
}

/// Starts a simulator on `link` in its own thread.
pub fn spawn(link: Box<dyn ByteLink>, config: SimConfig) -> SimulatorHandle {
    let shared = Arc::new(Mutex::new(Shared {
        terminal_id: config.terminal_id,
        key: config.pairing_key,
        phones: config.phones,
        pairing_button: config.pairing_button,
        presented: VecDeque::new(),
        auto_phone: None,
        once: VecDeque::new(),
        always: Vec::new(),
        display: Vec::new(),
        issued: Vec::new(),
        stats: SimStats::default(),
        state: TerminalState::Idle,
        stop: false,
        unplug: false,
        swapped: false,
        running: true,
    }));
    let mut terminal = Terminal {
        link,
        rx: FrameReceiver::default(),
        shared: shared.clone(),
        firmware: config.firmware,
        clock: config.clock,
        rng: config.rng,
        auto_present: config.auto_present,
        session: None,
        last_accepted: None,
        waiting: None,
        backlog: VecDeque::new(),
        sent: Vec::new(),
    };
    let thread = std::thread::Builder::new()
        .name("points-terminal-sim".into())
        .spawn(move || {
            let _ = terminal.run();
            lock(&terminal.shared).running = false;
        })
        .ok();
    if thread.is_none() {
        lock(&shared).running = false;
    }
    SimulatorHandle { shared, thread }
}

/// What the terminal shows the customer for a REDEEM: the points, what they pay, the order.
pub fn redemption_lines(redemption: &Redemption, value_minor: i64, currency: &str) -> Vec<String> {
    let value = till_core::Currency::parse(currency)
        .map(|c| till_core::Money::new(value_minor, c).to_string())
        .unwrap_or_else(|_| format!("{currency} {value_minor} (minor units)"));
    let order = redemption.checkout_key();
    vec![
        format!("Redeem {} points", redemption.points),
        format!("= {value}"),
        format!("Order {}", &order[..8]),
        "Confirm on your phone".into(),
    ]
}
