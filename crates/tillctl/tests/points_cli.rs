#![allow(clippy::unwrap_used, clippy::expect_used)]
//! `tillctl sim points-terminal --serial` on a pseudo-terminal, tested by `tillctl devices test`
//! and `tillctl devices pair` as an installer would run them.

use serde_json::Value;
use std::io::{BufRead, BufReader, Write};
use std::process::{Child, ChildStdin, ChildStdout, Command, Output, Stdio};
use std::time::Duration;

fn tillctl(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_tillctl")).args(args).output().unwrap()
}

/// The simulator process; killed when the test ends, however it ends.
struct Sim {
    child: Child,
    stdin: ChildStdin,
    // Kept open so the simulator's replies on stdout have a reader.
    _stdout: BufReader<ChildStdout>,
    uri: String,
}

impl Sim {
    fn start() -> Sim {
        let mut child = Command::new(env!("CARGO_BIN_EXE_tillctl"))
            .args(["sim", "points-terminal", "--serial"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        let mut first = String::new();
        let mut stdout = BufReader::new(child.stdout.take().unwrap());
        stdout.read_line(&mut first).unwrap();
        let path = first.strip_prefix("pty: ").expect("the first line names the pty").trim().to_string();
        let stdin = child.stdin.take().unwrap();
        Sim { child, stdin, _stdout: stdout, uri: format!("serial://{path}?baud=115200") }
    }

    fn send(&mut self, command: &str) {
        writeln!(self.stdin, "{command}").unwrap();
        self.stdin.flush().unwrap();
        // The simulator reads stdin on its own thread; give it a moment.
        std::thread::sleep(Duration::from_millis(200));
    }
}

impl Drop for Sim {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn json(out: &Output) -> Value {
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stdout)))
}

#[test]
fn devices_test_reads_the_simulators_hello_over_the_pty() {
    let sim = Sim::start();
    let out = tillctl(&["devices", "test", &sim.uri, "--role", "points-terminal", "--json"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let v = json(&out);
    assert_eq!(v["ok"], true);
    assert_eq!(v["terminal_id"], "TILL-SIM-0001");
    assert_eq!(v["firmware"], "sim-1.0");
    assert_eq!(v["paired"], false);
}

#[test]
fn pairing_needs_the_button_writes_a_private_key_file_and_never_prints_the_key() {
    let mut sim = Sim::start();
    let dir = tempfile::tempdir().unwrap();
    let key_file = dir.path().join("points.key");
    let key_path = key_file.to_str().unwrap();

    let out = tillctl(&["devices", "pair", &sim.uri, "--key-file", key_path, "--json"]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(json(&out)["error"]["code"], "pairing_refused");
    assert!(!key_file.exists());

    sim.send("press-pair");
    let out = tillctl(&["devices", "pair", &sim.uri, "--key-file", key_path, "--json"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(json(&out)["terminal_id"], "TILL-SIM-0001");
    use std::os::unix::fs::PermissionsExt;
    assert_eq!(std::fs::metadata(&key_file).unwrap().permissions().mode() & 0o777, 0o600);
    let text = std::fs::read_to_string(&key_file).unwrap();
    let key_hex = text.lines().find_map(|l| l.strip_prefix("key=")).unwrap();
    assert_eq!(key_hex.len(), 64);
    for stream in [&out.stdout, &out.stderr] {
        assert!(!String::from_utf8_lossy(stream).contains(key_hex), "the key was printed");
    }

    let out = tillctl(&["devices", "test", &sim.uri, "--role", "points-terminal", "--key-file", key_path, "--json"]);
    let v = json(&out);
    assert_eq!((v["ok"].clone(), v["paired"].clone(), v["session"].clone()), (true.into(), true.into(), "ok".into()));

    sim.send("fault-always nak");
    let out = tillctl(&["devices", "test", &sim.uri, "--role", "points-terminal", "--key-file", key_path, "--json"]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(json(&out)["error"]["code"], "not_responding");

    sim.send("clear-faults");
    sim.send("swap PT-OTHER-0002");
    let out = tillctl(&["devices", "test", &sim.uri, "--role", "points-terminal", "--key-file", key_path]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("a different points terminal (id PT-OTHER-0002) is on this port; pair it again"),
        "{stderr}"
    );
}

#[test]
fn a_missing_port_is_named() {
    let out = tillctl(&["devices", "test", "serial:///dev/ttyUSB-none", "--role", "points-terminal", "--json"]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(json(&out)["error"]["code"], "not_found");
}
