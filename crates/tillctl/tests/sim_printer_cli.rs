#![allow(clippy::unwrap_used, clippy::expect_used)]
//! `tillctl sim printer` as a till (or a script) uses it: a job sent over TCP comes out as
//! job-0001.txt and job-0001.png; `paper-out` on stdin stops printing and `DLE EOT 4` says so.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{self, Receiver};
use std::time::Duration;

/// The simulator process; killed when the test ends, however it ends.
struct Sim {
    child: Child,
    stdin: ChildStdin,
    lines: Receiver<String>,
    address: String,
}

impl Sim {
    fn start(args: &[&str]) -> Sim {
        let mut child = Command::new(env!("CARGO_BIN_EXE_tillctl"))
            .args(["sim", "printer"])
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        let stdout = BufReader::new(child.stdout.take().unwrap());
        let (tx, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in stdout.lines() {
                if tx.send(line.unwrap()).is_err() {
                    break;
                }
            }
        });
        let stdin = child.stdin.take().unwrap();
        let mut sim = Sim { child, stdin, lines, address: String::new() };
        let first = sim.next_line();
        sim.address = first.strip_prefix("listening ").expect("the first line names the address").to_string();
        sim
    }

    fn next_line(&self) -> String {
        self.lines.recv_timeout(Duration::from_secs(10)).expect("a line from the simulator")
    }

    fn control(&mut self, line: &str) {
        writeln!(self.stdin, "{line}").unwrap();
        self.stdin.flush().unwrap();
        assert_eq!(self.next_line(), "ok", "{line}");
    }
}

impl Drop for Sim {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A receipt written from Epson's reference: init, Chinese mode, a centred double-size name,
/// a Chinese line in GB18030 (绿茶 = C2CC B2E8), a QR code (model 2, module 4, EC M), feed, cut.
fn receipt() -> Vec<u8> {
    let mut b = vec![0x1B, 0x40, 0x1C, 0x26, 0x1B, 0x61, 0x01, 0x1D, 0x21, 0x11];
    b.extend(b"Till Shop\n");
    b.extend([0x1D, 0x21, 0x00, 0x1B, 0x61, 0x00, 0xC2, 0xCC, 0xB2, 0xE8]);
    b.extend(b" Green tea\n");
    b.extend([0x1B, 0x61, 0x01]);
    b.extend([0x1D, 0x28, 0x6B, 0x04, 0x00, 0x31, 0x41, 0x32, 0x00]);
    b.extend([0x1D, 0x28, 0x6B, 0x03, 0x00, 0x31, 0x43, 0x04]);
    b.extend([0x1D, 0x28, 0x6B, 0x03, 0x00, 0x31, 0x45, 0x31]);
    b.extend([0x1D, 0x28, 0x6B, 15, 0x00, 0x31, 0x50, 0x30]);
    b.extend(b"L-00000042-1");
    b.extend([0x1D, 0x28, 0x6B, 0x03, 0x00, 0x31, 0x51, 0x30]);
    b.extend([0x1B, 0x64, 0x02, 0x1C, 0x2E, 0x1D, 0x56, 0x42, 0x30]);
    b
}

fn send(address: &str, bytes: &[u8]) {
    let mut socket = TcpStream::connect(address).unwrap();
    socket.write_all(bytes).unwrap();
}

fn ask(address: &str, n: u8) -> u8 {
    let mut socket = TcpStream::connect(address).unwrap();
    socket.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    socket.write_all(&[0x10, 0x04, n]).unwrap();
    let mut answer = [0u8; 1];
    socket.read_exact(&mut answer).unwrap();
    answer[0]
}

fn png_size(path: &Path) -> (u32, u32) {
    let bytes = std::fs::read(path).unwrap();
    assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n", "{} is a PNG", path.display());
    let be = |at: usize| u32::from_be_bytes(bytes[at..at + 4].try_into().unwrap());
    (be(16), be(20))
}

#[test]
fn a_job_over_tcp_comes_out_as_text_and_png_and_paper_out_stops_printing() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("jobs");
    let mut sim = Sim::start(&["--tcp", "127.0.0.1:0", "--out", out.to_str().unwrap(), "--width", "58"]);
    assert!(sim.address.starts_with("127.0.0.1:") && !sim.address.ends_with(":0"), "{}", sim.address);

    send(&sim.address, &receipt());
    assert_eq!(sim.next_line(), "job 1: Till Shop");
    assert_eq!(
        std::fs::read_to_string(out.join("job-0001.txt")).unwrap(),
        "Till Shop\n绿茶 Green tea\n[QR L-00000042-1]\n\n\n[CUT]\n"
    );
    let (width, height) = png_size(&out.join("job-0001.png"));
    assert_eq!(width, 384, "58 mm paper is 384 dots wide");
    assert!(height > 100, "{height}");

    // A kick on its own is a job: text only, and the drawer reads open until closed.
    send(&sim.address, &[0x1B, 0x70, 0x00, 0x19, 0xFA]);
    assert_eq!(sim.next_line(), "job 2: [DRAWER pin=0 on=50ms off=500ms]");
    assert_eq!(std::fs::read_to_string(out.join("job-0002.txt")).unwrap(), "[DRAWER pin=0 on=50ms off=500ms]\n");
    assert!(!out.join("job-0002.png").exists());
    assert_eq!(ask(&sim.address, 1), 0x16);
    sim.control("drawer-closed");
    assert_eq!(ask(&sim.address, 1), 0x12);

    sim.control("paper-out");
    send(&sim.address, &receipt());
    assert_eq!(ask(&sim.address, 4), 0x72, "DLE EOT 4: paper end (bits 5-6)");
    assert_eq!(ask(&sim.address, 1), 0x1A, "DLE EOT 1: offline (bit 3)");
    sim.control("paper-loaded");
    assert_eq!(ask(&sim.address, 4), 0x12);
    assert!(!out.join("job-0003.txt").exists(), "the job sent while out of paper was lost");
    send(&sim.address, &receipt());
    assert_eq!(sim.next_line(), "job 3: Till Shop", "the next job prints, numbered on");
    assert!(out.join("job-0003.png").exists());

    writeln!(sim.stdin, "jam").unwrap();
    sim.stdin.flush().unwrap();
    assert!(sim.next_line().starts_with("error: unknown control line"));
}

#[test]
fn pty_mode_names_its_pseudo_terminal_first() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_tillctl"))
        .args(["sim", "printer", "--pty", "--fail", "cover-open"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut first = String::new();
    BufReader::new(child.stdout.take().unwrap()).read_line(&mut first).unwrap();
    let _ = child.kill();
    let _ = child.wait();
    let path = first.trim().strip_prefix("pty ").expect("`pty PATH` first");
    assert!(path.starts_with("/dev/"), "{path}");
}

#[test]
fn tcp_and_pty_together_are_refused() {
    let out = Command::new(env!("CARGO_BIN_EXE_tillctl"))
        .args(["sim", "printer", "--pty", "--tcp", "127.0.0.1:0"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let out = Command::new(env!("CARGO_BIN_EXE_tillctl"))
        .args(["sim", "printer", "--width", "60", "--pty"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
}
