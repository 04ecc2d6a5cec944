//! CSV exports run in the background: the manager starts one, the screen polls its progress,
//! and may cancel it. Each export reads through its own connection (a second [`Store`] on the
//! same file), so a long export never holds up the till's own reads, and it streams rows to
//! disk, so memory stays flat however long the range is.

use crate::admin::permissions::Command;
use crate::error::IpcError;
use crate::error::{PosError, Result};
use crate::ipc::back_office::ExportStatus;
use crate::mutex::lock;
use crate::Pos;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use till_core::SessionToken;
use till_store::export::ExportKind;
use till_store::{Store, StoreError};

/// Finished jobs kept for the screen to read, at most.
const KEEP_JOBS: usize = 20;

struct Job {
    status: Mutex<ExportStatus>,
    cancel: AtomicBool,
}

/// The exports of this till, by job id.
#[derive(Default)]
pub struct ExportJobs {
    jobs: Mutex<Vec<(String, Arc<Job>)>>,
}

impl ExportJobs {
    fn get(&self, id: &str) -> Result<Arc<Job>> {
        lock(&self.jobs)
            .iter()
            .find(|(k, _)| k == id)
            .map(|(_, j)| j.clone())
            .ok_or_else(|| PosError::Store(StoreError::NotFound("export")))
    }

    fn add(&self, id: String, job: Arc<Job>) {
        let mut jobs = lock(&self.jobs);
        // Forget the oldest finished jobs; running ones stay whatever their age.
        while jobs.len() >= KEEP_JOBS {
            match jobs.iter().position(|(_, j)| lock(&j.status).done) {
                Some(i) => {
                    jobs.remove(i);
                }
                None => break,
            }
        }
        jobs.push((id, job));
    }
}

impl Pos {
    /// Starts exporting `kinds` for [`from_ms`, `to_ms`) to CSV files in the exports folder.
    pub fn export_start(
        &self,
        token: &SessionToken,
        from_ms: i64,
        to_ms: i64,
        kinds: &[ExportKind],
    ) -> Result<ExportStatus> {
        self.authorize(token, Command::ExportStart)?;
        if kinds.is_empty() {
            return Err(PosError::InvalidInput("choose at least one kind of data to export".into()));
        }
        if from_ms >= to_ms {
            return Err(PosError::InvalidInput("the export's start must be before its end".into()));
        }
        let total = self.store.export_row_count(kinds, from_ms, to_ms)?;
        let dir = self.exports_dir()?;
        let id = self.random_hex(8);
        let job = Arc::new(Job {
            status: Mutex::new(ExportStatus {
                job_id: id.clone(),
                rows_written: 0,
                total_rows: total,
                done: false,
                cancelled: false,
                files: Vec::new(),
                error: None,
            }),
            cancel: AtomicBool::new(false),
        });
        self.back_office.jobs.add(id.clone(), job.clone());
        let db = self.store.path().to_path_buf();
        let kinds = kinds.to_vec();
        let spawned = std::thread::Builder::new()
            .name(format!("export-{id}"))
            .spawn(move || run_export(&job, &db, &kinds, from_ms, to_ms, &dir));
        if let Err(e) = spawned {
            return Err(PosError::Internal(format!("cannot start the export: {e}")));
        }
        self.export_status(token, &id)
    }

    /// Where an export stands.
    pub fn export_status(&self, token: &SessionToken, job_id: &str) -> Result<ExportStatus> {
        self.authorize(token, Command::ExportStatus)?;
        let job = self.back_office.jobs.get(job_id)?;
        let status = lock(&job.status).clone();
        Ok(status)
    }

    /// Asks a running export to stop; its partial files are removed.
    pub fn export_cancel(&self, token: &SessionToken, job_id: &str) -> Result<ExportStatus> {
        self.authorize(token, Command::ExportCancel)?;
        let job = self.back_office.jobs.get(job_id)?;
        job.cancel.store(true, Ordering::SeqCst);
        let status = lock(&job.status).clone();
        Ok(status)
    }
}

fn run_export(job: &Job, db: &std::path::Path, kinds: &[ExportKind], from_ms: i64, to_ms: i64, dir: &std::path::Path) {
    let outcome = Store::open(db).and_then(|store| {
        store.export_csv(kinds, from_ms, to_ms, dir, &mut |written, total| {
            let mut s = lock(&job.status);
            s.rows_written = written;
            s.total_rows = total;
            !job.cancel.load(Ordering::SeqCst)
        })
    });
    let mut s = lock(&job.status);
    s.done = true;
    match outcome {
        Ok(files) => {
            s.rows_written = s.total_rows.max(s.rows_written);
            s.files = files.iter().map(|p: &PathBuf| p.display().to_string()).collect();
            tracing::info!(job = %s.job_id, rows = s.rows_written, "export written");
        }
        Err(StoreError::Cancelled) => {
            s.cancelled = true;
            tracing::info!(job = %s.job_id, "export cancelled");
        }
        Err(e) => {
            tracing::warn!(job = %s.job_id, "export failed: {e}");
            s.error = Some(IpcError::from(PosError::Store(e)));
        }
    }
}
