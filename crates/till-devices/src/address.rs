//! Device addresses: `sim://card-reader?delay_ms=800`, `serial:///dev/ttyUSB0?baud=9600`,
//! `hid://0801:0002`, and for printers `usb:///dev/usb/lp0`, `tcp://HOST:9100`, `cups://QUEUE`.

use crate::DeviceError;

/// A parsed device URI: scheme, the part after `://`, and its query parameters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeviceAddress {
    /// `sim`, `serial`, `hid`, `usb`, `tcp` or `cups`.
    pub scheme: String,
    /// What follows `://` up to `?`.
    pub path: String,
    /// `key=value` pairs after `?`, in order.
    pub params: Vec<(String, String)>,
}

impl DeviceAddress {
    /// Parses a device URI.
    pub fn parse(text: &str) -> Result<Self, DeviceError> {
        let bad = || DeviceError::InvalidAddress(text.to_string());
        let (scheme, rest) = text.split_once("://").ok_or_else(bad)?;
        if !matches!(scheme, "sim" | "serial" | "hid" | "usb" | "tcp" | "cups") {
            return Err(bad());
        }
        let (path, query) = rest.split_once('?').unwrap_or((rest, ""));
        if path.is_empty() {
            return Err(bad());
        }
        let params = query
            .split('&')
            .filter(|p| !p.is_empty())
            .map(|p| {
                let (k, v) = p.split_once('=').ok_or_else(bad)?;
                Ok((k.to_string(), v.to_string()))
            })
            .collect::<Result<_, DeviceError>>()?;
        Ok(DeviceAddress { scheme: scheme.into(), path: path.into(), params })
    }

    /// The value of query parameter `key`.
    pub fn param(&self, key: &str) -> Option<&str> {
        self.params.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_documented_forms() {
        let a = DeviceAddress::parse("serial:///dev/ttyUSB0?baud=9600").unwrap();
        assert_eq!((a.scheme.as_str(), a.path.as_str(), a.param("baud")), ("serial", "/dev/ttyUSB0", Some("9600")));
        let a = DeviceAddress::parse("sim://card-reader").unwrap();
        assert_eq!((a.path.as_str(), a.params.len()), ("card-reader", 0));
        for bad in ["", "card-reader", "ftp://x", "sim://", "sim://x?novalue"] {
            assert!(DeviceAddress::parse(bad).is_err(), "{bad}");
        }
    }
}
