//! A [`PrintDoc`] as ESC/POS bytes.
//!
//! The `escpos` crate writes the commands it gets right (checked byte for byte against Epson's
//! reference in the tests below): `ESC @`, `ESC t 0`, `ESC E`, `ESC a`, `GS !`, `ESC d` and the
//! five `GS ( k` functions of a QR code. Its printer runs on a driver that only collects bytes
//! into a buffer; the links send them. The rest is written by hand, because the crate lacks it
//! or gets it wrong:
//! - Chinese text: `FS &` .. `FS .` around a line with any non-ASCII character, the line in
//!   GB18030 (the crate has no Chinese mode);
//! - the cut: `GS V 66 n`, feed then partial cut (the crate only sends `GS V 65 0` / `GS V 65 1`,
//!   a full cut or, in its "partial" form, a full cut after one dot);
//! - the drawer kick: `ESC p m t1 t2` (the crate's `cash_drawer` sends `ESC p m` without the two
//!   pulse-time bytes, and drawers stay shut).

use crate::printer::{Align, Block, CodePage, PrintDoc, PrinterSettings, TextSize};
use crate::DeviceError;
use escpos::driver::Driver;
use escpos::printer::Printer;
use escpos::printer_options::PrinterOptions;
use escpos::utils::{Encoder, JustifyMode, PageCode, Protocol, QRCodeCorrectionLevel, QRCodeModel, QRCodeOption};
use std::cell::RefCell;
use std::rc::Rc;

/// `ESC p m t1 t2`: a 50 ms pulse on pin 2, then 500 ms off (the two time bytes are required).
pub const DRAWER_KICK: [u8; 5] = [0x1B, 0x70, 0x00, 0x19, 0xFA];

/// `DLE DC4 1 m t`: a 100 ms pulse on pin 2 in real time. The printer executes it at once, even
/// while it is stopped for paper or an open cover (not in an error state), so a cash sale's
/// drawer opens when its receipt cannot print.
pub const DRAWER_KICK_REALTIME: [u8; 5] = [0x10, 0x14, 0x01, 0x00, 0x01];

/// `FS &`: Chinese (double-byte) character mode on.
pub const CHINESE_ON: [u8; 2] = [0x1C, 0x26];
/// `FS .`: Chinese character mode off.
pub const CHINESE_OFF: [u8; 2] = [0x1C, 0x2E];
/// `GS V 66`: feed `n` dots past the cutting position, then cut partially (one point left
/// uncut, so the receipt hangs until the cashier tears it).
pub const FEED_AND_PARTIAL_CUT: [u8; 3] = [0x1D, 0x56, 0x42];
/// Dots fed past the cutting position before the cut: one text line of margin (24 dots, 3 mm)
/// below the last printed line.
pub const CUT_FEED_DOTS: u8 = 24;

/// Pulse on 25 × 2 ms = 50 ms, off 250 × 2 ms = 500 ms: what drawers' solenoids expect.
const PULSE_ON: u8 = 0x19;
const PULSE_OFF: u8 = 0xFA;

/// The connector pin a drawer is wired to on the printer's kick port.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DrawerPin {
    /// Pin 2, where nearly every drawer cable is wired (`m` = 0).
    Pin2,
    /// Pin 5, a second drawer (`m` = 1).
    Pin5,
}

/// `ESC p m 25 250`: the kick for the drawer on `pin`. Written by hand because the `escpos`
/// crate's `cash_drawer` sends only `ESC p m`, without the two pulse bytes.
pub fn drawer_kick(pin: DrawerPin) -> [u8; 5] {
    let m = match pin {
        DrawerPin::Pin2 => 0,
        DrawerPin::Pin5 => 1,
    };
    [0x1B, 0x70, m, PULSE_ON, PULSE_OFF]
}

/// The ESC/POS bytes of `doc` for a printer set up as `settings`.
///
/// Every `PrintDoc` encodes: the crate's only failures are a QR code over 7089 bytes (printed
/// as text here instead) and sizes out of range (never asked for). Should it fail anyway, the
/// text of `doc` is sent in plain ASCII rather than nothing.
pub fn encode(doc: &PrintDoc, settings: &PrinterSettings) -> Vec<u8> {
    try_encode(doc, settings).unwrap_or_else(|_| plain_fallback(doc))
}

/// [`encode`], reporting a failure of the command crate instead of falling back to plain text.
pub fn try_encode(doc: &PrintDoc, settings: &PrinterSettings) -> Result<Vec<u8>, DeviceError> {
    encode_with_crate(doc, settings).map_err(|e| DeviceError::Io(format!("cannot encode the printout: {e}")))
}

/// Collects what the `escpos` printer writes: its `Driver` trait writes through `&self`.
#[derive(Clone, Default)]
struct VecDriver(Rc<RefCell<Vec<u8>>>);

impl Driver for VecDriver {
    fn name(&self) -> String {
        "buffer".to_string()
    }

    fn write(&self, data: &[u8]) -> escpos::errors::Result<()> {
        self.0.borrow_mut().extend_from_slice(data);
        Ok(())
    }

    fn read(&self, _buf: &mut [u8]) -> escpos::errors::Result<usize> {
        Ok(0)
    }

    fn flush(&self) -> escpos::errors::Result<()> {
        Ok(())
    }
}

/// The styles a line sets; after `ESC @` all are off (left, not bold, normal size).
#[derive(Clone, Copy, PartialEq, Eq)]
struct Style {
    align: Align,
    bold: bool,
    size: TextSize,
}

const INITIAL: Style = Style { align: Align::Left, bold: false, size: TextSize::Normal };

struct Writer {
    printer: Printer<VecDriver>,
    style: Style,
    code_page: CodePage,
}

impl Writer {
    fn new(code_page: CodePage) -> (Self, VecDriver) {
        let driver = VecDriver::default();
        let (page_code, encoder) = match code_page {
            // Text is written by hand (GB18030 in Chinese mode); no `ESC t`.
            CodePage::Gb18030 => (None, Encoder::default()),
            // The crate maps characters through its PC437 table; the encoder it falls back to
            // for the rest is x-user-defined, which refuses every non-ASCII character, so an
            // unmappable character is an error here and becomes '?' (see `pc437_text`).
            CodePage::Pc437 => (Some(PageCode::PC437), Encoder::new(encoding_rs::X_USER_DEFINED)),
        };
        let options = PrinterOptions::new(page_code, None, 48);
        let printer = Printer::new(driver.clone(), Protocol::new(encoder), Some(options));
        (Writer { printer, style: INITIAL, code_page }, driver)
    }

    fn set_align(&mut self, align: Align) -> escpos::errors::Result<()> {
        if self.style.align != align {
            let mode = match align {
                Align::Left => JustifyMode::LEFT,
                Align::Centre => JustifyMode::CENTER,
                Align::Right => JustifyMode::RIGHT,
            };
            self.printer.justify(mode)?;
            self.style.align = align;
        }
        Ok(())
    }

    fn set_style(&mut self, bold: bool, size: TextSize) -> escpos::errors::Result<()> {
        if self.style.bold != bold {
            self.printer.bold(bold)?;
            self.style.bold = bold;
        }
        if self.style.size != size {
            match size {
                TextSize::Normal => self.printer.reset_size()?,
                TextSize::Double => self.printer.size(2, 2)?,
            };
            self.style.size = size;
        }
        Ok(())
    }

    /// One line of text and its `LF`. A control character in the text (a product name typed
    /// with an ESC in it) would be a command to the printer: it prints as '?'.
    fn line(&mut self, text: &str) -> escpos::errors::Result<()> {
        let text: String = text.chars().map(|c| if c.is_control() { '?' } else { c }).collect();
        let text = text.as_str();
        match self.code_page {
            CodePage::Gb18030 if !text.is_ascii() => {
                let (bytes, _, _) = encoding_rs::GB18030.encode(text);
                self.printer.custom(&CHINESE_ON)?;
                self.printer.custom(&bytes)?;
                self.printer.custom(&CHINESE_OFF)?;
            }
            CodePage::Gb18030 => {
                self.printer.custom(text.as_bytes())?;
            }
            CodePage::Pc437 => self.pc437_text(text)?,
        }
        self.printer.custom(&[0x0A])?;
        Ok(())
    }

    /// `text` in code page 437: ASCII as is, characters the table has as their byte, the rest
    /// as '?'.
    fn pc437_text(&mut self, text: &str) -> escpos::errors::Result<()> {
        let mut run = String::new();
        for c in text.chars() {
            if c.is_ascii() {
                run.push(c);
                continue;
            }
            if !run.is_empty() {
                self.printer.custom(run.as_bytes())?;
                run.clear();
            }
            // x-user-defined maps U+F780..U+F7FF to single bytes: keep those out.
            let private = ('\u{F780}'..='\u{F7FF}').contains(&c);
            if private || self.printer.write(c.encode_utf8(&mut [0; 4])).is_err() {
                self.printer.custom(b"?")?;
            }
        }
        if !run.is_empty() {
            self.printer.custom(run.as_bytes())?;
        }
        Ok(())
    }

    fn qr(&mut self, data: &str, module: u8) -> escpos::errors::Result<()> {
        if data.is_empty() || data.len() > 7089 {
            // More than a QR code holds (or nothing): the text at least reaches the paper.
            return self.line(data);
        }
        // The crate caps the module size at 15 dots (Epson allows 16); 15 is already wider than
        // a 58 mm roll for all but the smallest codes.
        let option = QRCodeOption::new(QRCodeModel::Model2, module.clamp(1, 15), QRCodeCorrectionLevel::M);
        self.printer.qrcode_option(data, option)?;
        Ok(())
    }
}

fn encode_with_crate(doc: &PrintDoc, settings: &PrinterSettings) -> escpos::errors::Result<Vec<u8>> {
    let (mut w, driver) = Writer::new(settings.code_page);
    w.printer.init()?;
    for block in &doc.blocks {
        match block {
            Block::Line { text, align, bold, size } => {
                w.set_align(*align)?;
                w.set_style(*bold, *size)?;
                w.line(text)?;
            }
            Block::Qr { data, module } => {
                w.set_align(Align::Centre)?;
                w.qr(data, *module)?;
            }
            Block::Feed(n) => {
                w.printer.feeds(*n)?;
            }
        }
    }
    // Leave the printer as `ESC @` left it, for whatever is printed next without an init.
    w.set_style(false, TextSize::Normal)?;
    w.set_align(Align::Left)?;
    if doc.cut {
        w.printer.custom(&FEED_AND_PARTIAL_CUT)?;
        w.printer.custom(&[CUT_FEED_DOTS])?;
    }
    w.printer.print()?;
    drop(w);
    let bytes = driver.0.take();
    Ok(bytes)
}

/// Hand-written last resort: `ESC @`, the text in ASCII ('?' for the rest), the cut.
fn plain_fallback(doc: &PrintDoc) -> Vec<u8> {
    let mut out = vec![0x1B, 0x40];
    for c in doc.plain_text().chars() {
        out.push(if c == '\n' || (c.is_ascii() && !c.is_ascii_control()) { c as u8 } else { b'?' });
    }
    if doc.cut {
        out.extend_from_slice(&FEED_AND_PARTIAL_CUT);
        out.push(CUT_FEED_DOTS);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::printer::PaperWidth;
    use escpos::utils::CashDrawer;

    /// The bytes the crate's printer writes for `build`.
    fn crate_bytes(build: impl FnOnce(&mut Printer<VecDriver>) -> escpos::errors::Result<()>) -> Vec<u8> {
        let driver = VecDriver::default();
        let mut printer = Printer::new(driver.clone(), Protocol::default(), None);
        build(&mut printer).unwrap();
        printer.print().unwrap();
        driver.0.take()
    }

    // Each expected sequence is copied from Epson's ESC/POS command reference, not from the crate.
    #[test]
    fn the_crates_commands_are_epsons_bytes() {
        assert_eq!(crate_bytes(|p| p.init().map(drop)), [0x1B, 0x40]);
        assert_eq!(crate_bytes(|p| p.bold(true).map(drop)), [0x1B, 0x45, 0x01]);
        assert_eq!(crate_bytes(|p| p.bold(false).map(drop)), [0x1B, 0x45, 0x00]);
        assert_eq!(crate_bytes(|p| p.justify(JustifyMode::LEFT).map(drop)), [0x1B, 0x61, 0x00]);
        assert_eq!(crate_bytes(|p| p.justify(JustifyMode::CENTER).map(drop)), [0x1B, 0x61, 0x01]);
        assert_eq!(crate_bytes(|p| p.justify(JustifyMode::RIGHT).map(drop)), [0x1B, 0x61, 0x02]);
        assert_eq!(crate_bytes(|p| p.size(2, 2).map(drop)), [0x1D, 0x21, 0x11]);
        assert_eq!(crate_bytes(|p| p.reset_size().map(drop)), [0x1D, 0x21, 0x00]);
        assert_eq!(crate_bytes(|p| p.feeds(3).map(drop)), [0x1B, 0x64, 0x03]);
        assert_eq!(crate_bytes(|p| p.page_code(PageCode::PC437).map(drop)), [0x1B, 0x74, 0x00]);
    }

    #[test]
    fn the_crates_qr_code_is_epsons_five_functions() {
        let option = QRCodeOption::new(QRCodeModel::Model2, 6, QRCodeCorrectionLevel::M);
        let bytes = crate_bytes(|p| p.qrcode_option("L-00000042-1", option).map(drop));
        let mut want = vec![
            0x1D, 0x28, 0x6B, 0x04, 0x00, 0x31, 0x41, 0x32, 0x00, // fn 165: model 2
            0x1D, 0x28, 0x6B, 0x03, 0x00, 0x31, 0x43, 0x06, // fn 167: module 6 dots
            0x1D, 0x28, 0x6B, 0x03, 0x00, 0x31, 0x45, 0x31, // fn 169: error correction M
            0x1D, 0x28, 0x6B, 0x0F, 0x00, 0x31, 0x50, 0x30, // fn 180: store 12 + 3 bytes
        ];
        want.extend_from_slice(b"L-00000042-1");
        want.extend_from_slice(&[0x1D, 0x28, 0x6B, 0x03, 0x00, 0x31, 0x51, 0x30]); // fn 181: print
        assert_eq!(bytes, want);
    }

    /// Why the cut and the kick are written by hand: if a later version of the crate fixes
    /// these, this test says so and the hand-written bytes can go.
    #[test]
    fn the_crates_cut_and_kick_are_not_what_a_receipt_needs() {
        assert_eq!(crate_bytes(|p| p.cash_drawer(CashDrawer::Pin2).map(drop)), [0x1B, 0x70, 0x00], "no pulse bytes");
        assert_eq!(crate_bytes(|p| p.partial_cut().map(drop)), [0x1D, 0x56, 0x41, 0x01], "a full cut");
        assert_eq!(drawer_kick(DrawerPin::Pin2), DRAWER_KICK);
        assert_eq!(drawer_kick(DrawerPin::Pin5), [0x1B, 0x70, 0x01, 0x19, 0xFA]);
    }

    fn settings(code_page: CodePage) -> PrinterSettings {
        PrinterSettings { width: PaperWidth::Mm58, code_page }
    }

    #[test]
    fn chinese_lines_are_gb18030_inside_chinese_mode_and_ascii_lines_are_not() {
        let mut doc = PrintDoc::new(PaperWidth::Mm58);
        doc.text("Tea\u{1b}@", Align::Left).text("绿茶 x2", Align::Left);
        doc.cut = false;
        let bytes = encode(&doc, &settings(CodePage::Gb18030));
        let want =
            [&[0x1B, 0x40][..], b"Tea?@\n", &[0x1C, 0x26, 0xC2, 0xCC, 0xB2, 0xE8, b' ', b'x', b'2', 0x1C, 0x2E, 0x0A]]
                .concat();
        assert_eq!(bytes, want);
    }

    #[test]
    fn pc437_maps_what_it_has_and_prints_question_marks_for_the_rest() {
        let mut doc = PrintDoc::new(PaperWidth::Mm58);
        doc.text("Café 绿茶\u{7}", Align::Left);
        doc.cut = false;
        let bytes = encode(&doc, &settings(CodePage::Pc437));
        // ESC t 0, then é = 0x82 in code page 437; each Chinese character and the BEL is one '?'.
        let want = [&[0x1B, 0x40, 0x1B, 0x74, 0x00][..], b"Caf", &[0x82], b" ???\n"].concat();
        assert_eq!(bytes, want);
    }

    #[test]
    fn styles_are_sent_when_they_change_and_reset_before_the_cut() {
        let mut doc = PrintDoc::new(PaperWidth::Mm80);
        doc.styled("SHOP", Align::Centre, true, TextSize::Double).styled("St", Align::Centre, true, TextSize::Double);
        doc.text("x", Align::Right);
        let bytes = encode(&doc, &settings(CodePage::Gb18030));
        let want = [
            &[0x1B, 0x40, 0x1B, 0x61, 0x01, 0x1B, 0x45, 0x01, 0x1D, 0x21, 0x11][..],
            b"SHOP\nSt\n",
            &[0x1B, 0x61, 0x02, 0x1B, 0x45, 0x00, 0x1D, 0x21, 0x00],
            b"x\n",
            &[0x1B, 0x61, 0x00, 0x1D, 0x56, 0x42, 24],
        ]
        .concat();
        assert_eq!(bytes, want);
    }

    #[test]
    fn a_qr_code_is_centred_and_too_much_data_prints_as_text() {
        let mut doc = PrintDoc::new(PaperWidth::Mm58);
        doc.qr("L-1");
        doc.cut = false;
        let bytes = encode(&doc, &settings(CodePage::Gb18030));
        assert_eq!(&bytes[..5], &[0x1B, 0x40, 0x1B, 0x61, 0x01]);
        assert_eq!(&bytes[5..14], &[0x1D, 0x28, 0x6B, 0x04, 0x00, 0x31, 0x41, 0x32, 0x00]);
        doc.blocks = vec![Block::Qr { data: "x".repeat(8000), module: 4 }];
        let bytes = encode(&doc, &settings(CodePage::Gb18030));
        assert!(!bytes.windows(3).any(|w| w == [0x1D, 0x28, 0x6B]));
        assert!(bytes.windows(100).any(|w| w == [b'x'; 100]));
    }
}
