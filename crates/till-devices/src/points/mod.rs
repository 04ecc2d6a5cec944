//! The loyalty points terminal and its protocol, till-points-v1 (normative text:
//! `docs/protocols/points-terminal.md`).
//!
//! The till drives a terminal with a [`PointsTerminal`], over a serial port or over an
//! in-process simulator; both come from [`open`]:
//!
//! ```no_run
//! use std::time::Duration;
//! use till_core::{Currency, Money};
//! use till_devices::points::{self, PairingKey};
//! use till_devices::Cancel;
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! // Installer screen, "Pair": the installer holds the terminal's button meanwhile.
//! let mut t = points::open("serial:///dev/ttyUSB0?baud=115200", None)?;
//! let pairing = t.pair(PairingKey::generate(&mut rand::rngs::OsRng))?;
//! // Store pairing.terminal_id and pairing.key (encrypted) in the device settings.
//!
//! // At the counter, "Customer": open with the stored pairing and ask for a phone.
//! let mut t = points::open("serial:///dev/ttyUSB0?baud=115200", Some(pairing))?;
//! let cancel = Cancel::new(); // cancel.cancel() from the UI thread stops the wait
//! let amount = Money::new(1250, Currency::parse("CNY")?);
//! let token = t.read_customer(amount, Duration::from_secs(30), &cancel)?;
//! // Forward token.to_bytes() to the points server, which checks it.
//! t.display(&["Thank you", "+12 points"])?;
//! # Ok(()) }
//! ```
//!
//! Addresses:
//! - `serial:///dev/ttyUSB0?baud=115200&parity=none`: a real terminal (default 115200 baud, no
//!   parity; installers use 9600..=115200).
//! - `sim://points-terminal?pairing_button=held&auto_present_ms=1500&phone=0`: a simulator in
//!   this process over an in-memory link; all parameters optional, these are the defaults
//!   (see [`SimConfig::from_address`]). [`PointsTerminal::simulator`] returns its handle.
//!
//! Calls block (`read_customer` until a phone, its timeout or the [`Cancel`](crate::Cancel) flag),
//! so run them on a worker thread; a `PointsTerminal` is `Send`, one caller at a time. Tests and
//! fakes can program against the [`LoyaltyTerminal`] trait instead.
//!
//! Every call returns a [`DeviceError`] whose message says what to do. The ones the app should
//! treat specially: `PointsRepairNeeded` and `PointsNotPaired` (send the installer to Pair),
//! `PointsAuthFailed` and `PointsBadSequence` (security: warn the installer; the driver has
//! already dropped the session and the next call starts a fresh one), `PointsTimeout` and
//! `Cancelled` (no customer: carry on without points), `PointsNotResponding`, `PointsNoAnswer`,
//! `Disconnected`,
//! `PointsBadCrc` and `PointsBadFrame` (cable, port or baud rate).
//!
//! Modules, one per concept: [`crc`], [`frame`] (framing and the byte receiver), [`message`]
//! (typed bodies), [`pairing`], [`session`] (key derivation, sealing), [`token`], [`client`]
//! (the driver), [`simulator`] with its [`phone`] and its [`fault`]s, [`pipe`] (the in-memory
//! link).

pub mod client;
pub mod crc;
pub mod fault;
pub mod frame;
pub mod message;
pub mod pairing;
pub mod phone;
pub mod pipe;
pub mod session;
pub mod simulator;
pub mod token;

pub use client::{LoyaltyTerminal, PointsTerminal, TerminalInfo, Timing};
pub use message::TerminalState;
pub use pairing::{Pairing, PairingKey, TerminalId};
pub use phone::Phone;
pub use simulator::{Fault, SimConfig, SimulatorHandle};
pub use till_core::loyalty_token::{RedeemToken, Redemption};
pub use token::LoyaltyToken;

use crate::transport::{SerialLink, SerialSettings};
use crate::{DeviceAddress, DeviceError};

/// The baud rate when an address names none.
pub const DEFAULT_BAUD: u32 = 115_200;

/// Opens the points terminal at `address` (see the module docs), with the pairing the till
/// stored for it, if any. Opening sends nothing: the first call starts a session.
pub fn open(address: &str, pairing: Option<Pairing>) -> Result<PointsTerminal, DeviceError> {
    let a = DeviceAddress::parse(address)?;
    match (a.scheme.as_str(), a.path.as_str()) {
        ("serial", path) => {
            let link = SerialLink::open_with(path, SerialSettings::from_address(&a, DEFAULT_BAUD)?)?;
            Ok(PointsTerminal::new(Box::new(link), address, pairing, Box::new(rand::rngs::OsRng)))
        }
        ("sim", "points-terminal") => {
            let config = SimConfig::from_address(&a, pairing.as_ref())?;
            let (device_side, pos_side) = pipe::PipeLink::pair(address);
            let handle = simulator::spawn(Box::new(device_side), config);
            Ok(PointsTerminal::new(Box::new(pos_side), address, pairing, Box::new(rand::rngs::OsRng))
                .with_simulator(handle))
        }
        _ => Err(DeviceError::Unsupported(address.to_string())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Cancel;
    use std::time::Duration;
    use till_core::{Currency, Money};

    #[test]
    fn the_in_process_simulator_pairs_and_reads_a_customer() {
        let mut t = open("sim://points-terminal?auto_present_ms=50", None).unwrap();
        assert_eq!(t.status(), Err(DeviceError::PointsNotPaired));
        let pairing = t.pair(PairingKey::from_bytes([9; 32])).unwrap();
        assert_eq!(pairing.terminal_id.as_str(), "TILL-SIM-0001");
        let amount = Money::new(1250, Currency::parse("CNY").unwrap());
        let token = t.read_customer(amount, Duration::from_secs(5), &Cancel::new()).unwrap();
        assert_eq!(&token.account_id, b"DEMO-ACCOUNT-001");
        assert_eq!(t.status().unwrap(), TerminalState::Idle);
    }

    #[test]
    fn the_simulators_phone_enrols_from_the_message_and_then_makes_that_accounts_tokens() {
        let mut t = open("sim://points-terminal?auto_present_ms=50", None).unwrap();
        t.pair(PairingKey::from_bytes([9; 32])).unwrap();
        let message = till_core::enrolment::enrolment_message(&"5a".repeat(16), &[7u8; 32], "shop");
        assert_eq!(
            LoyaltyTerminal::simulated_phone_enrol(&mut t, "TILL-ENROL 1 junk"),
            Err(DeviceError::Unsupported("not a points enrolment message".into()))
        );
        assert_eq!(LoyaltyTerminal::simulated_phone_enrol(&mut t, &message), Ok(true));
        let amount = Money::new(100, Currency::parse("CNY").unwrap());
        let token = t.read_customer(amount, Duration::from_secs(5), &Cancel::new()).unwrap();
        assert_eq!(token.account_id, [0x5a; 16]);
        assert_eq!(token.counter, 1);
        // the MAC is the enrolled key's: HMAC-SHA256(k_c, account || counter || issued_at)
        let full = pairing::hmac_sha256(&[7u8; 32], &[&token.signed_bytes()]);
        assert_eq!(token.mac, full[..16]);
    }

    #[test]
    fn a_stored_pairing_for_the_simulator_works_without_pairing_again() {
        let pairing =
            Pairing { terminal_id: TerminalId::new("TILL-SIM-0001").unwrap(), key: PairingKey::from_bytes([3; 32]) };
        let mut t = open("sim://points-terminal?pairing_button=released", Some(pairing)).unwrap();
        assert_eq!(t.status().unwrap(), TerminalState::Idle);
        assert_eq!(t.pair(PairingKey::from_bytes([4; 32])), Err(DeviceError::PointsPairingRefused));
        assert_eq!(t.status().unwrap(), TerminalState::Idle, "a refused pairing keeps the old one");
    }

    #[test]
    fn bad_addresses_are_refused() {
        assert!(matches!(open("sim://card-reader", None), Err(DeviceError::Unsupported(_))));
        assert!(matches!(open("serial:///dev/ttyUSB0?baud=fast", None), Err(DeviceError::InvalidAddress(_))));
        assert!(matches!(open("sim://points-terminal?phone=9", None), Err(DeviceError::InvalidAddress(_))));
        assert!(matches!(open("serial:///dev/no-such-tty", None), Err(DeviceError::NotFound(_))));
    }
}

/// The worked example of `docs/protocols/points-terminal.md`, byte for byte. The figures were
/// also checked with an independent AES-GCM/HKDF implementation.
#[cfg(test)]
mod worked_example {
    use super::frame::{FrameReceiver, RxEvent};
    use super::message::{Body, Message};
    use super::session::{open_body, seal_body, SessionKey};
    use super::*;
    use rand::rngs::mock::StepRng;
    use std::time::Instant;

    fn unhex(text: &str) -> Vec<u8> {
        text.split_whitespace().map(|b| u8::from_str_radix(b, 16).unwrap()).collect()
    }

    const HELLO: &str = "02 00 14 01 00 00 01 00 01 02 03 04 05 06 07 08 09 0A 0B 0C 0D 0E 0F 02 AE 03";
    const SESSION_KEY: &str =
        "04 42 EF 6E 7D A2 9E 70 0B 81 D8 4C B9 B0 A8 AD 25 B3 76 90 A8 D1 B2 11 CF 8C 44 2B 00 B4 98 7B";
    const STATUS: &str = "02 00 20 01 00 01 13 A0 A1 A2 A3 A4 A5 A6 A7 A8 A9 AA AB \
                          EB 39 24 7B 66 C6 85 68 FD 6B 9B 77 86 6B 38 AB 48 31 03";
    const STATUS_R: &str = "02 00 21 01 00 01 93 A0 A1 A2 A3 A4 A5 A6 A7 A8 A9 AA AB \
                            78 FA 80 49 AE 14 21 21 21 65 FE F0 1F FE 1E 6F 0B 85 93 03";
    const PROOF: &str =
        "29 01 E7 CB FD F9 41 D6 47 70 CC 27 E1 07 7A 53 80 95 5C 38 AC C6 F7 BA 9E B9 51 60 68 B0 36 4D";

    fn nonces() -> ([u8; 16], [u8; 16], PairingKey) {
        (
            std::array::from_fn(|i| i as u8),
            std::array::from_fn(|i| 0x10 + i as u8),
            PairingKey::from_bytes(std::array::from_fn(|i| 0x20 + i as u8)),
        )
    }

    #[test]
    fn hello_frame() {
        let (pos_nonce, _, _) = nonces();
        let body = seal_body(&Message::Hello { pos_nonce }, 0, None, &mut StepRng::new(0, 0)).unwrap();
        assert_eq!(frame::encode(&body).unwrap(), unhex(HELLO));
    }

    #[test]
    fn session_key_status_and_its_answer() {
        let (pos_nonce, term_nonce, k) = nonces();
        let key = SessionKey::derive(&k, &pos_nonce, &term_nonce);
        assert_eq!(key.expose().to_vec(), unhex(SESSION_KEY));
        let nonce: [u8; 12] = std::array::from_fn(|i| 0xA0 + i as u8);
        let body =
            Body { seq: 1, kind: message::kind::STATUS, payload: key.seal(nonce, &[1, 0, 1, 0x13], &[]).unwrap() };
        assert_eq!(frame::encode(&body.encode()).unwrap(), unhex(STATUS));

        let mut rx = FrameReceiver::default();
        let mut out = Vec::new();
        rx.push(&unhex(STATUS_R), Instant::now(), &mut out);
        let [RxEvent::Frame(bytes)] = out.as_slice() else { panic!("{out:?}") };
        let answer = open_body(&Body::parse(bytes).unwrap(), Some(&key)).unwrap();
        assert_eq!(answer, Message::StatusR { state: TerminalState::Waiting });
    }

    const REDEEM: &str = "02 00 40 01 00 02 14 B0 B1 B2 B3 B4 B5 B6 B7 B8 B9 BA BB \
                          AA D1 71 97 A6 2F B3 21 67 56 87 90 C1 B4 66 F0 33 63 86 D0 B5 A5 75 7C BF 39 5D 6D \
                          C3 80 F7 35 13 02 81 23 EA 8A C1 32 4F 86 2E A6 2F BF AE DC 2A 2B 03";
    const REDEEM_TOKEN: &str =
        "02 44 45 4D 4F 2D 41 43 43 4F 55 4E 54 2D 30 30 31 00 00 00 02 00 00 00 00 6B 49 D2 00 \
                                01 00 00 00 64 C0 FF EE 00 11 22 33 44 55 66 77 88 99 AA BB CC \
                                49 38 DE 7E E3 93 7C 1A 05 D5 1C 81 12 FF 33 7A";
    const REDEEM_R: &str = "02 00 62 01 00 02 94 B0 B1 B2 B3 B4 B5 B6 B7 B8 B9 BA BB \
                            A8 95 34 BE E9 02 F2 62 24 19 D2 BA D6 D7 0F 00 FD 8D 86 C1 95 96 31 29 D9 25 9C 26 \
                            69 3A 3B 09 D4 68 E8 7E 26 65 FE 71 09 81 A7 BF 05 ED 1F D6 BC 8C DD 1E EA 62 A7 39 \
                            DB 13 EE 74 D2 57 90 3A 56 BD C6 9C 75 DC 05 C3 93 85 BE 4A 17 A1 5E 77 28 73 09 16 03";

    #[test]
    fn redeem_its_answer_and_the_redemption_token() {
        let (pos_nonce, term_nonce, k) = nonces();
        let key = SessionKey::derive(&k, &pos_nonce, &term_nonce);
        let nonce: [u8; 12] = std::array::from_fn(|i| 0xB0 + i as u8);
        let order_ref =
            [0xC0, 0xFF, 0xEE, 0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88, 0x99, 0xAA, 0xBB, 0xCC];
        let redemption = Redemption { points: 100, order_ref };
        let ask = Message::Redeem { redemption, value_minor: 100, currency: "CNY".into(), timeout_s: 60 };
        let sealed = key.seal(nonce, &[1, 0, 2, 0x14], &ask.payload().unwrap()).unwrap();
        let body = Body { seq: 2, kind: message::kind::REDEEM, payload: sealed };
        assert_eq!(frame::encode(&body.encode()).unwrap(), unhex(REDEEM));

        // Demo phone 1 signs what it was shown: counter 2, issued 1 800 000 000.
        let phone = Phone::demo(1);
        let token = RedeemToken::sign(&phone.k_c, phone.account_id, 2, 1_800_000_000, redemption);
        assert_eq!(token.to_bytes().to_vec(), unhex(REDEEM_TOKEN));

        let mut rx = FrameReceiver::default();
        let mut out = Vec::new();
        rx.push(&unhex(REDEEM_R), Instant::now(), &mut out);
        let [RxEvent::Frame(bytes)] = out.as_slice() else { panic!("{out:?}") };
        let answer = open_body(&Body::parse(bytes).unwrap(), Some(&key)).unwrap();
        assert_eq!(answer, Message::RedeemR { token });
    }

    #[test]
    fn pairing_proof() {
        let (_, _, k) = nonces();
        let proof = pairing::pair_proof(&k, &TerminalId::new("PT-0001").unwrap());
        assert_eq!(proof.to_vec(), unhex(PROOF));
    }
}
