//! The print queue end to end inside the till: a real SQLite data directory, the till's own
//! print worker thread, and a printer of the test's own behind the `PrinterLink` trait that
//! records every byte and answers the status the test sets (the simulated printer over TCP is
//! exercised by the app's end-to-end tests).
//!
//! - a cash sale prints exactly once, the drawer kick before the receipt;
//! - a sale never waits for the printer (one stuck sending does not stop the next sales);
//! - a printer out of paper holds the job, the sale is recorded anyway, and retry after the
//!   paper is loaded prints it once;
//! - jobs print in id order;
//! - a job the till was sending when it stopped is held as interrupted, not printed again, and
//!   the cashier's reprint prints it once;
//! - the drawer opened by hand: refused to a cashier, audited with the reason for a manager,
//!   watched while the printer reports it open, with a warning after the set time.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use till_core::{ManualClock, SessionToken};
use till_devices::printer::encode::{encode, DRAWER_KICK, DRAWER_KICK_REALTIME};
use till_devices::printer::{PrinterLink, PrinterStatus};
use till_devices::DeviceError;
use till_pos::ipc::devices::{DeviceAssignment, DeviceRole};
use till_pos::ipc::print::PrintReportKind;
use till_pos::print::PrinterOpener;
use till_pos::{ErrorCode, Pos, PosConfig};
use till_store::{JobKind, JobState, PrintJob};

const TEA: &str = "6901234567892";
const CASHIER: (i64, &str) = (1, "1111");
const MANAGER: (i64, &str) = (2, "2222");
const INSTALLER: (i64, &str) = (3, "3333");

/// One send as the printer took it: the job the till had `sending` at that moment (read from
/// the database file by a connection of the printer's own) and the bytes.
#[derive(Debug, Clone)]
struct Sent {
    job: Option<i64>,
    bytes: Vec<u8>,
}

#[derive(Default)]
struct PrinterState {
    status: PrinterStatus,
    /// While set, a send waits until the test drops the sender (a printer that takes its time).
    stall: Option<std::sync::mpsc::Receiver<()>>,
    /// A fault that appears while the next job prints (seen by the status after it).
    fault_during_next_job: Option<PrinterStatus>,
    sent: Vec<Sent>,
    /// What came out on paper (bytes sent while the printer had no fault).
    printed: Vec<Sent>,
}

/// A printer for tests: records bytes, answers the status it is given, opens the drawer on a
/// kick. Every link it opens shares one state.
#[derive(Clone)]
struct TestPrinter {
    state: Arc<Mutex<PrinterState>>,
    db: PathBuf,
}

impl TestPrinter {
    fn set(&self, f: impl FnOnce(&mut PrinterState)) {
        f(&mut self.state.lock().unwrap());
    }
    fn sent(&self) -> Vec<Sent> {
        self.state.lock().unwrap().sent.clone()
    }
    fn printed(&self) -> Vec<Sent> {
        self.state.lock().unwrap().printed.clone()
    }
}

struct TestLink(TestPrinter);

impl PrinterLink for TestLink {
    fn send(&mut self, bytes: &[u8]) -> Result<(), DeviceError> {
        let stall = self.0.state.lock().unwrap().stall.take();
        if let Some(stall) = stall {
            let _ = stall.recv();
        }
        let c = rusqlite::Connection::open(&self.0.db).unwrap();
        let job: Option<i64> = c.query_row("SELECT id FROM print_jobs WHERE state = 'sending'", [], |r| r.get(0)).ok();
        let mut s = self.0.state.lock().unwrap();
        let sent = Sent { job, bytes: bytes.to_vec() };
        s.sent.push(sent.clone());
        if s.status.fault().is_none() {
            s.printed.push(sent);
            if bytes.starts_with(&DRAWER_KICK) {
                s.status.drawer_open = true;
            }
        }
        if let Some(fault) = s.fault_during_next_job.take() {
            s.status = fault;
        }
        Ok(())
    }

    fn status(&mut self) -> Result<Option<PrinterStatus>, DeviceError> {
        Ok(Some(self.0.state.lock().unwrap().status))
    }
}

impl PrinterOpener for TestPrinter {
    fn open(&self, _uri: &str) -> Result<Box<dyn PrinterLink>, DeviceError> {
        Ok(Box::new(TestLink(self.clone())))
    }
}

struct Till {
    _dir: tempfile::TempDir,
    path: PathBuf,
    clock: Arc<ManualClock>,
    printer: TestPrinter,
    pos: Arc<Pos>,
}

fn open(path: &Path, clock: Arc<ManualClock>, printer: TestPrinter, worker: bool) -> Arc<Pos> {
    let pos = Arc::new(
        Pos::open(PosConfig {
            card_reader: "sim://card-reader?delay_ms=1".into(),
            clock,
            printer_opener: Arc::new(printer),
            ..PosConfig::demo(path.join("till.db"))
        })
        .unwrap(),
    );
    if worker {
        Pos::start_printing(&pos).unwrap();
    }
    pos
}

/// The demo till with a 58 mm receipt printer set up by the installer; the worker running when
/// `worker`.
fn till(worker: bool) -> Till {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().to_path_buf();
    let clock = Arc::new(ManualClock::new(1_796_083_200_000));
    let printer = TestPrinter { state: Arc::default(), db: path.join("till.db") };
    let pos = open(&path, clock.clone(), printer.clone(), worker);
    let installer = login(&pos, INSTALLER);
    let assignment = DeviceAssignment {
        uri: "tcp://127.0.0.1:9100".into(),
        role: DeviceRole::ReceiptPrinter,
        driver: "escpos".into(),
        baud: None,
        parity: None,
        swipe_timeout_s: None,
        paper_mm: Some(58),
        code_page: Some("gb18030".into()),
    };
    pos.device_assign(&installer, &assignment).unwrap();
    Till { _dir: dir, path, clock, printer, pos }
}

fn login(pos: &Pos, (id, pin): (i64, &str)) -> SessionToken {
    pos.login(id, pin).unwrap().token
}

/// A cash sale of one tea; its order id.
fn cash_sale(pos: &Pos, token: &SessionToken) -> i64 {
    let cart = pos.cart_scan(token, TEA).unwrap();
    pos.checkout_cash(token, &cart.cart_id, 100_000).unwrap().order_id
}

fn jobs(pos: &Pos, order_id: i64) -> Vec<PrintJob> {
    pos.store().print_jobs_of_order(order_id).unwrap()
}

/// Waits until `done` holds (the worker runs on its own thread), failing after 10 s.
fn wait_for(what: &str, mut done: impl FnMut() -> bool) {
    let start = Instant::now();
    while !done() {
        assert!(start.elapsed() < Duration::from_secs(10), "waited 10 s for {what}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Gives the worker time for a few more rounds (to see that it does NOT print again).
fn settle(pos: &Pos) {
    for _ in 0..3 {
        std::thread::sleep(Duration::from_millis(100));
        let _ = pos.store().print_next();
    }
}

/// The bytes a job should come out as: the kick first when it had one (`kicked`), then the
/// printout.
fn expected_bytes(pos: &Pos, job: &PrintJob, kicked: bool) -> Vec<u8> {
    let mut out = Vec::new();
    if kicked {
        out.extend_from_slice(&DRAWER_KICK);
    }
    if let Some((doc, settings)) = pos.print_doc_of_job(job.id).unwrap() {
        out.extend(encode(&doc, &settings));
    }
    out
}

#[test]
fn a_cash_sale_prints_exactly_once_with_the_drawer_kick_before_the_receipt() {
    let t = till(true);
    let cashier = login(&t.pos, CASHIER);
    let order = cash_sale(&t.pos, &cashier);
    wait_for("the receipt to print", || jobs(&t.pos, order).iter().all(|j| j.state == JobState::Printed));
    settle(&t.pos);
    let js = jobs(&t.pos, order);
    assert_eq!(js.len(), 1, "{js:?}");
    let job = &js[0];
    // The kick went out with it, and is marked so: a reprint never opens the drawer again.
    assert_eq!((job.kind, job.kick_drawer, job.attempts), (JobKind::Receipt, false, 1));
    let sent = t.printer.sent();
    assert_eq!(sent.len(), 1, "sent once: {sent:?}");
    assert_eq!(sent[0].job, Some(job.id), "marked sending before the bytes left");
    assert!(sent[0].bytes.starts_with(&DRAWER_KICK), "the kick comes first");
    assert_eq!(sent[0].bytes, expected_bytes(&t.pos, job, true));
    // The printout is the sale's receipt on 58 mm paper: never wider than 32 columns.
    let (doc, _) = t.pos.print_doc_of_job(job.id).unwrap().unwrap();
    let text = doc.plain_text();
    let receipt = t.pos.receipt(&cashier, till_core::OrderId::new(order).unwrap()).unwrap();
    assert!(text.contains(&receipt.order_no), "{text}");
    assert!(text.contains(&format!("[QR {}]", receipt.lines[0].line_code)), "{text}");
    assert!(text.lines().all(|l| till_devices::printer::document::width_of(l) <= 32), "{text}");
    // The kick opened the drawer: the pushed status says since when, and warns after 30 s.
    wait_for("the drawer to be seen open", || t.pos.print_status(&cashier).unwrap().drawer_open_since_ms.is_some());
    assert!(!t.pos.print_status(&cashier).unwrap().drawer_warning);
    t.clock.advance(31_000);
    assert!(t.pos.print_status(&cashier).unwrap().drawer_warning);
    t.printer.set(|s| s.status.drawer_open = false);
    wait_for("the drawer to be seen closed", || {
        let s = t.pos.print_status(&cashier).unwrap();
        s.drawer_open_since_ms.is_none() && !s.drawer_warning
    });
}

#[test]
fn a_sale_without_a_printer_queues_nothing_and_prints_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let printer = TestPrinter { state: Arc::default(), db: dir.path().join("till.db") };
    let pos = open(dir.path(), Arc::new(ManualClock::new(1_796_083_200_000)), printer.clone(), true);
    // The demo till comes with its simulated printer: take it away.
    pos.device_remove(&login(&pos, INSTALLER), DeviceRole::ReceiptPrinter).unwrap();
    let cashier = login(&pos, CASHIER);
    let order = cash_sale(&pos, &cashier);
    settle(&pos);
    assert!(jobs(&pos, order).is_empty());
    assert!(printer.sent().is_empty());
    let status = pos.print_status(&cashier).unwrap();
    assert!(!status.printer_set_up);
    let e = pos.print_reprint(&cashier, order).unwrap_err();
    assert_eq!(e.code(), ErrorCode::DeviceNotConfigured);
}

#[test]
fn paper_out_holds_the_receipt_the_sale_is_recorded_and_retry_prints_it_once() {
    let t = till(true);
    t.printer.set(|s| s.status.paper_end = true);
    let cashier = login(&t.pos, CASHIER);
    let pushed: Arc<Mutex<Vec<till_pos::ipc::print::PrintStatus>>> = Arc::default();
    let p = pushed.clone();
    t.pos.print_status_watch(&cashier, Arc::new(move |s: &_| p.lock().unwrap().push(s.clone()))).unwrap();
    let order = cash_sale(&t.pos, &cashier);
    assert!(t.pos.store().order(order).is_ok(), "the sale is recorded whatever the printer does");
    wait_for("the receipt to be held", || jobs(&t.pos, order)[0].state == JobState::Held);
    assert_eq!(jobs(&t.pos, order)[0].fault.as_deref(), Some("paper-end"));
    // Nothing prints; the drawer opens for the change by a real-time kick (no job is sending).
    wait_for("the real-time kick", || !t.printer.sent().is_empty());
    let sent = t.printer.sent();
    assert_eq!(sent.len(), 1, "{sent:?}");
    assert_eq!((sent[0].job, sent[0].bytes.as_slice()), (None, DRAWER_KICK_REALTIME.as_slice()));
    wait_for("the status to be pushed", || {
        pushed.lock().unwrap().last().is_some_and(|s| s.held.len() == 1 && s.fault.as_deref() == Some("paper-end"))
    });
    let held = pushed.lock().unwrap().last().unwrap().held[0].clone();
    assert_eq!(held.order_no.as_deref(), Some(format!("{order:08}").as_str()));
    assert_eq!(held.message, "the printer is out of paper");

    // A second sale queues behind the held one: the queue keeps its order.
    // Its drawer opens at once too.
    let second = cash_sale(&t.pos, &cashier);
    wait_for("the second real-time kick", || t.printer.sent().len() == 2);
    settle(&t.pos);
    assert_eq!(jobs(&t.pos, second)[0].state, JobState::Queued);
    assert!(!jobs(&t.pos, second)[0].kick_drawer, "its kick is done");

    t.printer.set(|s| s.status.paper_end = false);
    t.pos.print_retry(&cashier).unwrap();
    wait_for("both receipts to print", || {
        jobs(&t.pos, order)[0].state == JobState::Printed && jobs(&t.pos, second)[0].state == JobState::Printed
    });
    settle(&t.pos);
    let printed: Vec<Option<i64>> = t.printer.printed().iter().map(|s| s.job).collect();
    assert_eq!(printed, vec![Some(jobs(&t.pos, order)[0].id), Some(jobs(&t.pos, second)[0].id)], "once each, in order");
    assert!(t.printer.printed().iter().all(|s| !s.bytes.starts_with(&DRAWER_KICK)), "no second kick");
}

#[test]
fn paper_running_out_during_a_job_holds_it_and_a_reprint_prints_it_once_more() {
    let t = till(true);
    let cashier = login(&t.pos, CASHIER);
    t.printer.set(|s| {
        s.fault_during_next_job = Some(PrinterStatus { paper_end: true, offline: true, ..Default::default() })
    });
    let order = cash_sale(&t.pos, &cashier);
    wait_for("the receipt to be held", || jobs(&t.pos, order)[0].state == JobState::Held);
    assert_eq!(jobs(&t.pos, order)[0].fault.as_deref(), Some("paper-end"), "not marked printed");
    t.printer.set(|s| s.status.paper_end = false);
    t.printer.set(|s| s.status.offline = false);
    t.pos.print_reprint(&cashier, order).unwrap();
    wait_for("the reprint to print", || jobs(&t.pos, order).iter().any(|j| j.state == JobState::Printed));
    settle(&t.pos);
    let js = jobs(&t.pos, order);
    assert_eq!(
        js.iter().map(|j| (j.kind, j.state)).collect::<Vec<_>>(),
        vec![(JobKind::Receipt, JobState::Cancelled), (JobKind::Reprint, JobState::Printed)]
    );
    assert_eq!(t.printer.sent().len(), 2, "the first attempt and the reprint, nothing more");
    let (doc, _) = t.pos.print_doc_of_job(js[1].id).unwrap().unwrap();
    assert!(doc.plain_text().starts_with("*** REPRINT / 重印 ***"), "{}", doc.plain_text());
}

#[test]
fn jobs_print_in_the_order_they_were_queued() {
    let t = till(false);
    let cashier = login(&t.pos, CASHIER);
    let orders: Vec<i64> = (0..4).map(|_| cash_sale(&t.pos, &cashier)).collect();
    let ids: Vec<i64> = orders.iter().map(|o| jobs(&t.pos, *o)[0].id).collect();
    assert!(ids.windows(2).all(|w| w[0] < w[1]));
    Pos::start_printing(&t.pos).unwrap();
    wait_for("all four to print", || orders.iter().all(|o| jobs(&t.pos, *o)[0].state == JobState::Printed));
    settle(&t.pos);
    let sent: Vec<Option<i64>> = t.printer.sent().iter().map(|s| s.job).collect();
    assert_eq!(sent, ids.iter().map(|i| Some(*i)).collect::<Vec<_>>());
}

#[test]
fn a_job_being_sent_when_the_till_stopped_is_held_as_interrupted_and_not_printed_again() {
    let t = till(false);
    let cashier = login(&t.pos, CASHIER);
    let order = cash_sale(&t.pos, &cashier);
    let job = jobs(&t.pos, order)[0].id;
    // The worker had marked it sending when the power went.
    t.pos.store().print_mark_sending(job).unwrap();
    let Till { _dir, path, clock, printer, pos } = t;
    drop(pos);
    let pos = open(&path, clock, printer.clone(), true);
    let j = &jobs(&pos, order)[0];
    assert_eq!((j.state, j.fault.as_deref()), (JobState::Held, Some("interrupted")));
    let cashier = login(&pos, CASHIER);
    // Retry of the queue does not send it again: it may have printed.
    pos.print_retry(&cashier).unwrap();
    settle(&pos);
    assert!(printer.sent().is_empty());
    let status = pos.print_status(&cashier).unwrap();
    assert_eq!(status.held.len(), 1);
    assert_eq!(status.held[0].fault, "interrupted");
    // The cashier looked: it did not print. A reprint prints it once.
    pos.print_reprint(&cashier, order).unwrap();
    wait_for("the reprint", || jobs(&pos, order).iter().any(|j| j.state == JobState::Printed));
    settle(&pos);
    assert_eq!(printer.sent().len(), 1);
    assert!(pos.print_status(&cashier).unwrap().held.is_empty());
}

#[test]
fn only_managers_open_the_drawer_and_each_opening_is_audited_with_its_reason() {
    let t = till(true);
    let cashier = login(&t.pos, CASHIER);
    assert_eq!(t.pos.drawer_open(&cashier, "change for a customer").unwrap_err().code(), ErrorCode::Forbidden);
    let manager = login(&t.pos, MANAGER);
    assert_eq!(t.pos.drawer_open(&manager, "  ").unwrap_err().code(), ErrorCode::InvalidInput);
    settle(&t.pos);
    assert!(t.printer.sent().is_empty(), "a refusal kicks nothing");
    t.pos.drawer_open(&manager, "change for a customer").unwrap();
    wait_for("the kick", || !t.printer.sent().is_empty());
    settle(&t.pos);
    let sent = t.printer.sent();
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].bytes, DRAWER_KICK.to_vec(), "a kick alone, nothing printed");
    let audit = t.pos.audit_list(&manager, None, 20).unwrap();
    let entry = audit.entries.iter().find(|e| e.action == "drawer.opened").expect("audited");
    assert!(entry.detail.contains("change for a customer"), "{entry:?}");
    assert_eq!(entry.actor.as_deref(), Some("Li Wei"));
}

#[test]
fn a_manager_prints_the_x_report_in_chinese_within_the_paper_and_a_cashier_may_not() {
    let t = till(true);
    let cashier = login(&t.pos, CASHIER);
    cash_sale(&t.pos, &cashier);
    assert_eq!(t.pos.print_report(&cashier, PrintReportKind::X, None).unwrap_err().code(), ErrorCode::Forbidden);
    assert_eq!(t.pos.print_set_language(&cashier, "fr").unwrap_err().code(), ErrorCode::InvalidInput);
    t.pos.print_set_language(&cashier, "zh").unwrap();
    let manager = login(&t.pos, MANAGER);
    t.pos.print_report(&manager, PrintReportKind::X, None).unwrap();
    let id: i64 = t
        .pos
        .store()
        .read(|c| Ok(c.query_row("SELECT id FROM print_jobs WHERE kind = 'report'", [], |r| r.get(0))?))
        .unwrap();
    let report = || t.pos.store().print_job(id).unwrap();
    wait_for("the report to print", || report().state == JobState::Printed);
    let job = report();
    assert_eq!(job.lang, "zh");
    let (doc, _) = t.pos.print_doc_of_job(job.id).unwrap().unwrap();
    let text = doc.plain_text();
    assert!(text.contains("X 报表") && text.contains("订单数"), "{text}");
    assert!(text.lines().all(|l| till_devices::printer::document::width_of(l) <= 32), "{text}");
    // The same report in English, laid out again for 80 mm, fits 48 columns.
    let mut printer = t.pos.store().device("receipt-printer").unwrap().unwrap().config;
    printer.paper_mm = Some(80);
    t.pos.store().write(|tx| till_store::devices::put(tx, &printer, 2)).unwrap();
    let (doc, settings) = t.pos.print_doc_of_job(job.id).unwrap().unwrap();
    assert_eq!(settings.width.columns(), 48);
    assert!(doc.plain_text().lines().all(|l| till_devices::printer::document::width_of(l) <= 48));
}

#[test]
fn a_sale_never_waits_for_the_printer() {
    let t = till(true);
    let cashier = login(&t.pos, CASHIER);
    let (release, stall) = std::sync::mpsc::channel::<()>();
    t.printer.set(|s| s.stall = Some(stall));
    let first = cash_sale(&t.pos, &cashier);
    wait_for("the worker to be stuck sending the first receipt", || jobs(&t.pos, first)[0].state == JobState::Sending);
    // The printer has not taken a byte yet, and the cashier sells on: two more sales recorded.
    let more: Vec<i64> = (0..2).map(|_| cash_sale(&t.pos, &cashier)).collect();
    assert!(t.printer.sent().is_empty());
    for o in &more {
        assert_eq!(jobs(&t.pos, *o)[0].state, JobState::Queued);
    }
    drop(release);
    wait_for("all three receipts", || {
        std::iter::once(first).chain(more.iter().copied()).all(|o| jobs(&t.pos, o)[0].state == JobState::Printed)
    });
    assert_eq!(t.printer.sent().len(), 3);
}
