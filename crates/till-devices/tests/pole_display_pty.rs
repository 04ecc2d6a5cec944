#![allow(clippy::unwrap_used, clippy::expect_used)]
//! The pole display driver over a real pseudo-terminal: the bytes that reach the display's end
//! of the line are exactly the ESC/POS customer display commands, nothing more.

use std::time::{Duration, Instant};
use till_devices::display::PoleDisplay;
use till_devices::transport::{ByteLink, SerialLink};

/// Reads from the display's end until `n` bytes arrived (or 5 s passed, for a loaded machine),
/// then makes sure nothing else follows.
fn read_exactly(device: &mut SerialLink, n: usize) -> Vec<u8> {
    let mut got = Vec::new();
    let until = Instant::now() + Duration::from_secs(5);
    let mut buf = [0u8; 256];
    while got.len() < n && Instant::now() < until {
        let k = device.read(&mut buf, Duration::from_millis(100)).unwrap();
        got.extend_from_slice(&buf[..k]);
    }
    let extra = device.read(&mut buf, Duration::from_millis(200)).unwrap();
    got.extend_from_slice(&buf[..extra]);
    got
}

fn line(row: u8, text: &[u8; 20]) -> Vec<u8> {
    let mut v = vec![0x1F, 0x24, 0x01, row];
    v.extend_from_slice(text);
    v
}

#[test]
fn opening_initialises_and_clears_then_each_show_writes_both_lines() {
    let (mut device, pos) = SerialLink::pty_pair().unwrap();
    let mut pole = PoleDisplay::new(Box::new(pos), "pty").unwrap();
    // ESC @ then CLR
    assert_eq!(read_exactly(&mut device, 3), vec![0x1B, 0x40, 0x0C]);

    pole.show("Green tea 2x", "TOTAL          76.00").unwrap();
    let mut want = line(1, b"Green tea 2x        ");
    want.extend(line(2, b"TOTAL          76.00"));
    assert_eq!(read_exactly(&mut device, want.len()), want);

    // Chinese and accents are folded, long text is cut at twenty columns
    pole.show("绿茶 Thé vert, premium leaves", "").unwrap();
    let mut want = line(1, b"?? The vert, premium");
    want.extend(line(2, b"                    "));
    assert_eq!(read_exactly(&mut device, want.len()), want);

    pole.clear().unwrap();
    assert_eq!(read_exactly(&mut device, 1), vec![0x0C]);
}

#[test]
fn a_serial_address_opens_the_port_at_its_path() {
    let (mut device, pos) = SerialLink::pty_pair().unwrap();
    let path = pos.name().to_string();
    let mut pole = PoleDisplay::open(&format!("serial://{path}?baud=9600")).unwrap();
    assert_eq!(pole.name(), path);
    assert_eq!(read_exactly(&mut device, 3), vec![0x1B, 0x40, 0x0C]);
    pole.show("THANK YOU", "CHANGE          2.00").unwrap();
    let mut want = line(1, b"THANK YOU           ");
    want.extend(line(2, b"CHANGE          2.00"));
    assert_eq!(read_exactly(&mut device, want.len()), want);
    drop(pos);
}

#[test]
fn a_missing_port_is_a_typed_error() {
    let e = PoleDisplay::open("serial:///dev/no-such-pole-display").err().unwrap();
    assert!(matches!(e, till_devices::DeviceError::NotFound(_) | till_devices::DeviceError::Io(_)), "{e:?}");
}
