//! The `till-server` binary itself: `terminals add`, then `serve` over plain HTTP and over TLS,
//! answering a signed ping.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use base64::Engine;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;

const BIN: &str = env!("CARGO_BIN_EXE_till-server");

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures").join(name)
}

/// Kills the server (our own child, by its handle) when the test ends, pass or fail.
struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn add_terminal(db: &Path) -> (String, Vec<u8>) {
    let out =
        Command::new(BIN).args(["terminals", "add", "--db", db.to_str().unwrap(), "--name", "t"]).output().unwrap();
    assert!(out.status.success());
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    (v["terminal_id"].as_str().unwrap().to_string(), hex::decode(v["secret"].as_str().unwrap()).unwrap())
}

/// Starts `serve` on port 0 and reads the address it prints.
fn serve(db: &Path, extra: &[&str]) -> (Server, String) {
    let mut child = Command::new(BIN)
        .args(["serve", "--db", db.to_str().unwrap(), "--listen", "127.0.0.1:0"])
        .args(extra)
        .stderr(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stderr.take().unwrap()).read_line(&mut line).unwrap();
    let url = line.trim().rsplit(' ').next().unwrap().to_string();
    assert!(line.contains("SANDBOX"), "{line}");
    (Server(child), url)
}

fn ping(agent: &ureq::Agent, url: &str, terminal: &str, secret: &[u8]) -> serde_json::Value {
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() as i64;
    let headers = till_server::signing::signed_headers(
        terminal,
        secret,
        "GET",
        "/v1/ping",
        now,
        "0123456789abcdef0123456789abcdef",
        b"",
    );
    let mut req = agent.get(&format!("{url}/v1/ping"));
    for (k, v) in &headers {
        req = req.set(k, v);
    }
    req.call().unwrap().into_json().unwrap()
}

#[test]
fn serve_answers_a_signed_ping_over_http() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("s.db");
    let (terminal, secret) = add_terminal(&db);
    let config = dir.path().join("server.json");
    std::fs::write(&config, r#"{"server_id": "shop-7", "refund_reputation_threshold": 80}"#).unwrap();
    let (_server, url) = serve(&db, &["--config", config.to_str().unwrap()]);
    assert!(url.starts_with("http://127.0.0.1:"), "{url}");
    let pong = ping(&ureq::agent(), &url, &terminal, &secret);
    assert_eq!((pong["terminal_id"].as_str(), pong["server_id"].as_str()), (Some(terminal.as_str()), Some("shop-7")));
}

fn pem_der(path: &Path) -> Vec<u8> {
    let text = std::fs::read_to_string(path).unwrap();
    let b64: String = text.lines().filter(|l| !l.starts_with("-----")).collect();
    base64::engine::general_purpose::STANDARD.decode(b64).unwrap()
}

#[test]
fn serve_answers_a_signed_ping_over_tls() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("s.db");
    let (terminal, secret) = add_terminal(&db);
    let cert = fixture("test-cert.pem");
    let key = fixture("test-key.pem");
    let (_server, url) = serve(&db, &["--tls-cert", cert.to_str().unwrap(), "--tls-key", key.to_str().unwrap()]);
    assert!(url.starts_with("https://127.0.0.1:"), "{url}");
    // Trust exactly the test certificate (self-signed, for localhost and 127.0.0.1).
    let mut roots = rustls::RootCertStore::empty();
    roots.add(rustls::pki_types::CertificateDer::from(pem_der(&cert))).unwrap();
    let config = rustls::ClientConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    let agent = ureq::AgentBuilder::new().tls_config(Arc::new(config)).build();
    let pong = ping(&agent, &url, &terminal, &secret);
    assert_eq!(pong["terminal_id"], terminal.as_str());
    // Plain HTTP to the TLS port gets no answer.
    assert!(ureq::get(&url.replace("https://", "http://")).call().is_err());
}

#[test]
fn serve_refuses_a_bad_configuration_file() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("server.json");
    std::fs::write(&config, r#"{"refund_threshold": 80}"#).unwrap();
    let out = Command::new(BIN)
        .args(["serve", "--db", dir.path().join("s.db").to_str().unwrap(), "--listen", "127.0.0.1:0"])
        .args(["--config", config.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("unknown field"), "{}", String::from_utf8_lossy(&out.stderr));
}

#[test]
fn serve_refuses_half_a_tls_configuration() {
    let dir = tempfile::tempdir().unwrap();
    let out = Command::new(BIN)
        .args([
            "serve",
            "--db",
            dir.path().join("s.db").to_str().unwrap(),
            "--listen",
            "127.0.0.1:0",
            "--tls-cert",
            "x",
        ])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("go together"));
}
