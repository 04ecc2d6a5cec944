#![allow(clippy::unwrap_used, clippy::expect_used)]
//! The points terminal driver against the simulator over a real pseudo-terminal: every request,
//! and every fault the till must survive.

use hmac::{Hmac, Mac};
use rand::rngs::StdRng;
use rand::SeedableRng;
use sha2::Sha256;
use std::thread;
use std::time::{Duration, Instant};
use till_core::{Currency, Money};
use till_devices::points::{
    simulator, simulator::SimStats, Fault, Pairing, PairingKey, PointsTerminal, RedeemToken, Redemption, SimConfig,
    SimulatorHandle, TerminalId, TerminalState,
};
use till_devices::transport::SerialLink;
use till_devices::{Cancel, DeviceError};

const NOW: u64 = 1_800_000_000;
const KEY: [u8; 32] = [0x4B; 32];

fn config(key: Option<[u8; 32]>) -> SimConfig {
    SimConfig {
        pairing_key: key.map(PairingKey::from_bytes),
        clock: Box::new(|| NOW),
        rng: Box::new(StdRng::seed_from_u64(2)),
        ..SimConfig::default()
    }
}

fn on_pty(config: SimConfig, pairing: Option<Pairing>) -> (PointsTerminal, SimulatorHandle) {
    let (device, pos) = SerialLink::pty_pair().unwrap();
    let sim = simulator::spawn(Box::new(device), config);
    let name = pos.name().to_string();
    (PointsTerminal::new(Box::new(pos), name, pairing, Box::new(StdRng::seed_from_u64(1))), sim)
}

fn sim_id() -> TerminalId {
    TerminalId::new("TILL-SIM-0001").unwrap()
}

/// A terminal already paired with KEY, and the till holding that pairing.
fn paired() -> (PointsTerminal, SimulatorHandle) {
    on_pty(config(Some(KEY)), Some(Pairing { terminal_id: sim_id(), key: PairingKey::from_bytes(KEY) }))
}

fn cny(minor: i64) -> Money {
    Money::new(minor, Currency::parse("CNY").unwrap())
}

/// Waits (up to 5 s, for a loaded machine) until the simulator's counters satisfy `done`: the
/// simulator reads the till's last ACK or NAK after the till's call has returned.
fn wait_for(sim: &SimulatorHandle, done: impl Fn(&SimStats) -> bool) -> SimStats {
    let until = Instant::now() + Duration::from_secs(5);
    loop {
        let stats = sim.stats();
        if done(&stats) || Instant::now() > until {
            return stats;
        }
        thread::sleep(Duration::from_millis(20));
    }
}

fn mac_of(k_c: &[u8; 32], signed: &[u8]) -> [u8; 16] {
    let mut m = <Hmac<Sha256> as Mac>::new_from_slice(k_c).unwrap();
    m.update(signed);
    m.finalize().into_bytes()[..16].try_into().unwrap()
}

#[test]
fn hello_says_who_the_terminal_is() {
    let (mut t, _sim) = on_pty(config(None), None);
    let info = t.hello().unwrap();
    assert_eq!(info.terminal_id.as_str(), "TILL-SIM-0001");
    assert_eq!(info.firmware, "sim-1.0");
    assert!(!info.paired);
    assert_eq!(t.status(), Err(DeviceError::PointsNotPaired), "no data requests without a pairing");
}

#[test]
fn pairing_is_refused_without_the_button_and_taken_with_it() {
    let (mut t, sim) = on_pty(config(None), None);
    let key = PairingKey::from_bytes([0x11; 32]);
    assert_eq!(t.pair(key.clone()), Err(DeviceError::PointsPairingRefused));
    assert_eq!(sim.pairing_key(), None);
    assert!(t.pairing().is_none());

    sim.press_pair_button();
    let pairing = t.pair(key.clone()).unwrap();
    assert_eq!(pairing.terminal_id, sim_id());
    assert_eq!(sim.pairing_key(), Some(key));
    assert_eq!(t.status().unwrap(), TerminalState::Idle, "pairing used up the button press");
    assert!(t.hello().unwrap().paired);
}

#[test]
fn read_customer_returns_a_token_whose_mac_verifies_with_k_c() {
    let (mut t, sim) = paired();
    sim.present_phone(1).unwrap();
    let token = t.read_customer(cny(1250), Duration::from_secs(5), &Cancel::new()).unwrap();
    let phone = sim.phone(1).unwrap();
    assert_eq!(token.account_id, phone.account_id);
    assert_eq!((token.counter, token.issued_at), (1, NOW));
    assert_eq!(token.mac, mac_of(&phone.k_c, &token.signed_bytes()));
    assert_ne!(token.mac, mac_of(&sim.phone(0).unwrap().k_c, &token.signed_bytes()), "another account's key fails");

    // A phone presented while the terminal waits answers the waiting read.
    let presenter = {
        let sim_phone = 1;
        let handle = &sim;
        thread::scope(|s| {
            s.spawn(move || {
                thread::sleep(Duration::from_millis(300));
                handle.present_phone(sim_phone).unwrap();
            });
            t.read_customer(cny(99), Duration::from_secs(5), &Cancel::new()).unwrap()
        })
    };
    assert_eq!(presenter.counter, 2);
    assert_eq!(sim.stats().reads, 2);
}

#[test]
fn read_customer_times_out_when_no_phone_comes() {
    let (mut t, _sim) = paired();
    let started = Instant::now();
    assert_eq!(t.read_customer(cny(1), Duration::from_secs(1), &Cancel::new()), Err(DeviceError::PointsTimeout));
    assert!(started.elapsed() < Duration::from_secs(3));
    assert_eq!(t.status().unwrap(), TerminalState::Idle);
}

#[test]
fn display_shows_the_lines() {
    let (mut t, sim) = paired();
    t.display(&["Total 12.50", "积分 +12"]).unwrap();
    assert_eq!(sim.display_lines(), vec!["Total 12.50".to_string(), "积分 +12".to_string()]);
    assert!(matches!(t.display(&["a", "b", "c", "d", "e"]), Err(DeviceError::PointsBadMessage { .. })));
}

#[test]
fn cancel_stops_a_waiting_read_and_the_terminal_is_idle_again() {
    let (mut t, sim) = paired();
    let cancel = Cancel::new();
    let started = Instant::now();
    let result = thread::scope(|s| {
        let c = cancel.clone();
        s.spawn(move || {
            thread::sleep(Duration::from_millis(300));
            c.cancel();
        });
        t.read_customer(cny(500), Duration::from_secs(30), &cancel)
    });
    assert_eq!(result, Err(DeviceError::Cancelled));
    assert!(started.elapsed() < Duration::from_secs(3), "{:?}", started.elapsed());
    assert_eq!(t.status().unwrap(), TerminalState::Idle);
    assert_eq!(sim.state(), TerminalState::Idle);
    t.cancel().unwrap();
}

const CART: &str = "c0ffee00112233445566778899aabbcc";

#[test]
fn redeem_returns_a_version_2_token_the_phone_signed_over_exactly_what_the_terminal_showed() {
    let (mut t, sim) = paired();
    sim.present_phone(1).unwrap();
    let identify = t.read_customer(cny(5_600), Duration::from_secs(5), &Cancel::new()).unwrap();
    let asked = Redemption::new(100, CART).unwrap();
    sim.present_phone(1).unwrap();
    let token = t.redeem(asked, cny(100), Duration::from_secs(5), &Cancel::new()).unwrap();
    let phone = sim.phone(1).unwrap();
    // What the terminal showed the customer...
    assert_eq!(sim.display_lines(), ["Redeem 100 points", "= CNY 1.00", "Order c0ffee00", "Confirm on your phone"]);
    // ...is what the phone signed: the kind, the points, the order, under the account's key.
    assert_eq!(token.redemption, asked);
    assert_eq!((token.account_id, token.counter, token.issued_at), (phone.account_id, identify.counter + 1, NOW));
    assert!(token.mac_matches(&phone.k_c));
    assert_eq!(token.mac, mac_of(&phone.k_c, &token.signed_bytes()));
    assert_eq!(token.to_bytes()[0], 2, "version 2");
    // The simulator hands over the bytes it signed, and nothing else.
    assert_eq!(sim.issued_tokens(), vec![identify.to_bytes().to_vec(), token.to_bytes().to_vec()]);
    assert_eq!(RedeemToken::parse(&sim.issued_tokens()[1]).unwrap(), token);
    assert_eq!(sim.stats().redeems, 1);
    assert_eq!(t.status().unwrap(), TerminalState::Idle);
}

#[test]
fn a_phone_that_signs_another_redemption_than_the_one_shown_is_refused_by_the_till() {
    let (mut t, sim) = paired();
    sim.present_phone(0).unwrap();
    sim.inject(Fault::WrongRedeem);
    let asked = Redemption::new(100, CART).unwrap();
    let answer = t.redeem(asked, cny(100), Duration::from_secs(5), &Cancel::new());
    assert_eq!(answer, Err(DeviceError::PointsRedemptionMismatch));
    // It did sign 101: the driver saw it and kept it from the till.
    let signed = RedeemToken::parse(&sim.issued_tokens()[0]).unwrap();
    assert_eq!(signed.redemption.points, 101);
    sim.present_phone(0).unwrap();
    assert_eq!(t.redeem(asked, cny(100), Duration::from_secs(5), &Cancel::new()).unwrap().redemption, asked);
}

#[test]
fn a_redeem_times_out_or_is_cancelled_and_the_terminal_is_idle_again() {
    let (mut t, sim) = paired();
    let asked = Redemption::new(5, CART).unwrap();
    assert_eq!(t.redeem(asked, cny(5), Duration::from_secs(1), &Cancel::new()), Err(DeviceError::PointsTimeout));
    let cancel = Cancel::new();
    let result = thread::scope(|s| {
        let c = cancel.clone();
        s.spawn(move || {
            thread::sleep(Duration::from_millis(300));
            c.cancel();
        });
        t.redeem(asked, cny(5), Duration::from_secs(30), &cancel)
    });
    assert_eq!(result, Err(DeviceError::Cancelled));
    assert_eq!(t.status().unwrap(), TerminalState::Idle);
    assert!(sim.issued_tokens().is_empty(), "no phone, no token");
}

#[test]
fn status_reports_the_pairing_button() {
    let (mut t, sim) = paired();
    assert_eq!(t.status().unwrap(), TerminalState::Idle);
    sim.press_pair_button();
    assert_eq!(t.status().unwrap(), TerminalState::Pairing);
}

#[test]
fn garbage_between_frames_is_skipped() {
    let (mut t, sim) = paired();
    sim.present_phone(0).unwrap();
    sim.inject(Fault::Garbage);
    let token = t.read_customer(cny(10), Duration::from_secs(5), &Cancel::new()).unwrap();
    assert_eq!(token.mac, mac_of(&sim.phone(0).unwrap().k_c, &token.signed_bytes()));
    // The garbage's stray STX made one broken frame, which the till refused.
    assert_eq!(wait_for(&sim, |s| s.naks_received >= 1).naks_received, 1);
    assert_eq!(t.status().unwrap(), TerminalState::Idle, "the resent duplicate does not confuse the next request");
}

#[test]
fn a_truncated_frame_is_refused_and_the_resent_one_taken() {
    let (mut t, sim) = paired();
    t.hello().unwrap();
    sim.inject(Fault::Truncate);
    let before = sim.stats();
    assert_eq!(t.status().unwrap(), TerminalState::Idle);
    let after = wait_for(&sim, |s| s.naks_received > before.naks_received && s.frames_sent >= before.frames_sent + 2);
    assert_eq!(after.naks_received - before.naks_received, 1);
    // Half a frame, then the whole one (a third send only if the NAK came after 500 ms on a
    // loaded machine).
    assert!(after.frames_sent - before.frames_sent >= 2);
}

#[test]
fn a_bad_crc_is_refused_and_the_resent_frame_taken() {
    let (mut t, sim) = paired();
    t.hello().unwrap();
    sim.inject(Fault::BadCrc);
    assert_eq!(t.status().unwrap(), TerminalState::Idle);
    assert_eq!(wait_for(&sim, |s| s.naks_received >= 1).naks_received, 1);
}

#[test]
fn a_crc_that_is_always_bad_is_reported_as_such() {
    let (mut t, sim) = paired();
    t.hello().unwrap();
    sim.inject_always(Fault::BadCrc);
    assert_eq!(t.status(), Err(DeviceError::PointsBadCrc));
    assert_eq!(wait_for(&sim, |s| s.naks_received >= 3).naks_received, 3, "the terminal tried three times");
}

#[test]
fn nak_three_times_is_not_responding_after_three_tries() {
    let (mut t, sim) = paired();
    t.hello().unwrap();
    sim.inject_always(Fault::NakAll);
    let before = sim.stats().frames_received;
    let err = t.status().unwrap_err();
    assert!(matches!(&err, DeviceError::PointsNotResponding { tries: 3, detail } if detail.contains("NAK")), "{err}");
    assert_eq!(err.to_string(), "points terminal did not answer after 3 tries (it refused every try with NAK)");
    assert_eq!(wait_for(&sim, |s| s.frames_received >= before + 3).frames_received - before, 3);
    sim.clear_faults();
    assert_eq!(t.status().unwrap(), TerminalState::Idle);
}

#[test]
fn one_nak_is_followed_by_a_resend() {
    let (mut t, sim) = paired();
    t.hello().unwrap();
    sim.inject(Fault::NakAll);
    assert_eq!(t.status().unwrap(), TerminalState::Idle);
    assert_eq!(sim.stats().naks_sent, 1);
}

#[test]
fn silence_is_resent_twice_after_500_ms_then_not_responding() {
    let (mut t, sim) = paired();
    t.hello().unwrap();
    sim.inject_always(Fault::Silence);
    let before = sim.stats().frames_received;
    let started = Instant::now();
    let err = t.status().unwrap_err();
    let took = started.elapsed();
    assert!(
        matches!(&err, DeviceError::PointsNotResponding { tries: 3, detail } if detail.contains("500 ms")),
        "{err}"
    );
    assert!(took >= Duration::from_millis(1500) && took < Duration::from_millis(4000), "{took:?}");
    assert_eq!(sim.stats().frames_received - before, 3);

    sim.clear_faults();
    sim.inject(Fault::Silence);
    let started = Instant::now();
    assert_eq!(t.status().unwrap(), TerminalState::Idle, "one lost frame is resent");
    assert!(started.elapsed() >= Duration::from_millis(500));
}

#[test]
fn a_wrong_sequence_number_is_a_security_error_and_the_next_call_starts_afresh() {
    let (mut t, sim) = paired();
    t.hello().unwrap();
    sim.inject(Fault::WrongSeq);
    assert_eq!(t.status(), Err(DeviceError::PointsBadSequence { got: 2, expected: 1 }));
    assert_eq!(t.status().unwrap(), TerminalState::Idle);
}

#[test]
fn a_replayed_answer_is_a_security_error() {
    let (mut t, sim) = paired();
    t.status().unwrap();
    t.status().unwrap();
    sim.inject(Fault::Replay);
    assert_eq!(t.status(), Err(DeviceError::PointsBadSequence { got: 1, expected: 3 }));
    assert_eq!(t.status().unwrap(), TerminalState::Idle);
}

#[test]
fn an_answer_failing_authentication_is_refused() {
    let (mut t, sim) = paired();
    sim.present_phone(0).unwrap();
    sim.inject(Fault::BadAuth);
    assert_eq!(t.read_customer(cny(10), Duration::from_secs(5), &Cancel::new()), Err(DeviceError::PointsAuthFailed));
    assert_eq!(t.status().unwrap(), TerminalState::Idle);
}

#[test]
fn a_terminal_holding_another_key_fails_authentication() {
    let pairing = Pairing { terminal_id: sim_id(), key: PairingKey::from_bytes(KEY) };
    let (mut t, sim) = on_pty(config(Some([0x99; 32])), Some(pairing));
    assert_eq!(t.status(), Err(DeviceError::PointsAuthFailed));
    assert_eq!(wait_for(&sim, |s| s.security_errors >= 1).security_errors, 1, "the terminal refused our request too");
}

#[test]
fn unplugging_mid_request_is_disconnected() {
    let (mut t, sim) = paired();
    t.hello().unwrap();
    sim.inject(Fault::Unplug);
    let err = t.read_customer(cny(10), Duration::from_secs(5), &Cancel::new()).unwrap_err();
    assert!(matches!(err, DeviceError::Disconnected(_)), "{err:?}");
    assert!(!sim.is_running());
}

#[test]
fn a_different_terminal_on_the_port_needs_pairing_again() {
    let (mut t, sim) = paired();
    assert_eq!(t.status().unwrap(), TerminalState::Idle);
    sim.swap_terminal(TerminalId::new("PT-OTHER-0002").unwrap());
    let err = t.status().unwrap_err();
    assert_eq!(err, DeviceError::PointsRepairNeeded { terminal_id: "PT-OTHER-0002".into() });
    assert_eq!(err.to_string(), "a different points terminal (id PT-OTHER-0002) is on this port; pair it again");
    assert_eq!(t.last_hello().unwrap().terminal_id.as_str(), "PT-OTHER-0002");
}

#[test]
fn a_terminal_that_lost_its_pairing_says_so() {
    let pairing = Pairing { terminal_id: sim_id(), key: PairingKey::from_bytes(KEY) };
    let (mut t, _sim) = on_pty(config(None), Some(pairing));
    assert_eq!(t.status(), Err(DeviceError::PointsNotPaired));
}

/// Reads from `link` until one intact frame arrives, acknowledging it as a till would.
fn next_frame(link: &mut SerialLink) -> Vec<u8> {
    use till_devices::points::frame::{FrameReceiver, RxEvent, ACK};
    use till_devices::transport::ByteLink;
    let mut rx = FrameReceiver::default();
    let until = Instant::now() + Duration::from_secs(3);
    let mut buf = [0u8; 256];
    while Instant::now() < until {
        let n = link.read(&mut buf, Duration::from_millis(50)).unwrap();
        let mut out = Vec::new();
        rx.push(&buf[..n], Instant::now(), &mut out);
        if let Some(RxEvent::Frame(body)) = out.into_iter().find(|e| matches!(e, RxEvent::Frame(_))) {
            link.write_all(&[ACK]).unwrap();
            return body;
        }
    }
    panic!("no frame from the terminal");
}

#[test]
fn the_terminal_refuses_a_replayed_request_and_a_forged_one() {
    use till_devices::points::frame;
    use till_devices::points::message::{Body, ErrorCode, Message};
    use till_devices::points::session::{open_body, seal_body, SessionKey};
    use till_devices::transport::ByteLink;

    let (device, mut pos) = SerialLink::pty_pair().unwrap();
    let sim = simulator::spawn(Box::new(device), config(Some(KEY)));
    let mut rng = StdRng::seed_from_u64(5);
    let send = |link: &mut SerialLink, body: &[u8]| link.write_all(&frame::encode(body).unwrap()).unwrap();
    let answer = |link: &mut SerialLink, key: Option<&SessionKey>| {
        let body = Body::parse(&next_frame(link)).unwrap();
        (body.seq, open_body(&body, key).unwrap())
    };

    let pos_nonce = [7u8; 16];
    send(&mut pos, &seal_body(&Message::Hello { pos_nonce }, 0, None, &mut rng).unwrap());
    let (_, Message::HelloR { term_nonce, .. }) = answer(&mut pos, None) else { panic!("no HELLO_R") };
    let key = SessionKey::derive(&PairingKey::from_bytes(KEY), &pos_nonce, &term_nonce);

    send(&mut pos, &seal_body(&Message::Status, 1, Some(&key), &mut rng).unwrap());
    assert_eq!(answer(&mut pos, Some(&key)), (1, Message::StatusR { state: TerminalState::Idle }));

    // Sequence number 1 again, freshly sealed (not a byte-identical resend): a replay.
    send(&mut pos, &seal_body(&Message::Status, 1, Some(&key), &mut rng).unwrap());
    let (seq, reply) = answer(&mut pos, Some(&key));
    assert_eq!(seq, 1);
    assert!(matches!(reply, Message::Error { code: ErrorCode::REPLAY, .. }), "{reply:?}");

    // A sealed request with a changed tag.
    let mut forged =
        seal_body(&Message::Display { lines: vec!["FREE POINTS".into()] }, 2, Some(&key), &mut rng).unwrap();
    *forged.last_mut().unwrap() ^= 1;
    send(&mut pos, &forged);
    let (_, reply) = answer(&mut pos, Some(&key));
    assert!(matches!(reply, Message::Error { code: ErrorCode::AUTH_FAILED, .. }), "{reply:?}");
    assert!(sim.display_lines().is_empty(), "the forged text was not shown");
    assert_eq!(wait_for(&sim, |s| s.security_errors >= 2).security_errors, 2);

    // The session goes on with the next number.
    send(&mut pos, &seal_body(&Message::Display { lines: vec!["Hello".into()] }, 3, Some(&key), &mut rng).unwrap());
    assert_eq!(answer(&mut pos, Some(&key)), (3, Message::DisplayR));
}
