//! `tillctl`: Till from the command line, for installers, managers and developers.
//!
//! ```text
//! tillctl db check  --data-dir DIR      one line per check: integrity_check, audit chain,
//!                                       whole orders, order totals, line counts, payments,
//!                                       refunds within payments; exit 1 if any fails
//! tillctl users list --data-dir DIR   one line per user: id, role, active, name
//! tillctl users create-owner --data-dir DIR --name NAME
//!                                       make an owner, the PIN read from the first line of
//!                                       stdin (for a till that has none; see users.rs)
//! tillctl export --data-dir DIR --from YYYY-MM-DD --to YYYY-MM-DD [--kinds orders,lines,payments,refunds,points] [--out DIR]
//!                                       CSV files for those UTC days (--to inclusive; default
//!                                       all kinds, into DIR/exports); see docs/back-office.md
//! tillctl drill checkout --data-dir DIR  ring up and pay sales in a loop, printing
//!                                       "ACK <cart id> <order id>" after each commit
//!                                       (the crash test kills it at random moments)
//! tillctl seed --data-dir DIR --products N
//!                                       open a demo till there and add N synthetic products
//!                                       (to try the app with a big catalogue)
//! tillctl bench [--dir DIR] [--products N] [--checkouts N]
//!                                       measure fsync, checkout commit and catalogue search
//! tillctl card decode --format magtek-hid|magtek-magnesafe|idtech-enhanced|iso7813-text DATA
//!                                       parse one card reader report (hex, or the typed text
//!                                       for iso7813-text) and print it as JSON, masked
//! tillctl sim points-terminal [--serial] [--baud N] [--hold-pair] [--auto-present MS]
//! tillctl devices pair URI --key-file FILE [--json]
//! tillctl devices test URI --role points-terminal [--key-file FILE] [--json]
//! tillctl bench points [--rounds N]
//! tillctl bench payment [--rounds N]
//!                                       the loyalty points terminal: simulator, pairing, test,
//!                                       round-trip figures (see points.rs)
//! tillctl devices list [--json]        serial ports, HID devices and simulators, guessed roles
//! tillctl devices test URI --role card-reader [--driver D] [--timeout S] [--json]
//!                                       wait for a swipe and print the read, masked, or what
//!                                       is wrong (permission, no device, no swipe, bad LRC)
//! tillctl sim card-reader [--serial] [--card NAME] [--driver D]
//!                                       a simulated reader; --serial prints `pty: <path>` and
//!                                       takes `swipe [CARD]` / `fault KIND` / `cards` on stdin
//! tillctl bench devices [--reports N] [--swipes N]
//!                                       card report parse times, swipe-to-read latency
//! tillctl demo generate --data-dir DIR --orders N [--seed S] [--days D]
//!                                       a demo till with N orders of realistic history (4
//!                                       cashiers and a manager, PINs printed)
//! tillctl bench history --data-dir DIR [--rounds N]
//!                                       first-page latency and query plan of each history filter
//! tillctl bench login [--rounds N]      PIN hashing, verifying and login, argon2id library
//!                                       defaults against the till's parameters
//! tillctl sync status --data-dir DIR [--json]
//! tillctl sync run --data-dir DIR --url URL --terminal-id ID --secret-file FILE [--once]
//!                                       the outbox's delivery to the server (see sync.rs)
//! ```
//!
//! Test cards: visa, mastercard, unionpay, expired, pin, unreadable. Faults: garbage,
//! truncated, bad-lrc, silence, unplug. See `devices.rs` for the details.

mod bench;
mod bench_history;
mod bench_login;
mod bench_payment;
mod card;
mod demo_generate;
mod devices;
mod drill;
mod error;
mod export;
mod points;
mod sync;
mod users;

use error::CliError;
use std::path::PathBuf;

fn arg_value(args: &[String], name: &str) -> Option<String> {
    args.iter().position(|a| a == name).and_then(|i| args.get(i + 1)).cloned()
}

fn data_dir(args: &[String]) -> Result<PathBuf, CliError> {
    arg_value(args, "--data-dir").map(PathBuf::from).ok_or(CliError::Usage("--data-dir DIR is required"))
}

fn number(args: &[String], name: &str, default: usize) -> Result<usize, CliError> {
    match arg_value(args, name) {
        None => Ok(default),
        Some(v) => v.parse().map_err(|_| CliError::Usage("numbers must be positive integers")),
    }
}

fn run(args: &[String]) -> Result<(), CliError> {
    match args.iter().map(String::as_str).collect::<Vec<_>>().as_slice() {
        ["db", "check", ..] => drill::check(&data_dir(args)?),
        ["users", "list", ..] => users::list(&data_dir(args)?),
        ["users", "create-owner", ..] => {
            let name = arg_value(args, "--name").ok_or(CliError::Usage("--name NAME is required"))?;
            users::create_owner(&data_dir(args)?, &name, &mut std::io::stdin().lock())
        }
        ["export", ..] => export::run(args),
        ["drill", "checkout", ..] => drill::checkout_loop(&data_dir(args)?),
        ["seed", ..] => bench::seed(&data_dir(args)?, number(args, "--products", 300_000)?),
        ["card", "decode", ..] => {
            let format = arg_value(args, "--format").ok_or(CliError::Usage("--format is required"))?;
            // DATA is the one argument after `card decode` that is not --format or its value.
            let mut rest = args[2..].iter();
            let mut data = None;
            while let Some(a) = rest.next() {
                match a.as_str() {
                    "--format" => {
                        rest.next();
                    }
                    _ if data.is_none() => data = Some(a),
                    _ => return Err(CliError::Usage("card decode takes one DATA argument")),
                }
            }
            let data = data.ok_or(CliError::Usage("DATA is required"))?;
            println!("{}", card::decode(&format, data)?);
            Ok(())
        }
        ["devices", "list", ..] => devices::list(args),
        ["devices", "test", ..] if arg_value(args, "--role").as_deref() == Some("card-reader") => {
            devices::test_card_reader(args)
        }
        ["sim", "card-reader", ..] => devices::sim_card_reader(args),
        ["bench", "devices", ..] => devices::bench(args),
        ["sim", "points-terminal", ..] => points::sim(args),
        ["devices", "pair", ..] => points::pair(args),
        ["devices", "test", ..] if arg_value(args, "--role").as_deref() == Some("points-terminal") => points::test(args),
        ["sync", "status", ..] => sync::status(args),
        ["sync", "run", ..] => sync::run(args),
        ["bench", "points", ..] => points::bench(number(args, "--rounds", 200)?),
        ["demo", "generate", ..] => demo_generate::run(
            &data_dir(args)?,
            number(args, "--orders", 0)? as u64,
            number(args, "--seed", 1)? as u64,
            number(args, "--days", 730)? as u32,
        ),
        ["bench", "history", ..] => bench_history::run(&data_dir(args)?, number(args, "--rounds", 50)?),
        ["bench", "payment", ..] => bench_payment::run(number(args, "--rounds", 200)?),
        ["bench", "login", ..] => bench_login::run(number(args, "--rounds", 20)?),
        ["bench", ..] => bench::run(
            arg_value(args, "--dir").map(PathBuf::from),
            number(args, "--products", 300_000)?,
            number(args, "--checkouts", 2_000)?,
        ),
        _ => Err(CliError::Usage("usage: tillctl db check --data-dir DIR | users list --data-dir DIR | users create-owner --data-dir DIR --name NAME (PIN on stdin) | export --data-dir DIR --from YYYY-MM-DD --to YYYY-MM-DD [--kinds K,K] [--out DIR] | drill checkout --data-dir DIR | seed --data-dir DIR --products N | bench [--dir DIR] [--products N] [--checkouts N] | card decode --format FORMAT DATA | devices list [--json] | devices test URI --role card-reader [--driver D] [--timeout S] [--json] | sim card-reader [--serial] [--card NAME] [--driver D] | bench devices | sim points-terminal [--serial] | devices pair URI --key-file FILE | devices test URI --role points-terminal [--key-file FILE] [--json] | bench points [--rounds N] | bench payment [--rounds N] | demo generate --data-dir DIR --orders N [--seed S] [--days D] | bench history --data-dir DIR [--rounds N] | bench login [--rounds N] | sync status --data-dir DIR [--json] | sync run --data-dir DIR --url URL --terminal-id ID --secret-file FILE [--once]")),
    }
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if let Err(e) = run(&args) {
        eprintln!("tillctl: {e}");
        std::process::exit(match e {
            CliError::Usage(_) => 2,
            _ => 1,
        });
    }
}
