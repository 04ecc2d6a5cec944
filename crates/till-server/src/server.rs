//! Running the router: plain HTTP or TLS (rustls), on a listener the caller bound.

use crate::app::router;
use crate::idempotency::RETENTION_SECS;
use crate::state::AppState;
use std::future::Future;
use std::net::{SocketAddr, TcpListener};
use std::path::PathBuf;
use std::time::Duration;

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

/// Serves `state` on `listener` until `shutdown` completes. Also purges idempotency keys older
/// than the retention period once an hour.
pub async fn serve(
    listener: TcpListener,
    state: AppState,
    tls: Option<TlsFiles>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), ServeError> {
    listener.set_nonblocking(true)?;
    let purge_state = state.clone();
    let purger = tokio::spawn(async move {
        let mut every = tokio::time::interval(Duration::from_secs(3600));
        loop {
            every.tick().await;
            let s = purge_state.clone();
            let before = s.clock.now_unix().saturating_sub(RETENTION_SECS);
            let purged = tokio::task::spawn_blocking(move || -> Result<usize, crate::error::RepoError> {
                let mut tx = s.repo.begin()?;
                let n = tx.purge_idempotency(before)?;
                tx.commit()?;
                Ok(n)
            })
            .await;
            if let Ok(Err(e)) = purged {
                tracing::warn!(error = %e, "purging old idempotency keys failed");
            }
        }
    });
    let app = router(state);
    let result = match tls {
        None => {
            let listener = tokio::net::TcpListener::from_std(listener)?;
            axum::serve(listener, app).with_graceful_shutdown(shutdown).await.map_err(ServeError::from)
        }
        Some(files) => {
            // ring is the provider already in the workspace; installing twice is harmless.
            let _ = rustls::crypto::ring::default_provider().install_default();
            let config = axum_server::tls_rustls::RustlsConfig::from_pem_file(&files.cert, &files.key)
                .await
                .map_err(|e| ServeError::Tls(e.to_string()))?;
            let handle = axum_server::Handle::new();
            let stopper = handle.clone();
            tokio::spawn(async move {
                shutdown.await;
                stopper.graceful_shutdown(Some(Duration::from_secs(5)));
            });
            axum_server::from_tcp_rustls(listener, config)
                .handle(handle)
                .serve(app.into_make_service())
                .await
                .map_err(ServeError::from)
        }
    };
    purger.abort();
    result
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
