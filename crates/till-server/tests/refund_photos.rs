//! `POST /v1/refunds/photos` against a real server over HTTP (on SQLite and PostgreSQL): a photo
//! is stored once by its SHA-256; a mismatching hash, a type the bytes are not (or one not
//! taken) and an oversize photo are refused with their codes and change nothing; and the
//! bytes never reach the server's log.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;
use base64::Engine;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use std::io::{BufRead, BufReader, Read};
use std::process::{Command, Stdio};
use support::*;

const B64: base64::engine::GeneralPurpose = base64::engine::general_purpose::STANDARD;

/// A PNG-signed photo with `fill` after its signature.
fn png(fill: &[u8]) -> Vec<u8> {
    let mut b = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR".to_vec();
    b.extend_from_slice(fill);
    b
}

fn sha(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

fn upload(bytes: &[u8], content_type: &str) -> Value {
    json!({"sha256": sha(bytes), "content_type": content_type, "photo_base64": B64.encode(bytes)})
}

/// How many of this file's photos the server's database holds.
fn stored(s: &TestServer) -> i64 {
    let mut n = 0;
    for b in [png(b"one"), png(b"two"), jpeg(), webp()] {
        if s.repo.read().unwrap().refund_photo_exists(&sha(&b)).unwrap() {
            n += 1;
        }
    }
    n
}

fn jpeg() -> Vec<u8> {
    b"\xFF\xD8\xFF\xE0\0\x10JFIF\0 a cracked screen".to_vec()
}

fn webp() -> Vec<u8> {
    b"RIFF\x20\0\0\0WEBPVP8 a dented lid".to_vec()
}

fn a_photo_is_stored_once_by_its_sha256_with_the_type_read_from_its_bytes(backend: Backend) {
    let s = TestServer::start_on(backend);
    let photo = png(b"one");
    let a = s.post("/v1/refunds/photos", &upload(&photo, "image/png"), "photo-1");
    assert_eq!(a.status, 201, "{}", a.text);
    assert_eq!(a.body["stored_now"], true);
    assert_eq!(a.body["size"], photo.len() as i64);
    let row = s.repo.read().unwrap().refund_photo(&sha(&photo)).unwrap().unwrap();
    assert_eq!((row.bytes.as_slice(), row.content_type.as_str()), (photo.as_slice(), "image/png"));
    assert_eq!(row.terminal_id, s.terminal_id);
    // The same request again is the stored answer; the same photo under another key (another
    // refund with the same photo) is a no-op that says so.
    let again = s.post("/v1/refunds/photos", &upload(&photo, "image/png"), "photo-1");
    assert_eq!((again.status, again.replayed), (201, true), "{}", again.text);
    let other_key = s.post("/v1/refunds/photos", &upload(&photo, "image/png"), "photo-2");
    assert_eq!((other_key.status, other_key.body["stored_now"].as_bool()), (200, Some(false)), "{}", other_key.text);
    // JPEG and WebP are taken too.
    for (b, t) in [(jpeg(), "image/jpeg"), (webp(), "image/webp")] {
        let a = s.post("/v1/refunds/photos", &upload(&b, t), &format!("photo-{t}").replace('/', "-"));
        assert_eq!(a.status, 201, "{t}: {}", a.text);
    }
    assert_eq!(stored(&s), 3);
    // Also inside a batch (the till sends photos alone, but the batch takes every kind).
    let b = png(b"two");
    let batch = json!({"events": [{"idempotency_key": "photo-batch", "kind": "refund_photo", "body": upload(&b, "image/png")}]});
    let a = s.post("/v1/sync/batch", &batch, "batch-1");
    assert_eq!(a.body["results"][0]["status"], 201, "{}", a.text);
    assert_eq!(stored(&s), 4);
}

fn a_hash_that_does_not_match_the_bytes_is_refused_and_stores_nothing(backend: Backend) {
    let s = TestServer::start_on(backend);
    let photo = png(b"one");
    let mut body = upload(&photo, "image/png");
    body["sha256"] = json!(sha(b"something else"));
    let a = s.post("/v1/refunds/photos", &body, "photo-1");
    assert_eq!((a.status, a.body["code"].as_str()), (422, Some("photo_sha256_mismatch")), "{}", a.text);
    assert_eq!(stored(&s), 0);
    // Not 64 lower-case hex digits, or not base64: malformed.
    for (field, value) in [("sha256", json!(sha(&photo).to_uppercase())), ("photo_base64", json!("not base64!"))] {
        let mut body = upload(&photo, "image/png");
        body[field] = value;
        let a = s.post("/v1/refunds/photos", &body, &format!("bad-{field}"));
        assert_eq!((a.status, a.body["code"].as_str()), (400, Some("invalid_request")), "{field}: {}", a.text);
    }
    assert_eq!(stored(&s), 0);
    // The key was not used up by the refusal: the right body goes through under it.
    let a = s.post("/v1/refunds/photos", &upload(&photo, "image/png"), "photo-1");
    assert_eq!(a.status, 201, "{}", a.text);
}

fn wrong_types_are_refused_by_the_bytes_not_the_name(backend: Backend) {
    let s = TestServer::start_on(backend);
    let cases = [
        // A GIF, an SVG and a PDF, each calling itself a PNG.
        (b"GIF89a\x01\0\x01\0".to_vec(), "image/png"),
        (b"<svg xmlns='http://www.w3.org/2000/svg'><script>alert(1)</script></svg>".to_vec(), "image/png"),
        (b"%PDF-1.7 not a photo".to_vec(), "image/png"),
        // A real PNG calling itself a JPEG: served with the wrong type, it would be sniffed.
        (png(b"one"), "image/jpeg"),
        // A type that is not taken at all, whatever the bytes.
        (b"GIF89a\x01\0\x01\0".to_vec(), "image/gif"),
        (png(b"one"), "text/html"),
    ];
    for (i, (bytes, t)) in cases.iter().enumerate() {
        let a = s.post("/v1/refunds/photos", &upload(bytes, t), &format!("photo-{i}"));
        assert_eq!((a.status, a.body["code"].as_str()), (415, Some("photo_type_not_allowed")), "case {i}: {}", a.text);
    }
    assert_eq!(stored(&s), 0);
}

fn a_photo_over_5_mib_is_refused_with_its_code_and_one_at_the_limit_is_taken(backend: Backend) {
    let s = TestServer::start_on(backend);
    let limit = till_core::photo::MAX_PHOTO_BYTES;
    let mut big = png(b"");
    big.resize(limit + 1, 7);
    let a = s.post("/v1/refunds/photos", &upload(&big, "image/png"), "photo-big");
    assert_eq!((a.status, a.body["code"].as_str()), (413, Some("photo_too_large")), "{}", a.text);
    assert!(!s.repo.read().unwrap().refund_photo_exists(&sha(&big)).unwrap());
    big.truncate(limit);
    let a = s.post("/v1/refunds/photos", &upload(&big, "image/png"), "photo-limit");
    assert_eq!(a.status, 201, "{}", a.text);
    assert_eq!(s.repo.read().unwrap().refund_photo(&sha(&big)).unwrap().unwrap().size, limit as i64);
}

/// The binary itself at its most talkative (`RUST_LOG=trace`): uploads that are taken and
/// refused leave the photo's hash in the log, never its bytes or their base64.
#[test]
fn photo_bytes_never_reach_the_servers_log() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("s.db");
    let bin = env!("CARGO_BIN_EXE_till-server");
    let out =
        Command::new(bin).args(["terminals", "add", "--db", db.to_str().unwrap(), "--name", "t"]).output().unwrap();
    assert!(out.status.success());
    let t: Value = serde_json::from_slice(&out.stdout).unwrap();
    let (terminal, secret) =
        (t["terminal_id"].as_str().unwrap().to_string(), hex::decode(t["secret"].as_str().unwrap()).unwrap());
    let mut child = Command::new(bin)
        .args(["serve", "--db", db.to_str().unwrap(), "--listen", "127.0.0.1:0"])
        .env("RUST_LOG", "trace")
        .stderr(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut err = BufReader::new(child.stderr.take().unwrap());
    let mut first = String::new();
    let url = loop {
        first.clear();
        assert!(err.read_line(&mut first).unwrap() > 0, "the server stopped");
        if let Some(u) = first.split_whitespace().find(|w| w.starts_with("http://127.0.0.1:")) {
            break u.to_string();
        }
    };
    let reader = std::thread::spawn(move || {
        let mut rest = String::new();
        let _ = err.read_to_string(&mut rest);
        rest
    });
    let marker = b"PHOTO-MARKER-a5f3c2-defect-of-a-customer";
    let good = png(marker);
    let mut mismatch = upload(&png(&[marker.as_slice(), b"!"].concat()), "image/png");
    mismatch["sha256"] = json!(sha(b"x"));
    let wrong_type = upload(&[b"GIF89a".as_slice(), marker].concat(), "image/png");
    let agent = ureq::agent();
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() as i64;
    for (i, body) in [upload(&good, "image/png"), mismatch, wrong_type].iter().enumerate() {
        let body = body.to_string();
        let nonce = format!("{:032x}", i + 1);
        let headers = till_server::signing::signed_headers(
            &terminal,
            &secret,
            "POST",
            "/v1/refunds/photos",
            now,
            &nonce,
            body.as_bytes(),
        );
        let mut req = agent.post(&format!("{url}/v1/refunds/photos")).set("idempotency-key", &format!("log-{i}"));
        for (k, v) in &headers {
            req = req.set(k, v);
        }
        let status = match req.send_bytes(body.as_bytes()) {
            Ok(r) => r.status(),
            Err(ureq::Error::Status(c, _)) => c,
            Err(e) => panic!("{e}"),
        };
        assert_eq!(status, [201, 422, 415][i], "upload {i}");
    }
    let _ = child.kill();
    let _ = child.wait();
    let log = format!("{first}{}", reader.join().unwrap());
    assert!(log.contains(&sha(&good)), "the log names the photo by its hash: {log}");
    let needle = String::from_utf8_lossy(marker);
    assert!(!log.contains(needle.as_ref()), "photo bytes in the log");
    // Base64 of the marker at each of the three alignments it can have in a longer text.
    for skip in 0..3 {
        let b64 = B64.encode(&marker[skip..]);
        assert!(!log.contains(&b64[4..b64.len() - 4]), "photo base64 in the log");
    }
}

on_both_backends!(
    a_photo_is_stored_once_by_its_sha256_with_the_type_read_from_its_bytes,
    a_hash_that_does_not_match_the_bytes_is_refused_and_stores_nothing,
    wrong_types_are_refused_by_the_bytes_not_the_name,
    a_photo_over_5_mib_is_refused_with_its_code_and_one_at_the_limit_is_taken,
);
