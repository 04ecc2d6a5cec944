//! One client connection: TLS when configured, then HTTP/1.1 with a header read timeout and an
//! idle timeout, so a client that connects and sends nothing, or half a header, or stops in the
//! middle, is disconnected instead of holding a connection slot for ever.
//!
//! hyper's header read timeout (with hyper-util's tokio timer) runs from the moment the
//! connection is ready for a request (just opened, or the previous answer sent) until the header
//! is complete, so it also closes kept-alive connections that send no new request. [`IdleIo`]
//! closes a connection on which nothing at all is read or written for the idle timeout, whatever
//! stage it is at. A TLS handshake has the header read timeout too.

use crate::config::Limits;
use axum::Router;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use std::future::Future;
use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;
use tokio::sync::{watch, OwnedSemaphorePermit};
use tokio::time::{Instant, Sleep};

/// Serves one accepted connection until it closes, times out, or the server stops. `_slot` is
/// the connection's place among `max_connections`, given back when this returns.
pub(crate) async fn serve(
    stream: TcpStream,
    tls: Option<tokio_rustls::TlsAcceptor>,
    app: Router,
    limits: Arc<Limits>,
    stop: watch::Receiver<bool>,
    _slot: OwnedSemaphorePermit,
) {
    // Answers are small; do not hold them back waiting for more bytes.
    let _ = stream.set_nodelay(true);
    let idle = Duration::from_millis(limits.idle_timeout_ms);
    let header = Duration::from_millis(limits.header_read_timeout_ms);
    match tls {
        None => http(IdleIo::new(stream, idle), app, header, stop).await,
        Some(acceptor) => match tokio::time::timeout(header, acceptor.accept(stream)).await {
            Ok(Ok(stream)) => http(IdleIo::new(stream, idle), app, header, stop).await,
            Ok(Err(e)) => tracing::debug!(error = %e, "TLS handshake failed"),
            Err(_) => tracing::debug!("TLS handshake timed out"),
        },
    }
}

async fn http<T>(io: IdleIo<T>, app: Router, header: Duration, mut stop: watch::Receiver<bool>)
where
    T: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let mut builder = hyper::server::conn::http1::Builder::new();
    builder.timer(TokioTimer::new()).header_read_timeout(header).keep_alive(true);
    let conn = builder.serve_connection(TokioIo::new(io), TowerToHyperService::new(app));
    tokio::pin!(conn);
    tokio::select! {
        done = conn.as_mut() => {
            if let Err(e) = done {
                tracing::debug!(error = %e, "connection closed");
            }
            return;
        }
        _ = stop.wait_for(|stopping| *stopping) => {}
    }
    // Stopping: finish the request in progress, take no new one.
    conn.as_mut().graceful_shutdown();
    let _ = conn.await;
}

/// A stream that fails with `TimedOut` once nothing has been read from or written to it for
/// the idle timeout; hyper then drops the connection.
///
/// Progress only records the time (a clock read); the timer is moved lazily, when it fires
/// while there was progress since it was set, so a busy connection costs no timer work per read.
pub struct IdleIo<T> {
    inner: T,
    idle: Duration,
    last_progress: Instant,
    deadline: Pin<Box<Sleep>>,
}

impl<T> IdleIo<T> {
    /// Wraps `inner`; the clock starts now.
    pub fn new(inner: T, idle: Duration) -> IdleIo<T> {
        IdleIo { inner, idle, last_progress: Instant::now(), deadline: Box::pin(tokio::time::sleep(idle)) }
    }

    /// Something moved: the idle clock starts again.
    fn touch(&mut self) {
        self.last_progress = Instant::now();
    }

    /// Called when the stream has nothing to give: pending, unless the idle time is up (the
    /// timer also wakes the task, so an idle connection is noticed without any traffic).
    fn pending_or_expired<R>(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<R>> {
        loop {
            if self.deadline.as_mut().poll(cx).is_pending() {
                return Poll::Pending;
            }
            let due = self.last_progress + self.idle;
            if Instant::now() >= due {
                return Poll::Ready(Err(io::Error::new(io::ErrorKind::TimedOut, "connection idle too long")));
            }
            // It fired, but something moved since it was set: wait for the rest.
            self.deadline.as_mut().reset(due);
        }
    }
}

impl<T: AsyncRead + Unpin> AsyncRead for IdleIo<T> {
    fn poll_read(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        match Pin::new(&mut self.inner).poll_read(cx, buf) {
            Poll::Ready(Ok(())) => {
                if buf.filled().len() > before {
                    self.touch();
                }
                Poll::Ready(Ok(()))
            }
            Poll::Ready(Err(e)) => Poll::Ready(Err(e)),
            Poll::Pending => self.pending_or_expired(cx),
        }
    }
}

impl<T: AsyncWrite + Unpin> IdleIo<T> {
    /// A write that moved bytes is progress; one still pending may be the stall that times out.
    fn written(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        poll: Poll<io::Result<usize>>,
    ) -> Poll<io::Result<usize>> {
        match poll {
            Poll::Ready(Ok(n)) => {
                if n > 0 {
                    self.touch();
                }
                Poll::Ready(Ok(n))
            }
            Poll::Ready(Err(e)) => Poll::Ready(Err(e)),
            Poll::Pending => self.pending_or_expired(cx),
        }
    }
}

impl<T: AsyncWrite + Unpin> AsyncWrite for IdleIo<T> {
    fn poll_write(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        let poll = Pin::new(&mut self.inner).poll_write(cx, buf);
        self.written(cx, poll)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let poll = Pin::new(&mut self.inner).poll_write_vectored(cx, bufs);
        self.written(cx, poll)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match Pin::new(&mut self.inner).poll_flush(cx) {
            Poll::Pending => self.pending_or_expired(cx),
            ready => ready,
        }
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

/// A TLS acceptor for the certificate chain and key (PEM) given, HTTP/1.1 only, on the ring
/// provider the workspace already uses.
pub(crate) fn tls_acceptor(cert: &std::path::Path, key: &std::path::Path) -> Result<tokio_rustls::TlsAcceptor, String> {
    use rustls::pki_types::pem::PemObject;
    use rustls::pki_types::{CertificateDer, PrivateKeyDer};
    let certs = CertificateDer::pem_file_iter(cert)
        .and_then(|certs| certs.collect::<Result<Vec<_>, _>>())
        .map_err(|e| format!("{}: {e}", cert.display()))?;
    if certs.is_empty() {
        return Err(format!("{}: no certificate", cert.display()));
    }
    let key = PrivateKeyDer::from_pem_file(key).map_err(|e| format!("{}: {e}", key.display()))?;
    let mut config = rustls::ServerConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
        .with_safe_default_protocol_versions()
        .map_err(|e| e.to_string())?
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .map_err(|e| e.to_string())?;
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(tokio_rustls::TlsAcceptor::from(Arc::new(config)))
}
