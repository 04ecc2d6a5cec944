//! The client against a real till-server on 127.0.0.1: a signed request is accepted and its
//! signed answer believed, a wrong secret is refused by the server, a closed port and a slow
//! answer are told apart; and against made-up servers: an answer without a valid signature, a
//! redirect and an answer over 8 MiB are refused.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use rand::SeedableRng;
use std::time::Duration;
use till_client::{Client, ClientConfig, ClientError, Secret, SendError};

struct Server {
    bg: till_server::server::Background,
    terminal_id: String,
    secret: Secret,
    _dir: tempfile::TempDir,
}

fn server() -> Server {
    let dir = tempfile::tempdir().unwrap();
    let s = till_server::local::LocalServer::start(&dir.path().join("s.db"), Default::default(), None).unwrap();
    Server { bg: s.background, terminal_id: s.terminal_id, secret: Secret::from_hex(&s.secret).unwrap(), _dir: dir }
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
    assert_eq!(e, ClientError::Config("\"ftp://x\" is not an https:// URL (https://host[:port])".into()));
    // Plain http to another computer: refused before anything is sent.
    let e = Client::new(ClientConfig::new("http://shop-server:8787", "t", Secret::new([1; 32]))).unwrap_err();
    assert!(e.to_string().contains("use https://"), "{e}");
    // And a URL given per request is held to the same rule.
    let client = Client::new(ClientConfig::new("https://x", "t", Secret::new([1; 32]))).unwrap();
    let mut rng = rand::rngs::StdRng::seed_from_u64(3);
    let e = client.send_to("http://shop-server:8787", "GET", "/v1/ping", b"", None, now_s(), &mut rng).unwrap_err();
    assert!(matches!(&e, SendError::Network(m) if m.contains("use https://")), "{e:?}");
    let mut config = ClientConfig::new("https://x", "t", Secret::new([1; 32]));
    config.trusted_roots_pem = Some(b"not a certificate".to_vec());
    assert!(matches!(Client::new(config), Err(ClientError::Config(_))));
}

/// A made-up server on 127.0.0.1 that reads one request and writes `answer` back.
fn fake(answer: Vec<u8>) -> String {
    use std::io::{Read, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        let (mut c, _) = listener.accept().unwrap();
        let mut buf = [0u8; 8192];
        let _ = c.read(&mut buf);
        let _ = c.write_all(&answer);
    });
    url
}

fn http(status: &str, headers: &str, body: &[u8]) -> Vec<u8> {
    let mut a = format!("HTTP/1.1 {status}\r\ncontent-length: {}\r\n{headers}\r\n", body.len()).into_bytes();
    a.extend_from_slice(body);
    a
}

fn send(url: &str) -> Result<till_client::HttpAnswer, SendError> {
    let mut rng = rand::rngs::StdRng::seed_from_u64(4);
    let client = Client::new(ClientConfig::new(url, "t_1", Secret::new([5; 32]))).unwrap();
    client.send("POST", "/v1/payments/authorize", b"{}", Some("p1"), now_s(), &mut rng)
}

#[test]
fn answers_without_a_valid_signature_are_not_believed() {
    let approved = br#"{"status":"approved","auth_code":"123456"}"#;
    let e = send(&fake(http("200 OK", "", approved))).unwrap_err();
    assert!(matches!(&e, SendError::UnverifiedAnswer(m) if m.contains("carries no")), "{e:?}");
    let forged = "x-till-response-signature: U2hQz+nonlzSAJV7HOoHnYYtc+b6w2GLglWgnSU21B0=\r\n";
    let e = send(&fake(http("200 OK", forged, approved))).unwrap_err();
    assert!(matches!(&e, SendError::UnverifiedAnswer(m) if m.contains("does not match")), "{e:?}");
    // An unsigned error is no answer either (it is retried like no answer).
    let e = send(&fake(http("500 Internal Server Error", "", b"{}"))).unwrap_err();
    assert!(matches!(e, SendError::UnverifiedAnswer(_)), "{e:?}");
    // A redirect is not followed (it could take the request elsewhere in clear) and is unsigned.
    let e = send(&fake(http("307 Temporary Redirect", "location: http://127.0.0.1:9/x\r\n", b""))).unwrap_err();
    assert!(matches!(e, SendError::UnverifiedAnswer(_)), "{e:?}");
    // A 401 is never signed (the server could not tell whose secret to use): it passes, and
    // can only refuse.
    let a = send(&fake(http("401 Unauthorized", "", br#"{"code":"bad_signature","message":"m"}"#))).unwrap();
    assert_eq!(a.status, 401);
}

#[test]
fn answers_over_8_mib_are_refused() {
    let max = till_client::answer::MAX_ANSWER_BYTES;
    // Announced: refused without reading it.
    let mut head = format!("HTTP/1.1 200 OK\r\ncontent-length: {}\r\n\r\n", max + 1).into_bytes();
    head.extend_from_slice(b"{}");
    assert_eq!(send(&fake(head)).unwrap_err(), SendError::AnswerTooLarge(max));
    // Not announced (chunked): read up to the cap, then refused.
    let mut chunked = b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n".to_vec();
    let piece = vec![b' '; 1 << 20];
    for _ in 0..9 {
        chunked.extend_from_slice(format!("{:x}\r\n", piece.len()).as_bytes());
        chunked.extend_from_slice(&piece);
        chunked.extend_from_slice(b"\r\n");
    }
    chunked.extend_from_slice(b"0\r\n\r\n");
    assert_eq!(send(&fake(chunked)).unwrap_err(), SendError::AnswerTooLarge(max));
}
