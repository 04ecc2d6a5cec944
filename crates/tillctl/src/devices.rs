//! `tillctl devices` and `tillctl sim card-reader`: what an installer uses at the counter to find
//! the devices, check a card reader end to end, and rehearse without hardware; and
//! `tillctl bench devices`, the card reader figures in docs/performance.md.
//!
//! ```text
//! tillctl devices list [--json]
//!     serial ports and USB HID devices (ids, names, guessed role and driver) and the simulators
//! tillctl devices test URI --role card-reader [--driver D] [--timeout S] [--json]
//!     waits up to S seconds (default 30) for a swipe on the reader at URI and prints the read,
//!     masked, with the fields of `card decode`; or exactly what is wrong (permission denied,
//!     no device, no swipe in time, bad LRC...), also as {"error": {code, message}} with --json
//! tillctl sim card-reader [--serial] [--card NAME] [--driver D]
//!     without --serial: swipes NAME (default visa) through a simulated HID reader speaking D
//!     (default magtek-hid) and the real HID driver, and prints the read;
//!     with --serial: an ID TECH reader on a pseudo-terminal. The first line printed is
//!     `pty: <path>`; open serial://<path>?driver=idtech-enhanced. It then reads commands from
//!     standard input until killed:
//!         swipe [NAME]      swipe a test card (visa, mastercard, unionpay, expired, pin, unreadable)
//!         fault KIND        garbage | truncated | bad-lrc | silence | unplug (unplug also exits)
//!         cards             list the test cards
//! tillctl bench devices [--reports N] [--swipes N]
//!     parse time per report for each format, swipe-to-read latency through the simulators
//! ```
//!
//! Nothing here prints a full card number: reads are shown as BIN and last four.

use crate::bench::percentile;
use crate::card::to_json;
use crate::cli::DeviceTestArgs;
use crate::error::CliError;
use rand::rngs::StdRng;
use rand::SeedableRng;
use serde_json::json;
use std::io::{BufRead, Write};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};
use till_core::{Currency, Money};
use till_devices::card_reader::{
    self, iso7813, sim_reports, sim_serial, test_cards, Fault, HidCardReader, ReaderProtocol, SerialCardReader,
    SimControl, SimulatedHidReader,
};
use till_devices::transport::discovery::{self, DiscoveredDevice};
use till_devices::transport::SerialLink;
use till_devices::{Cancel, CardRead, CardReader, DeviceAddress, DeviceError};

/// A stable code for each error, for the installer screen and scripts.
pub fn error_code(e: &DeviceError) -> &'static str {
    match e {
        DeviceError::InvalidAddress(_) => "invalid_address",
        DeviceError::Unsupported(_) => "unsupported",
        DeviceError::Timeout => "timeout",
        DeviceError::BadRead { .. } => "bad_read",
        DeviceError::BadReport { .. } => "bad_report",
        DeviceError::Disconnected(_) => "disconnected",
        DeviceError::PermissionDenied(_) => "permission_denied",
        DeviceError::NotFound(_) => "not_found",
        DeviceError::Io(_) => "io",
        DeviceError::Cancelled => "cancelled",
        _ => "device_error",
    }
}

fn hex_id(id: Option<u16>) -> String {
    id.map(|v| format!("{v:04x}")).unwrap_or_else(|| "-".into())
}

/// `tillctl devices list [--json]`.
pub fn list(json_out: bool) -> Result<(), CliError> {
    let devices = discovery::enumerate(true)?;
    if json_out {
        println!("{}", serde_json::to_string_pretty(&devices).map_err(|e| std::io::Error::other(e.to_string()))?);
        return Ok(());
    }
    println!("{:<44} {:<6} {:<9} {:<15} {:<16} PRODUCT", "URI", "KIND", "USB ID", "ROLE", "DRIVER");
    for d in &devices {
        println!("{}", table_row(d));
    }
    Ok(())
}

fn table_row(d: &DiscoveredDevice) -> String {
    let kind = d.kind.as_str();
    let ids = match (d.vendor_id, d.product_id) {
        (None, None) => "-".to_string(),
        (v, p) => format!("{}:{}", hex_id(v), hex_id(p)),
    };
    format!(
        "{:<44} {:<6} {:<9} {:<15} {:<16} {}",
        d.uri,
        kind,
        ids,
        d.guessed_role.map(|r| r.name()).unwrap_or("-"),
        d.guessed_driver.as_deref().unwrap_or("-"),
        d.product.as_deref().unwrap_or("")
    )
}

/// The driver name shown in the `format` field of a read.
fn driver_name(uri: &str, driver: Option<&str>) -> String {
    let a = DeviceAddress::parse(uri).ok();
    let from_address = a.as_ref().and_then(|a| a.param("driver").map(str::to_string));
    let guessed = a
        .as_ref()
        .filter(|a| a.scheme == "hid")
        .and_then(|a| card_reader::parse_usb_ids(&a.path))
        .and_then(|(v, p)| card_reader::driver_for_usb_ids(v, p).map(|p| p.name().to_string()));
    match a.as_ref().map(|a| a.scheme.as_str()) {
        Some("sim") => "sim".into(),
        Some("serial") => driver.map(str::to_string).or(from_address).unwrap_or_else(|| "idtech-enhanced".into()),
        _ => driver.map(str::to_string).or(from_address).or(guessed).unwrap_or_else(|| "unknown".into()),
    }
}

fn amount() -> Money {
    // Swipe readers have no display; the amount is only what the driver is armed with.
    Money::new(0, Currency::CNY)
}

fn print_read(format: &str, uri: &str, read: &CardRead, json_out: bool) {
    let mut v = to_json(format, read);
    v["device"] = json!(uri);
    if json_out {
        println!("{v}");
    } else {
        println!(
            "read {} {} expiring {} ({}){}",
            read.brand.name(),
            read.masked_pan.as_str(),
            read.expiry,
            if read.pin_required { "asks for a PIN" } else { "no PIN" },
            match read.encrypted() {
                Some(b) => format!(", encrypted by the reader ({}, KSN {})", b.scheme, hex::encode(&b.ksn)),
                None => ", in clear (a non-encrypting reader)".to_string(),
            }
        );
    }
}

fn print_error(e: &DeviceError, json_out: bool) {
    if json_out {
        println!("{}", json!({ "error": { "code": error_code(e), "message": e.to_string() } }));
    }
}

/// `tillctl devices test URI --role card-reader [--driver D] [--timeout S] [--json]`.
pub fn test_card_reader(args: &DeviceTestArgs) -> Result<(), CliError> {
    let uri = &args.uri;
    let driver = args.driver.clone();
    let timeout = args.timeout;
    let json_out = args.json;
    let result = card_reader::open_with_driver(uri, driver.as_deref()).and_then(|mut reader| {
        eprintln!("waiting for a swipe on {uri} ({timeout} s)...");
        reader.read_card(amount(), Duration::from_secs(timeout), &Cancel::new())
    });
    match result {
        Ok(read) => {
            print_read(&driver_name(uri, driver.as_deref()), uri, &read, json_out);
            Ok(())
        }
        Err(e) => {
            print_error(&e, json_out);
            Err(e.into())
        }
    }
}

fn print_cards() {
    for c in &test_cards::CATALOGUE {
        println!("{:<11} {} {}", c.name, c.masked_pan('*'), c.description);
    }
}

/// `tillctl sim card-reader [--serial] [--card NAME] [--driver D]`.
pub fn sim_card_reader(serial: bool, card: &str, driver: &str) -> Result<(), CliError> {
    if test_cards::find(card).is_none() {
        return Err(CliError::Usage("--card must be visa|mastercard|unionpay|expired|pin|unreadable"));
    }
    if serial {
        return serial_sim(card);
    }
    let protocol = ReaderProtocol::parse(driver)?;
    let (device, control) = SimulatedHidReader::new(protocol, Box::new(StdRng::from_entropy()));
    let uri = format!("sim-hid://{}", protocol.name());
    let mut reader = HidCardReader::new(Box::new(device), protocol, uri.clone());
    let swiper = swipe_soon(&control, card);
    let result = reader.read_card(amount(), Duration::from_secs(5), &Cancel::new());
    let _ = swiper.join();
    match result {
        Ok(read) => {
            print_read(protocol.name(), &uri, &read, true);
            Ok(())
        }
        Err(e) => Err(e.into()),
    }
}

/// Swipes `card` once the driver has been armed (it discards earlier swipes).
fn swipe_soon(control: &SimControl, card: &str) -> thread::JoinHandle<()> {
    let (control, card) = (control.clone(), card.to_string());
    thread::spawn(move || {
        thread::sleep(Duration::from_millis(50));
        let _ = control.swipe(&card);
    })
}

fn serial_sim(default_card: &str) -> Result<(), CliError> {
    let (device, pos) = SerialLink::pty_pair()?;
    let control = sim_serial::spawn(Box::new(device), Box::new(StdRng::from_entropy()))?;
    let mut out = std::io::stdout().lock();
    writeln!(out, "pty: {}", pos.name())?;
    writeln!(
        out,
        "ready: open serial://{}?driver=idtech-enhanced; commands: swipe [CARD], fault KIND, cards",
        pos.name()
    )?;
    out.flush()?;
    drop(out);
    // The till side stays open here too, so the pseudo-terminal does not hang up between two
    // `devices test` runs.
    let _pos = pos;
    for line in std::io::stdin().lock().lines() {
        let line = line?;
        let words: Vec<&str> = line.split_whitespace().collect();
        let reply = match words.as_slice() {
            [] => continue,
            ["swipe"] => control.swipe(default_card).map(|()| format!("swiped {default_card}")),
            ["swipe", name] => control.swipe(name).map(|()| format!("swiped {name}")),
            ["fault", kind] => match Fault::parse(kind) {
                Some(f) => control.fault(f).map(|()| format!("fault {kind}")),
                None => Ok("unknown fault; try garbage, truncated, bad-lrc, silence, unplug".to_string()),
            },
            ["cards"] => {
                print_cards();
                continue;
            }
            _ => Ok("commands: swipe [CARD], fault garbage|truncated|bad-lrc|silence|unplug, cards".to_string()),
        };
        match reply {
            Ok(text) => println!("{text}"),
            Err(e) => println!("error: {e}"),
        }
        if words == ["fault", "unplug"] {
            // Give the simulator thread a moment to let go of the port, so the till sees the
            // hang-up and not a vanished process.
            thread::sleep(Duration::from_millis(100));
            return Ok(());
        }
    }
    // Standard input closed: keep the reader "plugged in" until the process is killed.
    loop {
        thread::sleep(Duration::from_secs(3600));
    }
}

fn row(name: &str, mut samples: Vec<Duration>) {
    samples.sort();
    let us = |d: Duration| format!("{:.1} µs", d.as_secs_f64() * 1e6);
    println!("| {name} | {} | {} | {} |", samples.len(), us(percentile(&samples, 0.5)), us(percentile(&samples, 0.99)));
}

/// Times `n` parses of `bytes`, each on its own (so the figure is per report).
fn parse_samples(n: usize, parse: impl Fn() -> bool) -> Result<Vec<Duration>, CliError> {
    let mut out = Vec::with_capacity(n);
    for _ in 0..n {
        let t = Instant::now();
        let ok = parse();
        out.push(t.elapsed());
        if !ok {
            return Err(CliError::CheckFailed("a simulator report did not parse".into()));
        }
    }
    Ok(out)
}

/// Swipe-to-read latency: from asking the simulator to swipe to the driver returning the read.
fn latency_samples(mut reader: Box<dyn CardReader>, control: &SimControl, n: usize) -> Result<Vec<Duration>, CliError> {
    let (done_tx, done_rx) = mpsc::channel();
    let worker = thread::spawn(move || {
        for _ in 0..n {
            let r = reader.read_card(amount(), Duration::from_secs(5), &Cancel::new());
            if done_tx.send((Instant::now(), r.is_ok())).is_err() {
                return;
            }
        }
    });
    let mut out = Vec::with_capacity(n);
    for _ in 0..n {
        // Let the driver arm (it discards what arrives before).
        thread::sleep(Duration::from_millis(30));
        let t = Instant::now();
        control.swipe("visa")?;
        let (done, ok) = done_rx.recv().map_err(|_| CliError::CheckFailed("the reader stopped".into()))?;
        if !ok {
            return Err(CliError::CheckFailed("a simulated swipe was not read".into()));
        }
        out.push(done.saturating_duration_since(t));
    }
    let _ = worker.join();
    Ok(out)
}

/// `tillctl bench devices [--reports N] [--swipes N]`.
pub fn bench(reports: usize, swipes: usize) -> Result<(), CliError> {
    let visa = test_cards::find("visa").ok_or(CliError::CheckFailed("no visa test card".into()))?;
    let mut rng = StdRng::seed_from_u64(1);
    let ksn = sim_reports::KsnCounter::new().next_ksn();
    println!("| parse one report | n | p50 | p99 |");
    println!("|---|---|---|---|");
    for p in ReaderProtocol::ALL {
        let r = sim_reports::report(p, visa, &mut rng, ksn);
        row(&format!("{} ({} bytes)", p.name(), r.len()), parse_samples(reports, || p.parse_report(&r).is_ok())?);
    }
    let text = format!("{}{}\r", visa.track1(), visa.track2());
    row("iso7813-text (keyboard wedge)", parse_samples(reports, || iso7813::parse_text(&text).is_ok())?);

    println!();
    println!("| swipe to read | n | p50 | p99 |");
    println!("|---|---|---|---|");
    let (device, pos) = SerialLink::pty_pair()?;
    let control = sim_serial::spawn(Box::new(device), Box::new(StdRng::seed_from_u64(2)))?;
    let serial = SerialCardReader::new(Box::new(pos), "serial://pty".into());
    row("idtech-enhanced, serial driver over a pseudo-terminal", latency_samples(Box::new(serial), &control, swipes)?);
    for p in [ReaderProtocol::MagtekHid, ReaderProtocol::MagtekMagnesafe] {
        let (device, control) = SimulatedHidReader::new(p, Box::new(StdRng::seed_from_u64(3)));
        let hid = HidCardReader::new(Box::new(device), p, "sim-hid".into());
        row(
            &format!("{}, HID driver on the in-process simulator", p.name()),
            latency_samples(Box::new(hid), &control, swipes)?,
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_the_driver_and_the_error() {
        assert_eq!(driver_name("hid://0801:0002", None), "magtek-hid");
        assert_eq!(driver_name("hid://0801:0002?driver=magtek-magnesafe", None), "magtek-magnesafe");
        assert_eq!(driver_name("serial:///dev/ttyACM0", None), "idtech-enhanced");
        assert_eq!(driver_name("sim://card-reader", Some("magtek-hid")), "sim");
        assert_eq!(error_code(&DeviceError::Timeout), "timeout");
    }
}
