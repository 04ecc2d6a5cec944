//! till-server on PostgreSQL, end to end: the real server (in this process, and the binary with
//! `--database`) over HTTP on 127.0.0.1, on a fresh database of the cluster named by
//! `TILL_TEST_POSTGRES` (`make test` starts a throw-away one). Without it these tests fail with a
//! message saying how to run them.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use serde_json::json;
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use support::*;
use till_server::repo::postgres::scratch::ScratchDatabase;

fn refund(id: &str, code: &str, minor: i64, customer: &str) -> serde_json::Value {
    json!({"refund_id": id, "line_code": code, "amount": {"minor": minor, "currency": "CNY"}, "tender": "original",
           "reason": "screen cracked on arrival", "evidence_sha256": "ab".repeat(32), "customer_id": customer})
}

#[test]
fn a_sale_and_its_refunds_on_postgres() {
    let s = TestServer::start_postgres();
    let code = line_code(1);
    let sale = s.authorised_sale("o-1", &code, Some("352099001761481"));
    assert_eq!(s.post("/v1/sales", &sale, "sale").status, 201);
    let again = s.post("/v1/sales", &sale, "sale");
    assert!(again.replayed && again.status == 201, "{}", again.text);
    till_server::admin::set_reputation(&*s.repo, "cust-1", 90).unwrap();
    let a = s.post("/v1/refunds", &refund("r-1", &code, 50_000, "cust-1"), "r1");
    assert_eq!((a.status, a.body["status"].as_str()), (201, Some("refunded")), "{}", a.text);
    assert_eq!(a.body["refund_to"], "411111******1111");
    till_server::admin::set_reputation(&*s.repo, "cust-1", 10).unwrap();
    let a = s.post("/v1/refunds", &refund("r-2", &code, 100_000, "cust-1"), "r2");
    assert_eq!((a.status, a.body["status"].as_str()), (201, Some("pending_seller_confirmation")));
    let a = s.post("/v1/refunds", &refund("r-3", &code, 49_901, "cust-1"), "r3");
    assert_eq!((a.status, a.body["code"].as_str()), (422, Some("refund_exceeds_paid")));
    let r = till_server::routes::refunds::decide(&*s.repo, "r-2", false, "seller-a", NOW).unwrap();
    assert_eq!(r.status, "rejected");
    let line = s.get(&format!("/v1/line-codes/{code}"));
    assert_eq!(line.body["refundable"]["minor"], 149_900, "{}", line.text);
    assert_eq!(s.get(&format!("/v1/sold-devices/{}", blind("352099001761481"))).body["refunded"], false);
}

#[test]
fn a_replayed_nonce_is_refused_on_postgres() {
    let s = TestServer::start_postgres();
    let nonce = s.next_nonce();
    let h = s.sign_headers("GET", "/v1/ping", NOW, &nonce, b"");
    assert_eq!(s.raw("GET", "/v1/ping", b"", None, &h).status, 200);
    let replay = s.raw("GET", "/v1/ping", b"", None, &h);
    assert_eq!((replay.status, replay.body["code"].as_str()), (401, Some("replayed_nonce")), "{}", replay.text);
}

const BIN: &str = env!("CARGO_BIN_EXE_till-server");

/// Kills the server (our own child, by its handle) when the test ends, pass or fail.
struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn serve(url: &str, key: &Path) -> (Server, String) {
    let mut child = Command::new(BIN)
        .args(["serve", "--database", url, "--key-file", key.to_str().unwrap(), "--listen", "127.0.0.1:0"])
        .stderr(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stderr.take().unwrap()).read_line(&mut line).unwrap();
    assert!(line.contains("SANDBOX"), "{line}");
    (Server(child), line.trim().rsplit(' ').next().unwrap().to_string())
}

fn now() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() as i64
}

fn send(url: &str, terminal: &str, secret: &[u8], nonce: &str, method: &str, path: &str, body: &[u8]) -> (u16, String) {
    let headers = till_server::signing::signed_headers(terminal, secret, method, path, now(), nonce, body);
    let mut req = ureq::request(method, &format!("{url}{path}")).set("idempotency-key", nonce);
    for (k, v) in &headers {
        req = req.set(k, v);
    }
    let resp = if method == "GET" { req.call() } else { req.send_bytes(body) };
    match resp {
        Ok(r) => (r.status(), r.into_string().unwrap()),
        Err(ureq::Error::Status(code, r)) => (code, r.into_string().unwrap()),
        Err(e) => panic!("transport error: {e}"),
    }
}

/// Two `till-server serve --database` processes on one database: a terminal enrolled through
/// one is known to the other, a sale recorded by one is refunded through the other, and a
/// request replayed to the other server is refused (the nonce is in the database, not in
/// either process).
#[test]
fn two_servers_share_one_postgres_database() {
    let scratch = ScratchDatabase::from_env().unwrap_or_else(|e| panic!("{e}"));
    let dir = tempfile::tempdir().unwrap();
    let key = dir.path().join("server.key");
    let admin = |args: &[&str]| {
        let out = Command::new(BIN)
            .args(args)
            .args(["--database", &scratch.url, "--key-file", key.to_str().unwrap()])
            .output()
            .unwrap();
        assert!(out.status.success(), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
        serde_json::from_slice::<serde_json::Value>(&out.stdout).unwrap_or(serde_json::Value::Null)
    };
    let issued = admin(&["terminals", "add", "--name", "counter 1", "--enrolment-code"]);
    let (_a, url_a) = serve(&scratch.url, &key);
    let (_b, url_b) = serve(&scratch.url, &key);

    // Enrol through server A: the one-time code gives the secret once.
    let body = json!({"enrolment_code": issued["enrolment_code"]}).to_string();
    let enrolled: serde_json::Value =
        ureq::post(&format!("{url_a}/v1/terminals/enrol")).send_string(&body).unwrap().into_json().unwrap();
    let terminal = enrolled["terminal_id"].as_str().unwrap().to_string();
    let secret = hex::decode(enrolled["secret"].as_str().unwrap()).unwrap();
    let again = ureq::post(&format!("{url_b}/v1/terminals/enrol")).send_string(&body);
    assert!(matches!(again, Err(ureq::Error::Status(410, _))), "the code was exchanged twice");

    // A cash sale through A.
    let code = line_code(3);
    let sale = json!({
        "order_id": "o-1", "store": "main", "created_at": now() - 60, "currency": "CNY", "customer_id": "cust-1",
        "lines": [{"line_code": code, "sku": "PH-1", "name": "Phone", "quantity": 1,
                   "unit_price": {"minor": 1000, "currency": "CNY"}, "total": {"minor": 1000, "currency": "CNY"},
                   "seller": "seller-a", "devices": []}],
        "payments": [{"tender": "cash", "amount": {"minor": 1000, "currency": "CNY"}}]
    })
    .to_string();
    let nonce = "0123456789abcdef0123456789abcdef";
    let (status, text) = send(&url_a, &terminal, &secret, nonce, "POST", "/v1/sales", sale.as_bytes());
    assert_eq!(status, 201, "{text}");
    // The very same signed request sent to B: refused, B never saw it but the database did.
    let (status, text) = send(&url_b, &terminal, &secret, nonce, "POST", "/v1/sales", sale.as_bytes());
    assert_eq!(status, 401, "{text}");
    assert!(text.contains("replayed_nonce"), "{text}");

    // B knows A's sale and refunds it; the seller confirms on the command line.
    admin(&["customers", "set-reputation", "--id", "cust-1", "--score", "0"]);
    let refund = refund("r-1", &code, 400, "cust-1").to_string();
    let n2 = "1123456789abcdef0123456789abcdef";
    let (status, text) = send(&url_b, &terminal, &secret, n2, "POST", "/v1/refunds", refund.as_bytes());
    assert_eq!(status, 201, "{text}");
    assert!(text.contains("pending_seller_confirmation"), "{text}");
    let confirmed = admin(&["refunds", "confirm", "--id", "r-1"]);
    assert_eq!(confirmed["status"], "refunded");
    let n3 = "2123456789abcdef0123456789abcdef";
    let (status, text) = send(&url_a, &terminal, &secret, n3, "GET", &format!("/v1/line-codes/{code}"), b"");
    assert_eq!(status, 200, "{text}");
    let line: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(line["refundable"]["minor"], 600, "{text}");
}

#[test]
fn an_unreachable_postgres_is_a_clear_error_and_a_failed_command() {
    let dir = tempfile::tempdir().unwrap();
    let key = dir.path().join("server.key");
    // Port 1 on this machine: nothing listens there.
    let out = Command::new(BIN)
        .args(["terminals", "list", "--database", "postgres://till:s3cret@127.0.0.1:1/till"])
        .args(["--key-file", key.to_str().unwrap()])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("cannot connect to PostgreSQL at till@127.0.0.1:1/till"), "{stderr}");
    assert!(!stderr.contains("s3cret"), "the password was printed: {stderr}");
    // Without a key file: refused before connecting, naming the flag.
    let out = Command::new(BIN)
        .args(["serve", "--database", "postgres://till@127.0.0.1:1/till", "--listen", "127.0.0.1:0"])
        .env_remove("TILL_SERVER_KEY_FILE")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--key-file"));
    // --db and --database together: clap refuses (exit 2).
    let out = Command::new(BIN)
        .args(["terminals", "list", "--db", "x.db", "--database", "postgres://till@127.0.0.1:1/till"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
}
