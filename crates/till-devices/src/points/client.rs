//! The till's side of till-points-v1: [`PointsTerminal`] drives a terminal over any
//! [`ByteLink`], with acknowledgements, resends, sessions and replay checks.

use super::frame::{self, FrameFault, FrameReceiver, RxEvent, ACK, NAK};
use super::message::{kind, Body, ErrorCode, Message, TerminalState};
use super::pairing::{verify_pair_proof, Pairing, PairingKey, TerminalId};
use super::session::{open_body, seal_body, SessionKey};
use super::simulator::SimulatorHandle;
use super::token::LoyaltyToken;
use crate::transport::ByteLink;
use crate::{Cancel, DeviceError};
use rand::RngCore;
use std::collections::VecDeque;
use std::time::{Duration, Instant};
use till_core::loyalty_token::{RedeemToken, Redemption};
use till_core::Money;

/// How long the driver waits, and how often it tries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timing {
    /// How long to wait for ACK before resending a frame.
    pub ack_timeout: Duration,
    /// How many times a frame is sent at most (the first send and two resends).
    pub tries: u8,
    /// The longest silence inside one incoming frame.
    pub inter_byte_gap: Duration,
    /// How long to wait for the answer to an acknowledged request (READ_CUSTOMER adds its own
    /// timeout to this).
    pub response_timeout: Duration,
}

impl Default for Timing {
    fn default() -> Self {
        Timing {
            ack_timeout: Duration::from_millis(500),
            tries: 3,
            inter_byte_gap: frame::INTER_BYTE_GAP,
            response_timeout: Duration::from_secs(2),
        }
    }
}

/// Who answered HELLO.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TerminalInfo {
    /// Its id.
    pub terminal_id: TerminalId,
    /// Its firmware version.
    pub firmware: String,
    /// Whether it holds a pairing key (not necessarily this till's).
    pub paired: bool,
}

/// What the till needs from a loyalty terminal; [`PointsTerminal`] implements it for real and
/// simulated terminals alike, and tests of the till may implement it with a fake.
pub trait LoyaltyTerminal: Send {
    /// The terminal's address, e.g. `serial:///dev/ttyUSB0?baud=115200`.
    fn address(&self) -> String;
    /// Starts a session and says who the terminal is.
    fn hello(&mut self) -> Result<TerminalInfo, DeviceError>;
    /// Gives the terminal a new pairing key (the installer holds its button meanwhile).
    fn pair(&mut self, key: PairingKey) -> Result<Pairing, DeviceError>;
    /// Shows `amount` and waits up to `timeout` for a phone, checking `cancel` every 50 ms.
    fn read_customer(&mut self, amount: Money, timeout: Duration, cancel: &Cancel)
        -> Result<LoyaltyToken, DeviceError>;
    /// Shows the redemption (its points, what they pay, its order) and waits up to `timeout`
    /// for the phone to sign exactly that: the version 2 token, checked to name `redemption`.
    fn redeem(
        &mut self,
        redemption: Redemption,
        value: Money,
        timeout: Duration,
        cancel: &Cancel,
    ) -> Result<RedeemToken, DeviceError>;
    /// Shows up to four lines of at most 64 bytes each.
    fn display(&mut self, lines: &[&str]) -> Result<(), DeviceError>;
    /// Stops a wait for a phone (harmless when none is running).
    fn cancel(&mut self) -> Result<(), DeviceError>;
    /// What the terminal is doing.
    fn status(&mut self) -> Result<TerminalState, DeviceError>;
    /// Hands an enrolment message to the simulator's phone, as a customer scanning the QR code
    /// on the screen would. A real terminal has no phone of its own: `Ok(false)`.
    fn simulated_phone_enrol(&mut self, _message: &str) -> Result<bool, DeviceError> {
        Ok(false)
    }
}

struct Session {
    key: Option<SessionKey>,
}

/// A points terminal driven over a byte link.
pub struct PointsTerminal {
    link: Box<dyn ByteLink>,
    address: String,
    rx: FrameReceiver,
    inbox: VecDeque<Vec<u8>>,
    pairing: Option<Pairing>,
    session: Option<Session>,
    info: Option<TerminalInfo>,
    next_seq: u16,
    last_in: Option<u16>,
    last_accepted: Option<Vec<u8>>,
    last_fault: Option<FrameFault>,
    rng: Box<dyn RngCore + Send>,
    timing: Timing,
    simulator: Option<SimulatorHandle>,
}

enum Awaited {
    Answer(Message),
    Cancelled,
}

impl PointsTerminal {
    /// A driver over `link`. `pairing` is what an earlier [`PointsTerminal::pair`] returned, or
    /// `None` for a terminal not yet paired; `rng` makes the nonces.
    pub fn new(
        link: Box<dyn ByteLink>,
        address: impl Into<String>,
        pairing: Option<Pairing>,
        rng: Box<dyn RngCore + Send>,
    ) -> Self {
        let timing = Timing::default();
        PointsTerminal {
            link,
            address: address.into(),
            rx: FrameReceiver::new(timing.inter_byte_gap),
            inbox: VecDeque::new(),
            pairing,
            session: None,
            info: None,
            next_seq: 0,
            last_in: None,
            last_accepted: None,
            last_fault: None,
            rng,
            timing,
            simulator: None,
        }
    }

    /// The same driver with other timings.
    pub fn with_timing(mut self, timing: Timing) -> Self {
        self.rx = FrameReceiver::new(timing.inter_byte_gap);
        self.timing = timing;
        self
    }

    pub(crate) fn with_simulator(mut self, sim: SimulatorHandle) -> Self {
        self.simulator = Some(sim);
        self
    }

    /// The in-process simulator behind a `sim://points-terminal` address, to press its button
    /// or present a phone during development.
    pub fn simulator(&self) -> Option<&SimulatorHandle> {
        self.simulator.as_ref()
    }

    /// The pairing in use, if any.
    pub fn pairing(&self) -> Option<&Pairing> {
        self.pairing.as_ref()
    }

    /// What the terminal said in its last HELLO_R, even when that HELLO ended in an error.
    pub fn last_hello(&self) -> Option<&TerminalInfo> {
        self.info.as_ref()
    }

    /// Starts a session: HELLO, then, with a pairing, checks the terminal id and derives the
    /// session key.
    pub fn hello(&mut self) -> Result<TerminalInfo, DeviceError> {
        self.session = None;
        self.last_in = None;
        self.next_seq = 0;
        let mut pos_nonce = [0u8; 16];
        self.rng.fill_bytes(&mut pos_nonce);
        let deadline = self.timing.response_timeout;
        let Awaited::Answer(answer) = self.exchange(&Message::Hello { pos_nonce }, kind::HELLO_R, deadline, None)?
        else {
            return Err(DeviceError::Cancelled);
        };
        let Message::HelloR { terminal_id, firmware, term_nonce, paired } = answer else {
            return Err(unexpected("HELLO_R"));
        };
        let info = TerminalInfo { terminal_id, firmware, paired };
        self.info = Some(info.clone());
        let key = match &self.pairing {
            None => None,
            Some(p) if p.terminal_id != terminal_id => {
                return Err(DeviceError::PointsRepairNeeded { terminal_id: terminal_id.to_string() })
            }
            Some(_) if !paired => return Err(DeviceError::PointsNotPaired),
            Some(p) => Some(SessionKey::derive(&p.key, &pos_nonce, &term_nonce)),
        };
        self.session = Some(Session { key });
        Ok(info)
    }

    /// Gives the terminal `key` while its pairing button is held, checks its proof, and returns
    /// the pairing for the till to store (encrypted). The old pairing stays if this fails.
    pub fn pair(&mut self, key: PairingKey) -> Result<Pairing, DeviceError> {
        let old = self.pairing.take();
        let result = self.pair_inner(key);
        // Whatever happened, the terminal's session (if any) no longer matches our key.
        self.session = None;
        match result {
            Ok(p) => {
                self.pairing = Some(p.clone());
                Ok(p)
            }
            Err(e) => {
                self.pairing = old;
                Err(e)
            }
        }
    }

    fn pair_inner(&mut self, key: PairingKey) -> Result<Pairing, DeviceError> {
        let info = self.hello()?;
        let deadline = self.timing.response_timeout;
        let Awaited::Answer(answer) =
            self.exchange(&Message::Pair { key: key.clone() }, kind::PAIR_R, deadline, None)?
        else {
            return Err(DeviceError::Cancelled);
        };
        // The terminal's session ended with the new key; the next request starts another.
        self.session = None;
        let Message::PairR { proof } = answer else { return Err(unexpected("PAIR_R")) };
        if !verify_pair_proof(&key, &info.terminal_id, &proof) {
            return Err(DeviceError::PointsAuthFailed);
        }
        Ok(Pairing { terminal_id: info.terminal_id, key })
    }

    /// Shows `amount` on the terminal and waits up to `timeout` (1..=255 s) for a phone.
    /// Cancelling sends CANCEL and returns [`DeviceError::Cancelled`].
    pub fn read_customer(
        &mut self,
        amount: Money,
        timeout: Duration,
        cancel: &Cancel,
    ) -> Result<LoyaltyToken, DeviceError> {
        let timeout_s = timeout.as_secs().clamp(1, 255) as u8;
        let msg = Message::ReadCustomer {
            amount_minor: amount.minor(),
            currency: amount.currency().code().to_string(),
            timeout_s,
        };
        let wait = Duration::from_secs(u64::from(timeout_s)) + self.timing.response_timeout;
        match self.request(&msg, kind::CUSTOMER, wait, Some(cancel)) {
            Ok(Message::Customer { token }) => Ok(token),
            Ok(_) => Err(unexpected("CUSTOMER")),
            Err(DeviceError::PointsNoAnswer(_)) => Err(DeviceError::PointsTimeout),
            Err(e) => Err(e),
        }
    }

    /// Shows `redemption` on the terminal ("redeem N points, worth `value`, for order X") and
    /// waits up to `timeout` (1..=255 s) for the phone to sign it. A token that names other
    /// points or another order is [`DeviceError::PointsRedemptionMismatch`]: the till never
    /// forwards a redemption the customer did not see. A terminal whose firmware predates
    /// REDEEM cannot have redemptions signed ([`DeviceError::Unsupported`]).
    pub fn redeem(
        &mut self,
        redemption: Redemption,
        value: Money,
        timeout: Duration,
        cancel: &Cancel,
    ) -> Result<RedeemToken, DeviceError> {
        let timeout_s = timeout.as_secs().clamp(1, 255) as u8;
        let msg = Message::Redeem {
            redemption,
            value_minor: value.minor(),
            currency: value.currency().code().to_string(),
            timeout_s,
        };
        msg.payload()?;
        let wait = Duration::from_secs(u64::from(timeout_s)) + self.timing.response_timeout;
        match self.request(&msg, kind::REDEEM_R, wait, Some(cancel)) {
            Ok(Message::RedeemR { token }) if token.covers(&redemption) => Ok(token),
            Ok(Message::RedeemR { .. }) => Err(DeviceError::PointsRedemptionMismatch),
            Ok(_) => Err(unexpected("REDEEM_R")),
            Err(DeviceError::PointsNoAnswer(_)) => Err(DeviceError::PointsTimeout),
            Err(DeviceError::PointsTerminalError { code, .. }) if code == ErrorCode::UNKNOWN_TYPE.0 => {
                Err(DeviceError::Unsupported(
                    "this points terminal cannot have redemptions signed (its firmware predates REDEEM); update it"
                        .into(),
                ))
            }
            Err(e) => Err(e),
        }
    }

    /// Shows up to four lines (at most 64 bytes of UTF-8 each).
    pub fn display(&mut self, lines: &[&str]) -> Result<(), DeviceError> {
        let msg = Message::Display { lines: lines.iter().map(|l| l.to_string()).collect() };
        msg.payload()?;
        self.request(&msg, kind::DISPLAY_R, self.timing.response_timeout, None).map(|_| ())
    }

    /// Tells the terminal to stop waiting for a phone.
    pub fn cancel(&mut self) -> Result<(), DeviceError> {
        self.request(&Message::Cancel, kind::CANCEL_R, self.timing.response_timeout, None).map(|_| ())
    }

    /// Asks what the terminal is doing.
    pub fn status(&mut self) -> Result<TerminalState, DeviceError> {
        match self.request(&Message::Status, kind::STATUS_R, self.timing.response_timeout, None)? {
            Message::StatusR { state } => Ok(state),
            _ => Err(unexpected("STATUS_R")),
        }
    }

    /// A data request in the session, starting one first if needed. A terminal that answers
    /// NO_SESSION (it restarted, or was swapped) gets one fresh HELLO and the request again.
    fn request(
        &mut self,
        msg: &Message,
        expect: u8,
        wait: Duration,
        cancel: Option<&Cancel>,
    ) -> Result<Message, DeviceError> {
        if self.pairing.is_none() {
            return Err(DeviceError::PointsNotPaired);
        }
        let mut rehello = true;
        loop {
            if self.session.is_none() || self.next_seq == u16::MAX {
                self.hello()?;
            }
            match self.exchange(msg, expect, wait, cancel) {
                Ok(Awaited::Answer(m)) => return Ok(m),
                Ok(Awaited::Cancelled) => return Err(DeviceError::Cancelled),
                Err(DeviceError::PointsTerminalError { code, .. }) if code == ErrorCode::NO_SESSION.0 && rehello => {
                    rehello = false;
                    self.session = None;
                }
                Err(e) => return Err(e),
            }
        }
    }

    /// Sends one request and waits for its answer.
    fn exchange(
        &mut self,
        msg: &Message,
        expect: u8,
        wait: Duration,
        cancel: Option<&Cancel>,
    ) -> Result<Awaited, DeviceError> {
        let seq = self.take_seq();
        self.send_message(msg, seq)?;
        let answer = self.await_answer(seq, expect, Instant::now() + wait, cancel)?;
        if let Awaited::Cancelled = answer {
            self.abort_read(seq, expect)?;
        }
        Ok(answer)
    }

    /// The cashier cancelled a READ_CUSTOMER or a REDEEM: CANCEL, then the terminal answers the
    /// wait (ERROR CANCELLED, or the token if a phone came first, discarded) and then the CANCEL.
    fn abort_read(&mut self, read_seq: u16, expect: u8) -> Result<(), DeviceError> {
        let seq = self.take_seq();
        self.send_message(&Message::Cancel, seq)?;
        let deadline = Instant::now() + self.timing.response_timeout;
        match self.await_answer(read_seq, expect, deadline, None) {
            Ok(_) | Err(DeviceError::Cancelled) => {}
            Err(e) => return Err(e),
        }
        self.await_answer(seq, kind::CANCEL_R, deadline, None).map(|_| ())
    }

    fn take_seq(&mut self) -> u16 {
        let seq = self.next_seq;
        self.next_seq = self.next_seq.saturating_add(1);
        seq
    }

    fn send_message(&mut self, msg: &Message, seq: u16) -> Result<(), DeviceError> {
        let key = self.session.as_ref().and_then(|s| s.key.as_ref());
        let body = seal_body(msg, seq, key, self.rng.as_mut())?;
        let frame = frame::encode(&body)?;
        self.send_frame(&frame)
    }

    /// Sends a frame until it is acknowledged: at most `tries` sends, each followed by up to
    /// `ack_timeout` of waiting, a NAK cutting the wait short.
    fn send_frame(&mut self, frame: &[u8]) -> Result<(), DeviceError> {
        let mut detail = format!("no acknowledgement within {} ms", self.timing.ack_timeout.as_millis());
        for _ in 0..self.timing.tries {
            self.link.write_all(frame)?;
            let deadline = Instant::now() + self.timing.ack_timeout;
            'wait: loop {
                let left = deadline.saturating_duration_since(Instant::now());
                if left.is_zero() {
                    detail = format!("no acknowledgement within {} ms", self.timing.ack_timeout.as_millis());
                    break 'wait;
                }
                for event in self.fill(left.min(Duration::from_millis(50)))? {
                    match event {
                        RxEvent::Ack => return Ok(()),
                        RxEvent::Nak => {
                            detail = "it refused every try with NAK".into();
                            break 'wait;
                        }
                        _ => {}
                    }
                }
            }
        }
        Err(DeviceError::PointsNotResponding { tries: self.timing.tries, detail })
    }

    /// Reads what has arrived, acknowledging intact frames (kept in the inbox) and refusing
    /// broken ones; returns the ACK and NAK bytes seen.
    fn fill(&mut self, wait: Duration) -> Result<Vec<RxEvent>, DeviceError> {
        let events = self.rx.read_from(self.link.as_mut(), wait)?;
        let mut control = Vec::new();
        for event in events {
            match event {
                RxEvent::Frame(body) => {
                    self.link.write_all(&[ACK])?;
                    self.inbox.push_back(body);
                }
                RxEvent::Fault(fault) => {
                    self.link.write_all(&[NAK])?;
                    self.last_fault = Some(fault);
                }
                other => control.push(other),
            }
        }
        Ok(control)
    }

    fn await_answer(
        &mut self,
        seq: u16,
        expect: u8,
        deadline: Instant,
        cancel: Option<&Cancel>,
    ) -> Result<Awaited, DeviceError> {
        self.last_fault = None;
        loop {
            while let Some(bytes) = self.inbox.pop_front() {
                if let Some(m) = self.accept(&bytes, seq, expect)? {
                    return Ok(Awaited::Answer(m));
                }
            }
            if cancel.is_some_and(Cancel::is_cancelled) {
                return Ok(Awaited::Cancelled);
            }
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                // A terminal whose answers all arrived broken is reported by what broke them.
                return Err(match self.last_fault.take() {
                    Some(fault) => fault.into_error(),
                    None => DeviceError::PointsNoAnswer(self.timing.response_timeout.as_millis() as u64),
                });
            }
            self.fill(left.min(Duration::from_millis(50)))?;
        }
    }

    /// Checks an intact frame against the request awaited: `Ok(None)` drops it (a
    /// retransmission, or a late answer to a request given up on); a replayed or out-of-order
    /// SEQ, or a payload that fails authentication, ends the session with a security error.
    fn accept(&mut self, bytes: &[u8], seq: u16, expect: u8) -> Result<Option<Message>, DeviceError> {
        if self.last_accepted.as_deref() == Some(bytes) {
            return Ok(None);
        }
        let body = Body::parse(bytes)?;
        let replayed = self.last_in.is_some_and(|last| body.seq <= last);
        if replayed || body.seq > seq {
            self.session = None;
            return Err(DeviceError::PointsBadSequence { got: body.seq, expected: seq });
        }
        if body.seq < seq {
            return Ok(None);
        }
        let msg = if body.kind == kind::ERROR {
            Message::parse(kind::ERROR, &body.payload)?
        } else if body.kind != expect {
            return Err(DeviceError::PointsBadMessage {
                field: "response",
                reason: format!("TYPE {:#04x} where {expect:#04x} was due", body.kind),
            });
        } else {
            let key = self.session.as_ref().and_then(|s| s.key.as_ref());
            match open_body(&body, key) {
                Ok(m) => m,
                Err(e) => {
                    if e == DeviceError::PointsAuthFailed {
                        self.session = None;
                    }
                    return Err(e);
                }
            }
        };
        self.last_in = Some(body.seq);
        self.last_accepted = Some(bytes.to_vec());
        match msg {
            Message::Error { code, message } => Err(self.terminal_error(code, message)),
            m => Ok(Some(m)),
        }
    }

    fn terminal_error(&mut self, code: ErrorCode, message: String) -> DeviceError {
        match code {
            ErrorCode::NOT_PAIRED => DeviceError::PointsNotPaired,
            ErrorCode::PAIRING_REFUSED => DeviceError::PointsPairingRefused,
            ErrorCode::AUTH_FAILED => {
                self.session = None;
                DeviceError::PointsAuthFailed
            }
            ErrorCode::TIMEOUT => DeviceError::PointsTimeout,
            ErrorCode::CANCELLED => DeviceError::Cancelled,
            ErrorCode(code) => DeviceError::PointsTerminalError { code, message },
        }
    }
}

fn unexpected(what: &'static str) -> DeviceError {
    DeviceError::PointsBadMessage { field: what, reason: "another message came in its place".into() }
}

impl LoyaltyTerminal for PointsTerminal {
    fn address(&self) -> String {
        self.address.clone()
    }
    fn hello(&mut self) -> Result<TerminalInfo, DeviceError> {
        PointsTerminal::hello(self)
    }
    fn pair(&mut self, key: PairingKey) -> Result<Pairing, DeviceError> {
        PointsTerminal::pair(self, key)
    }
    fn read_customer(
        &mut self,
        amount: Money,
        timeout: Duration,
        cancel: &Cancel,
    ) -> Result<LoyaltyToken, DeviceError> {
        PointsTerminal::read_customer(self, amount, timeout, cancel)
    }
    fn redeem(
        &mut self,
        redemption: Redemption,
        value: Money,
        timeout: Duration,
        cancel: &Cancel,
    ) -> Result<RedeemToken, DeviceError> {
        PointsTerminal::redeem(self, redemption, value, timeout, cancel)
    }
    fn display(&mut self, lines: &[&str]) -> Result<(), DeviceError> {
        PointsTerminal::display(self, lines)
    }
    fn cancel(&mut self) -> Result<(), DeviceError> {
        PointsTerminal::cancel(self)
    }
    fn status(&mut self) -> Result<TerminalState, DeviceError> {
        PointsTerminal::status(self)
    }
    fn simulated_phone_enrol(&mut self, message: &str) -> Result<bool, DeviceError> {
        match self.simulator() {
            Some(sim) => sim.enrol_phone(message).map(|_| true),
            None => Ok(false),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::points::pipe::PipeLink;
    use proptest::prelude::*;
    use rand::rngs::StdRng;
    use rand::SeedableRng;

    fn quick() -> Timing {
        Timing {
            ack_timeout: Duration::from_millis(30),
            response_timeout: Duration::from_millis(30),
            ..Timing::default()
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]
        #[test]
        fn any_answer_in_an_intact_frame_is_an_error_or_an_answer_never_a_panic(
            body in proptest::collection::vec(any::<u8>(), 0..120),
            noise in proptest::collection::vec(any::<u8>(), 0..20),
        ) {
            let (mut terminal_end, pos_end) = PipeLink::pair("test");
            let pairing = Pairing { terminal_id: TerminalId::new("T").unwrap(), key: PairingKey::from_bytes([1; 32]) };
            let mut t = PointsTerminal::new(Box::new(pos_end), "test", Some(pairing), Box::new(StdRng::seed_from_u64(1)))
                .with_timing(quick());
            let mut script = vec![ACK];
            script.extend_from_slice(&noise);
            script.extend_from_slice(&frame::encode(&body).unwrap());
            terminal_end.write_all(&script).unwrap();
            let _ = t.hello();
            let _ = t.status();
        }
    }

    #[test]
    fn a_till_without_a_pairing_sends_nothing_sealed() {
        let (mut terminal_end, pos_end) = PipeLink::pair("test");
        let mut t = PointsTerminal::new(Box::new(pos_end), "test", None, Box::new(StdRng::seed_from_u64(1)));
        assert_eq!(t.status(), Err(DeviceError::PointsNotPaired));
        let mut buf = [0u8; 8];
        assert_eq!(terminal_end.read(&mut buf, Duration::from_millis(20)).unwrap(), 0);
    }
}
