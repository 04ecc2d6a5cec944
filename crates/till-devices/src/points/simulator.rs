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

struct SimSession {
    key: Option<SessionKey>,
    last_seq: u16,
}

struct Waiting {
    seq: u16,
    since: Instant,
    deadline: Instant,
    /// The redemption shown, for a REDEEM; `None` for a READ_CUSTOMER.
    redeem: Option<Redemption>,
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

struct Terminal {
    link: Box<dyn ByteLink>,
    rx: FrameReceiver,
    shared: Arc<Mutex<Shared>>,
    firmware: String,
    clock: Box<dyn Fn() -> u64 + Send>,
    rng: Box<dyn RngCore + Send>,
    auto_present: Option<(usize, Duration)>,
    session: Option<SimSession>,
    last_accepted: Option<Vec<u8>>,
    waiting: Option<Waiting>,
    backlog: VecDeque<Vec<u8>>,
    /// Answers sent in this session, for the replay fault.
    sent: Vec<Vec<u8>>,
}

impl Terminal {
    /// Runs until stopped, unplugged or disconnected (the error ends the thread).
    fn run(&mut self) -> Result<(), DeviceError> {
        loop {
            self.check_controls()?;
            self.fill(Duration::from_millis(20))?;
            while let Some(bytes) = self.backlog.pop_front() {
                self.check_controls()?;
                self.handle(&bytes)?;
            }
            self.tick()?;
        }
    }

    fn check_controls(&mut self) -> Result<(), DeviceError> {
        let mut s = lock(&self.shared);
        if s.stop || s.unplug {
            return Err(DeviceError::Disconnected("simulator stopped".into()));
        }
        if std::mem::take(&mut s.swapped) {
            self.session = None;
            self.waiting = None;
        }
        s.state = if self.waiting.is_some() {
            TerminalState::Waiting
        } else if s.pairing_button {
            TerminalState::Pairing
        } else {
            TerminalState::Idle
        };
        Ok(())
    }

    fn take_fault(&self, applies: impl Fn(Fault) -> bool) -> Option<Fault> {
        let mut s = lock(&self.shared);
        if let Some(f) = s.always.iter().copied().find(|&f| applies(f)) {
            return Some(f);
        }
        let at = s.once.iter().position(|&f| applies(f))?;
        s.once.remove(at)
    }

    /// Reads what arrived: intact frames are acknowledged into the backlog (unless a receive
    /// fault says otherwise), broken ones refused; returns ACK and NAK bytes seen.
    fn fill(&mut self, wait: Duration) -> Result<Vec<RxEvent>, DeviceError> {
        let events = self.rx.read_from(self.link.as_mut(), wait)?;
        let mut control = Vec::new();
        for event in events {
            match event {
                RxEvent::Frame(body) => {
                    lock(&self.shared).stats.frames_received += 1;
                    match self.take_fault(Fault::on_receive) {
                        Some(Fault::Silence) => {}
                        Some(Fault::NakAll) => {
                            self.link.write_all(&[NAK])?;
                            lock(&self.shared).stats.naks_sent += 1;
                        }
                        Some(_) => {
                            self.link.write_all(&[ACK])?;
                            return Err(DeviceError::Disconnected("unplugged".into()));
                        }
                        None => {
                            self.link.write_all(&[ACK])?;
                            self.backlog.push_back(body);
                        }
                    }
                }
                RxEvent::Fault(_) => {
                    self.link.write_all(&[NAK])?;
                    lock(&self.shared).stats.naks_sent += 1;
                }
                RxEvent::Nak => {
                    lock(&self.shared).stats.naks_received += 1;
                    control.push(RxEvent::Nak);
                }
                RxEvent::Ack => control.push(RxEvent::Ack),
            }
        }
        Ok(control)
    }

    /// Sends a frame with the send faults applied, resending after NAK or 500 ms without ACK,
    /// three tries in all; a till that never acknowledges is given up on quietly.
    fn send_frame(&mut self, frame: &[u8]) -> Result<(), DeviceError> {
        for _ in 0..3 {
            match self.take_fault(Fault::on_send) {
                Some(Fault::Garbage) => {
                    self.link.write_all(&GARBAGE)?;
                    self.link.write_all(frame)?;
                }
                Some(Fault::Truncate) => self.link.write_all(&frame[..frame.len() / 2])?,
                Some(_) => {
                    let mut bad = frame.to_vec();
                    let crc_at = bad.len() - 3;
                    bad[crc_at] ^= 0x5A;
                    self.link.write_all(&bad)?;
                }
                None => self.link.write_all(frame)?,
            }
            lock(&self.shared).stats.frames_sent += 1;
            let deadline = Instant::now() + Duration::from_millis(500);
            'wait: while Instant::now() < deadline {
                // The first control byte decides: ACK ends the send, NAK resends at once.
                if let Some(event) = self.fill(Duration::from_millis(20))?.first() {
                    match event {
                        RxEvent::Ack => return Ok(()),
                        _ => break 'wait,
                    }
                }
            }
        }
        Ok(())
    }

    fn respond(&mut self, seq: u16, msg: &Message) -> Result<(), DeviceError> {
        if self.take_fault(|f| f == Fault::Replay).is_some() {
            // The oldest answer of the session after HELLO_R, so it is never the till's last one.
            if let Some(old) = self.sent.get(1).or_else(|| self.sent.first()).cloned() {
                return self.send_frame(&old);
            }
        }
        let seq = if self.take_fault(|f| f == Fault::WrongSeq).is_some() { seq.wrapping_add(1) } else { seq };
        let key = self.session.as_ref().and_then(|s| s.key.as_ref());
        let mut body = seal_body(msg, seq, key, self.rng.as_mut())?;
        if kind::is_encrypted(msg.kind()) && self.take_fault(|f| f == Fault::BadAuth).is_some() {
            if let Some(last) = body.last_mut() {
                *last ^= 0x01;
            }
        }
        let frame = frame::encode(&body)?;
        if self.sent.len() < 16 {
            self.sent.push(frame.clone());
        }
        self.send_frame(&frame)
    }

    fn error(&mut self, seq: u16, code: ErrorCode, message: &str) -> Result<(), DeviceError> {
        if matches!(code, ErrorCode::REPLAY | ErrorCode::AUTH_FAILED | ErrorCode::NO_SESSION) {
            lock(&self.shared).stats.security_errors += 1;
        }
        let body = seal_body(&Message::Error { code, message: message.into() }, seq, None, self.rng.as_mut())?;
        self.send_frame(&frame::encode(&body)?)
    }

    fn handle(&mut self, bytes: &[u8]) -> Result<(), DeviceError> {
        if self.last_accepted.as_deref() == Some(bytes) {
            return Ok(());
        }
        let body = match Body::parse(bytes) {
            Ok(b) => b,
            Err(e) => {
                let seq = match bytes {
                    [_, a, b, ..] => u16::from_be_bytes([*a, *b]),
                    _ => 0,
                };
                return self.error(seq, ErrorCode::BAD_MESSAGE, &e.to_string());
            }
        };
        match body.kind {
            kind::HELLO => {
                let Ok(Message::Hello { pos_nonce }) = Message::parse(body.kind, &body.payload) else {
                    return self.error(body.seq, ErrorCode::BAD_MESSAGE, "HELLO carries 16 bytes");
                };
                let mut term_nonce = [0u8; 16];
                self.rng.fill_bytes(&mut term_nonce);
                let (terminal_id, key) = {
                    let s = lock(&self.shared);
                    (s.terminal_id, s.key.clone())
                };
                self.waiting = None;
                self.session = Some(SimSession {
                    key: key.as_ref().map(|k| SessionKey::derive(k, &pos_nonce, &term_nonce)),
                    last_seq: body.seq,
                });
                self.sent.clear();
                self.last_accepted = Some(bytes.to_vec());
                let reply =
                    Message::HelloR { terminal_id, firmware: self.firmware.clone(), term_nonce, paired: key.is_some() };
                self.respond(body.seq, &reply)
            }
            kind::PAIR => {
                let Ok(Message::Pair { key }) = Message::parse(body.kind, &body.payload) else {
                    return self.error(body.seq, ErrorCode::BAD_MESSAGE, "PAIR carries 32 bytes");
                };
                let terminal_id = {
                    let mut s = lock(&self.shared);
                    if !s.pairing_button {
                        drop(s);
                        return self.error(body.seq, ErrorCode::PAIRING_REFUSED, "hold the pairing button");
                    }
                    s.pairing_button = false;
                    s.key = Some(key.clone());
                    s.terminal_id
                };
                self.last_accepted = Some(bytes.to_vec());
                let proof = pair_proof(&key, &terminal_id);
                self.respond(body.seq, &Message::PairR { proof })?;
                self.session = None;
                Ok(())
            }
            k if kind::is_encrypted(k) && k & kind::RESPONSE == 0 => self.handle_data(bytes, &body),
            _ => self.error(body.seq, ErrorCode::UNKNOWN_TYPE, "not a request this terminal knows"),
        }
    }

    fn handle_data(&mut self, bytes: &[u8], body: &Body) -> Result<(), DeviceError> {
        let Some(session) = &self.session else {
            return self.error(body.seq, ErrorCode::NO_SESSION, "send HELLO first");
        };
        let Some(key) = &session.key else {
            return self.error(body.seq, ErrorCode::NOT_PAIRED, "this terminal is not paired");
        };
        if body.seq <= session.last_seq {
            return self.error(body.seq, ErrorCode::REPLAY, "sequence number already used");
        }
        let msg = match open_body(body, Some(key)) {
            Ok(m) => m,
            Err(DeviceError::PointsAuthFailed) => {
                return self.error(body.seq, ErrorCode::AUTH_FAILED, "authentication failed")
            }
            Err(e) => return self.error(body.seq, ErrorCode::BAD_MESSAGE, &e.to_string()),
        };
        if let Some(s) = self.session.as_mut() {
            s.last_seq = body.seq;
        }
        self.last_accepted = Some(bytes.to_vec());
        match msg {
            Message::ReadCustomer { timeout_s, .. } => {
                if self.waiting.is_some() {
                    return self.error(body.seq, ErrorCode::BUSY, "already waiting for a phone");
                }
                lock(&self.shared).stats.reads += 1;
                let now = Instant::now();
                self.waiting = Some(Waiting {
                    seq: body.seq,
                    since: now,
                    deadline: now + Duration::from_secs(u64::from(timeout_s)),
                    redeem: None,
                });
                self.tick()
            }
            Message::Redeem { redemption, value_minor, currency, timeout_s } => {
                if self.waiting.is_some() {
                    return self.error(body.seq, ErrorCode::BUSY, "already waiting for a phone");
                }
                {
                    let mut s = lock(&self.shared);
                    s.stats.redeems += 1;
                    // The customer sees what they are asked to approve.
                    s.display = redemption_lines(&redemption, value_minor, &currency);
                }
                let now = Instant::now();
                self.waiting = Some(Waiting {
                    seq: body.seq,
                    since: now,
                    deadline: now + Duration::from_secs(u64::from(timeout_s)),
                    redeem: Some(redemption),
                });
                self.tick()
            }
            Message::Display { lines } => {
                lock(&self.shared).display = lines;
                self.respond(body.seq, &Message::DisplayR)
            }
            Message::Cancel => {
                if let Some(w) = self.waiting.take() {
                    self.error(w.seq, ErrorCode::CANCELLED, "cancelled by the till")?;
                }
                self.respond(body.seq, &Message::CancelR)
            }
            Message::Status => {
                let state = {
                    let s = lock(&self.shared);
                    if self.waiting.is_some() {
                        TerminalState::Waiting
                    } else if s.pairing_button {
                        TerminalState::Pairing
                    } else {
                        TerminalState::Idle
                    }
                };
                self.respond(body.seq, &Message::StatusR { state })
            }
            _ => self.error(body.seq, ErrorCode::UNKNOWN_TYPE, "not a request"),
        }
    }

    /// Answers a waiting READ_CUSTOMER with a presented phone's identify token, a waiting
    /// REDEEM with its redemption token (signed over exactly what was shown), or with TIMEOUT.
    fn tick(&mut self) -> Result<(), DeviceError> {
        let Some(w) = &self.waiting else { return Ok(()) };
        let (seq, since, deadline, redeem) = (w.seq, w.since, w.deadline, w.redeem);
        let mut phone = lock(&self.shared).presented.pop_front();
        if phone.is_none() {
            if let Some((index, after)) = self.auto_present {
                let index = lock(&self.shared).auto_phone.unwrap_or(index);
                phone = (since.elapsed() >= after).then_some(index);
            }
        }
        if let Some(index) = phone {
            let issued_at = (self.clock)();
            let signed = match redeem {
                Some(mut shown) => {
                    if self.take_fault(|f| f == Fault::WrongRedeem).is_some() {
                        shown.points = shown.points.saturating_add(1);
                    }
                    lock(&self.shared)
                        .phones
                        .get_mut(index)
                        .map(|p| Message::RedeemR { token: p.issue_redeem(issued_at, shown) })
                }
                None => {
                    lock(&self.shared).phones.get_mut(index).map(|p| Message::Customer { token: p.issue(issued_at) })
                }
            };
            if let Some(answer) = signed {
                self.waiting = None;
                let wire = match &answer {
                    Message::RedeemR { token } => token.to_bytes().to_vec(),
                    Message::Customer { token } => token.to_bytes().to_vec(),
                    _ => Vec::new(),
                };
                lock(&self.shared).issued.push(wire);
                return self.respond(seq, &answer);
            }
        }
        if Instant::now() >= deadline {
            self.waiting = None;
            return self.error(seq, ErrorCode::TIMEOUT, "no phone was presented");
        }
        Ok(())
    }
}
