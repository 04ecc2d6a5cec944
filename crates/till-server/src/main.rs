//! `till-server`: run Till's reference remote server and administer it.
//!
//! ```text
//! till-server serve --db FILE --listen 127.0.0.1:PORT [--tls-cert F --tls-key F] [--config FILE]
//! till-server terminals add --db FILE --name NAME      prints {"terminal_id", "secret", "name"} once
//! till-server terminals add --db FILE --name NAME --enrolment-code
//!                                                       prints {"terminal_id", "name", "enrolment_code",
//!                                                       "expires_at"}: a one-time code, valid 24 h, that
//!                                                       the till exchanges for its secret (no secret shown)
//! till-server terminals add ... --store STORE           the till's store (default main): it sees that
//!                                                       store's pending orders
//! till-server terminals set-store --db FILE --id TERMINAL_ID --store STORE
//! till-server terminals list --db FILE
//! till-server terminals disable|enable --db FILE --id TERMINAL_ID
//! till-server refunds list --db FILE [--status pending_seller_confirmation|refunded|rejected]
//! till-server refunds confirm --db FILE --id REFUND_ID [--by NAME]
//! till-server refunds reject --db FILE --id REFUND_ID [--by NAME]
//! till-server customers set-reputation --db FILE --id CUSTOMER_ID --score N [--merchant ID]
//! till-server stores add --db FILE STORE --merchant ID --name NAME   a store of a merchant (a chain)
//! till-server stores list --db FILE
//! till-server merchants add --db FILE NAME [--store STORE]   prints {"merchant_id", "name", "store",
//!                                                       "api_key"} once (orders pending collection)
//! till-server merchants list --db FILE
//! till-server merchants disable|enable --db FILE --id MERCHANT_ID
//! till-server catalogue import --db FILE CSV [--merchant M] [--currency CNY]
//!                                                       prints {"created", "updated", "unchanged"}
//! till-server catalogue set-price --db FILE SKU PRICE [--merchant M]
//! till-server catalogue delete --db FILE SKU [--merchant M]
//! till-server catalogue list --db FILE [--merchant M] [--search TEXT] [--limit N]
//! till-server providers add --db FILE --name NAME --account ID --endpoint URL --secret-file FILE
//! till-server providers list --db FILE
//! till-server providers disable|enable --db FILE --account ID
//! till-server admins add --db FILE USER --merchant MERCHANT [--password-file FILE]
//!                                                       an HQ console admin (password asked twice
//!                                                       without echo, or the first line of stdin)
//! till-server admins list --db FILE
//! till-server admins disable|enable --db FILE USER
//! till-server openapi                                   prints the OpenAPI document
//! ```
//!
//! Every command that takes `--db FILE` takes `--database postgres://USER:PASSWORD@HOST/DB` (or
//! `TILL_SERVER_DATABASE`) instead, for a PostgreSQL database (docs/postgres.md), and
//! `--key-file FILE` (or `TILL_SERVER_KEY_FILE`): the server key that seals the secrets in the
//! database; for `--db` by default `<db>.key` beside it, made (mode 0600) at the first start;
//! required with `--database`. `--help` on any subcommand says the same per flag (cli.rs);
//! the man pages and completions come from it (`till-server generate --out DIR`, the till-cli-docs crate).

mod cli;
mod password_prompt;

use clap::{CommandFactory, Parser};
use cli::{
    AdminsCommand, CatalogueCommand, Cli, Command, CustomersCommand, DbArgs, MerchantsCommand, ProvidersCommand,
    RefundsCommand, ServeArgs, StoresCommand, TerminalsCommand,
};
use std::process::ExitCode;
use std::sync::Arc;
use till_core::{Clock, SystemClock};
use till_server::admin;
use till_server::clock::OsEntropy;
use till_server::config::Config;
use till_server::merchants;
use till_server::repo::postgres::PostgresRepository;
use till_server::repo::sqlite::SqliteRepository;
use till_server::repo::{Repository, StorageOptions};
use till_server::scope;
use till_server::server::{serve, TlsFiles};
use till_server::state::AppState;

fn open(db: &DbArgs) -> Result<Arc<dyn Repository>, String> {
    open_with(db, StorageOptions::default())
}

/// Opens the database with its key file: `--key-file`, else `TILL_SERVER_KEY_FILE` (clap reads
/// both into `key_file`), else beside a SQLite database. A PostgreSQL server that cannot be
/// reached ends the command with its error (and exit status 1).
fn open_with(db: &DbArgs, options: StorageOptions) -> Result<Arc<dyn Repository>, String> {
    let options = StorageOptions { key_file: db.key_file.clone(), ..options };
    match (&db.db, &db.database) {
        (Some(path), None) => SqliteRepository::open_with(path, &options)
            .map(|r| Arc::new(r) as Arc<dyn Repository>)
            .map_err(|e| format!("cannot open {}: {e}", path.display())),
        (None, Some(url)) => PostgresRepository::open(url, &options)
            .map(|r| Arc::new(r) as Arc<dyn Repository>)
            .map_err(|e| format!("cannot open the PostgreSQL database: {e}")),
        // clap's group allows exactly one.
        _ => Err("give either --db FILE or --database URL".into()),
    }
}

fn print_json<T: serde::Serialize>(v: &T) -> Result<(), String> {
    println!("{}", serde_json::to_string_pretty(v).map_err(|e| e.to_string())?);
    Ok(())
}

fn run(cli: Cli) -> Result<(), String> {
    match cli.command {
        Command::Serve(args) => serve_command(&args),
        Command::Terminals(TerminalsCommand::Add { db, name, enrolment_code: false, store }) => {
            let repo = open(&db)?;
            merchants::check_store(&store).map_err(|e| e.to_string())?;
            let t = admin::add_terminal(&*repo, &name, &SystemClock, &OsEntropy).map_err(|e| e.to_string())?;
            merchants::set_terminal_store(&*repo, &t.terminal_id, &store).map_err(|e| e.to_string())?;
            print_json(&scope::with_scope(&*repo, &t, &t.terminal_id).map_err(|e| e.to_string())?)
        }
        Command::Terminals(TerminalsCommand::Add { db, name, enrolment_code: true, store }) => {
            let repo = open(&db)?;
            merchants::check_store(&store).map_err(|e| e.to_string())?;
            let e =
                till_server::enrolment::issue(&*repo, &name, &SystemClock, &OsEntropy).map_err(|e| e.to_string())?;
            merchants::set_terminal_store(&*repo, &e.terminal_id, &store).map_err(|e| e.to_string())?;
            print_json(&scope::with_scope(&*repo, &e, &e.terminal_id).map_err(|e| e.to_string())?)
        }
        Command::Terminals(TerminalsCommand::SetStore { db, id, store }) => {
            let repo = open(&db)?;
            merchants::set_terminal_store(&*repo, &id, &store).map_err(|e| e.to_string())?;
            print_json(&scope::terminal_scope(&*repo, &id).map_err(|e| e.to_string())?)
        }
        Command::Stores(StoresCommand::Add { db, store, merchant, name }) => print_json(
            &scope::add_store(&*open(&db)?, &store, &merchant, &name, SystemClock.now_unix())
                .map_err(|e| e.to_string())?,
        ),
        Command::Stores(StoresCommand::List(db)) => {
            print_json(&scope::list_stores(&*open(&db)?).map_err(|e| e.to_string())?)
        }
        Command::Merchants(m) => merchants_command(m),
        Command::Admins(a) => admins_command(a),
        Command::Terminals(TerminalsCommand::Disable(t)) => {
            admin::set_terminal_disabled(&*open(&t.db)?, &t.id, true).map_err(|e| e.to_string())
        }
        Command::Terminals(TerminalsCommand::Enable(t)) => {
            admin::set_terminal_disabled(&*open(&t.db)?, &t.id, false).map_err(|e| e.to_string())
        }
        Command::Terminals(TerminalsCommand::List(db)) => {
            print_json(&admin::list_terminals(&*open(&db)?).map_err(|e| e.to_string())?)
        }
        Command::Refunds(RefundsCommand::List { db, status, merchant }) => {
            let repo = open(&db)?;
            let status = status.map(|s| s.as_str());
            let refunds = match &merchant {
                Some(m) => admin::list_merchant_refunds(&*repo, status, m),
                None => admin::list_refunds(&*repo, status),
            }
            .map_err(|e| e.to_string())?;
            // The seller reads the device's identifier: opened here from its sealed form.
            let identifiers =
                till_server::routes::device_services::identifiers_of(&*repo, &refunds).map_err(|e| e.to_string())?;
            let rows: Vec<_> = refunds
                .iter()
                .zip(&identifiers)
                .map(|(r, identifier)| {
                    serde_json::json!({
                        "refund_id": r.refund_id, "status": r.status, "line_code": r.line_code,
                        "device_identifier": identifier, "amount": {"minor": r.amount_minor, "currency": r.currency},
                        "reason": r.reason, "evidence_sha256": r.evidence_sha256, "customer_id": r.customer_id, "approved_by": r.approved_by, "terminal_id": r.terminal_id,
                        "original_auth_code": r.original_auth_code,
                        "reputation": r.reputation, "refund_to": r.refund_to, "created_at": r.created_at,
                        "decided_at": r.decided_at, "decided_by": r.decided_by,
                    })
                })
                .collect();
            print_json(&rows)
        }
        Command::Refunds(RefundsCommand::Confirm(d)) => decide(d, true),
        Command::Refunds(RefundsCommand::Reject(d)) => decide(d, false),
        Command::Customers(CustomersCommand::SetReputation { db, id, score, merchant }) => {
            scope::set_reputation(&*open(&db)?, &merchant, &id, score).map_err(|e| e.to_string())
        }
        Command::Catalogue(c) => catalogue_command(c),
        Command::Providers(p) => providers(p),
        Command::Openapi => {
            print!("{}", till_server::openapi::json());
            Ok(())
        }
        Command::Generate { out } => {
            let written = till_cli_docs::write_all(Cli::command(), &out).map_err(|e| e.to_string())?;
            for path in written {
                println!("{}", path.display());
            }
            Ok(())
        }
    }
}

/// `till-server merchants ...`.
fn merchants_command(command: MerchantsCommand) -> Result<(), String> {
    let err = |e: till_server::error::ApiError| e.to_string();
    match command {
        MerchantsCommand::Add { db, name, store } => {
            print_json(&merchants::add_merchant(&*open(&db)?, &name, &store, &SystemClock, &OsEntropy).map_err(err)?)
        }
        MerchantsCommand::List(db) => print_json(&merchants::list_merchants(&*open(&db)?).map_err(err)?),
        MerchantsCommand::Disable(m) => merchants::set_merchant_disabled(&*open(&m.db)?, &m.id, true).map_err(err),
        MerchantsCommand::Enable(m) => merchants::set_merchant_disabled(&*open(&m.db)?, &m.id, false).map_err(err),
    }
}

/// `till-server catalogue ...` (till_server::catalogue).
fn catalogue_command(command: CatalogueCommand) -> Result<(), String> {
    use till_server::catalogue as c;
    let e = |e: till_server::error::ApiError| e.to_string();
    let now = SystemClock.now_unix();
    match command {
        CatalogueCommand::Import { db, file, merchant, currency } => {
            let currency = till_core::Currency::parse(&currency).map_err(|e| e.to_string())?;
            let bytes = std::fs::read(&file).map_err(|e| format!("cannot read {}: {e}", file.display()))?;
            print_json(&c::import::import_csv(&*open(&db)?, &merchant, &bytes, currency, now).map_err(e)?)
        }
        CatalogueCommand::SetPrice { db, sku, price, merchant } => {
            let (product, written) = c::set_price(&*open(&db)?, &merchant, &sku, &price, now).map_err(e)?;
            print_json(&serde_json::json!({ "product": product, "written": written }))
        }
        CatalogueCommand::Delete { db, sku, merchant } => {
            let repo = open(&db)?;
            let mut tx = till_server::repo::Repository::begin(&*repo).map_err(|x| x.to_string())?;
            if !c::delete_product(&mut *tx, &merchant, &sku, now).map_err(e)? {
                return Err(format!("no product {sku} in the catalogue of {merchant}"));
            }
            tx.commit().map_err(|x| x.to_string())
        }
        CatalogueCommand::List { db, merchant, search, limit } => {
            let repo = open(&db)?;
            let mut tx = till_server::repo::Repository::read(&*repo).map_err(|x| x.to_string())?;
            print_json(&c::list_products(&mut *tx, &merchant, search.as_deref(), limit, 0).map_err(e)?)
        }
    }
}

/// `till-server providers ...` (till_server::services::providers).
/// `till-server admins ...`.
fn admins_command(command: AdminsCommand) -> Result<(), String> {
    use till_server::console::admins;
    let err = |e: till_server::error::ApiError| e.to_string();
    match command {
        AdminsCommand::Add { db, username, merchant, password_file } => {
            // Checked before the password is asked, so a typo does not cost typing it twice.
            admins::check_username(&username).map_err(err)?;
            let password = password_prompt::read_password(password_file.as_deref())?;
            let repo = open(&db)?;
            print_json(
                &admins::add_admin(&*repo, &username, &merchant, &password, &SystemClock, &OsEntropy).map_err(err)?,
            )
        }
        AdminsCommand::List(db) => print_json(&admins::list_admins(&*open(&db)?).map_err(err)?),
        AdminsCommand::Disable(a) => {
            admins::set_admin_disabled(&*open(&a.db)?, &a.username, true, &SystemClock).map_err(err)
        }
        AdminsCommand::Enable(a) => {
            admins::set_admin_disabled(&*open(&a.db)?, &a.username, false, &SystemClock).map_err(err)
        }
    }
}

fn providers(command: ProvidersCommand) -> Result<(), String> {
    use till_server::services::providers as p;
    let e = |e: till_server::error::ApiError| e.to_string();
    match command {
        ProvidersCommand::Add { db, name, account, endpoint, secret_file } => {
            let secret = p::read_secret_file(&secret_file).map_err(e)?;
            print_json(&p::add(&*open(&db)?, &name, &account, &endpoint, &secret, SystemClock.now_unix()).map_err(e)?)
        }
        ProvidersCommand::List(db) => print_json(&p::list(&*open(&db)?).map_err(e)?),
        ProvidersCommand::Disable(a) => p::set_disabled(&*open(&a.db)?, &a.account, true).map_err(e),
        ProvidersCommand::Enable(a) => p::set_disabled(&*open(&a.db)?, &a.account, false).map_err(e),
    }
}

/// A seller's decision on a pending refund.
fn decide(d: cli::RefundDecision, confirm: bool) -> Result<(), String> {
    let r = till_server::routes::refunds::decide(&*open(&d.db)?, &d.id, confirm, &d.by, SystemClock.now_unix())
        .map_err(|e| e.to_string())?;
    print_json(&till_server::routes::refunds::RefundResponse::from(&r))
}

fn serve_command(args: &ServeArgs) -> Result<(), String> {
    let config = match &args.config {
        Some(path) => {
            let text = std::fs::read_to_string(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
            Config::from_json(&text).map_err(|e| format!("{}: {e}", path.display()))?
        }
        None => Config::default(),
    };
    let tls = match (&args.tls_cert, &args.tls_key) {
        (Some(cert), Some(key)) => Some(TlsFiles { cert: cert.clone(), key: key.clone() }),
        (None, None) => None,
        _ => return Err("--tls-cert and --tls-key go together".into()),
    };
    let listen = args.listen.as_str();
    let options = StorageOptions {
        read_connections: config.limits.read_connections,
        database_connections: config.limits.database_connections,
        ..StorageOptions::default()
    };
    let repo = open_with(&args.db, options)?;
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
    // Clap prints help and version and exits 0, or names the wrong argument and exits 2.
    let cli = Cli::parse();
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("till-server: {e}");
            ExitCode::FAILURE
        }
    }
}
