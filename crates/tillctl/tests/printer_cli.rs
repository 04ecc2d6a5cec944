//! `tillctl printer test` and `tillctl drawer open` as an installer runs them, against a network
//! printer stood in for by a TCP listener on 127.0.0.1 in this test: it records what each
//! connection prints, answers `DLE EOT n` from a status the test sets, and opens its "drawer"
//! when it receives a kick.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a test fails by panicking

use std::io::{Read, Write};
use std::net::TcpListener;
use std::process::{Command, Output};
use std::sync::{Arc, Mutex};
use std::thread;
use till_devices::printer::PrinterStatus;

fn tillctl(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_tillctl")).args(args).output().unwrap()
}

#[derive(Default)]
struct Printer {
    status: PrinterStatus,
    /// The printed bytes (everything but status queries) of each connection that had some.
    jobs: Vec<Vec<u8>>,
    connections: usize,
}

type Shared = Arc<Mutex<Printer>>;

const KICK: [u8; 5] = [0x1B, 0x70, 0x00, 0x19, 0xFA];

/// Starts the stand-in printer; returns its address and what it saw. Each connection is served
/// to its end before the next is taken, as a printer on port 9100 does.
fn printer(status: PrinterStatus) -> (String, Shared) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let uri = format!("tcp://{}", listener.local_addr().unwrap());
    let shared = Shared::new(Mutex::new(Printer { status, ..Printer::default() }));
    let p = shared.clone();
    thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { return };
            p.lock().unwrap().connections += 1;
            let (mut held, mut job, mut buf) = (Vec::<u8>::new(), Vec::new(), [0u8; 4096]);
            while let Ok(n @ 1..) = stream.read(&mut buf) {
                held.extend_from_slice(&buf[..n]);
                let mut i = 0;
                let mut answers = Vec::new();
                while i < held.len() {
                    match &held[i..] {
                        [0x10, 0x04, n, ..] => {
                            let [a1, a2, a4] = p.lock().unwrap().status.answers();
                            answers.push([a1, a2, 0, a4][usize::from(n.clamp(&1, &4) - 1)]);
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
                if job.ends_with(&KICK) {
                    p.lock().unwrap().status.drawer_open = true;
                }
                stream.write_all(&answers).unwrap();
            }
            if !job.is_empty() {
                p.lock().unwrap().jobs.push(job);
            }
        }
    });
    (uri, shared)
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn a_test_page_prints_chinese_a_qr_code_and_is_cut() {
    let (uri, p) = printer(PrinterStatus::default());
    let out = tillctl(&["printer", "test", &uri, "--width", "58", "--lang", "zh"]);
    assert!(out.status.success(), "{}{}", stdout(&out), String::from_utf8_lossy(&out.stderr));
    let text = stdout(&out);
    assert!(text.contains("status before: ready, drawer closed"), "{text}");
    assert!(text.contains("status after: ready, drawer closed"), "{text}");

    let p = p.lock().unwrap();
    assert_eq!(p.connections, 3, "status, the page, status: one connection each");
    assert_eq!(p.jobs.len(), 1);
    let job = &p.jobs[0];
    assert!(job.starts_with(&[0x1B, 0x40]), "starts with ESC @");
    let (chinese, _, _) = encoding_rs::GB18030.encode("测试页 打印正常");
    assert!(contains(job, &[&[0x1C, 0x26][..], &chinese, &[0x1C, 0x2E]].concat()), "the Chinese line in Chinese mode");
    assert!(contains(job, &[0x1D, 0x28, 0x6B, 0x04, 0x00, 0x31, 0x41, 0x32, 0x00]), "a QR code, model 2");
    assert!(contains(job, b"TILL-PRINTER-TEST"));
    assert!(contains(job, b"12345678901234567890123456789012\n"), "a 32-column ruler at 58 mm");
    assert_eq!(&job[job.len() - 4..job.len() - 1], &[0x1D, 0x56, 0x42], "ends with GS V 66 n");
}

#[test]
fn the_test_page_carries_the_shops_name_from_its_data_dir() {
    let dir = tempfile::tempdir().unwrap();
    let store = till_store::Store::open(&dir.path().join("till.db")).unwrap();
    // The profile as the first-run setup stores it.
    let profile = r#"{"name":"Lotus Tea 莲花茶","address":"1 Lake Road","taxId":"","currency":"CNY",
        "taxRates":[{"name":"Standard","rateBp":1300}],"defaultTaxRate":1300,"receiptHeader":"",
        "receiptFooter":"","timeZone":"Asia/Shanghai","tillName":"Counter 1"}"#;
    store.set_setting("shop.profile", profile).unwrap();
    drop(store);
    let (uri, p) = printer(PrinterStatus::default());
    let data_dir = dir.path().display().to_string();
    let out = tillctl(&["printer", "test", &uri, "--data-dir", &data_dir, "--code-page", "pc437"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let job = &p.lock().unwrap().jobs[0];
    // Code page 437: ESC t 0 after ESC @, the Chinese of the name as '?'.
    assert!(job.starts_with(&[0x1B, 0x40, 0x1B, 0x74, 0x00]));
    assert!(contains(job, b"Lotus Tea ???\n"), "{:?}", String::from_utf8_lossy(job));
    assert!(contains(job, b"123456789012345678901234567890123456789012345678\n"), "80 mm by default");
}

#[test]
fn the_drawer_kick_is_the_full_five_bytes_and_the_drawer_reads_open() {
    let (uri, p) = printer(PrinterStatus::default());
    let out = tillctl(&["drawer", "open", &uri]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(p.lock().unwrap().jobs, vec![KICK.to_vec()], "exactly ESC p 0 25 250");
    let text = stdout(&out);
    assert!(text.contains("status before: ready, drawer closed") && text.contains("drawer: open"), "{text}");
}

#[test]
fn paper_out_refuses_to_print_and_sends_nothing() {
    let (uri, p) = printer(PrinterStatus { paper_end: true, offline: true, ..PrinterStatus::default() });
    let out = tillctl(&["printer", "test", &uri]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("out of paper") && err.contains("nothing was sent"), "{err}");
    assert!(stdout(&out).contains("status before: paper end, offline"));
    let p = p.lock().unwrap();
    assert!(p.jobs.is_empty(), "no print bytes, only the status queries");
    assert_eq!(p.connections, 1);

    let out = tillctl(&["drawer", "open", &uri]);
    assert_eq!(out.status.code(), Some(1));
}

#[test]
fn a_printer_that_is_not_there_fails_with_a_clear_message() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let uri = format!("tcp://{}", listener.local_addr().unwrap());
    drop(listener);
    let out = tillctl(&["printer", "test", &uri]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("not connected") && err.contains("nothing was sent"), "{err}");

    let out = tillctl(&["printer", "test", "tcp://no-port-here"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("invalid device address"));
    let out = tillctl(&["printer", "test", "tcp://127.0.0.1:9100", "--width", "76"]);
    assert_eq!(out.status.code(), Some(2), "clap refuses a width it does not know");
}
