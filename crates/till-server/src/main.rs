//! `till-server`: run Till's reference remote server and administer it.
//!
//! ```text
//! till-server serve --db FILE --listen 127.0.0.1:PORT [--tls-cert F --tls-key F] [--config FILE]
//! till-server terminals add --db FILE --name NAME      prints {"terminal_id", "secret", "name"} once
//! till-server terminals list --db FILE
//! till-server terminals disable|enable --db FILE --id TERMINAL_ID
//! till-server refunds list --db FILE [--status pending_seller_confirmation|refunded|rejected]
//! till-server refunds confirm --db FILE --id REFUND_ID [--by NAME]
//! till-server refunds reject --db FILE --id REFUND_ID [--by NAME]
//! till-server customers set-reputation --db FILE --id CUSTOMER_ID --score N
//! till-server openapi                                   prints the OpenAPI document
//! ```
//!
//! Every command that takes `--db` also takes `--key-file FILE` (or `TILL_SERVER_KEY_FILE`): the
//! server key that seals the secrets in the database; by default `<db>.key` beside it, made
//! (mode 0600) at the first start.

use std::collections::HashMap;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use till_core::{Clock, SystemClock};
use till_server::admin;
use till_server::clock::OsEntropy;
use till_server::config::Config;
use till_server::repo::sqlite::{SqliteRepository, StorageOptions};
use till_server::server::{serve, TlsFiles};
use till_server::state::AppState;

const USAGE: &str = "usage:
  till-server serve --db FILE --listen ADDR:PORT [--tls-cert FILE --tls-key FILE] [--config FILE]
  till-server terminals add --db FILE --name NAME
  till-server terminals list --db FILE
  till-server terminals disable|enable --db FILE --id TERMINAL_ID
  till-server refunds list --db FILE [--status STATUS]
  till-server refunds confirm --db FILE --id REFUND_ID [--by NAME]
  till-server refunds reject --db FILE --id REFUND_ID [--by NAME]
  till-server customers set-reputation --db FILE --id CUSTOMER_ID --score N
  till-server openapi
every command with --db also takes --key-file FILE (default: the database's path + .key; or
TILL_SERVER_KEY_FILE)";

/// `--name value` pairs after the subcommand words.
fn flags(args: &[String]) -> Result<HashMap<String, String>, String> {
    let mut out = HashMap::new();
    let mut it = args.iter();
    while let Some(flag) = it.next() {
        let name = flag.strip_prefix("--").ok_or_else(|| format!("unexpected argument {flag:?}"))?;
        let value = it.next().ok_or_else(|| format!("--{name} needs a value"))?;
        out.insert(name.to_string(), value.clone());
    }
    Ok(out)
}

fn need<'a>(f: &'a HashMap<String, String>, name: &str) -> Result<&'a str, String> {
    f.get(name).map(String::as_str).ok_or_else(|| format!("--{name} is required"))
}

fn open(f: &HashMap<String, String>) -> Result<Arc<SqliteRepository>, String> {
    open_with(f, StorageOptions::default().read_connections)
}

/// Opens the database with its key file: `--key-file`, else `TILL_SERVER_KEY_FILE`, else beside
/// the database.
fn open_with(f: &HashMap<String, String>, read_connections: usize) -> Result<Arc<SqliteRepository>, String> {
    let db = need(f, "db")?;
    let key_file = f.get("key-file").cloned().or_else(|| std::env::var("TILL_SERVER_KEY_FILE").ok()).map(PathBuf::from);
    let options = StorageOptions { key_file, read_connections };
    SqliteRepository::open_with(db.as_ref(), &options).map(Arc::new).map_err(|e| format!("cannot open {db}: {e}"))
}

fn print_json<T: serde::Serialize>(v: &T) -> Result<(), String> {
    println!("{}", serde_json::to_string_pretty(v).map_err(|e| e.to_string())?);
    Ok(())
}

fn run(args: &[String]) -> Result<(), String> {
    let words: Vec<&str> = args.iter().map(String::as_str).take_while(|a| !a.starts_with("--")).collect();
    let f = flags(&args[words.len()..])?;
    match words.as_slice() {
        ["serve"] => serve_command(&f),
        ["terminals", "add"] => {
            let t = admin::add_terminal(&*open(&f)?, need(&f, "name")?, &SystemClock, &OsEntropy)
                .map_err(|e| e.to_string())?;
            print_json(&t)
        }
        ["terminals", verb @ ("disable" | "enable")] => {
            admin::set_terminal_disabled(&*open(&f)?, need(&f, "id")?, *verb == "disable").map_err(|e| e.to_string())
        }
        ["terminals", "list"] => print_json(&admin::list_terminals(&*open(&f)?).map_err(|e| e.to_string())?),
        ["refunds", "list"] => {
            let refunds =
                admin::list_refunds(&*open(&f)?, f.get("status").map(String::as_str)).map_err(|e| e.to_string())?;
            let rows: Vec<_> = refunds
                .iter()
                .map(|r| {
                    serde_json::json!({
                        "refund_id": r.refund_id, "status": r.status, "line_code": r.line_code,
                        "device_identifier": r.device_identifier, "amount": {"minor": r.amount_minor, "currency": r.currency},
                        "reason": r.reason, "evidence_sha256": r.evidence_sha256, "customer_id": r.customer_id, "approved_by": r.approved_by,
                        "original_auth_code": r.original_auth_code,
                        "reputation": r.reputation, "refund_to": r.refund_to, "created_at": r.created_at,
                        "decided_at": r.decided_at, "decided_by": r.decided_by,
                    })
                })
                .collect();
            print_json(&rows)
        }
        ["refunds", verb @ ("confirm" | "reject")] => {
            let by = f.get("by").map_or("seller", String::as_str);
            let r = till_server::routes::refunds::decide(
                &*open(&f)?,
                need(&f, "id")?,
                *verb == "confirm",
                by,
                SystemClock.now_unix(),
            )
            .map_err(|e| e.to_string())?;
            print_json(&till_server::routes::refunds::RefundResponse::from(&r))
        }
        ["customers", "set-reputation"] => {
            let score: i64 = need(&f, "score")?.parse().map_err(|_| "--score is a whole number".to_string())?;
            admin::set_reputation(&*open(&f)?, need(&f, "id")?, score).map_err(|e| e.to_string())
        }
        ["openapi"] => {
            print!("{}", till_server::openapi::json());
            Ok(())
        }
        _ => Err(USAGE.to_string()),
    }
}

fn serve_command(f: &HashMap<String, String>) -> Result<(), String> {
    let config = match f.get("config") {
        Some(path) => {
            let text = std::fs::read_to_string(path).map_err(|e| format!("cannot read {path}: {e}"))?;
            Config::from_json(&text).map_err(|e| format!("{path}: {e}"))?
        }
        None => Config::default(),
    };
    let tls = match (f.get("tls-cert"), f.get("tls-key")) {
        (Some(cert), Some(key)) => Some(TlsFiles { cert: PathBuf::from(cert), key: PathBuf::from(key) }),
        (None, None) => None,
        _ => return Err("--tls-cert and --tls-key go together".into()),
    };
    let listen = need(f, "listen")?;
    let repo = open_with(f, config.limits.read_connections)?;
    let listener = std::net::TcpListener::bind(listen).map_err(|e| format!("cannot listen on {listen}: {e}"))?;
    let addr = listener.local_addr().map_err(|e| e.to_string())?;
    let state = AppState::new(repo, Arc::new(SystemClock), Arc::new(OsEntropy), config);
    let runtime = tokio::runtime::Runtime::new().map_err(|e| e.to_string())?;
    let scheme = if tls.is_some() { "https" } else { "http" };
    eprintln!("till-server: SANDBOX payment platform; listening on {scheme}://{addr}");
    runtime.block_on(serve(listener, state, tls, shutdown_signal())).map_err(|e| e.to_string())
}

/// Ctrl-C or SIGTERM (what a service manager sends): stop accepting and finish open requests.
async fn shutdown_signal() {
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            // Without a SIGTERM handler, Ctrl-C still works.
            Err(_) => std::future::pending::<()>().await,
        }
    };
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        _ = term => {}
    }
}

fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
        .with_writer(std::io::stderr)
        .init();
    let args: Vec<String> = std::env::args().skip(1).collect();
    match run(&args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("till-server: {e}");
            ExitCode::FAILURE
        }
    }
}
