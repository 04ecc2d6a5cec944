//! `tillctl sync status` and `tillctl sync run`: the sync engine (till-sync) from the command
//! line, for installers.
//!
//! ```text
//! tillctl sync status --data-dir DIR [--json]
//!     online/offline as the worker last saw it, pending count, oldest pending age, last error,
//!     and the parked events with their reasons
//! tillctl sync run --data-dir DIR --url URL --terminal-id ID --secret-file FILE [--once]
//!                  [--store NAME] [--batch N] [--one-by-one] [--timeout-ms N] [--ca-file PEM]
//!                  [--pin-sha256 FINGERPRINT]
//!     drain the outbox to the server; with --once stop when nothing is due, else keep going
//!     (one line per round on stdout: `ROUND claimed=.. done=.. retried=.. parked=..`)
//! ```
//!
//! The URL is `https://` (plain `http://` only to this computer: 127.0.0.1, ::1, localhost).
//! `--ca-file` trusts the PEM certificates in that file instead of the system's roots (a shop's
//! own server with a private CA or a self-signed certificate); `--pin-sha256` accepts only the
//! server certificate with that SHA-256 fingerprint (as `openssl x509 -noout -fingerprint
//! -sha256` prints it). Every answer must carry the server's answer signature, or it is retried.
//! The secret file holds the 64 hex digits `till-server terminals add` printed. Only one worker
//! may run per database (the app's or this one): `sync run` first releases claims a previous run
//! left behind.

use crate::cli::SyncRunArgs;
use crate::error::CliError;
use rand::SeedableRng;
use std::io::Write;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;
use till_client::Secret;
use till_core::{Clock, SystemClock};
use till_store::Store;
use till_sync::{Delivery, SyncConfig, SyncError, Syncer};

fn cli(e: SyncError) -> CliError {
    match e {
        SyncError::Store(s) => CliError::Store(s),
        other => CliError::Io(std::io::Error::other(other.to_string())),
    }
}

fn open(dir: &Path) -> Result<Arc<Store>, CliError> {
    Ok(Arc::new(Store::open(&dir.join("till.db"))?))
}

/// `tillctl sync status`.
pub fn status(dir: &Path, json: bool) -> Result<(), CliError> {
    let store = open(dir)?;
    let s = till_sync::read_status(&store, SystemClock.now_ms(), None).map_err(cli)?;
    let parked = store.parked_events()?;
    if json {
        let parked: Vec<_> = parked
            .iter()
            .map(|p| {
                serde_json::json!({ "id": p.id, "kind": p.kind, "subject": p.subject, "attempts": p.attempts,
                                    "reason": p.reason, "created_at_ms": p.created_at_ms, "parked_at_ms": p.parked_at_ms })
            })
            .collect();
        let mut v = serde_json::to_value(&s).map_err(|e| CliError::Io(std::io::Error::other(e)))?;
        v["parked_events"] = serde_json::Value::Array(parked);
        println!("{v}");
    } else {
        println!("{}", s.summary());
        for p in &parked {
            println!("parked {} {} {} after {} attempt(s): {}", p.id, p.kind, p.subject, p.attempts, p.reason);
        }
    }
    Ok(())
}

/// `tillctl sync run`.
pub fn run(args: &SyncRunArgs) -> Result<(), CliError> {
    let store = open(&args.dir.data_dir)?;
    let secret = Secret::from_hex(&std::fs::read_to_string(&args.secret_file)?).map_err(|e| cli(e.into()))?;
    let mut config = SyncConfig::new(&args.url, &args.terminal_id, secret);
    if let Some(name) = &args.store {
        config.store_name = name.clone();
    }
    config.batch_size = args.batch.unwrap_or(config.batch_size);
    config.request_timeout = Duration::from_millis(args.timeout_ms);
    config.lease = config.request_timeout * 6;
    if let Some(ca) = &args.ca_file {
        config.trusted_roots_pem = Some(std::fs::read(ca)?);
    }
    if let Some(pin) = &args.pin_sha256 {
        config.pinned_cert = Some(till_client::CertPin::parse(pin).map_err(|e| cli(e.into()))?);
    }
    if args.one_by_one {
        config.delivery = Delivery::OneByOne;
    }
    let idle = config.idle_poll;
    let once = args.once;
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    // Sold devices are named by their blind: the platform's key is fetched once. Without it,
    // events naming a device wait (a sale is never sent with an identifier in clear).
    let client = till_client::Client::new(till_client::ClientConfig::from(&config)).map_err(|e| cli(e.into()))?;
    let mut rng = rand::rngs::StdRng::from_entropy();
    match till_sync::device_keys::fetch_key(
        &client,
        &args.terminal_id,
        config.secret.bytes(),
        clock.now_unix(),
        &mut rng,
    ) {
        Ok(key) => config.device_keys = Some(till_sync::DeviceKeys(Arc::new(move || Some(key.clone())))),
        Err(e) => eprintln!("tillctl: no device identifier key from the platform ({e}); sales of devices wait"),
    }
    let mut syncer =
        Syncer::new(store.clone(), config, clock.clone(), Box::new(rand::rngs::StdRng::from_entropy())).map_err(cli)?;
    syncer.recover().map_err(cli)?;
    let mut out = std::io::stdout().lock();
    loop {
        let r = syncer.round().map_err(cli)?;
        if r.claimed > 0 {
            writeln!(out, "ROUND claimed={} done={} retried={} parked={}", r.claimed, r.done, r.retried, r.parked)?;
            out.flush()?;
            continue;
        }
        if once {
            break;
        }
        let wait = match store.next_due_at()? {
            Some(due) => Duration::from_millis(due.saturating_sub(clock.now_ms()).max(1) as u64).min(idle),
            None => idle,
        };
        std::thread::sleep(wait);
    }
    let s = syncer.status().map_err(cli)?;
    writeln!(out, "{}", s.summary())?;
    Ok(())
}
