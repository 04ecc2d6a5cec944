//! Till's reference service provider (CN104123686A): the third party at the other end of the
//! service platform's relay (till-server's `/v1/services`). It answers each relayed round by
//! matching the request's content against its **table of response contents** ([`table`]), a
//! TOML file the merchant edits, with a state per conversation so a business takes several
//! rounds ([`engine`]); it checks the platform's signature and signs its answers with the shared
//! secret ([`signing`], `till_core::relay_signing`), and records each paid notice once
//! ([`paid`]).
//!
//! ```no_run
//! use till_provider::{Provider, ProviderConfig};
//! let config = ProviderConfig::from_files("demo-services", "provider.secret".as_ref(), "responses.toml".as_ref(), None).unwrap();
//! let running = Provider::start(config, "127.0.0.1:0").unwrap();
//! println!("register {} on the platform", running.endpoint());
//! ```

pub mod engine;
pub mod error;
pub mod paid;
pub mod server;
pub mod signing;
pub mod table;

pub use error::ProviderError;

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use till_core::{Clock, SystemClock};

/// Everything a provider runs with.
pub struct ProviderConfig {
    /// Its public account id on the platform.
    pub account: String,
    /// The shared secret (at least 16 bytes).
    pub secret: Vec<u8>,
    /// The table of response contents.
    pub table: table::Table,
    /// Where paid notices are kept (JSON lines); `None`: in memory.
    pub paid_log: Option<PathBuf>,
    /// The clock.
    pub clock: Arc<dyn Clock>,
}

/// Fewest bytes a shared secret has.
pub const MIN_SECRET_BYTES: usize = 16;

/// Reads a secret file: its text, trimmed (a hex string or any passphrase of 16 bytes or more).
pub fn read_secret(path: &Path) -> Result<Vec<u8>, ProviderError> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| ProviderError::Secret(format!("cannot read {}: {e}", path.display())))?;
    let secret = text.trim().as_bytes().to_vec();
    if secret.len() < MIN_SECRET_BYTES {
        return Err(ProviderError::Secret(format!(
            "{} holds fewer than {MIN_SECRET_BYTES} characters",
            path.display()
        )));
    }
    Ok(secret)
}

impl ProviderConfig {
    /// A configuration from the secret file and the table file, on the system clock.
    pub fn from_files(
        account: &str,
        secret_file: &Path,
        table_file: &Path,
        paid_log: Option<PathBuf>,
    ) -> Result<ProviderConfig, ProviderError> {
        Ok(ProviderConfig {
            account: account.to_string(),
            secret: read_secret(secret_file)?,
            table: table::Table::load(table_file)?,
            paid_log,
            clock: Arc::new(SystemClock),
        })
    }
}

/// A provider serving on its own thread and runtime; it stops when dropped.
pub struct Provider {
    /// Where it listens.
    pub addr: SocketAddr,
    /// What it knows (payments recorded, followers).
    pub state: Arc<server::ProviderState>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Provider {
    /// Starts serving `config` on `listen` (e.g. `127.0.0.1:0` for a free port).
    pub fn start(config: ProviderConfig, listen: &str) -> Result<Provider, ProviderError> {
        let paid = match config.paid_log {
            Some(path) => paid::PaidLedger::open(path)?,
            None => paid::PaidLedger::in_memory(),
        };
        let state = Arc::new(server::ProviderState::new(
            &config.account,
            config.secret,
            engine::Engine::new(config.table),
            paid,
            config.clock,
        ));
        let listener = std::net::TcpListener::bind(listen)
            .map_err(|e| ProviderError::Serve(format!("cannot listen on {listen}: {e}")))?;
        listener.set_nonblocking(true)?;
        let addr = listener.local_addr()?;
        let router = server::router(state.clone());
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .map_err(|e| ProviderError::Serve(e.to_string()))?;
        let thread = std::thread::spawn(move || {
            runtime.block_on(async move {
                let Ok(listener) = tokio::net::TcpListener::from_std(listener) else { return };
                let served = axum::serve(listener, router).with_graceful_shutdown(async {
                    let _ = stopped.await;
                });
                if let Err(e) = served.await {
                    tracing::error!(error = %e, "the provider stopped");
                }
            });
        });
        Ok(Provider { addr, state, stop: Some(stop), thread: Some(thread) })
    }

    /// The endpoint to register on the platform: `http://ADDR/relay`.
    pub fn endpoint(&self) -> String {
        format!("http://{}{}", self.addr, server::BASE)
    }
}

impl Drop for Provider {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}
