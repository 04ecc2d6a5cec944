//! tillctl's command line for receipt printers and the cash drawer: `sim printer`, `printer
//! test`, `drawer open` and the values they take. Part of the definition in `cli.rs`, which
//! re-exports it.

use clap::{Args, Subcommand, ValueEnum};
use std::path::PathBuf;

/// `tillctl sim printer`.
#[derive(Debug, Args)]
pub struct SimPrinterArgs {
    /// Listen on this TCP address (like a network printer's port 9100; port 0 picks one);
    /// prints `listening HOST:PORT` first.
    #[arg(long, value_name = "HOST:PORT", conflicts_with = "pty", required_unless_present = "pty")]
    pub tcp: Option<String>,
    /// Serve on a new pseudo-terminal instead (a serial printer); prints `pty /dev/pts/N` first.
    #[arg(long)]
    pub pty: bool,
    /// Write each finished job there as job-NNNN.txt and job-NNNN.png (from 0001).
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Paper width in millimetres: 58 (384 dots) or 80 (576 dots).
    #[arg(long, value_name = "MM", default_value = "80")]
    pub width: PaperWidthArg,
    /// Start with this fault.
    #[arg(long, value_name = "FAULT")]
    pub fail: Option<PrinterFailArg>,
    /// Take bytes slowly: MS milliseconds per 100 bytes.
    #[arg(long, value_name = "MS")]
    pub slow: Option<u64>,
}

/// Paper width on the command line.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum PaperWidthArg {
    /// 58 mm: 32 columns, 384 dots.
    #[value(name = "58")]
    Mm58,
    /// 80 mm: 48 columns, 576 dots.
    #[value(name = "80")]
    Mm80,
}

impl From<PaperWidthArg> for till_devices::printer::PaperWidth {
    fn from(w: PaperWidthArg) -> Self {
        match w {
            PaperWidthArg::Mm58 => till_devices::printer::PaperWidth::Mm58,
            PaperWidthArg::Mm80 => till_devices::printer::PaperWidth::Mm80,
        }
    }
}

/// A fault the simulated printer can start with.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum PrinterFailArg {
    /// Out of paper.
    PaperOut,
    /// Cover open.
    CoverOpen,
    /// Offline.
    Offline,
}

/// `tillctl printer ...`.
#[derive(Debug, Subcommand)]
pub enum PrinterCommand {
    /// Print a test page (shop name, date, a Chinese line, a column ruler, a QR code) with the
    /// printer's status before and after; refuses to print while the printer reports a fault.
    Test(PrinterTestArgs),
}

/// `tillctl printer test`.
#[derive(Debug, Args)]
pub struct PrinterTestArgs {
    /// The printer: usb:///dev/usb/lp0, serial:///dev/ttyUSB0?baud=19200, tcp://HOST:9100,
    /// cups://QUEUE.
    pub uri: String,
    /// Paper width in millimetres.
    #[arg(long, value_enum, default_value = "80")]
    pub width: PaperWidthArg,
    /// Language of the page's labels.
    #[arg(long, value_enum, default_value = "en")]
    pub lang: LangArg,
    /// How the printer takes text: gb18030 (a Chinese-model printer) or pc437.
    #[arg(long, value_enum, default_value = "gb18030")]
    pub code_page: CodePageArg,
    /// A till's data directory: its shop profile's name heads the page (default "Till").
    #[arg(long, value_name = "DIR")]
    pub data_dir: Option<PathBuf>,
}

/// Language of a printout's labels.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum LangArg {
    /// English.
    En,
    /// Simplified Chinese.
    Zh,
}

/// A printer's code page.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum CodePageArg {
    /// Chinese mode, text in GB18030.
    Gb18030,
    /// Code page 437; Chinese prints as '?'.
    Pc437,
}

/// `tillctl drawer ...`.
#[derive(Debug, Subcommand)]
pub enum DrawerCommand {
    /// Kick the drawer open (ESC p, 50 ms pulse) and report its state if the printer gives it;
    /// refuses while the printer reports a fault.
    Open {
        /// The printer the drawer is cabled to (see `tillctl printer test --help`).
        uri: String,
        /// The kick connector's pin the drawer is wired to (2 for nearly every drawer cable).
        #[arg(long, value_enum, default_value = "2")]
        pin: DrawerPinArg,
    },
}

/// A kick connector pin.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum DrawerPinArg {
    /// Pin 2.
    #[value(name = "2")]
    Pin2,
    /// Pin 5 (a second drawer).
    #[value(name = "5")]
    Pin5,
}
