#![allow(clippy::unwrap_used, clippy::expect_used)]
//! The printer links over real I/O: a TCP listener on 127.0.0.1 standing in for a network
//! printer, and pseudo-terminals standing in for a serial printer and for a USB printer's usblp
//! device file (which is also just a file opened for reading and writing). The stand-in records
//! the bytes it is sent and answers `DLE EOT n` from a status the test changes.

use std::io::{Read, Write};
use std::net::TcpListener;
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::Duration;
use till_devices::printer::link;
use till_devices::printer::{PrinterFault, PrinterStatus};
use till_devices::transport::{ByteLink, SerialLink};
use till_devices::DeviceError;

/// What the stand-in printer saw and what it says about itself.
#[derive(Default)]
struct Printer {
    status: PrinterStatus,
    /// Bytes that were not status queries, one entry per connection (TCP) or all in one.
    jobs: Vec<Vec<u8>>,
    /// Status queries answered.
    queries: usize,
    /// Connections accepted (TCP).
    connections: usize,
}

type Shared = Arc<Mutex<Printer>>;

/// Takes `chunk` as a printer would: `DLE EOT n` is answered at once (the answers go into the
/// returned bytes), everything else is printed. `held` keeps a query split across chunks.
fn take(printer: &Shared, held: &mut Vec<u8>, chunk: &[u8], job: &mut Vec<u8>) -> Vec<u8> {
    let mut answers = Vec::new();
    held.extend_from_slice(chunk);
    let mut i = 0;
    while i < held.len() {
        match &held[i..] {
            [0x10, 0x04, n, ..] => {
                let mut p = printer.lock().unwrap();
                let [a1, a2, a4] = p.status.answers();
                answers.push(match n {
                    1 => a1,
                    2 => a2,
                    _ => a4,
                });
                p.queries += 1;
                i += 3;
            }
            [0x10] | [0x10, 0x04] => break,
            [b, ..] => {
                job.push(*b);
                i += 1;
            }
            [] => break,
        }
    }
    held.drain(..i);
    answers
}

/// A network printer on 127.0.0.1: each connection's printed bytes become one job.
fn tcp_printer(answering: bool) -> (String, Shared) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let uri = format!("tcp://{}", listener.local_addr().unwrap());
    let printer = Shared::default();
    let shared = printer.clone();
    thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { return };
            shared.lock().unwrap().connections += 1;
            let (mut held, mut job, mut buf) = (Vec::new(), Vec::new(), [0u8; 4096]);
            while let Ok(n @ 1..) = stream.read(&mut buf) {
                let answers = take(&shared, &mut held, &buf[..n], &mut job);
                if answering && !answers.is_empty() {
                    stream.write_all(&answers).unwrap();
                }
            }
            if !job.is_empty() {
                shared.lock().unwrap().jobs.push(job);
            }
        }
    });
    (uri, printer)
}

/// A printer on the device side of a pseudo-terminal; all its printed bytes go into one job.
fn pty_printer(mut device: SerialLink) -> Shared {
    let printer = Shared::default();
    let shared = printer.clone();
    shared.lock().unwrap().jobs.push(Vec::new());
    thread::spawn(move || {
        let (mut held, mut buf) = (Vec::new(), [0u8; 4096]);
        loop {
            match device.read(&mut buf, Duration::from_millis(50)) {
                Ok(0) => continue,
                Ok(n) => {
                    let mut job = Vec::new();
                    let answers = take(&shared, &mut held, &buf[..n], &mut job);
                    shared.lock().unwrap().jobs[0].extend_from_slice(&job);
                    if !answers.is_empty() && device.write_all(&answers).is_err() {
                        return;
                    }
                }
                Err(_) => return,
            }
        }
    });
    printer
}

/// A job with every kind of byte a receipt has, including the Chinese mode and the cut.
fn job() -> Vec<u8> {
    let mut bytes = vec![0x1B, 0x40, 0x1C, 0x26, 0xC2, 0xCC, 0xB2, 0xE8, 0x1C, 0x2E, 0x0A];
    bytes.extend((0..=255u8).filter(|b| *b != 0x10).cycle().take(3000));
    bytes.extend_from_slice(&[0x1D, 0x56, 0x42, 0x18]);
    bytes
}

fn paper_end() -> PrinterStatus {
    PrinterStatus { offline: true, paper_end: true, ..PrinterStatus::default() }
}

/// Until the printer has `n` jobs (the stand-in records a TCP job when its connection closes).
fn wait_for_jobs(printer: &Shared, n: usize) -> Vec<Vec<u8>> {
    for _ in 0..250 {
        let jobs = printer.lock().unwrap().jobs.clone();
        if jobs.len() >= n {
            return jobs;
        }
        thread::sleep(Duration::from_millis(20));
    }
    panic!("the printer did not get {n} jobs");
}

#[test]
fn tcp_one_connection_per_job_and_per_status_query() {
    let (uri, printer) = tcp_printer(true);
    let mut link = link::open(&uri).unwrap();
    assert_eq!(link.status().unwrap(), Some(PrinterStatus::default()));
    link.send(&job()).unwrap();
    assert_eq!(wait_for_jobs(&printer, 1), vec![job()], "the bytes arrive whole and unchanged");

    printer.lock().unwrap().status = paper_end();
    let status = link.status().unwrap().unwrap();
    assert_eq!(status.fault(), Some(PrinterFault::PaperEnd));

    let p = printer.lock().unwrap();
    assert_eq!(p.connections, 3, "status, job, status: each on its own connection");
    assert_eq!(p.queries, 6, "DLE EOT 1, 2 and 4 twice");
}

#[test]
fn a_tcp_printer_that_never_answers_is_no_answer() {
    let (uri, _printer) = tcp_printer(false);
    let mut link = link::open(&uri).unwrap();
    assert_eq!(link.status(), Err(DeviceError::PrinterFault(PrinterFault::NoAnswer)));
}

#[test]
fn nothing_listening_is_disconnected() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let uri = format!("tcp://{}", listener.local_addr().unwrap());
    drop(listener);
    let mut link = link::open(&uri).unwrap();
    assert!(matches!(link.send(&job()), Err(DeviceError::Disconnected(_))));
    assert!(matches!(link.status(), Err(DeviceError::Disconnected(_))));
}

#[test]
fn serial_over_a_pseudo_terminal() {
    // The slave stays open in `_pos`: with no slave open the master's reader sees the line hung
    // up, ends and closes the master, and the path is gone before the link opens it.
    let (device, _pos) = SerialLink::pty_pair().unwrap();
    let path = _pos.name().to_string();
    let printer = pty_printer(device);
    let mut link = link::open(&format!("serial://{path}?baud=9600")).unwrap();
    assert_eq!(link.status().unwrap(), Some(PrinterStatus::default()));
    link.send(&job()).unwrap();
    printer.lock().unwrap().status = paper_end();
    assert_eq!(link.status().unwrap().unwrap().fault(), Some(PrinterFault::PaperEnd));
    assert_eq!(printer.lock().unwrap().jobs[0], job(), "taken whole, before the second query was answered");
}

#[test]
fn a_serial_printer_that_never_answers_is_no_answer() {
    let (_device, _pos) = SerialLink::pty_pair().unwrap();
    let path = _pos.name().to_string();
    let mut link = link::open(&format!("serial://{path}")).unwrap();
    assert_eq!(link.status(), Err(DeviceError::PrinterFault(PrinterFault::NoAnswer)));
}

#[test]
fn usb_device_file_written_and_read_back() {
    // usblp's /dev/usb/lpN is a file written with the job and read for status answers; a
    // pseudo-terminal's slave is such a file too. The slave stays open in `_pos` so its raw
    // mode (set when the pair was made) holds.
    let (device, _pos) = SerialLink::pty_pair().unwrap();
    let path = _pos.name().to_string();
    let printer = pty_printer(device);
    let mut link = link::open(&format!("usb://{path}")).unwrap();
    assert_eq!(link.status().unwrap(), Some(PrinterStatus::default()));
    link.send(&job()).unwrap();
    printer.lock().unwrap().status = PrinterStatus { cover_open: true, offline: true, ..PrinterStatus::default() };
    assert_eq!(link.status().unwrap().unwrap().fault(), Some(PrinterFault::CoverOpen));
    assert_eq!(printer.lock().unwrap().jobs[0], job());
}

#[test]
fn a_usb_file_that_ends_or_stays_silent_is_no_answer() {
    // /dev/null reads as end of file at once: a printer whose usblp read returns nothing.
    let mut link = link::open("usb:///dev/null").unwrap();
    link.send(&job()).unwrap();
    assert_eq!(link.status(), Err(DeviceError::PrinterFault(PrinterFault::NoAnswer)));
    let (_device, pos) = SerialLink::pty_pair().unwrap();
    let mut link = link::open(&format!("usb://{}", pos.name())).unwrap();
    assert_eq!(link.status(), Err(DeviceError::PrinterFault(PrinterFault::NoAnswer)));
}

#[test]
fn an_unplugged_usb_printer_is_disconnected_and_a_missing_one_not_found() {
    let (device, pos) = SerialLink::pty_pair().unwrap();
    let mut link = link::open(&format!("usb://{}", pos.name())).unwrap();
    drop(device);
    assert!(matches!(link.send(&job()), Err(DeviceError::Disconnected(_))));
    assert!(matches!(link::open("usb:///dev/usb/lp-none"), Err(DeviceError::NotFound(_))));
}
