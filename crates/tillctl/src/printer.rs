//! `tillctl printer test URI` and `tillctl drawer open URI`: what an installer runs to check a
//! receipt printer and its cash drawer at any printer address, with the printer's status
//! (`DLE EOT`) printed before and after.
//!
//! Both ask the printer's status first and refuse to send anything while it reports a fault
//! (paper end, cover open, offline, an error) or does not answer: a job sent to a stopped
//! printer is lost. A CUPS queue gives no status; its jobs are sent on trust.
//!
//! ```text
//! printer: network printer 192.168.1.50:9100 (raw TCP)
//! status before: ready, drawer closed
//! sent 412 bytes: test page, 80 mm, code page gb18030
//! status after: ready, drawer closed
//! ```

use crate::error::CliError;
use std::path::Path;
use std::thread;
use std::time::Duration;
use till_core::Clock;
use till_devices::printer::encode::{drawer_kick, encode, DrawerPin};
use till_devices::printer::link::{self, PrinterLink};
use till_devices::printer::{Align, PrintDoc, PrinterSettings, PrinterStatus, TextSize};
use till_devices::DeviceError;

/// The language of the test page's labels.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    /// English.
    En,
    /// Simplified Chinese.
    Zh,
}

/// What the QR code of the test page holds.
pub const TEST_QR: &str = "TILL-PRINTER-TEST";

/// The test page: shop name, date, address, paper and code page, a Chinese line (always one,
/// so a wrong code page shows at once), a ruler of the paper's columns and a QR code.
pub fn test_page(shop: &str, date: &str, address: &str, settings: &PrinterSettings, lang: Lang) -> PrintDoc {
    let width = settings.width;
    let cols = width.columns();
    let mut doc = PrintDoc::new(width);
    doc.styled(shop, Align::Centre, true, TextSize::Double);
    let (title, paper, chinese) = match lang {
        Lang::En => ("Printer test page", "Paper", "Chinese: 测试页 打印正常"),
        Lang::Zh => ("打印机测试页", "纸宽", "测试页 打印正常"),
    };
    doc.text(title, Align::Centre).text(date, Align::Centre).rule();
    doc.text(address, Align::Left);
    doc.text(
        &format!("{paper} {} mm, {cols} columns, {}", width.millimetres(), settings.code_page.as_str()),
        Align::Left,
    );
    doc.text(chinese, Align::Left);
    // The ruler: tens above units; the last digit must be the last column on the paper.
    let tens: String =
        (1..=cols).map(|c| if c % 10 == 0 { char::from(b'0' + (c / 10 % 10) as u8) } else { ' ' }).collect();
    let units: String = (1..=cols).map(|c| char::from(b'0' + (c % 10) as u8)).collect();
    doc.text(tens.trim_end(), Align::Left).text(&units, Align::Left).rule();
    doc.qr(TEST_QR).text(TEST_QR, Align::Centre).feed(1);
    doc
}

/// The shop's name from the data directory's shop profile, or "Till" without one.
pub fn shop_name(data_dir: Option<&Path>) -> Result<String, CliError> {
    let Some(dir) = data_dir else { return Ok("Till".to_string()) };
    let db = dir.join("till.db");
    // Opening a missing file would create an empty till.
    if !db.exists() {
        return Err(CliError::Failed(format!("no till database at {}", db.display())));
    }
    let store = till_store::Store::open(&db)?;
    let name = till_pos::setup::shop::stored_profile(&store)?.map(|p| p.name).filter(|n| !n.trim().is_empty());
    Ok(name.unwrap_or_else(|| "Till".to_string()))
}

/// A printer's status in words: `ready` or its faults, then the drawer.
pub fn describe(status: &PrinterStatus) -> String {
    let mut words = Vec::new();
    for (on, word) in [
        (status.paper_end, "paper end"),
        (status.cover_open, "cover open"),
        (status.error, "error"),
        (status.offline, "offline"),
        (status.paper_near_end, "paper near end"),
    ] {
        if on {
            words.push(word);
        }
    }
    if status.fault().is_none() {
        words.insert(0, "ready");
    }
    words.push(if status.drawer_open { "drawer open" } else { "drawer closed" });
    words.join(", ")
}

/// Asks the status, prints it as `status WHEN: ...` and fails on a fault or no answer, saying
/// that nothing was sent. `Ok(None)`: the link reports no status (CUPS).
fn status_or_refuse(link: &mut dyn PrinterLink, when: &str) -> Result<Option<PrinterStatus>, CliError> {
    match link.status() {
        Ok(Some(status)) => {
            println!("status {when}: {}", describe(&status));
            match status.fault() {
                Some(fault) => Err(CliError::Failed(format!("{fault}; nothing was sent"))),
                None => Ok(Some(status)),
            }
        }
        Ok(None) => {
            println!("status {when}: not reported (a CUPS queue gives no status)");
            Ok(None)
        }
        Err(DeviceError::PrinterFault(fault)) => {
            println!("status {when}: no answer");
            Err(CliError::Failed(format!("{fault}; nothing was sent")))
        }
        Err(e) => Err(CliError::Failed(format!("{e}; nothing was sent"))),
    }
}

/// Asks the status after a job and prints it; a fault now fails the command (the page may not
/// have come out whole).
fn status_after(link: &mut dyn PrinterLink) -> Result<Option<PrinterStatus>, CliError> {
    match link.status() {
        Ok(Some(status)) => {
            println!("status after: {}", describe(&status));
            match status.fault() {
                Some(fault) => Err(CliError::Failed(format!("sent, but then: {fault}"))),
                None => Ok(Some(status)),
            }
        }
        Ok(None) => {
            println!("status after: not reported (a CUPS queue gives no status)");
            Ok(None)
        }
        Err(e) => Err(CliError::Failed(format!("sent, but then: {e}"))),
    }
}

/// `tillctl printer test`.
pub fn test(
    uri: &str,
    settings: &PrinterSettings,
    lang: Lang,
    data_dir: Option<&Path>,
    clock: &dyn Clock,
) -> Result<(), CliError> {
    println!("printer: {}", link::describe_address(uri)?);
    let shop = shop_name(data_dir)?;
    let mut link = link::open(uri)?;
    status_or_refuse(link.as_mut(), "before")?;
    let date = till_core::calendar::utc_minute(clock.now_ms());
    let bytes = encode(&test_page(&shop, &date, uri, settings, lang), settings);
    link.send(&bytes).map_err(|e| CliError::Failed(format!("the test page was not sent: {e}")))?;
    println!(
        "sent {} bytes: test page, {} mm, code page {}",
        bytes.len(),
        settings.width.millimetres(),
        settings.code_page.as_str()
    );
    status_after(link.as_mut())?;
    Ok(())
}

/// `tillctl drawer open`.
pub fn open_drawer(uri: &str, pin: DrawerPin) -> Result<(), CliError> {
    println!("printer: {}", link::describe_address(uri)?);
    let mut link = link::open(uri)?;
    // A stopped printer does not run `ESC p` either: say so rather than kick in vain.
    status_or_refuse(link.as_mut(), "before")?;
    link.send(&drawer_kick(pin)).map_err(|e| CliError::Failed(format!("the drawer kick was not sent: {e}")))?;
    println!("sent the drawer kick (ESC p, 50 ms pulse)");
    // The solenoid fires after the bytes arrive; the switch reads open once the drawer moved.
    thread::sleep(Duration::from_millis(200));
    match status_after(link.as_mut())? {
        Some(s) if s.drawer_open => println!("drawer: open"),
        Some(_) => println!("drawer: reads closed (it did not open, or its switch is wired the other way)"),
        None => println!("drawer: not reported"),
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use till_devices::printer::document::width_of;
    use till_devices::printer::{Block, CodePage, PaperWidth};

    #[test]
    fn the_ruler_ends_on_the_last_column_and_every_line_fits() {
        for width in [PaperWidth::Mm58, PaperWidth::Mm80] {
            let settings = PrinterSettings { width, code_page: CodePage::Gb18030 };
            let doc = test_page("Lotus Tea", "2026-12-06 14:40 UTC", "tcp://10.0.0.9:9100", &settings, Lang::Zh);
            let text = doc.plain_text();
            let units = text.lines().find(|l| l.starts_with("1234567890")).unwrap();
            assert_eq!(units.len(), width.columns());
            assert!(text.contains("测试页 打印正常") && text.contains(&format!("[QR {TEST_QR}]")));
            for block in &doc.blocks {
                if let Block::Line { text, size, .. } = block {
                    assert!(width_of(text) <= doc.columns(*size), "{text:?}");
                }
            }
        }
    }

    #[test]
    fn a_status_reads_as_words() {
        assert_eq!(describe(&PrinterStatus::default()), "ready, drawer closed");
        let s = PrinterStatus { paper_end: true, offline: true, drawer_open: true, ..PrinterStatus::default() };
        assert_eq!(describe(&s), "paper end, offline, drawer open");
        let s = PrinterStatus { paper_near_end: true, ..PrinterStatus::default() };
        assert_eq!(describe(&s), "ready, paper near end, drawer closed");
    }
}
