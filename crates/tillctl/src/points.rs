//! `tillctl` for the loyalty points terminal (till-points-v1):
//!
//! ```text
//! tillctl sim points-terminal --serial [--baud N] [--hold-pair] [--auto-present MS]
//!     runs a simulated terminal on a pseudo-terminal. The first line of output is
//!     `pty: <path>`; open that path as `serial://<path>`. It runs until killed and reads
//!     commands on stdin, one a line, answering each with `ok ...` or `error: ...`:
//!       press-pair | release-pair      press (and keep pressed) or release the pairing button
//!       present N                      hold demo phone N (0 or 1) to the terminal
//!       enrol TILL-ENROL 1 ...           a new phone scans the enrolment QR code the till shows;
//!                                      from then on it is the phone presented
//!       fault NAME | fault-always NAME commit a fault once / on every frame; NAME is one of
//!                                      garbage truncate bad-crc silence nak wrong-seq replay
//!                                      bad-auth unplug wrong-redeem
//!       clear-faults                   stop committing faults
//!       swap ID                        another terminal (id ID) takes this one's place
//!       status                         print the state, the terminal id and the counters
//!       unplug                         close the port and exit
//! tillctl sim points-terminal
//!     without --serial: pairs with an in-process simulator, reads a phone, prints each step
//! tillctl devices pair URI --key-file FILE [--json]
//!     sends PAIR while the installer holds the terminal's pairing button; the new key is
//!     written to FILE (mode 0600, `terminal_id=...` and `key=<hex>` lines), never printed
//! tillctl devices test URI --role points-terminal [--key-file FILE] [--json]
//!     sends HELLO and prints terminal id, firmware and whether it is paired; with the key file
//!     also checks a session (STATUS). On failure it says exactly what is wrong.
//! tillctl bench points [--rounds N]
//!     STATUS and READ_CUSTOMER round trips over a pseudo-terminal at 9600 and 115200 baud
//!     settings, next to the line-rate floor of the same bytes
//! ```

use crate::cli::DeviceTestArgs;
use crate::error::CliError;
use serde_json::json;
use std::io::{BufRead, Write};
use std::path::Path;
use std::time::{Duration, Instant};
use till_core::{Currency, Money};
use till_devices::points::message::{Message, TerminalState};
use till_devices::points::{
    self, frame, session, simulator, Fault, LoyaltyToken, Pairing, PairingKey, PointsTerminal, SimConfig,
    SimulatorHandle, TerminalId,
};
use till_devices::transport::SerialLink;
use till_devices::{Cancel, DeviceError};

/// A stable code for each error, for `--json` output and scripts.
pub fn error_code(e: &DeviceError) -> &'static str {
    match e {
        DeviceError::InvalidAddress(_) => "invalid_address",
        DeviceError::Unsupported(_) => "unsupported",
        DeviceError::PermissionDenied(_) => "permission_denied",
        DeviceError::NotFound(_) => "not_found",
        DeviceError::Disconnected(_) => "disconnected",
        DeviceError::Io(_) => "io",
        DeviceError::Cancelled => "cancelled",
        DeviceError::PointsNotResponding { .. } => "not_responding",
        DeviceError::PointsNoAnswer(_) => "no_answer",
        DeviceError::PointsBadCrc => "bad_crc",
        DeviceError::PointsBadFrame(_) => "bad_frame",
        DeviceError::PointsBadMessage { .. } => "bad_message",
        DeviceError::PointsAuthFailed => "auth_failed",
        DeviceError::PointsBadSequence { .. } => "bad_sequence",
        DeviceError::PointsRepairNeeded { .. } => "repair_needed",
        DeviceError::PointsNotPaired => "not_paired",
        DeviceError::PointsPairingRefused => "pairing_refused",
        DeviceError::PointsTerminalError { .. } => "terminal_error",
        DeviceError::PointsTimeout => "timeout",
        DeviceError::PointsRedemptionMismatch => "redemption_mismatch",
        _ => "device_error",
    }
}

fn fail_json(e: &DeviceError) -> serde_json::Value {
    json!({ "ok": false, "error": { "code": error_code(e), "message": e.to_string() } })
}

/// Writes the pairing to `path`, readable by the owner only.
fn write_key_file(path: &Path, pairing: &Pairing) -> Result<(), CliError> {
    use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
    let mut f = std::fs::OpenOptions::new().create(true).write(true).truncate(true).mode(0o600).open(path)?;
    // `mode` applies only to a new file; an existing one is narrowed too.
    f.set_permissions(std::fs::Permissions::from_mode(0o600))?;
    let key = hex::encode(pairing.key.expose());
    writeln!(f, "terminal_id={}\nkey={key}", pairing.terminal_id)?;
    f.sync_all()?;
    Ok(())
}

/// Reads a key file written by `devices pair`.
pub fn read_key_file(path: &Path) -> Result<Pairing, CliError> {
    let text = std::fs::read_to_string(path)?;
    let bad = || CliError::Usage("the key file must hold terminal_id=... and key=<64 hex digits> lines");
    let mut id = None;
    let mut key = None;
    for line in text.lines() {
        match line.split_once('=') {
            Some(("terminal_id", v)) => id = Some(TerminalId::new(v).map_err(|_| bad())?),
            Some(("key", v)) => {
                let bytes: [u8; 32] = hex::decode(v.trim()).ok().and_then(|b| b.try_into().ok()).ok_or_else(bad)?;
                key = Some(PairingKey::from_bytes(bytes));
            }
            _ => {}
        }
    }
    Ok(Pairing { terminal_id: id.ok_or_else(bad)?, key: key.ok_or_else(bad)? })
}

/// `tillctl devices pair URI --key-file FILE [--json]`.
pub fn pair(address: &str, key_file: &Path, json: bool) -> Result<(), CliError> {
    let result = points::open(address, None).and_then(|mut t| t.pair(PairingKey::generate(&mut rand::rngs::OsRng)));
    match result {
        Ok(pairing) => {
            write_key_file(key_file, &pairing)?;
            let key_file = key_file.display().to_string();
            if json {
                let out = json!({ "ok": true, "address": address, "terminal_id": pairing.terminal_id.as_str(), "key_file": key_file });
                println!("{out}");
            } else {
                println!("paired with points terminal {} at {address}", pairing.terminal_id);
                println!("pairing key written to {key_file} (mode 0600); store it in the till's device settings");
            }
            Ok(())
        }
        Err(e) => {
            if json {
                println!("{}", fail_json(&e));
            }
            Err(CliError::Device(e))
        }
    }
}

/// `tillctl devices test URI --role points-terminal [--key-file FILE] [--json]`.
pub fn test(args: &DeviceTestArgs) -> Result<(), CliError> {
    let address = args.uri.as_str();
    let json = args.json;
    let pairing = args.key_file.as_deref().map(read_key_file).transpose()?;
    let checks_session = pairing.is_some();
    let mut terminal = None;
    let result = points::open(address, pairing).and_then(|t| {
        let t = terminal.insert(t);
        let info = t.hello()?;
        let state = if checks_session { Some(t.status()?) } else { None };
        Ok((info, state))
    });
    match result {
        Ok((info, state)) => {
            if json {
                let out = json!({
                    "ok": true,
                    "role": "points-terminal",
                    "address": address,
                    "terminal_id": info.terminal_id.as_str(),
                    "firmware": info.firmware,
                    "paired": info.paired,
                    "session": state.map(|_| "ok"),
                    "state": state.map(TerminalState::name),
                });
                println!("{out}");
            } else {
                println!("points terminal at {address}");
                println!("  terminal id: {}", info.terminal_id);
                println!("  firmware:    {}", info.firmware);
                println!("  paired:      {}", if info.paired { "yes" } else { "no" });
                if let Some(s) = state {
                    println!("  session:     ok (encrypted STATUS answered: {})", s.name());
                }
                println!("OK");
            }
            Ok(())
        }
        Err(e) => {
            let seen = terminal.as_ref().and_then(PointsTerminal::last_hello);
            if json {
                let mut out = fail_json(&e);
                if let Some(i) = seen {
                    out["terminal_id"] = json!(i.terminal_id.as_str());
                    out["firmware"] = json!(i.firmware);
                }
                println!("{out}");
            } else {
                println!("points terminal at {address}: FAILED");
                if let Some(i) = seen {
                    println!("  answered HELLO as terminal {} (firmware {})", i.terminal_id, i.firmware);
                }
            }
            Err(CliError::Device(e))
        }
    }
}

fn sim_config(hold_pair: bool, auto_present_ms: Option<u64>) -> SimConfig {
    let mut config = SimConfig { pairing_button: hold_pair, ..SimConfig::default() };
    if let Some(ms) = auto_present_ms {
        config.auto_present = Some((0, Duration::from_millis(ms)));
    }
    config
}

/// `tillctl sim points-terminal [--serial] ...`.
pub fn sim(serial: bool, baud: Option<u32>, hold_pair: bool, auto_present_ms: Option<u64>) -> Result<(), CliError> {
    if !serial {
        return demo();
    }
    let baud = baud.unwrap_or(points::DEFAULT_BAUD);
    let (device, pos) = SerialLink::pty_pair()?;
    let path = pos.name().to_string();
    let handle = simulator::spawn(Box::new(device), sim_config(hold_pair, auto_present_ms));
    let mut out = std::io::stdout().lock();
    writeln!(out, "pty: {path}")?;
    writeln!(
        out,
        "till-points-v1 terminal {} on serial://{path}?baud={baud} (a pseudo-terminal does not pace bytes to the baud rate)",
        handle.terminal_id()
    )?;
    out.flush()?;
    drop(out);
    // Our own handle on the POS side keeps the pseudo-terminal open while tills come and go.
    let _keep_open = pos;
    let stdin = std::io::stdin();
    for line in stdin.lock().lines() {
        let line = line?;
        let reply = command(&handle, line.trim());
        // Whoever started us may have stopped reading our output; the terminal keeps running.
        let _ = writeln!(std::io::stdout(), "{reply}");
        if !handle.is_running() {
            return Ok(());
        }
    }
    // stdin closed (started in the background): run until killed or unplugged.
    while handle.is_running() {
        std::thread::sleep(Duration::from_millis(200));
    }
    Ok(())
}

fn command(sim: &SimulatorHandle, line: &str) -> String {
    let mut words = line.split_whitespace();
    let (verb, arg) = (words.next().unwrap_or(""), words.next());
    match (verb, arg) {
        ("", _) => String::new(),
        ("enrol", Some(_)) => {
            let message = line.trim_start().trim_start_matches("enrol").trim();
            match sim.enrol_phone(message) {
                Ok(i) => format!("ok phone {i} enrolled"),
                Err(e) => format!("error: {e}"),
            }
        }
        ("press-pair" | "hold-pair", None) => {
            sim.press_pair_button();
            "ok pairing button held".into()
        }
        ("release-pair", None) => {
            sim.release_pair_button();
            "ok pairing button released".into()
        }
        ("present", Some(n)) => {
            match n.parse::<usize>().map_err(|_| ()).and_then(|i| sim.present_phone(i).map_err(|_| ())) {
                Ok(()) => format!("ok phone {n} presented"),
                Err(()) => format!("error: no phone {n} (phones are 0 and 1)"),
            }
        }
        ("fault" | "fault-always", Some(name)) => match Fault::parse(name) {
            Some(f) if verb == "fault" => {
                sim.inject(f);
                format!("ok fault {name} once")
            }
            Some(f) => {
                sim.inject_always(f);
                format!("ok fault {name} always")
            }
            None => {
                let names: Vec<&str> = Fault::ALL.iter().map(|f| f.name()).collect();
                format!("error: no fault {name}; faults are {}", names.join(" "))
            }
        },
        ("clear-faults", None) => {
            sim.clear_faults();
            "ok faults cleared".into()
        }
        ("swap", Some(id)) => match TerminalId::new(id) {
            Ok(id) => {
                sim.swap_terminal(id);
                format!("ok terminal is now {id}")
            }
            Err(e) => format!("error: {e}"),
        },
        ("status", None) => {
            let s = sim.stats();
            format!(
                "ok state={} terminal_id={} paired={} frames_received={} frames_sent={} naks_received={} naks_sent={} security_errors={}",
                sim.state().name(),
                sim.terminal_id(),
                sim.pairing_key().is_some(),
                s.frames_received,
                s.frames_sent,
                s.naks_received,
                s.naks_sent,
                s.security_errors
            )
        }
        ("unplug", None) => {
            sim.unplug();
            while sim.is_running() {
                std::thread::sleep(Duration::from_millis(10));
            }
            "ok unplugged".into()
        }
        _ => format!("error: unknown command {line:?}"),
    }
}

/// Pairs with an in-process simulator and reads a phone, printing each step.
fn demo() -> Result<(), CliError> {
    let mut t = points::open("sim://points-terminal?auto_present_ms=300", None)?;
    let info = t.hello()?;
    println!("HELLO: terminal {} firmware {} paired={}", info.terminal_id, info.firmware, info.paired);
    let pairing = t.pair(PairingKey::generate(&mut rand::rngs::OsRng))?;
    println!("PAIR: paired with {}", pairing.terminal_id);
    t.display(&["Welcome", "Show your points app"])?;
    println!("DISPLAY: sent");
    let amount = Money::new(1250, Currency::parse("CNY").map_err(|_| CliError::Usage("CNY"))?);
    let token = t.read_customer(amount, Duration::from_secs(10), &Cancel::new())?;
    println!(
        "READ_CUSTOMER: account {} counter {} issued_at {} (the points server checks the MAC)",
        String::from_utf8_lossy(&token.account_id),
        token.counter,
        token.issued_at
    );
    println!("STATUS: {}", t.status()?.name());
    Ok(())
}

/// Bytes on the wire for one request/answer exchange: both frames and both ACKs.
fn exchange_bytes(request: &Message, answer: &Message) -> Result<usize, CliError> {
    let sealed = |m: &Message| -> Result<usize, CliError> {
        Ok(frame::OVERHEAD + 4 + session::SEAL_OVERHEAD + m.payload().map_err(CliError::Device)?.len())
    };
    Ok(sealed(request)? + 1 + sealed(answer)? + 1)
}

fn bench_samples(
    t: &mut PointsTerminal,
    rounds: usize,
    mut op: impl FnMut(&mut PointsTerminal) -> Result<(), DeviceError>,
) -> Result<Vec<Duration>, CliError> {
    let mut out = Vec::with_capacity(rounds);
    for _ in 0..rounds {
        let started = Instant::now();
        op(t)?;
        out.push(started.elapsed());
    }
    out.sort();
    Ok(out)
}

fn pct(sorted: &[Duration], p: f64) -> Duration {
    let i = ((sorted.len().saturating_sub(1)) as f64 * p).round() as usize;
    sorted.get(i).copied().unwrap_or_default()
}

fn ms(d: Duration) -> String {
    format!("{:.3} ms", d.as_secs_f64() * 1000.0)
}

/// `tillctl bench points [--rounds N]`.
pub fn bench(rounds: usize) -> Result<(), CliError> {
    let status_bytes = exchange_bytes(&Message::Status, &Message::StatusR { state: TerminalState::Idle })?;
    let token = LoyaltyToken { account_id: [0; 16], counter: 0, issued_at: 0, mac: [0; 16] };
    let read = Message::ReadCustomer { amount_minor: 0, currency: "CNY".into(), timeout_s: 30 };
    let read_bytes = exchange_bytes(&read, &Message::Customer { token })?;
    println!("till-points-v1 round trips over a pseudo-terminal, {rounds} rounds each, after one HELLO.");
    println!("A pseudo-terminal does not pace bytes to the baud rate: the floor column is what a real");
    println!("serial line would add at 10 bits per byte (8N1).\n");
    println!("| exchange | bytes on the wire | baud setting | p50 | p99 | line-rate floor |");
    println!("|---|---|---|---|---|---|");
    for baud in [9600u32, 115_200] {
        let (device, pos) = SerialLink::pty_pair()?;
        let port = SerialLink::open(pos.name(), baud)?;
        let key = PairingKey::generate(&mut rand::rngs::OsRng);
        let config = SimConfig {
            pairing_key: Some(key.clone()),
            auto_present: Some((0, Duration::ZERO)),
            ..SimConfig::default()
        };
        let sim = simulator::spawn(Box::new(device), config);
        let pairing = Pairing { terminal_id: sim.terminal_id(), key };
        let mut t = PointsTerminal::new(Box::new(port), pos.name(), Some(pairing), Box::new(rand::rngs::OsRng));
        t.hello()?;
        let status = bench_samples(&mut t, rounds, |t| t.status().map(|_| ()))?;
        let cny = Currency::parse("CNY").map_err(|_| CliError::Usage("CNY"))?;
        let cancel = Cancel::new();
        let reads = bench_samples(&mut t, rounds, |t| {
            t.read_customer(Money::new(1250, cny), Duration::from_secs(5), &cancel).map(|_| ())
        })?;
        for (name, bytes, samples) in [("STATUS", status_bytes, &status), ("READ_CUSTOMER", read_bytes, &reads)] {
            let floor = Duration::from_secs_f64(bytes as f64 * 10.0 / f64::from(baud));
            println!(
                "| {name} | {bytes} | {baud} | {} | {} | {} |",
                ms(pct(samples, 0.5)),
                ms(pct(samples, 0.99)),
                ms(floor)
            );
        }
        drop(t);
        drop(sim);
        drop(pos);
    }
    Ok(())
}
