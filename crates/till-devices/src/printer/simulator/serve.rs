//! Serving a simulated printer over a link: a TCP port (like a network printer's port 9100,
//! one connection at a time) or a pseudo-terminal (like a serial printer).

use super::SimHandle;
use crate::transport::{ByteLink, SerialLink};
use crate::DeviceError;
use std::io::{ErrorKind, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

/// A running server; dropping it stops it (within a fraction of a second).
pub struct Server {
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
    /// Where it listens: `HOST:PORT`, or the pseudo-terminal's path.
    pub address: String,
    // The pseudo-terminal's other side, kept open so tills may come and go.
    _pty_keep_open: Option<SerialLink>,
}

impl std::fmt::Debug for Server {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Server").field("address", &self.address).finish()
    }
}

impl Server {
    /// Stops serving and waits for the thread.
    pub fn stop(mut self) {
        self.halt();
    }

    fn halt(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.halt();
    }
}

/// Serves `printer` on `listener`: one connection at a time, bytes read as they come, status
/// answers written back on the same socket; a closed connection ends a job with content.
pub fn tcp(printer: SimHandle, listener: TcpListener) -> Result<Server, DeviceError> {
    let io = |e: std::io::Error| DeviceError::Io(format!("simulated printer: {e}"));
    let address: SocketAddr = listener.local_addr().map_err(io)?;
    listener.set_nonblocking(true).map_err(io)?;
    let stop = Arc::new(AtomicBool::new(false));
    let flag = stop.clone();
    let thread = std::thread::Builder::new()
        .name("printer-sim-tcp".into())
        .spawn(move || {
            while !flag.load(Ordering::SeqCst) {
                match listener.accept() {
                    Ok((stream, _)) => serve_connection(&printer, stream, &flag),
                    Err(e) if e.kind() == ErrorKind::WouldBlock => std::thread::sleep(Duration::from_millis(10)),
                    Err(_) => std::thread::sleep(Duration::from_millis(50)),
                }
            }
        })
        .map_err(io)?;
    Ok(Server { stop, thread: Some(thread), address: address.to_string(), _pty_keep_open: None })
}

fn serve_connection(printer: &SimHandle, mut stream: TcpStream, stop: &AtomicBool) {
    if stream.set_nonblocking(false).is_err() || stream.set_read_timeout(Some(Duration::from_millis(100))).is_err() {
        return;
    }
    let mut buf = [0u8; 4096];
    while !stop.load(Ordering::SeqCst) {
        match stream.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => {
                let answers = printer.take(&buf[..n]);
                if !answers.is_empty() && stream.write_all(&answers).and_then(|()| stream.flush()).is_err() {
                    break;
                }
            }
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut | ErrorKind::Interrupted) => {}
            Err(_) => break,
        }
    }
    printer.connection_closed();
}

/// Serves `printer` on a new pseudo-terminal; [`Server::address`] is its path (`/dev/pts/N`),
/// to open as `serial:///dev/pts/N`. A serial line has no connection to close, so a job ends
/// at its cut (or a lone drawer kick).
pub fn pty(printer: SimHandle) -> Result<Server, DeviceError> {
    let (mut device, pos) = SerialLink::pty_pair()?;
    let address = pos.name().to_string();
    let stop = Arc::new(AtomicBool::new(false));
    let flag = stop.clone();
    let thread = std::thread::Builder::new()
        .name("printer-sim-pty".into())
        .spawn(move || {
            let mut buf = [0u8; 4096];
            while !flag.load(Ordering::SeqCst) {
                match device.read(&mut buf, Duration::from_millis(100)) {
                    Ok(0) => {}
                    Ok(n) => {
                        let answers = printer.take(&buf[..n]);
                        if !answers.is_empty() && device.write_all(&answers).is_err() {
                            break;
                        }
                    }
                    Err(_) => std::thread::sleep(Duration::from_millis(100)),
                }
            }
        })
        .map_err(|e| DeviceError::Io(format!("simulated printer: {e}")))?;
    Ok(Server { stop, thread: Some(thread), address, _pty_keep_open: Some(pos) })
}
