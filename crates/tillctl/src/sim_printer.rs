//! `tillctl sim printer`: a simulated ESC/POS receipt printer with its cash drawer.
//!
//! ```text
//! tillctl sim printer --tcp HOST:PORT | --pty [--out DIR] [--width 58|80]
//!                     [--fail paper-out|cover-open|offline] [--slow MS]
//! ```
//!
//! The first line on stdout is `listening HOST:PORT` (with `--tcp`; port 0 picks a free one)
//! or `pty /dev/pts/N` (with `--pty`: open it as `serial:///dev/pts/N`). Then one line per
//! finished job, `job N: <its first text line>`; with `--out` each job is also written as
//! `job-NNNN.txt` (its text: lines, `[QR data]`, `[CUT]`, `[DRAWER pin=0 on=50ms off=500ms]`)
//! and `job-NNNN.png` (how it would look on the paper; none for a lone drawer kick).
//!
//! A job ends at a cut, at a drawer kick sent on its own, or when its TCP connection closes
//! with something printed. Control lines on stdin, each answered with `ok` (or `error: ...`):
//! `paper-out`, `paper-near-end`, `paper-loaded`, `cover-open`, `cover-closed`, `offline`,
//! `online`, `slow MS` (delay per 100 bytes taken), `drawer-closed`. While out of paper, with
//! the cover open or offline, bytes received are lost (as a stopped printer loses them) and
//! `DLE EOT` answers say why. When stdin closes it runs on until killed.

use crate::cli::{PrinterFailArg, SimPrinterArgs};
use crate::error::CliError;
use std::io::{BufRead, Write};
use std::net::TcpListener;
use till_devices::printer::simulator::{serve, SimHandle};

/// Runs the simulator until killed.
pub fn run(args: &SimPrinterArgs) -> Result<(), CliError> {
    let printer = SimHandle::new(args.width.into());
    if let Some(dir) = &args.out {
        std::fs::create_dir_all(dir)?;
        printer.set_out_dir(Some(dir.clone()));
    }
    match args.fail {
        Some(PrinterFailArg::PaperOut) => printer.paper_out(),
        Some(PrinterFailArg::CoverOpen) => printer.cover_open(),
        Some(PrinterFailArg::Offline) => printer.set_offline(true),
        None => {}
    }
    if let Some(ms) = args.slow {
        printer.set_slow(ms);
    }
    printer.on_job(Box::new(|job| {
        // Whoever started us may have stopped reading; the printer keeps printing.
        let mut out = std::io::stdout().lock();
        let _ = writeln!(out, "job {}: {}", job.number, job.printed.first_line());
        let _ = out.flush();
    }));
    let server = match (&args.tcp, args.pty) {
        (Some(address), false) => {
            let listener =
                TcpListener::bind(address).map_err(|e| CliError::Failed(format!("cannot listen on {address}: {e}")))?;
            let server = serve::tcp(printer.clone(), listener)?;
            say(&format!("listening {}", server.address))?;
            server
        }
        (None, true) => {
            let server = serve::pty(printer.clone())?;
            say(&format!("pty {}", server.address))?;
            server
        }
        _ => return Err(CliError::Usage("give either --tcp HOST:PORT or --pty")),
    };
    for line in std::io::stdin().lock().lines() {
        let line = line?;
        if line.trim().is_empty() {
            continue;
        }
        let reply = match printer.control(line.trim()) {
            Ok(()) => "ok".to_string(),
            Err(e) => format!("error: {e}"),
        };
        let _ = say(&reply);
    }
    // stdin closed (started in the background): serve until killed.
    let _serving = server;
    loop {
        std::thread::park();
    }
}

fn say(line: &str) -> Result<(), CliError> {
    let mut out = std::io::stdout().lock();
    writeln!(out, "{line}")?;
    out.flush()?;
    Ok(())
}
