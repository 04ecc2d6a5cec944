//! till-server's command line as people meet it: `--help` on every subcommand names its flags
//! (it used to answer "--help needs a value"), `--version` prints the workspace's version, a
//! wrong flag is named in the error, `TILL_SERVER_KEY_FILE` stands for `--key-file`, and
//! `generate --out` writes the man pages and completions that packages ship.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::process::{Command, Output};

fn till_server(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_till-server")).args(args).output().unwrap()
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Every subcommand and the flags it must keep (the service unit, scripts and docs use them).
const SUBCOMMANDS: &[(&str, &[&str])] = &[
    ("serve", &["--db", "--key-file", "--listen", "--tls-cert", "--tls-key", "--config", "TILL_SERVER_KEY_FILE"]),
    ("terminals add", &["--db", "--key-file", "--name", "--enrolment-code", "--store"]),
    ("terminals set-store", &["--db", "--key-file", "--id", "--store"]),
    ("terminals list", &["--db", "--key-file"]),
    ("terminals disable", &["--db", "--key-file", "--id"]),
    ("terminals enable", &["--db", "--key-file", "--id"]),
    ("refunds list", &["--db", "--key-file", "--status", "pending_seller_confirmation", "refunded", "rejected"]),
    ("refunds confirm", &["--db", "--key-file", "--id", "--by"]),
    ("refunds reject", &["--db", "--key-file", "--id", "--by"]),
    ("customers set-reputation", &["--db", "--key-file", "--id", "--score", "--merchant"]),
    ("stores add", &["--db", "--key-file", "STORE", "--merchant", "--name"]),
    ("stores list", &["--db", "--key-file"]),
    ("providers add", &["--db", "--key-file", "--name", "--account", "--endpoint", "--secret-file"]),
    ("providers list", &["--db", "--key-file"]),
    ("providers disable", &["--db", "--key-file", "--account"]),
    ("providers enable", &["--db", "--key-file", "--account"]),
    ("openapi", &[]),
    ("merchants add", &["--db", "--key-file", "NAME", "--store"]),
    ("merchants list", &["--db", "--key-file"]),
    ("merchants disable", &["--db", "--key-file", "--id"]),
    ("merchants enable", &["--db", "--key-file", "--id"]),
    ("catalogue import", &["--db", "--key-file", "FILE", "--merchant", "--currency"]),
    ("catalogue set-price", &["--db", "--key-file", "SKU", "PRICE", "--merchant"]),
    ("catalogue delete", &["--db", "--key-file", "SKU", "--merchant"]),
    ("catalogue list", &["--db", "--key-file", "--merchant", "--search", "--limit"]),
];

#[test]
fn help_on_every_subcommand_names_its_flags() {
    for (path, flags) in SUBCOMMANDS {
        let mut args: Vec<&str> = path.split(' ').collect();
        args.push("--help");
        let out = till_server(&args);
        assert!(out.status.success(), "{path} --help: {out:?}");
        let text = stdout(&out);
        assert!(text.contains(&format!("Usage: till-server {path}")), "{path}: {text}");
        for flag in *flags {
            assert!(text.contains(flag), "{path} --help does not name {flag}:\n{text}");
        }
    }
    let top = stdout(&till_server(&["--help"]));
    for sub in
        ["serve", "terminals", "refunds", "customers", "stores", "merchants", "catalogue", "providers", "openapi"]
    {
        assert!(top.contains(&format!("\n  {sub} ")), "till-server --help does not list {sub}:\n{top}");
    }
    assert!(!top.contains("generate"), "the packaging subcommand stays hidden:\n{top}");
}

#[test]
fn version_is_the_workspaces() {
    let manifest = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../Cargo.toml")).unwrap();
    let package = manifest.split("[workspace.package]").nth(1).unwrap();
    let version = package.lines().find_map(|l| l.strip_prefix("version = ")).unwrap().trim_matches('"');
    let out = till_server(&["--version"]);
    assert!(out.status.success());
    assert_eq!(stdout(&out).trim(), format!("till-server {version}"));
}

#[test]
fn a_wrong_flag_is_named_and_is_a_usage_error() {
    let out = till_server(&["terminals", "add", "--db", "x.db", "--nmae", "c"]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("'--nmae'") && err.contains("--name"), "{err}");
    let out = till_server(&["serve", "--db", "x.db"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--listen"), "{out:?}");
    let out = till_server(&["refunds", "list", "--db", "x.db", "--status", "lost"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("lost"), "{out:?}");
}

#[test]
fn the_key_file_comes_from_the_environment_when_not_given() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("s.db");
    let key = dir.path().join("elsewhere.key");
    let out = Command::new(env!("CARGO_BIN_EXE_till-server"))
        .args(["terminals", "add", "--db", db.to_str().unwrap(), "--name", "c"])
        .env("TILL_SERVER_KEY_FILE", &key)
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    assert!(key.exists(), "the key was made where TILL_SERVER_KEY_FILE says");
    assert!(!dir.path().join("s.db.key").exists(), "and not beside the database");
    // Without it, the database's key is looked for beside the database and is not there.
    let out = Command::new(env!("CARGO_BIN_EXE_till-server"))
        .args(["terminals", "list", "--db", db.to_str().unwrap()])
        .env_remove("TILL_SERVER_KEY_FILE")
        .output()
        .unwrap();
    assert!(!out.status.success(), "{out:?}");
    // --key-file names it too.
    let out = till_server(&["terminals", "list", "--db", db.to_str().unwrap(), "--key-file", key.to_str().unwrap()]);
    assert!(out.status.success(), "{out:?}");
}

#[test]
fn generate_writes_man_pages_and_completions() {
    let dir = tempfile::tempdir().unwrap();
    let out = till_server(&["generate", "--out", dir.path().to_str().unwrap()]);
    assert!(out.status.success(), "{out:?}");
    let man = dir.path().join("man");
    let mut names: Vec<String> =
        std::fs::read_dir(&man).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
    names.sort();
    assert_eq!(
        names,
        [
            "till-server-admins-add.1",
            "till-server-admins-disable.1",
            "till-server-admins-enable.1",
            "till-server-admins-list.1",
            "till-server-admins.1",
            "till-server-catalogue-delete.1",
            "till-server-catalogue-import.1",
            "till-server-catalogue-list.1",
            "till-server-catalogue-set-price.1",
            "till-server-catalogue.1",
            "till-server-customers-set-reputation.1",
            "till-server-customers.1",
            "till-server-merchants-add.1",
            "till-server-merchants-disable.1",
            "till-server-merchants-enable.1",
            "till-server-merchants-list.1",
            "till-server-merchants.1",
            "till-server-openapi.1",
            "till-server-providers-add.1",
            "till-server-providers-disable.1",
            "till-server-providers-enable.1",
            "till-server-providers-list.1",
            "till-server-providers.1",
            "till-server-refunds-confirm.1",
            "till-server-refunds-list.1",
            "till-server-refunds-reject.1",
            "till-server-refunds.1",
            "till-server-serve.1",
            "till-server-stores-add.1",
            "till-server-stores-list.1",
            "till-server-stores.1",
            "till-server-terminals-add.1",
            "till-server-terminals-disable.1",
            "till-server-terminals-enable.1",
            "till-server-terminals-list.1",
            "till-server-terminals-set-store.1",
            "till-server-terminals.1",
            "till-server.1",
        ]
    );
    for page in &names {
        let text = std::fs::read_to_string(man.join(page)).unwrap();
        let title = page.trim_end_matches(".1");
        assert!(text.starts_with(&format!(".TH {title} 1 ")), "{page} does not start with its title:\n{text}");
        assert!(text.contains("\n.SH NAME\n"), "{page}:\n{text}");
    }
    let top = std::fs::read_to_string(man.join("till-server.1")).unwrap();
    assert!(top.contains("till\\-server\\-serve(1)") && !top.contains("help(1)"), "{top}");
    let add = std::fs::read_to_string(man.join("till-server-terminals-add.1")).unwrap();
    assert!(add.contains("enrolment\\-code"), "{add}");

    let completions = dir.path().join("completions");
    let bash = std::fs::read_to_string(completions.join("till-server.bash")).unwrap();
    assert!(bash.contains("--enrolment-code"), "{bash}");
    let zsh = std::fs::read_to_string(completions.join("_till-server")).unwrap();
    assert!(zsh.starts_with("#compdef till-server"), "{zsh}");
    let fish = std::fs::read_to_string(completions.join("till-server.fish")).unwrap();
    assert!(fish.contains("complete -c till-server"), "{fish}");
}

#[test]
fn admins_add_reads_the_password_from_a_file_or_stdin_and_lists_no_hash() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("s.db");
    let pw = dir.path().join("pw");
    std::fs::write(&pw, "a long password\n").unwrap();
    let out = till_server(&[
        "admins",
        "add",
        "--db",
        db.to_str().unwrap(),
        "alice",
        "--merchant",
        "default",
        "--password-file",
        pw.to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{out:?}");
    // Not a terminal: the first line of standard input.
    let mut child = Command::new(env!("CARGO_BIN_EXE_till-server"))
        .args(["admins", "add", "--db", db.to_str().unwrap(), "bob", "--merchant", "north"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write;
    child.stdin.take().unwrap().write_all(b"another long one\n").unwrap();
    assert!(child.wait_with_output().unwrap().status.success());
    let short = Command::new(env!("CARGO_BIN_EXE_till-server"))
        .args(["admins", "add", "--db", db.to_str().unwrap(), "carol", "--merchant", "north"])
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap();
    assert!(!short.status.success(), "an empty password is refused");
    let list = till_server(&["admins", "list", "--db", db.to_str().unwrap()]);
    let text = String::from_utf8(list.stdout).unwrap();
    assert!(text.contains("\"alice\"") && text.contains("\"bob\"") && !text.contains("carol"), "{text}");
    assert!(!text.contains("argon2"), "no hash is listed: {text}");
    assert!(till_server(&["admins", "disable", "--db", db.to_str().unwrap(), "bob"]).status.success());
    assert!(!till_server(&["admins", "disable", "--db", db.to_str().unwrap(), "nobody"]).status.success());
}
