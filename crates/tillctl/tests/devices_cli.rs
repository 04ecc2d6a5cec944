//! `tillctl sim card-reader --serial` and `tillctl devices test` as an installer runs them, in
//! two processes talking over a real pseudo-terminal: the read comes out masked, the errors say
//! what is wrong, and the full test card number appears in no output.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a test fails by panicking

use serde_json::Value;
use std::io::{BufRead, BufReader, Read, Write};
use std::process::{Child, ChildStdin, ChildStdout, Command, Output, Stdio};
use std::sync::mpsc;
use std::thread;
use std::time::Duration;

const VISA_PAN: &str = "4111111111111111";
const UNIONPAY_PAN: &str = "6250941006528599";

fn tillctl() -> Command {
    Command::new(env!("CARGO_BIN_EXE_tillctl"))
}

/// A running `tillctl sim card-reader --serial`, killed when dropped.
struct Sim {
    child: Child,
    stdin: ChildStdin,
    lines: mpsc::Receiver<String>,
    path: String,
}

impl Sim {
    fn start() -> Sim {
        let mut child = tillctl()
            .args(["sim", "card-reader", "--serial"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let stdin = child.stdin.take().unwrap();
        let lines = read_lines(child.stdout.take().unwrap());
        let first = lines.recv_timeout(Duration::from_secs(10)).unwrap();
        let path = first.strip_prefix("pty: ").unwrap_or_else(|| panic!("first line {first:?}")).to_string();
        Sim { child, stdin, lines, path }
    }

    fn send(&mut self, command: &str) {
        writeln!(self.stdin, "{command}").unwrap();
        self.stdin.flush().unwrap();
    }

    /// Waits for the simulator's reply that starts with `prefix`.
    fn expect(&self, prefix: &str) -> String {
        loop {
            let line = self.lines.recv_timeout(Duration::from_secs(10)).unwrap();
            assert!(!line.contains(VISA_PAN) && !line.contains(UNIONPAY_PAN), "the simulator printed a PAN: {line}");
            if line.starts_with(prefix) {
                return line;
            }
        }
    }

    fn uri(&self) -> String {
        format!("serial://{}?driver=idtech-enhanced", self.path)
    }
}

impl Drop for Sim {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn read_lines(stdout: ChildStdout) -> mpsc::Receiver<String> {
    let (tx, rx) = mpsc::channel();
    thread::spawn(move || {
        for line in BufReader::new(stdout).lines() {
            let Ok(line) = line else { return };
            if tx.send(line).is_err() {
                return;
            }
        }
    });
    rx
}

/// Runs `devices test` on the simulator's port, and once it says it is waiting, sends `command`
/// to the simulator.
fn test_with(sim: &mut Sim, extra: &[&str], command: &str) -> Output {
    let mut child = tillctl()
        .args(["devices", "test", &sim.uri(), "--role", "card-reader", "--json"])
        .args(extra)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stderr = BufReader::new(child.stderr.take().unwrap());
    let mut first = String::new();
    stderr.read_line(&mut first).unwrap();
    assert!(first.starts_with("waiting for a swipe"), "{first}");
    if !command.is_empty() {
        // The driver discards what arrived before it was armed; give it a moment to be armed.
        thread::sleep(Duration::from_millis(200));
        sim.send(command);
    }
    let mut rest = String::new();
    stderr.read_to_string(&mut rest).unwrap();
    let mut out = child.wait_with_output().unwrap();
    out.stderr = format!("{first}{rest}").into_bytes();
    out
}

fn assert_no_pan(out: &Output) {
    for stream in [&out.stdout, &out.stderr] {
        let text = String::from_utf8_lossy(stream);
        for pan in [VISA_PAN, UNIONPAY_PAN] {
            assert!(!text.contains(pan), "a PAN was printed: {text}");
        }
    }
}

fn json(out: &Output) -> Value {
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stdout)))
}

#[test]
fn a_swipe_on_the_simulated_serial_reader_is_printed_masked() {
    let mut sim = Sim::start();
    let out = test_with(&mut sim, &["--timeout", "10"], "swipe visa");
    sim.expect("swiped visa");
    assert_no_pan(&out);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let v = json(&out);
    assert_eq!(v["masked_pan"], "411111******1111");
    assert_eq!((v["bin"].as_str(), v["last4"].as_str()), (Some("411111"), Some("1111")));
    assert_eq!((v["brand"].as_str(), v["expiry"].as_str()), (Some("Visa"), Some("2812")));
    assert_eq!(v["format"], "idtech-enhanced");
    assert_eq!(v["pin_required"], false);
    assert_eq!(v["encrypted"]["scheme"], "idtech-enhanced TDES-CBC DUKPT data key");
    assert_eq!(v["encrypted"]["ksn"], "ffff9876543210e00001");

    // The same simulator, a second swipe of another card: the port is still usable.
    let out = test_with(&mut sim, &["--timeout", "10"], "swipe unionpay");
    assert_no_pan(&out);
    let v = json(&out);
    assert_eq!((v["masked_pan"].as_str(), v["brand"].as_str()), (Some("625094******8599"), Some("UnionPay")));
    assert_eq!(v["encrypted"]["ksn"], "ffff9876543210e00002");
}

#[test]
fn faults_are_reported_as_what_is_wrong() {
    let mut sim = Sim::start();
    let out = test_with(&mut sim, &["--timeout", "10"], "fault bad-lrc");
    assert_eq!(out.status.code(), Some(1));
    let v = json(&out);
    assert_eq!(v["error"]["code"], "bad_report");
    let message = v["error"]["message"].as_str().unwrap();
    assert!(message.contains("LRC") && message.contains("swipe again"), "{message}");
    assert!(String::from_utf8_lossy(&out.stderr).contains("bad LRC"));

    let out = test_with(&mut sim, &["--timeout", "10"], "fault truncated");
    assert_eq!(json(&out)["error"]["code"], "bad_report");

    let out = test_with(&mut sim, &["--timeout", "1"], "fault silence");
    assert_eq!(json(&out)["error"]["code"], "timeout");
    assert!(String::from_utf8_lossy(&out.stderr).contains("no card was swiped in time"));

    let out = test_with(&mut sim, &["--timeout", "10"], "fault unplug");
    assert_eq!(json(&out)["error"]["code"], "disconnected");
    sim.expect("fault unplug");
}

#[test]
fn a_missing_port_and_an_unknown_reader_say_so() {
    let out = tillctl()
        .args(["devices", "test", "serial:///dev/ttyUSB-none", "--role", "card-reader", "--json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(json(&out)["error"]["code"], "not_found");
    let out =
        tillctl().args(["devices", "test", "hid://1234:5678", "--role", "card-reader", "--json"]).output().unwrap();
    let v = json(&out);
    assert_eq!(v["error"]["code"], "unsupported");
    assert!(v["error"]["message"].as_str().unwrap().contains("driver="));
}

#[test]
fn the_in_process_simulators_need_no_hardware() {
    let out =
        tillctl().args(["sim", "card-reader", "--card", "unionpay", "--driver", "magtek-magnesafe"]).output().unwrap();
    assert_no_pan(&out);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let v = json(&out);
    assert_eq!((v["masked_pan"].as_str(), v["format"].as_str()), (Some("625094******8599"), Some("magtek-magnesafe")));
    let out = tillctl().args(["devices", "list", "--json"]).output().unwrap();
    assert!(out.status.success());
    let list = json(&out);
    let uris: Vec<&str> = list.as_array().unwrap().iter().filter_map(|d| d["uri"].as_str()).collect();
    assert!(uris.contains(&"sim://card-reader") && uris.contains(&"sim://points-terminal"), "{uris:?}");
    let out = tillctl().args(["sim", "card-reader", "--card", "amex"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
}
