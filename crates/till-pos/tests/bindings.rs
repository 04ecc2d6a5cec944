//! The UI's TypeScript types must be what the Rust types generate. Run with
//! `UPDATE_BINDINGS=1` (or `make bindings`) to rewrite them after changing a type.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a test fails by panicking

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

fn read_dir(dir: &Path) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    if let Ok(entries) = fs::read_dir(dir) {
        for e in entries.flatten() {
            let name = e.file_name().to_string_lossy().to_string();
            if name.ends_with(".ts") {
                out.insert(name, fs::read_to_string(e.path()).unwrap());
            }
        }
    }
    out
}

#[test]
fn checked_in_typescript_bindings_are_current() {
    let checked_in = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../ui/src/lib/bindings");
    let fresh = tempfile::tempdir().unwrap();
    till_pos::ipc::bindings::export_to(fresh.path()).unwrap();
    let generated = read_dir(fresh.path());
    assert!(generated.contains_key("Receipt.ts") && generated.contains_key("ErrorCode.ts"));
    if std::env::var_os("UPDATE_BINDINGS").is_some() {
        let _ = fs::remove_dir_all(&checked_in);
        fs::create_dir_all(&checked_in).unwrap();
        for (name, text) in &generated {
            fs::write(checked_in.join(name), text).unwrap();
        }
        return;
    }
    let current = read_dir(&checked_in);
    assert_eq!(
        current.keys().collect::<Vec<_>>(),
        generated.keys().collect::<Vec<_>>(),
        "binding files differ; run `make bindings`"
    );
    for (name, text) in &generated {
        assert_eq!(&current[name], text, "{name} is stale; run `make bindings`");
    }
}
