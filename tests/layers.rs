//! The application layer and the server keep their modules in layers: a module may name the
//! modules below it, never one that names it back. This test reads the sources of `till-pos`
//! and `till-server`, takes every `crate::<module>` a top-level module names outside its tests,
//! and fails on a cycle, printing it. The crate root (`lib.rs`, the facade that assembles the
//! folders) is left out: it names every folder by design.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a test fails by panicking

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Every `.rs` file under `dir`.
fn sources(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            sources(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The top-level module a file belongs to (`sale` for `sale/card/mod.rs`), or `None` for the
/// crate root and tests.
fn top_module(src: &Path, file: &Path) -> Option<String> {
    let rel = file.strip_prefix(src).unwrap();
    let first = rel.components().next().unwrap().as_os_str().to_string_lossy().to_string();
    let name = first.trim_end_matches(".rs").to_string();
    let is_test = rel.file_name().is_some_and(|f| f == "tests.rs");
    (name != "lib" && name != "main" && !is_test).then_some(name)
}

/// The code of a file without its `#[cfg(test)]` module and without comments.
fn code(text: &str) -> String {
    let text = text.split("#[cfg(test)]").next().unwrap();
    text.lines().map(|l| l.split("//").next().unwrap()).collect::<Vec<_>>().join("\n")
}

/// Which top-level modules each one names.
fn edges(crate_dir: &str) -> BTreeMap<String, BTreeSet<String>> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join(crate_dir).join("src");
    let mut files = Vec::new();
    sources(&src, &mut files);
    let modules: BTreeSet<String> = files.iter().filter_map(|f| top_module(&src, f)).collect();
    let mut graph: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for file in &files {
        let Some(from) = top_module(&src, file) else { continue };
        let code = code(&std::fs::read_to_string(file).unwrap());
        let mut named = BTreeSet::new();
        for piece in code.split("crate::").skip(1) {
            if let Some(list) = piece.strip_prefix('{') {
                // `use crate::{a, b::c}`
                for item in list.split('}').next().unwrap().split(',') {
                    named.insert(item.trim().split("::").next().unwrap().to_string());
                }
            } else {
                named.insert(piece.split(|c: char| !(c.is_alphanumeric() || c == '_')).next().unwrap().to_string());
            }
        }
        let entry = graph.entry(from.clone()).or_default();
        entry.extend(named.into_iter().filter(|m| modules.contains(m) && *m != from));
    }
    graph
}

/// A cycle in `graph`, if there is one, as the modules along it.
fn cycle(graph: &BTreeMap<String, BTreeSet<String>>) -> Option<Vec<String>> {
    fn visit(
        node: &str,
        graph: &BTreeMap<String, BTreeSet<String>>,
        path: &mut Vec<String>,
        done: &mut BTreeSet<String>,
    ) -> Option<Vec<String>> {
        if let Some(at) = path.iter().position(|n| n == node) {
            let mut c = path[at..].to_vec();
            c.push(node.to_string());
            return Some(c);
        }
        if done.contains(node) {
            return None;
        }
        path.push(node.to_string());
        for next in graph.get(node).into_iter().flatten() {
            if let Some(c) = visit(next, graph, path, done) {
                return Some(c);
            }
        }
        path.pop();
        done.insert(node.to_string());
        None
    }
    let mut done = BTreeSet::new();
    graph.keys().find_map(|n| visit(n, graph, &mut Vec::new(), &mut done))
}

#[test]
fn the_cycle_finder_finds_a_cycle() {
    let graph: BTreeMap<String, BTreeSet<String>> =
        [("a", "b"), ("b", "c"), ("c", "a"), ("d", "a")].into_iter().fold(BTreeMap::new(), |mut g, (f, t)| {
            g.entry(f.to_string()).or_insert_with(BTreeSet::new).insert(t.to_string());
            g
        });
    assert_eq!(cycle(&graph).unwrap(), ["a", "b", "c", "a"]);
    let mut acyclic = graph.clone();
    acyclic.get_mut("c").unwrap().clear();
    assert_eq!(cycle(&acyclic), None);
}

#[test]
fn the_application_layer_has_no_import_cycle() {
    let graph = edges("crates/till-pos");
    assert!(graph.contains_key("sale") && graph.contains_key("ipc"), "{graph:?}");
    assert_eq!(cycle(&graph), None, "modules of till-pos name each other in a circle: {graph:#?}");
    // The views and the errors are at the bottom: they name no use case.
    for bottom in ["ipc", "error"] {
        let above: Vec<&String> = graph[bottom].iter().filter(|m| !["error", "mutex"].contains(&m.as_str())).collect();
        assert!(above.is_empty(), "{bottom} names {above:?}");
    }
}

#[test]
fn the_server_has_no_import_cycle() {
    let graph = edges("crates/till-server");
    assert!(graph.len() > 3, "{graph:?}");
    assert_eq!(cycle(&graph), None, "modules of till-server name each other in a circle: {graph:#?}");
}
