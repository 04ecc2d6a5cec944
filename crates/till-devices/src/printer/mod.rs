//! Receipt printers speaking ESC/POS, and the cash drawer on their kick port.
//!
//! A printout is first a [`PrintDoc`]: lines laid out for the paper's width in columns (a
//! Chinese character takes two), QR codes, feeds and the cut, with nothing printer-specific in
//! it. [`encode`] turns it into ESC/POS bytes for one [`PrinterSettings`]; a [`PrinterLink`]
//! carries the bytes to the printer over the links shops use (USB printer class, serial, raw TCP
//! on port 9100, a raw CUPS queue) and asks it for its [`PrinterStatus`] (`DLE EOT`) before and
//! after a job. [`simulator`] is a printer for tests, demos and `tillctl sim printer`.
//!
//! Printer addresses: `usb:///dev/usb/lp0`, `serial:///dev/ttyUSB0?baud=19200`,
//! `tcp://192.168.1.50:9100`, `cups://QUEUE`, `sim://printer`.

pub mod document;
pub mod encode;
pub mod link;
pub mod simulator;
pub mod status;

pub use document::{Align, Block, PaperWidth, PrintDoc, TextSize};
pub use link::{open, PrinterLink};
pub use status::{PrinterFault, PrinterStatus};

use serde::{Deserialize, Serialize};

/// The single-byte code page for text outside Chinese mode, and whether the printer has
/// Chinese (double-byte, GB18030) mode.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum CodePage {
    /// A Chinese-model printer: ASCII in single bytes, everything else in GB18030 inside
    /// `FS &` .. `FS .` (the usual printer sold in China).
    Gb18030,
    /// Code page 437 (`ESC t 0`); characters it lacks print as `?`.
    Pc437,
}

impl CodePage {
    /// Its name in settings and on the command line.
    pub fn as_str(self) -> &'static str {
        match self {
            CodePage::Gb18030 => "gb18030",
            CodePage::Pc437 => "pc437",
        }
    }

    /// Parses `gb18030` or `pc437`.
    pub fn parse(text: &str) -> Option<Self> {
        [CodePage::Gb18030, CodePage::Pc437].into_iter().find(|c| c.as_str() == text)
    }
}

/// How one printer is set up: its paper and its code page.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct PrinterSettings {
    /// 58 or 80 mm paper.
    pub width: PaperWidth,
    /// What its text is encoded in.
    pub code_page: CodePage,
}

impl Default for PrinterSettings {
    fn default() -> Self {
        PrinterSettings { width: PaperWidth::Mm80, code_page: CodePage::Gb18030 }
    }
}
