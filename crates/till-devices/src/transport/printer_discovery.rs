//! Finding receipt printers: USB printer-class devices (the kernel's usblp driver makes each a
//! `/dev/usb/lpN`) and the queues of a local CUPS.
//!
//! A usblp device tells who it is twice: its USB ids in sysfs, and the IEEE 1284 device id the
//! printer itself reports (`MFG:EPSON;CMD:ESC/POS;MDL:TM-T20II;`), which names the model and
//! whether it speaks ESC/POS. CUPS queues are listed by `lpstat -e`; a machine without CUPS
//! simply has none.

use std::fs;
use std::path::Path;
use std::process::Command;

/// A printer found on the machine.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FoundPrinter {
    /// Its address: `usb:///dev/usb/lp0` or `cups://QUEUE`.
    pub uri: String,
    /// USB vendor id (USB printers only).
    pub vendor_id: Option<u16>,
    /// USB product id (USB printers only).
    pub product_id: Option<u16>,
    /// The USB serial number, when the printer has one.
    pub serial: Option<String>,
    /// Maker and model as the printer reports them, or the queue's name.
    pub product: Option<String>,
    /// The printer says it speaks ESC/POS (its 1284 id lists it among its command sets).
    pub escpos: bool,
}

/// The USB printers under `sys_class_usbmisc` (normally `/sys/class/usbmisc`), addressed as
/// `usb://<dev_dir>/lpN` (normally `/dev/usb`).
pub fn usb_printers_in(sys_class_usbmisc: &Path, dev_dir: &str) -> Vec<FoundPrinter> {
    let Ok(entries) = fs::read_dir(sys_class_usbmisc) else { return Vec::new() };
    let mut found: Vec<FoundPrinter> = entries
        .filter_map(|e| e.ok())
        .filter_map(|e| {
            let name = e.file_name().to_string_lossy().into_owned();
            if !name.starts_with("lp") {
                return None;
            }
            // `device` is the USB interface; its parent directory is the USB device.
            let interface = e.path().join("device");
            let usb_device = interface.join("..");
            let read = |dir: &Path, file: &str| {
                fs::read_to_string(dir.join(file)).ok().map(|s| s.trim().to_string()).filter(|s| !s.is_empty())
            };
            let hex = |file: &str| read(&usb_device, file).and_then(|s| u16::from_str_radix(&s, 16).ok());
            let ieee1284 = read(&interface, "ieee1284_id").unwrap_or_default();
            let field = |key: &str| ieee1284_field(&ieee1284, key);
            let product = match (field("MFG").or(field("MANUFACTURER")), field("MDL").or(field("MODEL"))) {
                (Some(m), Some(d)) => Some(format!("{m} {d}")),
                (m, d) => d.or(m).or_else(|| read(&usb_device, "product")),
            };
            let commands = field("CMD").or(field("COMMAND SET")).unwrap_or_default();
            Some(FoundPrinter {
                uri: format!("usb://{dev_dir}/{name}"),
                vendor_id: hex("idVendor"),
                product_id: hex("idProduct"),
                serial: read(&usb_device, "serial"),
                product,
                escpos: commands.split(',').any(|c| c.trim().eq_ignore_ascii_case("ESC/POS")),
            })
        })
        .collect();
    found.sort_by(|a, b| a.uri.cmp(&b.uri));
    found
}

/// The machine's USB printers.
pub fn usb_printers() -> Vec<FoundPrinter> {
    usb_printers_in(Path::new("/sys/class/usbmisc"), "/dev/usb")
}

/// One field of an IEEE 1284 device id (`KEY:value;` pairs).
pub fn ieee1284_field(id: &str, key: &str) -> Option<String> {
    id.split(';').find_map(|pair| {
        let (k, v) = pair.split_once(':')?;
        (k.trim().eq_ignore_ascii_case(key) && !v.trim().is_empty()).then(|| v.trim().to_string())
    })
}

/// The queues of `lpstat -e`'s output, one name per line.
pub fn cups_queues_from(lpstat_output: &str) -> Vec<FoundPrinter> {
    lpstat_output
        .lines()
        .map(str::trim)
        .filter(|q| !q.is_empty() && !q.contains(char::is_whitespace))
        .map(|q| FoundPrinter {
            uri: format!("cups://{q}"),
            vendor_id: None,
            product_id: None,
            serial: None,
            product: Some(format!("CUPS queue {q}")),
            escpos: false,
        })
        .collect()
}

/// The local CUPS's queues; none when CUPS is not installed or not running.
pub fn cups_queues() -> Vec<FoundPrinter> {
    match Command::new("lpstat").arg("-e").output() {
        Ok(out) if out.status.success() => cups_queues_from(&String::from_utf8_lossy(&out.stdout)),
        _ => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Lays out a usblp device the way the kernel does: the class entry's `device` points at the
    /// USB interface, whose parent holds the ids.
    fn fake_usblp(root: &Path, lp: &str, ids: (&str, &str), ieee1284: &str) {
        let usb = root.join("devices").join(format!("usb-{lp}"));
        let interface = usb.join("1-1:1.0");
        fs::create_dir_all(&interface).unwrap();
        fs::write(usb.join("idVendor"), format!("{}\n", ids.0)).unwrap();
        fs::write(usb.join("idProduct"), format!("{}\n", ids.1)).unwrap();
        fs::write(usb.join("product"), "Receipt Printer\n").unwrap();
        fs::write(interface.join("ieee1284_id"), ieee1284).unwrap();
        let class = root.join("class").join(lp);
        fs::create_dir_all(&class).unwrap();
        std::os::unix::fs::symlink(&interface, class.join("device")).unwrap();
    }

    #[test]
    fn lists_usb_printers_with_their_model_and_command_set() {
        let dir = tempfile::tempdir().unwrap();
        fake_usblp(dir.path(), "lp0", ("04b8", "0e15"), "MFG:EPSON;CMD:ESC/POS,ESC/POS-BT;MDL:TM-T20II;CLS:PRINTER;");
        fake_usblp(dir.path(), "lp1", ("0416", "5011"), "");
        fs::create_dir_all(dir.path().join("class").join("hiddev0")).unwrap();
        let found = usb_printers_in(&dir.path().join("class"), "/dev/usb");
        assert_eq!(found.len(), 2);
        assert_eq!(found[0].uri, "usb:///dev/usb/lp0");
        assert_eq!((found[0].vendor_id, found[0].product_id), (Some(0x04B8), Some(0x0E15)));
        assert_eq!(found[0].product.as_deref(), Some("EPSON TM-T20II"));
        assert!(found[0].escpos);
        // No 1284 id: the USB product string, and no claim about ESC/POS.
        assert_eq!(found[1].product.as_deref(), Some("Receipt Printer"));
        assert!(!found[1].escpos);
    }

    #[test]
    fn no_usbmisc_class_means_no_printers() {
        let dir = tempfile::tempdir().unwrap();
        assert!(usb_printers_in(&dir.path().join("absent"), "/dev/usb").is_empty());
    }

    #[test]
    fn reads_lpstat_queue_names() {
        let found = cups_queues_from("receipt\nkitchen_80mm\n\n");
        let uris: Vec<_> = found.iter().map(|p| p.uri.as_str()).collect();
        assert_eq!(uris, ["cups://receipt", "cups://kitchen_80mm"]);
    }
}
