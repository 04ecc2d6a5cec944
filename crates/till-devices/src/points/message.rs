//! Message bodies: `VER | SEQ u16 BE | TYPE | PAYLOAD`, and the typed messages carried in the
//! payload. Parsing takes any bytes and returns a typed error, never a panic.

use super::pairing::{PairingKey, TerminalId};
use super::token::LoyaltyToken;
use crate::DeviceError;
use till_core::loyalty_token::{RedeemToken, Redemption, MAX_POINTS};

/// The protocol version this driver speaks.
pub const VERSION: u8 = 0x01;
/// The most lines DISPLAY may carry.
pub const MAX_DISPLAY_LINES: usize = 4;
/// The longest DISPLAY line, in bytes of UTF-8.
pub const MAX_DISPLAY_LINE: usize = 64;

/// Message TYPE values. A response has its request's TYPE with bit 7 set.
pub mod kind {
    /// POS -> terminal: start a session.
    pub const HELLO: u8 = 0x01;
    /// POS -> terminal: take a new pairing key.
    pub const PAIR: u8 = 0x02;
    /// POS -> terminal: wait for a phone, showing the amount.
    pub const READ_CUSTOMER: u8 = 0x10;
    /// POS -> terminal: show text.
    pub const DISPLAY: u8 = 0x11;
    /// POS -> terminal: stop waiting for a phone.
    pub const CANCEL: u8 = 0x12;
    /// POS -> terminal: what are you doing?
    pub const STATUS: u8 = 0x13;
    /// POS -> terminal: show a redemption and have the phone sign it.
    pub const REDEEM: u8 = 0x14;
    /// Terminal -> POS: the request failed.
    pub const ERROR: u8 = 0x7F;
    /// Bit 7 marks a response.
    pub const RESPONSE: u8 = 0x80;
    /// Answer to HELLO.
    pub const HELLO_R: u8 = HELLO | RESPONSE;
    /// Answer to PAIR.
    pub const PAIR_R: u8 = PAIR | RESPONSE;
    /// Answer to READ_CUSTOMER: the token.
    pub const CUSTOMER: u8 = READ_CUSTOMER | RESPONSE;
    /// Answer to DISPLAY.
    pub const DISPLAY_R: u8 = DISPLAY | RESPONSE;
    /// Answer to CANCEL.
    pub const CANCEL_R: u8 = CANCEL | RESPONSE;
    /// Answer to STATUS.
    pub const STATUS_R: u8 = STATUS | RESPONSE;
    /// Answer to REDEEM: the redemption token.
    pub const REDEEM_R: u8 = REDEEM | RESPONSE;

    /// Whether messages of this TYPE carry an AES-256-GCM sealed payload.
    pub fn is_encrypted(kind: u8) -> bool {
        matches!(kind & !RESPONSE, 0x10..=0x14) && kind != super::kind::ERROR
    }
}

fn bad(field: &'static str, reason: impl Into<String>) -> DeviceError {
    DeviceError::PointsBadMessage { field, reason: reason.into() }
}

/// A message body with its payload still as bytes (sealed or not).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Body {
    /// Sequence number: requests count up within a session, responses echo theirs.
    pub seq: u16,
    /// Message TYPE.
    pub kind: u8,
    /// PAYLOAD as it travels.
    pub payload: Vec<u8>,
}

impl Body {
    /// `VER | SEQ | TYPE | PAYLOAD`.
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(4 + self.payload.len());
        out.extend_from_slice(&self.aad());
        out.extend_from_slice(&self.payload);
        out
    }

    /// Splits a frame's BODY; refuses another version or a body under 4 bytes.
    pub fn parse(bytes: &[u8]) -> Result<Self, DeviceError> {
        let [ver, s1, s2, kind, payload @ ..] = bytes else {
            return Err(bad("body", format!("{} bytes, under the 4-byte header", bytes.len())));
        };
        if *ver != VERSION {
            return Err(bad("body", format!("protocol version {ver} (this till speaks {VERSION})")));
        }
        Ok(Body { seq: u16::from_be_bytes([*s1, *s2]), kind: *kind, payload: payload.to_vec() })
    }

    /// `VER || SEQ || TYPE`: the additional authenticated data of a sealed payload.
    pub fn aad(&self) -> [u8; 4] {
        let s = self.seq.to_be_bytes();
        [VERSION, s[0], s[1], self.kind]
    }
}

/// What the terminal is doing, from STATUS_R.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TerminalState {
    /// Nothing asked of it.
    Idle,
    /// Waiting for a phone after READ_CUSTOMER.
    Waiting,
    /// Its pairing button is held.
    Pairing,
}

impl TerminalState {
    /// The wire byte.
    pub fn code(self) -> u8 {
        match self {
            TerminalState::Idle => 0,
            TerminalState::Waiting => 1,
            TerminalState::Pairing => 2,
        }
    }

    /// A lower-case name, for output.
    pub fn name(self) -> &'static str {
        match self {
            TerminalState::Idle => "idle",
            TerminalState::Waiting => "waiting",
            TerminalState::Pairing => "pairing",
        }
    }
}

/// ERROR codes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ErrorCode(pub u8);

impl ErrorCode {
    /// An encrypted request arrived but the terminal holds no pairing key.
    pub const NOT_PAIRED: ErrorCode = ErrorCode(0x01);
    /// PAIR arrived while the pairing button was not held.
    pub const PAIRING_REFUSED: ErrorCode = ErrorCode(0x02);
    /// An encrypted request arrived before HELLO (the terminal restarted or was swapped).
    pub const NO_SESSION: ErrorCode = ErrorCode(0x03);
    /// A sealed payload failed authentication.
    pub const AUTH_FAILED: ErrorCode = ErrorCode(0x04);
    /// A request's SEQ was not greater than the last accepted one.
    pub const REPLAY: ErrorCode = ErrorCode(0x05);
    /// READ_CUSTOMER while already waiting for a phone.
    pub const BUSY: ErrorCode = ErrorCode(0x06);
    /// No phone was presented in time.
    pub const TIMEOUT: ErrorCode = ErrorCode(0x07);
    /// READ_CUSTOMER ended by CANCEL.
    pub const CANCELLED: ErrorCode = ErrorCode(0x08);
    /// A request the terminal could not parse.
    pub const BAD_MESSAGE: ErrorCode = ErrorCode(0x09);
    /// A TYPE the terminal does not know.
    pub const UNKNOWN_TYPE: ErrorCode = ErrorCode(0x0A);
}

/// A till-points-v1 message, its payload decoded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Message {
    /// Start a session.
    Hello {
        /// The till's 16 random bytes for this session.
        pos_nonce: [u8; 16],
    },
    /// Who the terminal is.
    HelloR {
        /// Its id.
        terminal_id: TerminalId,
        /// Its firmware version, 8 ASCII characters (trailing spaces dropped).
        firmware: String,
        /// The terminal's 16 random bytes for this session.
        term_nonce: [u8; 16],
        /// Whether it holds a pairing key.
        paired: bool,
    },
    /// A new pairing key, sent in clear while the installer holds the button.
    Pair {
        /// K.
        key: PairingKey,
    },
    /// HMAC-SHA256(K, "till-pair" || terminal_id).
    PairR {
        /// The proof.
        proof: [u8; 32],
    },
    /// Wait for a phone.
    ReadCustomer {
        /// Amount in minor units.
        amount_minor: i64,
        /// ISO 4217 code, three upper-case letters.
        currency: String,
        /// How long to wait, in seconds (1..=255).
        timeout_s: u8,
    },
    /// The phone's token.
    Customer {
        /// The token.
        token: LoyaltyToken,
    },
    /// Show up to four lines.
    Display {
        /// The lines.
        lines: Vec<String>,
    },
    /// DISPLAY done.
    DisplayR,
    /// Stop waiting for a phone.
    Cancel,
    /// CANCEL done.
    CancelR,
    /// Ask for the state.
    Status,
    /// The state.
    StatusR {
        /// The state.
        state: TerminalState,
    },
    /// Show "redeem N points (worth V) for order X" and wait for the phone to sign exactly that.
    Redeem {
        /// The points and the order; the phone's token must name these.
        redemption: Redemption,
        /// What the points pay, in minor units (shown, not signed).
        value_minor: i64,
        /// ISO 4217 code of the value, three upper-case letters.
        currency: String,
        /// How long to wait, in seconds (1..=255).
        timeout_s: u8,
    },
    /// The phone's redemption token (version 2).
    RedeemR {
        /// The token.
        token: RedeemToken,
    },
    /// The request failed.
    Error {
        /// Why, as a code.
        code: ErrorCode,
        /// Why, in words.
        message: String,
    },
}

fn fixed<const N: usize>(bytes: &[u8], at: usize, field: &'static str) -> Result<[u8; N], DeviceError> {
    bytes
        .get(at..at + N)
        .and_then(|s| s.try_into().ok())
        .ok_or_else(|| bad(field, format!("the payload ends before byte {}", at + N)))
}

fn exact(payload: &[u8], len: usize, field: &'static str) -> Result<(), DeviceError> {
    if payload.len() == len {
        Ok(())
    } else {
        Err(bad(field, format!("{} payload bytes where {len} are due", payload.len())))
    }
}

impl Message {
    /// Its TYPE.
    pub fn kind(&self) -> u8 {
        match self {
            Message::Hello { .. } => kind::HELLO,
            Message::HelloR { .. } => kind::HELLO_R,
            Message::Pair { .. } => kind::PAIR,
            Message::PairR { .. } => kind::PAIR_R,
            Message::ReadCustomer { .. } => kind::READ_CUSTOMER,
            Message::Customer { .. } => kind::CUSTOMER,
            Message::Display { .. } => kind::DISPLAY,
            Message::DisplayR => kind::DISPLAY_R,
            Message::Cancel => kind::CANCEL,
            Message::CancelR => kind::CANCEL_R,
            Message::Status => kind::STATUS,
            Message::StatusR { .. } => kind::STATUS_R,
            Message::Redeem { .. } => kind::REDEEM,
            Message::RedeemR { .. } => kind::REDEEM_R,
            Message::Error { .. } => kind::ERROR,
        }
    }

    /// The clear payload; refuses values the wire cannot carry (too many or too long lines, a
    /// firmware or currency that is not ASCII of the right length).
    pub fn payload(&self) -> Result<Vec<u8>, DeviceError> {
        let mut out = Vec::new();
        match self {
            Message::Hello { pos_nonce } => out.extend_from_slice(pos_nonce),
            Message::HelloR { terminal_id, firmware, term_nonce, paired } => {
                if firmware.len() > 8 || !firmware.is_ascii() {
                    return Err(bad("HELLO_R firmware", "at most 8 ASCII characters"));
                }
                out.extend_from_slice(terminal_id.as_bytes());
                out.extend_from_slice(format!("{firmware:<8}").as_bytes());
                out.extend_from_slice(term_nonce);
                out.push(u8::from(*paired));
            }
            Message::Pair { key } => out.extend_from_slice(key.expose()),
            Message::PairR { proof } => out.extend_from_slice(proof),
            Message::ReadCustomer { amount_minor, currency, timeout_s } => {
                if currency.len() != 3 || !currency.bytes().all(|b| b.is_ascii_uppercase()) {
                    return Err(bad("READ_CUSTOMER currency", "three upper-case letters"));
                }
                out.extend_from_slice(&amount_minor.to_be_bytes());
                out.extend_from_slice(currency.as_bytes());
                out.push(*timeout_s);
            }
            Message::Customer { token } => out.extend_from_slice(&token.to_bytes()),
            Message::Redeem { redemption, value_minor, currency, timeout_s } => {
                if currency.len() != 3 || !currency.bytes().all(|b| b.is_ascii_uppercase()) {
                    return Err(bad("REDEEM currency", "three upper-case letters"));
                }
                if !(1..=MAX_POINTS).contains(&redemption.points) || *value_minor < 0 || *timeout_s == 0 {
                    return Err(bad("REDEEM", "1 to 1,000,000,000 points, a value not below zero, a timeout"));
                }
                out.extend_from_slice(&redemption.points.to_be_bytes());
                out.extend_from_slice(&value_minor.to_be_bytes());
                out.extend_from_slice(currency.as_bytes());
                out.extend_from_slice(&redemption.order_ref);
                out.push(*timeout_s);
            }
            Message::RedeemR { token } => out.extend_from_slice(&token.to_bytes()),
            Message::Display { lines } => {
                if lines.len() > MAX_DISPLAY_LINES {
                    return Err(bad("DISPLAY", format!("{} lines, over {MAX_DISPLAY_LINES}", lines.len())));
                }
                for line in lines {
                    if line.len() > MAX_DISPLAY_LINE {
                        return Err(bad("DISPLAY", format!("a line of {} bytes, over {MAX_DISPLAY_LINE}", line.len())));
                    }
                    out.push(line.len() as u8);
                    out.extend_from_slice(line.as_bytes());
                }
            }
            Message::DisplayR | Message::Cancel | Message::CancelR | Message::Status => {}
            Message::StatusR { state } => out.push(state.code()),
            Message::Error { code, message } => {
                out.push(code.0);
                // Cut on a character boundary so the message always fits a frame.
                let mut end = message.len().min(255);
                while !message.is_char_boundary(end) {
                    end -= 1;
                }
                out.extend_from_slice(&message.as_bytes()[..end]);
            }
        }
        Ok(out)
    }

    /// Reads the clear payload of a message of TYPE `kind`.
    pub fn parse(kind: u8, p: &[u8]) -> Result<Self, DeviceError> {
        Ok(match kind {
            kind::HELLO => {
                exact(p, 16, "HELLO")?;
                Message::Hello { pos_nonce: fixed(p, 0, "HELLO pos_nonce")? }
            }
            kind::HELLO_R => {
                exact(p, 41, "HELLO_R")?;
                let terminal_id = TerminalId::from_wire(fixed(p, 0, "HELLO_R terminal id")?)?;
                let fw: [u8; 8] = fixed(p, 16, "HELLO_R firmware")?;
                if !fw.iter().all(|b| (0x20..0x7F).contains(b)) {
                    return Err(bad("HELLO_R firmware", "not printable ASCII"));
                }
                let firmware = String::from_utf8_lossy(&fw).trim_end().to_string();
                let paired = match p[40] {
                    0 => false,
                    1 => true,
                    other => return Err(bad("HELLO_R paired", format!("{other} is neither 0 nor 1"))),
                };
                Message::HelloR { terminal_id, firmware, term_nonce: fixed(p, 24, "HELLO_R term_nonce")?, paired }
            }
            kind::PAIR => {
                exact(p, 32, "PAIR")?;
                Message::Pair { key: PairingKey::from_bytes(fixed(p, 0, "PAIR key")?) }
            }
            kind::PAIR_R => {
                exact(p, 32, "PAIR_R")?;
                Message::PairR { proof: fixed(p, 0, "PAIR_R proof")? }
            }
            kind::READ_CUSTOMER => {
                exact(p, 12, "READ_CUSTOMER")?;
                let cur: [u8; 3] = fixed(p, 8, "READ_CUSTOMER currency")?;
                if !cur.iter().all(u8::is_ascii_uppercase) {
                    return Err(bad("READ_CUSTOMER currency", "not three upper-case letters"));
                }
                if p[11] == 0 {
                    return Err(bad("READ_CUSTOMER timeout", "zero seconds"));
                }
                Message::ReadCustomer {
                    amount_minor: i64::from_be_bytes(fixed(p, 0, "READ_CUSTOMER amount")?),
                    currency: String::from_utf8_lossy(&cur).into_owned(),
                    timeout_s: p[11],
                }
            }
            kind::CUSTOMER => Message::Customer { token: LoyaltyToken::parse(p)? },
            kind::REDEEM => {
                exact(p, 32, "REDEEM")?;
                let points = u32::from_be_bytes(fixed(p, 0, "REDEEM points")?);
                if !(1..=MAX_POINTS).contains(&points) {
                    return Err(bad("REDEEM points", format!("{points} is not 1 to {MAX_POINTS}")));
                }
                let value_minor = i64::from_be_bytes(fixed(p, 4, "REDEEM value")?);
                if value_minor < 0 {
                    return Err(bad("REDEEM value", "below zero"));
                }
                let cur: [u8; 3] = fixed(p, 12, "REDEEM currency")?;
                if !cur.iter().all(u8::is_ascii_uppercase) {
                    return Err(bad("REDEEM currency", "not three upper-case letters"));
                }
                if p[31] == 0 {
                    return Err(bad("REDEEM timeout", "zero seconds"));
                }
                Message::Redeem {
                    redemption: Redemption { points, order_ref: fixed(p, 15, "REDEEM order")? },
                    value_minor,
                    currency: String::from_utf8_lossy(&cur).into_owned(),
                    timeout_s: p[31],
                }
            }
            kind::REDEEM_R => {
                Message::RedeemR { token: RedeemToken::parse(p).map_err(|e| bad("REDEEM_R", e.to_string()))? }
            }
            kind::DISPLAY => {
                let mut lines = Vec::new();
                let mut rest = p;
                while let [len, tail @ ..] = rest {
                    let len = usize::from(*len);
                    if lines.len() == MAX_DISPLAY_LINES {
                        return Err(bad("DISPLAY", format!("more than {MAX_DISPLAY_LINES} lines")));
                    }
                    if len > MAX_DISPLAY_LINE {
                        return Err(bad("DISPLAY", format!("a line of {len} bytes, over {MAX_DISPLAY_LINE}")));
                    }
                    let line = tail.get(..len).ok_or_else(|| bad("DISPLAY", "a line runs past the payload"))?;
                    let line = std::str::from_utf8(line).map_err(|_| bad("DISPLAY", "a line is not UTF-8"))?;
                    lines.push(line.to_string());
                    rest = &tail[len..];
                }
                Message::Display { lines }
            }
            kind::DISPLAY_R => exact(p, 0, "DISPLAY_R").map(|()| Message::DisplayR)?,
            kind::CANCEL => exact(p, 0, "CANCEL").map(|()| Message::Cancel)?,
            kind::CANCEL_R => exact(p, 0, "CANCEL_R").map(|()| Message::CancelR)?,
            kind::STATUS => exact(p, 0, "STATUS").map(|()| Message::Status)?,
            kind::STATUS_R => {
                exact(p, 1, "STATUS_R")?;
                let state = match p[0] {
                    0 => TerminalState::Idle,
                    1 => TerminalState::Waiting,
                    2 => TerminalState::Pairing,
                    other => return Err(bad("STATUS_R", format!("unknown state {other}"))),
                };
                Message::StatusR { state }
            }
            kind::ERROR => {
                let [code, text @ ..] = p else { return Err(bad("ERROR", "no error code")) };
                let message = std::str::from_utf8(text).map_err(|_| bad("ERROR", "the message is not UTF-8"))?;
                Message::Error { code: ErrorCode(*code), message: message.to_string() }
            }
            other => return Err(bad("message", format!("unknown TYPE {other:#04x}"))),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn all_messages() -> Vec<Message> {
        vec![
            Message::Hello { pos_nonce: [1; 16] },
            Message::HelloR {
                terminal_id: TerminalId::new("PT-0001").unwrap(),
                firmware: "1.2.3".into(),
                term_nonce: [2; 16],
                paired: true,
            },
            Message::Pair { key: PairingKey::from_bytes([3; 32]) },
            Message::PairR { proof: [4; 32] },
            Message::ReadCustomer { amount_minor: -1234, currency: "CNY".into(), timeout_s: 30 },
            Message::Customer {
                token: LoyaltyToken { account_id: [5; 16], counter: 9, issued_at: 1_800_000_000, mac: [6; 16] },
            },
            Message::Display { lines: vec!["Total 12.34".into(), "积分 +12".into(), String::new()] },
            Message::DisplayR,
            Message::Cancel,
            Message::CancelR,
            Message::Status,
            Message::StatusR { state: TerminalState::Waiting },
            Message::Redeem {
                redemption: Redemption { points: 100, order_ref: [0xC4; 16] },
                value_minor: 100,
                currency: "CNY".into(),
                timeout_s: 60,
            },
            Message::RedeemR {
                token: RedeemToken::sign(
                    &[7; 32],
                    [5; 16],
                    10,
                    1_800_000_000,
                    Redemption { points: 100, order_ref: [0xC4; 16] },
                ),
            },
            Message::Error { code: ErrorCode::TIMEOUT, message: "no phone".into() },
        ]
    }

    #[test]
    fn every_message_round_trips() {
        for m in all_messages() {
            let payload = m.payload().unwrap();
            assert_eq!(Message::parse(m.kind(), &payload).unwrap(), m, "{m:?}");
        }
    }

    #[test]
    fn payload_layouts_are_byte_exact() {
        let rc = Message::ReadCustomer { amount_minor: 1250, currency: "EUR".into(), timeout_s: 60 };
        assert_eq!(rc.payload().unwrap(), [0, 0, 0, 0, 0, 0, 0x04, 0xE2, b'E', b'U', b'R', 60]);
        let r = Message::Redeem {
            redemption: Redemption { points: 0x0102_0304, order_ref: [0xAB; 16] },
            value_minor: 1250,
            currency: "EUR".into(),
            timeout_s: 60,
        };
        let p = r.payload().unwrap();
        assert_eq!(&p[..12], [1, 2, 3, 4, 0, 0, 0, 0, 0, 0, 0x04, 0xE2]);
        assert_eq!(&p[12..15], b"EUR");
        assert_eq!(&p[15..31], &[0xAB; 16]);
        assert_eq!(p[31], 60);
        let d = Message::Display { lines: vec!["Hi".into(), "".into()] };
        assert_eq!(d.payload().unwrap(), [2, b'H', b'i', 0]);
        let e = Message::Error { code: ErrorCode::BUSY, message: "busy".into() };
        assert_eq!(e.payload().unwrap(), [0x06, b'b', b'u', b's', b'y']);
        let h = Message::HelloR {
            terminal_id: TerminalId::new("T1").unwrap(),
            firmware: "fw".into(),
            term_nonce: [0xAB; 16],
            paired: false,
        };
        let p = h.payload().unwrap();
        assert_eq!(&p[..16], b"T1              ");
        assert_eq!(&p[16..24], b"fw      ");
        assert_eq!(&p[24..40], &[0xAB; 16]);
        assert_eq!(p[40], 0);
        let body = Body { seq: 0x0102, kind: kind::STATUS, payload: vec![] };
        assert_eq!(body.encode(), [0x01, 0x01, 0x02, 0x13]);
        assert_eq!(Body::parse(&body.encode()).unwrap(), body);
    }

    #[test]
    fn malformed_payloads_are_refused_with_a_reason() {
        assert!(Message::parse(kind::HELLO, &[0; 15]).is_err());
        assert!(Message::parse(kind::HELLO_R, &[b'A'; 41]).is_err(), "paired byte 0x41");
        assert!(Message::parse(kind::READ_CUSTOMER, &[0, 0, 0, 0, 0, 0, 0, 1, b'e', b'u', b'r', 5]).is_err());
        assert!(Message::parse(kind::READ_CUSTOMER, &[0, 0, 0, 0, 0, 0, 0, 1, b'E', b'U', b'R', 0]).is_err());
        assert!(Message::parse(kind::DISPLAY, &[5, b'a']).is_err());
        assert!(Message::parse(kind::DISPLAY, &[1, 0xFF]).is_err());
        assert!(Message::parse(kind::DISPLAY, &[0, 0, 0, 0, 0]).is_err(), "five lines");
        assert!(Message::parse(kind::STATUS_R, &[3]).is_err());
        let redeem = |points: u32, value: i64, cur: &[u8; 3], timeout: u8| {
            let mut p = points.to_be_bytes().to_vec();
            p.extend_from_slice(&value.to_be_bytes());
            p.extend_from_slice(cur);
            p.extend_from_slice(&[1; 16]);
            p.push(timeout);
            p
        };
        assert!(Message::parse(kind::REDEEM, &redeem(100, 100, b"CNY", 30)).is_ok());
        assert!(Message::parse(kind::REDEEM, &redeem(0, 100, b"CNY", 30)).is_err(), "no points");
        assert!(Message::parse(kind::REDEEM, &redeem(1_000_000_001, 100, b"CNY", 30)).is_err());
        assert!(Message::parse(kind::REDEEM, &redeem(100, -1, b"CNY", 30)).is_err());
        assert!(Message::parse(kind::REDEEM, &redeem(100, 100, b"cny", 30)).is_err());
        assert!(Message::parse(kind::REDEEM, &redeem(100, 100, b"CNY", 0)).is_err());
        assert!(Message::parse(kind::REDEEM, &redeem(100, 100, b"CNY", 30)[..31]).is_err());
        assert!(Message::parse(kind::REDEEM_R, &[0; 44]).is_err(), "an identify token is not a redemption");
        assert!(Message::parse(kind::STATUS, &[0]).is_err());
        assert!(Message::parse(kind::ERROR, &[]).is_err());
        assert!(Message::parse(0x55, &[]).is_err());
        assert!(Body::parse(&[0x02, 0, 1, 0x13]).is_err(), "version 2");
        assert!(Body::parse(&[0x01, 0, 1]).is_err());
        assert!(Message::Display { lines: vec!["x".repeat(65)] }.payload().is_err());
        assert!(Message::Display { lines: vec![String::new(); 5] }.payload().is_err());
    }

    #[test]
    fn only_data_messages_are_encrypted() {
        let sealed: Vec<u8> = (0..=255u8).filter(|&k| kind::is_encrypted(k)).collect();
        assert_eq!(sealed, vec![0x10, 0x11, 0x12, 0x13, 0x14, 0x90, 0x91, 0x92, 0x93, 0x94]);
    }

    proptest! {
        #[test]
        fn any_bytes_to_any_parser_never_panic(k in any::<u8>(), bytes in proptest::collection::vec(any::<u8>(), 0..300)) {
            let _ = Message::parse(k, &bytes);
            let _ = Body::parse(&bytes);
        }

        #[test]
        fn every_known_type_rejects_or_round_trips(bytes in proptest::collection::vec(any::<u8>(), 0..80)) {
            for k in [0x01, 0x02, 0x10, 0x11, 0x12, 0x13, 0x14, 0x7F, 0x81, 0x82, 0x90, 0x91, 0x92, 0x93, 0x94] {
                if let Ok(m) = Message::parse(k, &bytes) {
                    prop_assert_eq!(Message::parse(k, &m.payload().unwrap()).unwrap(), m);
                }
            }
        }
    }
}
