#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Golden bytes: one realistic receipt at 58 and 80 mm, encoded, against the ESC/POS written by
//! hand from Epson's reference in `tests/golden/receipt-*.hex` (hex, one command per line,
//! `#` comments). `UPDATE_GOLDEN=1` rewrites the files from the encoder, one command per line
//! with a comment naming it; review the diff byte by byte before committing it.

use std::path::PathBuf;
use till_devices::printer::{encode::encode, Align, CodePage, PaperWidth, PrintDoc, PrinterSettings, TextSize};

/// A tea shop's receipt: header, a Chinese line with its line code as text and QR, a second
/// line, the tax and the total, a bilingual footer, the cut.
fn receipt(width: PaperWidth) -> PrintDoc {
    let mut doc = PrintDoc::new(width);
    doc.styled("Lotus Tea", Align::Centre, true, TextSize::Double)
        .text("88 Nanjing Road", Align::Centre)
        .rule()
        .pair("绿茶 Green tea x2", "38.00", false)
        .text("L-00000042-1", Align::Left)
        .qr("L-00000042-1")
        .pair("Oolong x1", "22.00", false)
        .rule()
        .pair("Tax 13% incl.", "6.90", false)
        .pair("TOTAL", "60.00", true)
        .feed(1)
        .text("谢谢惠顾 Thank you", Align::Centre);
    doc
}

fn golden_path(width: PaperWidth) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(format!("tests/golden/receipt-{}.hex", width.millimetres()))
}

/// The bytes of a golden file: hex pairs, anything after `#` ignored.
fn parse_hex(text: &str) -> Vec<u8> {
    text.lines()
        .map(|l| l.split('#').next().unwrap_or(""))
        .flat_map(str::split_whitespace)
        .map(|h| u8::from_str_radix(h, 16).unwrap_or_else(|_| panic!("not a hex byte: {h:?}")))
        .collect()
}

/// One command per line with a comment, for `UPDATE_GOLDEN=1`.
fn to_hex(bytes: &[u8]) -> String {
    let mut out = String::from(
        "# Golden bytes of tests/printer_golden.rs's receipt. Hex, one ESC/POS command per line,\n\
         # '#' starts a comment. Regenerate with UPDATE_GOLDEN=1 only after reviewing a change byte by byte.\n",
    );
    let mut i = 0;
    while i < bytes.len() {
        let rest = &bytes[i..];
        let (len, what) = match rest {
            [0x1B, 0x40, ..] => (2, "ESC @ initialise".to_string()),
            [0x1B, c @ (0x61 | 0x45 | 0x64 | 0x74), n, ..] => (3, format!("ESC {} {n}", *c as char)),
            [0x1D, 0x21, n, ..] => (3, format!("GS ! {n:#04x}")),
            [0x1C, 0x26, ..] => (2, "FS & Chinese mode on".to_string()),
            [0x1C, 0x2E, ..] => (2, "FS . Chinese mode off".to_string()),
            [0x1D, 0x56, m, n, ..] => (4, format!("GS V {m} {n} feed and cut")),
            [0x1D, 0x28, 0x6B, pl, ph, 0x31, f, ..] => {
                (5 + usize::from(*pl) + 256 * usize::from(*ph), format!("GS ( k QR fn {}", u32::from(*f) + 100))
            }
            _ => {
                // Text up to the next control byte; its LF goes with it.
                let end = rest.iter().position(|b| matches!(b, 0x0A | 0x1B | 0x1C | 0x1D)).unwrap_or(rest.len());
                let end = if rest.get(end) == Some(&0x0A) { end + 1 } else { end.max(1) };
                let text = encoding_rs::GB18030.decode(&rest[..end]).0.replace('\n', "");
                (end, format!("{text:?}{}", if rest[end - 1] == 0x0A { " LF" } else { "" }))
            }
        };
        let len = len.min(rest.len());
        let hex: Vec<String> = rest[..len].iter().map(|b| format!("{b:02X}")).collect();
        out.push_str(&format!("{:<40} # {what}\n", hex.join(" ")));
        i += len;
    }
    out
}

fn check(width: PaperWidth) {
    let settings = PrinterSettings { width, code_page: CodePage::Gb18030 };
    let bytes = encode(&receipt(width), &settings);
    let path = golden_path(width);
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        std::fs::write(&path, to_hex(&bytes)).unwrap();
    }
    let want = parse_hex(&std::fs::read_to_string(&path).unwrap());
    if bytes != want {
        let at = bytes.iter().zip(&want).position(|(a, b)| a != b).unwrap_or(bytes.len().min(want.len()));
        panic!(
            "{} mm receipt differs from {} at byte {at}:\n got  {}\n want {}",
            width.millimetres(),
            path.display(),
            to_hex(&bytes[at.saturating_sub(8)..(at + 24).min(bytes.len())]),
            to_hex(&want[at.saturating_sub(8)..(at + 24).min(want.len())]),
        );
    }
}

#[test]
fn a_58_mm_receipt_is_the_golden_bytes() {
    check(PaperWidth::Mm58);
}

#[test]
fn an_80_mm_receipt_is_the_golden_bytes() {
    check(PaperWidth::Mm80);
}

#[test]
fn the_receipts_lines_fill_their_paper() {
    // The pair lines reach the last column at both widths: the layout, not only the bytes.
    for width in [PaperWidth::Mm58, PaperWidth::Mm80] {
        let text = receipt(width).plain_text();
        let total = text.lines().find(|l| l.starts_with("TOTAL")).unwrap();
        assert_eq!(total.len(), width.columns(), "{total:?}");
    }
}

#[test]
fn the_golden_files_are_readable_hex() {
    // Round trip of the file format itself, so a hand edit that breaks a line is caught here.
    let bytes = [0x1B, 0x40, b'h', b'i', 0x0A, 0x1D, 0x56, 0x42, 0x18];
    assert_eq!(parse_hex(&to_hex(&bytes)), bytes);
}
