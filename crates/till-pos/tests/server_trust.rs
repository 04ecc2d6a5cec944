//! The till's server settings and whom they trust, through the application layer: plain http to
//! another computer is refused, a pinned certificate fingerprint and a CA are kept and used by
//! every client of the till (Test connection, card authorisation, the sync worker), a wrong pin
//! fails the TLS handshake, and an answer not signed by the server is named as such. Against a
//! real till-server serving HTTPS on 127.0.0.1 with a self-signed certificate.
#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)]

use rand::rngs::StdRng;
use rand::SeedableRng;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::CertificateDer;
use std::path::PathBuf;
use std::sync::Arc;
use till_pos::ipc::sync::{ConnectionOutcome, SyncSettingsInput};
use till_pos::{ErrorCode, Pos, PosConfig};

const INSTALLER: i64 = 3;
const SECRET: &str = "0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f0";

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../till-server/tests/fixtures").join(name)
}

/// The SHA-256 of the test certificate's DER, as openssl prints it.
fn fixture_pin() -> String {
    let pem = std::fs::read(fixture("test-cert.pem")).unwrap();
    let der = CertificateDer::pem_slice_iter(&pem).next().unwrap().unwrap();
    till_client::CertPin::of_der(der.as_ref()).to_string()
}

struct Server {
    bg: till_server::server::Background,
    terminal_id: String,
    secret: String,
    _dir: tempfile::TempDir,
}

fn tls_server() -> Server {
    let dir = tempfile::tempdir().unwrap();
    let tls = till_server::server::TlsFiles { cert: fixture("test-cert.pem"), key: fixture("test-key.pem") };
    let s =
        till_server::local::LocalServer::start(&dir.path().join("server.db"), Default::default(), Some(tls)).unwrap();
    Server { bg: s.background, terminal_id: s.terminal_id, secret: s.secret, _dir: dir }
}

fn till() -> (tempfile::TempDir, Pos) {
    let dir = tempfile::tempdir().unwrap();
    let pos = Pos::open(PosConfig {
        card_reader: "sim://card-reader?delay_ms=1".into(),
        clock: Arc::new(till_pos::SystemClock),
        rng: Box::new(StdRng::seed_from_u64(21)),
        ..PosConfig::demo(dir.path().join("till.db"))
    })
    .unwrap();
    (dir, pos)
}

fn input(url: &str, terminal: &str, secret: &str) -> SyncSettingsInput {
    SyncSettingsInput {
        sales_url: url.into(),
        refunds_url: String::new(),
        points_url: String::new(),
        payments_url: String::new(),
        terminal_id: terminal.into(),
        secret: secret.into(),
        cert_sha256: String::new(),
        ca_pem: String::new(),
    }
}

#[test]
fn plain_http_to_another_computer_is_refused_and_the_pin_is_kept() {
    let (_d, p) = till();
    let i = p.login(INSTALLER, "3333").unwrap().token;
    let e = p.sync_settings_set(&i, input("http://shop-server:8787", "t-1", SECRET)).unwrap_err();
    assert_eq!(e.code(), ErrorCode::InvalidInput);
    assert!(e.to_string().contains("use https://"), "{e}");
    // Every service's address is held to it.
    let mut one = input("https://shop-server:8787", "t-1", SECRET);
    one.payments_url = "http://payments.shop:8787".into();
    assert_eq!(p.sync_settings_set(&i, one).unwrap_err().code(), ErrorCode::InvalidInput);
    assert!(!p.sync_settings_get(&i).unwrap().configured, "nothing was saved");
    // This computer may stay http (the demo server).
    assert!(p.sync_settings_set(&i, input("http://127.0.0.1:8787", "t-1", SECRET)).is_ok());

    // A pin as openssl prints it; kept, shown, and handed to every client.
    let pin = fixture_pin();
    let mut pinned = input("https://shop-server:8787", "t-1", "");
    pinned.cert_sha256 = format!("sha256 Fingerprint={}", pin.to_lowercase());
    let view = p.sync_settings_set(&i, pinned.clone()).unwrap();
    assert_eq!(view.cert_sha256.as_deref(), Some(pin.as_str()));
    assert_eq!(view.ca_pem, None);
    let creds = p.sync_credentials().unwrap().unwrap();
    let want = Some(till_client::CertPin::parse(&pin).unwrap());
    assert_eq!(creds.pinned_cert, want);
    assert_eq!(creds.worker_config().pinned_cert, want);
    assert_eq!(creds.config_for(till_pos::ipc::sync::Service::Payments).pinned_cert, want);
    // A pin with an http address, a malformed pin or CA: refused, nothing changes.
    let mut bad = pinned.clone();
    bad.sales_url = "http://127.0.0.1:8787".into();
    let e = p.sync_settings_set(&i, bad).unwrap_err();
    assert!(e.to_string().contains("needs https://"), "{e}");
    let mut bad = pinned.clone();
    bad.cert_sha256 = "12:34".into();
    assert_eq!(p.sync_settings_set(&i, bad).unwrap_err().code(), ErrorCode::InvalidInput);
    let mut bad = pinned.clone();
    bad.ca_pem = "not a certificate".into();
    assert_eq!(p.sync_settings_set(&i, bad).unwrap_err().code(), ErrorCode::InvalidInput);
    assert_eq!(p.sync_settings_get(&i).unwrap().cert_sha256.as_deref(), Some(pin.as_str()));
    // Cleared by saving without one; a CA instead.
    let mut ca = input("https://shop-server:8787", "t-1", "");
    ca.ca_pem = std::fs::read_to_string(fixture("test-cert.pem")).unwrap();
    let view = p.sync_settings_set(&i, ca).unwrap();
    assert_eq!(view.cert_sha256, None);
    assert!(view.ca_pem.unwrap().contains("BEGIN CERTIFICATE"));
    assert!(p.sync_credentials().unwrap().unwrap().worker_config().trusted_roots_pem.is_some());
}

#[test]
fn test_connection_checks_the_pinned_certificate_and_the_answers_signature() {
    let srv = tls_server();
    let (_d, p) = till();
    let i = p.login(INSTALLER, "3333").unwrap().token;
    let url = format!("https://127.0.0.1:{}", srv.bg.addr.port());
    let test = |input: SyncSettingsInput| {
        p.sync_settings_set(&i, input).unwrap();
        let t = p.sync_test_connection(&i).unwrap();
        (t.checks[0].outcome, t.checks[0].message.clone())
    };

    // The system's roots do not vouch for the shop's self-signed certificate.
    let (o, m) = test(input(&url, &srv.terminal_id, &srv.secret));
    assert_eq!(o, ConnectionOutcome::TlsFailed, "{m}");
    // Pinned: connected, and the signed answer verified.
    let mut pinned = input(&url, &srv.terminal_id, "");
    pinned.cert_sha256 = fixture_pin();
    let (o, m) = test(pinned.clone());
    assert_eq!(o, ConnectionOutcome::Ok, "{m}");
    // Another certificate's fingerprint: the handshake fails and says why.
    let mut wrong = pinned.clone();
    wrong.cert_sha256 = "00".repeat(32);
    let (o, m) = test(wrong);
    assert_eq!(o, ConnectionOutcome::TlsFailed, "{m}");
    assert!(m.contains("not the pinned certificate"), "{m}");
    // The shop's CA instead of a pin.
    let mut ca = input(&url, &srv.terminal_id, "");
    ca.ca_pem = std::fs::read_to_string(fixture("test-cert.pem")).unwrap();
    let (o, m) = test(ca);
    assert_eq!(o, ConnectionOutcome::Ok, "{m}");

    // Something on this computer that answers like a till-server but cannot sign: not believed.
    let fake = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let fake_url = format!("http://{}", fake.local_addr().unwrap());
    std::thread::spawn(move || {
        use std::io::{Read, Write};
        for c in fake.incoming().take(1) {
            let mut c = c.unwrap();
            let mut buf = [0u8; 8192];
            let _ = c.read(&mut buf);
            let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs();
            let body = format!(r#"{{"server_id":"fake","terminal_id":"t","server_time":{now}}}"#);
            let _ = write!(c, "HTTP/1.1 200 OK\r\ncontent-length: {}\r\n\r\n{body}", body.len());
        }
    });
    let (o, m) = test(input(&fake_url, &srv.terminal_id, ""));
    assert_eq!(o, ConnectionOutcome::UnverifiedAnswer, "{m}");
    assert!(m.contains("not as this terminal's till-server"), "{m}");
}
