//! `till-provider`: Till's reference service provider.
//!
//! ```text
//! till-provider serve --listen 127.0.0.1:8700 --account demo-services --secret-file FILE \
//!                     [--table responses.toml] [--paid-log FILE]
//! till-provider check --table responses.toml      checks a table, prints its rules' states
//! ```

use clap::{Parser, Subcommand};
use std::path::PathBuf;
use std::process::ExitCode;
use till_provider::{Provider, ProviderConfig};

/// Till's reference service provider: answers the service platform's relayed requests from a
/// table of response contents.
#[derive(Debug, Parser)]
#[command(name = "till-provider", version, max_term_width = 100)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Answer the platform's requests until Ctrl-C or SIGTERM.
    Serve {
        /// Address to listen on; register http://ADDR/relay on the platform.
        #[arg(long, value_name = "ADDR:PORT", default_value = "127.0.0.1:8700")]
        listen: String,
        /// The public account id registered on the platform (`till-server providers add --account`).
        #[arg(long, value_name = "ID")]
        account: String,
        /// The shared secret, the same file given to `till-server providers add --secret-file`.
        #[arg(long, value_name = "FILE")]
        secret_file: PathBuf,
        /// The table of response contents.
        #[arg(long, value_name = "FILE", default_value = "crates/till-provider/responses.toml")]
        table: PathBuf,
        /// Keep the paid notices in this file (JSON lines), so a restart records none twice.
        #[arg(long, value_name = "FILE")]
        paid_log: Option<PathBuf>,
    },
    /// Check a table of response contents and list its rules.
    Check {
        /// The table.
        #[arg(long, value_name = "FILE")]
        table: PathBuf,
    },
}

fn run(cli: Cli) -> Result<(), String> {
    match cli.command {
        Command::Serve { listen, account, secret_file, table, paid_log } => {
            let config =
                ProviderConfig::from_files(&account, &secret_file, &table, paid_log).map_err(|e| e.to_string())?;
            let running = Provider::start(config, &listen).map_err(|e| e.to_string())?;
            eprintln!("till-provider: account {account}, endpoint {}", running.endpoint());
            let runtime =
                tokio::runtime::Builder::new_current_thread().enable_all().build().map_err(|e| e.to_string())?;
            runtime.block_on(shutdown_signal());
            drop(running);
            Ok(())
        }
        Command::Check { table } => {
            let t = till_provider::table::Table::load(&table).map_err(|e| e.to_string())?;
            println!("{}: {} rules, currency {}", t.name, t.rules.len(), t.currency.code());
            for (i, r) in t.rules.iter().enumerate() {
                let next = r.next.as_deref().unwrap_or("(stays)");
                let pay = if r.amount.is_some() { " + amount" } else { "" };
                let done = if r.done { " done" } else { "" };
                println!("{:>3}. {} -> {next}{pay}{done}: {}", i + 1, r.state, r.pattern.as_str());
            }
            Ok(())
        }
    }
}

async fn shutdown_signal() {
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
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
    match run(Cli::parse()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("till-provider: {e}");
            ExitCode::FAILURE
        }
    }
}
