#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]
//! `tillctl devices assign` sets up a receipt printer in a till's database as the installer
//! screen would, refuses what the screen refuses, and audits the change.

use std::process::{Command, Output};
use till_store::Store;

fn assign(dir: &std::path::Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_tillctl"))
        .args(["devices", "assign", "--data-dir", dir.to_str().unwrap()])
        .args(args)
        .output()
        .unwrap()
}

#[test]
fn an_installer_sets_up_a_receipt_printer_from_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    drop(Store::open(&dir.path().join("till.db")).unwrap());
    for bad in [
        vec!["tcp://10.0.0.5:9100", "--role", "receipt-printer", "--driver", "escpos", "--paper", "76"],
        vec!["tcp://10.0.0.5:9100", "--role", "receipt-printer", "--driver", "magtek-hid"],
        vec!["tcp://10.0.0.5:9100", "--role", "printer", "--driver", "escpos"],
        vec!["tcp://10.0.0.5:9100", "--role", "card-reader", "--driver", "escpos", "--paper", "58"],
    ] {
        let out = assign(dir.path(), &bad);
        assert!(!out.status.success(), "{bad:?}: {out:?}");
    }
    let store = Store::open(&dir.path().join("till.db")).unwrap();
    assert!(store.devices().unwrap().is_empty(), "a refusal changes nothing");
    drop(store);

    let out = assign(
        dir.path(),
        &["tcp://10.0.0.5:9100", "--role", "receipt-printer", "--driver", "escpos", "--paper", "58"],
    );
    assert!(out.status.success(), "{out:?}");
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        "receipt-printer set up: escpos at tcp://10.0.0.5:9100, 58 mm paper, gb18030"
    );
    let store = Store::open(&dir.path().join("till.db")).unwrap();
    let d = store.device("receipt-printer").unwrap().unwrap();
    assert_eq!((d.config.paper_mm, d.config.code_page.as_deref()), (Some(58), Some("gb18030")));
    let page = store.audit_page(None, 5).unwrap();
    assert!(page.entries.iter().any(|e| e.action == "device.assigned" && e.detail.contains("tillctl")));
    assert!(page.chain_ok);
}
