//! Server secrets at rest (finding 10 of the fail-closed review): a copy of the server's
//! database files yields no terminal secret and no customer's points key, the files are the
//! owner's only, and sealing changes nothing a till sees (an enrolment replay answers the same).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;
use serde_json::json;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::sync::Arc;
use support::*;
use till_server::points::{base32, base32_decode, make_token};
use till_server::repo::sqlite::{SqliteRepository, StorageOptions};

/// The bytes of the database and of its WAL, as a thief with a copy of the folder has them.
fn database_bytes(db: &Path) -> Vec<u8> {
    let mut all = std::fs::read(db).unwrap();
    let mut wal = db.as_os_str().to_os_string();
    wal.push("-wal");
    if let Ok(bytes) = std::fs::read(&wal) {
        all.extend(bytes);
    }
    all
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

/// Every spelling of `secret` a careless store could use: raw, hex (both cases), base32, base64.
fn spellings(secret: &[u8]) -> Vec<Vec<u8>> {
    use base64::Engine;
    vec![
        secret.to_vec(),
        hex::encode(secret).into_bytes(),
        hex::encode_upper(secret).into_bytes(),
        base32(secret).into_bytes(),
        base64::engine::general_purpose::STANDARD.encode(secret).into_bytes(),
    ]
}

fn assert_nowhere(bytes: &[u8], secret: &[u8], what: &str) {
    for s in spellings(secret) {
        assert!(!contains(bytes, &s), "{what} is in the database files as {:?}", String::from_utf8_lossy(&s));
    }
}

#[test]
fn neither_a_terminal_secret_nor_a_points_key_is_in_the_database_files() {
    let s = TestServer::start();
    let enrol = json!({"customer_ref": "cust-1"});
    let first = s.post("/v1/points/enrol", &enrol, "enrol-1");
    assert_eq!(first.status, 201, "{}", first.text);
    let message = first.body["enrolment_message"].as_str().unwrap().to_string();
    let parts: Vec<&str> = message.split(' ').collect();
    let (account, key) = (parts[2].to_string(), base32_decode(parts[3]).unwrap());
    // The account is used, so the key was read back from the database.
    let id: [u8; 16] = hex::decode(&account).unwrap().try_into().unwrap();
    let token = hex::encode(make_token(&key, &id, 1, NOW as u64));
    let earn =
        s.post("/v1/points/updates", &json!({"token": token, "kind": "earn", "points": 5, "order_id": "o"}), "e-1");
    assert_eq!(earn.status, 200, "{}", earn.text);

    // A replay of the enrolment answers byte for byte what the first did, key included.
    let again = s.post("/v1/points/enrol", &enrol, "enrol-1");
    assert_eq!((again.status, again.text.as_str(), again.replayed), (201, first.text.as_str(), true));

    let db = s.dir.path().join("server.db");
    let bytes = database_bytes(&db);
    assert!(bytes.len() > 4096, "read the database itself");
    assert!(contains(&bytes, account.as_bytes()), "the account id is stored (the search works)");
    assert_nowhere(&bytes, &s.secret, "the terminal's secret");
    assert_nowhere(&bytes, &key, "the customer's points key");
    assert!(!contains(&bytes, message.as_bytes()), "the enrolment answer is stored in clear");
}

fn mode(path: &Path) -> u32 {
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

#[test]
fn the_database_its_wal_and_the_key_file_are_the_owners_only() {
    let dir = tempfile::tempdir().unwrap();
    // A data folder that does not exist yet, as at a first start.
    let data = dir.path().join("var/till-server");
    let db = data.join("server.db");
    let repo = Arc::new(SqliteRepository::open(&db).unwrap());
    till_server::admin::add_terminal(&*repo, "counter 1", &till_core::SystemClock, &till_server::clock::OsEntropy)
        .unwrap();
    let wal = data.join("server.db-wal");
    assert!(wal.exists(), "a write left a WAL");
    assert_eq!(mode(&data), 0o700, "data folder");
    assert_eq!(mode(&db), 0o600, "database");
    assert_eq!(mode(&wal), 0o600, "WAL");
    assert_eq!(mode(&data.join("server.db.key")), 0o600, "key file");
    drop(repo);

    // An older database that others could read is tightened when the server opens it.
    let old = dir.path().join("old.db");
    rusqlite::Connection::open(&old).unwrap().execute_batch("CREATE TABLE t (x BIGINT)").unwrap();
    std::fs::set_permissions(&old, std::fs::Permissions::from_mode(0o644)).unwrap();
    SqliteRepository::open(&old).unwrap();
    assert_eq!(mode(&old), 0o600);
}

#[test]
fn a_database_is_refused_without_its_key_or_with_another() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("server.db");
    let key = dir.path().join("server.db.key");
    let repo = SqliteRepository::open(&db).unwrap();
    till_server::admin::add_terminal(&repo, "counter 1", &till_core::SystemClock, &till_server::clock::OsEntropy)
        .unwrap();
    drop(repo);
    // Missing: refused, and no new key is made in its place.
    let kept = dir.path().join("kept.key");
    std::fs::rename(&key, &kept).unwrap();
    let e = SqliteRepository::open(&db).unwrap_err().to_string();
    assert!(e.contains("missing"), "{e}");
    assert!(!key.exists());
    // Another key: refused.
    let other = dir.path().join("other.key");
    let options = |key_file: &Path| StorageOptions {
        key_file: Some(key_file.to_path_buf()),
        read_connections: 1,
        ..Default::default()
    };
    SqliteRepository::open_with(&dir.path().join("other.db"), &options(&other)).unwrap();
    let e = SqliteRepository::open_with(&db, &options(&other)).unwrap_err().to_string();
    assert!(e.contains("not the key"), "{e}");
    // Its own key, at another path: fine.
    SqliteRepository::open_with(&db, &options(&kept)).unwrap();
}
