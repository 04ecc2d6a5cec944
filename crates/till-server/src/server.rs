//! Running the router: plain HTTP or TLS (rustls), on a listener the caller bound.
//!
//! The accept loop is the server's own (hyper's HTTP/1.1 connection builder) rather than
//! `axum::serve`, which sets no header read timeout: it takes a connection only while fewer than
//! `max_connections` are open, and each connection ([`crate::connection`]) has the header read
//! and idle timeouts of the configuration's `limits`.

use crate::app::router;
use crate::connection;
use crate::idempotency::RETENTION_SECS;
use crate::state::AppState;
use std::future::Future;
use std::net::{SocketAddr, TcpListener};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Semaphore;

/// Errors of starting or running the server.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    /// Binding or accepting failed.
    #[error("network: {0}")]
    Io(#[from] std::io::Error),
    /// The certificate or key could not be loaded.
    #[error("TLS: {0}")]
    Tls(String),
}

/// Certificate chain and private key files (PEM) for HTTPS.
#[derive(Debug, Clone)]
pub struct TlsFiles {
    /// Certificate chain.
    pub cert: PathBuf,
    /// Private key.
    pub key: PathBuf,
}

/// How long open requests may run on after the stop signal.
const DRAIN: Duration = Duration::from_secs(5);

/// Serves `state` on `listener` until `shutdown` completes, then lets open requests finish (for
/// at most 5 s). Also purges, every five minutes, idempotency keys older than the retention
/// period and nonces past their expiry.
pub async fn serve(
    listener: TcpListener,
    state: AppState,
    tls: Option<TlsFiles>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), ServeError> {
    listener.set_nonblocking(true)?;
    let acceptor = match &tls {
        Some(files) => Some(connection::tls_acceptor(&files.cert, &files.key).map_err(ServeError::Tls)?),
        None => None,
    };
    let limits = Arc::new(state.config.limits.clone());
    let purger = tokio::spawn(purge_regularly(state.clone()));
    let paid_notices = tokio::spawn(crate::services::paid::run(state.clone()));
    let app = match acceptor {
        // The console's cookies are `Secure` when it is served over TLS.
        Some(_) => router(state).layer(axum::Extension(crate::console::ServedOverTls)),
        None => router(state),
    };
    let listener = tokio::net::TcpListener::from_std(listener)?;
    let open_slots = Arc::new(Semaphore::new(limits.max_connections));
    let (stop, stopping) = tokio::sync::watch::channel(false);
    let mut connections = tokio::task::JoinSet::new();
    tokio::pin!(shutdown);
    loop {
        // Wait for a free slot before accepting: beyond the limit, clients wait in the backlog.
        let slot = tokio::select! {
            () = &mut shutdown => break,
            slot = open_slots.clone().acquire_owned() => match slot {
                Ok(slot) => slot,
                Err(_) => break, // the semaphore is never closed
            },
        };
        let stream = tokio::select! {
            () = &mut shutdown => break,
            accepted = listener.accept() => match accepted {
                Ok((stream, _peer)) => stream,
                Err(e) => {
                    // Out of file descriptors and the like: pause rather than spin.
                    tracing::warn!(error = %e, "accepting a connection failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
        };
        while connections.try_join_next().is_some() {}
        connections.spawn(connection::serve(
            stream,
            acceptor.clone(),
            app.clone(),
            limits.clone(),
            stopping.clone(),
            slot,
        ));
    }
    drop(listener);
    let _ = stop.send(true);
    let drained = tokio::time::timeout(DRAIN, async { while connections.join_next().await.is_some() {} }).await;
    if drained.is_err() {
        tracing::warn!(open = connections.len(), "stopping with requests still open");
        connections.abort_all();
    }
    purger.abort();
    paid_notices.abort();
    Ok(())
}

/// How often expired nonces and old idempotency keys are deleted: nonces live five minutes, so
/// the table holds about two windows' worth of requests.
const PURGE_EVERY: Duration = Duration::from_secs(300);

async fn purge_regularly(state: AppState) {
    let mut every = tokio::time::interval(PURGE_EVERY);
    loop {
        every.tick().await;
        let s = state.clone();
        let now = s.clock.now_unix();
        let before = now.saturating_sub(RETENTION_SECS);
        let purged = tokio::task::spawn_blocking(move || -> Result<usize, crate::error::RepoError> {
            let mut tx = s.repo.begin()?;
            let n = tx.purge_idempotency(before)?;
            tx.commit()?;
            // Where the nonces are claimed (on SQLite, their own file).
            let mut tx = s.repo.begin_unordered()?;
            let m = tx.purge_nonces(now)?;
            tx.commit()?;
            Ok(n + m)
        })
        .await;
        if let Ok(Err(e)) = purged {
            tracing::warn!(error = %e, "purging old idempotency keys and nonces failed");
        }
    }
}

/// A server running on its own thread and runtime (tests, the load generator).
#[derive(Debug)]
pub struct Background {
    /// Where it listens.
    pub addr: SocketAddr,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Background {
    /// Binds 127.0.0.1 on a free port and serves `state` there until dropped.
    pub fn start(state: AppState, tls: Option<TlsFiles>) -> Result<Background, ServeError> {
        let listener = TcpListener::bind("127.0.0.1:0")?;
        let addr = listener.local_addr()?;
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build()?;
        let thread = std::thread::spawn(move || {
            runtime.block_on(async move {
                let shutdown = async move {
                    let _ = stopped.await;
                };
                if let Err(e) = serve(listener, state, tls, shutdown).await {
                    tracing::error!(error = %e, "background server stopped");
                }
            });
        });
        Ok(Background { addr, stop: Some(stop), thread: Some(thread) })
    }

    /// `http://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }
}

impl Drop for Background {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}
