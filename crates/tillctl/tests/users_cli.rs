#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]
//! `tillctl users create-owner` gives a till without an owner its first one, as the built
//! binary on a real database: the till kept working without one, and the new owner can then
//! manage the accounts a manager may not touch.

use std::io::Write;
use std::process::{Command, Output, Stdio};
use till_core::Role;
use till_pos::{ErrorCode, Pos, PosConfig};
use till_store::Store;

fn create_owner(dir: &std::path::Path, name: &str, stdin: &str) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_tillctl"))
        .args(["users", "create-owner", "--data-dir", dir.to_str().unwrap(), "--name", name])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(stdin.as_bytes()).unwrap();
    child.wait_with_output().unwrap()
}

#[test]
fn a_till_without_an_owner_gets_one_from_tillctl() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("till.db");
    // A till as it was before owners (and before the first-run setup): a manager.
    let pin_hash = till_pos::admin::pin::hash_pin("2222", &[1; 16]).unwrap();
    let store = Store::open(&db).unwrap();
    let manager = store.write(|tx| till_store::users::insert(tx, "Meg", Role::Manager, &pin_hash, 0)).unwrap();
    drop(store);
    let pos = Pos::open(PosConfig { demo: false, ..PosConfig::demo(db.clone()) }).unwrap();
    let m = pos.login(manager, "2222").unwrap().token;
    assert!(pos.user_create(&m, "Cal", "cashier", "135791").is_ok(), "a manager still manages cashiers");
    assert_eq!(pos.user_create(&m, "Ian", "installer", "135791").unwrap_err().code(), ErrorCode::Forbidden);
    drop(pos);

    // A malformed PIN makes nobody.
    let out = create_owner(dir.path(), "Olu", "12\n");
    assert!(!out.status.success());
    // A shop's PIN policy: six digits at least.
    assert!(String::from_utf8_lossy(&out.stderr).contains("6 to 8 digits"), "{out:?}");
    let out = create_owner(dir.path(), "Olu", "1234\n");
    assert!(!out.status.success(), "{out:?}");

    let out = create_owner(dir.path(), "Olu", "246810\n");
    assert!(out.status.success(), "{out:?}");
    let listed = Command::new(env!("CARGO_BIN_EXE_tillctl"))
        .args(["users", "list", "--data-dir", dir.path().to_str().unwrap()])
        .output()
        .unwrap();
    let listed = String::from_utf8_lossy(&listed.stdout).to_string();
    assert!(listed.lines().any(|l| l.ends_with("\towner\tactive\tOlu")), "{listed}");
    assert_eq!(listed.lines().filter(|l| l.contains("\towner\t")).count(), 1);

    let pos = Pos::open(PosConfig { demo: false, ..PosConfig::demo(db) }).unwrap();
    let owner = pos.login_users().unwrap().into_iter().find(|u| u.name == "Olu").unwrap();
    assert_eq!(owner.role, Role::Owner);
    let o = pos.login(owner.id, "246810").unwrap().token;
    let installer = pos.user_create(&o, "Ian", "installer", "135700").unwrap();
    assert_eq!(installer.role, Role::Installer);
    let audit = pos.audit_list(&o, None, 50).unwrap();
    assert!(audit.entries.iter().any(|e| e.action == "user.created" && e.detail.contains("tillctl")), "{audit:?}");
    assert!(pos.audit_verify(&o).unwrap().ok);
}
