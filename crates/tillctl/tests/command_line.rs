//! tillctl's command line as people meet it: `--help` on every subcommand names its flags,
//! `--version` prints the workspace's version, a wrong flag is named in the error, and
//! `generate --out` writes the man pages and completions that packages ship.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a test fails by panicking

use std::process::{Command, Output};

fn tillctl(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_tillctl")).args(args).output().unwrap()
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Every subcommand and the flags it must keep (scripts and docs use them).
const SUBCOMMANDS: &[(&str, &[&str])] = &[
    ("db check", &["--data-dir"]),
    ("users list", &["--data-dir"]),
    ("users create-owner", &["--data-dir", "--name"]),
    ("export", &["--data-dir", "--from", "--to", "--kinds", "--out"]),
    ("drill checkout", &["--data-dir"]),
    ("seed", &["--data-dir", "--products"]),
    ("bench", &["--dir", "--products", "--checkouts"]),
    ("bench devices", &["--reports", "--swipes"]),
    ("bench points", &["--rounds", "[default: 200]"]),
    ("bench payment", &["--rounds", "[default: 200]"]),
    ("bench history", &["--data-dir", "--rounds", "[default: 50]"]),
    ("bench login", &["--rounds", "[default: 20]"]),
    ("bench print", &["--sales", "--slow-ms", "[default: 200]"]),
    ("bench backup", &["--data-dir", "--checkouts", "--pages", "--pause-ms", "[default: 1024]"]),
    ("backup", &["--data-dir", "--out"]),
    ("restore", &["--data-dir", "--from", "--force"]),
    ("card decode", &["--format", "<DATA>", "magtek-hid", "iso7813-text"]),
    ("sim card-reader", &["--serial", "--card", "--driver"]),
    ("sim points-terminal", &["--serial", "--baud", "--hold-pair", "--auto-present"]),
    ("sim printer", &["--tcp", "--pty", "--out", "--width", "--fail", "--slow", "paper-out"]),
    ("devices list", &["--json"]),
    ("devices assign", &["<URI>", "--data-dir", "--role", "--driver", "--baud", "--paper", "--code-page"]),
    ("devices pair", &["<URI>", "--key-file", "--json"]),
    (
        "devices test",
        &["<URI>", "--role", "card-reader", "points-terminal", "--driver", "--timeout", "--key-file", "--json"],
    ),
    ("printer test", &["<URI>", "--width", "--lang", "--code-page", "--data-dir", "gb18030", "pc437"]),
    ("drawer open", &["<URI>", "--pin"]),
    ("demo generate", &["--data-dir", "--orders", "--seed", "--days"]),
    ("sync status", &["--data-dir", "--json"]),
    (
        "sync run",
        &[
            "--data-dir",
            "--url",
            "--terminal-id",
            "--secret-file",
            "--once",
            "--store",
            "--batch",
            "--one-by-one",
            "--timeout-ms",
            "--ca-file",
            "--pin-sha256",
        ],
    ),
];

#[test]
fn help_on_every_subcommand_names_its_flags() {
    for (path, flags) in SUBCOMMANDS {
        let mut args: Vec<&str> = path.split(' ').collect();
        args.push("--help");
        let out = tillctl(&args);
        assert!(out.status.success(), "{path} --help: {out:?}");
        let text = stdout(&out);
        assert!(text.contains(&format!("Usage: tillctl {path}")), "{path}: {text}");
        for flag in *flags {
            assert!(text.contains(flag), "{path} --help does not name {flag}:\n{text}");
        }
    }
    let out = tillctl(&["--help"]);
    assert!(out.status.success());
    let top = stdout(&out);
    for sub in [
        "db", "users", "export", "drill", "seed", "bench", "card", "sim", "devices", "printer", "drawer", "demo",
        "sync",
    ] {
        assert!(top.contains(&format!("\n  {sub} ")), "tillctl --help does not list {sub}:\n{top}");
    }
    assert!(!top.contains("generate "), "the packaging subcommand stays hidden:\n{top}");
}

#[test]
fn version_is_the_workspaces() {
    // The workspace's version, read from the top Cargo.toml (not this crate's compiled-in one).
    let manifest = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../Cargo.toml")).unwrap();
    let package = manifest.split("[workspace.package]").nth(1).unwrap();
    let version = package.lines().find_map(|l| l.strip_prefix("version = ")).unwrap().trim_matches('"');
    let out = tillctl(&["--version"]);
    assert!(out.status.success());
    assert_eq!(stdout(&out).trim(), format!("tillctl {version}"));
    let out = tillctl(&["sync", "run", "--version"]);
    assert!(stdout(&out).contains(version), "{out:?}");
}

#[test]
fn a_wrong_flag_is_named_and_is_a_usage_error() {
    let out = tillctl(&["db", "check", "--data-dri", "/nowhere"]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("'--data-dri'") && err.contains("--data-dir"), "{err}");

    let out = tillctl(&["devices", "test", "sim://card-reader", "--role", "printer"]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("printer") && err.contains("--role"), "{err}");

    let out = tillctl(&["users", "create-owner", "--data-dir", "/nowhere"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--name"), "{out:?}");

    let out = tillctl(&["restore", "--data-dir", "/nowhere", "--force"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--from"), "{out:?}");

    let out = tillctl(&["bench", "login", "--rounds", "many"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--rounds"), "{out:?}");
}

#[test]
fn generate_writes_man_pages_and_completions() {
    let dir = tempfile::tempdir().unwrap();
    let out = tillctl(&["generate", "--out", dir.path().to_str().unwrap()]);
    assert!(out.status.success(), "{out:?}");
    let man = dir.path().join("man");
    for page in [
        "tillctl.1",
        "tillctl-db.1",
        "tillctl-db-check.1",
        "tillctl-users-create-owner.1",
        "tillctl-export.1",
        "tillctl-bench.1",
        "tillctl-bench-history.1",
        "tillctl-devices-test.1",
        "tillctl-sync-run.1",
    ] {
        let text = std::fs::read_to_string(man.join(page)).unwrap_or_else(|e| panic!("{page}: {e}"));
        assert!(text.starts_with(".TH "), "{page} does not start with its title line:\n{text}");
        assert!(text.contains("\n.SH NAME\n"), "{page} has no NAME section:\n{text}");
    }
    let top = std::fs::read_to_string(man.join("tillctl.1")).unwrap();
    assert!(
        top.contains("tillctl\\-devices(1)") && !top.contains("help(1)"),
        "pages name only pages that exist:\n{top}"
    );
    let check = std::fs::read_to_string(man.join("tillctl-db-check.1")).unwrap();
    assert!(check.starts_with(".TH tillctl-db-check 1 "), "{check}");
    assert!(check.contains("data\\-dir"), "{check}");
    // One page per visible subcommand, none for the hidden one or clap's `help`.
    let names: Vec<String> =
        std::fs::read_dir(&man).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
    assert_eq!(names.len(), 1 + 15 + SUBCOMMANDS.iter().filter(|(p, _)| p.contains(' ')).count(), "{names:?}");
    assert!(!names.iter().any(|n| n == "tillctl-generate.1" || n.contains("help")), "{names:?}");

    let completions = dir.path().join("completions");
    let bash = std::fs::read_to_string(completions.join("tillctl.bash")).unwrap();
    assert!(bash.contains("complete -F") && bash.contains("--data-dir"), "{bash}");
    let zsh = std::fs::read_to_string(completions.join("_tillctl")).unwrap();
    assert!(zsh.starts_with("#compdef tillctl"), "{zsh}");
    let fish = std::fs::read_to_string(completions.join("tillctl.fish")).unwrap();
    assert!(fish.contains("complete -c tillctl"), "{fish}");
}
