//! `tillctl card decode`: parses one card reader report the way the till's drivers do and
//! prints what the till would keep of it, so an installer can check a reader's configuration
//! (masking, encryption) from a captured report. The full card number is never printed.

use crate::error::CliError;
use serde_json::{json, Value};
use till_devices::card_reader::{idtech_enhanced, iso7813, magnesafe, magtek_hid};
use till_devices::CardRead;

fn hex_bytes(data: &str) -> Result<Vec<u8>, CliError> {
    // Captures are often pasted with spaces or line breaks between bytes.
    let compact: String = data.chars().filter(|c| !c.is_whitespace()).collect();
    hex::decode(compact).map_err(|_| CliError::Usage("DATA must be hex (an even number of 0-9 a-f digits)"))
}

/// Parses `data` as `format` and returns the card read as JSON.
pub fn decode(format: &str, data: &str) -> Result<Value, CliError> {
    let read = match format {
        "magtek-hid" => magtek_hid::parse(&hex_bytes(data)?)?,
        "magtek-magnesafe" => magnesafe::parse(&hex_bytes(data)?)?,
        "idtech-enhanced" => idtech_enhanced::parse(&hex_bytes(data)?)?,
        "iso7813-text" => iso7813::parse_text(data)?,
        _ => return Err(CliError::Usage("--format must be magtek-hid|magtek-magnesafe|idtech-enhanced|iso7813-text")),
    };
    Ok(to_json(format, &read))
}

/// What may be shown of a card read: BIN and last 4, never the full number (PCI DSS 3.4.1).
pub(crate) fn to_json(format: &str, read: &CardRead) -> Value {
    let encrypted = read.encrypted().map(|b| {
        let track = |i: usize| b.tracks[i].as_ref().map(hex::encode);
        json!({
            "scheme": b.scheme,
            "ksn": hex::encode(&b.ksn),
            "device_serial": b.device_serial.as_ref().map(hex::encode),
            "track1": track(0),
            "track2": track(1),
            "track3": track(2),
        })
    });
    json!({
        "format": format,
        "masked_pan": read.masked_pan.as_str(),
        "bin": read.masked_pan.bin(),
        "last4": read.masked_pan.last4(),
        "expiry": read.expiry,
        "name": read.cardholder,
        "brand": read.brand.name(),
        "pin_required": read.pin_required,
        "encrypted": encrypted,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_text_and_refuses_bad_input() {
        let v = decode("iso7813-text", ";5452300551227189=31121010000000000?\r").unwrap();
        assert_eq!(
            (v["bin"].as_str(), v["last4"].as_str(), v["brand"].as_str()),
            (Some("545230"), Some("7189"), Some("Mastercard"))
        );
        assert!(v["encrypted"].is_null());
        assert!(!v.to_string().contains("5452300551227189"));
        assert!(matches!(decode("magtek-hid", "zz"), Err(CliError::Usage(_))));
        assert!(matches!(decode("magtek-hid", "00 11"), Err(CliError::Device(_))));
        assert!(matches!(decode("bogus", ""), Err(CliError::Usage(_))));
    }
}
