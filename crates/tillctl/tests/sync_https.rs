//! `tillctl sync run` holds the server URL to the till's rule: plain http to another computer
//! is refused before anything is sent, with a message that says to use https://; a malformed
//! `--pin-sha256` is refused too.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a test fails by panicking

mod support;
use support::tillctl;

fn sync_run(data: &std::path::Path, secret: &std::path::Path, extra: &[&str]) -> std::process::Output {
    tillctl()
        .args(["sync", "run", "--once", "--data-dir"])
        .arg(data)
        .args(["--terminal-id", "t_1", "--secret-file"])
        .arg(secret)
        .args(extra)
        .output()
        .unwrap()
}

#[test]
fn plain_http_to_another_computer_and_a_bad_pin_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("till");
    std::fs::create_dir_all(&data).unwrap();
    let secret = dir.path().join("secret");
    std::fs::write(&secret, "ab".repeat(32)).unwrap();

    let out = sync_run(&data, &secret, &["--url", "http://shop-server:8787"]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("plain http to another computer: use https://"), "{err}");

    let out = sync_run(&data, &secret, &["--url", "https://shop-server:8787", "--pin-sha256", "12:34"]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("certificate fingerprint is a SHA-256"), "{err}");
}
