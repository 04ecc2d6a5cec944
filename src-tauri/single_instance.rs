//! One Till per data directory: a second start brings the running window to the front and exits
//! before it opens the database, starts a sync worker or claims a card reader.
//!
//! The running till listens on a Unix socket in its data directory (`till.sock`, in the 0700
//! folder, so only its owner can reach it). A new start first connects to it: if someone answers,
//! it asks for the focus and stops. Otherwise the socket is stale (a till that crashed) or absent,
//! and the new start takes it over.
//!
//! Why not tauri-plugin-single-instance: on Linux it needs a D-Bus session bus (absent in a
//! bare kiosk session and in CI, where the plugin's setup unwraps) and it makes one instance per
//! application id, where the data directory is what two instances must not share (tests run
//! several tills side by side, each with its own directory).

use std::io::{BufRead, BufReader, Write};
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// The socket's name in the data directory.
pub const SOCKET_FILE: &str = "till.sock";
const FOCUS: &str = "focus";
const DONE: &str = "ok";

/// What this start is.
pub enum Instance {
    /// The only till on this data directory: it serves focus requests with [`Primary::serve`].
    Primary(Primary),
    /// Another till runs on this data directory and was asked to show itself.
    Secondary,
}

/// The running till's end of the socket.
pub struct Primary {
    listener: UnixListener,
    path: PathBuf,
}

/// Finds out whether a till already runs on `dir` (asking it for the focus if so). An error means
/// the socket could not be made (a path too long for a socket, a read-only folder): the caller
/// runs without the check rather than not at all.
pub fn acquire(dir: &Path) -> std::io::Result<Instance> {
    let path = dir.join(SOCKET_FILE);
    for _ in 0..2 {
        if ask_for_focus(&path) {
            return Ok(Instance::Secondary);
        }
        // Nobody answered: a socket left by a till that crashed, or none.
        let _ = std::fs::remove_file(&path);
        match UnixListener::bind(&path) {
            Ok(listener) => return Ok(Instance::Primary(Primary { listener, path })),
            // Another start bound it between our connect and our bind: ask it instead.
            Err(e) if e.kind() == std::io::ErrorKind::AddrInUse => continue,
            Err(e) => return Err(e),
        }
    }
    Ok(Instance::Secondary)
}

/// Connects to a running till and asks for the focus; true when it answered.
fn ask_for_focus(path: &Path) -> bool {
    let Ok(mut stream) = UnixStream::connect(path) else { return false };
    let _ = stream.set_read_timeout(Some(Duration::from_secs(5)));
    let _ = stream.set_write_timeout(Some(Duration::from_secs(5)));
    if writeln!(stream, "{FOCUS}").is_err() {
        return false;
    }
    let mut answer = String::new();
    BufReader::new(stream).read_line(&mut answer).is_ok() && answer.trim() == DONE
}

impl Primary {
    /// The socket's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Answers focus requests on a thread of its own for as long as the process runs, calling
    /// `focus` for each.
    pub fn serve(self, focus: impl Fn() + Send + 'static) -> std::io::Result<()> {
        std::thread::Builder::new().name("single-instance".into()).spawn(move || {
            for stream in self.listener.incoming() {
                let Ok(stream) = stream else { continue };
                let _ = stream.set_read_timeout(Some(Duration::from_secs(5)));
                let mut line = String::new();
                let mut reader = BufReader::new(&stream);
                if reader.read_line(&mut line).is_ok() && line.trim() == FOCUS {
                    tracing::info!("Till was started again: showing this window");
                    focus();
                    let _ = writeln!(&stream, "{DONE}");
                }
            }
        })?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;

    #[test]
    fn a_second_start_asks_the_first_for_the_focus() {
        let dir = tempfile::tempdir().unwrap();
        let Instance::Primary(primary) = acquire(dir.path()).unwrap() else { panic!("the first start is the primary") };
        let focused = Arc::new(AtomicUsize::new(0));
        let seen = focused.clone();
        primary
            .serve(move || {
                seen.fetch_add(1, Ordering::SeqCst);
            })
            .unwrap();

        assert!(matches!(acquire(dir.path()).unwrap(), Instance::Secondary));
        assert!(matches!(acquire(dir.path()).unwrap(), Instance::Secondary));
        assert_eq!(focused.load(Ordering::SeqCst), 2, "each second start focused the first window");
    }

    #[test]
    fn a_socket_left_by_a_crashed_till_is_taken_over() {
        let dir = tempfile::tempdir().unwrap();
        // A bound socket whose listener is gone: what a killed till leaves behind.
        drop(UnixListener::bind(dir.path().join(SOCKET_FILE)).unwrap());
        assert!(dir.path().join(SOCKET_FILE).exists());
        assert!(matches!(acquire(dir.path()).unwrap(), Instance::Primary(_)));
    }

    #[test]
    fn tills_on_different_data_directories_do_not_see_each_other() {
        let (a, b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
        let Instance::Primary(first) = acquire(a.path()).unwrap() else { panic!() };
        first.serve(|| {}).unwrap();
        assert!(matches!(acquire(b.path()).unwrap(), Instance::Primary(_)));
    }
}
