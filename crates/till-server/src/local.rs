//! A till-server in this process, on 127.0.0.1, with one registered terminal: what tests and
//! tools start when they need the real server (its signing, limits, storage and answers) rather
//! than a stand-in, in one call instead of opening the database, registering a terminal and
//! starting the listener by hand each time.

use crate::admin::add_terminal;
use crate::clock::OsEntropy;
use crate::config::Config;
use crate::error::{ApiError, RepoError};
use crate::repo::sqlite::SqliteRepository;
use crate::repo::Repository;
use crate::server::{Background, ServeError, TlsFiles};
use crate::state::AppState;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use till_core::SystemClock;

/// Why a [`LocalServer`] did not start.
#[derive(Debug, thiserror::Error)]
pub enum LocalServerError {
    /// The database did not open.
    #[error("storage: {0}")]
    Storage(#[from] RepoError),
    /// The terminal could not be registered.
    #[error("registering the terminal: {0}")]
    Terminal(#[from] ApiError),
    /// The listener did not start.
    #[error("serving: {0}")]
    Serve(#[from] ServeError),
}

/// A running server and the one terminal registered on it. It stops when dropped.
pub struct LocalServer {
    /// The listener (dropping it stops the server).
    pub background: Background,
    /// `http://127.0.0.1:PORT`; over TLS the caller names the host its certificate is for, at
    /// `background.addr`.
    pub url: String,
    /// The database file (empty when the server was started on a repository given to
    /// [`LocalServer::start_on`], e.g. PostgreSQL).
    pub db: PathBuf,
    /// The repository, for checking what the server stored or registering more terminals.
    pub repo: Arc<dyn Repository>,
    /// The registered terminal's id.
    pub terminal_id: String,
    /// Its secret, 64 hex digits.
    pub secret: String,
}

/// The blind of a device identifier (normalised first) under the device identifier key of the
/// server at `repo`: what its tables hold instead of the identifier, for tests and tools that
/// look there.
pub fn device_blind(repo: &dyn Repository, identifier: &str) -> Result<String, LocalServerError> {
    let id = till_core::DeviceIdentifier::parse(identifier)
        .map_err(|e| LocalServerError::Terminal(ApiError::InvalidRequest(e.to_string())))?;
    Ok(repo.read()?.device_identifier_key()?.blind(id.as_str()))
}

impl LocalServer {
    /// The blind of a device identifier under this server's key ([`device_blind`]).
    pub fn device_blind(&self, identifier: &str) -> Result<String, LocalServerError> {
        device_blind(&*self.repo, identifier)
    }

    /// Opens (or creates) the database at `db`, registers a terminal named `till 1` and serves
    /// `config` on a free port of 127.0.0.1 (over TLS when `tls` is given), on the system clock.
    pub fn start(db: &Path, config: Config, tls: Option<TlsFiles>) -> Result<LocalServer, LocalServerError> {
        let repo = Arc::new(SqliteRepository::open(db)?);
        let mut server = LocalServer::start_on(repo, config, tls)?;
        server.db = db.to_path_buf();
        Ok(server)
    }

    /// Like [`LocalServer::start`], on a repository already open: a
    /// [`crate::repo::postgres::PostgresRepository`], or a second server on the same database.
    pub fn start_on(
        repo: Arc<dyn Repository>,
        config: Config,
        tls: Option<TlsFiles>,
    ) -> Result<LocalServer, LocalServerError> {
        let terminal = add_terminal(&*repo, "till 1", &SystemClock, &OsEntropy)?;
        let state = AppState::new(repo.clone(), Arc::new(SystemClock), Arc::new(OsEntropy), config);
        let background = Background::start(state, tls)?;
        Ok(LocalServer {
            url: background.url(),
            background,
            db: PathBuf::new(),
            repo,
            terminal_id: terminal.terminal_id,
            secret: terminal.secret,
        })
    }
}
