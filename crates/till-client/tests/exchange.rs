//! The client against a real till-server on 127.0.0.1: a signed request is accepted, a wrong
//! secret is refused by the server, a closed port and a slow answer are told apart.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use rand::SeedableRng;
use std::sync::Arc;
use std::time::Duration;
use till_client::{Client, ClientConfig, ClientError, Secret, SendError};
use till_core::SystemClock;
use till_server::clock::OsEntropy;

struct Server {
    bg: till_server::server::Background,
    terminal_id: String,
    secret: Secret,
    _dir: tempfile::TempDir,
}

fn server() -> Server {
    let dir = tempfile::tempdir().unwrap();
    let repo = Arc::new(till_server::repo::sqlite::SqliteRepository::open(&dir.path().join("s.db")).unwrap());
    let t = till_server::admin::add_terminal(&*repo, "till 1", &SystemClock, &OsEntropy).unwrap();
    let state = till_server::state::AppState::new(
        repo,
        Arc::new(SystemClock),
        Arc::new(OsEntropy),
        till_server::config::Config::default(),
    );
    let bg = till_server::server::Background::start(state, None).unwrap();
    Server { bg, terminal_id: t.terminal_id, secret: Secret::from_hex(&t.secret).unwrap(), _dir: dir }
}

fn now_s() -> i64 {
    till_core::Clock::now_unix(&till_core::SystemClock)
}

#[test]
fn a_signed_ping_is_answered_and_a_wrong_secret_is_refused() {
    let s = server();
    let mut rng = rand::rngs::StdRng::seed_from_u64(1);
    let client = Client::new(ClientConfig::new(&s.bg.url(), &s.terminal_id, s.secret.clone())).unwrap();
    let answer = client.send("GET", "/v1/ping", b"", None, now_s(), &mut rng).unwrap();
    assert_eq!(answer.status, 200, "{}", answer.body);
    assert!(answer.body.contains(&s.terminal_id), "{}", answer.body);
    // A second request draws a fresh nonce from the RNG, so it is not refused as a replay.
    assert_eq!(client.send("GET", "/v1/ping", b"", None, now_s(), &mut rng).unwrap().status, 200);

    let wrong = Client::new(ClientConfig::new(&s.bg.url(), &s.terminal_id, Secret::new([0; 32]))).unwrap();
    let answer = wrong.send("GET", "/v1/ping", b"", None, now_s(), &mut rng).unwrap();
    assert_eq!(answer.status, 401, "{}", answer.body);
    assert!(answer.body.contains("bad_signature"), "{}", answer.body);
    // Signed for another time than now: outside the server's window.
    let answer = client.send("GET", "/v1/ping", b"", None, now_s() - 3600, &mut rng).unwrap();
    assert_eq!(answer.status, 401, "{}", answer.body);
}

#[test]
fn a_closed_port_is_a_network_error_and_a_silent_server_a_timeout() {
    let mut rng = rand::rngs::StdRng::seed_from_u64(2);
    // Bind and drop: nothing listens there any more.
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let closed =
        Client::new(ClientConfig::new(&format!("http://127.0.0.1:{port}"), "t", Secret::new([1; 32]))).unwrap();
    let e = closed.send("GET", "/v1/ping", b"", None, now_s(), &mut rng).unwrap_err();
    assert!(matches!(e, SendError::Network(_)), "{e:?}");

    // Accepts the connection, never answers.
    let silent = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", silent.local_addr().unwrap());
    let _hold = std::thread::spawn(move || {
        let conns: Vec<_> = silent.incoming().take(1).collect();
        std::thread::sleep(Duration::from_secs(3));
        drop(conns);
    });
    let mut config = ClientConfig::new(&url, "t", Secret::new([1; 32]));
    config.request_timeout = Duration::from_millis(300);
    let e = Client::new(config).unwrap().send("GET", "/v1/ping", b"", None, now_s(), &mut rng).unwrap_err();
    assert_eq!(e, SendError::Timeout(300));
}

#[test]
fn a_bad_configuration_is_refused_before_any_request() {
    let e = Client::new(ClientConfig::new("ftp://x", "t", Secret::new([1; 32]))).unwrap_err();
    assert_eq!(e, ClientError::Config("\"ftp://x\" is not an http:// or https:// URL".into()));
    let mut config = ClientConfig::new("https://x", "t", Secret::new([1; 32]));
    config.trusted_roots_pem = Some(b"not a certificate".to_vec());
    assert!(matches!(Client::new(config), Err(ClientError::Config(_))));
}
