//! What a counter device is for: the one definition shared by device discovery (till-devices),
//! the till's device settings (till-pos) and the UI bindings.
//!
//! Its names are stored in the till's database (`devices.role`) and travel in JSON and on the
//! command line, always as `card-reader`, `points-terminal`, `receipt-printer` and `customer-display`.

use crate::CoreError;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// What a device is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "kebab-case")]
pub enum DeviceRole {
    /// The magnetic-stripe card reader.
    CardReader,
    /// The loyalty points terminal.
    PointsTerminal,
    /// The thermal receipt printer (ESC/POS), with the cash drawer on its kick port.
    ReceiptPrinter,
    /// The display facing the customer: a second window or a serial pole display.
    CustomerDisplay,
}

impl DeviceRole {
    /// Every role, in the order screens list them.
    pub const ALL: [DeviceRole; 4] =
        [DeviceRole::CardReader, DeviceRole::PointsTerminal, DeviceRole::ReceiptPrinter, DeviceRole::CustomerDisplay];

    /// The stored name, as in JSON and on the command line.
    pub fn as_str(self) -> &'static str {
        match self {
            DeviceRole::CardReader => "card-reader",
            DeviceRole::PointsTerminal => "points-terminal",
            DeviceRole::ReceiptPrinter => "receipt-printer",
            DeviceRole::CustomerDisplay => "customer-display",
        }
    }

    /// The role's name on the command line and in JSON (the same as [`DeviceRole::as_str`]).
    pub fn name(self) -> &'static str {
        self.as_str()
    }

    /// Parses a stored name (`card-reader`, `points-terminal`, `receipt-printer`,
    /// `customer-display`).
    pub fn parse(text: &str) -> Result<Self, CoreError> {
        DeviceRole::ALL
            .into_iter()
            .find(|r| r.as_str() == text)
            .ok_or_else(|| CoreError::UnknownDeviceRole(text.to_string()))
    }
}

impl FromStr for DeviceRole {
    type Err = CoreError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        DeviceRole::parse(s)
    }
}

impl fmt::Display for DeviceRole {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_through_text_and_json() {
        for role in DeviceRole::ALL {
            assert_eq!(DeviceRole::parse(role.as_str()), Ok(role));
            assert_eq!(role.to_string(), role.name());
            let json = serde_json::to_string(&role).unwrap();
            assert_eq!(json, format!("\"{}\"", role.as_str()));
            assert_eq!(serde_json::from_str::<DeviceRole>(&json).unwrap(), role);
        }
        // The stored names of existing databases.
        assert_eq!(DeviceRole::CardReader.as_str(), "card-reader");
        assert_eq!(DeviceRole::PointsTerminal.as_str(), "points-terminal");
        assert_eq!(DeviceRole::ReceiptPrinter.as_str(), "receipt-printer");
        assert_eq!(DeviceRole::CustomerDisplay.as_str(), "customer-display");
    }

    #[test]
    fn unknown_names_are_refused() {
        for text in ["", "Card-Reader", "card_reader", "printer"] {
            assert_eq!(DeviceRole::parse(text), Err(CoreError::UnknownDeviceRole(text.to_string())));
            assert!(serde_json::from_str::<DeviceRole>(&format!("{text:?}")).is_err());
        }
    }

    /// The UI's binding is generated from till-pos today (ui/src/lib/bindings/DeviceRole.ts);
    /// this one must produce the same TypeScript so till-pos can switch without a UI change.
    #[cfg(feature = "ts")]
    #[test]
    fn the_typescript_binding_matches_the_ui() {
        use ts_rs::TS;
        // `DeviceRole::name` is the inherent role name; the binding's name is TS's.
        assert_eq!(<DeviceRole as TS>::name(), "DeviceRole");
        assert_eq!(
            <DeviceRole as TS>::inline(),
            r#""card-reader" | "points-terminal" | "receipt-printer" | "customer-display""#
        );
        let decl = <DeviceRole as TS>::decl();
        assert!(
            decl.contains(
                r#"type DeviceRole = "card-reader" | "points-terminal" | "receipt-printer" | "customer-display";"#
            ),
            "{decl}"
        );
        // A binding that uses it (as till-pos's DeviceAssignment does) refers to it by name.
        #[derive(ts_rs::TS)]
        #[allow(dead_code)]
        struct Uses {
            role: DeviceRole,
        }
        assert_eq!(Uses::inline(), "{ role: DeviceRole, }");
    }
}
