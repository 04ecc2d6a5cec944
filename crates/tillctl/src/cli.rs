//! tillctl's command line: every subcommand and flag, with its help, as clap types. `main.rs`
//! only dispatches them; the till-cli-docs crate turns the same definition into man pages and shell
//! completions.

use clap::{Args, Parser, Subcommand, ValueEnum};
use std::path::PathBuf;

pub use crate::cli_printing::{
    CodePageArg, DrawerCommand, DrawerPinArg, LangArg, PrinterCommand, PrinterFailArg, SimPrinterArgs,
};

/// Till from the command line, for installers, managers and developers.
#[derive(Debug, Parser)]
#[command(name = "tillctl", version, propagate_version = true, max_term_width = 100)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Check a till's database: integrity, audit chain, orders, payments, refunds.
    #[command(subcommand)]
    Db(DbCommand),
    /// The till's user accounts.
    #[command(subcommand)]
    Users(UsersCommand),
    /// The accountant's CSV files for a range of UTC days (see docs/back-office.md).
    Export(ExportArgs),
    /// Crash drills (the crash test kills these at random moments).
    #[command(subcommand)]
    Drill(DrillCommand),
    /// Open a demo till and add synthetic products (to try the app with a big catalogue).
    Seed(SeedArgs),
    /// Measurements printed as tables for docs/performance.md.
    Bench(BenchArgs),
    /// Card reader reports.
    #[command(subcommand)]
    Card(CardCommand),
    /// Simulated devices, to rehearse without hardware.
    #[command(subcommand)]
    Sim(SimCommand),
    /// Find, pair and test the counter's devices.
    #[command(subcommand)]
    Devices(DevicesCommand),
    /// Receipt printers: print a test page.
    #[command(subcommand)]
    Printer(PrinterCommand),
    /// The cash drawer on a receipt printer's kick port.
    #[command(subcommand)]
    Drawer(DrawerCommand),
    /// Demo data.
    #[command(subcommand)]
    Demo(DemoCommand),
    /// The outbox's delivery to the server.
    #[command(subcommand)]
    Sync(SyncCommand),
    /// Take an online backup of the till's database while it sells (till.key is not in it).
    Backup(BackupArgs),
    /// Check a backup and put it in place of the till's database, keeping the replaced one.
    Restore(RestoreArgs),
    /// Write man pages and shell completions (used when packaging).
    #[command(hide = true)]
    Generate(GenerateArgs),
}

/// The till's data directory (holding till.db and till.key).
#[derive(Debug, Args)]
pub struct DataDir {
    /// The till's data directory (holds till.db).
    #[arg(long, value_name = "DIR")]
    pub data_dir: PathBuf,
}

/// `tillctl backup`.
#[derive(Debug, Args)]
pub struct BackupArgs {
    #[command(flatten)]
    /// The till.
    pub dir: DataDir,
    /// The backup file to write (its folder must exist; an existing file is replaced once the
    /// new copy is whole and checked).
    #[arg(long, value_name = "FILE")]
    pub out: PathBuf,
}

/// `tillctl restore`.
#[derive(Debug, Args)]
pub struct RestoreArgs {
    #[command(flatten)]
    /// The till (closed: the restore refuses while the till has the database open).
    pub dir: DataDir,
    /// The backup to restore; checked first (integrity, audit chain, db check, till.key).
    #[arg(long, value_name = "FILE")]
    pub from: PathBuf,
    /// Replace the database even though it has events not yet sent to the server (they stay,
    /// unsent, in the kept till.db.replaced-<time>).
    #[arg(long)]
    pub force: bool,
}

/// `tillctl db ...`.
#[derive(Debug, Subcommand)]
pub enum DbCommand {
    /// One line per check (integrity_check, audit chain, whole orders, order totals, line
    /// counts, payments, refunds within payments); exits 1 if any fails.
    Check(DataDir),
}

/// `tillctl users ...`.
#[derive(Debug, Subcommand)]
pub enum UsersCommand {
    /// One line per user: id, role, active, name.
    List(DataDir),
    /// Make an owner for a till that has none; the PIN is read from the first line of stdin.
    CreateOwner(CreateOwnerArgs),
}

/// `tillctl users create-owner`.
#[derive(Debug, Args)]
pub struct CreateOwnerArgs {
    #[command(flatten)]
    /// The till.
    pub dir: DataDir,
    /// The new owner's name.
    #[arg(long)]
    pub name: String,
}

/// `tillctl export`.
#[derive(Debug, Args)]
pub struct ExportArgs {
    #[command(flatten)]
    /// The till.
    pub dir: DataDir,
    /// First UTC day, YYYY-MM-DD.
    #[arg(long, value_name = "YYYY-MM-DD")]
    pub from: String,
    /// Last UTC day, YYYY-MM-DD (inclusive).
    #[arg(long, value_name = "YYYY-MM-DD")]
    pub to: String,
    /// Comma-separated kinds: orders, lines, payments, refunds, points (default: all).
    #[arg(long, value_name = "K,K")]
    pub kinds: Option<String>,
    /// Where to write the CSV files (default: DIR/exports).
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
}

/// `tillctl drill ...`.
#[derive(Debug, Subcommand)]
pub enum DrillCommand {
    /// Ring up and pay sales in a loop, printing "ACK <cart id> <order id>" after each commit.
    Checkout(DataDir),
}

/// `tillctl seed`.
#[derive(Debug, Args)]
pub struct SeedArgs {
    #[command(flatten)]
    /// The till.
    pub dir: DataDir,
    /// How many synthetic products to add.
    #[arg(long, value_name = "N", default_value_t = 300_000)]
    pub products: usize,
}

/// `tillctl bench [...]`: without a subcommand, fsync, checkout commit and catalogue search.
#[derive(Debug, Args)]
#[command(args_conflicts_with_subcommands = true)]
pub struct BenchArgs {
    /// A benchmark of one area; without one, fsync, checkout commit and catalogue search.
    #[command(subcommand)]
    pub what: Option<BenchCommand>,
    /// Where to put the benchmark's files: emptied first and removed after (default: a temporary directory).
    #[arg(long, value_name = "DIR")]
    pub dir: Option<PathBuf>,
    /// Products in the synthetic catalogue.
    #[arg(long, value_name = "N", default_value_t = 300_000)]
    pub products: usize,
    /// Checkouts to time.
    #[arg(long, value_name = "N", default_value_t = 2_000)]
    pub checkouts: usize,
}

/// `tillctl bench <area>`.
#[derive(Debug, Subcommand)]
pub enum BenchCommand {
    /// Card report parse times and swipe-to-read latency through the simulators.
    Devices {
        /// Reports parsed per format.
        #[arg(long, value_name = "N", default_value_t = 20_000)]
        reports: usize,
        /// Simulated swipes per reader.
        #[arg(long, value_name = "N", default_value_t = 100)]
        swipes: usize,
    },
    /// Points terminal round trips over a pseudo-terminal.
    Points {
        /// How many rounds to time.
        #[arg(long, value_name = "N", default_value_t = 200)]
        rounds: usize,
    },
    /// Swipe to screen through the simulated reader.
    Payment {
        /// How many rounds to time.
        #[arg(long, value_name = "N", default_value_t = 200)]
        rounds: usize,
    },
    /// Checkout time with no printer, a network printer and a slow one, and the time from a
    /// sale's commit to its receipt's last byte (simulated ESC/POS printer on 127.0.0.1).
    Print {
        /// Cash sales per till.
        #[arg(long, value_name = "N", default_value_t = 200)]
        sales: usize,
        /// How slow the slow printer is: milliseconds per 100 bytes.
        #[arg(long, value_name = "MS", default_value_t = 40)]
        slow_ms: u64,
    },
    /// First-page latency and query plan of each history filter.
    History {
        #[command(flatten)]
        /// The till.
        dir: DataDir,
        /// How many rounds to time.
        #[arg(long, value_name = "N", default_value_t = 50)]
        rounds: usize,
    },
    /// Checkout latency with and without an online backup running, on the till in DIR.
    Backup {
        #[command(flatten)]
        /// The till (make a big one with `tillctl demo generate`).
        dir: DataDir,
        /// Checkouts timed for the baseline (those during the backup run until it ends).
        #[arg(long, value_name = "N", default_value_t = 300)]
        checkouts: usize,
        /// Pages the backup copies per step.
        #[arg(long, value_name = "N", default_value_t = 1024)]
        pages: i32,
        /// Pause between the backup's steps, ms.
        #[arg(long, value_name = "MS", default_value_t = 5)]
        pause_ms: u64,
    },
    /// PIN hashing, verifying and login: library defaults against the till's parameters.
    Login {
        /// How many rounds to time.
        #[arg(long, value_name = "N", default_value_t = 20)]
        rounds: usize,
    },
}

/// `tillctl card ...`.
#[derive(Debug, Subcommand)]
pub enum CardCommand {
    /// Parse one card reader report and print it as JSON, masked.
    Decode {
        /// The report's format.
        #[arg(long, value_enum)]
        format: CardFormat,
        /// The report: hex bytes, or the typed text for iso7813-text.
        #[arg(value_name = "DATA")]
        data: String,
    },
}

/// Card reader report formats.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum CardFormat {
    /// MagTek HID (non-encrypting).
    MagtekHid,
    /// MagTek MagneSafe (encrypting).
    MagtekMagnesafe,
    /// ID TECH enhanced (serial).
    IdtechEnhanced,
    /// ISO 7813 track text, as a keyboard wedge types it.
    Iso7813Text,
}

impl CardFormat {
    /// The name the decoders know it by.
    pub fn name(self) -> &'static str {
        match self {
            Self::MagtekHid => "magtek-hid",
            Self::MagtekMagnesafe => "magtek-magnesafe",
            Self::IdtechEnhanced => "idtech-enhanced",
            Self::Iso7813Text => "iso7813-text",
        }
    }
}

/// `tillctl sim ...`.
#[derive(Debug, Subcommand)]
pub enum SimCommand {
    /// A simulated card reader: swipes a test card through a driver; with --serial, a reader on
    /// a pseudo-terminal driven from stdin (`swipe [CARD]`, `fault KIND`, `cards`).
    CardReader {
        /// Run an ID TECH reader on a pseudo-terminal and print `pty: <path>` first.
        #[arg(long)]
        serial: bool,
        /// The test card: visa, mastercard, unionpay, expired, pin, unreadable.
        #[arg(long, value_name = "NAME", default_value = "visa")]
        card: String,
        /// The simulated HID reader's protocol (without --serial).
        #[arg(long, value_name = "D", default_value = "magtek-hid")]
        driver: String,
    },
    /// A simulated loyalty points terminal (till-points-v1); with --serial, on a pseudo-terminal
    /// driven from stdin.
    PointsTerminal {
        /// Run on a pseudo-terminal and print `pty: <path>` first.
        #[arg(long)]
        serial: bool,
        /// The baud rate to announce.
        #[arg(long, value_name = "N")]
        baud: Option<u32>,
        /// Start with the pairing button held.
        #[arg(long)]
        hold_pair: bool,
        /// Present demo phone 0 automatically after MS milliseconds.
        #[arg(long, value_name = "MS")]
        auto_present: Option<u64>,
    },
    /// A simulated ESC/POS receipt printer with a cash drawer, on a TCP port or a
    /// pseudo-terminal: it decodes what it receives, answers status queries, writes each job
    /// as job-NNNN.txt and job-NNNN.png, and takes control lines on stdin (paper-out,
    /// paper-near-end, paper-loaded, cover-open, cover-closed, offline, online, slow MS,
    /// drawer-closed), answering `ok` to each.
    Printer(SimPrinterArgs),
}

/// `tillctl devices ...`.
#[derive(Debug, Subcommand)]
pub enum DevicesCommand {
    /// Serial ports, HID devices and simulators, with guessed roles and drivers.
    List {
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Pair with a points terminal while its pairing button is held; the key goes to a file.
    Pair {
        /// The terminal's address, e.g. serial:///dev/ttyUSB0?baud=115200.
        #[arg(value_name = "URI")]
        uri: String,
        /// Where to write the new pairing key (mode 0600); it is never printed.
        #[arg(long, value_name = "FILE")]
        key_file: PathBuf,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Test a device: wait for a swipe on a card reader, or greet a points terminal.
    Test(DeviceTestArgs),
    /// Set up the device of a role in a till's data directory (as the installer screen does;
    /// audited): e.g. a receipt printer with its paper width and code page.
    Assign(DeviceAssignArgs),
}

/// `tillctl devices assign`.
#[derive(Debug, Args)]
pub struct DeviceAssignArgs {
    #[command(flatten)]
    pub dir: DataDir,
    /// The device's address: tcp://HOST:9100, usb:///dev/usb/lp0, serial:///dev/ttyUSB0,
    /// cups://QUEUE, sim://printer, ...
    #[arg(value_name = "URI")]
    pub uri: String,
    /// card-reader, points-terminal, receipt-printer or customer-display.
    #[arg(long, value_parser = till_core::DeviceRole::parse)]
    pub role: till_core::DeviceRole,
    /// The driver: escpos (printers), sim (simulators), magtek-hid, till-points-v1, ...
    #[arg(long, value_name = "D")]
    pub driver: String,
    /// Serial speed (serial devices).
    #[arg(long, value_name = "N")]
    pub baud: Option<u32>,
    /// Receipt printer: paper width in mm, 58 or 80 (80 when not given).
    #[arg(long, value_name = "MM")]
    pub paper: Option<u32>,
    /// Receipt printer: gb18030 or pc437 (gb18030 when not given).
    #[arg(long, value_name = "CP")]
    pub code_page: Option<String>,
}

/// `tillctl devices test`.
#[derive(Debug, Args)]
pub struct DeviceTestArgs {
    /// The device's address, e.g. serial:///dev/ttyACM0 or hid://0801:0002.
    #[arg(value_name = "URI")]
    pub uri: String,
    /// What the device is.
    #[arg(long, value_enum)]
    pub role: DeviceRoleArg,
    /// The card reader's driver, when the address does not say it.
    #[arg(long, value_name = "D")]
    pub driver: Option<String>,
    /// Seconds to wait for a swipe (card reader).
    #[arg(long, value_name = "S", default_value_t = 30)]
    pub timeout: u64,
    /// The pairing key file written by `devices pair` (points terminal: also checks a session).
    #[arg(long, value_name = "FILE")]
    pub key_file: Option<PathBuf>,
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
}

/// The roles `devices test` can test.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum DeviceRoleArg {
    /// A magnetic stripe card reader.
    CardReader,
    /// A loyalty points terminal.
    PointsTerminal,
}

/// `tillctl demo ...`.
#[derive(Debug, Subcommand)]
pub enum DemoCommand {
    /// A demo till with N orders of realistic history (4 cashiers and a manager, PINs printed).
    Generate {
        #[command(flatten)]
        /// The till to create.
        dir: DataDir,
        /// How many orders.
        #[arg(long, value_name = "N")]
        orders: u64,
        /// The random seed.
        #[arg(long, value_name = "S", default_value_t = 1)]
        seed: u64,
        /// How many days of history.
        #[arg(long, value_name = "D", default_value_t = 730)]
        days: u32,
    },
}

/// `tillctl sync ...`.
#[derive(Debug, Subcommand)]
pub enum SyncCommand {
    /// Online or offline, pending events, the last error, parked events and their reasons.
    Status {
        #[command(flatten)]
        /// The till.
        dir: DataDir,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Drain the outbox to the server (one line per round: ROUND claimed=.. done=..).
    Run(SyncRunArgs),
}

/// `tillctl sync run`.
#[derive(Debug, Args)]
pub struct SyncRunArgs {
    #[command(flatten)]
    /// The till.
    pub dir: DataDir,
    /// The server, https:// (plain http:// only to this computer).
    #[arg(long, value_name = "URL")]
    pub url: String,
    /// The terminal id `till-server terminals add` printed.
    #[arg(long, value_name = "ID")]
    pub terminal_id: String,
    /// A file holding the terminal's secret (64 hex digits).
    #[arg(long, value_name = "FILE")]
    pub secret_file: PathBuf,
    /// Stop when nothing is due, instead of running on.
    #[arg(long)]
    pub once: bool,
    /// The store's name sent with sales.
    #[arg(long, value_name = "NAME")]
    pub store: Option<String>,
    /// Events per batch.
    #[arg(long, value_name = "N")]
    pub batch: Option<usize>,
    /// Send events one by one instead of in batches.
    #[arg(long)]
    pub one_by_one: bool,
    /// Request timeout in milliseconds.
    #[arg(long, value_name = "N", default_value_t = 10_000)]
    pub timeout_ms: u64,
    /// Trust the PEM certificates in this file instead of the system's roots.
    #[arg(long, value_name = "PEM")]
    pub ca_file: Option<PathBuf>,
    /// Accept only the server certificate with this SHA-256 fingerprint.
    #[arg(long, value_name = "FINGERPRINT")]
    pub pin_sha256: Option<String>,
}

/// `tillctl generate`.
#[derive(Debug, Args)]
pub struct GenerateArgs {
    /// Where to write man/ and completions/.
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn the_definition_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn flags_parse_to_their_meaning() {
        let cli = Cli::try_parse_from([
            "tillctl",
            "devices",
            "test",
            "--role",
            "card-reader",
            "serial:///dev/ttyACM0",
            "--json",
        ])
        .unwrap();
        match cli.command {
            Command::Devices(DevicesCommand::Test(t)) => {
                assert_eq!(t.uri, "serial:///dev/ttyACM0");
                assert_eq!(t.role, DeviceRoleArg::CardReader);
                assert!(t.json);
                assert_eq!(t.timeout, 30);
            }
            other => panic!("{other:?}"),
        }
        let cli = Cli::try_parse_from(["tillctl", "bench", "--products", "10"]).unwrap();
        assert!(matches!(cli.command, Command::Bench(BenchArgs { what: None, products: 10, checkouts: 2_000, .. })));
        // Each subcommand keeps its own default (a shared generic `Rounds<D>` once gave them all one).
        let cli = Cli::try_parse_from(["tillctl", "bench", "login"]).unwrap();
        assert!(
            matches!(cli.command, Command::Bench(BenchArgs { what: Some(BenchCommand::Login { rounds: 20 }), .. })),
            "{cli:?}"
        );
        let cli = Cli::try_parse_from(["tillctl", "bench", "history", "--data-dir", "d"]).unwrap();
        assert!(matches!(
            cli.command,
            Command::Bench(BenchArgs { what: Some(BenchCommand::History { rounds: 50, .. }), .. })
        ));
    }
}
