//! The simulated terminal itself: the loop on its own thread that reads frames from the till,
//! answers them as till-points-v1 says (pairing, sessions, READ_CUSTOMER, REDEEM), presents
//! phones, and applies the faults the handle injects.

use super::*;

pub(super) struct SimSession {
    key: Option<SessionKey>,
    last_seq: u16,
}

pub(super) struct Waiting {
    seq: u16,
    since: Instant,
    deadline: Instant,
    /// The redemption shown, for a REDEEM; `None` for a READ_CUSTOMER.
    redeem: Option<Redemption>,
}

pub(super) struct Terminal {
    pub(super) link: Box<dyn ByteLink>,
    pub(super) rx: FrameReceiver,
    pub(super) shared: Arc<Mutex<Shared>>,
    pub(super) firmware: String,
    pub(super) clock: Box<dyn Fn() -> u64 + Send>,
    pub(super) rng: Box<dyn RngCore + Send>,
    pub(super) auto_present: Option<(usize, Duration)>,
    pub(super) session: Option<SimSession>,
    pub(super) last_accepted: Option<Vec<u8>>,
    pub(super) waiting: Option<Waiting>,
    pub(super) backlog: VecDeque<Vec<u8>>,
    /// Answers sent in this session, for the replay fault.
    pub(super) sent: Vec<Vec<u8>>,
}

impl Terminal {
    /// Runs until stopped, unplugged or disconnected (the error ends the thread).
    pub(super) fn run(&mut self) -> Result<(), DeviceError> {
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
