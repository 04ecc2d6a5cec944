//! Card data at rest and the data directory (docs/security.md, section 2), through the shell's
//! own start: `open_pos` and the log of `logging::init`, as the desktop app opens them.
//!
//! Each test runs in a child process of this binary under umask 022, the usual default: a file
//! the till made without an explicit mode would come out 0644 there and be caught, whatever the
//! umask of whoever runs the tests. The child also gets a log subscriber of its own.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a test fails by panicking

use base64::Engine;
use rand::SeedableRng;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};
use till_pos::admin::secrets::SecretBox;
use till_pos::ipc::refund::{RefundInput, RefundLineInput, RefundLookup};
use till_pos::sale::card::pan_hash::{pan_hash, PURPOSE, SEALED_SETTING};
use till_pos::Pos;
use till_store::ExportKind;

const CHILD: &str = "TILL_DATA_AT_REST_CHILD";
/// The card sold in these tests: a Luhn-valid Visa number, first six 453914, last four 6467.
const PAN: &str = "4539148803436467";
const TEA: &str = "6901234567892";

/// Runs `body` in a child process of this test binary started under umask 022.
fn in_child_under_umask_022(name: &str, body: impl FnOnce()) {
    if std::env::var_os(CHILD).is_some() {
        body();
        return;
    }
    let exe = std::env::current_exe().unwrap();
    let out = Command::new("sh")
        .arg("-c")
        .arg("umask 022 && exec \"$0\" \"$@\"")
        .arg(&exe)
        .args([name, "--exact", "--nocapture", "--test-threads=1"])
        .env(CHILD, "1")
        .output()
        .unwrap();
    let (stdout, stderr) = (String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success(), "the test failed in its child process:\n{stdout}\n{stderr}");
    assert!(stdout.contains("1 passed"), "the child did not run the test:\n{stdout}");
}

/// A demo till opened as the desktop app opens it (`till --demo`), in `data` (which does not exist yet), logging to
/// `data/till.log`.
fn open_till(data: &Path) -> Pos {
    till_app::logging::init(data);
    till_app::open_pos(data, true).unwrap()
}

/// Sells a tea by card: `PAN` swiped on a keyboard-wedge reader, no PIN, no signature.
fn card_sale(pos: &Pos) -> till_pos::ipc::views::Receipt {
    let t = pos.login(1, "1111").unwrap().token;
    let cart = pos.cart_scan(&t, TEA).unwrap();
    let swipe = format!("%B{PAN}^DOE/JANE^2812101000000000?;{PAN}=28121010000000000?");
    let v = pos.payment_swipe_text(&t, &cart.cart_id, swipe, std::sync::Arc::new(|_: &_| {})).unwrap();
    pos.payment_sign(&t, &v.payment_id, None).unwrap();
    let receipt = pos.payment_authorize(&t, &v.payment_id).unwrap();
    assert_eq!(receipt.payment.card_masked.as_deref(), Some("453914******6467"));
    receipt
}

/// A cash sale refunded with a photo of the defect (kept in `evidence/`).
fn refund_with_photo(pos: &Pos) {
    let t = pos.login(1, "1111").unwrap().token;
    let cart = pos.cart_scan(&t, TEA).unwrap();
    let sale = pos.checkout_cash(&t, &cart.cart_id, cart.total.minor()).unwrap();
    let lookup = RefundLookup {
        by: "line_code".into(),
        text: sale.lines[0].line_code.clone(),
        date: None,
        amount_minor: None,
        utc_offset_minutes: None,
    };
    let found = pos.refund_find(&t, lookup).unwrap();
    let photo = base64::engine::general_purpose::STANDARD.encode(b"\x89PNG\r\n\x1a\n a photo of a cracked cup");
    pos.refund_record(
        &t,
        RefundInput {
            order_id: found.order_id,
            lines: vec![RefundLineInput { order_line_id: found.lines[0].order_line_id, quantity: 1 }],
            reason: "defective".into(),
            photo_base64: Some(photo),
            manager_id: Some(2),
            manager_pin: Some("2222".into()),
            wait_for_seller: false,
        },
    )
    .unwrap();
}

/// Exports every kind to `exports/` and waits for the files.
fn export(pos: &Pos) -> Vec<String> {
    let m = pos.login(2, "2222").unwrap().token;
    let to = till_core::Clock::now_ms(&till_core::SystemClock) + 86_400_000;
    let job = pos.export_start(&m, 0, to, &ExportKind::ALL).unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let s = pos.export_status(&m, &job.job_id).unwrap();
        if s.done {
            assert!(s.error.is_none() && !s.files.is_empty(), "{s:?}");
            return s.files;
        }
        assert!(Instant::now() < deadline, "the export did not finish");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Every file and folder under `dir`, `dir` included.
fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = vec![dir.to_path_buf()];
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            out.extend(walk(&path));
        } else {
            out.push(path);
        }
    }
    out
}

fn mode(p: &Path) -> u32 {
    std::fs::symlink_metadata(p).unwrap().permissions().mode() & 0o777
}

#[test]
fn every_file_and_folder_the_till_makes_is_its_owners_alone() {
    in_child_under_umask_022("every_file_and_folder_the_till_makes_is_its_owners_alone", || {
        let root = tempfile::tempdir().unwrap();
        let data = root.path().join("till-data");
        let pos = open_till(&data);
        card_sale(&pos);
        refund_with_photo(&pos);
        let files = export(&pos);
        tracing::info!("a line of the till's log");
        // Walked while the till is open, so the WAL and shared-memory files are there too.
        let found = walk(&data);
        let names: Vec<String> = found.iter().map(|p| p.strip_prefix(&data).unwrap().display().to_string()).collect();
        for expected in ["till.db", "till.db-wal", "till.db-shm", "till.key", "till.log", "evidence", "exports"] {
            assert!(names.iter().any(|n| n == expected), "{expected} missing from {names:?}");
        }
        assert!(names.iter().any(|n| n.starts_with("evidence/") && n.ends_with(".img")), "{names:?}");
        assert_eq!(files.len(), ExportKind::ALL.len());
        assert!(files.iter().all(|f| Path::new(f).starts_with(data.join("exports"))), "{files:?}");
        assert!(std::fs::metadata(data.join("till.log")).unwrap().len() > 0, "nothing was logged");
        let wrong: Vec<String> = found
            .iter()
            .filter(|p| mode(p) != if p.is_dir() { 0o700 } else { 0o600 })
            .map(|p| format!("{} {:o}", p.display(), mode(p)))
            .collect();
        assert!(wrong.is_empty(), "readable by others: {wrong:?}");
        drop(pos);
    });
}

/// Every 32-byte value a thief holding the database could try as the card hash key: each value
/// of every table of every row, hex-decoded where it is 64 hex digits (alone or as a run of 64
/// inside a longer text, e.g. JSON), or as it is where it is a 32-byte blob. (The key hidden in
/// a longer run is looked for below, byte for byte in the files.)
fn candidate_keys(db: &Path) -> Vec<[u8; 32]> {
    let c = rusqlite::Connection::open(db).unwrap();
    let tables: Vec<String> = {
        let mut s = c.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").unwrap();
        let rows = s.query_map([], |r| r.get(0)).unwrap();
        rows.map(|r| r.unwrap()).collect()
    };
    let mut keys: Vec<[u8; 32]> = Vec::new();
    let mut add = |bytes: &[u8]| {
        if let Ok(k) = <[u8; 32]>::try_from(bytes) {
            if !keys.contains(&k) {
                keys.push(k);
            }
        }
    };
    for table in &tables {
        let mut s = c.prepare(&format!("SELECT * FROM \"{table}\"")).unwrap();
        let columns = s.column_count();
        let mut rows = s.query([]).unwrap();
        while let Some(row) = rows.next().unwrap() {
            for i in 0..columns {
                match row.get_ref(i).unwrap() {
                    rusqlite::types::ValueRef::Text(t) => {
                        let text = String::from_utf8_lossy(t);
                        for run in text.split(|ch: char| !ch.is_ascii_hexdigit()).filter(|r| r.len() == 64) {
                            add(&hex::decode(run).unwrap());
                        }
                    }
                    rusqlite::types::ValueRef::Blob(b) => add(b),
                    _ => {}
                }
            }
        }
    }
    keys
}

/// The ~10^5 card numbers a masked number leaves: its first six and last four around every six
/// middle digits that pass the Luhn check.
fn candidates(masked: &str) -> Vec<String> {
    let (first6, last4) = (&masked[..6], &masked[masked.len() - 4..]);
    (0..1_000_000)
        .map(|middle| format!("{first6}{middle:06}{last4}"))
        .filter(|pan| till_core::luhn::is_valid(pan))
        .collect()
}

/// The candidates that hash to `hash` under `key`.
fn brute_force<'a>(candidates: &'a [String], hash: &str, key: &[u8; 32]) -> Vec<&'a str> {
    candidates.iter().filter(|pan| pan_hash(key, pan) == hash).map(String::as_str).collect()
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

#[test]
fn a_copy_of_the_database_does_not_give_the_card_number_back() {
    in_child_under_umask_022("a_copy_of_the_database_does_not_give_the_card_number_back", || {
        let root = tempfile::tempdir().unwrap();
        let data = root.path().join("till-data");
        let pos = open_till(&data);
        let receipt = card_sale(&pos);
        // What a copy of till.db holds of the sale: the masked number and the keyed hash.
        let (masked, hash): (String, String) = pos
            .store()
            .read(|c| {
                Ok(c.query_row(
                    "SELECT card_masked, card_pan_hash FROM payments WHERE order_id = ?1",
                    [receipt.order_id],
                    |r| Ok((r.get(0)?, r.get(1)?)),
                )?)
            })
            .unwrap();
        assert_eq!(masked, "453914******6467");
        // Copied as it is on disk while the till runs: the file and its WAL, without till.key.
        let copy = root.path().join("copy");
        std::fs::create_dir(&copy).unwrap();
        for name in ["till.db", "till.db-wal"] {
            std::fs::copy(data.join(name), copy.join(name)).unwrap();
        }
        let pans = candidates(&masked);
        assert_eq!(pans.len(), 100_000);
        let keys = candidate_keys(&copy.join("till.db"));
        assert!(!keys.is_empty(), "the search found no 32-byte values at all (the audit chain has some)");
        for key in &keys {
            assert_eq!(brute_force(&pans, &hash, key), Vec::<&str>::new(), "a key in the database matched");
        }
        // The same search with the key from till.key finds the card: the hash is what it claims,
        // and the key is only there, never in the database, in clear or as hex.
        let sealed = hex::decode(pos.store().setting(SEALED_SETTING).unwrap().unwrap()).unwrap();
        let secrets =
            SecretBox::load(&SecretBox::path_beside(pos.store().path()), &mut rand::rngs::StdRng::seed_from_u64(1))
                .unwrap();
        let key: [u8; 32] = secrets.open(PURPOSE, &sealed).unwrap()[..].try_into().unwrap();
        assert_eq!(brute_force(&pans, &hash, &key), [PAN]);
        assert!(!keys.contains(&key));
        tracing::info!("a line of the till's log");
        for name in ["till.db", "till.db-wal", "till.log"] {
            let bytes = std::fs::read(data.join(name)).unwrap();
            assert!(!contains(&bytes, PAN.as_bytes()), "the card number is in {name}");
            for form in [key.to_vec(), hex::encode(key).into_bytes(), hex::encode_upper(key).into_bytes()] {
                assert!(!contains(&bytes, &form), "the card hash key is in {name}");
            }
        }
        // Nor anywhere else in the data directory.
        for path in walk(&data).into_iter().filter(|p| p.is_file()) {
            assert!(!contains(&std::fs::read(&path).unwrap(), PAN.as_bytes()), "{}", path.display());
        }
        // And the copy does not open as a till: its sealed secrets need the key file it lacks.
        let e = Pos::open(till_pos::PosConfig::demo(copy.join("till.db"))).err().unwrap();
        assert_eq!(e.code(), till_pos::ErrorCode::SecretUnreadable);
        drop(pos);
    });
}
