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
//! tillctl sim printer --tcp HOST:PORT | --pty [--out DIR] [--width 58|80] [--fail F] [--slow MS]
//!                                       a simulated receipt printer and drawer (see sim_printer.rs)
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
//! tillctl devices assign --data-dir DIR URI --role R --driver D [--baud N] [--paper 58|80] [--code-page CP]
//!                                       set up a role's device in the till's database (audited)
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
//! tillctl backup --data-dir DIR --out FILE
//!                                       online backup of DIR/till.db while the till sells (see
//!                                       backup.rs); till.key is not in it
//! tillctl restore --data-dir DIR --from FILE [--force]
//!                                       check the backup, refuse while the till has the
//!                                       database open or (without --force) events are unsent,
//!                                       keep the replaced one as till.db.replaced-<time>
//! tillctl bench backup --data-dir DIR [--checkouts N] [--pages N] [--pause-ms MS]
//!                                       checkout latency with and without a backup running
//! tillctl printer test URI [--width 58|80] [--lang en|zh] [--code-page gb18030|pc437] [--data-dir DIR]
//! tillctl drawer open URI [--pin 2|5]
//!                                       a receipt printer's test page, the cash drawer's kick,
//!                                       with the printer's status before and after; refused
//!                                       while it reports a fault (see printer.rs)
//! tillctl sync status --data-dir DIR [--json]
//! tillctl sync run --data-dir DIR --url URL --terminal-id ID --secret-file FILE [--once]
//!                                       the outbox's delivery to the server (see sync.rs)
//! ```
//!
//! `tillctl --help` and `tillctl <subcommand> --help` say the same per flag (cli.rs); the man
//! pages and completions are generated from it (`tillctl generate --out DIR`, the till-cli-docs crate).
//!
//! Test cards: visa, mastercard, unionpay, expired, pin, unreadable. Faults: garbage,
//! truncated, bad-lrc, silence, unplug. See `devices.rs` for the details.

mod backup;
mod bench;
mod bench_backup;
mod bench_history;
mod bench_login;
mod bench_payment;
mod bench_print;
mod card;
mod cli;
mod cli_printing;
mod demo_generate;
mod devices;
mod devices_assign;
mod drill;
mod error;
mod export;
mod points;
mod printer;
mod sim_printer;
mod sync;
mod users;

use clap::{CommandFactory, Parser};
use cli::{BenchCommand, CardCommand, Cli, Command, DbCommand, DemoCommand, DeviceRoleArg, DevicesCommand};
use cli::{CodePageArg, DrawerCommand, DrawerPinArg, LangArg, PrinterCommand};
use cli::{DrillCommand, SimCommand, SyncCommand, UsersCommand};
use error::CliError;
use std::time::Duration;

fn run(cli: Cli) -> Result<(), CliError> {
    match cli.command {
        Command::Db(DbCommand::Check(d)) => drill::check(&d.data_dir),
        Command::Users(UsersCommand::List(d)) => users::list(&d.data_dir),
        Command::Users(UsersCommand::CreateOwner(a)) => {
            users::create_owner(&a.dir.data_dir, &a.name, &mut std::io::stdin().lock())
        }
        Command::Export(a) => export::run(&a),
        Command::Drill(DrillCommand::Checkout(d)) => drill::checkout_loop(&d.data_dir),
        Command::Seed(a) => bench::seed(&a.dir.data_dir, a.products),
        Command::Card(CardCommand::Decode { format, data }) => {
            println!("{}", card::decode(format.name(), &data)?);
            Ok(())
        }
        Command::Devices(DevicesCommand::List { json }) => devices::list(json),
        Command::Devices(DevicesCommand::Pair { uri, key_file, json }) => points::pair(&uri, &key_file, json),
        Command::Devices(DevicesCommand::Assign(a)) => devices_assign::run(&a),
        Command::Devices(DevicesCommand::Test(t)) => match t.role {
            DeviceRoleArg::CardReader => devices::test_card_reader(&t),
            DeviceRoleArg::PointsTerminal => points::test(&t),
        },
        Command::Sim(SimCommand::CardReader { serial, card, driver }) => {
            devices::sim_card_reader(serial, &card, &driver)
        }
        Command::Sim(SimCommand::PointsTerminal { serial, baud, hold_pair, auto_present }) => {
            points::sim(serial, baud, hold_pair, auto_present)
        }
        Command::Sim(SimCommand::Printer(a)) => sim_printer::run(&a),
        Command::Bench(b) => match b.what {
            None => bench::run(b.dir, b.products, b.checkouts),
            Some(BenchCommand::Devices { reports, swipes }) => devices::bench(reports, swipes),
            Some(BenchCommand::Points { rounds }) => points::bench(rounds),
            Some(BenchCommand::Payment { rounds }) => bench_payment::run(rounds),
            Some(BenchCommand::Print { sales, slow_ms }) => bench_print::run(sales, slow_ms),
            Some(BenchCommand::History { dir, rounds }) => bench_history::run(&dir.data_dir, rounds),
            Some(BenchCommand::Login { rounds }) => bench_login::run(rounds),
            Some(BenchCommand::Backup { dir, checkouts, pages, pause_ms }) => bench_backup::run(
                &dir.data_dir,
                checkouts,
                till_store::backup::BackupOptions { pages_per_step: pages, pause: Duration::from_millis(pause_ms) },
            ),
        },
        Command::Printer(PrinterCommand::Test(a)) => {
            let width = a.width.into();
            let code_page = match a.code_page {
                CodePageArg::Gb18030 => till_devices::printer::CodePage::Gb18030,
                CodePageArg::Pc437 => till_devices::printer::CodePage::Pc437,
            };
            let lang = match a.lang {
                LangArg::En => printer::Lang::En,
                LangArg::Zh => printer::Lang::Zh,
            };
            let settings = till_devices::printer::PrinterSettings { width, code_page };
            printer::test(&a.uri, &settings, lang, a.data_dir.as_deref(), &till_core::SystemClock)
        }
        Command::Drawer(DrawerCommand::Open { uri, pin }) => {
            let pin = match pin {
                DrawerPinArg::Pin2 => till_devices::printer::encode::DrawerPin::Pin2,
                DrawerPinArg::Pin5 => till_devices::printer::encode::DrawerPin::Pin5,
            };
            printer::open_drawer(&uri, pin)
        }
        Command::Demo(DemoCommand::Generate { dir, orders, seed, days }) => {
            demo_generate::run(&dir.data_dir, orders, seed, days)
        }
        Command::Sync(SyncCommand::Status { dir, json }) => sync::status(&dir.data_dir, json),
        Command::Sync(SyncCommand::Run(a)) => sync::run(&a),
        Command::Backup(a) => backup::backup(&a.dir.data_dir, &a.out).map(|_| ()),
        Command::Restore(a) => backup::restore(&a.dir.data_dir, &a.from, a.force, &till_core::SystemClock).map(|_| ()),
        Command::Generate(g) => {
            for path in till_cli_docs::write_all(Cli::command(), &g.out)? {
                println!("{}", path.display());
            }
            Ok(())
        }
    }
}

fn main() {
    // Clap prints help and version and exits 0, or names the wrong argument and exits 2.
    let cli = Cli::parse();
    if let Err(e) = run(cli) {
        eprintln!("tillctl: {e}");
        std::process::exit(match e {
            CliError::Usage(_) => 2,
            _ => 1,
        });
    }
}
