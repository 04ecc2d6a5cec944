//! The persisted print queue (`print_jobs`): what the receipt printer has to print, in order.
//!
//! A sale's or a refund's receipt is queued in the same transaction as the sale or refund
//! ([`queue_receipt`], [`queue_refund`]), and only when a receipt printer is set up and enabled:
//! a printer fault can then never lose a receipt, and printing never holds up the commit. The
//! till's print worker takes the first open job ([`Store::print_next`]), marks it `sending`
//! before the first byte leaves, and `printed` only once the printer said it had no fault after
//! the job; a fault holds the job (`held`, with the fault) and the queue stops there so jobs stay
//! in order. A job found `sending` when the till starts again ([`Store::print_recover`]) may or
//! may not have printed: it is held as `interrupted` for the cashier to decide (reprint or
//! cancel) and never printed twice silently.

use crate::{Result, Store, StoreError};
use rusqlite::{params, Connection, OptionalExtension, Row, Transaction};

/// The setting naming the language receipts print in (`en` or `zh`).
pub const LANG_SETTING: &str = "print.lang";
/// The fault of a job the till stopped in the middle of sending.
pub const INTERRUPTED: &str = "interrupted";

/// What a job prints.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JobKind {
    /// A sale's receipt, queued with the sale.
    Receipt,
    /// A refund's receipt, queued with the refund.
    Refund,
    /// An X or Z report (its content in the payload).
    Report,
    /// A sale's receipt again, marked as a reprint.
    Reprint,
    /// Only the drawer kick.
    Drawer,
    /// The installer's test page.
    Test,
    /// A service order's (repair's) receipt.
    Service,
}

impl JobKind {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            JobKind::Receipt => "receipt",
            JobKind::Refund => "refund",
            JobKind::Report => "report",
            JobKind::Reprint => "reprint",
            JobKind::Drawer => "drawer",
            JobKind::Test => "test",
            JobKind::Service => "service",
        }
    }

    /// Parses a stored name.
    pub fn parse(text: &str) -> Option<Self> {
        [
            JobKind::Receipt,
            JobKind::Refund,
            JobKind::Report,
            JobKind::Reprint,
            JobKind::Drawer,
            JobKind::Test,
            JobKind::Service,
        ]
        .into_iter()
        .find(|k| k.as_str() == text)
    }
}

/// Where a job is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JobState {
    /// Waiting its turn.
    Queued,
    /// Being sent now (or the till stopped while sending it).
    Sending,
    /// Printed: the printer reported no fault after it.
    Printed,
    /// Stopped by a fault; waits for retry, reprint or cancel.
    Held,
    /// Cancelled by a person.
    Cancelled,
}

impl JobState {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            JobState::Queued => "queued",
            JobState::Sending => "sending",
            JobState::Printed => "printed",
            JobState::Held => "held",
            JobState::Cancelled => "cancelled",
        }
    }

    fn parse(text: &str) -> rusqlite::Result<Self> {
        [JobState::Queued, JobState::Sending, JobState::Printed, JobState::Held, JobState::Cancelled]
            .into_iter()
            .find(|s| s.as_str() == text)
            .ok_or_else(|| rusqlite::Error::InvalidColumnType(0, text.to_string(), rusqlite::types::Type::Text))
    }
}

/// One job as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PrintJob {
    /// Its id: jobs print in id order.
    pub id: i64,
    /// What it prints.
    pub kind: JobKind,
    /// The sale it prints (receipt, reprint).
    pub order_id: Option<i64>,
    /// The sale's number (`00000042`), when it prints a sale or a refund.
    pub order_no: Option<String>,
    /// The refund it prints.
    pub refund_id: Option<i64>,
    /// What it prints when that cannot be read back (a report), as JSON.
    pub payload: Option<String>,
    /// Kick the drawer before printing.
    pub kick_drawer: bool,
    /// `en` or `zh`.
    pub lang: String,
    /// Where it is.
    pub state: JobState,
    /// Why it is held.
    pub fault: Option<String>,
    /// How many times sending started.
    pub attempts: i64,
    /// Another printer's address for this job only.
    pub uri: Option<String>,
    /// Queued at, ms since the epoch.
    pub created_at_ms: i64,
    /// Printed at, ms since the epoch.
    pub printed_at_ms: Option<i64>,
    /// The service order it prints.
    pub service_order_id: Option<i64>,
}

/// A job to queue by hand (not a sale's or refund's receipt).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewJob {
    /// Reprint, report, drawer or test.
    pub kind: JobKind,
    /// The sale, for a reprint.
    pub order_id: Option<i64>,
    /// The refund, for a refund receipt's reprint.
    pub refund_id: Option<i64>,
    /// What to print, when it cannot be read back.
    pub payload: Option<String>,
    /// Kick the drawer.
    pub kick_drawer: bool,
    /// `en` or `zh`.
    pub lang: String,
}

const COLUMNS: &str =
    "j.id, j.kind, j.order_id, coalesce(o.order_no, ro.order_no), j.refund_id, j.payload, j.kick_drawer, \
                       j.lang, j.state, j.fault, j.attempts, j.uri, j.created_at_ms, j.printed_at_ms, j.service_order_id";
const FROM: &str = "print_jobs j LEFT JOIN orders o ON o.id = j.order_id LEFT JOIN refunds r ON r.id = j.refund_id \
                    LEFT JOIN orders ro ON ro.id = r.order_id";

fn from_row(r: &Row<'_>) -> rusqlite::Result<PrintJob> {
    let kind: String = r.get(1)?;
    Ok(PrintJob {
        id: r.get(0)?,
        kind: JobKind::parse(&kind)
            .ok_or_else(|| rusqlite::Error::InvalidColumnType(1, kind.clone(), rusqlite::types::Type::Text))?,
        order_id: r.get(2)?,
        order_no: r.get(3)?,
        refund_id: r.get(4)?,
        payload: r.get(5)?,
        kick_drawer: r.get(6)?,
        lang: r.get(7)?,
        state: JobState::parse(&r.get::<_, String>(8)?)?,
        fault: r.get(9)?,
        attempts: r.get(10)?,
        uri: r.get(11)?,
        created_at_ms: r.get(12)?,
        printed_at_ms: r.get(13)?,
        service_order_id: r.get(14)?,
    })
}

/// The job language from the till's setting: `zh` only when it says exactly that, so a bad
/// setting can never fail a sale's commit.
const LANG_SQL: &str = "CASE WHEN (SELECT value FROM settings WHERE key = 'print.lang') = 'zh' THEN 'zh' ELSE 'en' END";

/// Queues a sale's receipt inside the sale's transaction, when a receipt printer is set up and
/// enabled; `kick_drawer` for a cash payment. Returns whether a job was queued.
pub fn queue_receipt(tx: &Transaction<'_>, order_id: i64, kick_drawer: bool, now_ms: i64) -> Result<bool> {
    queue_if_printer(tx, JobKind::Receipt, Some(order_id), None, kick_drawer, now_ms)
}

/// Queues a refund's receipt inside the refund's transaction, when a receipt printer is set up
/// and enabled; `kick_drawer` for a cash refund.
pub fn queue_refund(tx: &Transaction<'_>, refund_id: i64, kick_drawer: bool, now_ms: i64) -> Result<bool> {
    queue_if_printer(tx, JobKind::Refund, None, Some(refund_id), kick_drawer, now_ms)
}

/// Queues a service order's receipt inside the transaction that opened it (or asked for it
/// again), when a receipt printer is set up and enabled. Returns whether a job was queued.
pub fn queue_service(tx: &Transaction<'_>, service_order_id: i64, now_ms: i64) -> Result<bool> {
    let n = tx
        .prepare_cached(&format!(
            "INSERT INTO print_jobs (kind, service_order_id, kick_drawer, lang, created_at_ms)
             SELECT 'service', ?1, 0, {LANG_SQL}, ?2
             WHERE EXISTS (SELECT 1 FROM devices WHERE role = 'receipt-printer' AND enabled = 1)"
        ))?
        .execute(params![service_order_id, now_ms])?;
    Ok(n > 0)
}

fn queue_if_printer(
    tx: &Transaction<'_>,
    kind: JobKind,
    order_id: Option<i64>,
    refund_id: Option<i64>,
    kick_drawer: bool,
    now_ms: i64,
) -> Result<bool> {
    let n = tx
        .prepare_cached(&format!(
            "INSERT INTO print_jobs (kind, order_id, refund_id, kick_drawer, lang, created_at_ms)
             SELECT ?1, ?2, ?3, ?4, {LANG_SQL}, ?5
             WHERE EXISTS (SELECT 1 FROM devices WHERE role = 'receipt-printer' AND enabled = 1)"
        ))?
        .execute(params![kind.as_str(), order_id, refund_id, kick_drawer, now_ms])?;
    Ok(n > 0)
}

/// Whether a receipt printer is set up and enabled.
pub fn printer_set_up(conn: &Connection) -> Result<bool> {
    Ok(conn.query_row(
        "SELECT EXISTS (SELECT 1 FROM devices WHERE role = 'receipt-printer' AND enabled = 1)",
        [],
        |r| r.get(0),
    )?)
}

/// Queues a job by hand inside an open transaction (with its audit entry, say); returns its id.
pub fn enqueue(tx: &Transaction<'_>, job: &NewJob, now_ms: i64) -> Result<i64> {
    if !matches!(job.lang.as_str(), "en" | "zh") {
        return Err(StoreError::Invalid(format!("a receipt prints in en or zh, not {:?}", job.lang)));
    }
    if matches!(job.kind, JobKind::Receipt) {
        return Err(StoreError::Invalid(
            "a sale's receipt is queued with the sale; print it again as a reprint".into(),
        ));
    }
    Ok(tx.query_row(
        "INSERT INTO print_jobs (kind, order_id, refund_id, payload, kick_drawer, lang, created_at_ms)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) RETURNING id",
        params![job.kind.as_str(), job.order_id, job.refund_id, job.payload, job.kick_drawer, job.lang, now_ms],
        |r| r.get(0),
    )?)
}

/// Cancels the held jobs of a sale inside an open transaction (a reprint replaces them);
/// returns their ids.
pub fn cancel_held_of_order(tx: &Transaction<'_>, order_id: i64) -> Result<Vec<i64>> {
    let ids = tx
        .prepare(
            "UPDATE print_jobs SET state = 'cancelled', fault = NULL WHERE state = 'held' AND order_id = ?1 RETURNING id",
        )?
        .query_map([order_id], |r| r.get(0))?
        .collect::<std::result::Result<Vec<i64>, _>>()?;
    Ok(ids)
}

fn set_state(tx: &Transaction<'_>, id: i64, from: &[JobState], to: JobState, fault: Option<&str>) -> Result<()> {
    let from: Vec<&str> = from.iter().map(|s| s.as_str()).collect();
    let n = tx.execute(
        "UPDATE print_jobs SET state = ?2, fault = ?3 WHERE id = ?1 AND state IN (SELECT value FROM json_each(?4))",
        params![id, to.as_str(), fault, serde_json::to_string(&from).unwrap_or_default()],
    )?;
    if n == 0 {
        let found: Option<String> =
            tx.query_row("SELECT state FROM print_jobs WHERE id = ?1", [id], |r| r.get(0)).optional()?;
        return Err(match found {
            None => StoreError::NotFound("print job"),
            Some(s) => StoreError::Conflict(format!("print job {id} is {s}, it cannot become {}", to.as_str())),
        });
    }
    Ok(())
}

impl Store {
    /// Queues a job by hand (reprint, report, drawer, test); returns its id.
    pub fn print_enqueue(&self, job: &NewJob, now_ms: i64) -> Result<i64> {
        self.write(|tx| enqueue(tx, job, now_ms))
    }

    /// The job the worker is to print next: the first `queued` one in id order, unless a job
    /// before it is `held` or `sending` (jobs print in order: a held job stops the queue until
    /// it is retried or cancelled).
    pub fn print_next(&self) -> Result<Option<PrintJob>> {
        self.read(|c| {
            let first: Option<PrintJob> = c
                .query_row(
                    &format!(
                        "SELECT {COLUMNS} FROM {FROM} WHERE j.state IN ('queued', 'sending', 'held') ORDER BY j.id LIMIT 1"
                    ),
                    [],
                    from_row,
                )
                .optional()?;
            Ok(first.filter(|j| j.state == JobState::Queued))
        })
    }

    /// One job.
    pub fn print_job(&self, id: i64) -> Result<PrintJob> {
        self.read(|c| {
            c.query_row(&format!("SELECT {COLUMNS} FROM {FROM} WHERE j.id = ?1"), [id], from_row)
                .optional()?
                .ok_or(StoreError::NotFound("print job"))
        })
    }

    /// The jobs not done yet (queued, sending, held), in order.
    pub fn print_open_jobs(&self) -> Result<Vec<PrintJob>> {
        self.read(|c| {
            let rows = c
                .prepare(&format!(
                    "SELECT {COLUMNS} FROM {FROM} WHERE j.state IN ('queued', 'sending', 'held') ORDER BY j.id"
                ))?
                .query_map([], from_row)?
                .collect::<std::result::Result<_, _>>()?;
            Ok(rows)
        })
    }

    /// Every job of a sale (its receipt, reprints), in order.
    pub fn print_jobs_of_order(&self, order_id: i64) -> Result<Vec<PrintJob>> {
        self.read(|c| {
            let rows = c
                .prepare(&format!("SELECT {COLUMNS} FROM {FROM} WHERE j.order_id = ?1 ORDER BY j.id"))?
                .query_map([order_id], from_row)?
                .collect::<std::result::Result<_, _>>()?;
            Ok(rows)
        })
    }

    /// Marks a queued job `sending`, counting the attempt, in a commit of its own before the
    /// first byte leaves (so a crash while sending is seen at the next start).
    pub fn print_mark_sending(&self, id: i64) -> Result<()> {
        self.write(|tx| {
            set_state(tx, id, &[JobState::Queued], JobState::Sending, None)?;
            tx.execute("UPDATE print_jobs SET attempts = attempts + 1 WHERE id = ?1", [id])?;
            Ok(())
        })
    }

    /// Records that a job's drawer kick has gone out: printing it again later (a retry, a
    /// reprint) never opens the drawer a second time.
    pub fn print_kick_done(&self, id: i64) -> Result<()> {
        self.write(|tx| {
            tx.execute("UPDATE print_jobs SET kick_drawer = 0 WHERE id = ?1", [id])?;
            Ok(())
        })
    }

    /// Marks a job being sent as printed.
    pub fn print_mark_printed(&self, id: i64, now_ms: i64) -> Result<()> {
        self.write(|tx| {
            set_state(tx, id, &[JobState::Sending], JobState::Printed, None)?;
            tx.execute("UPDATE print_jobs SET printed_at_ms = ?2 WHERE id = ?1", params![id, now_ms])?;
            Ok(())
        })
    }

    /// Holds a queued or sending job with the fault that stopped it.
    pub fn print_mark_held(&self, id: i64, fault: &str) -> Result<()> {
        self.write(|tx| set_state(tx, id, &[JobState::Queued, JobState::Sending], JobState::Held, Some(fault)))
    }

    /// Cancels a held or queued job (the cashier reprinted it, or it is not wanted).
    pub fn print_cancel(&self, id: i64) -> Result<PrintJob> {
        self.write(|tx| set_state(tx, id, &[JobState::Queued, JobState::Held], JobState::Cancelled, None))?;
        self.print_job(id)
    }

    /// Queues every held job again, in its place (retry after the fault is cleared). A job held
    /// as `interrupted` is left held: it may have printed, so only a person's reprint or cancel
    /// settles it. Returns how many were queued again.
    pub fn print_retry_held(&self) -> Result<usize> {
        self.write(|tx| {
            Ok(tx.execute(
                "UPDATE print_jobs SET state = 'queued', fault = NULL WHERE state = 'held' AND fault <> ?1",
                [INTERRUPTED],
            )?)
        })
    }

    /// Queues one held job again, on another printer when `uri` is given. An interrupted job
    /// may be sent again this way too: a person decided it.
    pub fn print_requeue(&self, id: i64, uri: Option<&str>) -> Result<PrintJob> {
        self.write(|tx| {
            set_state(tx, id, &[JobState::Held], JobState::Queued, None)?;
            if let Some(uri) = uri {
                tx.execute("UPDATE print_jobs SET uri = ?2 WHERE id = ?1", params![id, uri])?;
            }
            Ok(())
        })?;
        self.print_job(id)
    }

    /// At start-up: a job left `sending` by a crash is held as [`INTERRUPTED`]; we cannot know
    /// whether it printed. Call it once per till process, before its print worker starts (not
    /// from other programs opening the same file). Returns the ids held.
    pub fn print_recover(&self) -> Result<Vec<i64>> {
        self.write(|tx| {
            let ids = tx
                .prepare("UPDATE print_jobs SET state = 'held', fault = ?1 WHERE state = 'sending' RETURNING id")?
                .query_map([INTERRUPTED], |r| r.get(0))?
                .collect::<std::result::Result<Vec<i64>, _>>()?;
            Ok(ids)
        })
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::devices::{put, DeviceConfig};

    fn store() -> (tempfile::TempDir, Store) {
        let dir = tempfile::tempdir().unwrap();
        let s = Store::open(&dir.path().join("t.db")).unwrap();
        (dir, s)
    }

    fn job(kind: JobKind) -> NewJob {
        NewJob { kind, order_id: None, refund_id: None, payload: None, kick_drawer: false, lang: "en".into() }
    }

    pub(crate) fn printer() -> DeviceConfig {
        DeviceConfig::printer("escpos", "tcp://127.0.0.1:9100", 58, "gb18030")
    }

    #[test]
    fn the_printer_row_keeps_its_paper_and_code_page_and_bad_widths_are_refused() {
        let (_d, s) = store();
        s.write(|tx| put(tx, &printer(), 1)).unwrap();
        let d = s.device("receipt-printer").unwrap().unwrap();
        assert_eq!((d.config.paper_mm, d.config.code_page.as_deref()), (Some(58), Some("gb18030")));
        let mut bad = printer();
        bad.paper_mm = Some(76);
        assert!(s.write(|tx| put(tx, &bad, 2)).is_err());
        assert!(s.write(|tx| printer_set_up(tx)).unwrap());
    }

    #[test]
    fn jobs_come_out_in_id_order_and_a_held_job_stops_the_queue() {
        let (_d, s) = store();
        let a = s.print_enqueue(&job(JobKind::Test), 1).unwrap();
        let b = s.print_enqueue(&job(JobKind::Drawer), 2).unwrap();
        assert!(a < b);
        assert_eq!(s.print_next().unwrap().unwrap().id, a);
        s.print_mark_sending(a).unwrap();
        assert_eq!(s.print_next().unwrap(), None, "nothing overtakes a job being sent");
        s.print_mark_held(a, "paper-end").unwrap();
        assert_eq!(s.print_next().unwrap(), None, "nothing overtakes a held job");
        assert_eq!(s.print_retry_held().unwrap(), 1);
        let again = s.print_next().unwrap().unwrap();
        assert_eq!((again.id, again.fault), (a, None));
        s.print_mark_sending(a).unwrap();
        s.print_mark_printed(a, 9).unwrap();
        let done = s.print_job(a).unwrap();
        assert_eq!((done.state, done.attempts, done.printed_at_ms), (JobState::Printed, 2, Some(9)));
        assert_eq!(s.print_next().unwrap().unwrap().id, b);
        assert!(matches!(s.print_mark_printed(b, 10), Err(StoreError::Conflict(_))), "only a job being sent");
        s.print_cancel(b).unwrap();
        assert_eq!(s.print_next().unwrap(), None);
        assert!(s.print_open_jobs().unwrap().is_empty());
    }

    #[test]
    fn a_job_sending_at_a_crash_is_held_as_interrupted_and_not_retried_by_itself() {
        let (_d, s) = store();
        let a = s.print_enqueue(&job(JobKind::Test), 1).unwrap();
        s.print_mark_sending(a).unwrap();
        assert_eq!(s.print_recover().unwrap(), vec![a]);
        let j = s.print_job(a).unwrap();
        assert_eq!((j.state, j.fault.as_deref()), (JobState::Held, Some(INTERRUPTED)));
        assert_eq!(s.print_retry_held().unwrap(), 0, "a retry of the queue does not resend it");
        assert_eq!(s.print_next().unwrap(), None);
        let j = s.print_requeue(a, Some("tcp://10.0.0.9:9100")).unwrap();
        assert_eq!((j.state, j.uri.as_deref()), (JobState::Queued, Some("tcp://10.0.0.9:9100")));
        assert!(s.print_recover().unwrap().is_empty());
    }

    #[test]
    fn bad_jobs_are_refused() {
        let (_d, s) = store();
        let mut j = job(JobKind::Test);
        j.lang = "fr".into();
        assert!(matches!(s.print_enqueue(&j, 1), Err(StoreError::Invalid(_))));
        assert!(matches!(s.print_enqueue(&job(JobKind::Receipt), 1), Err(StoreError::Invalid(_))));
        assert!(matches!(s.print_cancel(77), Err(StoreError::NotFound(_))));
    }
}
