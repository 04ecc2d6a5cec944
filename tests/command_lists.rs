//! The IPC commands are named in five places that Tauri does not tie together: the handler that
//! registers them (`src-tauri/commands/mod.rs`), the build script that declares each to the ACL
//! (`src-tauri/build.rs`), the permissions table that says which roles may call each
//! (`till_pos::admin::permissions`), the window's capability that allows it
//! (`capabilities/main-window.json`), and the UI's calls (`ui/src/lib/ipc.ts` and the screens).
//! A command missing from one of them fails only at run time, on the screen that calls it; this
//! test fails instead, naming the command and the list it is missing from.
//!
//! The window is granted exactly the commands the UI calls, no more: a command registered for
//! tools and tests but called by no screen is refused to the window by Tauri's ACL. A wrapper in
//! `ipc.ts` that no screen uses does not count as a call.

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

/// Every `.ts` and `.svelte` file under `dir`, tests aside, with its path.
fn ui_sources(dir: &Path, out: &mut Vec<(String, String)>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        if path.is_dir() {
            if name != "__tests__" && name != "bindings" {
                ui_sources(&path, out);
            }
        } else if name.ends_with(".ts") || name.ends_with(".svelte") {
            out.push((path.display().to_string(), std::fs::read_to_string(&path).unwrap()));
        }
    }
}

/// The commands the UI calls: `call<T>("name", ...)` (the table in `ui/src/lib/ipc.ts`, and the
/// back-office screens that call theirs directly), and the pairs handed to `watch`.
fn called_by_the_ui() -> BTreeSet<String> {
    let mut sources = Vec::new();
    ui_sources(&Path::new(env!("CARGO_MANIFEST_DIR")).join("ui/src"), &mut sources);
    let ipc = sources.into_iter().map(|(_, text)| text).collect::<Vec<_>>().join("\n");
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

/// The commands of the permissions table.
fn with_permissions() -> BTreeSet<String> {
    till_pos::admin::permissions::TABLE.iter().map(|p| p.name.to_string()).collect()
}

#[test]
fn every_command_is_declared_and_has_a_permissions_row_and_nothing_else_is() {
    let registered = registered();
    assert!(registered.len() > 50 && registered.contains("payment_start"), "{registered:?}");
    let mut problems = Vec::new();
    problems.extend(differences("src-tauri/build.rs", &declared(), &registered));
    problems.extend(differences(
        "the permissions table (till_pos::admin::permissions)",
        &with_permissions(),
        &registered,
    ));
    assert!(problems.is_empty(), "the command lists differ:\n{}", problems.join("\n"));
}

#[test]
fn the_window_is_granted_exactly_the_commands_the_ui_calls() {
    let registered = registered();
    let (allowed, called) = (allowed(), called_by_the_ui());
    let mut problems = Vec::new();
    problems.extend(called.difference(&allowed).map(|c| format!("the UI calls {c} but the window is not granted it")));
    problems
        .extend(allowed.difference(&called).map(|c| format!("the window is granted {c} but the UI never calls it")));
    problems
        .extend(called.difference(&registered).map(|c| format!("the UI calls {c} but no such command is registered")));
    assert!(problems.is_empty(), "capabilities/main-window.json is not what the UI needs:\n{}", problems.join("\n"));
    // A short list would pass the check above too: the window needs most of the commands.
    assert!(allowed.len() > 50 && allowed.contains("payment_start"), "{allowed:?}");
}

#[test]
fn every_command_wrapper_in_ipc_ts_is_used_by_a_screen() {
    let mut sources = Vec::new();
    ui_sources(&Path::new(env!("CARGO_MANIFEST_DIR")).join("ui/src"), &mut sources);
    let table = read("ui/src/lib/ipc.ts");
    let elsewhere: String = sources
        .iter()
        .filter(|(path, _)| !path.ends_with("lib/ipc.ts"))
        .map(|(_, text)| text.as_str())
        .collect::<Vec<_>>()
        .join("\n");
    let mut unused = Vec::new();
    // `export const name = (...) => call<...>(...)`, up to the next export.
    for piece in table.split("\nexport const ").skip(1) {
        let name = piece.split(|c: char| !(c.is_alphanumeric() || c == '_')).next().unwrap();
        let body = piece.split("\nexport ").next().unwrap();
        let calls = body.contains("call<") || body.contains("watch<");
        let used = elsewhere
            .match_indices(name)
            .any(|(i, _)| !elsewhere[i + name.len()..].starts_with(|c: char| c.is_alphanumeric() || c == '_'));
        if calls && !used {
            unused.push(name.to_string());
        }
    }
    assert!(unused.is_empty(), "ui/src/lib/ipc.ts wraps commands no screen calls (remove them): {unused:?}");
}
