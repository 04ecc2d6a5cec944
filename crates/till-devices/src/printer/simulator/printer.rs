//! The simulated printer itself: status, faults, the drawer, slow mode, and the jobs it printed.

use super::decoder::{Decoder, Event};
use super::page::{Applied, PageBuilder, Printed};
use crate::printer::{PaperWidth, PrinterStatus};
use std::path::PathBuf;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

/// How many finished jobs the simulator keeps in memory.
const KEPT_JOBS: usize = 1000;

/// A finished job as the simulator keeps it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Job {
    /// Its number, from 1.
    pub number: u32,
    /// What it printed.
    pub printed: Printed,
}

/// A control line the simulator does not know.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown control line {0:?}; the lines are paper-out, paper-near-end, paper-loaded, cover-open, cover-closed, offline, online, slow MS, drawer-closed")]
pub struct UnknownControl(pub String);

/// Called with each finished job (after its files are written).
pub type JobListener = Box<dyn FnMut(&Job) + Send>;

struct State {
    status: PrinterStatus,
    slow_ms: u64,
    width: PaperWidth,
    decoder: Decoder,
    page: PageBuilder,
    jobs: Vec<Job>,
    next_number: u32,
    out_dir: Option<PathBuf>,
    listener: Option<JobListener>,
    dropped_bytes: u64,
    write_errors: Vec<String>,
}

/// A control handle on one simulated printer; clones share the printer.
#[derive(Clone)]
pub struct SimHandle {
    state: Arc<Mutex<State>>,
}

impl std::fmt::Debug for SimHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let s = self.lock();
        f.debug_struct("SimHandle").field("status", &s.status).field("jobs", &s.jobs.len()).finish()
    }
}

impl Default for SimHandle {
    fn default() -> Self {
        Self::new(PaperWidth::Mm80)
    }
}

/// How long taking `bytes` takes at `slow_ms` per 100 bytes.
fn slow_delay(slow_ms: u64, bytes: usize) -> Duration {
    Duration::from_millis(slow_ms.saturating_mul(bytes as u64) / 100)
}

impl SimHandle {
    /// A ready printer (paper in, cover closed, online, drawer closed) for `width` paper.
    pub fn new(width: PaperWidth) -> Self {
        SimHandle {
            state: Arc::new(Mutex::new(State {
                status: PrinterStatus::default(),
                slow_ms: 0,
                width,
                decoder: Decoder::new(),
                page: PageBuilder::default(),
                jobs: Vec::new(),
                next_number: 1,
                out_dir: None,
                listener: None,
                dropped_bytes: 0,
                write_errors: Vec::new(),
            })),
        }
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // A panic in a listener must not leave the printer unusable.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Writes each finished job to `dir` as `job-NNNN.txt` (and `job-NNNN.png` with the
    /// sim-render feature), NNNN from 0001.
    pub fn set_out_dir(&self, dir: Option<PathBuf>) {
        self.lock().out_dir = dir;
    }

    /// The paper width (for rendering).
    pub fn set_width(&self, width: PaperWidth) {
        self.lock().width = width;
    }

    /// The paper width.
    pub fn width(&self) -> PaperWidth {
        self.lock().width
    }

    /// Calls `listener` with each finished job. It runs with the printer locked: it must not
    /// call back into this handle.
    pub fn on_job(&self, listener: JobListener) {
        self.lock().listener = Some(listener);
    }

    /// Takes bytes from the link as the printer would: status requests are answered at once
    /// (the returned bytes go back on the same link), everything else prints unless a fault
    /// has stopped the printer, in which case it is lost. In slow mode this blocks for the
    /// slow delay per 100 bytes, as a printer that takes its bytes slowly holds up the sender.
    pub fn take(&self, bytes: &[u8]) -> Vec<u8> {
        let slow = self.lock().slow_ms;
        if slow > 0 {
            std::thread::sleep(slow_delay(slow, bytes.len()));
        }
        let mut s = self.lock();
        let events = s.decoder.feed(bytes);
        let mut answers = Vec::new();
        let stopped = s.status.fault().is_some();
        if stopped {
            s.dropped_bytes += bytes.len() as u64;
        }
        for event in events {
            match event {
                Event::StatusQuery(n) => answers.extend(s.status_answer(n)),
                Event::TransmitStatus(n) => answers.extend(s.transmit_status(n)),
                Event::RealtimeKick(_) if s.status.error => {}
                Event::RealtimeKick(k) => {
                    s.status.drawer_open = true;
                    if s.page.apply(&Event::RealtimeKick(k)) != Applied::Printing {
                        s.finish_job();
                    }
                }
                _ if stopped => {}
                e => {
                    if let Event::DrawerKick(_) = e {
                        s.status.drawer_open = true;
                    }
                    if s.page.apply(&e) != Applied::Printing {
                        s.finish_job();
                    }
                }
            }
        }
        answers
    }

    /// The connection that sent bytes closed: a job with something printed ends here, and a
    /// command it left unfinished is forgotten.
    pub fn connection_closed(&self) {
        let mut s = self.lock();
        s.decoder.reset_pending();
        if s.page.has_content() {
            s.finish_job();
        }
    }

    /// The current status, as `DLE EOT` answers would report it.
    pub fn status(&self) -> PrinterStatus {
        self.lock().status
    }

    /// Whether the drawer is open (a kick opened it; [`SimHandle::drawer_closed`] shuts it).
    pub fn drawer_open(&self) -> bool {
        self.lock().status.drawer_open
    }

    /// The text of each finished job, oldest first (the latest 1,000).
    pub fn jobs(&self) -> Vec<String> {
        self.lock().jobs.iter().map(|j| j.printed.text()).collect()
    }

    /// The finished jobs, oldest first (the latest 1,000).
    pub fn printed(&self) -> Vec<Job> {
        self.lock().jobs.clone()
    }

    /// Bytes lost while a fault stopped the printer.
    pub fn dropped_bytes(&self) -> u64 {
        self.lock().dropped_bytes
    }

    /// Commands skipped as unknown.
    pub fn unknown_commands(&self) -> u64 {
        self.lock().decoder.unknown_commands()
    }

    /// Job files that could not be written (the out directory vanished, the disk is full).
    pub fn write_errors(&self) -> Vec<String> {
        self.lock().write_errors.clone()
    }

    /// Runs out of paper: printing stops, bytes received are lost.
    pub fn paper_out(&self) {
        self.set_fault(|st| st.paper_end = true);
    }

    /// The roll is nearly finished (printing goes on).
    pub fn paper_near_end(&self) {
        self.lock().status.paper_near_end = true;
    }

    /// A new roll: clears paper end and near end.
    pub fn paper_loaded(&self) {
        let mut s = self.lock();
        s.status.paper_end = false;
        s.status.paper_near_end = false;
    }

    /// Opens the cover: printing stops.
    pub fn cover_open(&self) {
        self.set_fault(|st| st.cover_open = true);
    }

    /// Closes the cover.
    pub fn cover_closed(&self) {
        self.lock().status.cover_open = false;
    }

    /// Takes the printer offline (or back online).
    pub fn set_offline(&self, offline: bool) {
        if offline {
            self.set_fault(|st| st.offline = true);
        } else {
            self.lock().status.offline = false;
        }
    }

    /// Slow mode: `ms` of delay per 100 bytes taken (0: full speed).
    pub fn set_slow(&self, ms: u64) {
        self.lock().slow_ms = ms;
    }

    /// Someone shut the drawer.
    pub fn drawer_closed(&self) {
        self.lock().status.drawer_open = false;
    }

    /// Applies one control line of `tillctl sim printer`: `paper-out`, `paper-near-end`,
    /// `paper-loaded`, `cover-open`, `cover-closed`, `offline`, `online`, `slow MS`,
    /// `drawer-closed`.
    pub fn control(&self, line: &str) -> Result<(), UnknownControl> {
        let mut words = line.split_whitespace();
        let bad = || UnknownControl(line.to_string());
        match (words.next(), words.next(), words.next()) {
            (Some("paper-out"), None, None) => self.paper_out(),
            (Some("paper-near-end"), None, None) => self.paper_near_end(),
            (Some("paper-loaded"), None, None) => self.paper_loaded(),
            (Some("cover-open"), None, None) => self.cover_open(),
            (Some("cover-closed"), None, None) => self.cover_closed(),
            (Some("offline"), None, None) => self.set_offline(true),
            (Some("online"), None, None) => self.set_offline(false),
            (Some("slow"), Some(ms), None) => self.set_slow(ms.parse().map_err(|_| bad())?),
            (Some("drawer-closed"), None, None) => self.drawer_closed(),
            _ => return Err(bad()),
        }
        Ok(())
    }

    /// A fault starts: what was printed before it stays on the paper as a job of its own.
    fn set_fault(&self, set: impl FnOnce(&mut PrinterStatus)) {
        let mut s = self.lock();
        let was_stopped = s.status.fault().is_some();
        set(&mut s.status);
        if !was_stopped && s.page.has_content() {
            s.finish_job();
        }
    }
}

impl State {
    fn status_answer(&self, n: u8) -> Option<u8> {
        let [printer, offline, paper] = self.status.answers();
        match n {
            1 => Some(printer),
            2 => Some(offline),
            // Error cause: none of the causes this simulator models.
            3 => Some(0x12),
            4 => Some(paper),
            _ => None,
        }
    }

    fn transmit_status(&self, n: u8) -> Option<u8> {
        match n {
            // Paper sensors: bits 0-1 near end, bits 2-3 paper end.
            1 | 49 => {
                let st = self.status;
                Some(if st.paper_near_end { 0x03 } else { 0 } | if st.paper_end { 0x0C } else { 0 })
            }
            // Drawer connector: bit 0.
            2 | 50 => Some(u8::from(self.status.drawer_open)),
            _ => None,
        }
    }

    fn finish_job(&mut self) {
        let printed = self.page.finish();
        let job = Job { number: self.next_number, printed };
        self.next_number += 1;
        if let Some(dir) = self.out_dir.clone() {
            if let Err(e) = write_job(&dir, &job, self.width) {
                eprintln!("simulated printer: {e}");
                self.write_errors.push(e);
            }
        }
        if let Some(listener) = self.listener.as_mut() {
            listener(&job);
        }
        // A demo till prints for as long as it runs: memory keeps the latest jobs (the out dir
        // keeps them all).
        if self.jobs.len() == KEPT_JOBS {
            self.jobs.remove(0);
        }
        self.jobs.push(job);
    }
}

/// Writes `job-NNNN.png` (for a job that printed something) and then `job-NNNN.txt`, each
/// through a temporary file renamed into place, so that a watcher who sees the `.txt` finds
/// both complete.
fn write_job(dir: &std::path::Path, job: &Job, width: PaperWidth) -> Result<(), String> {
    let stem = format!("job-{:04}", job.number);
    #[cfg(feature = "sim-render")]
    if job.printed.has_print() || job.printed.kicks().is_empty() {
        let bytes = super::render::png(&job.printed, width).map_err(|e| format!("cannot render {stem}: {e}"))?;
        write_file(&dir.join(format!("{stem}.png")), &bytes)?;
    }
    #[cfg(not(feature = "sim-render"))]
    let _ = width;
    write_file(&dir.join(format!("{stem}.txt")), job.printed.text().as_bytes())
}

/// Readable by its owner only (0600), like every file the till writes: a printout carries a
/// masked card number and the shop's sales.
fn write_file(path: &std::path::Path, bytes: &[u8]) -> Result<(), String> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let tmp = path.with_extension("tmp");
    std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(&tmp)
        .and_then(|mut f| f.write_all(bytes))
        .and_then(|()| std::fs::rename(&tmp, path))
        .map_err(|e| format!("cannot write {}: {e}", path.display()))
}
