//! Which servers the client trusts over TLS, against a real till-server serving HTTPS on
//! 127.0.0.1 with a self-signed certificate: not the system's roots, but a CA file or a pinned
//! SHA-256 fingerprint of that certificate; a wrong pin is refused in the handshake.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use rand::SeedableRng;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::CertificateDer;
use std::path::PathBuf;
use till_client::{CertPin, Client, ClientConfig, Secret, SendError};
use till_core::SystemClock;

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../till-server/tests/fixtures").join(name)
}

struct TlsServer {
    bg: till_server::server::Background,
    terminal_id: String,
    secret: Secret,
    _dir: tempfile::TempDir,
}

fn server() -> TlsServer {
    let dir = tempfile::tempdir().unwrap();
    let tls = till_server::server::TlsFiles { cert: fixture("test-cert.pem"), key: fixture("test-key.pem") };
    let s = till_server::local::LocalServer::start(&dir.path().join("s.db"), Default::default(), Some(tls)).unwrap();
    TlsServer { bg: s.background, terminal_id: s.terminal_id, secret: Secret::from_hex(&s.secret).unwrap(), _dir: dir }
}

fn ping(config: ClientConfig) -> Result<u16, SendError> {
    let mut rng = rand::rngs::StdRng::from_entropy();
    let now = till_core::Clock::now_unix(&SystemClock);
    Client::new(config).unwrap().send("GET", "/v1/ping", b"", None, now, &mut rng).map(|a| a.status)
}

fn the_servers_pin() -> CertPin {
    let pem = std::fs::read(fixture("test-cert.pem")).unwrap();
    let der = CertificateDer::pem_slice_iter(&pem).next().unwrap().unwrap();
    CertPin::of_der(der.as_ref())
}

#[test]
fn a_pinned_certificate_is_trusted_and_no_other() {
    let s = server();
    let url = format!("https://127.0.0.1:{}", s.bg.addr.port());
    let config = || ClientConfig::new(&url, &s.terminal_id, s.secret.clone());

    // The system's roots do not vouch for a self-signed certificate.
    let e = ping(config()).unwrap_err();
    assert!(matches!(&e, SendError::Network(m) if m.to_lowercase().contains("certificate")), "{e:?}");

    // Pinned by its fingerprint, as openssl prints it: trusted.
    let pin = CertPin::parse(&format!("sha256 Fingerprint={}", the_servers_pin())).unwrap();
    let mut pinned = config();
    pinned.pinned_cert = Some(pin);
    assert_eq!(ping(pinned.clone()), Ok(200));
    // The pin stands for the certificate whatever name the URL uses.
    pinned.base_url = format!("https://localhost:{}", s.bg.addr.port());
    assert_eq!(ping(pinned), Ok(200));

    // Another fingerprint: refused in the handshake, nothing sent.
    let mut wrong = config();
    let mut other = *the_servers_pin().bytes();
    other[31] ^= 1;
    wrong.pinned_cert = Some(CertPin::new(other));
    let e = ping(wrong).unwrap_err();
    assert!(matches!(&e, SendError::Network(m) if m.contains("is not the pinned certificate")), "{e:?}");

    // A pin and a CA file together: both must hold.
    let mut both = config();
    both.pinned_cert = Some(the_servers_pin());
    both.trusted_roots_pem = Some(std::fs::read(fixture("test-cert.pem")).unwrap());
    assert_eq!(ping(both), Ok(200));

    // The CA file alone (the existing way) still works.
    let mut ca = config();
    ca.trusted_roots_pem = Some(std::fs::read(fixture("test-cert.pem")).unwrap());
    assert_eq!(ping(ca), Ok(200));
}
