//! The IPC commands are named in four places that Tauri does not tie together: the handler that
//! registers them (`src-tauri/commands/mod.rs`), the build script that declares each to the ACL
//! (`src-tauri/build.rs`), the window's capability that allows it
//! (`capabilities/main-window.json`), and the UI's command table (`ui/src/lib/ipc.ts`). A command
//! missing from one of them fails only at run time, on the screen that calls it; this test fails
//! instead, naming the command and the list it is missing from.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a test fails by panicking

use std::collections::BTreeSet;
use std::path::Path;

fn read(path: &str) -> String {
    std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join(path)).unwrap()
}

/// The text between `open` and the first `close` after it.
fn between<'a>(text: &'a str, open: &str, close: &str) -> &'a str {
    let start = text.find(open).unwrap_or_else(|| panic!("no {open:?}")) + open.len();
    let len = text[start..].find(close).unwrap_or_else(|| panic!("no {close:?} after {open:?}"));
    &text[start..start + len]
}

/// Every `"..."` in `text`.
fn quoted(text: &str) -> Vec<String> {
    text.split('"').skip(1).step_by(2).map(str::to_string).collect()
}

fn registered() -> BTreeSet<String> {
    let handler = read("src-tauri/commands/mod.rs");
    between(&handler, "generate_handler![", "]")
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|path| path.rsplit("::").next().unwrap().to_string())
        .collect()
}

fn declared() -> BTreeSet<String> {
    quoted(between(&read("src-tauri/build.rs"), "const COMMANDS: &[&str] = &[", "];")).into_iter().collect()
}

fn allowed() -> BTreeSet<String> {
    let capability: serde_json::Value = serde_json::from_str(&read("capabilities/main-window.json")).unwrap();
    capability["permissions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            let p = p.as_str().unwrap();
            p.strip_prefix("allow-")
                .unwrap_or_else(|| panic!("the window allows more than a command: {p}"))
                .replace('-', "_")
        })
        .collect()
}

/// Every `.ts` and `.svelte` file under `dir`, tests aside.
fn ui_sources(dir: &Path, out: &mut Vec<String>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        if path.is_dir() {
            if name != "__tests__" && name != "bindings" {
                ui_sources(&path, out);
            }
        } else if name.ends_with(".ts") || name.ends_with(".svelte") {
            out.push(std::fs::read_to_string(&path).unwrap());
        }
    }
}

/// The commands the UI calls: `call<T>("name", ...)` (the table in `ui/src/lib/ipc.ts`, and the
/// back-office screens that call theirs directly), and the pairs handed to `watch`.
fn called_by_the_ui() -> BTreeSet<String> {
    let mut sources = Vec::new();
    ui_sources(&Path::new(env!("CARGO_MANIFEST_DIR")).join("ui/src"), &mut sources);
    let ipc = sources.join("\n");
    let mut names = BTreeSet::new();
    for piece in ipc.split("call<").skip(1) {
        // `call<T>("name"` or `call<T>(watchCommand` (a variable, taken from the watch pairs)
        let args = piece.split_once(">(").map(|(_, a)| a.trim_start()).unwrap_or("");
        if let Some(rest) = args.strip_prefix('"') {
            names.insert(rest.split('"').next().unwrap().to_string());
        }
    }
    for piece in ipc.split("watch<").skip(1) {
        if let Some(pair) = piece.split_once(">([").map(|(_, a)| a) {
            let pair = quoted(pair.split(']').next().unwrap());
            if pair.len() == 2 && pair[0].ends_with("_watch") && pair[1].ends_with("_unwatch") {
                names.extend(pair);
            }
        }
    }
    names
}

fn differences(name: &str, list: &BTreeSet<String>, registered: &BTreeSet<String>) -> Vec<String> {
    let mut out = Vec::new();
    out.extend(registered.difference(list).map(|c| format!("{c} is registered but missing from {name}")));
    out.extend(list.difference(registered).map(|c| format!("{c} is in {name} but no such command is registered")));
    out
}

#[test]
fn every_command_is_declared_allowed_and_known_to_the_ui_and_nothing_else_is() {
    let registered = registered();
    assert!(registered.len() > 50 && registered.contains("payment_start"), "{registered:?}");
    let mut problems = Vec::new();
    problems.extend(differences("src-tauri/build.rs", &declared(), &registered));
    problems.extend(differences("capabilities/main-window.json", &allowed(), &registered));
    problems.extend(differences("the UI (ui/src)", &called_by_the_ui(), &registered));
    assert!(problems.is_empty(), "the command lists differ:\n{}", problems.join("\n"));
}
