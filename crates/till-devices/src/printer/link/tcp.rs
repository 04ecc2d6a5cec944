//! A network printer on raw TCP (port 9100, "JetDirect"): `tcp://HOST:PORT`.
//!
//! One job per connection, the safe habit with these printers: each send and each status query
//! connects, does its work and closes, so a job never waits behind a half-dead connection and
//! the printer is free for another till in between.

use super::{query_status, PrinterLink, QueryStream};
use crate::printer::PrinterStatus;
use crate::DeviceError;
use std::io::{ErrorKind, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpStream, ToSocketAddrs};
use std::time::Duration;

/// How long connecting may take before the printer counts as unreachable.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(3);
/// How long a send may wait on a printer that stopped reading (out of paper, cover open).
pub const WRITE_TIMEOUT: Duration = Duration::from_secs(10);
/// How long one status answer may take on the network.
pub const ANSWER_TIMEOUT: Duration = Duration::from_secs(1);

/// `HOST:PORT` (or `[v6]:PORT`) split; `None` if either part is missing or the port is no port.
pub fn split_host_port(text: &str) -> Option<(String, u16)> {
    let (host, port) = text.rsplit_once(':')?;
    let host = host.strip_prefix('[').and_then(|h| h.strip_suffix(']')).unwrap_or(host);
    let port = port.parse::<u16>().ok().filter(|p| *p != 0)?;
    let plain = |c: char| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':' | '_');
    (!host.is_empty() && host.chars().all(plain)).then(|| (host.to_string(), port))
}

/// A printer at a network address; it holds no connection between jobs.
pub struct TcpLink {
    host: String,
    port: u16,
}

impl TcpLink {
    /// A link to `HOST:PORT`; nothing is connected until the first send or status query.
    pub fn new(host_port: &str) -> Result<Self, DeviceError> {
        let (host, port) =
            split_host_port(host_port).ok_or_else(|| DeviceError::InvalidAddress(format!("tcp://{host_port}")))?;
        Ok(TcpLink { host, port })
    }

    fn name(&self) -> String {
        format!("{}:{}", self.host, self.port)
    }

    fn connect(&self) -> Result<Connection, DeviceError> {
        let addrs: Vec<SocketAddr> = (self.host.as_str(), self.port)
            .to_socket_addrs()
            .map_err(|_| DeviceError::NotFound(format!("{} (the name does not resolve)", self.name())))?
            .collect();
        let mut last = DeviceError::NotFound(self.name());
        for addr in addrs {
            match TcpStream::connect_timeout(&addr, CONNECT_TIMEOUT) {
                Ok(stream) => {
                    let name = self.name();
                    stream.set_write_timeout(Some(WRITE_TIMEOUT)).map_err(|e| io_error(&name, &e))?;
                    stream.set_nodelay(true).map_err(|e| io_error(&name, &e))?;
                    return Ok(Connection { stream, name });
                }
                Err(e) => last = connect_error(&self.name(), &e),
            }
        }
        Err(last)
    }
}

/// One connection: one job or one status query.
struct Connection {
    stream: TcpStream,
    name: String,
}

impl Connection {
    /// Half-closes, so the printer sees the end of the job, then drops the socket.
    fn finish(self) {
        // The job is already with the printer's TCP stack; a failed shutdown changes nothing.
        let _ = self.stream.shutdown(Shutdown::Write);
    }
}

impl QueryStream for Connection {
    fn put(&mut self, bytes: &[u8]) -> Result<(), DeviceError> {
        self.stream.write_all(bytes).and_then(|()| self.stream.flush()).map_err(|e| io_error(&self.name, &e))
    }

    fn get(&mut self, timeout: Duration) -> Result<Option<u8>, DeviceError> {
        let mut byte = [0u8; 1];
        let result = if timeout.is_zero() {
            // A poll: only what has already arrived.
            self.stream.set_nonblocking(true).map_err(|e| io_error(&self.name, &e))?;
            let r = self.stream.read(&mut byte);
            self.stream.set_nonblocking(false).map_err(|e| io_error(&self.name, &e))?;
            r
        } else {
            self.stream.set_read_timeout(Some(timeout)).map_err(|e| io_error(&self.name, &e))?;
            self.stream.read(&mut byte)
        };
        match result {
            Ok(1) => Ok(Some(byte[0])),
            // The printer closed the connection: no answer is coming.
            Ok(_) => Ok(None),
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut | ErrorKind::Interrupted) => {
                Ok(None)
            }
            Err(e) => Err(io_error(&self.name, &e)),
        }
    }
}

impl PrinterLink for TcpLink {
    fn send(&mut self, bytes: &[u8]) -> Result<(), DeviceError> {
        let mut conn = self.connect()?;
        conn.put(bytes)?;
        conn.finish();
        Ok(())
    }

    fn status(&mut self) -> Result<Option<PrinterStatus>, DeviceError> {
        let mut conn = self.connect()?;
        let status = query_status(&mut conn, ANSWER_TIMEOUT)?;
        conn.finish();
        Ok(Some(status))
    }
}

fn connect_error(name: &str, e: &std::io::Error) -> DeviceError {
    match e.kind() {
        ErrorKind::ConnectionRefused | ErrorKind::TimedOut | ErrorKind::WouldBlock => {
            DeviceError::Disconnected(format!("{name} (nothing answers there: is the printer on and on the network?)"))
        }
        _ => DeviceError::Io(format!("{name}: {e}")),
    }
}

fn io_error(name: &str, e: &std::io::Error) -> DeviceError {
    match e.kind() {
        ErrorKind::BrokenPipe | ErrorKind::ConnectionReset | ErrorKind::ConnectionAborted | ErrorKind::NotConnected => {
            DeviceError::Disconnected(name.to_string())
        }
        ErrorKind::TimedOut | ErrorKind::WouldBlock => {
            DeviceError::Io(format!("{name}: the printer stopped taking bytes (out of paper, cover open or offline?)"))
        }
        _ => DeviceError::Io(format!("{name}: {e}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn host_and_port_split() {
        assert_eq!(split_host_port("192.168.1.50:9100"), Some(("192.168.1.50".into(), 9100)));
        assert_eq!(split_host_port("[fe80::1]:9100"), Some(("fe80::1".into(), 9100)));
        for bad in ["192.168.1.50", "host:0", "host:99999", ":9100", "a b:9100", "host:"] {
            assert_eq!(split_host_port(bad), None, "{bad}");
        }
    }
}
