//! Starting tauri-driver (and through it WebKitWebDriver and the app) for a test, in a process
//! group of its own that is killed as a whole when the test ends, pass or fail.

use std::net::TcpListener;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// tauri-driver and everything it started.
pub struct Driver(Child);

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = Command::new("kill").args(["-s", "KILL", "--", &format!("-{}", self.0.id())]).status();
        let _ = self.0.wait();
    }
}

/// A port nobody listens on now.
fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// `TAURI_DRIVER`, else cargo's bin folder, else the PATH.
fn tauri_driver() -> String {
    if let Ok(p) = std::env::var("TAURI_DRIVER") {
        return p;
    }
    let home = std::env::var("CARGO_HOME")
        .map(PathBuf::from)
        .unwrap_or_else(|_| PathBuf::from(std::env::var("HOME").unwrap_or_default()).join(".cargo"));
    let candidate = home.join("bin/tauri-driver");
    if candidate.exists() {
        candidate.display().to_string()
    } else {
        "tauri-driver".into()
    }
}

/// Starts tauri-driver for a till in `data_dir`, the app's environment given `env` and without
/// the variables in `remove`; answers the driver and its base URL once it is up.
pub fn start(data_dir: &Path, env: &[(&str, String)], remove: &[&str]) -> (Driver, String) {
    assert!(
        std::env::var_os("DISPLAY").is_some(),
        "no X display: run the end-to-end tests under Xvfb (make test does)"
    );
    let (port, native) = (free_port(), free_port());
    let mut command = Command::new(tauri_driver());
    for name in remove {
        command.env_remove(name);
    }
    let child = command
        .args(["--port", &port.to_string(), "--native-port", &native.to_string()])
        .env("TILL_DATA_DIR", data_dir)
        .env("WEBKIT_DISABLE_COMPOSITING_MODE", "1")
        .envs(env.iter().map(|(k, v)| (*k, v.as_str())))
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(data_dir.join("driver.log")).unwrap())
        .process_group(0)
        .spawn()
        .unwrap_or_else(|e| {
            panic!("cannot start tauri-driver ({e}); `make test` installs it with cargo install tauri-driver")
        });
    let base = format!("http://127.0.0.1:{port}");
    let start = Instant::now();
    while ureq::get(&format!("{base}/status")).call().is_err() {
        assert!(start.elapsed() < Duration::from_secs(20), "tauri-driver did not come up");
        std::thread::sleep(Duration::from_millis(100));
    }
    (Driver(child), base)
}
