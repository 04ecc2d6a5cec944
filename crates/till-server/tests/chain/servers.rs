//! till-server processes: the real binary, started as children on 127.0.0.1 against one shared
//! database, killed with SIGKILL and started again on the same port.

use std::fs::OpenOptions;
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};
use till_server::repo::postgres::scratch::ScratchDatabase;

/// The database every server of the chain shares.
#[derive(Debug, Clone)]
pub enum Backend {
    /// One SQLite file (WAL; the processes take turns at its write lock).
    Sqlite(PathBuf),
    /// A PostgreSQL database, by its connection URL.
    Postgres(String),
}

impl Backend {
    /// Names the database to a till-server command: `--db FILE`, or for PostgreSQL the
    /// environment variable `TILL_SERVER_DATABASE` (a URL with a password does not belong on a
    /// command line other users can read).
    pub fn apply(&self, cmd: &mut Command) {
        match self {
            Backend::Sqlite(path) => {
                cmd.arg("--db").arg(path);
            }
            Backend::Postgres(url) => {
                cmd.env("TILL_SERVER_DATABASE", url);
            }
        }
    }

    /// A short name for reports.
    pub fn name(&self) -> &'static str {
        match self {
            Backend::Sqlite(_) => "SQLite",
            Backend::Postgres(_) => "PostgreSQL",
        }
    }
}

/// The till-server binary of this build.
pub fn binary() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_till-server"))
}

/// Runs a till-server administration command against `backend` and returns what it printed.
pub fn admin(backend: &Backend, key_file: &Path, args: &[&str]) -> Result<String, String> {
    let mut cmd = Command::new(binary());
    cmd.args(args).arg("--key-file").arg(key_file);
    backend.apply(&mut cmd);
    let out = cmd.output().map_err(|e| format!("till-server {args:?}: {e}"))?;
    if !out.status.success() {
        return Err(format!("till-server {args:?}: {}", String::from_utf8_lossy(&out.stderr)));
    }
    String::from_utf8(out.stdout).map_err(|e| e.to_string())
}

/// A free port on 127.0.0.1 (free now; the server binds it a moment later).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).map(|a| a.port()).unwrap_or(0)
}

/// One `till-server serve` process, restartable on its port.
pub struct ServerProcess {
    backend: Backend,
    key_file: PathBuf,
    log: PathBuf,
    /// Its port on 127.0.0.1.
    pub port: u16,
    child: Option<Child>,
}

impl ServerProcess {
    /// A server for `backend` on a free port, logging to `log`; not started yet.
    pub fn new(backend: Backend, key_file: PathBuf, log: PathBuf) -> ServerProcess {
        ServerProcess { backend, key_file, log, port: free_port(), child: None }
    }

    /// `http://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// Starts the process and waits until it accepts connections.
    pub fn start(&mut self) -> Result<(), String> {
        let log = OpenOptions::new().create(true).append(true).open(&self.log).map_err(|e| e.to_string())?;
        let mut cmd = Command::new(binary());
        cmd.arg("serve");
        self.backend.apply(&mut cmd);
        cmd.arg("--key-file")
            .arg(&self.key_file)
            .arg("--listen")
            .arg(format!("127.0.0.1:{}", self.port))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(log);
        let mut child = cmd.spawn().map_err(|e| format!("starting till-server: {e}"))?;
        let addr = SocketAddr::from(([127, 0, 0, 1], self.port));
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if let Ok(Some(status)) = child.try_wait() {
                return Err(format!("till-server exited at start ({status}); see {}", self.log.display()));
            }
            if TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_ok() {
                break;
            }
            if Instant::now() > deadline {
                let _ = child.kill();
                return Err(format!("till-server did not listen on {addr}; see {}", self.log.display()));
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        self.child = Some(child);
        Ok(())
    }

    /// SIGKILL: no shutdown, no flushing, open requests cut off.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Whether the process is running.
    pub fn running(&mut self) -> bool {
        self.child.as_mut().is_some_and(|c| matches!(c.try_wait(), Ok(None)))
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        self.kill();
    }
}

/// A new, empty database on the PostgreSQL server at `server_url`: its backend, and the handle
/// that drops the database when it is dropped.
pub fn fresh_postgres(server_url: &str) -> Result<(Backend, Box<dyn std::any::Any>), String> {
    let db = ScratchDatabase::create(server_url).map_err(|e| format!("a database on {server_url}: {e}"))?;
    Ok((Backend::Postgres(db.url.clone()), Box::new(db)))
}

/// A new, empty database on the PostgreSQL server named by `TILL_TEST_POSTGRES`; without it, an
/// error saying how to run the PostgreSQL tests (they are never skipped).
pub fn postgres_from_env() -> Result<(Backend, Box<dyn std::any::Any>), String> {
    let db = ScratchDatabase::from_env()?;
    Ok((Backend::Postgres(db.url.clone()), Box::new(db)))
}
