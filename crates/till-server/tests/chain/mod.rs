//! The chain load harness, shared by the load test (`tests/chain_load.rs`, which asserts) and the
//! benchmark (`benches/chain.rs`, which prints figures): several real till-server processes on
//! 127.0.0.1 sharing one database, and many tills, each with its own data directory, terminal
//! and sync worker, selling against them at once.
#![allow(dead_code)] // the test and the benchmark each use part of it

pub mod ledger;
pub mod pg_reader;
pub mod servers;
pub mod till;

use servers::{Backend, ServerProcess};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};
use till::{Tally, Till, Workload};

/// A chain: servers sharing one database and the tills assigned to them.
pub struct Chain {
    /// The shared database.
    pub backend: Backend,
    /// The server processes.
    pub servers: Vec<ServerProcess>,
    /// The tills; till `i` talks to server `i % servers.len()`.
    pub tills: Vec<Till>,
    dir: PathBuf,
    key_file: PathBuf,
}

/// What a run did, summed over the tills.
#[derive(Debug, Default, Clone)]
pub struct RunReport {
    /// Every till's tally.
    pub tallies: Vec<Tally>,
    /// From the first step to the last step of the last till.
    pub selling: Duration,
}

impl RunReport {
    /// The sum of one field of every till's tally.
    pub fn total(&self, f: impl Fn(&Tally) -> usize) -> usize {
        self.tallies.iter().map(f).sum()
    }
}

/// When to kill a server during a run.
#[derive(Debug, Clone, Copy)]
pub struct Kill {
    /// Which server.
    pub server: usize,
    /// After this many steps of all tills together.
    pub after_steps: usize,
    /// How long it stays dead before it is started again.
    pub down_for: Duration,
    /// Every other till of the killed server is pointed at the next server as soon as it dies
    /// (and stays there); the rest wait for their server to come back.
    pub failover: bool,
}

impl Chain {
    /// Registers `tills` terminals in the database with `till-server terminals add` (which also
    /// creates the schema and the server key), starts `servers` server processes on it and opens
    /// the tills under `dir`, each pointed at its server. Sync workers are not started yet.
    pub fn start(dir: &Path, backend: Backend, servers: usize, tills: usize) -> Result<Chain, String> {
        let key_file = dir.join("server.key");
        let mut terminals = Vec::with_capacity(tills);
        for i in 0..tills {
            let name = format!("till {i:02}");
            let out = servers::admin(&backend, &key_file, &["terminals", "add", "--name", &name])?;
            let v: serde_json::Value = serde_json::from_str(&out).map_err(|e| format!("{out}: {e}"))?;
            let field = |k: &str| v[k].as_str().map(str::to_string).ok_or(format!("no {k} in {out}"));
            terminals.push((field("terminal_id")?, field("secret")?));
        }
        let mut procs = Vec::with_capacity(servers);
        for s in 0..servers {
            let mut p = ServerProcess::new(backend.clone(), key_file.clone(), dir.join(format!("server-{s}.log")));
            p.start()?;
            procs.push(p);
        }
        let mut opened = Vec::with_capacity(tills);
        for (i, (terminal, secret)) in terminals.iter().enumerate() {
            let url = procs[i % servers].url();
            opened.push(Till::open(i, &dir.join(format!("till-{i:02}")), &url, terminal, secret)?);
        }
        Ok(Chain { backend, servers: procs, tills: opened, dir: dir.to_path_buf(), key_file })
    }

    /// Enrols every till's loyalty customer.
    pub fn enrol_customers(&self) -> Result<(), String> {
        self.tills.iter().try_for_each(Till::enrol)
    }

    /// Starts every till's sync worker.
    pub fn start_sync(&self) -> Result<(), String> {
        for t in &self.tills {
            t.pos.sync_start().map_err(|e| format!("till {}: sync: {e}", t.index))?;
        }
        Ok(())
    }

    /// Every till takes `steps` steps of `workload` at once, one thread each; with `kill`, the
    /// server named is SIGKILLed once that many steps were taken in all, and started again on
    /// its port after its time down. The tills go on selling meanwhile.
    pub fn run(&mut self, steps: usize, workload: Workload, kill: Option<Kill>) -> Result<RunReport, String> {
        let done = AtomicUsize::new(0);
        let start = Instant::now();
        let tills = &self.tills;
        let servers = &mut self.servers;
        let tallies = std::thread::scope(|scope| -> Result<Vec<Tally>, String> {
            let handles: Vec<_> = tills
                .iter()
                .map(|t| {
                    let done = &done;
                    scope.spawn(move || -> Result<Tally, String> {
                        let mut tally = Tally::default();
                        for i in 0..steps {
                            t.step(i, workload.op(i), &mut tally)?;
                            done.fetch_add(1, Ordering::SeqCst);
                        }
                        Ok(tally)
                    })
                })
                .collect();
            if let Some(k) = kill {
                while done.load(Ordering::SeqCst) < k.after_steps && !handles.iter().all(|h| h.is_finished()) {
                    std::thread::sleep(Duration::from_millis(10));
                }
                servers[k.server].kill();
                if k.failover {
                    let other = servers[(k.server + 1) % servers.len()].url();
                    let theirs = tills.iter().filter(|t| t.index % servers.len() == k.server);
                    for t in theirs.step_by(2) {
                        t.point_at(&other)?;
                    }
                }
                std::thread::sleep(k.down_for);
                servers[k.server].start()?;
            }
            handles.into_iter().map(|h| h.join().map_err(|_| "a till's thread panicked".to_string())?).collect()
        })?;
        Ok(RunReport { tallies, selling: start.elapsed() })
    }

    /// Waits until every till's outbox is empty (nothing pending, nothing parked); answers how
    /// long that took, or what was left at `timeout`.
    pub fn wait_delivered(&self, timeout: Duration) -> Result<Duration, String> {
        let start = Instant::now();
        loop {
            let (mut left, mut pending_anywhere) = (Vec::new(), false);
            for t in &self.tills {
                let (pending, parked) = t.undelivered()?;
                if pending + parked > 0 {
                    left.push(format!("till {}: {pending} pending, {parked} parked", t.index));
                }
                pending_anywhere |= pending > 0;
            }
            if left.is_empty() {
                return Ok(start.elapsed());
            }
            // Parked events wait for a manager: nothing more will move.
            if start.elapsed() > timeout || !pending_anywhere {
                return Err(format!("not delivered after {:?}: {}", start.elapsed(), left.join("; ")));
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Makes till `i` forget the server's answers to its sales, refunds and points changes, as
    /// if every answer had been lost on the way, and points it at the next server of the chain:
    /// its worker sends them all again, byte for byte under the same keys, to a server that
    /// did not take them the first time. Answers how many. (Forwarded card payments are left
    /// out: the till drops their encrypted card data once answered, so their bodies are gone.)
    pub fn resend_elsewhere(&self, i: usize) -> Result<usize, String> {
        let till = &self.tills[i];
        let db = rusqlite::Connection::open(till.pos.store().path()).map_err(|e| e.to_string())?;
        db.busy_timeout(Duration::from_secs(10)).map_err(|e| e.to_string())?;
        let n = db
            .execute(
                "UPDATE outbox SET state = 'pending', next_attempt_at_ms = 0, lease_until_ms = NULL
                 WHERE state = 'done' AND wire_kind IN ('sale', 'refund', 'points_update', 'points_reversal')",
                [],
            )
            .map_err(|e| e.to_string())?;
        till.point_at(&self.servers[(i + 1) % self.servers.len()].url())?;
        Ok(n)
    }

    /// Events delivered by every till so far.
    pub fn delivered(&self) -> Result<i64, String> {
        let mut n = 0;
        for t in &self.tills {
            n += t.pos.sync_status_now().map_err(|e| format!("till {}: {e}", t.index))?.delivered;
        }
        Ok(n)
    }

    /// A connection to the shared database, for reading what the servers stored.
    pub fn server_db(&self) -> Result<Box<dyn till_server::repo::sql::SqlConn>, String> {
        match &self.backend {
            Backend::Sqlite(path) => {
                let c = rusqlite::Connection::open(path).map_err(|e| e.to_string())?;
                c.busy_timeout(Duration::from_secs(10)).map_err(|e| e.to_string())?;
                Ok(Box::new(c))
            }
            Backend::Postgres(url) => Ok(Box::new(pg_reader::PgReader::connect(url)?)),
        }
    }

    /// Compares every till's ledger with the server's; answers the differences (none when the
    /// ledgers agree) and the records compared per section, summed.
    pub fn compare(&self) -> Result<(Vec<String>, std::collections::BTreeMap<&'static str, usize>), String> {
        let mut db = self.server_db()?;
        let mut differences = Vec::new();
        let mut counts = std::collections::BTreeMap::new();
        for t in &self.tills {
            let account = t.account.lock().map_err(|e| e.to_string())?.clone();
            let c = ledger::compare(t.pos.store().path(), &t.terminal_id, account.as_deref(), &mut *db)?;
            differences.extend(c.differences.into_iter().map(|d| format!("till {}: {d}", t.index)));
            for (k, v) in c.counts {
                *counts.entry(k).or_insert(0) += v;
            }
        }
        Ok((differences, counts))
    }

    /// The folder holding the tills, the database and the servers' logs.
    pub fn dir(&self) -> &Path {
        &self.dir
    }
}
