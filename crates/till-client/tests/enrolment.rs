//! `till_client::enrolment::exchange` against a real till-server on 127.0.0.1: a code printed by
//! the server gives credentials that sign, once; the server's refusals come back typed; the
//! client's https rule and TLS trust hold for the unsigned exchange too.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use rand::SeedableRng;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::CertificateDer;
use std::path::PathBuf;
use till_client::enrolment::{exchange, EnrolError, Trust};
use till_client::{CertPin, Client, ClientConfig, ClientError, SendError};
use till_core::{Clock, SystemClock};
use till_server::clock::OsEntropy;
use till_server::local::LocalServer;

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../till-server/tests/fixtures").join(name)
}

fn new_code(s: &LocalServer, name: &str) -> String {
    till_server::enrolment::issue(&*s.repo, name, &SystemClock, &OsEntropy).unwrap().enrolment_code
}

#[test]
fn a_code_is_exchanged_once_for_credentials_that_sign() {
    let dir = tempfile::tempdir().unwrap();
    let s = LocalServer::start(&dir.path().join("s.db"), Default::default(), None).unwrap();
    let code = new_code(&s, "counter 2");

    let enrolled = exchange(&s.url, &Trust::default(), &code).unwrap();
    assert!(enrolled.terminal_id.starts_with("t_"), "{enrolled:?}");
    assert!(!format!("{enrolled:?}").contains(&hex::encode(enrolled.secret.bytes())), "the secret is never printed");

    // The credentials are the terminal's: a signed ping with them is answered and verified.
    let client = Client::new(ClientConfig::new(&s.url, &enrolled.terminal_id, enrolled.secret.clone())).unwrap();
    let mut rng = rand::rngs::StdRng::from_entropy();
    let pong = client.send("GET", "/v1/ping", b"", None, SystemClock.now_unix(), &mut rng).unwrap();
    assert_eq!(pong.status, 200, "{}", pong.body);
    assert!(pong.body.contains(&enrolled.terminal_id));

    // Once only, and the refusal says why.
    match exchange(&s.url, &Trust::default(), &code) {
        Err(e @ EnrolError::Refused { status: 410, .. }) => assert_eq!(e.code(), "enrolment_code_used"),
        other => panic!("{other:?}"),
    }
    match exchange(&s.url, &Trust::default(), "0000-0000-0000-0000") {
        Err(e @ EnrolError::Refused { status: 401, .. }) => assert_eq!(e.code(), "enrolment_code_invalid"),
        other => panic!("{other:?}"),
    }
}

#[test]
fn the_https_rule_and_the_trust_hold_for_the_exchange() {
    // Plain http to another computer: refused before anything is sent.
    let e = exchange("http://shop-server:8787", &Trust::default(), "0000-0000-0000-0000").unwrap_err();
    assert!(matches!(&e, EnrolError::Config(ClientError::Config(m)) if m.contains("use https://")), "{e:?}");
    assert_eq!(e.code(), "server_config");
    let e = exchange("https://shop-server:8787", &Trust::default(), "").unwrap_err();
    assert!(matches!(e, EnrolError::Config(_)), "{e:?}");

    let dir = tempfile::tempdir().unwrap();
    let tls = till_server::server::TlsFiles { cert: fixture("test-cert.pem"), key: fixture("test-key.pem") };
    let s = LocalServer::start(&dir.path().join("s.db"), Default::default(), Some(tls)).unwrap();
    let url = format!("https://localhost:{}", s.background.addr.port());
    let code = new_code(&s, "counter 3");

    // The system's roots do not vouch for the self-signed certificate: no code leaves.
    let e = exchange(&url, &Trust::default(), &code).unwrap_err();
    assert!(matches!(&e, EnrolError::Send(SendError::Network(m)) if m.to_lowercase().contains("certificate")), "{e:?}");
    assert_eq!(e.code(), "server_unreachable");
    // A wrong pin: refused in the handshake.
    let pem = std::fs::read(fixture("test-cert.pem")).unwrap();
    let der = CertificateDer::pem_slice_iter(&pem).next().unwrap().unwrap();
    let mut other = *CertPin::of_der(der.as_ref()).bytes();
    other[0] ^= 1;
    let wrong = Trust { trusted_roots_pem: None, pinned_cert: Some(CertPin::new(other)) };
    assert!(matches!(exchange(&url, &wrong, &code), Err(EnrolError::Send(SendError::Network(_)))));
    // The pinned certificate: the code is exchanged (it was not used by the refused attempts).
    let pinned = Trust { trusted_roots_pem: None, pinned_cert: Some(CertPin::of_der(der.as_ref())) };
    let enrolled = exchange(&url, &pinned, &code).unwrap();
    assert!(enrolled.terminal_id.starts_with("t_"));
    // The shop's CA file works as well (a new code: the first is used).
    let ca = Trust { trusted_roots_pem: Some(pem), pinned_cert: None };
    assert!(exchange(&url, &ca, &new_code(&s, "counter 4")).is_ok());
}
