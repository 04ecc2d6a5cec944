//! Byte-exact reports and frames as real readers send them, built from the documented layouts
//! (see [`super::magtek_hid`], [`super::magnesafe`], [`super::idtech_enhanced`]) for the
//! simulators, and the broken versions of them the simulators send on demand.
//!
//! The "ciphertext" is opaque bytes from an injected random number generator: the till never
//! decrypts, so the simulators need no key, and tests stay deterministic with a seeded RNG.

use super::idtech_enhanced::{checksum, lrc};
use super::protocol::ReaderProtocol;
use super::sim_control::Fault;
use super::test_cards::TestCard;
use rand::RngCore;

/// The serial number the simulated MagTek reader reports (16 bytes, zero padded).
pub const MAGTEK_SERIAL: [u8; 16] = *b"SIMMAG01\0\0\0\0\0\0\0\0";
/// The serial number the simulated ID TECH reader reports (10 bytes).
pub const IDTECH_SERIAL: [u8; 10] = *b"SIMIDT0001";

const MAGTEK_HID_LEN: usize = 337;
const MAGTEK_SLOT: usize = 110;
const MAGNESAFE_LEN: usize = 856;
const MAGNESAFE_SLOT: usize = 112;
const STX: u8 = 0x02;
const ETX: u8 = 0x03;

/// TDES DUKPT key serial numbers: the ANSI X9.24-1 annex A.4 initial KSN
/// (`FFFF9876543210E00000`) with the reader's 21-bit transaction counter in the low bits,
/// counting up by one per swipe as a real reader's does.
#[derive(Debug, Clone, Default)]
pub struct KsnCounter {
    counter: u32,
}

impl KsnCounter {
    /// Starts before the first transaction.
    pub fn new() -> Self {
        KsnCounter::default()
    }

    /// The KSN of the next swipe.
    pub fn next_ksn(&mut self) -> [u8; 10] {
        // The counter is 21 bits; a real reader stops at its limit, the simulator wraps.
        self.counter = (self.counter + 1) & 0x1F_FFFF;
        let mut ksn = [0xFF, 0xFF, 0x98, 0x76, 0x54, 0x32, 0x10, 0xE0, 0x00, 0x00];
        let c = self.counter.to_be_bytes();
        ksn[7] = 0xE0 | c[1];
        ksn[8] = c[2];
        ksn[9] = c[3];
        ksn
    }
}

fn random(rng: &mut dyn RngCore, len: usize) -> Vec<u8> {
    let mut v = vec![0u8; len];
    rng.fill_bytes(&mut v);
    v
}

fn padded(len: usize, block: usize) -> usize {
    len.div_ceil(block) * block
}

/// Fits a track length into a one-byte length field; test tracks are far shorter than 255.
fn len_byte(len: usize) -> u8 {
    u8::try_from(len).unwrap_or(u8::MAX)
}

/// MagTek's clear 337-byte HID report for a swipe of `card`.
pub fn magtek_hid_report(card: &TestCard) -> Vec<u8> {
    let mut r = vec![0u8; MAGTEK_HID_LEN];
    if !card.readable {
        r[..2].copy_from_slice(&[1, 1]);
        return r;
    }
    for (i, track) in [card.track1(), card.track2()].iter().enumerate() {
        let at = 7 + i * MAGTEK_SLOT;
        r[3 + i] = len_byte(track.len());
        r[at..at + track.len()].copy_from_slice(track.as_bytes());
    }
    r
}

/// MagTek MagneSafe's encrypting report for a swipe of `card`: masked tracks (MagTek masks
/// with `0`), random ciphertext, the simulator's serial number and `ksn`.
pub fn magnesafe_report(card: &TestCard, rng: &mut dyn RngCore, ksn: [u8; 10]) -> Vec<u8> {
    let mut r = vec![0u8; MAGNESAFE_LEN];
    r[477..493].copy_from_slice(&MAGTEK_SERIAL);
    r[495..505].copy_from_slice(&ksn);
    if !card.readable {
        r[..2].copy_from_slice(&[1, 1]);
        return r;
    }
    for (i, (clear, masked)) in
        [(card.track1(), card.masked_track1('0')), (card.track2(), card.masked_track2('0'))].iter().enumerate()
    {
        let enc_len = padded(clear.len(), 8);
        let enc_at = 7 + i * MAGNESAFE_SLOT;
        let masked_at = 508 + i * MAGNESAFE_SLOT;
        r[3 + i] = len_byte(enc_len);
        r[enc_at..enc_at + enc_len].copy_from_slice(&random(rng, enc_len));
        r[505 + i] = len_byte(masked.len());
        r[masked_at..masked_at + masked.len()].copy_from_slice(masked.as_bytes());
        r[852 + i] = len_byte(clear.len());
    }
    r
}

/// Wraps ID TECH CardData in its frame: `02 | LenL LenH | CardData | LRC | CheckSum | 03`.
pub fn idtech_frame_of(card_data: &[u8]) -> Vec<u8> {
    let len = u16::try_from(card_data.len()).unwrap_or(u16::MAX).to_le_bytes();
    [&[STX, len[0], len[1]], card_data, &[lrc(card_data), checksum(card_data), ETX]].concat()
}

/// ID TECH's enhanced encrypted frame for a swipe of `card`: ISO card, tracks 1 and 2 masked
/// with `*` (first six and last four digits clear, discretionary data hidden), TDES data-key
/// ciphertext from `rng`, the simulator's serial number and `ksn`.
pub fn idtech_frame(card: &TestCard, rng: &mut dyn RngCore, ksn: [u8; 10]) -> Vec<u8> {
    if !card.readable {
        // Nothing decoded: no track, only the serial number and KSN.
        let mut d = vec![0x80, 0, 0, 0, 0, 0b1000_0000, 0b1000_0000];
        d.extend_from_slice(&IDTECH_SERIAL);
        d.extend_from_slice(&ksn);
        return idtech_frame_of(&d);
    }
    let (t1, t2) = (card.masked_track1('*'), card.masked_track2('*'));
    // Track status: tracks 1 and 2 decoded. Mask status: tracks 1, 2 masked, TDES, data key,
    // serial number present. Encryption status: tracks 1, 2 encrypted, KSN present.
    let mut d = vec![0x80, 0b011, len_byte(t1.len()), len_byte(t2.len()), 0, 0b1000_0011, 0b1000_0011];
    d.extend_from_slice(t1.as_bytes());
    d.extend_from_slice(t2.as_bytes());
    d.extend(random(rng, padded(t1.len(), 8)));
    d.extend(random(rng, padded(t2.len(), 8)));
    d.extend_from_slice(&IDTECH_SERIAL);
    d.extend_from_slice(&ksn);
    idtech_frame_of(&d)
}

/// A good report or frame of `protocol` for a swipe of `card`.
pub fn report(protocol: ReaderProtocol, card: &TestCard, rng: &mut dyn RngCore, ksn: [u8; 10]) -> Vec<u8> {
    match protocol {
        ReaderProtocol::MagtekHid => magtek_hid_report(card),
        ReaderProtocol::MagtekMagnesafe => magnesafe_report(card, rng, ksn),
        ReaderProtocol::IdtechEnhanced => idtech_frame(card, rng, ksn),
    }
}

/// What a reader sends when `fault` strikes during a swipe of `card`: bytes to deliver, or
/// `None` when nothing arrives at all (silence, unplug).
pub fn faulty(
    protocol: ReaderProtocol,
    fault: Fault,
    card: &TestCard,
    rng: &mut dyn RngCore,
    ksn: [u8; 10],
) -> Option<Vec<u8>> {
    match fault {
        Fault::Silence | Fault::Unplug => None,
        Fault::Garbage => {
            // Line noise carries no frame start, so the driver must skip all of it.
            let mut noise = random(rng, 48);
            for b in noise.iter_mut().filter(|b| **b == STX) {
                *b = 0xFE;
            }
            Some(noise)
        }
        Fault::Truncated => {
            let good = report(protocol, card, rng, ksn);
            Some(good[..good.len() / 2].to_vec())
        }
        Fault::BadLrc => {
            let mut r = report(protocol, card, rng, ksn);
            match protocol {
                ReaderProtocol::MagtekHid => r[4] = 200,
                ReaderProtocol::MagtekMagnesafe => r[4] = 41,
                ReaderProtocol::IdtechEnhanced => {
                    let at = r.len() - 3;
                    r[at] ^= 0xFF;
                }
            }
            Some(r)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::card_reader::test_cards::{find, CATALOGUE};
    use crate::card_reader::{idtech_enhanced, magnesafe, magtek_hid};
    use crate::DeviceError;
    use rand::rngs::StdRng;
    use rand::SeedableRng;
    use till_core::CardBrand;

    fn rng() -> StdRng {
        StdRng::seed_from_u64(7)
    }

    #[test]
    fn the_ksn_counts_up_in_the_low_21_bits() {
        let mut k = KsnCounter::new();
        assert_eq!(k.next_ksn(), [0xFF, 0xFF, 0x98, 0x76, 0x54, 0x32, 0x10, 0xE0, 0x00, 0x01]);
        assert_eq!(k.next_ksn()[9], 0x02);
        let mut k = KsnCounter { counter: 0x1F_FFFE };
        assert_eq!(&k.next_ksn()[7..], &[0xFF, 0xFF, 0xFF]);
    }

    #[test]
    fn the_magtek_hid_report_is_byte_exact() {
        let visa = find("visa").unwrap();
        let r = magtek_hid_report(visa);
        let (t1, t2) = (visa.track1(), visa.track2());
        assert_eq!(r.len(), 337);
        assert_eq!(&r[..7], &[0, 0, 0, t1.len() as u8, t2.len() as u8, 0, 0]);
        assert_eq!(&r[7..7 + t1.len()], t1.as_bytes());
        assert!(r[7 + t1.len()..117].iter().all(|&b| b == 0));
        assert_eq!(&r[117..117 + t2.len()], t2.as_bytes());
        assert!(r[117 + t2.len()..].iter().all(|&b| b == 0));
        let read = magtek_hid::parse(&r).unwrap();
        assert_eq!(read.masked_pan.as_str(), "411111******1111");
        assert_eq!((read.expiry.as_str(), read.cardholder.as_deref()), ("2812", Some("VISA/TEST")));
        assert_eq!(read.clear_pan().map(|p| p.expose()), Some(visa.test_pan()));
        let e = magtek_hid::parse(&magtek_hid_report(find("unreadable").unwrap())).unwrap_err();
        assert!(matches!(e, DeviceError::BadRead { track: "track 2", .. }));
    }

    #[test]
    fn the_magnesafe_report_is_byte_exact() {
        let card = find("unionpay").unwrap();
        let ksn = KsnCounter::new().next_ksn();
        let r = magnesafe_report(card, &mut rng(), ksn);
        let (m1, m2) = (card.masked_track1('0'), card.masked_track2('0'));
        assert_eq!(r.len(), 856);
        assert_eq!(
            &r[3..6],
            &[card.track1().len().div_ceil(8) as u8 * 8, card.track2().len().div_ceil(8) as u8 * 8, 0]
        );
        assert_eq!(&r[477..493], &MAGTEK_SERIAL);
        assert_eq!(&r[495..505], &ksn);
        assert_eq!(&r[505..508], &[m1.len() as u8, m2.len() as u8, 0]);
        assert_eq!(&r[508..508 + m1.len()], m1.as_bytes());
        assert_eq!(&r[620..620 + m2.len()], m2.as_bytes());
        assert_eq!(&r[852..855], &[card.track1().len() as u8, card.track2().len() as u8, 0]);
        let read = magnesafe::parse(&r).unwrap();
        assert_eq!((read.masked_pan.as_str(), read.brand), ("625094******8599", CardBrand::UnionPay));
        let block = read.encrypted().unwrap();
        assert_eq!((block.ksn.as_slice(), block.device_serial.as_deref()), (&ksn[..], Some(&MAGTEK_SERIAL[..])));
        assert_eq!(block.tracks[0].as_deref(), Some(&r[7..7 + usize::from(r[3])]));
        assert_eq!(block.tracks[1].as_deref(), Some(&r[119..119 + usize::from(r[4])]));
        // The same seed gives the same ciphertext; another seed another.
        assert_eq!(magnesafe_report(card, &mut rng(), ksn), r);
        assert_ne!(magnesafe_report(card, &mut StdRng::seed_from_u64(8), ksn), r);
    }

    #[test]
    fn the_idtech_frame_is_byte_exact() {
        let card = find("pin").unwrap();
        let ksn = [0xFF, 0xFF, 0x98, 0x76, 0x54, 0x32, 0x10, 0xE0, 0x00, 0x05];
        let f = idtech_frame(card, &mut rng(), ksn);
        let (m1, m2) = (card.masked_track1('*'), card.masked_track2('*'));
        let data = idtech_enhanced::unframe(&f).unwrap();
        assert_eq!(usize::from(u16::from_le_bytes([f[1], f[2]])), data.len());
        assert_eq!((f[0], f[f.len() - 1]), (0x02, 0x03));
        assert_eq!((f[f.len() - 3], f[f.len() - 2]), (lrc(data), checksum(data)));
        assert_eq!(&data[..7], &[0x80, 0b011, m1.len() as u8, m2.len() as u8, 0, 0b1000_0011, 0b1000_0011]);
        assert_eq!(&data[7..7 + m1.len()], m1.as_bytes());
        assert_eq!(&data[7 + m1.len()..7 + m1.len() + m2.len()], m2.as_bytes());
        let enc_at = 7 + m1.len() + m2.len();
        let (e1, e2) = (m1.len().div_ceil(8) * 8, m2.len().div_ceil(8) * 8);
        assert_eq!(data.len(), enc_at + e1 + e2 + 20);
        assert_eq!(&data[data.len() - 20..data.len() - 10], &IDTECH_SERIAL);
        assert_eq!(&data[data.len() - 10..], &ksn);
        let read = idtech_enhanced::parse(&f).unwrap();
        assert_eq!(read.masked_pan.as_str(), "401288******1881");
        assert!(read.pin_required, "service code 220 asks for a PIN");
        let block = read.encrypted().unwrap();
        assert_eq!(block.tracks[0].as_deref(), Some(&data[enc_at..enc_at + e1]));
        assert_eq!(block.tracks[1].as_deref(), Some(&data[enc_at + e1..enc_at + e1 + e2]));
        assert_eq!(block.ksn, ksn);
        assert!(!String::from_utf8_lossy(&f).contains(card.test_pan()));
    }

    #[test]
    fn every_card_goes_through_every_format() {
        let mut ksn = KsnCounter::new();
        for card in &CATALOGUE {
            for p in ReaderProtocol::ALL {
                let r = report(p, card, &mut rng(), ksn.next_ksn());
                match p.parse_report(&r) {
                    Ok(read) => {
                        assert!(card.readable, "{} {}", card.name, p.name());
                        assert_eq!(read.masked_pan.bin(), &card.test_pan()[..6]);
                        assert_eq!(read.pin_required, card.name == "pin");
                    }
                    Err(e) => {
                        assert!(!card.readable, "{} {}: {e}", card.name, p.name());
                        assert!(matches!(e, DeviceError::BadRead { .. }), "{e:?}");
                    }
                }
            }
        }
    }

    #[test]
    fn faults_break_each_format_the_documented_way() {
        let visa = find("visa").unwrap();
        let ksn = KsnCounter::new().next_ksn();
        for p in ReaderProtocol::ALL {
            for fault in [Fault::Garbage, Fault::Truncated, Fault::BadLrc] {
                let bytes = faulty(p, fault, visa, &mut rng(), ksn).unwrap();
                let e = p.parse_report(&bytes).unwrap_err();
                assert!(matches!(e, DeviceError::BadReport { .. }), "{} {fault:?}: {e:?}", p.name());
            }
            assert_eq!(faulty(p, Fault::Silence, visa, &mut rng(), ksn), None);
            assert_eq!(faulty(p, Fault::Unplug, visa, &mut rng(), ksn), None);
        }
        let bad = faulty(ReaderProtocol::IdtechEnhanced, Fault::BadLrc, visa, &mut rng(), ksn).unwrap();
        assert!(matches!(idtech_enhanced::parse(&bad), Err(DeviceError::BadReport { field: "LRC", .. })));
        let noise = faulty(ReaderProtocol::IdtechEnhanced, Fault::Garbage, visa, &mut rng(), ksn).unwrap();
        assert!(!noise.contains(&STX));
    }
}
